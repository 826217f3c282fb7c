"""Registering: members RSVP, visitors confirm by e-mail, guests count, the waiting list
moves up by itself, and each registration is in the member's calendar (.ics)."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tremplin.meetups import registrations as services
from tremplin.meetups.models import Registration
from tremplin.platform.errors import DomainError
from tremplin.platform.models import Notification


def _status(db, registration):
    db.session.refresh(registration)
    return registration.status


def test_member_rsvps_once_and_cancels(client, auth, db, make_member, make_meetup):
    meetup = make_meetup("Café Projets", capacity=10)
    awa = auth.login_as(make_member("Awa"))
    response = client.post(
        f"/rencontres/{meetup.id}/inscription", data={"guests": "1"}, follow_redirects=True
    )
    assert "vous êtes inscrit·e" in response.text
    assert "8 places restantes" in response.text  # Awa and her guest
    again = client.post(
        f"/rencontres/{meetup.id}/inscription", data={"guests": "0"}, follow_redirects=True
    )
    assert "Vous êtes déjà inscrit·e à cette rencontre." in again.text
    assert db.session.scalar(select(Registration).where(Registration.user_id == awa.id)).guests == 1
    assert len(db.session.scalars(select(Registration)).all()) == 1
    client.post(f"/rencontres/{meetup.id}/desinscription")
    assert db.session.scalar(select(Registration)).status == "cancelled"
    # coming back after cancelling works
    client.post(f"/rencontres/{meetup.id}/inscription", data={"guests": "0"})
    assert db.session.scalar(select(Registration)).status == "confirmed"


def test_past_capacity_goes_to_waiting_list_and_promotes_on_cancellation(
    app, client, auth, db, make_member, make_meetup, outbox
):
    meetup = make_meetup("Atelier pitch", capacity=3)
    awa, karim, lucie, moussa = (make_member(n) for n in ("Awa", "Karim", "Lucie", "Moussa"))
    with app.test_request_context():
        first = services.register_member(awa, meetup, guests=1)  # 2 seats
        second = services.register_member(karim, meetup)  # 3rd seat
        third = services.register_member(lucie, meetup, guests=1)  # needs 2: waits
        fourth = services.register_member(moussa, meetup)  # needs 1: waits behind Lucie
        db.session.commit()
    assert [r.status for r in (first, second, third, fourth)] == [
        "confirmed",
        "confirmed",
        "waiting",
        "waiting",
    ]
    assert services.counts_for([meetup.id])[meetup.id].waiting == 3

    # Karim leaves: one seat; Lucie (2 people) does not fit, Moussa (1) does and goes in.
    with app.test_request_context():
        promoted = services.cancel_registration(second)
        db.session.commit()
    assert promoted == [fourth]
    assert _status(db, third) == "waiting" and _status(db, fourth) == "confirmed"
    note = db.session.scalar(select(Notification).where(Notification.user_id == moussa.id))
    assert "Une place s'est libérée" in note.text

    # Awa leaves: two seats, Lucie and her guest go in.
    with app.test_request_context():
        services.cancel_registration(first)
        db.session.commit()
    assert _status(db, third) == "confirmed"
    assert services.seats_taken(meetup) == 3


def test_raising_capacity_promotes_the_waiting_list(
    client, auth, db, make_organiser, make_member, make_meetup, register
):
    claire = make_organiser()
    meetup = make_meetup("Soirée", organiser=claire, capacity=1)
    register(meetup, make_member())
    waiting = register(meetup, make_member(), status="waiting")
    from tremplin.meetups.routes import services as meetups

    with client.application.test_request_context():
        details = meetups.MeetupDetails(
            title=meetup.title,
            starts_at=meetup.starts_at,
            ends_at=meetup.ends_at,
            venue_name="Mairie",
            capacity=2,
        )
        meetups.update_meetup(claire, meetup, details)
        db.session.commit()
    assert _status(db, waiting) == "confirmed"


def test_guests_count_against_capacity(app, client, auth, db, make_member, make_meetup):
    meetup = make_meetup("Petite salle", capacity=4)
    awa = make_member("Awa")
    auth.login_as(awa)
    client.post(f"/rencontres/{meetup.id}/inscription", data={"guests": "2"})
    other = make_member("Karim")
    with app.test_request_context():
        services.register_member(other, meetup)
        db.session.commit()
    response = client.post(
        f"/rencontres/{meetup.id}/accompagnants", data={"guests": "3"}, follow_redirects=True
    )
    assert (
        "Il ne reste plus de place pour des invités : rien n&#39;a changé." in response.text
        or "Il ne reste plus de place pour des invités : rien n'a changé." in response.text
    )
    assert db.session.scalar(select(Registration).where(Registration.user_id == awa.id)).guests == 2
    too_many = client.post(
        f"/rencontres/{meetup.id}/accompagnants", data={"guests": "9"}, follow_redirects=True
    )
    assert "De 0 à 5 personnes." in too_many.text


def test_visitor_registers_with_confirmation_link(client, db, make_meetup, outbox):
    meetup = make_meetup("Café Projets : MicroDON", capacity=20)
    response = client.post(
        f"/rencontres/{meetup.id}/inscription-sans-compte",
        data={"name": "Jeanne Martin", "email": "Jeanne@Exemple.fr", "guests": "1"},
    )
    assert response.status_code == 200 and "jeanne@exemple.fr" in response.text
    registration = db.session.scalar(select(Registration))
    assert registration.status == "pending" and registration.user_id is None
    assert services.seats_taken(meetup) == 0  # nothing held until the link is opened
    [mail] = outbox.to("jeanne@exemple.fr")
    assert "Confirmez votre inscription" in mail.subject and "Jeanne Martin" in mail.body_text
    link = outbox.last_link("jeanne@exemple.fr", "/rencontres/inscription/confirmer/")
    page = client.get(link, follow_redirects=True)
    assert "Votre inscription est confirmée." in page.text
    assert _status(db, registration) == "confirmed"
    assert services.seats_taken(meetup) == 2
    # opening the link again changes nothing
    client.get(link, follow_redirects=True)
    assert services.seats_taken(meetup) == 2
    # the manage link (in the confirmation mail) cancels
    manage = outbox.last_link("jeanne@exemple.fr", "/rencontres/inscription/")
    token = manage.rsplit("/", 1)[1]
    client.post(f"/rencontres/inscription/{token}/annuler")
    assert _status(db, registration) == "cancelled"


def test_visitor_registering_twice_gets_a_reminder_not_a_duplicate(
    client, db, make_meetup, outbox, register
):
    meetup = make_meetup("Café Projets")
    register(meetup, name="Jeanne", email="jeanne@exemple.fr")
    response = client.post(
        f"/rencontres/{meetup.id}/inscription-sans-compte",
        data={"name": "Jeanne", "email": "jeanne@exemple.fr"},
    )
    assert response.status_code == 200  # same answer as a first registration
    assert len(db.session.scalars(select(Registration)).all()) == 1
    [mail] = outbox.to("jeanne@exemple.fr")
    assert "déjà inscrite" in mail.body_text and "/rencontres/inscription/" in mail.body_text


def test_visitor_past_capacity_waits_after_confirming(
    client, db, make_meetup, make_member, register, outbox
):
    meetup = make_meetup("Complet", capacity=1)
    register(meetup, make_member())
    client.post(
        f"/rencontres/{meetup.id}/inscription-sans-compte",
        data={"name": "Paul Visiteur", "email": "paul@exemple.fr"},
    )
    link = outbox.last_link("paul@exemple.fr", "/confirmer/")
    page = client.get(link, follow_redirects=True)
    assert "liste d’attente" in page.text
    assert (
        db.session.scalar(
            select(Registration).where(Registration.email == "paul@exemple.fr")
        ).status
        == "waiting"
    )


def test_bad_and_expired_links(client, db, make_meetup, register, app):
    meetup = make_meetup()
    registration = register(meetup, name="Jeanne", email="j@exemple.fr", status="pending")
    assert client.get("/rencontres/inscription/confirmer/n-importe-quoi").status_code == 400
    assert client.get("/rencontres/inscription/abc").status_code == 400
    with app.test_request_context():
        from tremplin.meetups.notices import registration_token

        token = registration_token(registration)
    registration.link_nonce = "autre"
    db.session.commit()
    assert client.get(f"/rencontres/inscription/confirmer/{token}").status_code == 400


def test_visitors_cannot_register_for_a_private_group_meetup(client, make_group, make_meetup):
    meetup = make_meetup(group=make_group(visibility="private"))
    response = client.post(
        f"/rencontres/{meetup.id}/inscription-sans-compte",
        data={"name": "Jeanne", "email": "j@exemple.fr"},
    )
    assert response.status_code == 403


def test_member_claims_the_registration_made_as_a_visitor(
    app, db, make_member, make_meetup, register
):
    meetup = make_meetup()
    visitor = register(meetup, name="Awa", email="awa@exemple.fr")
    awa = make_member("Awa Diallo", email="awa@exemple.fr")
    with app.test_request_context():
        registration = services.register_member(awa, meetup)
        db.session.commit()
    assert registration.id == visitor.id and registration.user_id == awa.id
    with app.test_request_context(), pytest.raises(DomainError, match="déjà inscrit"):
        services.register_member(awa, meetup)


def test_ics_file_parses_back(client, db, make_meetup):
    meetup = make_meetup("Café Projets : Arborescences", agenda=[(20, "Pitch")])
    response = client.get(f"/rencontres/{meetup.id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Café Projets : Arborescences"
    assert event.decoded("dtstart") == meetup.starts_at
    assert event.decoded("dtend") == meetup.ends_at
    assert "Mairie du 3e" in str(event["location"])
    assert str(event["uid"]).startswith(f"meetup-{meetup.id}@")
    assert str(event["status"]) == "CONFIRMED" and int(event["sequence"]) == 0
    assert str(calendar["version"]) == "2.0" and "PRODID" in calendar


def test_draft_has_no_ics(client, make_meetup):
    meetup = make_meetup(state="draft")
    assert client.get(f"/rencontres/{meetup.id}.ics").status_code == 404


def test_member_calendar_feed_has_their_meetups_behind_a_secret_url(
    client, auth, db, make_member, make_meetup, register
):
    awa = make_member("Awa")
    mine, waiting = make_meetup("La mienne"), make_meetup("En attente")
    make_meetup("Autre")  # not registered: not in the feed
    register(mine, awa)
    register(waiting, awa, status="waiting")
    auth.login_as(awa)
    page = client.get("/rencontres/mon-agenda")
    url = re.search(r'value="(http[^"]+\.ics)"', page.text).group(1)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    auth.logout()
    feed = client.get(path)
    assert feed.status_code == 200
    summaries = sorted(str(e["summary"]) for e in Calendar.from_ical(feed.data).walk("VEVENT"))
    assert summaries == ["La mienne", "[liste d'attente] En attente"]
    assert client.get("/rencontres/agenda/pas-le-bon-jeton.ics").status_code == 404
    # a new address revokes the old one
    auth.login_as(awa)
    client.post("/rencontres/mon-agenda/nouvelle-adresse")
    auth.logout()
    assert client.get(path).status_code == 404
