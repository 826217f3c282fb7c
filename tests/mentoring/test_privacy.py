"""Session notes belong to the pair: organisers see dates, durations and states; anyone
else sees nothing of the pairing."""

from __future__ import annotations

import pytest

SECRET_NOTE = "Dette auprès de la famille : 4 000 euros"
SECRET_STEP = "Parler au cousin de Kayes"


@pytest.fixture
def pair_with_notes(make_member, make_pairing, make_session):
    pairing = make_pairing(make_member("Fatou Sow"), make_member("Awa Diallo"))
    make_session(pairing, days_ago=3, minutes=95, notes=SECRET_NOTE, next_steps=SECRET_STEP)
    return pairing


def test_the_pair_reads_its_notes(client, auth, pair_with_notes):
    for person in (pair_with_notes.mentor, pair_with_notes.porteur):
        auth.login_as(person)
        page = client.get(f"/parrainage/binomes/{pair_with_notes.id}")
        assert page.status_code == 200
        assert SECRET_NOTE in page.text and SECRET_STEP in page.text


def test_organisers_see_dates_durations_and_states_but_never_notes(
    client, auth, make_organiser, pair_with_notes
):
    auth.login_as(make_organiser("Claire"))
    page = client.get(f"/parrainage/binomes/{pair_with_notes.id}")
    assert page.status_code == 200
    assert "1\u00a0h\u00a035" in page.text and "En cours" in page.text
    assert SECRET_NOTE not in page.text and SECRET_STEP not in page.text
    assert "réservées au binôme" in page.text
    assert "Noter une séance" not in page.text
    overview = client.get("/parrainage/animation")
    assert overview.status_code == 200
    assert SECRET_NOTE not in overview.text and SECRET_STEP not in overview.text


def test_other_members_and_visitors_see_nothing(client, auth, make_member, pair_with_notes):
    url = f"/parrainage/binomes/{pair_with_notes.id}"
    assert client.get(url).status_code == 302  # to the login page
    auth.login_as(make_member("Voisin"))
    response = client.get(url)
    assert response.status_code == 403 and SECRET_NOTE not in response.text


def test_nobody_outside_the_pair_logs_or_deletes_sessions(
    client, auth, make_member, make_organiser, pair_with_notes
):
    from tremplin.mentoring.models import MentoringSession
    from tremplin.platform.extensions import db

    session_id = db.session.scalar(db.select(MentoringSession.id))
    for outsider in (make_member("Voisin"), make_organiser("Claire")):
        auth.login_as(outsider)
        logged = client.post(
            f"/parrainage/binomes/{pair_with_notes.id}/seances",
            data={"held_on": "2024-01-01", "duration": "1 h"},
        )
        assert logged.status_code == 403
        deleted = client.post(
            f"/parrainage/binomes/{pair_with_notes.id}/seances/{session_id}/supprimer", data={}
        )
        assert deleted.status_code == 403
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(MentoringSession.id))) == 1


def test_the_certificate_never_carries_notes(client, auth, pair_with_notes):
    auth.login_as(pair_with_notes.mentor)
    page = client.get("/parrainage/attestation")
    assert page.status_code == 200 and SECRET_NOTE not in page.text


def test_a_request_is_seen_by_the_porteur_the_mentor_asked_and_organisers_only(
    client, auth, make_member, make_organiser, make_request
):
    mentor = make_member("Fatou")
    request = make_request(
        make_member("Awa"),
        state="pending",
        mentor=mentor,
        goals="Sortir de mes dettes avant d’ouvrir.",
    )
    url = f"/parrainage/demandes/{request.id}"
    auth.login_as(make_member("Voisin"))
    assert client.get(url).status_code == 403
    for reader in (request.porteur, mentor, make_organiser()):
        auth.login_as(reader)
        assert "Sortir de mes dettes" in client.get(url).text
