"""Proposal tables: the split seats everyone once in tables of 6–8 (or says why not),
mixes roles and groups, keeps teammates apart; the organiser moves people; tables record
proposals the project's team reads afterwards."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tremplin.meetups import tables
from tremplin.meetups.models import ProposalTable, TableProposal, TableSeat
from tremplin.meetups.tables import Attendee, plan_tables, table_sizes
from tremplin.platform.errors import DomainError
from tremplin.platform.models import Notification

ROLES = ["porteur", "mentor", "investisseur", "animateur", "visiteur"]
SKILLS = ["compta", "droit", "com", "vente", "cuisine", "couture", "numérique"]


# --- the sizes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, sizes, feasible",
    [
        (0, [], True),
        (1, [1], False),
        (5, [5], False),
        (6, [6], True),
        (8, [8], True),
        (9, [9], False),
        (10, [5, 5], False),
        (11, [6, 5], False),
        (12, [6, 6], True),
        (14, [7, 7], True),
        (16, [8, 8], True),
        (17, [6, 6, 5], False),
        (18, [6, 6, 6], True),
        (21, [7, 7, 7], True),
        (48, [7, 7, 7, 7, 7, 7, 6], True),
    ],
)
def test_table_sizes(n, sizes, feasible):
    assert table_sizes(n) == (sizes, feasible)


def test_every_count_from_18_fits_tables_of_6_to_8():
    for n in range(18, 400):
        sizes, feasible = table_sizes(n)
        assert feasible and sum(sizes) == n and all(6 <= s <= 8 for s in sizes), n


# --- the split, over random rooms ----------------------------------------------------------


@st.composite
def rooms(draw, max_people=60, only=None):
    """A room: each person has roles, skills, groups, and belongs to at most one project."""
    n = draw(st.integers(min_value=0, max_value=max_people))
    project_count = draw(st.integers(min_value=0, max_value=6))
    people = []
    for i in range(n):
        roles = frozenset(draw(st.sets(st.sampled_from(ROLES), min_size=1, max_size=2)))
        skills = frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=3)))
        groups = frozenset(draw(st.sets(st.integers(1, 4), max_size=2)))
        project = (
            draw(st.one_of(st.none(), st.integers(1, project_count))) if project_count else None
        )
        if only == "roles":
            skills, groups, project = frozenset(), frozenset(), None
            roles = frozenset([sorted(roles)[0]])
        people.append(
            Attendee(
                key=(i, 0),
                roles=roles,
                skills=skills,
                groups=groups,
                apart=frozenset({f"project:{project}"}) if project else frozenset(),
            )
        )
    return people


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(room=rooms(), seed=st.one_of(st.none(), st.integers(0, 10_000)))
def test_split_seats_everyone_once_in_tables_of_6_to_8_keeping_teammates_apart(room, seed):
    plan = plan_tables(room, 6, 8, seed=seed)
    seated = [key for table in plan.tables for key in table]
    assert sorted(seated) == sorted(a.key for a in room)  # everyone, exactly once
    sizes = [len(t) for t in plan.tables]
    n = len(room)
    expected_sizes, feasible = table_sizes(n)
    assert sorted(sizes, reverse=True) == expected_sizes and plan.feasible == feasible
    if feasible:
        assert all(6 <= s <= 8 for s in sizes)
    else:
        assert n < 6 or n in (9, 10, 11, 17)
        assert max(sizes) - min(sizes) <= 1
    # people of one project: spread as evenly as possible, so never together when avoidable
    k = len(plan.tables)
    by_key = {a.key: a for a in room}
    project_sizes = Counter(p for a in room for p in a.apart)
    for table in plan.tables:
        here = Counter(p for key in table for p in by_key[key].apart)
        for project, count in here.items():
            assert count <= math.ceil(project_sizes[project] / k), (project, count)
    if all(size <= k for size in project_sizes.values()):
        assert plan.clashes == 0


@settings(max_examples=150, deadline=None)
@given(room=rooms(only="roles"))
def test_split_spreads_each_role_evenly(room):
    plan = plan_tables(room, 6, 8)
    k = len(plan.tables)
    by_key = {a.key: a for a in room}
    totals = Counter(r for a in room for r in a.roles)
    for table in plan.tables:
        here = Counter(r for key in table for r in by_key[key].roles)
        for role, count in here.items():
            assert math.floor(totals[role] / k) <= count <= math.ceil(totals[role] / k)


def test_split_mixes_groups_and_skills_better_than_sitting_with_friends():
    # 4 groups of 6 friends who share a group and skills: the split breaks them up
    room = [
        Attendee(
            key=(g * 6 + i, 0),
            roles=frozenset({"porteur"}),
            skills=frozenset({f"skill{g}"}),
            groups=frozenset({g}),
        )
        for g in range(4)
        for i in range(6)
    ]
    plan = plan_tables(room, 6, 8)
    by_key = {a.key: a for a in room}
    for table in plan.tables:
        counts = Counter(next(iter(by_key[key].groups)) for key in table)
        assert max(counts.values()) <= 2  # 4 tables of 6: at most 2 friends together


# --- running the tables at a meetup --------------------------------------------------------


def _evening(
    make_meetup, make_member, make_project, make_profile, register, people=15, organiser=None
):
    owner = make_member("Karim (porteur)")
    mate = make_member("Moussa (équipe)")
    project = make_project(owner, title="Éco-retoucherie", team=[mate])
    meetup = make_meetup(
        "Café Projets", starts_in=timedelta(minutes=-30), projects=[project], organiser=organiser
    )
    registrations = [
        register(meetup, owner, checked_in=True),
        register(meetup, mate, checked_in=True),
    ]
    for i in range(people - 2):
        member = make_member(f"Participant {i}")
        make_profile(member, roles=[ROLES[i % 3]], skills=[SKILLS[i % len(SKILLS)]])
        registrations.append(register(meetup, member, checked_in=True))
    return meetup, project, owner, mate, registrations


def test_organiser_splits_moves_and_tables_record_proposals(
    app,
    client,
    auth,
    db,
    make_organiser,
    make_member,
    make_meetup,
    make_project,
    make_profile,
    register,
    outbox,
):
    claire = make_organiser("Claire")
    meetup, project, owner, mate, regs = _evening(
        make_meetup, make_member, make_project, make_profile, register, organiser=claire
    )
    auth.login_as(claire)
    response = client.post(
        f"/rencontres/{meetup.id}/tables/former",
        data={"min_size": "6", "max_size": "8"},
        follow_redirects=True,
    )
    assert "2 tables sont formées." in response.text
    seats = db.session.scalars(select(TableSeat)).all()
    assert len(seats) == 15 and len({(s.registration_id, s.guest_index) for s in seats}) == 15
    sizes = sorted(len(t.seats) for t in db.session.scalars(select(ProposalTable)))
    assert sizes == [7, 8]
    table_of = {s.registration_id: s.table_id for s in seats}
    assert table_of[regs[0].id] != table_of[regs[1].id]  # Karim and Moussa apart

    # the organiser moves Moussa to Karim's table
    seat = next(s for s in seats if s.registration_id == regs[1].id)
    moved = client.post(
        f"/rencontres/{meetup.id}/tables/places/{seat.id}",
        data={"table": str(table_of[regs[0].id])},
        headers={"Accept": "application/json"},
    )
    assert moved.get_json()["ok"]
    db.session.refresh(seat)
    assert seat.table_id == table_of[regs[0].id]

    # the timer
    client.post(f"/rencontres/{meetup.id}/tables/minuteur", data={"minutes": "20"})
    state = client.get(f"/rencontres/{meetup.id}/tables/minuteur.json").get_json()
    assert state["running"] and 1190 <= state["remaining"] <= 1200

    # a member seated at table 1 records a proposal; one from table 2 may not write there
    table1 = db.session.scalar(select(ProposalTable).where(ProposalTable.number == 1))
    table2 = db.session.scalar(select(ProposalTable).where(ProposalTable.number == 2))
    writer = next(r for r in regs[2:] if table_of[r.id] == table1.id)
    other = next(r for r in regs[2:] if table_of[r.id] == table2.id)
    auth.login_as(db.session.get(type(owner), writer.user_id))
    page = client.get(f"/rencontres/{meetup.id}/tables")
    assert page.status_code == 200 and "Table 1" in page.text and "Table 2" not in page.text
    client.post(
        f"/rencontres/{meetup.id}/tables/{table1.id}/propositions",
        data={"body": "Contacter la Semaest pour un local de 100 m²", "project": str(project.id)},
    )
    auth.login_as(db.session.get(type(owner), other.user_id))
    assert (
        client.post(
            f"/rencontres/{meetup.id}/tables/{table1.id}/propositions", data={"body": "Intrusion"}
        ).status_code
        == 403
    )
    proposal = db.session.scalar(select(TableProposal))
    assert proposal.body.startswith("Contacter la Semaest") and proposal.project_id == project.id

    # nobody else reads them; after closing, the team is told and reads them
    assert client.get(f"/rencontres/{meetup.id}/propositions").status_code == 403
    auth.login_as(claire)
    client.post(f"/rencontres/{meetup.id}/tables/clore")
    note = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
    assert "une proposition pour Éco-retoucherie" in note.text
    auth.login_as(owner)
    team_page = client.get(f"/rencontres/{meetup.id}/propositions")
    assert team_page.status_code == 200 and "Contacter la Semaest" in team_page.text
    # once proposals exist, the split cannot be redone (they would be lost)
    auth.login_as(claire)
    redo = client.post(
        f"/rencontres/{meetup.id}/tables/former",
        data={"min_size": "6", "max_size": "8"},
        follow_redirects=True,
    )
    assert "Des propositions sont déjà enregistrées" in redo.text


def test_small_or_odd_rooms_are_explained(
    app, db, make_organiser, make_member, make_meetup, register
):
    claire = make_organiser()
    meetup = make_meetup(starts_in=timedelta(minutes=-5), organiser=claire)
    with (
        app.test_request_context(),
        pytest.raises(DomainError, match="Personne n'est encore pointé"),
    ):
        tables.split_into_tables(claire, meetup)
    for _ in range(4):
        register(meetup, make_member(), checked_in=True)
    with app.test_request_context():
        plan = tables.split_into_tables(claire, meetup)
        db.session.commit()
    assert [len(t) for t in plan.tables] == [4]
    assert "une seule table" in plan.notes[0] and "Moins de 6" in plan.notes[0]
    register(meetup, make_member(), guests=5, checked_in=True)  # 10 people
    with app.test_request_context():
        plan = tables.split_into_tables(claire, meetup)
        db.session.commit()
    assert sorted(len(t) for t in plan.tables) == [5, 5]
    assert "ne se répartissent pas en tables de 6 à 8" in plan.notes[0]
    # the guests of one registrant are spread out like everyone else
    with app.test_request_context(), pytest.raises(DomainError, match="de 2 à 20"):
        tables.split_into_tables(claire, meetup, 9, 4)


def test_latecomers_get_a_seat(app, db, make_organiser, make_member, make_meetup, register):
    claire = make_organiser()
    meetup = make_meetup(starts_in=timedelta(minutes=-5), organiser=claire)
    for _ in range(12):
        register(meetup, make_member(), checked_in=True)
    with app.test_request_context():
        tables.split_into_tables(claire, meetup)
        db.session.commit()
    late = register(meetup, make_member("En retard"), guests=1, checked_in=True)
    with app.test_request_context():
        assert tables.seat_latecomers(claire, meetup) == 2
        db.session.commit()
    seats = db.session.scalars(select(TableSeat).where(TableSeat.registration_id == late.id)).all()
    assert len(seats) == 2 and len({s.table_id for s in seats}) == 2  # companions spread
    assert len(db.session.scalars(select(TableSeat)).all()) == 14


def test_undoing_a_check_in_frees_the_seat(
    app, db, make_organiser, make_member, make_meetup, register
):
    from tremplin.meetups import checkin

    claire = make_organiser()
    meetup = make_meetup(starts_in=timedelta(minutes=-5), organiser=claire)
    regs = [register(meetup, make_member(), checked_in=True) for _ in range(6)]
    with app.test_request_context():
        tables.split_into_tables(claire, meetup)
        checkin.undo_check_in(claire, regs[0])
        db.session.commit()
    assert len(db.session.scalars(select(TableSeat)).all()) == 5


def test_tables_page_for_organisers_and_screen(
    client, auth, db, make_organiser, make_member, make_meetup, make_project, make_profile, register
):
    claire = make_organiser()
    meetup, *_ = _evening(
        make_meetup, make_member, make_project, make_profile, register, organiser=claire, people=8
    )
    auth.login_as(claire)
    empty = client.get(f"/rencontres/{meetup.id}/tables")
    assert "Former les tables" in empty.text
    client.post(f"/rencontres/{meetup.id}/tables/former", data={"min_size": "6", "max_size": "8"})
    page = client.get(f"/rencontres/{meetup.id}/tables")
    assert "Table 1" in page.text and "Refaire les tables" in page.text
    assert 'data-ends-at=""' in page.text
    assert client.get(f"/rencontres/{meetup.id}/tables/ecran").status_code == 200
    # a member who did not come sees nothing
    auth.login_as(make_member())
    assert client.get(f"/rencontres/{meetup.id}/tables").status_code == 403
