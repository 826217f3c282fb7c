"""Files sent in channels and conversations, served only to members who can read the
message (`policies.can_read_message`, nothing once it is deleted or hidden). Never commits.

- photos: checked and re-encoded by `platform.uploads` (a full size and a thumbnail, no
  metadata), served by its `/fichiers/` route through the resolver below;
- documents (`documents.py`: PDF, OOXML, ODF, CSV, text, checked by their content) and
  voice messages (`voice.py`: WebM/Opus, MP4/AAC, Ogg/Opus, length bounded): stored as
  checked under `chat-files/` through `platform.storage`, sent by `serve_attachment` with
  `nosniff`, documents as downloads under their cleaned name, voice inline with HTTP
  Range (phones seek in an <audio>). A PDF's first page, rendered by pdfium and
  re-encoded like a photo, is its thumbnail; other documents show an icon by type.
"""

from __future__ import annotations

import io
import re
import secrets

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from tremplin.groups import documents, policies, voice
from tremplin.groups.models import Channel, Message, MessageAttachment
from tremplin.platform import uploads
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.storage import storage
from tremplin.platform.transactions import after_commit, after_rollback

MAX_PER_MESSAGE = 4
FOLDER = "chat-files"
KEY = re.compile(r"^chat-files/[A-Za-z0-9_-]{20,64}\.[a-z0-9]{2,4}$")


def store_photos(files, field: str = "photos") -> list[MessageAttachment]:
    """Re-encode each uploaded photo (full size and thumbnail). Raises ImageRejected (a
    DomainError naming `field`) for anything that is not a reasonable image; the files
    already written leave again when the transaction rolls back."""
    files = [f for f in files if f and getattr(f, "filename", "")]
    if len(files) > MAX_PER_MESSAGE:
        raise DomainError(_("%(n)d photos au plus par message.", n=MAX_PER_MESSAGE), field=field)
    stored = []
    for file in files:
        name = uploads.store_image(file, "photo", field=field)
        stream = getattr(file, "stream", file)
        stream.seek(0)
        thumbnail = uploads.store_image(file, "thumbnail", field=field)
        stored.append(
            MessageAttachment(
                kind="image",
                file_name=name,
                thumbnail_name=thumbnail,
                original_name=(file.filename or "")[:200],
            )
        )
    return stored


def _put(data: bytes, extension: str, content_type: str) -> str:
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback, even of an empty transaction, is seen
    key = f"{FOLDER}/{secrets.token_urlsafe(24)}.{extension}"
    store = storage()
    store.put(key, data, content_type)
    after_rollback(db.session, _remove, store, key)
    return key


def _remove(store, key: str) -> None:
    if KEY.match(key):
        store.delete(key)


def store_documents(files, field: str = "documents") -> list[MessageAttachment]:
    """Check each document by its content and store it; a PDF gets a thumbnail of its
    first page. Raises DocumentRejected naming `field` (files already written leave
    again when the transaction rolls back)."""
    files = [f for f in files if f and getattr(f, "filename", "")]
    if len(files) > MAX_PER_MESSAGE:
        raise documents.DocumentRejected(
            _("%(n)d documents au plus par message.", n=MAX_PER_MESSAGE), field=field
        )
    stored = []
    for file in files:
        data = documents.read_limited(file, documents.max_bytes(), field)
        checked = documents.check_document(data, file.filename, field)
        thumbnail = None
        if checked.is_pdf:
            png = documents.pdf_first_page_png(data)
            if png is not None:
                try:
                    thumbnail = uploads.store_image(io.BytesIO(png), "thumbnail", field=field)
                except uploads.ImageRejected:
                    thumbnail = None  # the icon is shown instead
        stored.append(
            MessageAttachment(
                kind="document",
                file_name=_put(data, checked.extension, checked.content_type),
                thumbnail_name=thumbnail,
                original_name=documents.clean_name(file.filename, checked.extension),
                content_type=checked.content_type,
                size_bytes=len(data),
            )
        )
    return stored


