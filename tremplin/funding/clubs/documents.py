"""Documents given to a club: an application's plan or accounts, a signed convention.

`platform/uploads.py` only takes images, so PDFs are checked here, by their content: the
header and end marker of a PDF, a size limit, and no active content (JavaScript, launch
actions, embedded files, XFA forms), looked for in the file and inside its compressed
streams. Images go through `uploads.store_image` (decoded, re-encoded, metadata dropped).
Files are stored under random names outside `static/`, follow the transaction (removed if
it rolls back) and are only ever sent as downloads to those the policy lets see them.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
import zlib
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from tremplin.funding.clubs.errors import DocumentRejected
from tremplin.funding.clubs.models import ClubDocument
from tremplin.platform import uploads
from tremplin.platform.extensions import db
from tremplin.platform.transactions import after_rollback

PDF = "application/pdf"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
FOLDER = "club-documents"
PDF_NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.pdf$")
# PDF names that carry active content (after #xx escapes are decoded)
ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData)\b"
)
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
MAX_INFLATED = 50 * 1024 * 1024


def _max_bytes() -> int:
    return int(current_app.config.get("CLUBS_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def folder() -> Path:
    return uploads.upload_dir() / FOLDER


def clean_title(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return (name or _("document"))[:160]


def _has_active_content(data: bytes) -> bool:
    def scan(chunk: bytes) -> bool:
        decoded = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), chunk)
        return bool(ACTIVE.search(decoded))

    if scan(data):
        return True
    budget = MAX_INFLATED
    for match in _STREAM.finditer(data):
        try:
            inflater = zlib.decompressobj()
            inflated = inflater.decompress(match.group(1), budget)
        except zlib.error:
            continue  # not a Flate stream (an image, a font…): nothing to read in it
        budget -= len(inflated)
        if scan(inflated):
            return True
        if budget <= 0:
            return True  # a decompression bomb is not a document
    return False


def check_pdf(data: bytes, field: str | None = None) -> None:
    if not data:
        raise DocumentRejected(_("Le fichier envoyé est vide."), field=field)
    if not re.match(rb"%PDF-[12]\.\d", data[:8]) or b"%%EOF" not in data[-2048:]:
        raise DocumentRejected(field=field)
    if _has_active_content(data):
        raise DocumentRejected(
            _(
                "Ce PDF contient du contenu actif (JavaScript, fichiers "
                "joints ou formulaires) : enregistrez-le à nouveau en PDF "
                "simple, puis envoyez-le."
            ),
            field=field,
        )


def _read(file, field: str | None) -> bytes:
    stream = getattr(file, "stream", file)
    limit = _max_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise DocumentRejected(
            _("Ce fichier est trop lourd : %(mb)s Mo au maximum.", mb=f"{limit / (1024 * 1024):g}"),
            field=field,
        )
    return data


def store_document(
    file,
    *,
    club_id: int,
    uploaded_by,
    application_id: int | None = None,
    investment_id: int | None = None,
    field: str | None = None,
) -> ClubDocument:
    """Check and store one uploaded file; returns its row (flushed)."""
    title = clean_title(getattr(file, "filename", None))
    data = _read(file, field)
    if not data:
        raise DocumentRejected(_("Le fichier envoyé est vide."), field=field)
    if data[:5] == b"%PDF-":
        check_pdf(data, field)
        name = f"{secrets.token_urlsafe(24)}.pdf"
        target = folder()
        target.mkdir(parents=True, exist_ok=True)
        temporary = target / f".{name}.part"
        temporary.write_bytes(data)
        os.replace(temporary, target / name)
        after_rollback(db.session, _remove_new, str(target / name))
        content_type, size = PDF, len(data)
    else:
        import io

        try:
            name = uploads.store_image(io.BytesIO(data), "photo", field=field)
        except uploads.ImageRejected as exc:
            raise DocumentRejected(field=field) from exc
        content_type, size = "image/webp", (uploads.upload_dir() / name).stat().st_size
        if not title.lower().endswith(".webp"):
            title = title.rsplit(".", 1)[0][:150] + ".webp"
    document = ClubDocument(
        club_id=club_id,
        application_id=application_id,
        investment_id=investment_id,
        title=title,
        stored_name=name,
        content_type=content_type,
        size_bytes=size,
        uploaded_by_id=getattr(uploaded_by, "id", None),
    )
    db.session.add(document)
    db.session.flush()
    return document


def path_of(document: ClubDocument) -> Path | None:
    if document.content_type == PDF:
        if not PDF_NAME.match(document.stored_name):
            return None
        return folder() / document.stored_name
    if not uploads.NAME_PATTERN.match(document.stored_name):
        return None
    return uploads.upload_dir() / document.stored_name


def _remove_new(path: str) -> None:
    if PDF_NAME.match(Path(path).name):
        Path(path).unlink(missing_ok=True)
