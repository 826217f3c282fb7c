"""Who runs a group and which rooms it has: small reads that services, moderation and
live updates share (a leaf: it imports no other service of groups)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tremplin.groups import live
from tremplin.groups.models import Group, GroupMembership
from tremplin.platform.extensions import db

ROLE_LABELS_KEYS = ("member", "organiser", "resource")


def organisers(group: Group) -> list[GroupMembership]:
    return list(
        db.session.scalars(
            select(GroupMembership)
            .options(joinedload(GroupMembership.user))
            .where(
                GroupMembership.group_id == group.id,
                GroupMembership.role == "organiser",
                GroupMembership.state == "active",
            )
        )
    )


def group_rooms(group: Group) -> list[str]:
    return [live.group_room(group.id)] + [live.channel_room(c.id) for c in group.channels]
