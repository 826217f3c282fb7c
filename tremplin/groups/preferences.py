"""Notification preferences per group and per channel: "all" (every new message, one
notice while unread), "mentions" (mentions and replies: the default) or "mute" (nothing).
A channel's own setting wins over its group's. Never commits."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from tremplin.groups import policies
from tremplin.groups.models import NOTIFY_LEVELS, Channel, Group, NotificationPreference
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User

DEFAULT_LEVEL = "mentions"
LEVEL_LABELS = {
    "all": _l("Tous les messages"),
    "mentions": _l("Mentions et réponses seulement"),
    "mute": _l("Rien (sourdine)"),
}


def levels_for(user_ids, channel: Channel) -> dict[int, str]:
    """The effective level of each member for a channel, in one statement."""
    ids = list(user_ids)
    levels = dict.fromkeys(ids, DEFAULT_LEVEL)
    if not ids:
        return levels
    rows = db.session.execute(
        select(
            NotificationPreference.user_id,
            NotificationPreference.channel_id,
            NotificationPreference.level,
        ).where(
            NotificationPreference.user_id.in_(ids),
            NotificationPreference.group_id == channel.group_id,
            (NotificationPreference.channel_id == channel.id)
            | NotificationPreference.channel_id.is_(None),
        )
    ).all()
    for user_id, _channel_id, level in sorted(rows, key=lambda r: r[1] is not None):
        levels[user_id] = level  # the group's first, then the channel's over it
    return levels


def preferences_of(user: User, group: Group) -> dict[int | None, str]:
    """{None: the group's level, channel_id: that channel's own level (if set)}."""
    return preferences_by_group(user, [group.id])[group.id]


def set_level(user: User, group: Group, channel: Channel | None, level: str) -> None:
    """Choose a level for a group (channel None) or one channel; "inherit" on a channel
    removes its own setting. Upsert: safe twice and at once."""
    if not policies.is_member(user, group):
        raise NotAllowed(_("Rejoignez le groupe pour choisir ses notifications."))
    if channel is not None and channel.group_id != group.id:
        raise DomainError(_("Ce salon n’appartient pas à ce groupe."))
    scope = (
        NotificationPreference.user_id == user.id,
        NotificationPreference.group_id == group.id,
        NotificationPreference.channel_id.is_(None)
        if channel is None
        else NotificationPreference.channel_id == channel.id,
    )
    if level == "inherit" and channel is not None:
        db.session.execute(delete(NotificationPreference).where(*scope))
        return
    if level not in NOTIFY_LEVELS:
        raise DomainError(_("Choisissez un niveau de notification de la liste."), field="level")
    change = update(NotificationPreference).where(*scope).values(level=level)
    if db.session.execute(change).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                NotificationPreference(
                    user_id=user.id,
                    group_id=group.id,
                    channel_id=channel.id if channel else None,
                    level=level,
                )
            )
    except IntegrityError:  # chosen at the same moment in another tab: set it there
        db.session.execute(change)


def preferences_by_group(user: User, group_ids: list[int]) -> dict[int, dict[int | None, str]]:
    """Every level the member chose in these groups, in one statement."""
    prefs: dict[int, dict[int | None, str]] = {gid: {None: DEFAULT_LEVEL} for gid in group_ids}
    if not group_ids:
        return prefs
    rows = db.session.execute(
        select(
            NotificationPreference.group_id,
            NotificationPreference.channel_id,
            NotificationPreference.level,
        ).where(
            NotificationPreference.user_id == user.id,
            NotificationPreference.group_id.in_(group_ids),
        )
    )
    for group_id, channel_id, level in rows:
        prefs[group_id][channel_id] = level
    return prefs
