"""The attestation de tutorat: a printable page and a PDF with the mentor's hours."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tremplin.mentoring.certificate import format_minutes


@pytest.fixture
def mentor_with_hours(make_member, make_project, make_pairing, make_session):
    fatou = make_member("Fatou Sow")
    awa = make_member("Awa Diallo")
    project = make_project(awa, title="Maison de Cosm’éthique")
    active = make_pairing(fatou, awa, project_id=project.id)
    make_session(active, minutes=90)
    make_session(active, days_ago=8, minutes=45)
    done = make_pairing(fatou, make_member("Moussa Traoré"), state="completed")
    make_session(done, days_ago=20, minutes=120)
    make_pairing(fatou, make_member("Refusé"), state="declined")  # never took place
    return fatou


def test_the_certificate_page_totals_the_hours(client, auth, mentor_with_hours):
    auth.login_as(mentor_with_hours)
    page = client.get("/parrainage/attestation")
    assert page.status_code == 200
    assert "Attestation de tutorat" in page.text
    assert "Fatou Sow a accompagné bénévolement" in page.text
    assert "4\u00a0h\u00a015" in page.text and "3 séances" in page.text
    assert "Maison de Cosm’éthique" in page.text and "Moussa Traoré" in page.text
    assert "Refusé" not in page.text
    assert "<script>" not in page.text  # printing goes through static/js/mentoring.js


def test_the_pdf_embeds_a_unicode_font_and_says_the_hours(client, auth, mentor_with_hours):
    auth.login_as(mentor_with_hours)
    response = client.get("/parrainage/attestation.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Attestation de tutorat" in text
    assert "Fatou Sow" in text and "Cosm’éthique" in text and "Traoré" in text
    assert "4 h 15" in text.replace("\u00a0", " ")
    fonts = {str(font) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert fonts  # fonts are embedded (DejaVu), so accents print everywhere
    assert "Fatou Sow" in reader.metadata.title


def test_only_the_mentor_and_organisers_get_a_certificate(
    client, auth, make_member, make_organiser, mentor_with_hours
):
    url = f"/parrainage/parrains/{mentor_with_hours.id}/attestation"
    auth.login_as(make_member("Voisin"))
    assert client.get(url).status_code == 403
    assert client.get(url + ".pdf").status_code == 403
    auth.login_as(make_organiser())
    assert "Fatou Sow" in client.get(url).text
    assert client.get(url + ".pdf").data.startswith(b"%PDF")


@pytest.mark.parametrize(
    "minutes, text",
    [(0, "0\u00a0min"), (45, "45\u00a0min"), (60, "1\u00a0h"), (135, "2\u00a0h\u00a015")],
)
def test_minutes_read_as_hours(minutes, text):
    assert format_minutes(minutes) == text


def test_the_pdf_cuts_no_word_writes_durations_alike_and_has_a_signatory(
    app, client, auth, make_member, make_project, make_pairing, make_session
):
    app.config.update(
        MENTORING_CERTIFICATE_ORGANISATION="Association Tremplin Île-de-France",
        MENTORING_CERTIFICATE_ADDRESS="2 rue Eugène Spuller\n75003 Paris",
        MENTORING_CERTIFICATE_SIGNATORY="Claire Martin",
        MENTORING_CERTIFICATE_SIGNATORY_TITLE="présidente",
    )
    fatou = make_member("Fatou Sow")
    active = make_pairing(fatou, make_member("Awa Diallo"))
    make_session(active, minutes=90)
    done = make_pairing(fatou, make_member("Moussa Traoré"), state="completed")
    make_session(done, days_ago=20, minutes=360)
    auth.login_as(fatou)
    reader = PdfReader(io.BytesIO(client.get("/parrainage/attestation.pdf").data))
    text = "".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")
    lines = text.splitlines()
    assert any("Séances" in line for line in lines), lines  # the heading is whole
    assert not any(line.strip() in ("Séanc", "es") for line in lines)
    assert "1 h 30" in text and "6 h" in text and "6h" not in text
    assert "Association Tremplin Île-de-France atteste que Fatou Sow" in " ".join(lines)
    assert "75003 Paris" in text
    assert "Claire Martin, présidente" in text and "Cachet et signature" in text

    page = client.get("/parrainage/attestation").text
    assert "Claire Martin, présidente" in page and "Cachet et signature" in page


def test_durations_are_written_one_way():
    assert format_minutes(360) == "6\u00a0h"
    assert format_minutes(90) == "1\u00a0h\u00a030"
    assert format_minutes(45) == "45\u00a0min"
