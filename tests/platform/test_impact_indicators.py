"""Each indicator of the impact dashboard, computed over HTTP on hand-built data whose answer
is known: milestones (only confirmed ones count, declared ones shown apart), needs
fulfilled, participations and distinct participants (a walk-in counted once), opportunity
applications, money raised (a refund deducted, a cancelled pledge not counted), and the
group filter listing real groups."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from tremplin.platform.types import utcnow


def at(year, month, day=15):
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
def organiser(auth, make_organiser):
    return auth.login_as(make_organiser("Claire", created_at=at(2020, 1)))


def figures(client, **args) -> dict[str, dict]:
    """The indicators' CSV as {label: {value, previous, unconfirmed}} (strings)."""
    response = client.get("/impact/indicateurs.csv", query_string=args)
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    return {
        row[0]: {"value": row[3], "previous": row[5], "unconfirmed": row[7]} for row in rows[1:]
    }


def confirm(milestone, organiser):
    milestone.confirmed_by_id = organiser.id
    milestone.confirmed_at = utcnow()


# --- milestones ---------------------------------------------------------------------------


@pytest.fixture
def milestones(db, make_member, make_organiser, make_project, make_milestone):
    checker = make_organiser("Vérificatrice")
    owner = make_member("Awa")
    atelier = make_project(
        owner, title="Atelier cosmétique", departement="93", theme="environnement"
    )
    cafe = make_project(
        make_member("Inès"), title="Café solidaire", departement="75", theme="restauration"
    )
    made = [
        make_milestone(atelier, kind="business_plan", occurred_on=date(2025, 3, 10)),
        make_milestone(atelier, kind="prize", occurred_on=date(2025, 5, 2)),
        make_milestone(atelier, kind="prize", occurred_on=date(2025, 9, 20)),
        make_milestone(atelier, kind="return_to_employment", occurred_on=date(2025, 11, 3)),
        make_milestone(atelier, kind="collective_project", occurred_on=date(2025, 2, 1)),
        make_milestone(cafe, kind="legal_entity", occurred_on=date(2024, 6, 1)),
    ]
    for milestone in made:
        confirm(milestone, checker)
    # Declared, never confirmed: shown apart, never counted.
    make_milestone(cafe, kind="business_plan", occurred_on=date(2025, 4, 1))
    db.session.commit()
    return atelier, cafe


def test_only_confirmed_milestones_count_and_declared_ones_are_shown_apart(
    client, organiser, milestones
):
    year = figures(client, periode="annee", annee="2025")
    assert year["Business plans rédigés"] == {"value": "1", "previous": "0", "unconfirmed": "1"}
    assert year["Prix et concours remportés"]["value"] == "2"
    assert year["Retours à l’emploi"]["value"] == "1"
    assert year["Projets collectifs lancés"]["value"] == "1"
    assert year["Structures juridiques créées"] == {
        "value": "0",
        "previous": "1",
        "unconfirmed": "0",
    }

    page = client.get("/impact?periode=annee&annee=2025")
    assert "+ 1 déclaré, pas encore confirmé" in page.text
    assert "/impact/jalons?" in page.text  # the records behind each figure


def test_milestones_follow_territory_theme_and_month(client, organiser, milestones):
    paris = figures(client, periode="annee", annee="2025", territoire="75")
    assert paris["Business plans rédigés"] == {"value": "0", "previous": "0", "unconfirmed": "1"}
    assert paris["Prix et concours remportés"]["value"] == "0"
    by_theme = figures(client, periode="annee", annee="2025", theme="environnement")
    assert by_theme["Prix et concours remportés"]["value"] == "2"
    may = figures(client, periode="mois", mois="2025-05")
    assert may["Prix et concours remportés"]["value"] == "1"
    third_quarter = figures(client, periode="trimestre", trimestre="2025-T3")
    assert third_quarter["Prix et concours remportés"] == {
        "value": "1",
        "previous": "1",
        "unconfirmed": "0",
    }
    custom = figures(client, periode="personnalise", debut="2025-03-10", fin="2025-03-10")
    assert custom["Business plans rédigés"]["value"] == "1"


