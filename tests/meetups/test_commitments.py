"""Support commitments: typed and quantified, followed from the promise to the delivery,
counted per meetup (the share of attendees who committed), exported for the accounts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

import tremplin.meetups as meetups_api
from tremplin.meetups import commitments as services
from tremplin.meetups.commitments import Offer
from tremplin.meetups.models import SupportCommitment
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.models import Notification


@pytest.fixture
def project_with_team(make_member, make_project):
    owner = make_member("Karim Benali")
    mate = make_member("Moussa Traoré")
    return make_project(owner, title="Éco-retoucherie", team=[mate]), owner, mate


def test_member_commits_from_the_project_and_the_team_follows_it(
    client, auth, db, make_member, project_with_team
):
    project, owner, _mate = project_with_team
    jean = make_member("Jean-Pierre Morel")
    auth.login_as(jean)
    form = client.get(f"/soutiens/projet/{project.id}/proposer")
    assert form.status_code == 200 and "Soutenir Éco-retoucherie" in form.text
    response = client.post(
        f"/soutiens/projet/{project.id}/proposer",
        data={
            "kind": "skills",
            "description": "Relire le business plan",
            "quantity": "6",
            "amount": "300",
            "meetup_id": "0",
        },
    )
    assert response.status_code == 302
    commitment = db.session.scalar(select(SupportCommitment))
    assert (
        commitment.kind,
        commitment.quantity,
        commitment.unit,
        commitment.amount_cents,
        commitment.state,
    ) == ("skills", 6, "hours", 30000, "proposed")
    note = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
    assert "Jean-Pierre Morel propose un soutien à Éco-retoucherie" in note.text

    # the supporter cannot accept their own support
    assert client.post(f"/soutiens/{commitment.id}/accepter").status_code == 302
    db.session.refresh(commitment)
    assert commitment.state == "proposed"

    auth.login_as(owner)
    page = client.get(f"/soutiens/projet/{project.id}")
    assert "Relire le business plan" in page.text and "Accepter" in page.text
    client.post(f"/soutiens/{commitment.id}/accepter")
    client.post(f"/soutiens/{commitment.id}/commencer")
    client.post(f"/soutiens/{commitment.id}/realise")
    db.session.refresh(commitment)
    assert commitment.state == "fulfilled" and commitment.fulfilled_at is not None
    assert [e.state for e in commitment.events] == [
        "proposed",
        "accepted",
        "in_progress",
        "fulfilled",
    ]
    texts = [
        n.text
        for n in db.session.scalars(select(Notification).where(Notification.user_id == jean.id))
    ]
    assert any("a accepté votre soutien" in t for t in texts)
    assert any("confirme que votre soutien est réalisé" in t for t in texts)
    # a delivered support cannot be cancelled any more
    response = client.post(f"/soutiens/{commitment.id}/annuler", follow_redirects=True)
    assert "Réalisé" in response.text and "ne peut pas passer" in response.text


def test_state_machine(app, db, make_member, project_with_team, make_commitment):
    project, owner, mate = project_with_team
    jean = make_member("Jean")
    allowed = {
        ("proposed", "accept"),
        ("proposed", "cancel"),
        ("accepted", "start"),
        ("accepted", "confirm_delivery"),
        ("accepted", "cancel"),
        ("in_progress", "confirm_delivery"),
        ("in_progress", "cancel"),
    }
    targets = {
        "accept": "accepted",
        "start": "in_progress",
        "confirm_delivery": "fulfilled",
        "cancel": "cancelled",
    }
    for state in ("proposed", "accepted", "in_progress", "fulfilled", "cancelled"):
        for action, target in targets.items():
            commitment = make_commitment(project, jean, state=state)
            with app.test_request_context():
                try:
                    getattr(services, action)(mate, commitment)
                    db.session.commit()
                    moved = True
                except DomainError:
                    db.session.rollback()
                    moved = False
            db.session.refresh(commitment)
            assert moved == ((state, action) in allowed), (state, action)
            assert commitment.state == (target if moved else state)


def test_who_may_move_a_commitment(app, db, make_member, project_with_team, make_commitment):
    project, owner, _mate = project_with_team
    jean, stranger = make_member("Jean"), make_member("Inconnu")
    commitment = make_commitment(project, jean)
    with app.test_request_context():
        with pytest.raises(NotAllowed):
            services.accept(jean, commitment)  # the supporter does not accept for the team
        with pytest.raises(NotAllowed):
            services.cancel(stranger, commitment)
        services.accept(owner, commitment)
        with pytest.raises(NotAllowed):
            services.confirm_delivery(jean, commitment)  # only the team confirms delivery
        services.start(jean, commitment)  # either side says it has begun
        services.cancel(jean, commitment, "Empêchement")  # the supporter may withdraw
    assert commitment.state == "cancelled" and commitment.cancel_reason == "Empêchement"


@pytest.mark.parametrize(
    "offer, message",
    [
        (Offer("skills", "Relecture", quantity=-3), "quantité positive"),
        (Offer("time", "Permanences", quantity=0), "quantité positive"),
        (Offer("skills", "Tout mon temps", quantity=100_000), "c'est beaucoup"),
        (Offer("premises", "Un local", quantity=None), "Indiquez combien"),
        (Offer("money", "Un don", amount_cents=-500), "ne peut pas être négatif"),
        (Offer("money", "Un don", amount_cents=0), "Indiquez le montant"),
        (Offer("money", "Un don", amount_cents=10**12), "dépasse un million"),
        (Offer("equipment", "x"), "quelques mots"),
        (Offer("helicopter", "Un hélicoptère"), "type de soutien"),
    ],
)
def test_bad_quantities_get_a_clear_message_and_change_nothing(
    app, db, make_member, project_with_team, offer, message
):
    project, *_ = project_with_team
    jean = make_member("Jean")
    with app.test_request_context(), pytest.raises(DomainError, match=message):
        services.commit_support(project, offer, supporter=jean)
    db.session.rollback()
    assert db.session.scalar(select(SupportCommitment)) is None


def test_negative_quantity_over_http_shows_the_message(
    client, auth, db, make_member, project_with_team
):
    project, *_ = project_with_team
    auth.login_as(make_member("Jean"))
    response = client.post(
        f"/soutiens/projet/{project.id}/proposer",
        data={"kind": "time", "description": "Tenir le stand", "quantity": "-4", "meetup_id": "0"},
    )
    assert response.status_code == 200
    assert "Indiquez une quantité positive" in response.text
    bad_amount = client.post(
        f"/soutiens/projet/{project.id}/proposer",
        data={"kind": "money", "description": "Un don", "amount": "douze euros", "meetup_id": "0"},
    )
    assert "Indiquez un montant en euros" in bad_amount.text
    assert db.session.scalar(select(SupportCommitment)) is None


def test_team_members_do_not_support_their_own_project(client, auth, project_with_team):
    project, owner, _ = project_with_team
    auth.login_as(owner)
    assert client.get(f"/soutiens/projet/{project.id}/proposer").status_code == 403


def test_money_is_a_promise_in_euros_cents(app, db, make_member, project_with_team, client, auth):
    project, *_ = project_with_team
    auth.login_as(make_member("Nathalie"))
    client.post(
        f"/soutiens/projet/{project.id}/proposer",
        data={
            "kind": "money",
            "description": "Pour la machine à coudre",
            "amount": "1 250,50",
            "meetup_id": "0",
        },
    )
    commitment = db.session.scalar(select(SupportCommitment))
    assert commitment.amount_cents == 125050 and commitment.unit == "eur"


def test_commitment_rate_is_the_share_of_attendees_who_committed(
    app, db, make_member, make_meetup, register, project_with_team, make_commitment
):
    project, *_ = project_with_team
    meetup = make_meetup(starts_in=timedelta(days=-1), projects=[project])
    people = [make_member(f"P{i}") for i in range(8)]
    for person in people:
        register(meetup, person, checked_in=True)
    visitor = register(meetup, name="Visiteuse", email="v@exemple.fr", checked_in=True, guests=1)
    absent = make_member("Absente")
    register(meetup, absent)  # registered but did not come
    make_commitment(project, people[0], meetup=meetup)
    make_commitment(project, people[0], meetup=meetup, kind="contacts", quantity=12)  # same person
    make_commitment(project, people[1], meetup=meetup, state="fulfilled")
    make_commitment(project, people[2], meetup=meetup, state="cancelled")  # withdrawn: not counted
    make_commitment(project, None, registration=visitor, meetup=meetup)
    make_commitment(project, absent, meetup=meetup)  # did not come: not an attendee
    make_commitment(project, people[3])  # outside the meetup
    rate = meetups_api.commitment_rate(meetup)
    assert (rate.attendees, rate.supporters) == (10, 3)  # 8 members + visitor + guest
    assert rate.percent == 30
    assert meetups_api.conversion().supporters == 3


def test_visitor_commits_through_their_link(
    client, db, make_meetup, register, project_with_team, app
):
    project, owner, _ = project_with_team
    meetup = make_meetup(starts_in=timedelta(hours=-1), projects=[project])
    visitor = register(meetup, name="Hélène Visiteuse", email="helene@exemple.fr", checked_in=True)
    with app.test_request_context():
        from tremplin.meetups.notices import registration_token

        token = registration_token(visitor)
    page = client.get(f"/rencontres/inscription/{token}")
    assert "Soutenir Éco-retoucherie" in page.text
    response = client.post(
        f"/rencontres/inscription/{token}/soutenir/{project.id}",
        data={
            "kind": "contacts",
            "description": "Trois boutiques de tissus du Sentier",
            "quantity": "3",
            "meetup_id": str(meetup.id),
        },
    )
    assert response.status_code == 302
    commitment = db.session.scalar(select(SupportCommitment))
    assert commitment.registration_id == visitor.id and commitment.supporter_id is None
    assert commitment.meetup_id == meetup.id and commitment.supporter_name == "Hélène Visiteuse"
    # a pending (unconfirmed) visitor cannot commit
    pending = register(meetup, name="Pas confirmé", status="pending")
    with app.test_request_context():
        token2 = registration_token(pending)
    assert (
        client.post(
            f"/rencontres/inscription/{token2}/soutenir/{project.id}",
            data={"kind": "contacts", "description": "x" * 10},
        ).status_code
        == 403
    )


def test_csv_export_of_hours_and_values(
    client, auth, db, make_member, make_organiser, project_with_team, make_commitment
):
    project, *_ = project_with_team
    jean = make_member("=Jean")  # a name a spreadsheet would read as a formula
    make_commitment(
        project, jean, kind="skills", quantity=12, amount_cents=60000, state="fulfilled"
    )
    make_commitment(project, jean, kind="premises", quantity=40, state="accepted")
    make_commitment(project, jean, kind="money", amount_cents=15050)
    auth.login_as(jean)
    assert client.get("/soutiens/export.csv").status_code == 403
    auth.login_as(make_organiser())
    response = client.get("/soutiens/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["id", "date", "projet", "soutien"]
    assert rows[1][3] == "'=Jean"
    assert rows[1][8] == "12" and rows[1][10] == "600,00"  # hours, value
    assert rows[2][9] == "40"  # m²
    assert rows[3][10] == "150,50"
    only_done = client.get("/soutiens/export.csv?etat=fulfilled").data.decode("utf-8-sig")
    assert only_done.count("\n") == 2
    totals = meetups_api.commitment_totals()
    assert (totals.hours, totals.value_cents, totals.count) == (12, 60000, 1)


def test_my_commitments_page(client, auth, make_member, project_with_team, make_commitment):
    project, *_ = project_with_team
    jean = make_member("Jean")
    make_commitment(
        project, jean, description="Prêter une surjeteuse", kind="equipment", quantity=None
    )
    auth.login_as(jean)
    page = client.get("/soutiens")
    assert "Prêter une surjeteuse" in page.text and "Éco-retoucherie" in page.text
    assert "Retirer" in page.text


def test_money_joins_the_open_campaign_when_funding_runs_one(
    app, client, auth, db, make_member, project_with_team, request
):
    assert "funding" in app.blueprints
    make_campaign = request.getfixturevalue("make_campaign")
    from tremplin.funding.models import Pledge

    project, *_ = project_with_team
    make_campaign(project)
    nathalie = auth.login_as(make_member("Nathalie"))
    client.post(
        f"/soutiens/projet/{project.id}/proposer",
        data={
            "kind": "money",
            "description": "Pour la surjeteuse",
            "amount": "150",
            "meetup_id": "0",
        },
    )
    commitment = db.session.scalar(select(SupportCommitment))
    pledge = db.session.get(Pledge, commitment.pledge_id)
    assert pledge is not None and pledge.backer_id == nathalie.id
    assert pledge.amount_cents == 15000 and pledge.source == "meetup"
    # the supporter withdraws the commitment: the pledge goes with it while the campaign is open
    response = client.post(f"/soutiens/{commitment.id}/annuler", data={"reason": "Empêchement"})
    assert response.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(SupportCommitment, commitment.id).state == "cancelled"
    assert db.session.get(Pledge, pledge.id).status == "cancelled"


def test_money_stays_a_promise_without_an_open_campaign(
    client, auth, db, make_member, project_with_team
):
    project, *_ = project_with_team
    auth.login_as(make_member("Nathalie"))
    client.post(
        f"/soutiens/projet/{project.id}/proposer",
        data={
            "kind": "money",
            "description": "Pour la surjeteuse",
            "amount": "150",
            "meetup_id": "0",
        },
    )
    commitment = db.session.scalar(select(SupportCommitment))
    assert commitment.amount_cents == 15000 and commitment.pledge_id is None
