"""Minutes (*comptes rendus*) of a meetup or of a working group's meeting: written by a
secretary (Markdown, attendees pre-filled from the check-in, decisions, actions with an
owner and a due date), then published to the attendees — and to the group if chosen.

Actions are followed until done: on their owner's dashboard and in the next meeting of the
same series (same group, or the network's meetups). Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from tremplin.groups.models import GroupMembership
from tremplin.meetups import policies
from tremplin.meetups.models import (
    MINUTES_DRAFT,
    MINUTES_PUBLISHED,
    Meetup,
    Minutes,
    MinutesAction,
    Registration,
)
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.textlimits import check_length
from tremplin.platform.types import utcnow

KIND_MINUTES = "meetups_minutes"
MAX_ACTIONS = 20
LIMITS = {"title": 160, "attendees": 5000, "body": 20000, "decisions": 10000, "action": 300}


@dataclass
class ActionInput:
    description: str
    owner_id: int | None = None
    due_on: date | None = None


@dataclass
class MinutesInput:
    title: str
    held_at: datetime
    attendees: str = ""
    body: str = ""
    decisions: str = ""
    share_with_group: bool = False
    actions: list[ActionInput] | None = None


# --- reading -----------------------------------------------------------------------------


def attendees_text(meetup: Meetup) -> str:
    """One line per person checked in (guests counted), for the secretary to correct."""
    rows = db.session.scalars(
        select(Registration)
        .where(Registration.meetup_id == meetup.id, Registration.checked_in_at.is_not(None))
        .options(selectinload(Registration.user))
        .order_by(Registration.checked_in_at, Registration.id)
    ).all()
    lines = []
    for r in rows:
        name = r.display_name or _("Participant·e")
        if r.guests_checked_in:
            name += f" (+{r.guests_checked_in})"
        lines.append(name)
    return "\n".join(lines)


def owner_choices(meetup: Meetup | None = None, group=None) -> list[User]:
    """Who may own an action: the members checked in at the meetup, or the group's members,
    plus whoever runs it."""
    if meetup is not None:
        stmt = (
            select(User)
            .join(Registration, Registration.user_id == User.id)
            .where(Registration.meetup_id == meetup.id, Registration.checked_in_at.is_not(None))
        )
    else:
        stmt = (
            select(User)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .where(GroupMembership.group_id == group.id, GroupMembership.state == "active")
        )
    return list(db.session.scalars(stmt.order_by(User.display_name)).unique())


def minutes_for_meetup(meetup_id: int) -> Minutes | None:
    return db.session.scalar(
        select(Minutes)
        .where(Minutes.meetup_id == meetup_id)
        .options(selectinload(Minutes.actions).selectinload(MinutesAction.owner))
    )


def load(minutes_id: int) -> Minutes | None:
    return db.session.scalar(
        select(Minutes)
        .where(Minutes.id == minutes_id)
        .options(
            selectinload(Minutes.actions).selectinload(MinutesAction.owner),
            selectinload(Minutes.meetup).selectinload(Meetup.group),
            selectinload(Minutes.group),
            selectinload(Minutes.secretary),
        )
    )


def attended(user, meetup: Meetup | None) -> bool:
    if meetup is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(Registration.id).where(
                Registration.meetup_id == meetup.id,
                Registration.user_id == user.id,
                Registration.checked_in_at.is_not(None),
            )
        )
        is not None
    )


def _series(stmt, group_id: int | None):
    """Minutes of the same series: the same group, or the network's meetups."""
    if group_id is not None:
        return stmt.where(
            or_(
                Minutes.group_id == group_id,
                Minutes.meetup_id.in_(select(Meetup.id).where(Meetup.group_id == group_id)),
            )
        )
    return stmt.where(
        Minutes.group_id.is_(None),
        Minutes.meetup_id.in_(select(Meetup.id).where(Meetup.group_id.is_(None))),
    )


def open_actions_before(group_id: int | None, before: datetime) -> list[MinutesAction]:
    """What the previous meetings of the series left to do: the next meeting's agenda."""
    stmt = (
        select(MinutesAction)
        .join(Minutes)
        .where(
            MinutesAction.done_at.is_(None),
            Minutes.state == MINUTES_PUBLISHED,
            Minutes.held_at < before,
        )
        .options(selectinload(MinutesAction.owner), selectinload(MinutesAction.minutes))
        .order_by(MinutesAction.due_on.is_(None), MinutesAction.due_on, MinutesAction.id)
    )
    return list(db.session.scalars(_series(stmt, group_id)))


def group_minutes(group_id: int, *, drafts: bool = False) -> list[Minutes]:
    """A group's minutes, latest first: its meetings' and its meetups'; the published ones
    shared with the group (every one, drafts included, for its organisers)."""
    stmt = _series(select(Minutes), group_id).order_by(Minutes.held_at.desc()).limit(20)
    if not drafts:
        stmt = stmt.where(Minutes.state == MINUTES_PUBLISHED, Minutes.share_with_group)
    return list(db.session.scalars(stmt))


