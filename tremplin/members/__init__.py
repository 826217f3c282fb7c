"""Members: people and their projects — profiles with per-field visibility, project pages
and teams, needs and offers of help, the project journal and its milestones, follows and
the feed, and the member's RGPD rights (download my data, delete my account).

Other modules use the functions below and the signals in `signals.py`; they never write
members' rows themselves.

Where things live: models.py, policies.py (every access rule), the services split by
concept — profiles.py (and the directory), people.py (what a viewer may see of someone),
projects.py (pages and teams), needs.py (needs, offers, mise en relation), journal.py
(news and milestones), feed.py (follows and the feed), privacy.py (export, erasure) —
then forms.py, routes.py (profiles, directory, feed, RGPD) and, by concept,
project_routes.py (projects, teams, needs, journal) and help_routes.py (who can help),
panels.py (home page), notices.py
(notifications and e-mail kinds), files.py (who may see an uploaded file), demo.py.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from tremplin.members import signals

# (the function is exported as `activity_feed`: `feed` stays the name of the submodule)
from tremplin.members.feed import feed as activity_feed
from tremplin.members.feed import follow_state, followers_of
from tremplin.members.journal import milestone_counts
from tremplin.members.labels import MILESTONE_LABELS, NEED_KIND_LABELS, ROLE_LABELS, STAGE_LABELS
from tremplin.members.models import (
    Follow,
    HelpOffer,
    JournalEntry,
    Milestone,
    Need,
    Profile,
    Project,
    ProjectMember,
)
from tremplin.members.people import (
    Person,
    ProfileView,
    avatar_url,
    contact_details,
    person,
    visible_profile,
)
from tremplin.members.policies import (
    can_edit_project,
    can_offer_help,
    can_view_need,
    can_view_profile,
    can_view_project,
)
from tremplin.members.profiles import get_profile, users_with_role
from tremplin.members.projects import (
    get_project,
    is_project_team_member,
    project_scope,
    projects_of,
    visible_projects,
)
from tremplin.platform.hooks import NavItem, register_nav_item

bp = Blueprint("members", __name__)

__all__ = [
    "bp",
    "init_module",
    # models
    "Profile",
    "Project",
    "ProjectMember",
    "Need",
    "HelpOffer",
    "JournalEntry",
    "Milestone",
    "Follow",
    # people
    "visible_profile",
    "ProfileView",
    "person",
    "Person",
    "avatar_url",
    "contact_details",
    "get_profile",
    "users_with_role",
    # projects
    "get_project",
    "projects_of",
    "project_scope",
    "is_project_team_member",
    "visible_projects",
    "can_view_project",
    "can_edit_project",
    "can_view_profile",
    "can_view_need",
    # journal, feed
    "milestone_counts",
    "activity_feed",
    "follow_state",
    "followers_of",
    "needs_you_could_help",
    # labels
    "STAGE_LABELS",
    "NEED_KIND_LABELS",
    "MILESTONE_LABELS",
    "ROLE_LABELS",
    # for the public API
    "can_offer_help",
    "offer_help",
    "get_need",
    "signals",
]


def needs_you_could_help(user, *, limit: int = 3) -> list:
    """Open needs `user` could help with, best first: `NeedMatch(need, score, reasons)`
    (the digest carries the top three). Empty for a member who opted out."""
    from tremplin.members.suggestions import needs_for_member

    return needs_for_member(user, limit=limit)


def _register_hooks() -> None:
    from tremplin.members import demo, notices, panels, privacy  # noqa: F401  (they register)

    register_nav_item(
        NavItem("members.project_list", _l("Projets"), order=10, active_prefix="/projets")
    )
    register_nav_item(
        NavItem(
            "members.directory",
            _l("Membres"),
            order=20,
            members_only=True,
            active_prefix="/membres",
        )
    )
    notices.register_kinds()
    panels.register()


def init_module(app: Flask) -> None:
    from tremplin.members import search

    _register_hooks()
    search.register()
    from tremplin.members import admin, help_routes, impact, project_routes, routes  # noqa: F401  (they attach to bp)
    from tremplin.members.files import resolve_upload
    from tremplin.platform import uploads

    impact.register()
    admin.register()
    help_routes.register()
    uploads.register_resolver(resolve_upload)
    uploads.init_app(app)
    _template_helpers(app)


def _template_helpers(app: Flask) -> None:
    from tremplin.members import labels, policies
    from tremplin.members.people import person_for_current_user

    app.jinja_env.globals.update(
        person=person_for_current_user,  # person(user): name, picture and link as seen now
        members_policies=policies,
        members_contact=contact_details,
        members_stages=labels.STAGES,
        members_stage_label=labels.STAGE_LABELS.get,
        members_need_kind_label=labels.NEED_KIND_LABELS.get,
        members_unit_label=labels.UNIT_LABELS.get,
        members_milestone_label=labels.MILESTONE_LABELS.get,
        members_role_short=labels.ROLE_SHORT.get,
        members_field_label=labels.FIELD_LABELS.get,
        members_offer_status_label=labels.OFFER_STATUS_LABELS.get,
    )


# --- for the public API (tremplin.api) ---------------------------------------------------


def offer_help(need, helper, message: str):
    """A member answers a need (same checks as the need page; raises a DomainError)."""
    from tremplin.members.needs import offer_help as offer

    return offer(need, helper, message)


def get_need(need_id: int):
    from tremplin.platform.extensions import db

    return db.session.get(Need, need_id)
