"""Personal access tokens, webhook subscriptions and their delivery log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import UTCDateTime, utcnow

# What a token may do. Reading public data needs no token at all.
SCOPES = ("read", "rsvp", "help", "chat", "notifications")

# Webhook events a subscription may ask for.
EVENTS = (
    "meetup.published",
    "registration.created",
    "campaign.succeeded",
    "pledge.collected",
    "member.joined",
)

# delivery states
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class ApiToken(db.Model):
    """A member's personal access token. Only its SHA-256 is stored; the clear token is
    shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in the list to recognise it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookSubscription(db.Model):
    """An organiser's or partner's endpoint that receives some events, signed with its
    own secret. Events reach it only when its owner may see what they are about."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(64))
    events: Mapped[str] = mapped_column(String(300))  # space-separated
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship()

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


class WebhookDelivery(db.Model):
    """One event for one subscription: a unique delivery id (sent in every attempt, so a
    receiver can drop duplicates), the attempts made and the last answer."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    # what happened, once: the same event never makes two deliveries to one subscription
    event_key: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscription: Mapped[WebhookSubscription] = relationship()
