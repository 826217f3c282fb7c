"""Documents and voice messages in chat: recognised by their content (a PDF must parse, an
office file must be the zip its format says, no macros, a recording's container must be
whole and short enough), refused in French next to their field with nothing stored, and
served only to members who can read the message: documents as downloads, voice inline
with Range requests."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image
from sqlalchemy import func, select

from tremplin.groups import open_conversation
from tremplin.groups.models import Message, MessageAttachment

DATA = Path(__file__).parent / "data"
WEBM = (DATA / "voice.webm").read_bytes()  # 2 s recorded by Chromium (fake microphone)
MP4 = (DATA / "voice.mp4").read_bytes()  # the same as a fragmented MP4

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def pdf_bytes(text="Budget prévisionnel 2027") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=24)
    pdf.cell(text=text.encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())


def ooxml(main_type=WORD_MAIN, extra=()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>',
        )
        z.writestr("word/document.xml", "<w:document/>")
        for name, content in extra:
            z.writestr(name, content)
    return out.getvalue()


def odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        z.writestr("content.xml", "<office:document-content/>")
        z.writestr("META-INF/manifest.xml", "<manifest/>")
    return out.getvalue()


@pytest.fixture
def place(make_group, make_member, make_organiser):
    nadia = make_organiser("Nadia Haddad")
    awa = make_member("Awa Diallo")
    group = make_group(
        "Entreprendre au féminin", organiser=nadia, members=[awa], visibility="private"
    )
    return group, group.channels[0], awa, nadia


def send(client, group, channel, **files):
    data = {"body": files.pop("body", "")}
    for field, (content, name) in files.items():
        data[field] = (io.BytesIO(content), name)
    return client.post(
        f"/groupes/{group.slug}/salons/{channel.slug}",
        data=data,
        content_type="multipart/form-data",
    )


def count(db, model=MessageAttachment):
    return db.session.scalar(select(func.count(model.id)))


def test_a_pdf_is_kept_with_a_thumbnail_and_downloaded_only_by_readers(
    client, auth, db, place, make_member, app
):
    group, channel, awa, nadia = place
    auth.login_as(awa)
    response = send(
        client, group, channel, body="Le budget", documents=(pdf_bytes(), "../../Budget\u202e.pdf")
    )
    assert response.status_code == 302
    attachment = db.session.scalar(select(MessageAttachment))
    assert attachment.kind == "document" and attachment.content_type == "application/pdf"
    assert attachment.original_name == "Budget.pdf"  # no folder, no bidi override
    assert attachment.file_name.startswith("chat-files/") and attachment.thumbnail_name
    page = client.get(f"/groupes/{group.slug}/salons/{channel.slug}").text
    url = f"/discussion/pieces-jointes/{attachment.id}"
    assert (
        url in page and "Document PDF" in page and f"/fichiers/{attachment.thumbnail_name}" in page
    )

    auth.login_as(nadia)
    download = client.get(url)
    assert download.status_code == 200 and download.data[:5] == b"%PDF-"
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "Budget.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    thumb = client.get(f"/fichiers/{attachment.thumbnail_name}")
    assert thumb.status_code == 200
    image = Image.open(io.BytesIO(thumb.data))
    assert max(image.size) <= 480 and image.getextrema() != ((255, 255),) * 3  # text drawn

    auth.login_as(make_member("Curieux"))  # cannot read the private group
    assert client.get(url).status_code == 404
    assert client.get(f"/fichiers/{attachment.thumbnail_name}").status_code == 404
    auth.logout()  # anonymous: nothing served
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "content, name, expected_type",
    [
        (ooxml(), "plan.docx", "wordprocessingml"),
        (
            ooxml("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
            "comptes.xlsx",
            "spreadsheetml",
        ),
        (odt(), "statuts.odt", "opendocument.text"),
        (b"nom;montant\nLoyer;650\n", "budget.csv", "text/csv"),
    ],
)
def test_office_and_text_documents_are_accepted(
    client, auth, db, place, content, name, expected_type
):
    group, channel, awa, _nadia = place
    auth.login_as(awa)
    assert send(client, group, channel, documents=(content, name)).status_code == 302
    attachment = db.session.scalar(select(MessageAttachment))
    assert expected_type in attachment.content_type and attachment.original_name == name
    assert attachment.thumbnail_name is None  # an icon by type
    assert client.get(f"/discussion/pieces-jointes/{attachment.id}").data == content


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"%PDF-1.4\n1 0 obj garbage\n%%EOF\n", "faux.pdf", "Ce PDF est endommagé"),
        (b"%PDF-1.7\n" + b"x" * 500, "coupe.pdf", "Ce PDF est incomplet ou endommagé"),
        (
            ooxml(WORD_MACRO_MAIN, [("word/vbaProject.bin", b"\0" * 64)]),
            "plan.docm",
            "Ce document contient des macros",
        ),
        (ooxml(extra=[("word/vbaProject.bin", b"\0" * 64)]), "cache.docx", "contient des macros"),
        (b"PK\x03\x04 not really a zip", "plan.docx", "n’est pas un document accepté"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "vieux.doc", "anciens formats Office"),
        (b"MZ\x90\x00 an executable", "facture.pdf", "n’est pas un document accepté"),
        ("café".encode("latin-1"), "notes.txt", "pas en UTF-8"),
    ],
)
def test_forged_or_unsafe_documents_are_refused_next_to_the_field(
    client, auth, db, place, content, name, message
):
    group, channel, awa, _nadia = place
    auth.login_as(awa)
    response = send(client, group, channel, body="Voici", documents=(content, name))
    assert response.status_code == 400
    assert 'id="composer-documents-error"' in response.text and message in response.text
    assert count(db) == 0 and count(db, Message) == 0


def test_an_oversized_document_is_refused_and_nothing_stored(client, auth, db, place, app):
    group, channel, awa, _nadia = place
    app.config["CHAT_DOCUMENT_MAX_BYTES"] = 1024 * 1024
    auth.login_as(awa)
    big = pdf_bytes() + b"%" * (1024 * 1024)
    response = send(client, group, channel, documents=(big, "gros.pdf"))
    assert response.status_code == 400
    assert "Ce fichier est trop lourd : 1 Mo au maximum." in response.text
    assert count(db) == 0
    upload_dir = Path(app.config["UPLOAD_DIR"]) / "chat-files"
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


def test_a_refused_second_file_removes_the_first_from_storage(client, auth, db, place, app):
    group, channel, awa, _nadia = place
    auth.login_as(awa)
    data = {
        "body": "",
        "documents": [(io.BytesIO(pdf_bytes()), "ok.pdf"), (io.BytesIO(b"nope"), "x.pdf")],
    }
    response = client.post(
        f"/groupes/{group.slug}/salons/{channel.slug}",
        data=data,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and count(db) == 0
    upload_dir = Path(app.config["UPLOAD_DIR"]) / "chat-files"
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


@pytest.mark.parametrize(
    "content, name, mimetype", [(WEBM, "v.webm", "audio/webm"), (MP4, "v.m4a", "audio/mp4")]
)
def test_a_voice_message_is_kept_as_recorded_and_served_with_ranges(
    client, auth, db, place, make_member, content, name, mimetype
):
    group, channel, awa, nadia = place
    auth.login_as(awa)
    assert send(client, group, channel, voice=(content, name)).status_code == 302
    attachment = db.session.scalar(select(MessageAttachment))
    assert attachment.kind == "audio" and attachment.content_type == mimetype
    assert 1800 <= attachment.duration_ms <= 2200
    page = client.get(f"/groupes/{group.slug}/salons/{channel.slug}").text
    url = f"/discussion/pieces-jointes/{attachment.id}"
    assert f'<audio controls preload="metadata" src="{url}"' in page
    assert "Message vocal, 0:02" in page

    auth.login_as(nadia)
    whole = client.get(url)
    assert whole.status_code == 200 and whole.data == content and whole.mimetype == mimetype
    assert whole.headers["Content-Disposition"] == "inline"
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    assert whole.headers.get("Accept-Ranges") == "bytes"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == content[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(content)}"

    auth.login_as(make_member("Curieux"))
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"Range": "bytes=0-10"}).status_code == 404


@pytest.mark.parametrize(
    "content, message",
    [
        (WEBM[: len(WEBM) // 2], "incomplet"),
        (MP4[: len(MP4) - 9], "incomplet"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "incomplet ou dans un format non accepté"),
        (MP4.replace(b"soun", b"vide", 1), "format non accepté"),  # a video track
        (b"", "vide"),
    ],
)
def test_a_truncated_or_foreign_recording_is_refused(client, auth, db, place, content, message):
    group, channel, awa, _nadia = place
    auth.login_as(awa)
    response = send(client, group, channel, voice=(content, "message-vocal.webm"))
    if not content:  # an empty file input is no attachment: an empty message is refused
        assert response.status_code == 400 and count(db, Message) == 0
        return
    assert response.status_code == 400
    assert 'id="composer-voice-error"' in response.text and message in response.text
    assert count(db) == 0 and count(db, Message) == 0


def test_a_recording_over_the_limit_is_refused(client, auth, db, place, app):
    group, channel, awa, _nadia = place
    app.config["CHAT_VOICE_MAX_SECONDS"] = 1
    auth.login_as(awa)
    response = send(client, group, channel, voice=(WEBM, "message-vocal.webm"))
    assert response.status_code == 400
    assert "Ce message vocal est trop long : 1 secondes au maximum." in response.text
    app.config["CHAT_VOICE_MAX_BYTES"] = 10_000
    app.config["CHAT_VOICE_MAX_SECONDS"] = 120
    response = send(client, group, channel, voice=(WEBM, "message-vocal.webm"))
    assert response.status_code == 400 and "trop lourd" in response.text
    assert count(db) == 0


def test_documents_and_voice_in_a_conversation_stay_between_its_participants(
    client, auth, db, make_member
):
    awa, john, other = make_member("Awa Diallo"), make_member("John Smith"), make_member("Eve")
    conversation = open_conversation([awa, john])
    db.session.commit()
    auth.login_as(awa)
    response = client.post(
        f"/messages/{conversation.id}",
        data={
            "body": "",
            "voice": (io.BytesIO(WEBM), "m.webm"),
            "documents": (io.BytesIO(pdf_bytes()), "devis.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    ids = db.session.scalars(select(MessageAttachment.id)).all()
    assert len(ids) == 2
    auth.login_as(john)
    assert all(client.get(f"/discussion/pieces-jointes/{i}").status_code == 200 for i in ids)
    assert "Awa Diallo : <em>pièce jointe</em>" in client.get("/messages").text
    auth.login_as(other)
    assert all(client.get(f"/discussion/pieces-jointes/{i}").status_code == 404 for i in ids)


def test_deleting_the_message_takes_its_files_away(client, auth, db, place, app):
    group, channel, awa, nadia = place
    auth.login_as(awa)
    send(client, group, channel, voice=(WEBM, "m.webm"), documents=(pdf_bytes(), "a.pdf"))
    attachments = db.session.scalars(select(MessageAttachment)).all()
    keys = [a.file_name for a in attachments]
    message = db.session.scalar(select(Message))
    folder = Path(app.config["UPLOAD_DIR"])
    assert all((folder / key).is_file() for key in keys)
    client.post(f"/discussion/messages/{message.id}/supprimer")
    assert count(db) == 0
    assert not any((folder / key).exists() for key in keys)
    for attachment_id in [a.id for a in attachments]:
        assert client.get(f"/discussion/pieces-jointes/{attachment_id}").status_code == 404


def test_a_hidden_message_s_files_are_no_longer_served(client, auth, db, place):
    group, channel, awa, nadia = place
    auth.login_as(awa)
    send(client, group, channel, voice=(WEBM, "m.webm"), documents=(pdf_bytes(), "a.pdf"))
    ids = db.session.scalars(select(MessageAttachment.id)).all()
    message = db.session.scalar(select(Message))
    auth.login_as(nadia)
    assert all(client.get(f"/discussion/pieces-jointes/{i}").status_code == 200 for i in ids)
    client.post(f"/discussion/messages/{message.id}/masquer")
    db.session.expire_all()
    assert db.session.get(Message, message.id).hidden_at is not None
    auth.login_as(awa)  # not even its author fetches them while it is hidden
    assert all(client.get(f"/discussion/pieces-jointes/{i}").status_code == 404 for i in ids)


def test_on_s3_a_voice_message_is_served_by_ranges_after_the_check(
    s3_server, s3_bucket, client, auth, db, place, make_member, tmp_path
):
    from tests.kit.s3 import s3_client

    group, channel, awa, nadia = place
    auth.login_as(awa)
    assert send(client, group, channel, voice=(WEBM, "m.webm")).status_code == 302
    attachment = db.session.scalar(select(MessageAttachment))
    listing = s3_client(s3_server).list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert [item["Key"] for item in listing] == [attachment.file_name]
    assert not (tmp_path / "uploads" / "chat-files").exists()
    url = f"/discussion/pieces-jointes/{attachment.id}"
    auth.login_as(nadia)
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == WEBM[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(WEBM)}"
    whole = client.get(url)
    assert whole.status_code == 200 and whole.data == WEBM
    assert whole.headers["Accept-Ranges"] == "bytes"
    auth.login_as(make_member("Curieux"))
    assert client.get(url, headers={"Range": "bytes=100-199"}).status_code == 404


def test_a_document_is_found_by_its_name_by_those_who_read_the_place(
    client, auth, db, place, make_member, find
):
    group, channel, awa, nadia = place
    auth.login_as(awa)
    send(client, group, channel, documents=(pdf_bytes(), "Prévisionnel trésorerie 2027.pdf"))
    message = db.session.scalar(select(Message))
    assert find.keys(nadia, "prévisionnel trésorerie") == {f"message:{message.id}"}
    assert find.keys(make_member("Curieux"), "prévisionnel trésorerie") == set()


PREFIXES = [b"%PDF-1.7\n", b"PK\x03\x04", b"\x1a\x45\xdf\xa3", b"\x00\x00\x00\x18ftypmp42", b"OggS"]


def test_mangled_files_are_refused_never_a_crash(app):
    """Cuts and flipped bytes of real files and random bytes behind each magic number: a
    refusal (DomainError) every time, never another exception (a 500)."""
    import random

    from tremplin.groups import documents, voice

    rng = random.Random(18)
    samples = [pdf_bytes(), ooxml(), odt(), WEBM, MP4]
    cases = []
    for sample in samples:
        for _ in range(40):
            data = bytearray(sample)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            cases.append(bytes(data[: rng.randint(1, len(data))]))
    cases += [p + rng.randbytes(rng.randint(0, 400)) for p in PREFIXES for _ in range(40)]
    refused = 0
    with app.test_request_context():
        for data in cases:
            for check in (
                lambda d: documents.check_document(d, "x.pdf"),
                lambda d: voice.check_voice(d),
            ):
                try:
                    check(data)
                except (documents.DocumentRejected, voice.VoiceRejected):
                    refused += 1
    assert refused > len(cases)  # each file is refused by at least one of the two checks


def test_a_member_banned_after_the_message_can_no_longer_fetch_its_files(
    client, auth, db, place, make_member, add_member
):
    group, channel, awa, nadia = place
    rachid = make_member("Rachid")
    add_member(group, rachid)
    db.session.commit()
    auth.login_as(awa)
    send(client, group, channel, voice=(WEBM, "m.webm"), documents=(pdf_bytes(), "a.pdf"))
    ids = db.session.scalars(select(MessageAttachment.id)).all()
    auth.login_as(rachid)
    assert all(client.get(f"/discussion/pieces-jointes/{i}").status_code == 200 for i in ids)
    auth.login_as(nadia)
    client.post(
        f"/groupes/{group.slug}/moderation/membres/{rachid.id}/exclure",
        data={"days": "0", "reason": "Insultes"},
    )
    auth.login_as(rachid)
    assert all(client.get(f"/discussion/pieces-jointes/{i}").status_code == 404 for i in ids)
