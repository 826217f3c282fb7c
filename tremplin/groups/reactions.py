"""Emoji reactions on messages: a small fixed palette, one of each per member, shown live
with who reacted. Setting a reaction names the wanted state (on/off), so a repeated or
crossed request leaves the same result. Never commits."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select

from tremplin.groups import policies
from tremplin.groups.chat import reaction_summary
from tremplin.groups.models import Message, MessageReaction
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.realtime import emit_after_commit

PALETTE = ("👍", "❤️", "😂", "😮", "🙏", "🎉")


def _insert():
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def set_reaction(user: User, message: Message, emoji: str, on: bool = True) -> bool:
    """Give (on) or take back (off) an emoji; returns whether anything changed. Safe twice
    and at once: the insert ignores an existing row (unique constraint), the delete names
    the row."""
    if emoji not in PALETTE:
        raise DomainError(_("Cette réaction n’est pas proposée."), field="emoji")
    if not policies.can_react_to_message(user, message):
        raise NotAllowed(_("Vous ne pouvez pas réagir à ce message."))
    if on:
        stmt = (
            _insert()(MessageReaction)
            .values(message_id=message.id, user_id=user.id, emoji=emoji)
            .on_conflict_do_nothing(index_elements=["message_id", "user_id", "emoji"])
        )
    else:
        stmt = delete(MessageReaction).where(
            MessageReaction.message_id == message.id,
            MessageReaction.user_id == user.id,
            MessageReaction.emoji == emoji,
        )
    changed = bool(db.session.execute(stmt).rowcount)
    if changed:
        db.session.expire(message, ["reactions"])
        announce_reactions(message)
    return changed


def has_reacted(user: User, message: Message, emoji: str) -> bool:
    return (
        db.session.scalar(
            select(MessageReaction.id).where(
                MessageReaction.message_id == message.id,
                MessageReaction.user_id == user.id,
                MessageReaction.emoji == emoji,
            )
        )
        is not None
    )


def announce_reactions(message: Message) -> None:
    def payload():
        return {
            "id": message.id,
            "channel_id": message.channel_id,
            "conversation_id": message.conversation_id,
            "thread_root_id": message.thread_root_id,
            "reactions": reaction_summary(message),
        }

    emit_after_commit(db.session, "message:reactions", payload, room=message.room)
