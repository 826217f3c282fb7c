"""Groups: thematic groups with their charter, channels and private conversations, live
over Socket.IO, moderated in the open.

Other modules use only what this file exports: `open_conversation` (a mentoring pair's or
an investor club's private channel), the read policies (search filters messages with
them), `groups_of`, `unread_counts` and `register_group_panel` (meetups add their panel to
the group page). They never write groups' tables directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from tremplin.groups.chat import (
    add_participants,
    conversation_for,
    open_conversation,
    remove_participant,
    unread_counts,
)
from tremplin.groups.groups import groups_of
from tremplin.groups.policies import (
    can_moderate,
    can_read_channel,
    can_read_conversation,
    can_read_group,
    can_read_message,
    is_member,
)
from tremplin.groups.search import readable_group_ids
from tremplin.platform.hooks import (
    DashboardPanel,
    NavItem,
    register_dashboard_panel,
    register_email_kind,
    register_nav_item,
)

bp = Blueprint("groups", __name__)

__all__ = [
    "bp",
    "init_module",
    "open_conversation",
    "conversation_for",
    "add_participants",
    "remove_participant",
    "can_read_channel",
    "can_read_conversation",
    "can_read_group",
    "can_read_message",
    "can_moderate",
    "is_member",
    "readable_group_ids",
    "groups_of",
    "unread_counts",
    "GroupPanel",
    "register_group_panel",
    "group_panels",
]


@dataclass(frozen=True)
class GroupPanel:
    """A block on a group's page (e.g. the next meetups): `loader(group, user)` returns the
    template's context as `ctx`, or None to show nothing. Load what the panel shows in a
    fixed number of statements."""

    template: str
    loader: Callable[[Any, Any], dict | None]
    order: int = 50
    title: Any = None


group_panels: list[GroupPanel] = []


def register_group_panel(panel: GroupPanel) -> None:
    if panel not in group_panels:
        group_panels.append(panel)
        group_panels.sort(key=lambda p: p.order)


def _channels_badge(user) -> int:
    return unread_counts(user).channels_total


def _conversations_badge(user) -> int:
    return unread_counts(user).conversations_total


def _dashboard(user) -> dict:
    counts = unread_counts(user)
    return {
        "groups": [(group, counts.groups.get(group.id, 0)) for group in groups_of(user)],
        "conversations_unread": counts.conversations_total,
    }


register_nav_item(
    NavItem(
        "groups.index", _l("Groupes"), order=20, active_prefix="/groupes", badge=_channels_badge
    )
)
register_nav_item(
    NavItem(
        "groups.conversations",
        _l("Messages"),
        order=25,
        members_only=True,
        active_prefix="/messages",
        badge=_conversations_badge,
    )
)
register_dashboard_panel(DashboardPanel("groups/_dashboard_panel.html", _dashboard, order=20))
register_email_kind("groups_mention", _l("Quand quelqu’un me mentionne dans un groupe"))
register_email_kind("groups_conversation", _l("Nouveaux messages privés"))
register_email_kind(
    "groups_membership", _l("Mes groupes : demandes d’adhésion, invitations, changements de charte")
)
register_email_kind(
    "groups_moderation",
    _l("Modération des groupes : signalements, confirmations, mesures me concernant"),
)

DEFAULTS = {
    # Anti-spam: accounts younger than this many days post at most N messages a minute.
    "GROUPS_NEW_ACCOUNT_DAYS": 7,
    "GROUPS_NEW_ACCOUNT_MESSAGES_PER_MINUTE": 5,
    "GROUPS_MESSAGES_PER_MINUTE": 30,
}


def init_module(app: Flask) -> None:
    from tremplin.groups import search

    search.register()
    from tremplin.groups import account, admin, chat_routes, demo, routes  # noqa: F401  (they register themselves)

    admin.register()

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.jinja_env.globals["render_message"] = chat_render_body
    app.jinja_env.filters["iso_datetime"] = _iso_datetime


def chat_render_body(message):
    from tremplin.groups.chat import render_body

    return render_body(message)


def _iso_datetime(value: str | None) -> str:
    """A datetime stored as ISO text (moderation log details), shown like the others."""
    from datetime import datetime

    from tremplin.platform.templating import local_datetime

    if not value:
        return ""
    try:
        return local_datetime(datetime.fromisoformat(value))
    except ValueError:
        return value
