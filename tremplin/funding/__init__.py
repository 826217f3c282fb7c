"""Funding: campaigns (*collectes*) with pledges paid by card (Stripe) or by bank transfer
(promises), and the double-entry ledger that accounts for every cent.

Other modules call the functions below (and read `signals`); they never write funding's
rows themselves. `payments.py` is the only file that talks to Stripe.

Rooms: models.py, rules.py (settings and who may pledge, a leaf), policies.py; services
by concept — campaigns.py (lifecycle), project_settings.py (bank details,
Stripe account, receipt issuer), pledges.py, charging.py (card collection), payments.py
(Stripe, alone), ledger.py and bookkeeping.py (double entry), refunds.py, receipts.py (tax
receipts), reconcile.py; notices.py, panels.py, indicators.py, search.py, privacy.py,
webhooks.py (Stripe events), templating.py; forms.py, routes.py (public and backer pages),
manage_routes.py (team pages); cli.py, demo.py. Investor clubs: clubs/.
"""

from __future__ import annotations

import os
from datetime import datetime

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from tremplin.funding import signals  # blinker signals only

bp = Blueprint("funding", __name__)

__all__ = [
    "bp",
    "init_module",
    "campaign_totals",
    "open_campaign_for_project",
    "project_funding",
    "pledge_from_commitment",
    "withdraw_commitment_pledge",
    "pledge_card_url",
    "amount_raised",
    "funded_project_count",
    "register_stripe_handler",
    # for the public API
    "visible_campaigns_stmt",
    "my_pledges_stmt",
    "can_view_campaign",
    "get_campaign",
    "signals",
]

CONFIG_DEFAULTS = {
    # Flask-Limiter syntax, per IP, on pledge submissions (create, change, cancel).
    "RATELIMIT_PLEDGE": os.environ.get("RATELIMIT_PLEDGE", "10 per minute; 60 per hour"),
    "FUNDING_MAX_PLEDGE_CENTS": int(os.environ.get("FUNDING_MAX_PLEDGE_CENTS", 10_000_000)),
    "FUNDING_MAX_GOAL_CENTS": int(os.environ.get("FUNDING_MAX_GOAL_CENTS", 100_000_000)),
    # hours after the 1st, 2nd, 3rd decline before trying the card again; then given up
    "FUNDING_RETRY_HOURS": os.environ.get("FUNDING_RETRY_HOURS", "24,72,168"),
    "FUNDING_CHARGE_LEASE_SECONDS": int(os.environ.get("FUNDING_CHARGE_LEASE_SECONDS", 900)),
    "FUNDING_REMINDER_DAYS": int(os.environ.get("FUNDING_REMINDER_DAYS", 7)),
    "FUNDING_MAX_REMINDERS": int(os.environ.get("FUNDING_MAX_REMINDERS", 3)),
    # Stripe Connect: the platform's share of each destination charge, in basis points
    "FUNDING_PLATFORM_FEE_BPS": int(os.environ.get("FUNDING_PLATFORM_FEE_BPS", 0)),
    # counterparts on tax receipts: the flat amount per donor and year for individuals
    # (BOI-IR-RICI-250-30-20: 73 € since 2021, indexed every five years)
    "FUNDING_COUNTERPART_CAP_CENTS": int(os.environ.get("FUNDING_COUNTERPART_CAP_CENTS", 7_300)),
}


def _register_hooks() -> None:
    from tremplin.funding import demo, indicators, notices, panels, privacy  # noqa: F401
    from tremplin.platform.hooks import NavItem, register_nav_item

    register_nav_item(
        NavItem("funding.index", _l("Collectes"), order=30, active_prefix="/collectes")
    )
    notices.register_kinds()
    panels.register()
    indicators.register()


def init_module(app: Flask) -> None:
    from tremplin.funding import search

    _register_hooks()
    search.register()
    from tremplin.funding import (  # noqa: F401  (attach to bp)
        cli,
        connect,
        connect_routes,
        manage_routes,
        routes,
        summary_routes,
        webhooks,
    )
    from tremplin.funding.statements import routes as statement_routes  # noqa: F401
    from tremplin.funding.templating import init_app as init_templating
    from tremplin.funding.webhooks import register_handler

    register_handler("account.updated", connect.account_updated)

    for key, value in CONFIG_DEFAULTS.items():
        app.config.setdefault(key, value)
    cli.init_app(app)
    init_templating(app)


# --- public functions ------------------------------------------------------------------------


