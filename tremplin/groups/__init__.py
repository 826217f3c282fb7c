"""Groups: thematic groups with their charter, channels and private conversations, live
over Socket.IO, moderated in the open.

Other modules use only what this file exports: `open_conversation` (a mentoring pair's or
an investor club's private channel), the read policies (search filters messages with
them), `groups_of`, `unread_counts` and `register_group_panel` (meetups add their panel to
the group page). They never write groups' tables directly.

Rooms: models.py, policies.py (every access rule, the charter rule), roster.py (a leaf);
services — groups.py (groups, charter, membership), chat.py (messages, unread, notices),
reactions.py, attachments.py, preferences.py, moderation.py, push.py, live.py (presence);
events.py (Socket.IO), search.py, account.py (export, erasure); forms.py, routes.py (group
pages), chat_routes.py (channels and conversations), admin.py (administration); demo.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, get_template_attribute, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from tremplin.groups import signals
from tremplin.groups.chat import (
    add_participants,
    conversation_for,
    open_conversation,
    reaction_summary,
    remove_participant,
    unread_counts,
)
from tremplin.groups.groups import groups_of
from tremplin.groups.models import Channel, Group
from tremplin.groups.policies import (
    can_moderate,
    can_read_channel,
    can_read_conversation,
    can_read_group,
    can_read_message,
    can_read_moderation_log,
    is_member,
    must_accept_charter,
)
from tremplin.groups.reactions import PALETTE
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
    # for the public API
    "Group",
    "Channel",
    "member_counts",
    "post_in_channel",
    "can_post_in_channel",
    "get_channel",
    "signals",
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


DEFAULTS = {
    # Anti-spam: accounts younger than this many days post at most N messages a minute.
    "GROUPS_NEW_ACCOUNT_DAYS": 7,
    "GROUPS_NEW_ACCOUNT_MESSAGES_PER_MINUTE": 5,
    "GROUPS_MESSAGES_PER_MINUTE": 30,
    "CHAT_DOCUMENT_MAX_BYTES": 5 * 1024 * 1024,
    "CHAT_VOICE_MAX_BYTES": 3 * 1024 * 1024,
    "CHAT_VOICE_MAX_SECONDS": 120,
}


def init_module(app: Flask) -> None:
    from tremplin.groups import search

    search.register()
    from tremplin.groups import (  # noqa: F401  (they register themselves)
        account,
        admin,
        attachments,
        chat_routes,
        demo,
        documents,
        routes,
        voice,
    )

    _register_hooks()
    admin.register()
    attachments.register()

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.jinja_env.globals["render_message"] = chat_render_body
    app.jinja_env.globals["can_read_moderation_log"] = _can_read_moderation_log
    app.jinja_env.globals["reaction_summary"] = reaction_summary
    app.jinja_env.globals["reaction_palette"] = PALETTE
    app.jinja_env.globals["message_palette"] = message_palette
    app.jinja_env.globals["chat_attachment"] = attachments.attachment_payload
    app.jinja_env.globals["chat_documents_accept"] = documents.ACCEPT
    app.jinja_env.globals["chat_voice_max_seconds"] = lambda: voice.max_seconds()
    app.jinja_env.globals["must_accept_charter"] = must_accept_charter
    app.jinja_env.filters["iso_datetime"] = _iso_datetime


def chat_render_body(message):
    from tremplin.groups.chat import render_body

    return render_body(message)


def message_palette(message, form) -> Markup:
    """The reaction palette of one message (`react_palette` in groups/_macros.html). It is
    the same markup on every message of a page but for the message's id in the forms'
    address: rendered once per form (so per page, in one language), then the id put in."""
    cached = form.__dict__.get("_palette_html")
    if cached is None:
        macro = get_template_attribute("groups/_macros.html", "react_palette")
        cached = form.__dict__["_palette_html"] = (
            str(macro(None, form)),
            'action="{}"'.format(url_for("groups.react", message_id=0)),
        )
    html, placeholder = cached
    if message is None:
        return Markup(html)
    action = 'action="{}"'.format(url_for("groups.react", message_id=message.id))
    return Markup(html.replace(placeholder, action))


def _can_read_moderation_log(group) -> bool:
    from flask_login import current_user

    return can_read_moderation_log(current_user, group)


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


# --- for the public API (tremplin.api) ---------------------------------------------------


def member_counts(group_ids: list[int]) -> dict[int, int]:
    """{group id: active members} in one statement."""
    from tremplin.groups.groups import member_counts as counts

    return counts(group_ids)


def post_in_channel(user, channel, body: str):
    """Post a message in a channel (same checks as the chat page; raises a DomainError)."""
    from tremplin.groups.chat import post_to_channel

    return post_to_channel(user, channel, body)


def can_post_in_channel(user, channel) -> bool:
    from tremplin.groups.policies import can_post_in_channel as can

    return can(user, channel)


def get_channel(channel_id: int):
    from tremplin.groups.models import Channel
    from tremplin.platform.extensions import db

    return db.session.get(Channel, channel_id)


def _register_hooks() -> None:
    """Register this module's hooks (called from init_module)."""
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
    register_email_kind("groups_reply", _l("Réponses dans les fils où j’ai écrit"))
    register_email_kind(
        "groups_channel",
        _l("Nouveaux messages des salons que je suis (réglage « Tous les messages »)"),
    )
    register_email_kind(
        "groups_membership",
        _l("Mes groupes : demandes d’adhésion, invitations, changements de charte"),
    )
    register_email_kind(
        "groups_moderation",
        _l("Modération des groupes : signalements, confirmations, mesures me concernant"),
    )
