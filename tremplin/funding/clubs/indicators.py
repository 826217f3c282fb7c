"""Clubs' figures for the impact dashboard: money invested by clubs and projects they
backed (per period, territory and theme of the project), and network-wide totals."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import String as SqlString
from sqlalchemy import cast, func, select

from tremplin.funding.clubs import fund
from tremplin.funding.clubs.models import (
    ACTIVE,
    CLUB_STATES,
    MEMBER_ACTIVE,
    ClubInvestment,
    ClubMembership,
    InvestorClub,
)
from tremplin.funding.models import LedgerAccount, LedgerEntry, LedgerTransaction
from tremplin.members import project_scope
from tremplin.platform.extensions import db
from tremplin.platform.figures import in_period, period_and_place, sum_by_month


def _ledger_investments(start: datetime | None, end: datetime | None, territory=None, theme=None):
    stmt = (
        select(LedgerTransaction.occurred_at, LedgerEntry.amount_cents)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == fund.INVESTEE, LedgerTransaction.kind == fund.INVESTMENT)
    )
    stmt = in_period(stmt, LedgerTransaction.occurred_at, start, end)
    if territory or theme:
        stmt = stmt.join(ClubInvestment, cast(ClubInvestment.id, SqlString) == LedgerAccount.ref)
    return project_scope(stmt, ClubInvestment.project_id, territory, theme)


def invested_amount(
    start: datetime | None, end: datetime | None, *, territory=None, theme=None
) -> int:
    inner = _ledger_investments(start, end, territory, theme).subquery()
    return int(db.session.scalar(select(func.coalesce(func.sum(inner.c.amount_cents), 0))) or 0)


def projects_backed(
    start: datetime | None, end: datetime | None, *, territory=None, theme=None
) -> int:
    stmt = select(func.count(func.distinct(ClubInvestment.project_id)))
    stmt = in_period(stmt, ClubInvestment.created_at, start, end)
    stmt = project_scope(stmt, ClubInvestment.project_id, territory, theme)
    return int(db.session.scalar(stmt) or 0)


def _monthly_invested(filters) -> dict:
    return sum_by_month(
        db.session.execute(
            _ledger_investments(filters.start_at, filters.end_at, filters.territory, filters.theme)
        ).all()
    )


def _period_start(day: date, period: str) -> date:
    if period == "week":
        from datetime import timedelta

        return day - timedelta(days=day.weekday())
    if period == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if period == "year":
        return date(day.year, 1, 1)
    return day.replace(day=1)


def per_period(start: date, end: date, period: str = "month"):
    from tremplin.funding.clubs import PeriodFigure

    if period not in ("week", "month", "quarter", "year"):
        raise ValueError(f"unknown period {period!r}")
    rows = db.session.execute(
        select(
            ClubInvestment.invested_on, ClubInvestment.amount_cents, ClubInvestment.project_id
        ).where(ClubInvestment.invested_on >= start, ClubInvestment.invested_on < end)
    ).all()
    buckets: dict[date, list] = {}
    for invested_on, amount, project_id in rows:
        buckets.setdefault(_period_start(invested_on, period), []).append((amount, project_id))
    return [
        PeriodFigure(
            start=key,
            investments_count=len(items),
            invested_cents=sum(a for a, _p in items),
            projects_count=len({p for _a, p in items}),
        )
        for key, items in sorted(buckets.items())
    ]


def totals() -> dict:
    states = dict(
        db.session.execute(
            select(InvestorClub.state, func.count(InvestorClub.id)).group_by(InvestorClub.state)
        ).all()
    )
    members = (
        db.session.scalar(
            select(func.count(func.distinct(ClubMembership.user_id))).where(
                ClubMembership.state == MEMBER_ACTIVE
            )
        )
        or 0
    )
    saved = -int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
            .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id)
            .join(LedgerTransaction, LedgerEntry.transaction_id == LedgerTransaction.id)
            .where(LedgerAccount.kind == fund.SAVER, LedgerTransaction.kind.in_(fund.SAVING_KINDS))
        )
        or 0
    )
    return {
        "clubs": {state: int(states.get(state, 0)) for state in CLUB_STATES},
        "active_clubs": int(states.get(ACTIVE, 0)),
        "members": int(members),
        "saved_cents": saved,
        "invested_cents": invested_amount(None, None),
        "projects_backed": projects_backed(None, None),
    }


def _records(_filters) -> str:
    from flask import url_for

    # A club's accounts are for its members: the records an organiser may open are the
    # clubs' public cards (what each club chose to publish).
    return url_for("clubs.index")


def register() -> None:
    from tremplin.platform.hooks import Indicator, register_indicator

    register_indicator(
        Indicator(
            key="clubs_amount_invested",
            label=_l("Montants investis par les clubs"),
            section="financement",
            unit="cents",
            order=25,
            definition=_l(
                "Investissements des clubs d’investisseurs (parts sociales, comptes "
                "courants, apports, prêts d’honneur) pendant la période, d’après le grand "
                "livre des fonds des clubs."
            ),
            compute=period_and_place(invested_amount),
            monthly=_monthly_invested,
            filters=("territory", "theme"),
            records=_records,
        )
    )
    register_indicator(
        Indicator(
            key="clubs_projects_backed",
            label=_l("Projets soutenus par un club d’investisseurs"),
            section="financement",
            order=26,
            definition=_l("Projets dans lesquels un club a investi pendant la période."),
            compute=period_and_place(projects_backed),
            filters=("territory", "theme"),
            records=_records,
        )
    )
