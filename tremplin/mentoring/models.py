"""Mentoring rows: what a mentor offers, what a porteur asks for, the pairings (*binômes*)
with their goals, sessions and closing feedback, and the organisers' settings.

Rows only: who may see or do what lives in policies.py, every rule and write in the
services (services.py, pairings.py).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tremplin.groups import models as _groups_models  # noqa: F401  (conversations table)
from tremplin.members.models import Need, Project
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import UTCDateTime, utcnow

# How a mentor meets their mentees.
IN_PERSON, ONLINE, BOTH = "in_person", "online", "both"
FORMATS = (IN_PERSON, ONLINE, BOTH)

# Tag kinds of an offer: mentoring skills, sectors (themes), languages, départements.
SKILL, SECTOR, LANGUAGE, DEPARTEMENT = "skill", "sector", "language", "departement"
OFFER_TAG_KINDS = (SKILL, SECTOR, LANGUAGE, DEPARTEMENT)

# A request: in the pool (nobody asked yet, or the mentor let it expire), sent to one
# mentor, turned into an organiser's proposal, accepted, declined or withdrawn.
OPEN, PENDING, PROPOSED, ACCEPTED, DECLINED, WITHDRAWN = (
    "open",
    "pending",
    "proposed",
    "accepted",
    "declined",
    "withdrawn",
)
REQUEST_STATES = (OPEN, PENDING, PROPOSED, ACCEPTED, DECLINED, WITHDRAWN)
WAITING_REQUEST_STATES = (OPEN, PENDING, PROPOSED)

# A pairing: proposed → active ⇄ paused → completed; or declined while proposed.
P_PROPOSED, P_ACTIVE, P_PAUSED, P_COMPLETED, P_DECLINED = (
    "proposed",
    "active",
    "paused",
    "completed",
    "declined",
)
PAIRING_STATES = (P_PROPOSED, P_ACTIVE, P_PAUSED, P_COMPLETED, P_DECLINED)
# The pairings that take one of a mentor's places.
LOAD_STATES = (P_PROPOSED, P_ACTIVE, P_PAUSED)
# The pairings whose sessions count towards the mentor's hours.
COUNTED_STATES = (P_ACTIVE, P_PAUSED, P_COMPLETED)

MENTOR, PORTEUR = "mentor", "porteur"

MAX_SESSION_MINUTES = 24 * 60


class MentorOffer(db.Model):
    """What a mentor (*parrain, marraine*) offers: one per member."""

    __tablename__ = "mentor_offers"
    __table_args__ = (
        CheckConstraint("max_mentees >= 1 AND max_mentees <= 20", name="max_mentees"),
        CheckConstraint("hours_per_month >= 1 AND hours_per_month <= 200", name="hours_per_month"),
        CheckConstraint("format IN ('in_person', 'online', 'both')", name="format"),
        Index("ix_mentor_offers_available", "is_available"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    presentation: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(10), default=BOTH)
    hours_per_month: Mapped[int] = mapped_column(default=4)
    max_mentees: Mapped[int] = mapped_column(default=1)
    is_available: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    tags: Mapped[list[MentorOfferTag]] = relationship(
        back_populates="offer",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MentorOfferTag.id",
    )

    def codes(self, kind: str) -> list[str]:
        return [tag.code for tag in self.tags if tag.kind == kind]

    @property
    def skills(self) -> list[str]:
        return self.codes(SKILL)

    @property
    def sectors(self) -> list[str]:
        return self.codes(SECTOR)

    @property
    def languages(self) -> list[str]:
        return self.codes(LANGUAGE)

    @property
    def departements(self) -> list[str]:
        return self.codes(DEPARTEMENT)

    def __repr__(self) -> str:
        return f"<MentorOffer {self.id} user={self.user_id}>"


class MentorOfferTag(db.Model):
    """One skill, sector, language or département of an offer: a row each, so matching
    reads only the tags that answer a request, with an index, on any database."""

    __tablename__ = "mentor_offer_tags"
    __table_args__ = (
        UniqueConstraint("offer_id", "kind", "code"),
        Index("ix_mentor_offer_tags_kind_code", "kind", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("mentor_offers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(40))

    offer: Mapped[MentorOffer] = relationship(back_populates="tags")


mentoring_request_needs = Table(
    "mentoring_request_needs",
    db.metadata,
    Column("request_id", ForeignKey("mentoring_requests.id", ondelete="CASCADE"), primary_key=True),
    Column("need_id", ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True),
)


class MentoringRequest(db.Model):
    """A porteur's request for a mentor: goals and needs, linked to a project and some of
    its needs; sent to one mentor (`mentor_id`) or waiting in the pool (no mentor)."""

    __tablename__ = "mentoring_requests"
    __table_args__ = (
        Index("ix_mentoring_requests_state_expires", "state", "expires_at"),
        Index("ix_mentoring_requests_mentor_state", "mentor_id", "state"),
        # The same porteur cannot have two requests waiting on the same mentor.
        Index(
            "uq_mentoring_requests_pending_pair",
            "porteur_id",
            "mentor_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        CheckConstraint("mentor_id IS NULL OR mentor_id <> porteur_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    porteur_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(10), default=OPEN)
    goals: Mapped[str] = mapped_column(Text)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)  # mentoring skill codes
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    departement: Mapped[str | None] = mapped_column(String(3))
    sector: Mapped[str | None] = mapped_column(String(40))
    format: Mapped[str] = mapped_column(String(10), default=BOTH)
    message: Mapped[str | None] = mapped_column(Text)  # a word to the mentor it is sent to
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_message: Mapped[str | None] = mapped_column(Text)
    expired_count: Mapped[int] = mapped_column(default=0)
    # A request sent again to another mentor after a decline points at the one before.
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentoring_requests.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    porteur: Mapped[User] = relationship(foreign_keys=[porteur_id])
    mentor: Mapped[User | None] = relationship(foreign_keys=[mentor_id])
    project: Mapped[Project | None] = relationship()
    project_needs: Mapped[list[Need]] = relationship(
        secondary=mentoring_request_needs, order_by=lambda: Need.id
    )

    @property
    def is_waiting(self) -> bool:
        return self.state in WAITING_REQUEST_STATES

    def __repr__(self) -> str:
        return f"<MentoringRequest {self.id} {self.state} porteur={self.porteur_id}>"


class Pairing(db.Model):
    """A *binôme*: one mentor, one porteur, for a planned length, with goals, a log of
    sessions and a private conversation."""

    __tablename__ = "pairings"
    __table_args__ = (
        CheckConstraint("mentor_id <> porteur_id", name="two_people"),
        Index("ix_pairings_mentor_state", "mentor_id", "state"),
        Index("ix_pairings_porteur_state", "porteur_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    porteur_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentoring_requests.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(10), default=P_PROPOSED)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposal_message: Mapped[str | None] = mapped_column(Text)
    # May lie in the past: organisers formalise a tutoring that already runs.
    started_on: Mapped[date] = mapped_column(Date)
    planned_end_on: Mapped[date] = mapped_column(Date)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_message: Mapped[str | None] = mapped_column(Text)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    # When the pair was last reminded that no session was logged for a while.
    quiet_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    porteur: Mapped[User] = relationship(foreign_keys=[porteur_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    project: Mapped[Project | None] = relationship()
    request: Mapped[MentoringRequest | None] = relationship()
    goals: Mapped[list[PairingGoal]] = relationship(
        back_populates="pairing",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PairingGoal.id",
    )
    # Never loaded whole by accident: pages ask for the sessions they show.
    sessions: Mapped[list[MentoringSession]] = relationship(
        back_populates="pairing",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise_on_sql",
        order_by=lambda: [MentoringSession.held_on.desc(), MentoringSession.id.desc()],
    )
    feedback: Mapped[list[PairingFeedback]] = relationship(
        back_populates="pairing",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PairingFeedback.id",
    )

    def side_of(self, user) -> str | None:
        user_id = getattr(user, "id", user)
        if user_id == self.mentor_id:
            return MENTOR
        if user_id == self.porteur_id:
            return PORTEUR
        return None

    def partner_of(self, user) -> User | None:
        side = self.side_of(user)
        if side == MENTOR:
            return self.porteur
        if side == PORTEUR:
            return self.mentor
        return None

    @property
    def is_open(self) -> bool:
        return self.state in LOAD_STATES

    def __repr__(self) -> str:
        return f"<Pairing {self.id} {self.state} {self.mentor_id}->{self.porteur_id}>"


class PairingGoal(db.Model):
    """A goal the pair set itself, with how far along it is (0–100 %)."""

    __tablename__ = "pairing_goals"
    __table_args__ = (CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(
        ForeignKey("pairings.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    progress: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    achieved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pairing: Mapped[Pairing] = relationship(back_populates="goals")


class MentoringSession(db.Model):
    """One meeting of the pair: when, how long, and — for the pair's eyes only — notes and
    next steps."""

    __tablename__ = "mentoring_sessions"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 1440", name="duration"),
        Index("ix_mentoring_sessions_pairing_held", "pairing_id", "held_on"),
        Index("ix_mentoring_sessions_held_on", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id", ondelete="CASCADE"))
    held_on: Mapped[date] = mapped_column(Date)
    duration_minutes: Mapped[int] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pairing: Mapped[Pairing] = relationship(back_populates="sessions")
    logged_by: Mapped[User | None] = relationship()


class PairingFeedback(db.Model):
    """What each side says when the pairing closes."""

    __tablename__ = "pairing_feedback"
    __table_args__ = (
        UniqueConstraint("pairing_id", "author_id"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(8))
    rating: Mapped[int | None] = mapped_column()
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pairing: Mapped[Pairing] = relationship(back_populates="feedback")
    author: Mapped[User] = relationship()


class MentoringSettings(db.Model):
    """The organisers' settings (a single row, id 1): default length of a pairing, when a
    pairing counts as quiet, how long a mentor has to answer a request."""

    __tablename__ = "mentoring_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    default_length_weeks: Mapped[int] = mapped_column(default=26)
    quiet_after_weeks: Mapped[int] = mapped_column(default=4)
    request_expiry_days: Mapped[int] = mapped_column(default=14)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
