"""Meetups (*rencontres*) and what happens around them: registrations and attendance,
proposal tables, support commitments (*soutiens*), and the opportunity watch (*veille*).

Rows only: every rule lives in policies.py and the service files. Times are aware UTC
(`UTCDateTime`); money and values are integer cents.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tremplin.groups.models import Group
from tremplin.members.models import Project
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import UTCDateTime, utcnow

# --- meetups -----------------------------------------------------------------------------

DRAFT, PUBLISHED, CANCELLED = "draft", "published", "cancelled"
MEETUP_STATES = (DRAFT, PUBLISHED, CANCELLED)

# Registrations: a visitor's stays PENDING until the e-mailed link is opened.
PENDING, CONFIRMED, WAITING, WITHDRAWN = "pending", "confirmed", "waiting", "cancelled"
REGISTRATION_STATES = (PENDING, CONFIRMED, WAITING, WITHDRAWN)
ACTIVE_REGISTRATION_STATES = (PENDING, CONFIRMED, WAITING)

MAX_GUESTS = 5


class Meetup(db.Model):
    """One evening (or afternoon): global, or run by a thematic group."""

    __tablename__ = "meetups"
    __table_args__ = (
        Index("ix_meetups_state_starts", "state", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"), index=True
    )
    theme: Mapped[str | None] = mapped_column(String(40))
    departement: Mapped[str | None] = mapped_column(String(3))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_name: Mapped[str | None] = mapped_column(String(160))
    address: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int | None] = mapped_column()  # people, guests included; None: no limit
    state: Mapped[str] = mapped_column(String(10), default=DRAFT)
    # Bumped at each change registrants should see again (.ics SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))

    # Proposal tables: the size the organiser asked for, the timer and its length.
    table_min_size: Mapped[int] = mapped_column(default=6)
    table_max_size: Mapped[int] = mapped_column(default=8)
    table_minutes: Mapped[int] = mapped_column(default=20)
    tables_note: Mapped[str | None] = mapped_column(String(500))  # why the split is imperfect
    timer_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tables_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meetup", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )
    presented: Mapped[list[MeetupProject]] = relationship(
        back_populates="meetup", cascade="all, delete-orphan", order_by="MeetupProject.position"
    )
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="meetup",
        cascade="all, delete-orphan",
        order_by="Speaker.position, Speaker.id",
    )
    # Never loaded whole by accident: pages query the registrations they show.
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="meetup",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise_on_sql",
    )
    tables: Mapped[list[ProposalTable]] = relationship(
        back_populates="meetup",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ProposalTable.number",
        lazy="raise_on_sql",
    )

    @property
    def is_published(self) -> bool:
        return self.state == PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.state == CANCELLED

    @property
    def is_online(self) -> bool:
        return bool(self.online_url) and not (self.address or self.venue_name)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def agenda_minutes(self) -> int:
        return sum(item.duration_minutes for item in self.agenda)

    @property
    def timer_ends_at(self) -> datetime | None:
        from datetime import timedelta

        if self.timer_started_at is None:
            return None
        return self.timer_started_at + timedelta(minutes=self.table_minutes)

    def __repr__(self) -> str:
        return f"<Meetup {self.id} {self.title!r}>"


class AgendaItem(db.Model):
    """One part of the evening, in order (welcome, round table, pitch, tables…)."""

    __tablename__ = "meetup_agenda_items"
    __table_args__ = (CheckConstraint("duration_minutes > 0", name="duration_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meetup_id: Mapped[int] = mapped_column(ForeignKey("meetups.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(160))
    duration_minutes: Mapped[int] = mapped_column()

    meetup: Mapped[Meetup] = relationship(back_populates="agenda")


class MeetupProject(db.Model):
    """A project presented at a meetup (usually one: the room works on it at the tables)."""

    __tablename__ = "meetup_projects"
    __table_args__ = (UniqueConstraint("meetup_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meetup_id: Mapped[int] = mapped_column(ForeignKey("meetups.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    meetup: Mapped[Meetup] = relationship(back_populates="presented")
    project: Mapped[Project] = relationship()


class Speaker(db.Model):
    """An *intervenant*: a member, or someone from an outside organisation presenting its
    offer to the porteurs (the club's "roles reversed")."""

    __tablename__ = "meetup_speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    meetup_id: Mapped[int] = mapped_column(ForeignKey("meetups.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str | None] = mapped_column(String(160))
    offer: Mapped[str | None] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(default=0)

    meetup: Mapped[Meetup] = relationship(back_populates="speakers")
    user: Mapped[User | None] = relationship()

    @property
    def display_name(self) -> str:
        if self.user is not None:
            return self.user.public_name
        return self.name


