"""Socket.IO handlers of the groups module: joining rooms, posting, editing, deleting,
typing, read markers and presence — under the same policies as the HTTP routes.

Every handler answers through its ack: {"ok": true, ...} or {"ok": false, "error": "<French
text>"}. A handler commits its own transaction (there is no request end to do it), and the
emits queued by services leave after that commit.
"""

from __future__ import annotations

import functools
import threading
import time

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room, leave_room
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tremplin.groups import chat, live, policies, reactions
from tremplin.groups.models import (
    Channel,
    Conversation,
    ConversationParticipant,
    GroupMembership,
    Message,
)
from tremplin.platform import admission
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db, socketio
from tremplin.platform.models import User


def _error(message: str) -> dict:
    return {"ok": False, "error": message}


def socket_action(handler):
    """Authenticate, run, commit; a DomainError becomes a French error in the ack and
    nothing is stored."""

    @functools.wraps(handler)
    def wrapper(data=None):
        if not current_user.is_authenticated:
            return _error(_("Votre session a expiré : rechargez la page."))
        if data is not None and not isinstance(data, dict):
            return _error(_("Requête incorrecte."))
        try:
            with admission.slot():  # a turn among the requests at work (platform/admission.py)
                result = handler(data or {})
                db.session.commit()
            return result
        except admission.Busy:
            db.session.rollback()
            return _error(_("Le site est très sollicité : réessayez dans quelques secondes."))
        except DomainError as exc:
            db.session.rollback()
            return _error(exc.message)
        except Exception:  # noqa: BLE001 - the client gets a clear answer, the log the details
            db.session.rollback()
            current_app.logger.exception("groups: socket handler %s failed", handler.__name__)
            return _error(
                _(
                    "Un problème inattendu est survenu : votre message n’a pas été "
                    "enregistré. Réessayez dans un instant."
                )
            )

    return wrapper


