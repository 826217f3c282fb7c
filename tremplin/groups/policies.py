"""Who may see and do what in groups, channels and conversations.

One function answers each question; HTTP routes, Socket.IO handlers and search all call
it. Policies only read: the membership lookup is cached in the session for the request.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tremplin.groups.models import (
    Channel,
    Conversation,
    ConversationParticipant,
    Group,
    GroupMembership,
    Message,
    ModerationRequest,
)
from tremplin.platform.extensions import db
from tremplin.platform.policies import member_id
from tremplin.platform.types import utcnow

_CACHE = "tremplin_group_memberships"


def get_membership(user, group: Group) -> GroupMembership | None:
    """The member's membership row in a group, whatever its state (cached per session)."""
    uid = member_id(user)
    if uid is None:
        return None
    cache = db.session.info.setdefault(_CACHE, {})
    key = (group.id, uid)
    if key not in cache:
        cache[key] = db.session.scalar(
            select(GroupMembership).where(
                GroupMembership.group_id == group.id, GroupMembership.user_id == uid
            )
        )
    return cache[key]


def remember_membership(group_id: int, user_id: int, membership: GroupMembership | None) -> None:
    db.session.info.setdefault(_CACHE, {})[(group_id, user_id)] = membership


def forget_memberships() -> None:
    db.session.info.pop(_CACHE, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session, previous_transaction):
    session.info.pop(_CACHE, None)


@event.listens_for(Session, "after_commit")
def _forget_on_commit(session):
    # Another session may have changed memberships since: look again next time.
    session.info.pop(_CACHE, None)


def is_banned(membership: GroupMembership | None, now: datetime | None = None) -> bool:
    if membership is None or membership.state != "banned":
        return False
    return membership.banned_until is None or membership.banned_until > (now or utcnow())


def is_muted(membership: GroupMembership | None, now: datetime | None = None) -> bool:
    return bool(
        membership and membership.muted_until and membership.muted_until > (now or utcnow())
    )


def active_membership(user, group: Group) -> GroupMembership | None:
    membership = get_membership(user, group)
    return membership if membership is not None and membership.state == "active" else None


def is_member(user, group: Group) -> bool:
    return active_membership(user, group) is not None


# --- groups ---------------------------------------------------------------------------


def can_create_group(user) -> bool:
    return member_id(user) is not None and user.is_organiser


def can_moderate(user, group: Group) -> bool:
    membership = active_membership(user, group)
    return membership is not None and membership.role == "organiser"


can_manage_group = can_moderate


def can_read_group(user, group: Group) -> bool:
    """Channels and member list: any signed-in member of the network for a
    public group, the group's members only for a private one; never a banned member."""
    if member_id(user) is None:
        return False
    membership = get_membership(user, group)
    if is_banned(membership):
        return False
    if group.is_private:
        return membership is not None and membership.state == "active"
    return True


def can_read_moderation_log(user, group: Group) -> bool:
    """The log names sanctioned members and reasons: by default only the group's members
    read it; its organisers may open it to every signed-in member of the network."""
    if not can_read_group(user, group):
        return False
    if group.log_audience == "network":
        return True
    return is_member(user, group)


def can_join(user, group: Group) -> bool:
    """Join a public group at once, or ask to join a private one."""
    if member_id(user) is None:
        return False
    membership = get_membership(user, group)
    return membership is None or (membership.state == "banned" and not is_banned(membership))


# --- channels -------------------------------------------------------------------------


def can_read_channel(user, channel: Channel) -> bool:
    return can_read_group(user, channel.group)


def must_accept_charter(membership: GroupMembership | None, group: Group) -> bool:
    """An active member who has not accepted the group's current charter must (re-)accept
    it before writing: the one charter rule (policies, pages, templates, admin)."""
    return bool(
        membership is not None
        and membership.state == "active"
        and membership.accepted_charter_version < group.charter_version
    )


def posting_refusal(user, group: Group) -> str | None:
    """Why this member cannot write in the group's channels (None: they can)."""
    if member_id(user) is None:
        return _("Connectez-vous pour écrire.")
    membership = get_membership(user, group)
    if is_banned(membership):
        return _("Vous avez été exclu de ce groupe : vous ne pouvez plus y écrire.")
    if membership is None or membership.state != "active":
        return _("Rejoignez le groupe pour écrire dans ses salons.")
    if is_muted(membership):
        return _(
            "Vous êtes en sourdine dans ce groupe jusqu'au %(date)s.",
            date=_format(membership.muted_until),
        )
    if must_accept_charter(membership, group):
        return _("La charte du groupe a changé : acceptez-la pour continuer à écrire.")
    return None


def can_post_in_channel(user, channel: Channel) -> bool:
    return posting_refusal(user, channel.group) is None


def can_create_channel(user, group: Group) -> bool:
    return can_moderate(user, group)


# --- conversations --------------------------------------------------------------------


def is_participant(user, conversation: Conversation) -> bool:
    uid = member_id(user)
    if uid is None:
        return False
    if "participants" in conversation.__dict__:  # already loaded: no query
        return any(p.user_id == uid for p in conversation.participants)
    return (
        db.session.scalar(
            select(ConversationParticipant.id).where(
                ConversationParticipant.conversation_id == conversation.id,
                ConversationParticipant.user_id == uid,
            )
        )
        is not None
    )


def can_read_conversation(user, conversation: Conversation) -> bool:
    return is_participant(user, conversation)


def can_post_in_conversation(user, conversation: Conversation) -> bool:
    return is_participant(user, conversation)


# --- messages -------------------------------------------------------------------------


def can_read_message(user, message: Message) -> bool:
    """Search and notifications check a single message with this."""
    if message.channel_id is not None:
        return can_read_channel(user, message.channel)
    return can_read_conversation(user, message.conversation)


def can_edit_message(user, message: Message) -> bool:
    uid = member_id(user)
    return (
        uid is not None
        and message.author_id == uid
        and message.deleted_at is None
        and message.hidden_at is None
    )


can_delete_message = can_edit_message


def can_write_in_place_of(user, message: Message) -> bool:
    """Whoever may write where the message is: a participant of its conversation, or a
    member of its group who may post (not banned, muted or behind on the charter)."""
    if message.channel_id is not None:
        return can_post_in_channel(user, message.channel)
    return can_post_in_conversation(user, message.conversation)


def can_react_to_message(user, message: Message) -> bool:
    return message.is_visible and can_write_in_place_of(user, message)


def can_reply_to_message(user, message: Message) -> bool:
    """Threads are one level deep: a reply goes to a visible top-level message."""
    return (
        message.thread_root_id is None
        and message.is_visible
        and can_write_in_place_of(user, message)
    )


def can_report_message(user, message: Message) -> bool:
    """Reports go to a group's organisers: messages in channels, by someone else."""
    uid = member_id(user)
    return (
        uid is not None
        and message.channel_id is not None
        and message.author_id != uid
        and message.is_visible
        and can_read_channel(user, message.channel)
    )


def can_hide_message(user, message: Message) -> bool:
    return message.channel_id is not None and can_moderate(user, message.channel.group)


can_pin_message = can_hide_message


def can_confirm_request(user, request: ModerationRequest, group: Group) -> bool:
    """A second organiser: neither the one who asked nor the one it targets."""
    uid = member_id(user)
    return (
        request.state == "pending"
        and uid is not None
        and can_moderate(user, group)
        and uid not in (request.requested_by_id, request.target_user_id)
    )


def _format(value: datetime | None) -> str:
    from tremplin.platform.templating import local_datetime

    return local_datetime(value)
