"""Figures about mentoring for organisers and the impact dashboard: who waits for a
mentor, how loaded mentors are, hours and pairings per period.

Read-only. Dates, durations and states only — never what a pair wrote in its notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from tremplin.members import project_scope
from tremplin.mentoring.models import (
    COUNTED_STATES,
    LOAD_STATES,
    P_ACTIVE,
    P_COMPLETED,
    P_PAUSED,
    WAITING_REQUEST_STATES,
    MentoringRequest,
    MentoringSession,
    MentorOffer,
    Pairing,
)
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import utcnow

PARIS = ZoneInfo("Europe/Paris")
PERIODS = ("week", "month", "quarter", "year")


def period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if period == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown period {period!r}")


def next_period(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class PeriodFigure:
    """Mentoring in one period: sessions held and their minutes, pairings that started
    (accepted) and that were completed. `end` is exclusive."""

    start: date
    end: date
    period: str
    minutes: int = 0
    sessions: int = 0
    pairings_started: int = 0
    pairings_completed: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def label(self) -> str:
        if self.period == "month":
            return format_date(self.start, "MMMM y")
        if self.period == "quarter":
            return f"T{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.period == "year":
            return str(self.start.year)
        return format_date(self.start, "d MMM y")


def _project_filter(stmt, departement: str | None, theme: str | None):
    """Pairings about a project of this département and/or theme."""
    return project_scope(stmt, Pairing.project_id, departement, theme)


def figures_per_period(
    start: date,
    end: date,
    period: str = "month",
    *,
    departement: str | None = None,
    theme: str | None = None,
) -> list[PeriodFigure]:
    """One figure per period from the one holding `start` to the one holding `end`
    (inclusive), in three statements whatever the range; optionally only the pairings
    about a project of a département or a theme."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    if end < start:
        start, end = end, start
    first = period_start(start, period)
    bounds: list[date] = [first]
    while bounds[-1] <= end:
        bounds.append(next_period(bounds[-1], period))
    stop = bounds[-1]
    buckets = {b: {"minutes": 0, "sessions": 0, "started": 0, "completed": 0} for b in bounds[:-1]}

    for day, minutes, count in db.session.execute(
        _project_filter(
            select(
                MentoringSession.held_on,
                func.sum(MentoringSession.duration_minutes),
                func.count(MentoringSession.id),
            )
            .join(Pairing, Pairing.id == MentoringSession.pairing_id)
            .where(
                MentoringSession.held_on >= first,
                MentoringSession.held_on < stop,
                Pairing.state.in_(COUNTED_STATES),
            ),
            departement,
            theme,
        ).group_by(MentoringSession.held_on)
    ):
        bucket = buckets[period_start(day, period)]
        bucket["minutes"] += int(minutes or 0)
        bucket["sessions"] += int(count or 0)

    for day, count in db.session.execute(
        _project_filter(
            select(Pairing.started_on, func.count(Pairing.id)).where(
                Pairing.state.in_(COUNTED_STATES),
                Pairing.started_on >= first,
                Pairing.started_on < stop,
            ),
            departement,
            theme,
        ).group_by(Pairing.started_on)
    ):
        buckets[period_start(day, period)]["started"] += int(count)

    for (completed_at,) in db.session.execute(
        _project_filter(
            select(Pairing.completed_at).where(
                Pairing.state == P_COMPLETED, Pairing.completed_at.is_not(None)
            ),
            departement,
            theme,
        )
    ):
        day = completed_at.astimezone(PARIS).date()
        if first <= day < stop:
            buckets[period_start(day, period)]["completed"] += 1

    return [
        PeriodFigure(
            start=b,
            end=next_period(b, period),
            period=period,
            minutes=v["minutes"],
            sessions=v["sessions"],
            pairings_started=v["started"],
            pairings_completed=v["completed"],
        )
        for b, v in buckets.items()
    ]