def open_actions_of(user) -> list[MinutesAction]:
    """A member's actions still to do (their dashboard)."""
    return list(
        db.session.scalars(
            select(MinutesAction)
            .join(Minutes)
            .where(
                MinutesAction.owner_id == user.id,
                MinutesAction.done_at.is_(None),
                Minutes.state == MINUTES_PUBLISHED,
            )
            .options(selectinload(MinutesAction.minutes))
            .order_by(MinutesAction.due_on.is_(None), MinutesAction.due_on, MinutesAction.id)
            .limit(10)
        )
    )


# --- writing -----------------------------------------------------------------------------


def _validate(data: MinutesInput, allowed_owner_ids: set[int]) -> list[ActionInput]:
    title = (data.title or "").strip()
    if not title:
        raise DomainError(_("Donnez un titre au compte rendu."), field="title")
    check_length(title, LIMITS["title"], field="title")
    check_length(data.attendees, LIMITS["attendees"], field="attendees")
    check_length(data.body, LIMITS["body"], field="body")
    check_length(data.decisions, LIMITS["decisions"], field="decisions")
    actions = [a for a in (data.actions or []) if (a.description or "").strip()]
    if len(actions) > MAX_ACTIONS:
        raise DomainError(_("Vingt actions au plus par compte rendu."), field="actions")
    for action in actions:
        check_length(action.description.strip(), LIMITS["action"], field="actions")
        if action.owner_id is not None and action.owner_id not in allowed_owner_ids:
            raise DomainError(
                _("Le responsable d’une action doit être un participant."), field="actions"
            )
    return actions


def save(
    actor: User,
    data: MinutesInput,
    *,
    meetup: Meetup | None = None,
    group=None,
    minutes: Minutes | None = None,
) -> Minutes:
    """Create or update the minutes. Actions not yet done are replaced by those given;
    those already done stay as they are."""
    if minutes is not None:
        meetup, group = minutes.meetup, minutes.group
    if not policies.can_write_minutes(actor, meetup, group):
        raise NotAllowed()
    owners = {u.id for u in owner_choices(meetup, group)} | {actor.id}
    actions = _validate(data, owners)
    if minutes is None:
        if meetup is not None and minutes_for_meetup(meetup.id) is not None:
            raise DomainError(_("Cette rencontre a déjà son compte rendu."))
        minutes = Minutes(
            meetup_id=meetup.id if meetup else None,
            group_id=group.id if (group is not None and meetup is None) else None,
            secretary_id=actor.id,
            state=MINUTES_DRAFT,
        )
        db.session.add(minutes)
    minutes.title = data.title.strip()
    minutes.held_at = data.held_at
    minutes.attendees = (data.attendees or "").strip()
    minutes.body = (data.body or "").strip()
    minutes.decisions = (data.decisions or "").strip()
    minutes.share_with_group = bool(data.share_with_group)
    minutes.updated_at = utcnow()
    kept = [a for a in minutes.actions if a.is_done]
    minutes.actions[:] = kept + [
        MinutesAction(
            position=len(kept) + i,
            description=a.description.strip(),
            owner_id=a.owner_id,
            due_on=a.due_on,
        )
        for i, a in enumerate(actions)
    ]
    db.session.flush()
    return minutes


def publish(actor: User, minutes: Minutes) -> int:
    """Publish once (a second click changes nothing): the attendees, the action owners and,
    if chosen, the group's members are told. Returns how many people were told."""
    if not policies.can_write_minutes(actor, minutes.meetup, minutes.group):
        raise NotAllowed()
    done = db.session.execute(
        update(Minutes)
        .where(Minutes.id == minutes.id, Minutes.state == MINUTES_DRAFT)
        .values(state=MINUTES_PUBLISHED, published_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise DomainError(_("Ce compte rendu est déjà publié."))
    db.session.refresh(minutes)
    readers: dict[int, User] = {}
    if minutes.meetup is not None:
        for user in owner_choices(minutes.meetup):
            readers[user.id] = user
    group = minutes.group or (minutes.meetup.group if minutes.meetup else None)
    if minutes.share_with_group and group is not None:
        for user in owner_choices(None, group):
            readers[user.id] = user
    readers.pop(actor.id, None)
    url = url_for("meetups.minutes_page", minutes_id=minutes.id)
    for user in readers.values():
        notify(
            user,
            KIND_MINUTES,
            _("Le compte rendu « %(title)s » est publié.", title=minutes.title),
            url,
        )
    _tell_owners(minutes, skip=set(readers) | {actor.id})
    return len(readers)


def _tell_owners(minutes: Minutes, *, skip=frozenset()) -> None:
    url = url_for("meetups.minutes_page", minutes_id=minutes.id)
    for action in minutes.actions:
        if action.owner is None or action.owner_id in skip or action.is_done:
            continue
        notify(
            action.owner,
            KIND_MINUTES,
            _("Une action vous est confiée : %(what)s", what=action.description),
            url,
        )


def mark_done(actor: User, action: MinutesAction) -> bool:
    """Mark an action done; True if this call did it (a second click does nothing)."""
    if not policies.can_mark_action_done(actor, action):
        raise NotAllowed()
    result = db.session.execute(
        update(MinutesAction)
        .where(MinutesAction.id == action.id, MinutesAction.done_at.is_(None))
        .values(done_at=utcnow(), done_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(action)
    return result.rowcount == 1
