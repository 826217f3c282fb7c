"""Writing through the API: RSVP, offering help, posting in a channel, marking
notifications read — through the modules' services, under the same policies as the site."""

from __future__ import annotations

import threading

import requests
from sqlalchemy import func, select

from tremplin.groups.models import Message
from tremplin.meetups.models import Registration
from tremplin.members.models import HelpOffer
from tremplin.platform.models import Notification


def test_member_rsvps_and_then_sees_the_registration(
    client, make_member, make_token, bearer, make_meetup
):
    awa = make_member("Awa")
    token = make_token(awa, scopes=["rsvp", "read"])
    meetup = make_meetup("Café Projets", capacity=1)

    answer = client.post(
        f"/api/v1/meetups/{meetup.id}/registrations", json={"guests": 0}, headers=bearer(token)
    )

    assert answer.status_code == 201 and answer.get_json()["status"] == "confirmed"
    again = client.post(
        f"/api/v1/meetups/{meetup.id}/registrations", json={"guests": 0}, headers=bearer(token)
    )
    assert again.status_code == 409 and "déjà inscrit" in again.get_json()["detail"]
    mine = client.get("/api/v1/me/registrations", headers=bearer(token)).get_json()["items"]
    assert [r["meetup"]["id"] for r in mine] == [meetup.id]

    bruno = make_token(make_member("Bruno"), scopes=["rsvp"])
    waiting = client.post(
        f"/api/v1/meetups/{meetup.id}/registrations", json={"guests": 0}, headers=bearer(bruno)
    )
    assert waiting.get_json()["status"] == "waiting"


def test_rsvp_validation_and_private_meetups(
    client, make_member, make_token, bearer, make_meetup, make_group
):
    token = make_token(make_member("Awa"), scopes=["rsvp"])
    meetup = make_meetup()
    bad = client.post(
        f"/api/v1/meetups/{meetup.id}/registrations", json={"guests": 99}, headers=bearer(token)
    )
    assert bad.status_code == 400 and "guests" in bad.get_json()["errors"]
    unknown = client.post(
        f"/api/v1/meetups/{meetup.id}/registrations", json={"invités": 1}, headers=bearer(token)
    )
    assert unknown.status_code == 400
    private = make_meetup(group=make_group(visibility="private"))
    hidden = client.post(
        f"/api/v1/meetups/{private.id}/registrations", json={"guests": 0}, headers=bearer(token)
    )
    assert hidden.status_code == 404


def test_two_simultaneous_rsvps_make_one_registration(
    app, live_server, make_member, make_token, make_meetup, db
):
    token = make_token(make_member("Awa"), scopes=["rsvp"])
    meetup = make_meetup(capacity=10)
    url = f"{live_server.url}/api/v1/meetups/{meetup.id}/registrations"
    codes = []

    def rsvp():
        answer = requests.post(
            url, json={"guests": 0}, headers={"Authorization": f"Bearer {token}"}, timeout=20
        )
        codes.append(answer.status_code)

    threads = [threading.Thread(target=rsvp) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == [201, 409]
    db.session.expire_all()
    count = db.session.scalar(
        select(func.count(Registration.id)).where(Registration.meetup_id == meetup.id)
    )
    assert count == 1


def test_member_offers_help_on_a_need(
    client, make_member, make_project, make_need, make_token, bearer, db
):
    owner, helper = make_member("Nadia"), make_member("Karim")
    need = make_need(make_project(owner), title="Un local")
    token = make_token(helper, scopes=["help"])

    short = client.post(
        f"/api/v1/needs/{need.id}/offers", json={"message": "Oui"}, headers=bearer(token)
    )
    assert short.status_code == 400
    nul = client.post(
        f"/api/v1/needs/{need.id}/offers",
        json={"message": "Un local libre\x00 le mardi"},
        headers=bearer(token),
    )
    assert nul.status_code == 400  # PostgreSQL cannot store it: refused, not a 500
    answer = client.post(
        f"/api/v1/needs/{need.id}/offers",
        json={"message": "J'ai un local libre le mardi à Montreuil."},
        headers=bearer(token),
    )
    assert answer.status_code == 201
    offer = db.session.get(HelpOffer, answer.get_json()["id"])
    assert offer.helper_id == helper.id and offer.need_id == need.id
    twice = client.post(
        f"/api/v1/needs/{need.id}/offers",
        json={"message": "J'ai un local libre le mardi à Montreuil."},
        headers=bearer(token),
    )
    assert twice.status_code == 409
    own = make_token(owner, scopes=["help"])
    assert (
        client.post(
            f"/api/v1/needs/{need.id}/offers",
            json={"message": "Je m'aide moi-même, pourquoi pas ?"},
            headers=bearer(own),
        ).status_code
        == 409
    )


def test_member_posts_only_in_channels_of_their_groups(
    client, make_member, make_group, make_token, bearer, db
):
    awa, outsider = make_member("Awa"), make_member("Zoé")
    group = make_group("Restauration", members=[awa])
    private = make_group("Cercle", visibility="private")
    channel, secret = group.channels[0], private.channels[0]

    token = make_token(awa, scopes=["chat"])
    answer = client.post(
        f"/api/v1/channels/{channel.id}/messages", json={"body": "Bonjour !"}, headers=bearer(token)
    )
    assert answer.status_code == 201
    assert db.session.get(Message, answer.get_json()["id"]).author_id == awa.id

    stranger = make_token(outsider, scopes=["chat"])
    refused = client.post(
        f"/api/v1/channels/{channel.id}/messages", json={"body": "Coucou"}, headers=bearer(stranger)
    )
    assert refused.status_code == 403  # may read a public group, may not write before joining
    hidden = client.post(
        f"/api/v1/channels/{secret.id}/messages", json={"body": "Coucou"}, headers=bearer(token)
    )
    assert hidden.status_code == 404


def test_marking_notifications_read(client, make_member, make_token, bearer, db):
    from tremplin.platform.notifications import notify

    awa, bruno = make_member("Awa"), make_member("Bruno")
    with client.application.test_request_context():
        first = notify(awa, "groups_mention", "Vous êtes mentionnée", "/groupes")
        notify(awa, "groups_mention", "Encore une", "/groupes")
        theirs = notify(bruno, "groups_mention", "Pour Bruno", "/groupes")
    db.session.commit()
    token = make_token(awa, scopes=["notifications", "read"])

    some = client.post(
        "/api/v1/me/notifications/read", json={"ids": [first.id, theirs.id]}, headers=bearer(token)
    )
    assert some.get_json() == {"marked": 1}
    everything = client.post(  # no ids: all of mine
        "/api/v1/me/notifications/read",
        data="{}",
        content_type="application/json",
        headers=bearer(token),
    )
    assert everything.get_json() == {"marked": 1}
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None
    listed = client.get("/api/v1/me/notifications", headers=bearer(token)).get_json()["items"]
    assert {n["text"] for n in listed} == {"Vous êtes mentionnée", "Encore une"}
    assert all(n["read_at"] for n in listed)
