"""Documents sent in chat, recognised by their content, never by their name or declared
type: a PDF must parse (pypdf) and open (pdfium renders its first page as the thumbnail);
an OOXML file (docx, xlsx, pptx) must be a zip whose `[Content_Types].xml` names the main
part of that format, an ODF file (odt, ods, odp) a zip whose first entry `mimetype` says
so; any macro (a `vbaProject.bin`, a macro-enabled content type, ODF `Basic/` or
`Scripts/`) is refused, and so are zip bombs. Plain text and CSV must be UTF-8 without NUL
bytes. Pure functions of the bytes: storing is `attachments.py`'s job."""

from __future__ import annotations

import csv
import io
import re
import threading
import unicodedata
import zipfile
from dataclasses import dataclass

import pypdfium2 as pdfium
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tremplin.platform.errors import DomainError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_PDF_PAGES = 2000

OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
}
ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "csv": "text/csv",
    "txt": "text/plain",
}
# What the file chooser proposes (the content decides anyway).
ACCEPT = ",".join(
    [".pdf", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".csv", ".txt"]
    + sorted(set(CONTENT_TYPES.values()))
)
_MACRO_PART = re.compile(r"(^|/)vbaProject\.bin$|(^|/)vbaData\.xml$", re.I)
_MACRO_TYPE = re.compile(rb"macroEnabled|vbaProject|ms-office\.vbaProject", re.I)
_PDFIUM_LOCK = threading.Lock()
_PDF_ACTIVE = ("/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/RichMedia", "/XFA")


class DocumentRejected(DomainError):
    default_message = _l(
        "Ce fichier n’est pas un document accepté (PDF, Word, Excel, PowerPoint, "
        "OpenDocument, CSV ou texte)."
    )


@dataclass(frozen=True)
class CheckedDocument:
    extension: str
    content_type: str
    data: bytes

    @property
    def is_pdf(self) -> bool:
        return self.extension == "pdf"


