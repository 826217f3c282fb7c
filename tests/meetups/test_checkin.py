"""At the door: one click per person, walk-ins on the spot, and the participations the
impact dashboard counts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.kit.live import wait_for
from tremplin.meetups import checkin
from tremplin.meetups.models import Registration
from tremplin.platform.types import utcnow

JSON = {"Accept": "application/json"}


def _tonight(make_meetup, **kwargs):
    return make_meetup(starts_in=timedelta(minutes=-10), **kwargs)


def test_check_in_with_one_click_json_and_html(
    client, auth, db, make_organiser, make_member, make_meetup, register
):
    claire = make_organiser("Claire")
    meetup = _tonight(make_meetup, organiser=claire)
    awa = register(meetup, make_member("Awa Diallo"), guests=2)
    register(meetup, make_member("Karim Benali"))
    auth.login_as(claire)
    page = client.get(f"/rencontres/{meetup.id}/accueil")
    assert page.status_code == 200 and "Awa Diallo" in page.text and "+2" in page.text
    response = client.post(
        f"/rencontres/{meetup.id}/accueil/{awa.id}", data={"guests": "1"}, headers=JSON
    )
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["ok"] and payload["checked_in"] and payload["present"] == 2  # Awa + 1 guest
    db.session.refresh(awa)
    assert awa.checked_in_at is not None and awa.checked_in_by_id == claire.id
    again = client.post(f"/rencontres/{meetup.id}/accueil/{awa.id}", headers=JSON)
    assert again.status_code == 409 and "déjà pointé·e" in again.get_json()["message"]
    undo = client.post(f"/rencontres/{meetup.id}/accueil/{awa.id}/annuler", headers=JSON)
    assert undo.get_json()["present"] == 0
    # without JavaScript: a redirect back to the list
    html = client.post(f"/rencontres/{meetup.id}/accueil/{awa.id}")
    assert html.status_code == 302 and f"#r{awa.id}" in html.headers["Location"]


def test_search_by_name_ignores_accents_and_case(
    client, auth, make_organiser, make_member, make_meetup, register
):
    claire = make_organiser()
    meetup = _tonight(make_meetup, organiser=claire)
    register(meetup, make_member("Hélène Rousseau"))
    register(meetup, make_member("Paul Nguyen"))
    auth.login_as(claire)
    page = client.get(f"/rencontres/{meetup.id}/accueil?q=helene")
    assert "Hélène Rousseau" in page.text and "Paul Nguyen" not in page.text


def test_someone_not_registered_is_offered_as_walk_in(
    client, auth, db, make_organiser, make_member, make_meetup, register, outbox
):
    claire = make_organiser()
    meetup = _tonight(make_meetup, organiser=claire, capacity=1)
    register(meetup, make_member("Inscrite"))
    auth.login_as(claire)
    page = client.get(f"/rencontres/{meetup.id}/accueil?q=Mamadou Keita")
    assert "Personne d’inscrit à ce nom." in page.text
    assert 'value="Mamadou Keita"' in page.text  # the walk-in form is ready
    response = client.post(
        f"/rencontres/{meetup.id}/accueil/sur-place",
        data={"name": "Mamadou Keita", "email": "mamadou@exemple.fr", "guests": "0"},
        headers=JSON,
    )
    assert response.get_json()["ok"]
    walk_in = db.session.scalar(select(Registration).where(Registration.is_walk_in.is_(True)))
    # walk-ins are in the room: capacity does not stop them
    assert walk_in.status == "confirmed" and walk_in.checked_in_at is not None
    [mail] = outbox.to("mamadou@exemple.fr")
    assert "/rencontres/inscription/" in mail.body_text  # their link to commit support later


def test_cancelled_registration_at_the_door_is_offered_as_walk_in(
    client, auth, make_organiser, make_member, make_meetup, register
):
    claire = make_organiser()
    meetup = _tonight(make_meetup, organiser=claire)
    gone = register(meetup, make_member("Karim"), status="cancelled")
    auth.login_as(claire)
    response = client.post(f"/rencontres/{meetup.id}/accueil/{gone.id}", headers=JSON)
    payload = response.get_json()
    assert response.status_code == 409 and payload["walk_in"] is True
    assert "avait annulé" in payload["message"]


def test_walk_in_with_a_registered_address_checks_in_that_registration(
    client, auth, db, make_organiser, make_member, make_meetup, register
):
    claire = make_organiser()
    meetup = _tonight(make_meetup, organiser=claire)
    awa = make_member("Awa", email="awa@exemple.fr")
    registration = register(meetup, awa, status="waiting")
    auth.login_as(claire)
    client.post(
        f"/rencontres/{meetup.id}/accueil/sur-place",
        data={"name": "Awa", "email": "awa@exemple.fr", "guests": "0"},
    )
    assert len(db.session.scalars(select(Registration)).all()) == 1
    db.session.refresh(registration)
    assert registration.checked_in_at is not None and registration.status == "confirmed"


def test_door_opens_on_the_day(client, auth, make_organiser, make_member, make_meetup, register):
    claire = make_organiser()
    meetup = make_meetup(organiser=claire, starts_in=timedelta(days=3))
    awa = register(meetup, make_member())
    auth.login_as(claire)
    response = client.post(f"/rencontres/{meetup.id}/accueil/{awa.id}", headers=JSON)
    assert (
        response.status_code == 409 and "L'accueil ouvre le jour" in response.get_json()["message"]
    )


def test_participations_count_check_ins_with_guests_per_period_and_group(
    db, make_meetup, make_member, make_group, register
):
    group = make_group("Restauration")
    now = utcnow()
    past = make_meetup(starts_in=timedelta(days=-40))
    in_group = make_meetup(starts_in=timedelta(days=-5), group=group)
    register(past, make_member(), guests=2, checked_in=True)
    register(past, make_member(), checked_in=False)
    register(in_group, make_member(), checked_in=True)
    register(in_group, name="Sur place", walk_in=True, checked_in=True)
    from tremplin.meetups.impact import meetups_held

    assert checkin.participations() == 5
    assert checkin.participations(now - timedelta(days=10), now) == 2
    assert checkin.participations(group_id=group.id) == 2
    assert meetups_held() == 2
    assert checkin.attendance_of(past) == 3


def test_other_phones_at_the_door_hear_of_each_arrival(
    app, client, auth, db, make_organiser, make_member, make_meetup, register, socket_client
):
    claire, lakdar = make_organiser("Claire"), make_organiser("Lakdar")
    meetup = _tonight(make_meetup, organiser=claire)
    awa = register(meetup, make_member("Awa Diallo"))
    other_phone = socket_client(lakdar)
    assert other_phone.call("meetups:door", {"meetup": meetup.id}, timeout=5) == {"ok": True}
    stranger = socket_client(make_member("Curieux"))
    assert stranger.call("meetups:door", {"meetup": meetup.id}, timeout=5)["ok"] is False
    auth.login_as(claire)
    client.post(f"/rencontres/{meetup.id}/accueil/{awa.id}", headers=JSON)
    event = wait_for(
        lambda: next((d for e, d in other_phone.received if e == "meetups:checkin"), None)
    )
    assert event == {
        "id": awa.id,
        "checked_in": True,
        "name": "Awa Diallo",
        "present": 1,
        "expected": 1,
    }
    assert not [e for e, _d in stranger.received if e == "meetups:checkin"]


def test_check_in_page_statement_count_does_not_grow(
    client, auth, make_organiser, make_member, make_meetup, register, count_statements
):
    claire = make_organiser()
    small, big = _tonight(make_meetup, organiser=claire), _tonight(make_meetup, organiser=claire)
    register(small, make_member())
    for i in range(15):
        register(big, make_member(), guests=i % 2)
        register(big, name=f"Visiteur {i}")
    auth.login_as(claire)
    counts = []
    for meetup in (small, big):
        client.get(f"/rencontres/{meetup.id}/accueil")
        with count_statements() as counter:
            client.get(f"/rencontres/{meetup.id}/accueil")
        counts.append(counter.count)
    assert counts[0] == counts[1] and counts[1] <= 20, counts
