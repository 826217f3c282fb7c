"""The members module's blocks on the home page: my projects and their needs, the feed,
milestones awaiting an organiser, and (for visitors) projects looking for help."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.members import policies
from tremplin.members.feed import feed
from tremplin.members.journal import milestones_awaiting_confirmation
from tremplin.members.models import ACCEPTED, INVITED, OPEN, PENDING, PUBLIC, Need, Project
from tremplin.members.needs import offers_by
from tremplin.members.projects import projects_of
from tremplin.platform import policies as site
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.hooks import (
    DashboardPanel,
    register_dashboard_panel,
    register_visitor_panel,
)


def my_projects(user) -> dict:
    projects = projects_of(user, include_invitations=True)
    mine, invitations = [], []
    for project in projects:
        status = next((m.status for m in project.memberships if m.user_id == user.id), None)
        (mine if status == ACCEPTED else invitations if status == INVITED else []).append(project)
    pending = {p.id: sum(1 for n in p.needs for o in n.offers if o.status == PENDING) for p in mine}
    my_offers = [o for o in offers_by(user) if o.status == PENDING or o.is_accepted][:5]
    return {
        "projects": mine,
        "invitations": invitations,
        "pending_offers": pending,
        "my_offers": my_offers,
        "form": EmptyForm(formdata=None),
    }


def feed_panel(user) -> dict:
    return {"page": feed(user, 1, per_page=6)}


def milestones_to_confirm(user) -> dict | None:
    if not site.is_organiser(user):
        return None
    waiting = [
        m
        for m in milestones_awaiting_confirmation(limit=20)
        if policies.can_confirm_milestone(user, m)
    ][:6]
    return {"milestones": waiting, "form": EmptyForm(formdata=None)}


def projects_seeking_help(_visitor) -> dict | None:
    projects = list(
        db.session.scalars(
            select(Project)
            .where(
                Project.visibility == PUBLIC,
                exists().where(Need.project_id == Project.id, Need.status == OPEN),
            )
            .options(selectinload(Project.needs), joinedload(Project.owner))
            .order_by(Project.updated_at.desc())
            .limit(3)
        )
    )
    return {"projects": projects} if projects else None


def could_help(user) -> dict | None:
    """Open needs the member could help with, with the reasons; nothing for a member who
    opted out of suggestions (the panel then stays away)."""
    from tremplin.members.suggestions import needs_for_member, preference_of

    preference = preference_of(user)
    if preference is not None and preference.opted_out:
        return None
    return {"matches": needs_for_member(user, limit=5), "form": EmptyForm(formdata=None)}


def register() -> None:
    register_dashboard_panel(DashboardPanel("members/panels/could_help.html", could_help, order=12))
    register_dashboard_panel(
        DashboardPanel("members/panels/my_projects.html", my_projects, order=10)
    )
    register_dashboard_panel(
        DashboardPanel("members/panels/milestones.html", milestones_to_confirm, order=15)
    )
    register_dashboard_panel(
        DashboardPanel("members/panels/feed.html", feed_panel, order=5, wide=True)
    )
    register_visitor_panel(
        DashboardPanel("members/panels/seeking_help.html", projects_seeking_help, order=10)
    )