def max_bytes() -> int:
    return int(current_app.config.get("CHAT_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def read_limited(file, limit: int, field: str | None, error=DocumentRejected) -> bytes:
    stream = getattr(file, "stream", file)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise error(
            _("Ce fichier est trop lourd : %(mb)s Mo au maximum.", mb=f"{limit / 1048576:g}"),
            field=field,
        )
    if not data:
        raise error(_("Le fichier envoyé est vide."), field=field)
    return data


def clean_name(filename: str | None, extension: str) -> str:
    """The name shown and offered on download: no folders, no control or reserved
    characters, and the extension of what the file really is."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        ch for ch in name if ch.isprintable() and ch not in '<>:"|?*;' and ch not in "\u202e\u202d"
    ).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:150] or _("document")
    return f"{stem}.{extension}"


def _macro_refusal(field):
    return DocumentRejected(
        _(
            "Ce document contient des macros : enregistrez-le sans macros "
            "(par exemple en .docx ou .xlsx), puis envoyez-le."
        ),
        field=field,
    )


def _check_zip_budget(archive: zipfile.ZipFile, field) -> list[zipfile.ZipInfo]:
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNZIPPED_BYTES:
        raise DocumentRejected(field=field)
    for entry in entries:
        if _MACRO_PART.search(entry.filename):
            raise _macro_refusal(field)
    return entries


def _read_entry(archive: zipfile.ZipFile, name: str, limit: int = 2 * 1024 * 1024) -> bytes:
    with archive.open(name) as handle:
        return handle.read(limit)


def _check_ooxml(archive: zipfile.ZipFile, names: set[str], field) -> str:
    types = _read_entry(archive, "[Content_Types].xml")
    if _MACRO_TYPE.search(types):
        raise _macro_refusal(field)
    for content_type, extension in OOXML_MAIN.items():
        if f'ContentType="{content_type}"'.encode() in types:
            return extension
    raise DocumentRejected(field=field)


def _check_odf(archive: zipfile.ZipFile, entries, names: set[str], field) -> str:
    if entries[0].filename != "mimetype" or "content.xml" not in names:
        raise DocumentRejected(field=field)
    mimetype = _read_entry(archive, "mimetype", 200).decode("ascii", "replace").strip()
    extension = ODF_MIMETYPES.get(mimetype)
    if extension is None:
        raise DocumentRejected(field=field)
    if any(n.startswith(("Basic/", "Scripts/")) for n in names):
        raise _macro_refusal(field)
    return extension


def _check_zip(data: bytes, field) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = _check_zip_budget(archive, field)
            names = {e.filename for e in entries}
            if "[Content_Types].xml" in names:
                extension = _check_ooxml(archive, names, field)
            elif "mimetype" in names:
                extension = _check_odf(archive, entries, names, field)
            else:
                raise DocumentRejected(field=field)
            if archive.testzip() is not None:  # every entry's checksum
                raise DocumentRejected(field=field)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise DocumentRejected(field=field) from exc
    return extension


def _check_pdf(data: bytes, field) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if b"%%EOF" not in data[-2048:]:
        raise DocumentRejected(_("Ce PDF est incomplet ou endommagé."), field=field)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentRejected(
                _(
                    "Ce PDF est protégé par un mot de passe : envoyez une version sans mot de passe."
                ),
                field=field,
            )
        pages = len(reader.pages)
        root = reader.trailer["/Root"].get_object()
        names = root.get("/Names")
        names = names.get_object() if names is not None else {}
        open_action = root.get("/OpenAction")
        open_action = open_action.get_object() if open_action is not None else None
    except DocumentRejected:
        raise
    except (PyPdfError, KeyError, ValueError, TypeError, AttributeError, OSError) as exc:
        raise DocumentRejected(
            _("Ce PDF est endommagé : il n’a pas pu être lu."), field=field
        ) from exc
    except RecursionError as exc:
        raise DocumentRejected(field=field) from exc
    if pages < 1 or pages > MAX_PDF_PAGES:
        raise DocumentRejected(_("Ce PDF est endommagé : il n’a pas pu être lu."), field=field)
    active = any(key in names for key in ("/JavaScript", "/EmbeddedFiles"))
    if isinstance(open_action, dict) and open_action.get("/S") in ("/JavaScript", "/Launch"):
        active = True
    if active or any(marker.encode() in data for marker in _PDF_ACTIVE[2:]):
        raise DocumentRejected(
            _(
                "Ce PDF contient du contenu actif (JavaScript, fichiers joints ou "
                "formulaires) : enregistrez-le à nouveau en PDF simple, puis envoyez-le."
            ),
            field=field,
        )


def _check_text(data: bytes, filename: str, field) -> str:
    if b"\x00" in data:
        raise DocumentRejected(field=field)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentRejected(
            _("Ce fichier texte n’est pas en UTF-8 : enregistrez-le en UTF-8, puis envoyez-le."),
            field=field,
        ) from exc
    if filename.lower().endswith(".csv"):
        try:
            for _row in csv.reader(io.StringIO(text)):
                pass
        except csv.Error as exc:
            raise DocumentRejected(field=field) from exc
        return "csv"
    return "txt"


def check_document(data: bytes, filename: str | None, field: str | None = None) -> CheckedDocument:
    """Which document this is, from its bytes, or DocumentRejected with a French reason."""
    filename = filename or ""
    if data[:5] == b"%PDF-":
        _check_pdf(data, field)
        extension = "pdf"
    elif data[:4] == b"PK\x03\x04":
        extension = _check_zip(data, field)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # .doc, .xls: may carry macros
        raise DocumentRejected(
            _(
                "Les anciens formats Office (.doc, .xls, .ppt) ne sont pas acceptés : "
                "enregistrez le document en .docx, .xlsx, .pptx ou en PDF."
            ),
            field=field,
        )
    elif filename.lower().endswith((".txt", ".csv")):
        extension = _check_text(data, filename, field)
    else:
        raise DocumentRejected(field=field)
    return CheckedDocument(extension, CONTENT_TYPES[extension], data)


def pdf_first_page_png(data: bytes, max_side: int = 480) -> bytes | None:
    """The first page rendered (pdfium) as a PNG, or None if it cannot be rendered; the
    caller re-encodes it like any uploaded image."""
    try:
        with _PDFIUM_LOCK:  # pdfium is not thread-safe: one render at a time per process
            pdf = pdfium.PdfDocument(data)
            try:
                page = pdf[0]
                width, height = page.get_size()
                scale = max_side / max(width, height, 1)
                image = page.render(scale=min(scale, 4)).to_pil()
            finally:
                pdf.close()
        out = io.BytesIO()
        image.convert("RGB").save(out, "PNG")
        return out.getvalue()
    except Exception:  # noqa: BLE001 - a page pdfium cannot draw gets the icon instead
        return None