@dataclass(frozen=True)
class Totals:
    minutes: int
    sessions: int
    pairings_active: int
    pairings_completed: int
    mentors_available: int
    porteurs_waiting: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def totals() -> Totals:
    """The whole network's mentoring, today (four statements)."""
    minutes, sessions = db.session.execute(
        select(
            func.coalesce(func.sum(MentoringSession.duration_minutes), 0),
            func.count(MentoringSession.id),
        )
        .join(Pairing, Pairing.id == MentoringSession.pairing_id)
        .where(Pairing.state.in_(COUNTED_STATES))
    ).one()
    states = dict(
        db.session.execute(
            select(Pairing.state, func.count(Pairing.id)).group_by(Pairing.state)
        ).all()
    )
    mentors = (
        db.session.scalar(
            select(func.count(MentorOffer.id)).where(MentorOffer.is_available.is_(True))
        )
        or 0
    )
    waiting = (
        db.session.scalar(
            select(func.count(func.distinct(MentoringRequest.porteur_id))).where(
                MentoringRequest.state.in_(WAITING_REQUEST_STATES)
            )
        )
        or 0
    )
    return Totals(
        minutes=int(minutes or 0),
        sessions=int(sessions or 0),
        pairings_active=states.get(P_ACTIVE, 0) + states.get(P_PAUSED, 0),
        pairings_completed=states.get(P_COMPLETED, 0),
        mentors_available=mentors,
        porteurs_waiting=waiting,
    )


# --- organisers' lists ------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingRequest:
    request: MentoringRequest
    days: int


def waiting_requests(limit: int = 100) -> list[WaitingRequest]:
    """Porteurs waiting for a mentor: requests in the pool, sent, or proposed; oldest first."""
    now = utcnow()
    rows = db.session.scalars(
        select(MentoringRequest)
        .where(MentoringRequest.state.in_(WAITING_REQUEST_STATES))
        .options(
            joinedload(MentoringRequest.porteur),
            joinedload(MentoringRequest.mentor),
            joinedload(MentoringRequest.project),
        )
        .order_by(MentoringRequest.created_at, MentoringRequest.id)
        .limit(limit)
    )
    return [WaitingRequest(r, max((now - r.created_at).days, 0)) for r in rows]


@dataclass(frozen=True)
class MentorLoad:
    offer: MentorOffer
    load: int
    active: int
    minutes: int

    @property
    def free_places(self) -> int:
        return max(self.offer.max_mentees - self.load, 0)

    @property
    def is_full(self) -> bool:
        return self.load >= self.offer.max_mentees

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def mentor_loads(page: int = 1, per_page: int = 30) -> tuple[list[MentorLoad], int]:
    """Mentors, fullest first, with their places taken and hours logged (three statements
    per page: count, rows with their figures, nothing per row)."""
    loads = (
        select(
            Pairing.mentor_id.label("mentor_id"),
            func.count(Pairing.id).label("load"),
            func.sum(case((Pairing.state == P_ACTIVE, 1), else_=0)).label("active"),
        )
        .where(Pairing.state.in_(LOAD_STATES))
        .group_by(Pairing.mentor_id)
        .subquery()
    )
    minutes = (
        select(
            Pairing.mentor_id.label("mentor_id"),
            func.sum(MentoringSession.duration_minutes).label("minutes"),
        )
        .join(MentoringSession, MentoringSession.pairing_id == Pairing.id)
        .where(Pairing.state.in_(COUNTED_STATES))
        .group_by(Pairing.mentor_id)
        .subquery()
    )
    total = db.session.scalar(select(func.count(MentorOffer.id))) or 0
    load = func.coalesce(loads.c.load, 0)
    rows = db.session.execute(
        select(
            MentorOffer, load, func.coalesce(loads.c.active, 0), func.coalesce(minutes.c.minutes, 0)
        )
        .join(User, User.id == MentorOffer.user_id)
        .outerjoin(loads, loads.c.mentor_id == MentorOffer.user_id)
        .outerjoin(minutes, minutes.c.mentor_id == MentorOffer.user_id)
        .options(joinedload(MentorOffer.user))
        .order_by((load * 1.0 / MentorOffer.max_mentees).desc(), User.display_name, MentorOffer.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [
        MentorLoad(offer, int(n), int(active or 0), int(m or 0)) for offer, n, active, m in rows
    ], total
