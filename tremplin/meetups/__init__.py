"""Meetups (*rencontres*): the monthly evenings and what they produce — registrations with
or without an account, check-in, proposal tables, support commitments followed until
delivered — and the opportunity watch (*veille*) with its digest.

Depends on members (projects, profiles) and groups (a meetup may belong to a group);
neither depends on this module. Other modules use only what this file exports.

Rooms: models.py, policies.py; services by concept — meetups.py, registrations.py,
checkin.py, tables.py and proposals.py, commitments.py, minutes.py, surveys.py, summary.py,
opportunities.py and digest.py, reminders.py, retention.py, ics.py; notices.py, panels.py,
impact.py, search.py, privacy.py, events.py; forms.py, routes.py (meetup pages and the
loaders every view starts with) and, by concept, checkin_routes.py, registration_routes.py,
table_routes.py, commitment_routes.py, followup_routes.py, opportunity_routes.py;
admin.py, cli.py, demo.py.
"""

from __future__ import annotations

import os
from datetime import datetime

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from tremplin.platform.hooks import (
    DashboardPanel,
    NavItem,
    data_exporter,
    on_account_deleted,
    register_dashboard_panel,
    register_email_kind,
    register_nav_item,
    register_visitor_panel,
)

bp = Blueprint("meetups", __name__)

__all__ = [
    "bp",
    "init_module",
    "commitment_rate",
    "conversion",
    "commitment_totals",
    "opportunity_wins",
    "proposals_for_project",
    "commitments_for_project",
    "upcoming_meetups",
    # for the public API (tremplin.api)
    "Meetup",
    "Registration",
    "Opportunity",
    "visible_meetups_filter",
    "load_meetup",
    "registration_counts",
    "rsvp",
    "my_registrations_stmt",
    "opportunities_stmt",
    "can_view_meetup",
    "can_register",
    "can_view_opportunity",
    "can_see_registrations",
    "signals",
]

from tremplin.meetups import signals  # noqa: E402
from tremplin.meetups.models import Meetup, Opportunity, Registration  # noqa: E402
from tremplin.meetups.policies import (  # noqa: E402
    can_register,
    can_see_registrations,
    can_view_meetup,
    can_view_opportunity,
)

# --- public functions (impact dashboard, funding, members, search) -----------------------


def commitment_rate(meetup):
    """`Rate(attendees, supporters)` of one meetup; `.percent` is the share (or None)."""
    from tremplin.meetups.commitments import commitment_rate as rate

    return rate(meetup)


def conversion(
    start: datetime | None = None, end: datetime | None = None, *, group_id: int | None = None
):
    """Attendee-to-supporter conversion over meetups starting in [start, end)."""
    from tremplin.meetups.commitments import conversion as rate

    return rate(start, end, group_id=group_id)


def commitment_totals(
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    states: tuple[str, ...] = ("fulfilled",),
):
    """`Totals(hours, value_cents, money_cents, count)` of commitments created in the period."""
    from tremplin.meetups.commitments import totals

    return totals(start, end, states=states)


def opportunity_wins(start: datetime | None = None, end: datetime | None = None) -> int:
    from tremplin.meetups.opportunities import wins_count

    return wins_count(start, end)


def proposals_for_project(project_id: int):
    """The proposal tables' ideas for a project (for its team's page)."""
    from tremplin.meetups.proposals import proposals_for_project as proposals

    return proposals(project_id)


def commitments_for_project(project_id: int):
    from tremplin.meetups.commitments import for_project

    return for_project(project_id)


def upcoming_meetups(user=None, *, limit: int = 5, group_id: int | None = None):
    from tremplin.meetups.meetups import upcoming_meetups as upcoming

    return upcoming(user, limit=limit, group_id=group_id)


def visible_meetups_filter(user):
    """SQL clause: the published or cancelled meetups `user` may see (as can_view_meetup)."""
    from tremplin.meetups.meetups import visible_filter

    return visible_filter(user)


def load_meetup(meetup_id: int):
    from tremplin.meetups.meetups import load_meetup as load

    return load(meetup_id)


def registration_counts(meetup_ids: list[int]):
    """{meetup id: Counts(confirmed, waiting, attended)} in one statement."""
    from tremplin.meetups.registrations import counts_for

    return counts_for(meetup_ids)


def rsvp(user, meetup, guests: int = 0):
    """A member's RSVP (a seat or the waiting list); raises a DomainError when refused."""
    from tremplin.meetups.registrations import register_member

    return register_member(user, meetup, guests)


