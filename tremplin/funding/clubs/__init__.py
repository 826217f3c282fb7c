"""Investor clubs on the Cigales model: 5 to 20 neighbours pool monthly savings in a fund
(kept in the funding ledger), decide together by vote — one member, one vote — which
local projects to back, and follow them for years. The platform never holds the money:
the treasurer records the club's bank transfers (or Stripe collects them).

Other modules use only the functions below. A club's pages, money, votes and minutes are
for its members; only its public card, if the club publishes it, is shown to others.

Rooms: models.py, policies.py, locking.py (a leaf); services by concept — clubs.py
(founding, members, roles), lifecycle.py, savings.py, fund.py, votes.py, applications.py,
investments.py, portfolio.py, documents.py, cards.py (public cards), reminders.py; notices.py,
panels.py, indicators.py, search.py, privacy.py, labels.py, dates.py; forms.py, routes.py,
money_routes.py, vote_routes.py; cli.py, demo.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from tremplin.funding.clubs.models import InvestorClub
from tremplin.funding.clubs.policies import can_view_club, can_view_club_card, is_club_member

bp = Blueprint("clubs", __name__)

__all__ = [
    "bp",
    "init_module",
    "InvestorClub",
    "can_view_club",
    "can_view_club_card",
    "is_club_member",
    "club_public_card",
    "public_club_cards",
    "clubs_of",
    "club_investments_per_period",
    "club_invested_amount",
    "club_totals",
    "PeriodFigure",
    "handle_stripe_invoice",
]

DEFAULTS = {
    # Days after the monthly payment day before an unpaid month is flagged as late.
    "CLUBS_LATE_AFTER_DAYS": 10,
    # Days before the end of the gérant's term when the members are reminded.
    "CLUBS_TERM_REMINDER_DAYS": 30,
    "CLUBS_DOCUMENT_MAX_BYTES": 10 * 1024 * 1024,
    "CLUBS_RATELIMIT_INVITE": "30 per hour",
}


def _nav_badge(user) -> int:
    from tremplin.funding.clubs.panels import waiting_on_me

    return waiting_on_me(user)


def _register_hooks() -> None:
    from tremplin.funding.clubs import demo, indicators, notices, panels, privacy  # noqa: F401
    from tremplin.platform.hooks import (
        DashboardPanel,
        NavItem,
        register_dashboard_panel,
        register_nav_item,
    )

    register_nav_item(
        NavItem(
            "clubs.index",
            _l("Clubs d’investisseurs"),
            order=35,
            active_prefix="/clubs",
            badge=_nav_badge,
        )
    )
    register_dashboard_panel(
        DashboardPanel("funding/clubs/_dashboard_panel.html", panels.dashboard, order=35)
    )
    notices.register_kinds()
    indicators.register()


def _club_account_updated(account_id: str, charges_enabled: bool) -> int:
    """`account.updated` for a club's connected account (see funding/connect.py)."""
    from sqlalchemy import update

    from tremplin.funding.clubs.models import InvestorClub
    from tremplin.platform.extensions import db

    return db.session.execute(
        update(InvestorClub)
        .where(InvestorClub.stripe_account_id == account_id)
        .values(stripe_charges_enabled=charges_enabled)
        .execution_options(synchronize_session=False)
    ).rowcount


def init_module(app: Flask) -> None:
    from tremplin.funding.clubs import search

    _register_hooks()
    search.register()
    from tremplin.funding import webhooks
    from tremplin.funding.clubs import (  # noqa: F401
        bank_routes,
        cli,
        labels,
        money_routes,
        routes,
        vote_routes,
    )

    webhooks.register_handler("invoice.paid", handle_stripe_invoice)
    from tremplin.funding import connect

    if _club_account_updated not in connect.ACCOUNT_LISTENERS:
        connect.ACCOUNT_LISTENERS.append(_club_account_updated)

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    from tremplin.funding.clubs.savings import card_savings_enabled

    app.jinja_env.globals["club_labels"] = labels
    app.jinja_env.globals["club_card_savings_possible"] = card_savings_enabled
    if cli.clubs_cli.name not in app.cli.commands:
        app.cli.add_command(cli.clubs_cli)


# --- public functions ----------------------------------------------------------------------


def club_public_card(club: InvestorClub) -> dict:
    """What a club that publishes its card shows everyone (search indexes the same keys:
    name, description, themes, departement, created_at). Never the members, the money of
    each, the votes nor the minutes. Three statements."""
    from tremplin.funding.clubs.cards import cards_for

    return cards_for([club])[club.id]


def public_club_cards(*, departement: str | None = None, theme: str | None = None) -> list[dict]:
    """Every club that publishes its card (active and forming first), as dicts (see
    `club_public_card`), in a fixed number of statements. For the clubs directory and
    for search."""
    from tremplin.funding.clubs.cards import public_cards

    return public_cards(departement=departement, theme=theme)


def clubs_of(user) -> list[InvestorClub]:
    """The clubs this member belongs to."""
    from tremplin.funding.clubs.clubs import clubs_of as find

    return find(user)


@dataclass(frozen=True)
class PeriodFigure:
    start: date  # first day of the period
    investments_count: int
    invested_cents: int
    projects_count: int


def club_investments_per_period(
    start: date, end: date, period: str = "month"
) -> list[PeriodFigure]:
    """Investments made by clubs in [start, end) per period (week, month, quarter or year),
    by investment date: how many, how much (cents), and how many distinct projects."""
    from tremplin.funding.clubs.indicators import per_period

    return per_period(start, end, period)


def club_invested_amount(
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    territory: str | None = None,
    theme: str | None = None,
) -> int:
    """Money invested by clubs in [start, end) from the ledger (investments out of the
    funds), optionally for projects of one département or theme. For the impact dashboard."""
    from tremplin.funding.clubs.indicators import invested_amount

    return invested_amount(start, end, territory=territory, theme=theme)


def club_totals() -> dict:
    """Network-wide figures: clubs by state, members, savings paid in, invested, projects
    backed (cents for money)."""
    from tremplin.funding.clubs.indicators import totals

    return totals()


def handle_stripe_invoice(event: dict, now: datetime | None = None) -> str:
    """For funding's webhook: an `invoice.paid` event of a club savings subscription
    becomes the member's monthly payment (once). Returns an outcome string."""
    from tremplin.funding.clubs.savings import record_card_invoice
    from tremplin.funding.payments import invoice_from

    data = event.get("data") or {}
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return "ignored: no invoice"
    return record_card_invoice(invoice_from(obj))
