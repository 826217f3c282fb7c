"""A club's pages, money, votes, minutes, documents and private conversation are for its
members only — over HTTP, over the socket and in search. Only the card a club chooses
to publish is shown to others."""

from __future__ import annotations

import io

import pytest

from tests.kit.factories_clubs import pdf_bytes
from tests.kit.live import wait_for
from tremplin.funding.clubs import clubs as club_services
from tremplin.funding.clubs import votes

MEMBER_PAGES = [
    "",
    "/membres",
    "/epargne",
    "/tresorerie",
    "/candidatures",
    "/votes",
    "/portefeuille",
    "/reglement",
    "/etapes",
    "/repartition",
    "/discussion",
    "/votes/nouveau",
    "/investissements/nouveau",
]


@pytest.fixture
def private_club(make_club, pay_in, club_call, accepted_application):
    club = make_club(name="Cigales confidentielles")
    pay_in(club, club.people[1], 12_345)
    application = accepted_application(club, amount_cents=5_000)
    vote = club_call(
        votes.open_vote,
        club,
        club.people[0],
        votes.VoteFields(kind="motion", title="Une décision discrète"),
    )
    club.application, club.vote = application, vote
    return club


@pytest.mark.parametrize("suffix", MEMBER_PAGES)
def test_a_non_member_never_sees_a_private_club(
    db, client, auth, make_member, private_club, suffix
):
    auth.login_as(make_member("Voisin curieux"))
    response = client.get(f"/clubs/{private_club.id}{suffix}")
    assert response.status_code == 404
    assert "Cigales confidentielles" not in response.text
    assert "123,45" not in response.text.replace("\u202f", "")


def test_an_organiser_of_the_site_does_not_see_a_clubs_money_either(
    db, client, auth, make_organiser, private_club
):
    auth.login_as(make_organiser("Animatrice"))
    assert client.get(f"/clubs/{private_club.id}/tresorerie").status_code == 404


def test_a_visitor_is_asked_to_log_in(db, client, private_club):
    response = client.get(f"/clubs/{private_club.id}")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_members_see_their_club_and_its_votes_and_minutes(db, client, auth, private_club):
    auth.login_as(private_club.people[3])
    for suffix in ["", "/tresorerie", f"/votes/{private_club.vote.id}", "/proces-verbaux/1"]:
        response = client.get(f"/clubs/{private_club.id}{suffix}")
        assert response.status_code == 200, suffix
    assert "Une décision discrète" in client.get(f"/clubs/{private_club.id}/votes").text


def test_a_published_card_is_public_but_the_club_inside_is_not(
    db, client, auth, make_member, make_club
):
    club = make_club(name="Cigales ouvertes", is_public=True)
    card = client.get(f"/clubs/{club.id}/carte")
    assert card.status_code == 200 and "Cigales ouvertes" in card.text
    assert club.people[1].display_name not in card.text  # members are never listed
    auth.login_as(make_member("Passante"))
    assert client.get(f"/clubs/{club.id}/tresorerie").status_code == 403
    private = make_club(name="Cigales fermées")
    assert client.get(f"/clubs/{private.id}/carte").status_code == 404


def test_left_members_lose_access(db, client, auth, private_club, club_call):
    leaver = private_club.people[4]
    club_call(club_services.leave, private_club, leaver)
    auth.login_as(leaver)
    assert client.get(f"/clubs/{private_club.id}").status_code == 404


def test_applicants_see_their_application_and_decision_but_not_the_club(
    db, client, auth, private_club
):
    application = private_club.application
    auth.login_as(application.project.owner)
    page = client.get(f"/clubs/{private_club.id}/candidatures/{application.id}")
    assert page.status_code == 200 and "Acceptée" in page.text
    assert "Une décision discrète" not in page.text
    assert client.get(f"/clubs/{private_club.id}/votes").status_code == 404


