"""Thematic groups, their channels and private conversations, messages, read markers and
the open moderation record (reports, log, two-organiser confirmations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import UTCDateTime, utcnow

VISIBILITIES = ("public", "private")
ROLES = ("member", "organiser", "resource")
STATES = ("active", "pending", "invited", "banned")
CONVERSATION_KINDS = ("direct", "group", "mentoring", "club")
REPORT_REASONS = ("spam", "harassment", "off_topic", "personal_data", "other")
# Who reads a group's moderation log: its members (default) or every signed-in member.
LOG_AUDIENCES = ("members", "network")


class Group(db.Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str] = mapped_column(String(40), index=True)
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    # The version members must have accepted to write (0: no charter yet).
    charter_version: Mapped[int] = mapped_column(default=0)
    log_audience: Mapped[str] = mapped_column(
        String(10), default="members", server_default="members"
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    channels: Mapped[list[Channel]] = relationship(
        back_populates="group",
        order_by="Channel.position, Channel.id",
        cascade="all, delete-orphan",
    )
    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )
    charters: Mapped[list[GroupCharter]] = relationship(
        back_populates="group", order_by="GroupCharter.version.desc()", cascade="all, delete-orphan"
    )

    @property
    def is_private(self) -> bool:
        return self.visibility == "private"

    def __repr__(self) -> str:
        return f"<Group {self.slug}>"


class GroupCharter(db.Model):
    """One version of a group's charter; the newest is the one members accept."""

    __tablename__ = "group_charters"
    __table_args__ = (UniqueConstraint("group_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship(back_populates="charters")
    created_by: Mapped[User | None] = relationship()


class GroupMembership(db.Model):
    __tablename__ = "group_memberships"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        Index("ix_group_memberships_user_state", "user_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(12), default="member")
    state: Mapped[str] = mapped_column(String(10), default="active")
    accepted_charter_version: Mapped[int] = mapped_column(default=0)
    request_message: Mapped[str | None] = mapped_column(Text)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    banned_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: until unbanned
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_organiser(self) -> bool:
        return self.role == "organiser"

    def __repr__(self) -> str:
        return f"<GroupMembership g{self.group_id} u{self.user_id} {self.role}/{self.state}>"


class Channel(db.Model):
    """A *salon*: one topic of a group's discussion, one Socket.IO room."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("group_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(60))
    topic: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship(back_populates="channels")

    @property
    def room(self) -> str:
        return f"channel:{self.id}"


class Conversation(db.Model):
    """A private conversation between participants (1:1, a few members, a mentoring pair,
    an investor club). `owner_type`/`owner_id` let the module that opened it find it."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), default="direct")
    title: Mapped[str | None] = mapped_column(String(120))
    owner_type: Mapped[str | None] = mapped_column(String(40))
    owner_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    participants: Mapped[list[ConversationParticipant]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan"
    )

    @property
    def room(self) -> str:
        return f"conversation:{self.id}"


class ConversationParticipant(db.Model):
    __tablename__ = "conversation_participants"
    __table_args__ = (UniqueConstraint("conversation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class Message(db.Model):
    """A message in a channel or in a conversation (exactly one of the two)."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("(channel_id IS NULL) <> (conversation_id IS NULL)", name="one_place"),
        Index("ix_messages_channel_id_id", "channel_id", "id"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_author_created", "author_id", "created_at"),
        Index("ix_messages_thread_root_id_id", "thread_root_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    # Kept when the author deletes their account (the name then reads "Membre supprimé").
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    mentioned_user_ids: Mapped[list[int] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A reply belongs to the thread of a top-level message of the same place (one level).
    thread_root_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE")
    )
    reply_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[Channel | None] = relationship()
    conversation: Mapped[Conversation | None] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reactions: Mapped[list[MessageReaction]] = relationship(
        back_populates="message", order_by="MessageReaction.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", order_by="MessageAttachment.id", cascade="all, delete-orphan"
    )

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None

    @property
    def room(self) -> str:
        return (
            f"channel:{self.channel_id}"
            if self.channel_id
            else f"conversation:{self.conversation_id}"
        )


class MessageReaction(db.Model):
    """One member's emoji on a message (a member gives each emoji once)."""

    __tablename__ = "message_reactions"
    __table_args__ = (UniqueConstraint("message_id", "user_id", "emoji"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    emoji: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message] = relationship(back_populates="reactions")
    user: Mapped[User] = relationship()


class MessageAttachment(db.Model):
    """A file sent with a message, served only to those who can read the message:
    `image` (re-encoded by platform.uploads, full size and a thumbnail), `document` (a
    PDF, office or text file checked by its content; a PDF has a thumbnail of its first
    page) or `audio` (a voice message, kept in the container the browser recorded)."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10), default="image")
    file_name: Mapped[str] = mapped_column(String(80), unique=True)
    thumbnail_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200), default="")
    # Documents and voice messages: the type found in the content, the size, the length.
    content_type: Mapped[str | None] = mapped_column(String(120))
    size_bytes: Mapped[int | None] = mapped_column()
    duration_ms: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message] = relationship(back_populates="attachments")


class PushSubscription(db.Model):
    """One device (browser) a member opted in for Web Push: where to deliver and the keys
    to encrypt for it. Removed when the push service answers 404/410."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


NOTIFY_LEVELS = ("all", "mentions", "mute")


class NotificationPreference(db.Model):
    """How much a member hears from a group (channel_id NULL) or one of its channels:
    every new message, only mentions and replies (the default), or nothing."""

    __tablename__ = "group_notification_preferences"
    __table_args__ = (
        UniqueConstraint("user_id", "group_id", "channel_id"),
        # NULLs are distinct in a unique constraint: the group-wide row needs its own.
        Index(
            "uq_group_notification_preferences_group_wide",
            "user_id",
            "group_id",
            unique=True,
            sqlite_where=text("channel_id IS NULL"),
            postgresql_where=text("channel_id IS NULL"),
        ),
        Index("ix_group_notification_preferences_channel", "channel_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(10), default="mentions")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReadMarker(db.Model):
    """The last message a member has seen in a channel or a conversation (unread counts)."""

    __tablename__ = "read_markers"
    __table_args__ = (
        UniqueConstraint("user_id", "channel_id"),
        UniqueConstraint("user_id", "conversation_id"),
        CheckConstraint("(channel_id IS NULL) <> (conversation_id IS NULL)", name="one_place"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    last_read_message_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MessageReport(db.Model):
    __tablename__ = "message_reports"
    __table_args__ = (UniqueConstraint("message_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(String(20))  # hidden / dismissed

    message: Mapped[Message] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])


class ModerationLogEntry(db.Model):
    """One organiser action, readable by every member of the group."""

    __tablename__ = "moderation_log_entries"
    __table_args__ = (Index("ix_moderation_log_entries_group_created", "group_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The second organiser who confirmed an action on an organiser.
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])
    message: Mapped[Message | None] = relationship()


class ModerationRequest(db.Model):
    """An action on an organiser, waiting for a second organiser to confirm it."""

    __tablename__ = "moderation_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    target_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(
        String(10), default="pending"
    )  # confirmed / cancelled / expired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    target_user: Mapped[User] = relationship(foreign_keys=[target_user_id])
    message: Mapped[Message | None] = relationship()
