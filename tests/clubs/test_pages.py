"""The club pages as members use them: forms with their CSRF token, clear refusals that
change nothing, the navigation entry, the "Mon club" panel, e-mail kinds, and dashboards
that load in a fixed number of statements."""

from __future__ import annotations

from sqlalchemy import func, select

from tremplin.funding.clubs import votes
from tremplin.funding.clubs.models import ClubBallot, ClubMembership, InvestorClub


def plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


FOUNDING = {
    "name": "Cigales de Belleville",
    "territory": "Paris 20e",
    "departement": "75",
    "theme": "",
    "description": "Épargner ensemble pour le quartier.",
    "charter": "",
    "is_public": "y",
    "quorum_percent": "50",
    "majority": "simple",
    "voting_days": "7",
    "is_secret_ballot": "y",
    "min_saving": "7,50",
    "max_saving": "450",
    "yearly_cap": "5 500",
    "payment_day": "5",
    "natural_person": "y",
}


def test_founding_a_club_through_the_form(db, client, auth, make_member):
    auth.login_as(make_member("Fondatrice"))
    response = client.post("/clubs/fonder", data=FOUNDING)
    assert response.status_code == 302
    club = db.session.scalar(select(InvestorClub))
    assert (club.name, club.is_public, club.min_saving_cents, club.yearly_cap_cents) == (
        "Cigales de Belleville",
        True,
        750,
        550_000,
    )


def test_founding_with_impossible_rules_is_refused_with_a_message(db, client, auth, make_member):
    auth.login_as(make_member("Fondatrice"))
    page = client.post("/clubs/fonder", data={**FOUNDING, "max_saving": "5", "min_saving": "10"})
    assert page.status_code == 400
    assert "au moins égal au minimum" in page.text
    page = client.post("/clubs/fonder", data={**FOUNDING, "natural_person": ""})
    assert page.status_code == 400 and "personnes physiques" in page.text
    assert db.session.scalar(select(func.count(InvestorClub.id))) == 0


def test_forms_without_their_csrf_token_are_refused(db, client, auth, make_member, make_club):
    auth.login_as(make_member("Fondatrice"))
    assert client.post("/clubs/fonder", data=FOUNDING, csrf=False).status_code == 400
    club = make_club()
    auth.login_as(club.people[1])
    response = client.post(f"/clubs/{club.id}/epargne", data={"monthly": "20"}, csrf=False)
    assert response.status_code == 400


def test_inviting_and_approving_through_the_pages(db, client, auth, make_club, make_member):
    club = make_club(members=3, active=False, is_public=True)
    gerant = club.people[0]
    auth.login_as(gerant)
    unknown = client.post(f"/clubs/{club.id}/inviter", data={"email": "personne@exemple.fr"})
    assert unknown.status_code == 400 and "Aucun membre du réseau" in unknown.text
    invitee = make_member("Invitée", email="invitee@exemple.fr")
    assert (
        client.post(f"/clubs/{club.id}/inviter", data={"email": "Invitee@exemple.fr"}).status_code
        == 302
    )
    asker = make_member("Demandeuse")
    auth.login_as(asker)
    refused = client.post(f"/clubs/{club.id}/rejoindre", data={"message": "Bonjour"})
    assert refused.status_code == 400 and "personnes physiques" in plain(refused.text)
    client.post(f"/clubs/{club.id}/rejoindre", data={"message": "Bonjour", "natural_person": "y"})
    request = db.session.scalar(select(ClubMembership).where(ClubMembership.user_id == asker.id))
    assert request.state == "requested"
    assert client.post(f"/clubs/{club.id}/demandes/{request.id}/accepter").status_code == 403
    auth.login_as(gerant)
    client.post(f"/clubs/{club.id}/demandes/{request.id}/accepter")
    db.session.refresh(request)
    assert request.state == "active"
    auth.login_as(invitee)
    page = client.post(f"/clubs/{club.id}/invitation", data={"answer": "accept"})
    assert page.status_code == 400  # the natural-person box was not ticked
    client.post(f"/clubs/{club.id}/invitation", data={"answer": "accept", "natural_person": "y"})
    assert client.get(f"/clubs/{club.id}").status_code == 200


