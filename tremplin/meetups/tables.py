"""Proposal tables: split the people checked in into tables of 6–8 that mix roles, skills
and groups and keep people of the same project apart; move people; seat latecomers; the
20-minute timer; the proposals each table records for the project presented.

`plan_tables` is pure (no database): the property tests drive it with random rooms.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tremplin.meetups import policies
from tremplin.meetups.models import (
    Meetup,
    ProposalTable,
    Registration,
    TableProposal,
    TableSeat,
)
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import utcnow

MIN_TABLE, MAX_TABLE = 2, 20

# --- the split (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    """One person in the room, as the split sees them. `apart` holds the projects they
    belong to: two people sharing one should not sit together. `party` ties a registrant
    to the guests they brought (spread out too, but only as a preference)."""

    key: tuple
    roles: frozenset = frozenset()
    skills: frozenset = frozenset()
    groups: frozenset = frozenset()
    apart: frozenset = frozenset()
    party: object = None


def similarity(a: Attendee, b: Attendee) -> int:
    """How alike two people are: the split keeps alike people at different tables."""
    score = 3 * len(a.roles & b.roles) + 2 * len(a.groups & b.groups) + len(a.skills & b.skills)
    if a.party is not None and a.party == b.party:
        score += 4
    return score


def table_sizes(n: int, lo: int = 6, hi: int = 8) -> tuple[list[int], bool]:
    """Balanced table sizes for n people (largest first) and whether they all lie in
    [lo, hi]. When no split fits — fewer than `lo` people, or counts such as 9–11 or 17 for
    6–8 — the closest one: the smallest excess or shortfall at the worst table, then the
    smallest in total, then smaller tables (they talk better)."""
    if n <= 0:
        return [], True

    def sizes_for(k: int) -> list[int]:
        q, r = divmod(n, k)
        return [q + 1] * r + [q] * (k - r)

    feasible = [k for k in range(1, n + 1) if n // k >= lo and -(-n // k) <= hi]
    if feasible:
        middle = (lo + hi) / 2
        k = min(feasible, key=lambda k: (abs(n / k - middle), -k))
        return sizes_for(k), True

    def badness(k: int):
        gaps = [max(0, lo - s) + max(0, s - hi) for s in sizes_for(k)]
        return (max(gaps), sum(gaps), -k)

    k = min(range(1, n + 1), key=badness)
    return sizes_for(k), False


@dataclass
class Plan:
    tables: list[list[tuple]]  # attendee keys, table by table
    feasible: bool
    clashes: int  # pairs of people of one project sitting together
    notes: list[str] = field(default_factory=list)


def plan_tables(
    attendees: list[Attendee],
    lo: int = 6,
    hi: int = 8,
    *,
    seed: int | None = None,
    max_passes: int = 12,
) -> Plan:
    """Seat everyone exactly once in tables of `lo`–`hi` (see `table_sizes` when that is
    impossible).

    1. Deal people round-robin, the members of each project one after another (largest
       projects first), then the others ordered by role and group: consecutive people land
       at different tables, so a project with no more members than there are tables is
       spread one per table, and alike people are spread out.
    2. Improve by swapping two people while it lowers (pairs of one project at one table,
       then total similarity at each table). A swap never adds such a pair, and swaps keep
       the sizes. So whenever each person belongs to at most one project, nobody shares a
       table with a teammate unless the project has more members than there are tables.
    """
    n = len(attendees)
    sizes, feasible = table_sizes(n, lo, hi)
    if n == 0:
        return Plan([], True, 0)
    k = len(sizes)
    rng = random.Random(seed) if seed is not None else None
    tiebreak = list(range(n))
    if rng is not None:
        rng.shuffle(tiebreak)

    project_sizes = Counter(key for a in attendees for key in a.apart)

    def main_project(a: Attendee):
        if not a.apart:
            return None
        return max(a.apart, key=lambda key: (project_sizes[key], str(key)))

    def order(i: int):
        a = attendees[i]
        project = main_project(a)
        if project is not None and project_sizes[project] > 1:
            return (0, -project_sizes[project], str(project), tiebreak[i])
        return (1, sorted(map(str, a.roles)), sorted(map(str, a.groups)), tiebreak[i])

    dealt = sorted(range(n), key=order)
    table_of = [0] * n
    for position, i in enumerate(dealt):
        table_of[i] = position % k
    # Round-robin fills the first n % k tables with one more person: sizes as planned.

    if k > 1:
        _improve(attendees, table_of, k, max_passes)

    tables: list[list[tuple]] = [[] for _ in range(k)]
    for i, t in enumerate(table_of):
        tables[t].append(attendees[i].key)
    tables.sort(key=len, reverse=True)
    clashes = count_clashes(attendees, table_of)
    return Plan(tables, feasible, clashes)


def _improve(attendees: list[Attendee], table_of: list[int], k: int, max_passes: int) -> None:
    n = len(attendees)
    sim = [[0] * n for _ in range(n)]
    max_sim = 0
    clash = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            s = similarity(attendees[i], attendees[j])
            c = 1 if attendees[i].apart & attendees[j].apart else 0
            sim[i][j] = sim[j][i] = s
            clash[i][j] = clash[j][i] = c
            max_sim = max(max_sim, s)
    # One pair of teammates weighs more than any change of similarity a swap can make.
    big = 4 * n * (max_sim + 1) + 1
    weight = [[clash[i][j] * big + sim[i][j] for j in range(n)] for i in range(n)]
    # load[p][t]: p's weight with the people at table t
    load = [[0] * k for _ in range(n)]
    for p in range(n):
        row = weight[p]
        lp = load[p]
        for q in range(n):
            if q != p:
                lp[table_of[q]] += row[q]
    for _pass in range(max_passes):
        improved = False
        for i in range(n):
            for j in range(i + 1, n):
                a, b = table_of[i], table_of[j]
                if a == b:
                    continue
                delta = (load[i][b] - weight[i][j] - load[i][a]) + (
                    load[j][a] - weight[j][i] - load[j][b]
                )
                if delta < 0:
                    table_of[i], table_of[j] = b, a
                    for p in range(n):
                        lp = load[p]
                        wi, wj = weight[p][i], weight[p][j]
                        if p != i:
                            lp[a] -= wi
                            lp[b] += wi
                        if p != j:
                            lp[b] -= wj
                            lp[a] += wj
                    improved = True
        if not improved:
            break


def count_clashes(attendees: list[Attendee], table_of: list[int]) -> int:
    by_table: dict[int, list[Attendee]] = defaultdict(list)
    for i, t in enumerate(table_of):
        by_table[t].append(attendees[i])
    total = 0
    for people in by_table.values():
        for x in range(len(people)):
            for y in range(x + 1, len(people)):
                if people[x].apart & people[y].apart:
                    total += 1
    return total


def explain(plan: Plan, n: int, lo: int, hi: int) -> list[str]:
    """What the organiser should know about a split, in words."""
    notes = []
    sizes = sorted((len(t) for t in plan.tables), reverse=True)
    if n < lo:
        notes.append(
            ngettext(
                "Une seule personne est pointée : elle forme une table à elle seule.",
                "Moins de %(min)d personnes sont pointées (%(num)d) : elles forment "
                "une seule table.",
                n,
                min=lo,
            )
        )
    elif not plan.feasible:
        notes.append(
            _(
                "%(n)d personnes ne se répartissent pas en tables de %(min)d à %(max)d : "
                "les tables ont de %(small)d à %(large)d personnes.",
                n=n,
                min=lo,
                max=hi,
                small=sizes[-1],
                large=sizes[0],
            )
        )
    if plan.clashes:
        notes.append(
            ngettext(
                "Une table réunit deux personnes d'un même projet : il y a plus de membres de ce "
                "projet que de tables.",
                "%(num)d paires de personnes d'un même projet partagent une table : certains "
                "projets comptent plus de membres que de tables.",
                plan.clashes,
            )
        )
    return notes


# --- who is in the room ------------------------------------------------------------------


@dataclass
class RoomPerson:
    registration: Registration
    guest_index: int
    attendee: Attendee

    @property
    def label(self) -> str:
        if self.guest_index == 0:
            return self.registration.display_name
        return _(
            "Invité·e %(n)d de %(name)s", n=self.guest_index, name=self.registration.display_name
        )


def people_in_room(meetup: Meetup) -> list[RoomPerson]:
    """Everyone checked in (a registrant and each guest they brought), with what the split
    needs to know about them: roles, skills, groups, projects. Four statements."""
    from tremplin.groups.models import GroupMembership
    from tremplin.members.models import ACCEPTED, ProfileTag, ProjectMember

    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.meetup_id == meetup.id, Registration.checked_in_at.is_not(None))
        .options(selectinload(Registration.user))
        .order_by(Registration.id)
    ).all()
    user_ids = [r.user_id for r in registrations if r.user_id]
    roles: dict[int, set] = defaultdict(set)
    skills: dict[int, set] = defaultdict(set)
    groups: dict[int, set] = defaultdict(set)
    projects: dict[int, set] = defaultdict(set)
    if user_ids:
        for uid, kind, key in db.session.execute(
            select(ProfileTag.user_id, ProfileTag.kind, ProfileTag.key).where(
                ProfileTag.user_id.in_(user_ids), ProfileTag.kind.in_(("role", "skill"))
            )
        ):
            (roles if kind == "role" else skills)[uid].add(key)
        for uid, gid in db.session.execute(
            select(GroupMembership.user_id, GroupMembership.group_id).where(
                GroupMembership.user_id.in_(user_ids), GroupMembership.state == "active"
            )
        ):
            groups[uid].add(gid)
        for uid, pid in db.session.execute(
            select(ProjectMember.user_id, ProjectMember.project_id).where(
                ProjectMember.user_id.in_(user_ids), ProjectMember.status == ACCEPTED
            )
        ):
            projects[uid].add(pid)
    people = []
    for r in registrations:
        uid = r.user_id
        person = Attendee(
            key=(r.id, 0),
            roles=frozenset(roles.get(uid, ()) or ({"membre"} if uid else {"visiteur"})),
            skills=frozenset(skills.get(uid, ())),
            groups=frozenset(groups.get(uid, ())),
            apart=frozenset(f"project:{pid}" for pid in projects.get(uid, ())),
            party=r.id if r.guests_checked_in else None,
        )
        people.append(RoomPerson(r, 0, person))
        for g in range(1, r.guests_checked_in + 1):
            people.append(
                RoomPerson(r, g, Attendee(key=(r.id, g), roles=frozenset({"invite"}), party=r.id))
            )
    return people


# --- running the tables ------------------------------------------------------------------


def guard(actor, meetup: Meetup) -> None:
    if not policies.can_manage_meetup(actor, meetup):
        raise NotAllowed()
    if not policies.can_run_tables(actor, meetup):
        raise DomainError(_("Les tables se forment pendant une rencontre publiée."))


def _has_proposals(meetup: Meetup) -> bool:
    return (
        db.session.scalar(
            select(func.count(TableProposal.id))
            .join(ProposalTable)
            .where(ProposalTable.meetup_id == meetup.id)
        )
        > 0
    )


def split_into_tables(
    actor: User, meetup: Meetup, min_size: int = 6, max_size: int = 8, *, seed: int | None = None
) -> Plan:
    """Form the tables from the people checked in (again, if nothing was recorded yet)."""
    guard(actor, meetup)
    if not (MIN_TABLE <= min_size <= max_size <= MAX_TABLE):
        raise DomainError(
            _(
                "Choisissez des tables de %(a)d à %(b)d personnes, la plus petite taille d'abord.",
                a=MIN_TABLE,
                b=MAX_TABLE,
            ),
            field="min_size",
        )
    if _has_proposals(meetup):
        raise DomainError(
            _(
                "Des propositions sont déjà enregistrées : les tables ne peuvent "
                "plus être refaites. Déplacez les personnes une par une."
            )
        )
    people = people_in_room(meetup)
    if not people:
        raise DomainError(
            _("Personne n'est encore pointé : faites l'accueil avant de former les tables.")
        )
    plan = plan_tables([p.attendee for p in people], min_size, max_size, seed=seed)
    plan.notes = explain(plan, len(people), min_size, max_size)
    for table in db.session.scalars(
        select(ProposalTable).where(ProposalTable.meetup_id == meetup.id)
    ):
        db.session.delete(table)
    db.session.flush()
    by_key = {p.attendee.key: p for p in people}
    for number, keys in enumerate(plan.tables, start=1):
        table = ProposalTable(meetup_id=meetup.id, number=number)
        db.session.add(table)
        for key in keys:
            person = by_key[key]
            table.seats.append(
                TableSeat(registration_id=person.registration.id, guest_index=person.guest_index)
            )
    meetup.table_min_size, meetup.table_max_size = min_size, max_size
    meetup.tables_note = " ".join(plan.notes)[:500] or None
    meetup.tables_closed_at = None
    db.session.flush()
    return plan


def load_tables(meetup: Meetup) -> list[ProposalTable]:
    return list(
        db.session.scalars(
            select(ProposalTable)
            .where(ProposalTable.meetup_id == meetup.id)
            .options(
                selectinload(ProposalTable.seats)
                .selectinload(TableSeat.registration)
                .selectinload(Registration.user),
                selectinload(ProposalTable.proposals).selectinload(TableProposal.author),
                selectinload(ProposalTable.proposals).selectinload(TableProposal.project),
            )
            .order_by(ProposalTable.number)
        )
    )


def seat_label(seat: TableSeat) -> str:
    if seat.guest_index == 0:
        return seat.registration.display_name
    return _("Invité·e %(n)d de %(name)s", n=seat.guest_index, name=seat.registration.display_name)


def size_warnings(meetup: Meetup, tables: list[ProposalTable]) -> list[str]:
    lo, hi = meetup.table_min_size, meetup.table_max_size
    return [
        _(
            "La table %(n)d a %(size)d personnes (tables de %(lo)d à %(hi)d).",
            n=t.number,
            size=len(t.seats),
            lo=lo,
            hi=hi,
        )
        for t in tables
        if t.seats and not lo <= len(t.seats) <= hi and len(tables) > 1
    ]


def move_seat(actor: User, seat: TableSeat, table: ProposalTable) -> TableSeat:
    """The organiser knows the room better than any algorithm."""
    meetup = seat.table.meetup
    guard(actor, meetup)
    if table.meetup_id != meetup.id:
        raise DomainError(_("Cette table n'est pas de la même rencontre."), field="table")
    if seat.table_id == table.id:
        raise DomainError(
            _("Cette personne est déjà à la table %(n)d.", n=table.number), field="table"
        )
    seat.table = table
    seat.table_id = table.id
    db.session.flush()
    return seat


def add_table(actor: User, meetup: Meetup) -> ProposalTable:
    guard(actor, meetup)
    last = (
        db.session.scalar(
            select(func.max(ProposalTable.number)).where(ProposalTable.meetup_id == meetup.id)
        )
        or 0
    )
    table = ProposalTable(meetup_id=meetup.id, number=last + 1)
    db.session.add(table)
    db.session.flush()
    return table


def seat_latecomers(actor: User, meetup: Meetup) -> int:
    """People checked in after the split join the table where they mix best among those
    with room (the smallest table when all are full). Returns how many were seated."""
    guard(actor, meetup)
    tables = load_tables(meetup)
    if not tables:
        raise DomainError(_("Formez d'abord les tables."))
    seated = {(s.registration_id, s.guest_index) for t in tables for s in t.seats}
    people = people_in_room(meetup)
    by_key = {p.attendee.key: p for p in people}
    members = {
        t.id: [
            by_key[(s.registration_id, s.guest_index)].attendee
            for s in t.seats
            if (s.registration_id, s.guest_index) in by_key
        ]
        for t in tables
    }
    count = 0
    for person in people:
        if person.attendee.key in seated:
            continue
        with_room = [t for t in tables if len(members[t.id]) < meetup.table_max_size] or [
            min(tables, key=lambda t: len(members[t.id]))
        ]

        def cost(t, a=person.attendee):
            others = members[t.id]
            return (
                sum(1 for o in others if o.apart & a.apart),
                sum(similarity(a, o) for o in others),
                len(others),
                t.number,
            )

        best = min(with_room, key=cost)
        best.seats.append(
            TableSeat(registration_id=person.registration.id, guest_index=person.guest_index)
        )
        members[best.id].append(person.attendee)
        seated.add(person.attendee.key)
        count += 1
    db.session.flush()
    return count


def unseated(meetup: Meetup, tables: list[ProposalTable]) -> int:
    from tremplin.meetups.registrations import counts_for

    present = counts_for([meetup.id])[meetup.id].checked_in
    return max(0, present - sum(len(t.seats) for t in tables))


# --- timer and closing -------------------------------------------------------------------


def start_timer(actor: User, meetup: Meetup, minutes: int | None = None) -> None:
    guard(actor, meetup)
    if minutes is not None:
        if not 1 <= minutes <= 120:
            raise DomainError(_("Le minuteur va de 1 à 120 minutes."), field="minutes")
        meetup.table_minutes = minutes
    meetup.timer_started_at = utcnow()
    db.session.flush()


def stop_timer(actor: User, meetup: Meetup) -> None:
    guard(actor, meetup)
    meetup.timer_started_at = None
    db.session.flush()


def timer_state(meetup: Meetup) -> dict:
    now = utcnow()
    ends = meetup.timer_ends_at
    return {
        "running": bool(ends and ends > now),
        "ends_at": ends.isoformat() if ends else None,
        "now": now.isoformat(),
        "minutes": meetup.table_minutes,
        "remaining": max(0, int((ends - now).total_seconds())) if ends else None,
    }