def test_documents_are_downloaded_by_members_and_the_applicant_only(
    db, client, auth, make_member, make_club, make_application
):
    from werkzeug.datastructures import FileStorage

    club = make_club()
    application = make_application(
        club, files=[FileStorage(io.BytesIO(pdf_bytes("Prévisionnel")), "prévisionnel 2026.pdf")]
    )
    document = application.documents[0]
    url = f"/clubs/{club.id}/documents/{document.id}"
    auth.login_as(make_member("Inconnue"))
    assert client.get(url).status_code == 404
    auth.login_as(application.project.owner)
    assert client.get(url).status_code == 200
    auth.login_as(club.people[2])
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_the_private_conversation_is_closed_to_non_members_over_the_socket(
    db, make_club, make_member, socket_client, club_call
):
    club = make_club()
    outsider, leaver = make_member("Dehors"), club.people[4]
    member = socket_client(club.people[1])
    stranger = socket_client(outsider)
    conversation_id = club.conversation_id
    assert member.call("conversation:join", {"conversation_id": conversation_id})["ok"] is True
    refused = stranger.call("conversation:join", {"conversation_id": conversation_id})
    assert refused["ok"] is False
    sent = stranger.call("message:send", {"conversation_id": conversation_id, "body": "coucou"})
    assert sent["ok"] is False
    history = stranger.call("history", {"conversation_id": conversation_id})
    assert history["ok"] is False
    # a member who leaves the club stops reading at once
    club_call(club_services.leave, club, leaver)
    gone = socket_client(leaver)
    assert gone.call("conversation:join", {"conversation_id": conversation_id})["ok"] is False
    posted = member.call(
        "message:send",
        {"conversation_id": conversation_id, "body": "Réunion mardi pour la candidature"},
    )
    assert posted["ok"] is True
    assert wait_for(
        lambda: any(
            name == "message:new" and "Réunion mardi" in str(data) for name, data in member.received
        ),
        timeout=3,
    )
    assert not any(
        "Réunion mardi" in str(data) for _name, data in stranger.received + gone.received
    )


def test_search_finds_published_cards_only(db, find, visitor, make_member, make_club, club_call):
    from tremplin.search.documents import registry

    assert "club" in registry.types  # search indexes the clubs' public cards
    hidden = make_club(name="Cigales Zanzibar discrètes", is_public=False)
    shown = make_club(name="Cigales Zanzibar ouvertes", is_public=True)
    for who in (visitor, make_member("Quelqu’un"), hidden.people[0]):
        assert find.keys(who, "Zanzibar") == {f"club:{shown.id}"}
    hits = find(visitor, "Zanzibar").items
    assert all(hidden.people[1].display_name not in str(hit.__dict__) for hit in hits)


def test_public_cards_list_only_published_clubs_and_no_member(db, app, make_club):
    from tremplin.funding.clubs import public_club_cards

    shown = make_club(name="Cigales visibles", is_public=True)
    make_club(name="Cigales invisibles")
    with app.test_request_context():
        cards = public_club_cards()
    assert [card["name"] for card in cards] == ["Cigales visibles"]
    card = cards[0]
    assert card["members_count"] == 5 and card["url"] == f"/clubs/{shown.id}/carte"
    assert not any(person.display_name in str(card) for person in shown.people)


def test_a_deleted_account_leaves_its_clubs_and_the_members_can_elect_a_new_gerant(
    db, app, make_club, pay_in, club_call, membership_of
):
    from tremplin.funding.clubs import fund, policies
    from tremplin.groups import can_read_conversation, conversation_for
    from tremplin.platform.hooks import registry

    club = make_club()
    gerant, member = club.people[0], club.people[1]
    pay_in(club, gerant, 3_000)
    with app.test_request_context():
        for erase in registry.on_account_deleted:
            erase(gerant)
        db.session.commit()
    gone = membership_of(club, gerant)
    assert (gone.state, gone.role) == ("left", "membre")
    assert fund.contributions(club.id)[gerant.id] == 3_000  # the accounts keep their share
    assert not can_read_conversation(gerant, conversation_for(club))
    db.session.expire_all()
    assert policies.can_open_vote(member, db.session.get(type(club), club.id))


def test_download_my_data_lists_my_clubs_savings_and_open_ballots_only(
    db, app, make_club, pay_in, club_call
):
    from tremplin.funding.clubs.privacy import export_member

    secret = make_club(is_secret_ballot=True)
    member = secret.people[1]
    pay_in(secret, member, 2_000)
    vote = club_call(
        votes.open_vote, secret, secret.people[0], votes.VoteFields(kind="motion", title="Secrète")
    )
    club_call(votes.cast, vote, member, "contre")
    exported = export_member(member)["investor_clubs"]
    assert exported["memberships"][0]["club"] == secret.name
    assert exported["memberships"][0]["payments"][0]["amount_cents"] == 2_000
    assert exported["open_ballots"] == []  # a secret ballot is linked to nobody, even here