def test_records_behind_a_milestone_figure_are_for_organisers_only(
    client, auth, organiser, milestones, make_member
):
    confirmed = client.get("/impact/jalons?type=business_plan&periode=annee&annee=2025")
    assert confirmed.status_code == 200
    assert "Atelier cosmétique" in confirmed.text and "Café solidaire" not in confirmed.text
    declared = client.get(
        "/impact/jalons?type=business_plan&etat=declares&periode=annee&annee=2025"
    )
    assert "Café solidaire" in declared.text and "Atelier cosmétique" not in declared.text
    assert client.get("/impact/jalons?type=licorne").status_code == 404
    assert client.get("/impact/jalons?periode=mois&mois=2025-13").status_code == 400
    auth.login_as(make_member("Curieux"))
    assert client.get("/impact/jalons?type=business_plan").status_code == 403
    assert client.get("/impact/besoins-pourvus").status_code == 403


# --- needs ----------------------------------------------------------------------------------


def test_needs_fulfilled_in_the_period(client, db, organiser, make_member, make_project, make_need):
    project = make_project(make_member(), title="Recyclerie")
    make_need(project, title="Un local de 40 m²", status="fulfilled", fulfilled_at=at(2025, 5))
    make_need(project, title="Une comptable", status="fulfilled", fulfilled_at=at(2024, 2))
    make_need(project, title="Un camion", status="open")
    year = figures(client, periode="annee", annee="2025")
    assert year["Besoins des projets pourvus"] == {"value": "1", "previous": "1", "unconfirmed": ""}
    records = client.get("/impact/besoins-pourvus?periode=annee&annee=2025")
    assert "Un local de 40 m²" in records.text and "Une comptable" not in records.text


# --- meetups --------------------------------------------------------------------------------


def test_participations_and_distinct_participants_count_a_walk_in_once(
    app, client, db, organiser, make_member, make_meetup, register
):
    from tremplin.meetups import checkin

    awa = make_member("Awa")
    first = make_meetup(starts_in=-timedelta(hours=1), organiser=organiser)
    second = make_meetup(starts_in=-timedelta(hours=3), organiser=organiser)
    register(first, awa, guests=1, checked_in=True)
    register(first, name="Vera", email="vera@exemple.fr")  # registered, not yet at the door
    register(first, name="Absent", email="absent@exemple.fr")  # never came
    register(second, awa, checked_in=True)
    with app.test_request_context():
        # Vera walks in: her registration is checked in, no second row.
        _registration, existing = checkin.add_walk_in(
            organiser, first, name="Vera V.", email="VERA@exemple.fr"
        )
        assert existing
        checkin.add_walk_in(organiser, second, name="Jo")  # no address: one person
        db.session.commit()
    now = utcnow()
    year = figures(client, periode="annee", annee=str(now.year))
    assert year["Participations aux rencontres"]["value"] == "5"  # (2 + 1) + (1 + 1)
    assert year["Personnes différentes venues"]["value"] == "3"  # Awa, Vera, Jo
    assert year["Rencontres organisées"]["value"] == "2"


def test_group_filter_lists_real_groups_and_refuses_unknown_ones(
    client, db, organiser, make_group, make_meetup, register, make_member
):
    cuisine = make_group("Cuisine du monde")
    make_group("Numérique")
    in_group = make_meetup(starts_in=-timedelta(hours=2), group=cuisine, organiser=organiser)
    elsewhere = make_meetup(starts_in=-timedelta(hours=2), organiser=organiser)
    register(in_group, make_member(), checked_in=True)
    register(elsewhere, make_member(), checked_in=True)
    register(elsewhere, make_member(), checked_in=True)
    page = client.get("/impact")
    assert f'<option value="{cuisine.id}"' in page.text and "Numérique" in page.text
    year = str(utcnow().year)
    assert figures(client, annee=year)["Participations aux rencontres"]["value"] == "3"
    assert (
        figures(client, annee=year, groupe=cuisine.id)["Participations aux rencontres"]["value"]
        == "1"
    )
    unknown = client.get("/impact?groupe=424242")
    assert unknown.status_code == 400 and "Ce groupe n&#39;existe pas." in unknown.text
    assert client.get("/impact/indicateurs.csv?groupe=424242").status_code == 400