def test_activating_below_five_members_shows_why_and_changes_nothing(db, client, auth, make_club):
    club = make_club(members=2, active=False)
    auth.login_as(club.people[0])
    page = client.post(f"/clubs/{club.id}/etapes/activer", data={"confirm": "y"})
    assert page.status_code == 400
    assert "au moins 5 membres" in page.text and "il en compte 3" in page.text
    db.session.refresh(club)
    assert club.state == "forming"


def test_a_21st_invitation_through_the_page_suggests_founding_a_new_club(
    db, client, auth, make_club, make_member
):
    club = make_club(members=19)
    make_member("Vingt-et-unième", email="vingt-et-un@exemple.fr")
    auth.login_as(club.people[0])
    page = client.post(f"/clubs/{club.id}/inviter", data={"email": "vingt-et-un@exemple.fr"})
    assert page.status_code == 400 and "fonder un nouveau club" in page.text
    assert (
        db.session.scalar(
            select(func.count(ClubMembership.id)).where(ClubMembership.club_id == club.id)
        )
        == 20
    )


def test_voting_through_the_page_once_and_only_once(
    db, client, auth, make_club, club_call, make_member
):
    club = make_club()
    vote = club_call(
        votes.open_vote,
        club,
        club.people[0],
        votes.VoteFields(kind="motion", title="Nouvelle banque"),
    )
    auth.login_as(club.people[1])
    page = client.get(f"/clubs/{club.id}/votes/{vote.id}")
    assert "Mon vote" in page.text and 'value="pour"' in page.text
    assert (
        client.post(f"/clubs/{club.id}/votes/{vote.id}", data={"choice": "pour"}).status_code == 302
    )
    second = client.post(f"/clubs/{club.id}/votes/{vote.id}", data={"choice": "contre"})
    assert second.status_code == 400 and "Vous avez déjà voté" in second.text
    assert db.session.scalar(select(func.count(ClubBallot.id))) == 1
    auth.login_as(make_member("Intruse"))
    assert (
        client.post(f"/clubs/{club.id}/votes/{vote.id}", data={"choice": "pour"}).status_code == 404
    )


def test_opening_a_vote_is_for_the_gerant(db, client, auth, make_club, make_application):
    club = make_club()
    application = make_application(club)
    auth.login_as(club.people[2])
    assert client.get(f"/clubs/{club.id}/votes/nouveau").status_code == 403
    auth.login_as(club.people[0])
    response = client.post(
        f"/clubs/{club.id}/votes/nouveau",
        data={
            "kind": "application",
            "application_id": application.id,
            "role": "tresorier",
            "candidate_id": 0,
            "title": "",
            "motion": "Lisez le plan.",
        },
    )
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.state == "under_vote"


def test_a_project_applies_through_the_public_card(
    db, client, auth, make_club, make_member, make_project
):
    from tremplin.funding.clubs.models import ClubApplication

    club = make_club(is_public=True)
    karim = make_member("Karim")
    project = make_project(karim, title="Éco-retoucherie")
    auth.login_as(karim)
    assert "Présenter mon projet" in client.get(f"/clubs/{club.id}/carte").text
    short = client.post(
        f"/clubs/{club.id}/candidater",
        data={
            "project_id": project.id,
            "amount": "2500",
            "instrument": "parts_sociales",
            "plan": "Court.",
        },
    )
    assert short.status_code == 400 and "30 caractères" in short.text
    done = client.post(
        f"/clubs/{club.id}/candidater",
        data={
            "project_id": project.id,
            "amount": "2 500",
            "instrument": "parts_sociales",
            "plan": "Acheter deux machines à coudre industrielles et une surjeteuse.",
        },
    )
    assert done.status_code == 302
    assert db.session.scalar(select(ClubApplication.amount_cents)) == 250_000


