"""Photos sent in channels and conversations: checked by their content and re-encoded by
`platform.uploads` (a full size and a thumbnail, no metadata), stored through its storage
functions, and served only to members who can read the message. Never commits."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from tremplin.groups import policies
from tremplin.groups.models import Channel, Message, MessageAttachment
from tremplin.platform import uploads
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db

MAX_PER_MESSAGE = 4


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


def attachment_payload(attachment: MessageAttachment) -> dict:
    return {
        "kind": attachment.kind,
        "url": url_for("uploads.serve", name=attachment.file_name),
        "thumbnail_url": url_for(
            "uploads.serve", name=attachment.thumbnail_name or attachment.file_name
        ),
        "name": attachment.original_name,
    }


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