def _int(data: dict, key: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _channel(data: dict) -> Channel | None:
    channel_id = _int(data, "channel_id")
    if channel_id is None:
        return None
    return db.session.scalar(
        select(Channel).where(Channel.id == channel_id).options(joinedload(Channel.group))
    )


def _conversation(data: dict) -> Conversation | None:
    conversation_id = _int(data, "conversation_id")
    if conversation_id is None:
        return None
    return db.session.get(Conversation, conversation_id)


def _place(data: dict):
    """The channel or conversation named in `data`, if this member may read it."""
    if "channel_id" in data:
        channel = _channel(data)
        if channel is not None and policies.can_read_channel(current_user, channel):
            return channel
        return None
    conversation = _conversation(data)
    if conversation is not None and policies.can_read_conversation(current_user, conversation):
        return conversation
    return None


def _not_readable() -> dict:
    return _error(_("Ce salon ou cette conversation n’existe pas, ou vous n’y avez pas accès."))


# --- rooms and presence ---------------------------------------------------------------


@socketio.on("chat:subscribe")
@socket_action
def subscribe(data):
    """A groups page opened: join the rooms of every group (unread counts, presence) and
    conversation of this member, and show them online."""
    user_id = current_user.id
    group_ids = db.session.scalars(
        select(GroupMembership.group_id).where(
            GroupMembership.user_id == user_id, GroupMembership.state == "active"
        )
    ).all()
    conversation_ids = db.session.scalars(
        select(ConversationParticipant.conversation_id).where(
            ConversationParticipant.user_id == user_id
        )
    ).all()
    for group_id in group_ids:
        join_room(live.group_room(group_id))
    for conversation_id in conversation_ids:
        join_room(live.conversation_room(conversation_id))
    came_online = live.presence().add(request.sid, user_id)
    if came_online:
        payload = {"user": chat.author_payload(current_user), "online": True}
        for group_id in group_ids:
            socketio.emit(
                "presence",
                {**payload, "group_id": group_id},
                to=live.group_room(group_id),
                skip_sid=request.sid,
            )
    answer = {
        "ok": True,
        "groups": list(group_ids),
        "conversations": list(conversation_ids),
        "unread": chat.unread_counts_for(user_id).as_dict(),
    }
    group_id = _int(data, "group_id")
    if group_id in group_ids:
        answer["online"] = _online_in(group_id)
    return answer


def _online_in(group_id: int) -> list[dict]:
    """Who is online in a group, as the shared presence store says now (not the viewer)."""
    online = live.online_user_ids() - {current_user.id}
    if not online:
        return []
    people = db.session.scalars(
        select(User)
        .join(GroupMembership, GroupMembership.user_id == User.id)
        .where(
            GroupMembership.group_id == group_id,
            GroupMembership.state == "active",
            User.id.in_(online),
        )
        .order_by(User.display_name)
        .limit(100)
    )
    return [{"id": u.id, "name": u.public_name} for u in people]


@socketio.on("presence:list")
@socket_action
def presence_list(data):
    """Events from several threads may cross: pages settle on the store's current state."""
    group_id = _int(data, "group_id")
    if group_id is None or not db.session.scalar(
        select(GroupMembership.id).where(
            GroupMembership.group_id == group_id,
            GroupMembership.user_id == current_user.id,
            GroupMembership.state == "active",
        )
    ):
        return _not_readable()
    return {"ok": True, "online": _online_in(group_id)}


@socketio.on("disconnect")
def on_disconnect(*_args):
    with _typing_lock:
        _last_typing.pop(request.sid, None)
    try:
        user_id, last = live.presence().remove(request.sid)
    except Exception:  # noqa: BLE001 - presence store away: nothing to tidy
        current_app.logger.warning("groups: presence store unavailable", exc_info=True)
        return
    if user_id is None or not last:
        return
    group_ids = db.session.scalars(
        select(GroupMembership.group_id).where(
            GroupMembership.user_id == user_id, GroupMembership.state == "active"
        )
    ).all()
    db.session.rollback()
    if user_id in live.online_user_ids():
        return  # back already (a page reload): their new socket announced them
    for group_id in group_ids:
        socketio.emit(
            "presence",
            {"user": {"id": user_id}, "online": False, "group_id": group_id},
            to=live.group_room(group_id),
        )
    db.session.rollback()


def _track() -> None:
    """Remember this socket's member, so access can be revoked from it (ban, leaving)."""
    try:
        live.presence().add(request.sid, current_user.id)
    except Exception:  # noqa: BLE001 - presence store away: policies still guard every event
        current_app.logger.warning("groups: presence store unavailable", exc_info=True)


@socketio.on("channel:join")
@socket_action
def join_channel(data):
    channel = _channel(data)
    if channel is None or not policies.can_read_channel(current_user, channel):
        return _not_readable()
    join_room(channel.room)
    _track()
    return {
        "ok": True,
        "can_post": policies.can_post_in_channel(current_user, channel),
        "refusal": policies.posting_refusal(current_user, channel.group),
    }


@socketio.on("conversation:join")
@socket_action
def join_conversation(data):
    conversation = _conversation(data)
    if conversation is None or not policies.can_read_conversation(current_user, conversation):
        return _not_readable()
    join_room(conversation.room)
    _track()
    return {"ok": True}


@socketio.on("room:leave")
@socket_action
def leave(data):
    if "channel_id" in data and _int(data, "channel_id") is not None:
        leave_room(live.channel_room(_int(data, "channel_id")))
    if "conversation_id" in data and _int(data, "conversation_id") is not None:
        leave_room(live.conversation_room(_int(data, "conversation_id")))
    return {"ok": True}


@socketio.on("history")
@socket_action
def fetch_history(data):
    """Messages after (or before) an id — the same as the HTTP `historique` endpoints."""
    place = _place(data)
    if place is None:
        return _not_readable()
    messages, has_more = chat.history(place, after=_int(data, "after"), before=_int(data, "before"))
    return {
        "ok": True,
        "messages": [chat.message_payload(m) for m in messages],
        "has_more": has_more,
    }


# --- messages -------------------------------------------------------------------------


@socketio.on("message:send")
@socket_action
def send_message(data):
    body = data.get("body")
    if not isinstance(body, str):
        body = ""
    root = None
    if data.get("thread_root_id") is not None:
        root = _readable_message(_int(data, "thread_root_id"))
        if root is None:
            return _not_readable()
    if "channel_id" in data:
        channel = _channel(data)
        if channel is None or not policies.can_read_channel(current_user, channel):
            return _not_readable()
        message = chat.post_to_channel(current_user, channel, body, root)
    else:
        conversation = _conversation(data)
        if conversation is None or not policies.can_read_conversation(current_user, conversation):
            return _not_readable()
        message = chat.post_to_conversation(current_user, conversation, body, root)
    return {"ok": True, "id": message.id, "message": chat.message_payload(message)}


def _readable_message(message_id: int | None) -> Message | None:
    """The message, if this member may read it (else None: the same answer as missing)."""
    if message_id is None:
        return None
    message = db.session.scalar(
        select(Message)
        .where(Message.id == message_id)
        .options(joinedload(Message.author), joinedload(Message.channel).joinedload(Channel.group))
    )
    if message is None or not policies.can_read_message(current_user, message):
        return None
    return message


@socketio.on("thread:history")
@socket_action
def thread_history(data):
    root = _readable_message(_int(data, "message_id"))
    if root is None or root.thread_root_id is not None:
        return _not_readable()
    replies = chat.thread_replies(root, after=_int(data, "after"))
    return {
        "ok": True,
        "root": chat.message_payload(root),
        "replies": [chat.message_payload(m) for m in replies],
    }


@socketio.on("reaction:set")
@socket_action
def set_reaction(data):
    message = _readable_message(_int(data, "message_id"))
    if message is None:
        return _not_readable()
    emoji = data.get("emoji") if isinstance(data.get("emoji"), str) else ""
    reactions.set_reaction(current_user, message, emoji, data.get("on", True) is not False)
    return {"ok": True}


def _own_message(data: dict) -> Message | None:
    message_id = _int(data, "message_id")
    if message_id is None:
        return None
    message = db.session.scalar(
        select(Message)
        .where(Message.id == message_id)
        .options(joinedload(Message.author), joinedload(Message.channel))
    )
    if message is None or not policies.can_read_message(current_user, message):
        return None
    return message


@socketio.on("message:edit")
@socket_action
def edit_message(data):
    message = _own_message(data)
    if message is None:
        return _error(_("Ce message n’existe plus."))
    body = data.get("body") if isinstance(data.get("body"), str) else ""
    chat.edit_message(current_user, message, body)
    return {"ok": True, "message": chat.message_payload(message)}


@socketio.on("message:delete")
@socket_action
def delete_message(data):
    message = _own_message(data)
    if message is None:
        return _error(_("Ce message n’existe plus."))
    chat.delete_message(current_user, message)
    return {"ok": True}


TYPING_INTERVAL = 2.0  # seconds: one "is typing" broadcast per socket at most this often
_last_typing: dict[str, float] = {}
_typing_lock = threading.Lock()


def _typing_allowed(sid: str) -> bool:
    now = time.monotonic()
    with _typing_lock:
        if now - _last_typing.get(sid, 0.0) < TYPING_INTERVAL:
            return False
        _last_typing[sid] = now
        return True


@socketio.on("typing")
@socket_action
def typing(data):
    place = _place(data)
    if place is None:
        return _not_readable()
    if isinstance(place, Channel) and not policies.can_post_in_channel(current_user, place):
        return {"ok": False}
    if not _typing_allowed(request.sid):
        return {"ok": True}
    is_channel = isinstance(place, Channel)
    socketio.emit(
        "typing",
        {
            "channel_id": place.id if is_channel else None,
            "conversation_id": None if is_channel else place.id,
            "user": {"id": current_user.id, "name": current_user.public_name},
        },
        to=place.room,
        skip_sid=request.sid,
    )
    return {"ok": True}


@socketio.on("read")
@socket_action
def mark_read(data):
    place = _place(data)
    if place is None:
        return _not_readable()
    if isinstance(place, Channel) and not policies.is_member(current_user, place.group):
        return {"ok": True}  # readers of a public group who are not members keep no count
    chat.mark_read(current_user, place, _int(data, "message_id"))
    return {"ok": True}
