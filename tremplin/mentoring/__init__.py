"""Mentoring: mentor offers, suggestions explained in words, pairings (*binômes*) with their
goals and sessions, hours certified for the mentor, and the organisers' follow-up.

Other modules (the impact dashboard) use only the functions below. Session notes never
leave the pair: nothing exported from here carries them.

Rooms: models.py, rules.py (a leaf), policies.py; services — services.py (offers and
requests), matching.py (suggestions in words), pairings.py (pairs, goals, sessions),
reports.py, certificate.py (PDF); notices.py, panels.py, impact.py, privacy.py, labels.py;
forms.py, routes.py (members' pages), organiser_routes.py (organisers' follow-up);
cli.py, demo.py.
"""

from __future__ import annotations

import os
from datetime import date

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from tremplin.mentoring.reports import PeriodFigure, Totals, figures_per_period, totals
from tremplin.platform.hooks import (
    AdminSection,
    DashboardPanel,
    NavItem,
    register_admin_section,
    register_dashboard_panel,
    register_nav_item,
)

bp = Blueprint("mentoring", __name__)

__all__ = [
    "bp",
    "init_module",
    "hours_per_period",
    "pairings_per_period",
    "figures_per_period",
    "mentoring_totals",
    "PeriodFigure",
    "Totals",
    # for the public API
    "my_pairings_stmt",
    "can_view_pairing",
]

DEFAULTS = {
    # Used until organisers save their own settings on the organisers' page.
    "MENTORING_DEFAULT_LENGTH_WEEKS": 26,
    "MENTORING_QUIET_AFTER_WEEKS": 4,
    "MENTORING_REQUEST_EXPIRY_DAYS": 14,
    # Folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf (Debian fonts-dejavu-core).
    "MENTORING_PDF_FONT_DIR": "/usr/share/fonts/truetype/dejavu",
    # Who issues the attestation (a VAE file or an employer expects an organisation, its
    # address, a signatory and room for the stamp and signature).
    "MENTORING_CERTIFICATE_ORGANISATION": "Association Tremplin",
    "MENTORING_CERTIFICATE_ADDRESS": "",
    "MENTORING_CERTIFICATE_SIGNATORY": "",
    "MENTORING_CERTIFICATE_SIGNATORY_TITLE": "",
}


def hours_per_period(start: date, end: date, period: str = "month") -> list[tuple[date, float]]:
    """Mentoring hours logged per period (week, month, quarter or year) between two
    dates, as (first day of the period, hours): sessions of pairings that took place."""
    return [(f.start, f.hours) for f in figures_per_period(start, end, period)]


def pairings_per_period(
    start: date, end: date, period: str = "month"
) -> list[tuple[date, int, int]]:
    """(first day of the period, pairings started, pairings completed) per period."""
    return [
        (f.start, f.pairings_started, f.pairings_completed)
        for f in figures_per_period(start, end, period)
    ]


def mentoring_totals() -> Totals:
    """Hours and sessions so far, pairings active and completed, mentors available,
    porteurs waiting for a mentor."""
    return totals()


def _nav_badge(user) -> int:
    from tremplin.mentoring.panels import waiting_on_me

    return waiting_on_me(user)


def _register_hooks() -> None:
    from tremplin.mentoring import demo, impact, notices, panels, privacy  # noqa: F401

    register_nav_item(
        NavItem(
            "mentoring.index",
            _l("Parrainage"),
            order=30,
            active_prefix="/parrainage",
            badge=_nav_badge,
        )
    )
    register_dashboard_panel(
        DashboardPanel("mentoring/_dashboard_panel.html", panels.dashboard, order=30)
    )
    notices.register_kinds()
    impact.register()
    register_admin_section(  # the organisers' administration menu
        AdminSection(
            "mentoring.organisers",
            _l("Suivi du parrainage"),
            order=40,
            count=lambda user: panels.porteurs_waiting(),
        )
    )


def init_module(app: Flask) -> None:
    from tremplin.mentoring import cli, labels, routes  # noqa: F401  (routes attach to bp)

    _register_hooks()

    app.jinja_env.globals["mentoring_labels"] = labels

    for key, value in DEFAULTS.items():
        if key.startswith("MENTORING_CERTIFICATE_"):  # texts: the environment may set them
            value = os.environ.get(key, value).replace("\\n", "\n")
        app.config.setdefault(key, value)
    if cli.mentoring_cli.name not in app.cli.commands:
        app.cli.add_command(cli.mentoring_cli)


# --- for the public API (tremplin.api) ---------------------------------------------------


def my_pairings_stmt(user):
    """SELECT of the pairings the member is in (as mentor or porteur)."""
    from sqlalchemy import or_, select

    from tremplin.mentoring.models import Pairing

    return select(Pairing).where(or_(Pairing.mentor_id == user.id, Pairing.porteur_id == user.id))


def can_view_pairing(user, pairing) -> bool:
    from tremplin.mentoring.policies import can_view_pairing as can

    return can(user, pairing)
