"""Funding's blocks on the member's home: my pledges, and my projects' campaigns."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tremplin.funding.campaigns import totals
from tremplin.funding.models import CANCELLED, OPEN, Campaign, Pledge
from tremplin.platform.extensions import db
from tremplin.platform.hooks import DashboardPanel, register_dashboard_panel, register_visitor_panel


def my_pledges(user) -> dict | None:
    pledges = db.session.scalars(
        select(Pledge)
        .where(Pledge.backer_id == user.id, Pledge.status != CANCELLED)
        .options(joinedload(Pledge.campaign))
        .order_by(Pledge.created_at.desc())
        .limit(5)
    ).all()
    campaigns = _team_campaigns(user)
    if not pledges and not campaigns:
        return None
    return {"pledges": pledges, "campaigns": campaigns, "totals": totals([c.id for c in campaigns])}


def _team_campaigns(user) -> list[Campaign]:
    from tremplin.members import projects_of

    project_ids = [p.id for p in projects_of(user)]
    if not project_ids:
        return []
    return list(
        db.session.scalars(
            select(Campaign)
            .where(Campaign.project_id.in_(project_ids))
            .options(joinedload(Campaign.project))
            .order_by(Campaign.created_at.desc())
            .limit(5)
        )
    )


def open_campaigns(_visitor) -> dict | None:
    campaigns = list(
        db.session.scalars(
            select(Campaign)
            .where(Campaign.status == OPEN)
            .options(joinedload(Campaign.project))
            .order_by(Campaign.deadline_at)
            .limit(3)
        )
    )
    campaigns = [c for c in campaigns if c.project.visibility == "public"]
    return (
        {"campaigns": campaigns, "totals": totals([c.id for c in campaigns])} if campaigns else None
    )


def project_panel(project, viewer) -> dict | None:
    """A project page's campaign block: the open campaign's progress, or the past ones;
    for the team, the way to launch one. Nothing when there is nothing to say."""
    from tremplin.funding import policies, project_funding

    funding = project_funding(project.id)
    can_create = policies.can_create_campaign(viewer, project)
    if not funding["campaigns"] and not can_create:
        return None
    return {"funding": funding, "can_create": can_create, "project": project}


def register() -> None:
    from tremplin.platform.hooks import ProjectPanel, register_project_panel

    register_project_panel(ProjectPanel("funding/_project_panel.html", project_panel, order=10))
    register_dashboard_panel(DashboardPanel("funding/panels/mine.html", my_pledges, order=30))
    register_visitor_panel(DashboardPanel("funding/panels/open.html", open_campaigns, order=30))