class Registration(db.Model):
    """Someone coming to a meetup: a member (RSVP), a visitor (name and e-mail, confirmed by
    a link), or a walk-in added at the door. `guests` people come along and count against
    the capacity."""

    __tablename__ = "meetup_registrations"
    __table_args__ = (
        UniqueConstraint("meetup_id", "user_id"),
        UniqueConstraint("meetup_id", "email"),
        Index("ix_meetup_registrations_meetup_status", "meetup_id", "status"),
        CheckConstraint(f"guests >= 0 AND guests <= {MAX_GUESTS}", name="guests_range"),
        CheckConstraint("user_id IS NOT NULL OR name IS NOT NULL", name="who"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meetup_id: Mapped[int] = mapped_column(ForeignKey("meetups.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(120))  # visitors and walk-ins
    email: Mapped[str | None] = mapped_column(String(254))  # visitors (lower case)
    guests: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    # A visitor's links (confirm, cancel, commit support) are signed tokens carrying the
    # registration id and this nonce: changing it revokes every link sent so far.
    link_nonce: Mapped[str | None] = mapped_column(String(32))
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(String(5), default="fr")  # a visitor's e-mails
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    guests_checked_in: Mapped[int] = mapped_column(default=0)

    meetup: Mapped[Meetup] = relationship(back_populates="registrations")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def display_name(self) -> str:
        if self.user is not None:
            return self.user.public_name
        return self.name or ""

    @property
    def is_visitor(self) -> bool:
        return self.user_id is None

    @property
    def party_size(self) -> int:
        return 1 + self.guests

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_REGISTRATION_STATES

    @property
    def is_checked_in(self) -> bool:
        return self.checked_in_at is not None

    @property
    def attendance(self) -> int:
        """People this registration brought into the room (0 until checked in)."""
        return (1 + self.guests_checked_in) if self.checked_in_at else 0

    def __repr__(self) -> str:
        return f"<Registration {self.id} m{self.meetup_id} {self.status}>"


# --- proposal tables ---------------------------------------------------------------------


class ProposalTable(db.Model):
    """A table of 6–8 people working 20 minutes on the project presented."""

    __tablename__ = "meetup_tables"
    __table_args__ = (UniqueConstraint("meetup_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meetup_id: Mapped[int] = mapped_column(ForeignKey("meetups.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meetup: Mapped[Meetup] = relationship(back_populates="tables")
    seats: Mapped[list[TableSeat]] = relationship(
        back_populates="table",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TableSeat.id",
    )
    proposals: Mapped[list[TableProposal]] = relationship(
        back_populates="table",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TableProposal.id",
    )


class TableSeat(db.Model):
    """One person at one table. `guest_index` 0 is the registrant, 1..N their guests: the
    unique constraint seats each person once."""

    __tablename__ = "meetup_table_seats"
    __table_args__ = (UniqueConstraint("registration_id", "guest_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(
        ForeignKey("meetup_tables.id", ondelete="CASCADE"), index=True
    )
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("meetup_registrations.id", ondelete="CASCADE")
    )
    guest_index: Mapped[int] = mapped_column(default=0)

    table: Mapped[ProposalTable] = relationship(back_populates="seats")
    registration: Mapped[Registration] = relationship()


class TableProposal(db.Model):
    """What a table proposes to the project presented (an idea, a contact, a partner…)."""

    __tablename__ = "meetup_table_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(
        ForeignKey("meetup_tables.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    table: Mapped[ProposalTable] = relationship(back_populates="proposals")
    project: Mapped[Project | None] = relationship()
    author: Mapped[User | None] = relationship()


# --- support commitments -----------------------------------------------------------------

COMMITMENT_KINDS = ("money", "contacts", "partnership", "skills", "premises", "time", "equipment")
PROPOSED, ACCEPTED, IN_PROGRESS, FULFILLED, ABANDONED = (
    "proposed",
    "accepted",
    "in_progress",
    "fulfilled",
    "cancelled",
)
COMMITMENT_STATES = (PROPOSED, ACCEPTED, IN_PROGRESS, FULFILLED, ABANDONED)
OPEN_COMMITMENT_STATES = (PROPOSED, ACCEPTED, IN_PROGRESS)
UNITS = ("eur", "hours", "m2", "contacts")


class SupportCommitment(db.Model):
    """A *soutien*: someone commits money (a promise), contacts, a partnership, skills,
    premises, time or equipment to a project, and the team follows it until delivered."""

    __tablename__ = "support_commitments"
    __table_args__ = (
        Index("ix_support_commitments_project_state", "project_id", "state"),
        Index("ix_support_commitments_meetup", "meetup_id"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
        CheckConstraint("amount_cents IS NULL OR amount_cents >= 0", name="amount_positive"),
        CheckConstraint(
            "supporter_id IS NOT NULL OR registration_id IS NOT NULL", name="supporter"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    meetup_id: Mapped[int | None] = mapped_column(ForeignKey("meetups.id", ondelete="SET NULL"))
    supporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # A visitor registered at a meetup commits through their registration's secret link.
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetup_registrations.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column()  # in `unit` (hours, m², contacts)
    unit: Mapped[str | None] = mapped_column(String(8))
    # Money: the amount promised. In kind: the value the supporter estimates (accounts).
    amount_cents: Mapped[int | None] = mapped_column()
    state: Mapped[str] = mapped_column(String(12), default=PROPOSED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # The funding module's pledge, when the promise became one (no FK: funding is optional).
    pledge_id: Mapped[int | None] = mapped_column()

    project: Mapped[Project] = relationship()
    meetup: Mapped[Meetup | None] = relationship()
    supporter: Mapped[User | None] = relationship()
    registration: Mapped[Registration | None] = relationship()
    events: Mapped[list[CommitmentEvent]] = relationship(
        back_populates="commitment",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CommitmentEvent.id",
    )

    @property
    def supporter_name(self) -> str:
        if self.supporter is not None:
            return self.supporter.public_name
        if self.registration is not None:
            return self.registration.display_name
        return ""

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_COMMITMENT_STATES

    @property
    def hours(self) -> int:
        return self.quantity if self.unit == "hours" and self.quantity else 0


class CommitmentEvent(db.Model):
    """The history of a commitment: each state it went through, who moved it and when."""

    __tablename__ = "support_commitment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("support_commitments.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    commitment: Mapped[SupportCommitment] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


# --- opportunities (veille) --------------------------------------------------------------

OPPORTUNITY_KINDS = ("appel_a_projets", "financement", "local", "formation", "emploi", "concours")
APPLIED, WON = "applied", "won"


class Opportunity(db.Model):
    """Something an organiser spotted for the porteurs: a call for projects, funding,
    premises, a training, a job, a competition."""

    __tablename__ = "opportunities"
    __table_args__ = (Index("ix_opportunities_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str | None] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    stages: Mapped[list | None] = mapped_column(JSON)  # project stages it is open to
    departement: Mapped[str | None] = mapped_column(String(3))  # None: the whole country
    deadline: Mapped[date | None] = mapped_column(Date, index=True)  # last day, Paris time
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    posted_by: Mapped[User | None] = relationship()
    group: Mapped[Group | None] = relationship()
    theme_rows: Mapped[list[OpportunityTheme]] = relationship(
        back_populates="opportunity",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OpportunityTheme.id",
    )

    @property
    def themes(self) -> list[str]:
        return [row.theme for row in self.theme_rows]


class OpportunityTheme(db.Model):
    __tablename__ = "opportunity_themes"
    __table_args__ = (UniqueConstraint("opportunity_id", "theme"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    theme: Mapped[str] = mapped_column(String(40), index=True)

    opportunity: Mapped[Opportunity] = relationship(back_populates="theme_rows")


class OpportunityApplication(db.Model):
    """A member's "J'ai candidaté" — and, later, "J'ai été retenu·e"."""

    __tablename__ = "opportunity_applications"
    __table_args__ = (UniqueConstraint("opportunity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=APPLIED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    won_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    opportunity: Mapped[Opportunity] = relationship()
    user: Mapped[User] = relationship()


class ThemeSubscription(db.Model):
    """A member follows a theme: its opportunities, meetups and new projects reach them in
    the digest and on their dashboard."""

    __tablename__ = "theme_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "theme"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    theme: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


DIGEST_FREQUENCIES = ("weekly", "monthly")


class DigestPreference(db.Model):
    """How often a member wants the digest (weekly when there is no row)."""

    __tablename__ = "digest_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    frequency: Mapped[str] = mapped_column(String(10), default="weekly")


class DigestLog(db.Model):
    """One digest sent to one member for one period: the unique key makes a second run of
    the cron command (or two at once) send nothing more."""

    __tablename__ = "digest_logs"
    __table_args__ = (UniqueConstraint("user_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(12))
    item_count: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SentReminder(db.Model):
    """A reminder that went out (the day before a meetup, a stale commitment): the unique
    key is what makes `flask meetups remind` send each one once."""

    __tablename__ = "meetup_sent_reminders"
    __table_args__ = (UniqueConstraint("kind", "target_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(String(40), default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarFeed(db.Model):
    """A member's secret calendar URL (their meetups, for any calendar application)."""

    __tablename__ = "meetup_calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- minutes (comptes rendus) ------------------------------------------------------------

MINUTES_DRAFT, MINUTES_PUBLISHED = "draft", "published"


class Minutes(db.Model):
    """The minutes of a meetup, or of a working group's meeting (no meetup, a group): who
    came, what was said (Markdown), what was decided, and the actions that follow."""

    __tablename__ = "meeting_minutes"
    __table_args__ = (
        UniqueConstraint("meetup_id"),
        CheckConstraint("meetup_id IS NOT NULL OR group_id IS NOT NULL", name="meeting"),
        Index("ix_meeting_minutes_group_held", "group_id", "held_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meetup_id: Mapped[int | None] = mapped_column(ForeignKey("meetups.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(160))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    secretary_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attendees: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown (sanitised when shown)
    decisions: Mapped[str] = mapped_column(Text, default="")  # Markdown
    state: Mapped[str] = mapped_column(String(10), default=MINUTES_DRAFT)
    share_with_group: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meetup: Mapped[Meetup | None] = relationship()
    group: Mapped[Group | None] = relationship()
    secretary: Mapped[User | None] = relationship()
    actions: Mapped[list[MinutesAction]] = relationship(
        back_populates="minutes",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MinutesAction.position, MinutesAction.id",
    )

    @property
    def is_published(self) -> bool:
        return self.state == MINUTES_PUBLISHED


class MinutesAction(db.Model):
    """Something someone will do, by a date, followed until done (their dashboard, the
    next meeting's agenda)."""

    __tablename__ = "meeting_actions"
    __table_args__ = (Index("ix_meeting_actions_owner_open", "owner_id", "done_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_minutes.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    minutes: Mapped[Minutes] = relationship(back_populates="actions")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


# --- satisfaction survey -----------------------------------------------------------------


class SurveyQuestions(db.Model):
    """The questions of a meetup series (a group's meetups, or the network's), as its
    organisers worded them: {"satisfaction", "usefulness", "recommend", "comment",
    "extra"} -> label ("extra" empty: no extra question)."""

    __tablename__ = "meetup_survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_key: Mapped[str] = mapped_column(String(40), unique=True)  # "network", "group:12"
    questions: Mapped[dict] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeetupSurvey(db.Model):
    """The survey sent after one meetup, with the questions as they were when sent."""

    __tablename__ = "meetup_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    meetup_id: Mapped[int] = mapped_column(
        ForeignKey("meetups.id", ondelete="CASCADE"), unique=True
    )
    questions: Mapped[dict] = mapped_column(JSON)
    invited_count: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    meetup: Mapped[Meetup] = relationship()


class SurveyReceipt(db.Model):
    """Who answered (one row per attendee: the unique key refuses a second answer). The
    answer itself is in SurveyResponse, which names nobody."""

    __tablename__ = "meetup_survey_receipts"
    __table_args__ = (UniqueConstraint("survey_id", "registration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("meetup_surveys.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("meetup_registrations.id", ondelete="CASCADE"), index=True
    )


class SurveyResponse(db.Model):
    """One anonymous answer: scores 1–5, would recommend, free text."""

    __tablename__ = "meetup_survey_responses"
    __table_args__ = (
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        CheckConstraint(
            "usefulness IS NULL OR usefulness BETWEEN 1 AND 5", name="usefulness_range"
        ),
        CheckConstraint("extra IS NULL OR extra BETWEEN 1 AND 5", name="extra_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("meetup_surveys.id", ondelete="CASCADE"), index=True
    )
    satisfaction: Mapped[int] = mapped_column()
    usefulness: Mapped[int | None] = mapped_column()
    would_recommend: Mapped[bool | None] = mapped_column()
    extra: Mapped[int | None] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)
    is_visitor: Mapped[bool] = mapped_column(default=False)
    answered_on: Mapped[date] = mapped_column(Date)  # the day only: no timing to match