def store_voice(file, field: str = "voice") -> MessageAttachment:
    """Check a recorded voice message (container, length, size) and store it as is."""
    data = documents.read_limited(file, voice.max_bytes(), field, error=voice.VoiceRejected)
    checked = voice.check_voice(data, field)
    return MessageAttachment(
        kind="audio",
        file_name=_put(data, checked.extension, checked.content_type),
        original_name=documents.clean_name(_("message vocal"), checked.extension),
        content_type=checked.content_type,
        size_bytes=len(data),
        duration_ms=checked.duration_ms,
    )


def discard(attachment: MessageAttachment) -> None:
    """The attachment's files leave the storage once the transaction commits."""
    uploads.discard_upload(attachment.thumbnail_name)
    if attachment.kind == "image":
        uploads.discard_upload(attachment.file_name)
    elif KEY.match(attachment.file_name or ""):
        after_commit(db.session, _remove, storage(), attachment.file_name)


def document_label(attachment: MessageAttachment) -> str:
    """The short type shown on a document's card: PDF, DOCX, ODS…"""
    return attachment.file_name.rsplit(".", 1)[-1].upper()


def duration_label(attachment: MessageAttachment) -> str:
    seconds = round((attachment.duration_ms or 0) / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def size_label(attachment: MessageAttachment) -> str:
    size = attachment.size_bytes or 0
    if size < 1024 * 1024:
        return _("%(n)s ko", n=max(1, round(size / 1024)))
    return _("%(n)s Mo", n=f"{size / 1048576:.1f}".replace(".", ","))


def attachment_url(attachment: MessageAttachment) -> str:
    if attachment.kind == "image":
        return url_for("uploads.serve", name=attachment.file_name)
    return url_for("groups.serve_attachment", attachment_id=attachment.id)


def thumbnail_url(attachment: MessageAttachment) -> str | None:
    if attachment.kind == "image":
        return url_for("uploads.serve", name=attachment.thumbnail_name or attachment.file_name)
    if attachment.thumbnail_name:
        return url_for("uploads.serve", name=attachment.thumbnail_name)
    return None


def attachment_payload(attachment: MessageAttachment) -> dict:
    payload = {
        "kind": attachment.kind,
        "url": attachment_url(attachment),
        "thumbnail_url": thumbnail_url(attachment),
        "name": attachment.original_name,
    }
    if attachment.kind == "document":
        payload.update(type_label=document_label(attachment), size=size_label(attachment))
    elif attachment.kind == "audio":
        payload.update(
            content_type=attachment.content_type,
            duration_ms=attachment.duration_ms,
            duration=duration_label(attachment),
        )
    return payload


def load_readable(attachment_id: int, viewer) -> MessageAttachment | None:
    """A document or voice message the viewer may fetch, else None (the route answers 404
    for both unknown and forbidden, so a private file's existence is not revealed)."""
    attachment = db.session.scalar(
        select(MessageAttachment)
        .where(MessageAttachment.id == attachment_id, MessageAttachment.kind != "image")
        .options(
            joinedload(MessageAttachment.message)
            .joinedload(Message.channel)
            .joinedload(Channel.group)
        )
    )
    if attachment is None or not KEY.match(attachment.file_name or ""):
        return None
    message = attachment.message
    if not (message.is_visible and policies.can_read_message(viewer, message)):
        return None
    return attachment


def resolve_upload(name: str, viewer) -> bool | None:
    """platform.uploads asks: is `name` one of our files, and may `viewer` see it? The
    same policy as reading the message (and nothing once it is deleted or hidden)."""
    attachment = db.session.scalar(
        select(MessageAttachment)
        .where(or_(MessageAttachment.file_name == name, MessageAttachment.thumbnail_name == name))
        .options(
            joinedload(MessageAttachment.message)
            .joinedload(Message.channel)
            .joinedload(Channel.group)
        )
    )
    if attachment is None:
        return None
    message = attachment.message
    return message.is_visible and policies.can_read_message(viewer, message)


def register() -> None:
    uploads.register_resolver(resolve_upload)
