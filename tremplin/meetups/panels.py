"""The meetups module's blocks on other pages: the member's home ("Mes prochaines
rencontres", "Opportunités pour mes thèmes") and a group's page (its next meetups).
Each loads what it shows in a fixed number of statements."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tremplin.meetups import opportunities, policies
from tremplin.meetups.meetups import upcoming_meetups
from tremplin.meetups.models import (
    ACTIVE_REGISTRATION_STATES,
    PENDING,
    Meetup,
    Registration,
)
from tremplin.meetups.registrations import counts_for
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow


def my_meetups(user) -> dict:
    """The member's next meetups (registered or waiting), then the next others to join."""
    rows = db.session.execute(
        select(Meetup, Registration.status)
        .join(Registration, Registration.meetup_id == Meetup.id)
        .where(
            Registration.user_id == user.id,
            Registration.status.in_(tuple(s for s in ACTIVE_REGISTRATION_STATES if s != PENDING)),
            Meetup.ends_at > utcnow(),
            Meetup.state.in_(("published", "cancelled")),
        )
        .options(selectinload(Meetup.group))
        .order_by(Meetup.starts_at)
        .limit(5)
    ).all()
    mine = [(meetup, status) for meetup, status in rows]
    taken = {m.id for m, _s in mine}
    others = [
        m for m in upcoming_meetups(user, limit=6, include_cancelled=False) if m.id not in taken
    ][:3]
    return {"mine": mine, "others": others, "can_create": policies.can_create_meetup(user)}


def my_opportunities(user) -> dict:
    themes = opportunities.themes_of(user)
    items = opportunities.for_member(user, limit=5) if themes else []
    return {"opportunities": items, "themes": themes}


def group_meetups(group, user) -> dict | None:
    meetups = upcoming_meetups(user, limit=3, group_id=group.id, include_cancelled=False)
    can_create = policies.can_create_meetup(user, group)
    minutes = shared_minutes(group, user)
    if not meetups and not can_create and not minutes:
        return None
    return {
        "meetups": meetups,
        "counts": counts_for([m.id for m in meetups]),
        "can_create": can_create,
        "can_write_minutes": policies.can_write_minutes(user, None, group),
        "minutes": minutes,
        "group": group,
    }


def shared_minutes(group, user, limit: int = 3):
    """The group's latest minutes its members may read (published and shared with the
    group, or all of them for its organisers)."""
    from tremplin.meetups.minutes import group_minutes

    if not policies.in_group(user, group) and not policies.can_write_minutes(user, None, group):
        return []
    return group_minutes(group.id, drafts=policies.can_write_minutes(user, None, group))[:limit]


def register() -> None:
    from flask_babel import lazy_gettext as _l

    from tremplin.groups import GroupPanel, register_group_panel
    from tremplin.platform.hooks import ProjectPanel, register_project_panel

    register_project_panel(ProjectPanel("meetups/_project_panel.html", project_support, order=20))

    register_group_panel(
        GroupPanel(
            "meetups/_group_panel.html", group_meetups, order=30, title=_l("Prochaines rencontres")
        )
    )


def project_support(project, viewer) -> dict | None:
    """A project page's "offer support" block: any member outside the team may commit
    contacts, skills, premises, time, equipment or money; the team sees what was
    proposed."""
    from sqlalchemy import func

    from tremplin.meetups.models import PROPOSED, SupportCommitment

    if policies.can_commit_support(viewer, project):
        return {"project": project, "can_commit": True, "waiting": 0}
    if policies.can_see_project_commitments(viewer, project):
        waiting = db.session.scalar(
            select(func.count(SupportCommitment.id)).where(
                SupportCommitment.project_id == project.id, SupportCommitment.state == PROPOSED
            )
        )
        return {"project": project, "can_commit": False, "waiting": waiting}
    return None
