"""Funding's figures for the impact dashboard: money raised, projects funded, backers.

Computed from the ledger and the campaigns, for a period and optionally a territory or a
theme (the project's). The platform calls them through the registered indicators.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import String as SqlString
from sqlalchemy import cast, func, select

from tremplin.funding.models import (
    COLLECTED,
    SUCCEEDED,
    Campaign,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Pledge,
)
from tremplin.members import project_scope
from tremplin.platform.extensions import db
from tremplin.platform.figures import in_period, period_and_place, sum_by_month


def _project_filter(stmt, project_ids=None, territory=None, theme=None):
    if project_ids is not None:
        stmt = stmt.where(Campaign.project_id.in_(list(project_ids)))
    return project_scope(stmt, Campaign.project_id, territory, theme)


def amount_raised(
    start: datetime | None,
    end: datetime | None,
    project_ids=None,
    *,
    territory: str | None = None,
    theme: str | None = None,
) -> int:
    """Charges and transfers received minus refunds, on campaign accounts, in [start, end)."""
    stmt = (
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerTransaction, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id)
        .join(Campaign, cast(Campaign.id, SqlString) == LedgerAccount.ref)
        .where(
            LedgerAccount.kind == "campaign",
            LedgerTransaction.kind.in_(("charge", "transfer", "refund")),
        )
    )
    stmt = _project_filter(
        in_period(stmt, LedgerTransaction.occurred_at, start, end), project_ids, territory, theme
    )
    return int(db.session.scalar(stmt) or 0)


def funded_project_count(
    start: datetime | None,
    end: datetime | None,
    project_ids=None,
    *,
    territory: str | None = None,
    theme: str | None = None,
) -> int:
    stmt = select(func.count(func.distinct(Campaign.project_id))).where(
        Campaign.outcome == SUCCEEDED
    )
    stmt = _project_filter(
        in_period(stmt, Campaign.ended_at, start, end), project_ids, territory, theme
    )
    return int(db.session.scalar(stmt) or 0)


def backer_count(
    start: datetime | None, end: datetime | None, *, territory=None, theme=None
) -> int:
    """Members whose pledge was paid in [start, end). A pledge refunded in full (status
    REFUNDED) no longer counts; a cancelled or unpaid promise never did."""
    stmt = (
        select(func.count(func.distinct(Pledge.backer_id)))
        .join(Campaign, Campaign.id == Pledge.campaign_id)
        .where(Pledge.status == COLLECTED, Pledge.collected_at.is_not(None))
    )
    stmt = _project_filter(in_period(stmt, Pledge.collected_at, start, end), None, territory, theme)
    return int(db.session.scalar(stmt) or 0)


def _monthly_raised(filters) -> dict:
    rows = db.session.execute(
        _project_filter(
            select(LedgerTransaction.occurred_at, LedgerEntry.amount_cents)
            .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
            .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id)
            .join(Campaign, cast(Campaign.id, SqlString) == LedgerAccount.ref)
            .where(
                LedgerAccount.kind == "campaign",
                LedgerTransaction.kind.in_(("charge", "transfer", "refund")),
                LedgerTransaction.occurred_at >= filters.start_at,
                LedgerTransaction.occurred_at < filters.end_at,
            ),
            None,
            filters.territory,
            filters.theme,
        )
    ).all()
    return sum_by_month(rows)


def _records(_filters) -> str:
    from flask import url_for

    return url_for("funding.index")  # every campaign, open and past, with its totals


def register() -> None:
    from tremplin.platform.hooks import Indicator, register_indicator

    register_indicator(
        Indicator(
            key="funding_amount_raised",
            label=_l("Montants collectés"),
            section="financement",
            unit="cents",
            order=20,
            definition=_l(
                "Paiements par carte et virements reçus par les collectes pendant la "
                "période, remboursements déduits (grand livre)."
            ),
            compute=period_and_place(amount_raised),
            monthly=_monthly_raised,
            filters=("territory", "theme"),
            records=_records,
        )
    )
    register_indicator(
        Indicator(
            key="funding_projects_funded",
            label=_l("Projets financés par une collecte"),
            section="financement",
            order=21,
            definition=_l("Projets dont une collecte a réussi pendant la période."),
            compute=period_and_place(funded_project_count),
            filters=("territory", "theme"),
            records=_records,
        )
    )
    register_indicator(
        Indicator(
            key="funding_backers",
            label=_l("Soutiens financiers"),
            section="financement",
            order=22,
            definition=_l(
                "Membres dont une promesse a été payée pendant la période ; promesses "
                "annulées ou remboursées en totalité exclues."
            ),
            compute=period_and_place(backer_count),
            filters=("territory", "theme"),
            records=_records,
        )
    )