def my_registrations_stmt(user):
    """SELECT of the member's own registrations (newest meetup first is up to the caller)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    return (
        select(Registration)
        .where(Registration.user_id == user.id)
        .options(selectinload(Registration.meetup))
    )


def opportunities_stmt(user, *, theme: str | None = None, kind: str | None = None):
    """SELECT of the open opportunities `user` may see (as can_view_opportunity)."""
    from tremplin.meetups.opportunities import list_stmt

    return list_stmt(user, theme=theme, kind=kind)


# --- plugging into the layout ------------------------------------------------------------


def _visitor_panel(_user):
    from tremplin.meetups.meetups import upcoming_meetups as upcoming
    from tremplin.meetups.registrations import counts_for

    meetups = upcoming(None, limit=3, include_cancelled=False)
    return {"meetups": meetups, "counts": counts_for([m.id for m in meetups])}


def _my_meetups_panel(user):
    from tremplin.meetups.panels import my_meetups

    return my_meetups(user)


def _my_actions_panel(user):
    """The actions minutes gave the member, until done (nothing shown when none)."""
    from tremplin.meetups.minutes import open_actions_of

    actions = open_actions_of(user)
    return {"actions": actions} if actions else None


def _my_opportunities_panel(user):
    from tremplin.meetups.panels import my_opportunities

    return my_opportunities(user)


def _erase(user) -> None:
    from tremplin.meetups.privacy import erase

    erase(user)


def _export(user) -> dict:
    from tremplin.meetups.privacy import export

    return export(user)


def init_module(app: Flask) -> None:
    from tremplin.meetups import search

    search.register()
    from tremplin.meetups import (  # noqa: F401  (the route files attach to bp)
        admin,
        checkin_routes,
        cli,
        commitment_routes,
        demo,
        followup_routes,
        impact,
        opportunity_routes,
        panels,
        registration_routes,
        routes,
        table_routes,
    )

    _register_hooks()
    impact.register()
    panels.register()
    admin.register()
    cli.init_app(app)
    # Days after a meetup before its visitors' names and addresses are forgotten (retention.py).
    app.config.setdefault(
        "MEETUPS_VISITOR_RETENTION_DAYS", int(os.environ.get("MEETUPS_VISITOR_RETENTION_DAYS", 365))
    )
    _template_helpers(app)


def _template_helpers(app: Flask) -> None:
    from tremplin.meetups import policies
    from tremplin.meetups.commitments import KIND_SHORT, STATE_LABELS, UNIT_LABELS
    from tremplin.meetups.meetups import format_minutes
    from tremplin.meetups.opportunities import KIND_LABELS
    from tremplin.meetups.registrations import place_text
    from tremplin.platform.types import utcnow
    from tremplin.platform.vocabulary import THEMES

    app.jinja_env.globals.update(
        now_utc=utcnow,
        meetups_policies=policies,
        meetups_themes=lambda: THEMES,
        meetups_place=place_text,
        meetups_minutes=format_minutes,
        meetups_kind_label=KIND_SHORT.get,
        meetups_state_label=STATE_LABELS.get,
        meetups_unit_label=UNIT_LABELS.get,
        meetups_opportunity_kind_label=KIND_LABELS.get,
    )


def _register_hooks() -> None:
    """Register this module's hooks (called from init_module)."""
    register_nav_item(
        NavItem("meetups.index", _l("Rencontres"), order=30, active_prefix="/rencontres")
    )
    register_visitor_panel(DashboardPanel("meetups/_visitor_panel.html", _visitor_panel, order=30))
    register_dashboard_panel(
        DashboardPanel("meetups/_dashboard_meetups.html", _my_meetups_panel, order=30)
    )
    register_dashboard_panel(
        DashboardPanel("meetups/_dashboard_opportunities.html", _my_opportunities_panel, order=35)
    )
    register_dashboard_panel(
        DashboardPanel("meetups/_dashboard_actions.html", _my_actions_panel, order=32)
    )
    register_email_kind(
        "meetups_registration",
        _l("Mes inscriptions aux rencontres : liste d’attente, changements, annulations"),
    )
    register_email_kind(
        "meetups_reminder", _l("Rappel la veille d’une rencontre où je suis inscrit·e")
    )
    register_email_kind(
        "meetups_commitments", _l("Soutiens : propositions reçues, réponses, rappels de suivi")
    )
    register_email_kind(
        "meetups_minutes", _l("Comptes rendus publiés et actions qui me sont confiées")
    )
    register_email_kind("meetups_survey", _l("Questionnaire de satisfaction après une rencontre"))
    register_email_kind(
        "meetups_digest",
        _l("Le résumé périodique : opportunités, rencontres et projets de mes thèmes"),
    )
    on_account_deleted(_erase)
    data_exporter(_export)