# --- opportunities --------------------------------------------------------------------------


def test_opportunity_applications_and_wins(
    app, client, db, organiser, make_member, make_opportunity
):
    from tremplin.meetups import opportunities

    call = make_opportunity("Prix de l’entrepreneuriat")
    with app.test_request_context():
        opportunities.mark_applied(make_member(), call)
        opportunities.mark_won(make_member(), call)
        db.session.commit()
    year = figures(client, annee=str(utcnow().year))
    assert year["Candidatures déposées (veille)"]["value"] == "2"
    assert year["Candidatures retenues (veille)"]["value"] == "1"


# --- funding --------------------------------------------------------------------------------


def test_refunds_are_deducted_and_cancelled_pledges_not_counted(
    app, client, db, organiser, make_member, make_campaign, make_pledge
):
    from tremplin.funding import pledges, refunds

    kept = make_campaign(goal=10_000, rule="keep")
    treasurer = kept.project.owner
    later = make_campaign(goal=10_000)  # all or nothing: promises wait for the deadline
    with app.test_request_context():
        paid = make_pledge(kept, make_member("Paid"), amount=2_000)
        partly = make_pledge(kept, make_member("Partly"), amount=500)
        fully = make_pledge(kept, make_member("Fully"), amount=300)
        for pledge in (paid, partly, fully):
            pledges.record_transfer(
                pledge, treasurer, amount_cents=pledge.amount_cents, received_on=date.today()
            )
        db.session.commit()
        refunds.refund(partly, treasurer, amount_cents=200, reason="Erreur de montant")
        refunds.refund(fully, treasurer, amount_cents=300, reason="Désistement")
        cancelled = make_pledge(later, make_member("Changed mind"), amount=1_000)
        pledges.cancel_pledge(cancelled, cancelled.backer)
        make_pledge(later, make_member("Waiting"), amount=700)  # promised, not paid yet
        db.session.commit()
    assert cancelled.status == "cancelled" and fully.status == "refunded"
    year = figures(client, annee=str(utcnow().year))
    assert year["Montants collectés"]["value"] == "23,00"  # 20 + (5 − 2) + (3 − 3)
    assert year["Soutiens financiers"]["value"] == "2"  # the refunded in full no longer counts


# --- statements ---------------------------------------------------------------------------


def test_dashboard_statements_do_not_grow_with_the_data(
    client,
    db,
    organiser,
    make_member,
    make_project,
    make_milestone,
    make_need,
    make_meetup,
    register,
    make_group,
    count_statements,
):
    group = make_group("Cuisine")
    checker = make_member("Checker", site_role="organiser")

    def activity(n):
        for i in range(n):
            project = make_project(make_member(), departement="93")
            confirm(
                make_milestone(project, kind="prize", occurred_on=date(2025, 1 + i % 12, 3)),
                checker,
            )
            make_need(project, status="fulfilled", fulfilled_at=at(2025, 1 + i % 12))
            meetup = make_meetup(
                organiser=organiser,
                group=group,
                starts_at=at(2025, 1 + i % 12),
                ends_at=at(2025, 1 + i % 12) + timedelta(hours=2),
            )
            register(meetup, make_member(), checked_in=True)
        db.session.commit()

    activity(2)
    args = {"periode": "annee", "annee": "2025", "groupe": group.id}
    with count_statements() as few:
        client.get("/impact", query_string=args)
    activity(12)
    with count_statements() as many:
        page = client.get("/impact", query_string=args)
    assert page.status_code == 200
    assert few.count == many.count
    assert many.count <= 60


def test_every_indicator_links_to_records_an_organiser_can_open(app, client, organiser):
    from tremplin.platform.hooks import registry
    from tremplin.platform.impact import ImpactFilters

    filters = ImpactFilters(start=date(2026, 1, 1), end=date(2027, 1, 1))
    with app.test_request_context():
        links = {
            key: indicator.records(filters) if indicator.records else None
            for key, indicator in registry.indicators.items()
        }
    assert [key for key, url in links.items() if not url] == []
    for key, url in links.items():
        response = client.get(url)
        assert response.status_code == 200, (key, url, response.status_code)
