"""Documents given to a club are checked by their content: a real PDF without active
content, or an image (re-encoded); nothing else."""

from __future__ import annotations

import io
import zlib

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tests.kit.factories_clubs import pdf_bytes
from tests.kit.factories_members import image_bytes
from tremplin.funding.clubs import documents
from tremplin.funding.clubs.errors import DocumentRejected
from tremplin.funding.clubs.models import ClubApplication, ClubDocument
from tremplin.platform.storage import storage


def upload(data: bytes, name: str = "plan.pdf") -> FileStorage:
    return FileStorage(io.BytesIO(data), name)


def test_a_pdf_and_an_image_are_kept(db, app, make_club, make_application):
    club = make_club()
    application = make_application(
        club, files=[upload(pdf_bytes()), upload(image_bytes(), "photo.png")]
    )
    kinds = sorted(d.content_type for d in application.documents)
    assert kinds == ["application/pdf", "image/webp"]
    for document in application.documents:
        assert storage().exists(documents.key_of(document))


@pytest.mark.parametrize(
    "data, message",
    [
        (b"MZ\x90\x00 not a pdf at all", "PDF ou une image"),
        (b"%PDF-1.4\n1 0 obj << >> endobj\n", "PDF ou une image"),  # truncated: no %%EOF
        (pdf_bytes(extra=b"/AA << /O << /S /JavaScript /JS (app.alert(1)) >> >>"), "contenu actif"),
        (pdf_bytes(extra=b"/OpenAction << /S /J#61vaScript /JS (x) >>"), "contenu actif"),
        (pdf_bytes(extra=b"/Names << /EmbeddedFiles 9 0 R >>"), "contenu actif"),
        (b"", "vide"),
    ],
)
def test_dangerous_or_fake_documents_are_refused_and_nothing_is_stored(
    db, app, make_club, make_application, data, message
):
    club = make_club()
    with pytest.raises(DocumentRejected) as refused:
        make_application(club, files=[upload(data)])
    assert message in refused.value.message
    assert db.session.scalar(select(func.count(ClubDocument.id))) == 0
    assert db.session.scalar(select(func.count(ClubApplication.id))) == 0
    folder = documents.folder()
    assert not folder.exists() or not any(folder.iterdir())


def test_javascript_hidden_in_a_compressed_stream_is_found():
    hidden = zlib.compress(b"<< /S /JavaScript /JS (app.launchURL('x')) >>")
    data = (
        b"%PDF-1.5\n1 0 obj\n<< /Length "
        + str(len(hidden)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + hidden
        + b"\nendstream\nendobj\n%%EOF\n"
    )
    with pytest.raises(DocumentRejected):
        documents.check_pdf(data)


def test_too_large_a_file_is_refused(db, app, make_club, make_application):
    app.config["CLUBS_DOCUMENT_MAX_BYTES"] = 1_000
    club = make_club()
    with pytest.raises(DocumentRejected, match="trop lourd"):
        make_application(club, files=[upload(pdf_bytes() + b"%" * 2_000)])


def test_a_file_name_is_cleaned_for_display():
    assert documents.clean_title("../../etc/pass<wd>.pdf") == "passwd.pdf"
    assert documents.clean_title("C:\\Users\\Awa\\prévisionnel 2026.pdf") == "prévisionnel 2026.pdf"