def campaign_totals(campaign_ids):
    """{campaign id: Totals(pledged_cents, backers_count, collected_cents, goal_cents,
    percent)} in two queries."""
    from tremplin.funding.campaigns import totals

    return totals(campaign_ids)


def open_campaign_for_project(project_id: int):
    """The project's open campaign, or None."""
    from sqlalchemy import select

    from tremplin.funding.models import OPEN, Campaign
    from tremplin.platform.extensions import db

    return db.session.scalar(
        select(Campaign)
        .where(Campaign.project_id == project_id, Campaign.status == OPEN)
        .order_by(Campaign.id.desc())
    )


def project_funding(project_id: int) -> dict:
    """What funding knows about a project: its campaigns (newest first), the open one, and
    the money its campaigns hold in the ledger (collected − refunded − fees, in cents)."""
    from sqlalchemy import select

    from tremplin.funding import bookkeeping
    from tremplin.funding.campaigns import totals
    from tremplin.funding.models import DRAFT, OPEN, Campaign
    from tremplin.platform.extensions import db

    campaigns = db.session.scalars(
        select(Campaign)
        .where(Campaign.project_id == project_id, Campaign.status != DRAFT)
        .order_by(Campaign.created_at.desc())
    ).all()
    return {
        "campaigns": campaigns,
        "open": next((c for c in campaigns if c.status == OPEN), None),
        "totals": totals([c.id for c in campaigns]),
        "balance_cents": bookkeeping.project_balance(project_id),
    }


def pledge_from_commitment(
    commitment_ref: str, backer, project_id: int, amount_cents: int, *, message: str | None = None
):
    """For meetups: a money support commitment becomes a pledge on the project's open
    campaign (idempotent on `commitment_ref`). See pledges.pledge_from_commitment."""
    from tremplin.funding.pledges import pledge_from_commitment as make

    return make(commitment_ref, backer, project_id, amount_cents, message=message)


def withdraw_commitment_pledge(commitment_ref: str) -> bool:
    """For meetups: the commitment was cancelled, so is its pledge while the campaign is
    open (see pledges.withdraw_commitment_pledge)."""
    from tremplin.funding.pledges import withdraw_commitment_pledge as withdraw

    return withdraw(commitment_ref)


def pledge_card_url(pledge) -> str:
    """Where a backer saves the card of a pending (Stripe) pledge."""
    from tremplin.funding.notices import path

    return path("funding.card", pledge_id=pledge.id)


def amount_raised(
    start: datetime | None = None, end: datetime | None = None, project_ids=None
) -> int:
    """Money received by campaigns (charges and transfers, minus refunds) in [start, end),
    from the ledger. For the impact dashboard."""
    from tremplin.funding.indicators import amount_raised as compute

    return compute(start, end, project_ids)


def funded_project_count(
    start: datetime | None = None, end: datetime | None = None, project_ids=None
) -> int:
    """Projects with a campaign that succeeded in [start, end)."""
    from tremplin.funding.indicators import funded_project_count as compute

    return compute(start, end, project_ids)


def register_stripe_handler(event_type: str, handler) -> None:
    """Route a Stripe webhook event type to another module (e.g. clubs' `invoice.paid`):
    `handler(event: dict, now) -> str`. The event is already verified and stored once."""
    from tremplin.funding.webhooks import register_handler

    register_handler(event_type, handler)


# --- for the public API (tremplin.api) -------------------------------------------------------


def visible_campaigns_stmt(user):
    """SELECT of the campaigns `user` may see in lists: not drafts, on projects they may see
    (the rule of policies.can_view_campaign)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from tremplin.funding.models import DRAFT, Campaign
    from tremplin.members import Project, visible_projects

    project_ids = visible_projects(user).with_only_columns(Project.id)
    return (
        select(Campaign)
        .where(Campaign.status != DRAFT, Campaign.project_id.in_(project_ids))
        .options(selectinload(Campaign.project))
    )


def my_pledges_stmt(user):
    """SELECT of the member's own pledges, with their campaigns."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from tremplin.funding.models import Pledge

    return select(Pledge).where(Pledge.backer_id == user.id).options(selectinload(Pledge.campaign))


def can_view_campaign(user, campaign) -> bool:
    from tremplin.funding.policies import can_view_campaign as can

    return can(user, campaign)


def get_campaign(campaign_id: int):
    from tremplin.funding.models import Campaign
    from tremplin.platform.extensions import db

    return db.session.get(Campaign, campaign_id)