def test_the_nav_item_panel_and_email_kinds(db, client, auth, make_club):
    from tremplin.platform.hooks import registry

    assert "clubs.index" in {item.endpoint for item in registry.nav_items}
    assert {
        "clubs_votes",
        "clubs_savings",
        "clubs_membership",
        "clubs_applications",
        "clubs_portfolio",
    } <= set(registry.email_kinds)
    assert "Clubs d’investisseurs" in client.get("/clubs").text
    club = make_club(name="Cigales du canal")
    auth.login_as(club.people[2])
    home = client.get("/")
    assert "Mon club" in home.text and "Cigales du canal" in home.text


def test_vote_notifications_reach_members_by_email_when_they_consented(
    db, make_club, club_call, outbox
):
    from tremplin.platform.notifications import set_consents

    club = make_club()
    set_consents(club.people[1], ["clubs_votes"])
    db.session.commit()
    club_call(
        votes.open_vote,
        club,
        club.people[0],
        votes.VoteFields(kind="motion", title="Sortie au musée"),
    )
    mails = outbox.to(club.people[1].email)
    assert len(mails) == 1 and "Sortie au musée" in mails[0].body_text
    assert "Un membre, une voix" in mails[0].body_text
    assert outbox.to(club.people[2].email) == []  # no consent, no e-mail (the notification stays)


def test_the_dashboard_loads_in_a_fixed_number_of_statements(
    db,
    client,
    auth,
    make_club,
    pay_in,
    club_call,
    accepted_application,
    make_application,
    count_statements,
):
    """However many members, investments, votes and applications: the same statements."""
    from tremplin.funding.clubs import investments

    def fill(club, investments_count, votes_count, pending_count):
        for person in club.people:
            pay_in(club, person, 20_000)
        for _ in range(investments_count):
            application = accepted_application(club, amount_cents=10_000)
            club_call(
                investments.record_investment,
                club,
                club.people[0],
                application,
                investments.InvestmentFields(
                    amount_cents=10_000,
                    instrument="pret_honneur",
                    legal_form="ei",
                    companion_ids=[club.people[1].id, club.people[2].id],
                ),
            )
        for n in range(votes_count):
            club_call(
                votes.open_vote,
                club,
                club.people[0],
                votes.VoteFields(kind="motion", title=f"Vote {n}"),
            )
        for _ in range(pending_count):
            make_application(club)
        return club

    def counted(club):
        auth.login_as(club.people[1])
        client.get(f"/clubs/{club.id}")  # closes due votes, warms the session
        with count_statements() as counter:
            assert client.get(f"/clubs/{club.id}").status_code == 200
        return counter.count

    small = fill(make_club(members=4), 1, 1, 1)
    big = fill(make_club(members=14), 4, 3, 3)
    assert counted(big) == counted(small) <= 30


def test_pages_render_in_english_too(db, client, auth, make_club):
    club = make_club()
    auth.login_as(club.people[0])
    client.post("/langue", data={"lang": "en", "next": "/"})
    for suffix in ["", "/epargne", "/tresorerie", "/votes", "/portefeuille", "/membres", "/etapes"]:
        assert client.get(f"/clubs/{club.id}{suffix}").status_code == 200, suffix


def test_leaving_is_confirmed(db, client, auth, make_club):
    club = make_club()
    auth.login_as(club.people[3])
    client.post(f"/clubs/{club.id}/quitter", data={})
    assert (
        db.session.scalar(
            select(ClubMembership.state).where(ClubMembership.user_id == club.people[3].id)
        )
        == "active"
    )
    client.post(f"/clubs/{club.id}/quitter", data={"confirm": "y"})
    assert (
        db.session.scalar(
            select(ClubMembership.state).where(ClubMembership.user_id == club.people[3].id)
        )
        == "left"
    )
