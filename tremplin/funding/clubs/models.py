"""Investor clubs (Cigales model): the club and its rules (*règlement intérieur*), members and
roles, savings plans and payments, applications, votes and ballots, minutes, investments
and what comes back from them, and the distribution statement at closing.

Rows only: every rule lives in the services (clubs.py, savings.py, votes.py,
investments.py, portfolio.py) and policies.py. Money is integer cents (EUR); the fund itself
is kept in the funding ledger (fund.py), these rows say what each movement was.

Over 500 lines: every table of the clubs, typed, and no logic; split by concept when a
second clubs package appears (open work, #20).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy import (
    false as sa_false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tremplin.funding.models import LedgerAccount  # noqa: F401  (the ledger tables must be known)
from tremplin.groups import models as _groups_models  # noqa: F401  (conversations table)
from tremplin.members.models import Project
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import UTCDateTime, sql_in, utcnow

# --- the club's life --------------------------------------------------------------------
FORMING, ACTIVE, MANAGING, CLOSED = "forming", "active", "managing", "closed"
CLUB_STATES = (FORMING, ACTIVE, MANAGING, CLOSED)

MIN_MEMBERS, MAX_MEMBERS = 5, 20
INVESTING_YEARS = 5
MAX_RENEWALS = 1
GERANT_TERM_DAYS = 365

# Default rules (règlement intérieur), stored per club
DEFAULT_MIN_SAVING_CENTS = 750
DEFAULT_MAX_SAVING_CENTS = 45_000
DEFAULT_YEARLY_CAP_CENTS = 550_000
DEFAULT_QUORUM_PERCENT = 50
DEFAULT_VOTING_DAYS = 7
DEFAULT_PAYMENT_DAY = 5

SIMPLE, TWO_THIRDS, THREE_QUARTERS, UNANIMITY = (
    "simple",
    "two_thirds",
    "three_quarters",
    "unanimity",
)
MAJORITIES = (SIMPLE, TWO_THIRDS, THREE_QUARTERS, UNANIMITY)

# --- memberships --------------------------------------------------------------------------
INVITED, REQUESTED, MEMBER_ACTIVE, LEFT, DECLINED = (
    "invited",
    "requested",
    "active",
    "left",
    "declined",
)
MEMBERSHIP_STATES = (INVITED, REQUESTED, MEMBER_ACTIVE, LEFT, DECLINED)

GERANT, CO_GERANT, TRESORIER, SECRETAIRE, MEMBER = (
    "gerant",
    "co_gerant",
    "tresorier",
    "secretaire",
    "membre",
)
ROLES = (GERANT, CO_GERANT, TRESORIER, SECRETAIRE, MEMBER)
OFFICES = (GERANT, CO_GERANT, TRESORIER, SECRETAIRE)  # each held by one member at most

# --- savings ------------------------------------------------------------------------------
BY_TRANSFER, BY_CARD = "transfer", "stripe"

# --- applications -------------------------------------------------------------------------
SUBMITTED, UNDER_VOTE, ACCEPTED, REJECTED, WITHDRAWN, FUNDED = (
    "submitted",
    "under_vote",
    "accepted",
    "rejected",
    "withdrawn",
    "funded",
)
APPLICATION_STATES = (SUBMITTED, UNDER_VOTE, ACCEPTED, REJECTED, WITHDRAWN, FUNDED)

CAPITAL_SHARES, CURRENT_ACCOUNT, CONTRIBUTION, HONOUR_LOAN = (
    "parts_sociales",
    "compte_courant",
    "apport_avec_reprise",
    "pret_honneur",
)
INSTRUMENTS = (CAPITAL_SHARES, CURRENT_ACCOUNT, CONTRIBUTION, HONOUR_LOAN)

# --- votes --------------------------------------------------------------------------------
ON_APPLICATION, ON_ROLE, ON_MOTION = "application", "role", "motion"
VOTE_KINDS = (ON_APPLICATION, ON_ROLE, ON_MOTION)
VOTE_OPEN, VOTE_CLOSED = "open", "closed"
FOR, AGAINST, ABSTAIN = "pour", "contre", "abstention"
CHOICES = (FOR, AGAINST, ABSTAIN)
ADOPTED, NOT_ADOPTED, NO_QUORUM = "adopted", "rejected", "no_quorum"

# --- investments and the portfolio --------------------------------------------------------
LEGAL_FORMS = ("sarl", "sas", "sa", "scop", "scic", "cooperative", "association", "ei", "autre")
COOPERATIVE_FORMS = ("scop", "scic", "cooperative")
INV_ACTIVE, INV_REPAID, INV_EXITED, INV_WRITTEN_OFF = "active", "repaid", "exited", "written_off"
INVESTMENT_STATES = (INV_ACTIVE, INV_REPAID, INV_EXITED, INV_WRITTEN_OFF)
REPAYMENT, DIVIDEND, INTEREST, EXIT, WRITE_OFF = (
    "repayment",
    "dividend",
    "interest",
    "exit",
    "write_off",
)
EVENT_KINDS = (REPAYMENT, DIVIDEND, INTEREST, EXIT, WRITE_OFF)


class InvestorClub(db.Model):
    """A club of 5 to 20 savers who invest together in local projects."""

    __tablename__ = "investor_clubs"
    __table_args__ = (
        CheckConstraint(f"state IN {sql_in(CLUB_STATES)}", name="state"),
        CheckConstraint(f"majority IN {sql_in(MAJORITIES)}", name="majority"),
        CheckConstraint("quorum_percent BETWEEN 0 AND 100", name="quorum"),
        CheckConstraint(
            "min_saving_cents > 0 AND max_saving_cents >= min_saving_cents", name="bounds"
        ),
        CheckConstraint("renewal_count BETWEEN 0 AND 1", name="renewals"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    territory: Mapped[str] = mapped_column(String(120))  # commune or quartier
    departement: Mapped[str | None] = mapped_column(String(3), index=True)
    theme: Mapped[str | None] = mapped_column(String(40))  # what the club likes to back
    description: Mapped[str | None] = mapped_column(Text)  # short presentation (public card)
    charter: Mapped[str | None] = mapped_column(Text)  # charte, Markdown
    state: Mapped[str] = mapped_column(String(10), default=FORMING, index=True)
    founded_on: Mapped[date] = mapped_column(Date)
    activated_on: Mapped[date | None] = mapped_column(Date)
    investing_ends_on: Mapped[date | None] = mapped_column(Date)
    renewal_count: Mapped[int] = mapped_column(default=0)
    managing_since: Mapped[date | None] = mapped_column(Date)  # en gestion
    closed_on: Mapped[date | None] = mapped_column(Date)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)  # shows its public card

    # règlement intérieur
    quorum_percent: Mapped[int] = mapped_column(default=DEFAULT_QUORUM_PERCENT)
    majority: Mapped[str] = mapped_column(String(16), default=SIMPLE)
    abstention_counts: Mapped[bool] = mapped_column(Boolean, default=False)
    voting_days: Mapped[int] = mapped_column(default=DEFAULT_VOTING_DAYS)
    is_secret_ballot: Mapped[bool] = mapped_column(Boolean, default=True)
    min_saving_cents: Mapped[int] = mapped_column(default=DEFAULT_MIN_SAVING_CENTS)
    max_saving_cents: Mapped[int] = mapped_column(default=DEFAULT_MAX_SAVING_CENTS)
    yearly_cap_cents: Mapped[int] = mapped_column(default=DEFAULT_YEARLY_CAP_CENTS)
    payment_day: Mapped[int] = mapped_column(default=DEFAULT_PAYMENT_DAY)  # 1..28 of each month
    # Stripe mode: the club's own Stripe Connect account (acct_…), where card savings go
    # (destination charges), so the platform never holds the club's money. Optional, as for
    # campaigns: without it, card savings are collected on the platform's Stripe account.
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    # what Stripe last said of that account (Account.charges_enabled)
    stripe_charges_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    # the club's bank account, where members pay their savings by transfer; once savings
    # exist a new IBAN waits for a second person's confirmation (pending_iban)
    account_holder: Mapped[str | None] = mapped_column(String(140))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    pending_iban: Mapped[str | None] = mapped_column(String(34))
    pending_iban_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    pending_iban_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    # bumped by every money or membership change: taking the row's write lock first makes
    # concurrent changes of one club queue up (PostgreSQL row lock, SQLite write lock)
    lock_version: Mapped[int] = mapped_column(default=0)
    minutes_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[ClubMembership]] = relationship(
        back_populates="club", cascade="all, delete-orphan", order_by="ClubMembership.id"
    )

    def __repr__(self) -> str:
        return f"<InvestorClub {self.id} {self.name!r} {self.state}>"


class ClubMembership(db.Model):
    __tablename__ = "club_memberships"
    __table_args__ = (
        UniqueConstraint("club_id", "user_id"),
        CheckConstraint(f"state IN {sql_in(MEMBERSHIP_STATES)}", name="state"),
        CheckConstraint(f"role IN {sql_in(ROLES)}", name="role"),
        # one gérant, one co-gérant, one trésorier, one secrétaire per club
        Index(
            "uq_club_memberships_office",
            "club_id",
            "role",
            unique=True,
            sqlite_where=text("role <> 'membre'"),
            postgresql_where=text("role <> 'membre'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("investor_clubs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10), default=REQUESTED)
    role: Mapped[str] = mapped_column(String(12), default=MEMBER)
    role_since: Mapped[date | None] = mapped_column(Date)
    term_ends_on: Mapped[date | None] = mapped_column(Date)  # the gérant's one-year term
    message: Mapped[str | None] = mapped_column(Text)  # a request's or invitation's words
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    declared_natural_person_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    club: Mapped[InvestorClub] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def is_active(self) -> bool:
        return self.state == MEMBER_ACTIVE


class SavingsPlan(db.Model):
    """What a member chose to put aside each month, from `starts_on` (the first of a month)
    until `ends_on` (exclusive; None while it runs). A change closes the plan and starts a
    new one, so the schedule of past months never moves."""

    __tablename__ = "club_savings_plans"
    __table_args__ = (CheckConstraint("monthly_cents > 0", name="positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(
        ForeignKey("investor_clubs.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("club_memberships.id", ondelete="CASCADE"), index=True
    )
    monthly_cents: Mapped[int] = mapped_column()
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(10), default=BY_TRANSFER)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    membership: Mapped[ClubMembership] = relationship()


class SavingsPayment(db.Model):
    """Money a member paid into the fund for one month of their schedule (a bank transfer
    recorded by the treasurer, or a Stripe invoice). Posted to the ledger with `ledger_key`;
    a mistaken entry is cancelled by a reversing movement, never deleted."""

    __tablename__ = "club_savings_payments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="positive"),
        # one live payment per member and month: recording twice is refused
        Index(
            "uq_club_savings_payments_month",
            "membership_id",
            "for_month",
            unique=True,
            sqlite_where=text("cancelled_at IS NULL"),
            postgresql_where=text("cancelled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(
        ForeignKey("investor_clubs.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("club_memberships.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    amount_cents: Mapped[int] = mapped_column()
    for_month: Mapped[date] = mapped_column(Date)  # first day of the month it pays
    received_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(10), default=BY_TRANSFER)
    reference: Mapped[str | None] = mapped_column(String(120))  # bank or Stripe reference
    ledger_key: Mapped[str] = mapped_column(String(160), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str | None] = mapped_column(String(255))

    membership: Mapped[ClubMembership] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])


class ClubExpense(db.Model):
    """Money the fund paid out that is not an investment (bank fees, insurance…)."""

    __tablename__ = "club_expenses"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(
        ForeignKey("investor_clubs.id", ondelete="CASCADE"), index=True
    )
    amount_cents: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(160))
    paid_on: Mapped[date] = mapped_column(Date)
    ledger_key: Mapped[str] = mapped_column(String(160), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClubDocument(db.Model):
    """A file given to the club (an application's plan, a signed convention): checked by its
    content, stored under a random name, downloaded only by those who may see it."""

    __tablename__ = "club_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(
        ForeignKey("investor_clubs.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("club_applications.id", ondelete="CASCADE"), index=True
    )
    investment_id: Mapped[int | None] = mapped_column(
        ForeignKey("club_investments.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(160))  # the original name, cleaned
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClubApplication(db.Model):
    """A project's *candidature* to a club."""

    __tablename__ = "club_applications"
    __table_args__ = (
        CheckConstraint(f"state IN {sql_in(APPLICATION_STATES)}", name="state"),
        CheckConstraint(f"instrument IN {sql_in(INSTRUMENTS)}", name="instrument"),
        CheckConstraint("amount_cents > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(
        ForeignKey("investor_clubs.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    amount_cents: Mapped[int] = mapped_column()
    instrument: Mapped[str] = mapped_column(String(24))
    plan: Mapped[str] = mapped_column(Text)  # what the money is for, Markdown
    state: Mapped[str] = mapped_column(String(12), default=SUBMITTED, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    club: Mapped[InvestorClub] = relationship()
    project: Mapped[Project] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    documents: Mapped[list[ClubDocument]] = relationship(
        primaryjoin="ClubDocument.application_id == ClubApplication.id",
        order_by="ClubDocument.id",
        viewonly=True,
    )


class ClubVote(db.Model):
    """A decision put to the members within a window. The rules are copied from the club
    when the vote opens, so changing them later never changes a running vote; the result
    is computed once, at the close, and frozen with the counts."""

    __tablename__ = "club_votes"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(VOTE_KINDS)}", name="kind"),
        CheckConstraint(f"state IN {sql_in((VOTE_OPEN, VOTE_CLOSED))}", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(
        ForeignKey("investor_clubs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    motion: Mapped[str | None] = mapped_column(Text)  # the question, Markdown
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("club_applications.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str | None] = mapped_column(String(12))  # role votes: the office
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # the rules in force when it opened
    is_secret: Mapped[bool] = mapped_column(Boolean)
    quorum_percent: Mapped[int] = mapped_column()
    majority: Mapped[str] = mapped_column(String(16))
    abstention_counts: Mapped[bool] = mapped_column(Boolean)
    electors_count: Mapped[int] = mapped_column()
    state: Mapped[str] = mapped_column(String(8), default=VOTE_OPEN, index=True)
    # frozen at the close
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(12))
    for_count: Mapped[int | None] = mapped_column()
    against_count: Mapped[int | None] = mapped_column()
    abstain_count: Mapped[int | None] = mapped_column()

    club: Mapped[InvestorClub] = relationship()
    application: Mapped[ClubApplication | None] = relationship()
    candidate: Mapped[User | None] = relationship(foreign_keys=[candidate_id])
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    electors: Mapped[list[ClubElector]] = relationship(
        back_populates="vote", cascade="all, delete-orphan", order_by="ClubElector.id"
    )

    @property
    def participants_count(self) -> int | None:
        if self.for_count is None:
            return None
        return self.for_count + self.against_count + self.abstain_count


class ClubElector(db.Model):
    """A member entitled to vote, listed when the vote opened: one member, one vote. With a
    secret ballot, this row only says *that* they voted, never *how*."""

    __tablename__ = "club_electors"
    __table_args__ = (UniqueConstraint("vote_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("club_votes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    has_voted: Mapped[bool] = mapped_column(Boolean, default=False)

    vote: Mapped[ClubVote] = relationship(back_populates="electors")
    user: Mapped[User] = relationship()


class ClubBallot(db.Model):
    """One ballot. Open votes keep who cast it and when; secret ones keep neither."""

    __tablename__ = "club_ballots"
    __table_args__ = (
        UniqueConstraint("vote_id", "voter_id"),
        CheckConstraint(f"choice IN {sql_in(CHOICES)}", name="choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(
        ForeignKey("club_votes.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[str] = mapped_column(String(10))
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cast_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    voter: Mapped[User | None] = relationship()


class ClubMinutes(db.Model):
    """The *procès-verbal* of a decision, written when its vote closes and never changed
    afterwards (an update or delete through the ORM is refused, and `digest` lets anyone
    check the text is the one written)."""

    __tablename__ = "club_minutes"
    __table_args__ = (UniqueConstraint("club_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(
        ForeignKey("investor_clubs.id", ondelete="CASCADE"), index=True
    )
    vote_id: Mapped[int | None] = mapped_column(
        ForeignKey("club_votes.id", ondelete="SET NULL"), unique=True
    )
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(12))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vote: Mapped[ClubVote | None] = relationship()


@event.listens_for(ClubMinutes, "before_update")
def _minutes_are_final(mapper, connection, target):
    raise ValueError("minutes are immutable once written")


@event.listens_for(ClubMinutes, "before_delete")
def _minutes_are_kept(mapper, connection, target):
    raise ValueError("minutes are kept: they cannot be deleted")


class ClubInvestment(db.Model):
    __tablename__ = "club_investments"
    __table_args__ = (
        CheckConstraint(f"instrument IN {sql_in(INSTRUMENTS)}", name="instrument"),
        CheckConstraint(f"state IN {sql_in(INVESTMENT_STATES)}", name="state"),
        CheckConstraint("amount_cents > 0", name="positive"),
        CheckConstraint(
            "stake_basis_points IS NULL OR stake_basis_points BETWEEN 0 AND 10000", name="stake"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(
        ForeignKey("investor_clubs.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("club_applications.id", ondelete="SET NULL"), unique=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    instrument: Mapped[str] = mapped_column(String(24))
    amount_cents: Mapped[int] = mapped_column()
    legal_form: Mapped[str] = mapped_column(String(16))
    stake_basis_points: Mapped[int | None] = mapped_column()  # 1250 = 12.5 % of the capital
    co_investors: Mapped[str | None] = mapped_column(String(255))
    invested_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default=INV_ACTIVE, index=True)
    convention_id: Mapped[int | None] = mapped_column(
        ForeignKey("club_documents.id", ondelete="SET NULL", use_alter=True)
    )
    ledger_key: Mapped[str] = mapped_column(String(160), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_on: Mapped[date | None] = mapped_column(Date)

    club: Mapped[InvestorClub] = relationship()
    project: Mapped[Project] = relationship()
    application: Mapped[ClubApplication | None] = relationship()
    convention: Mapped[ClubDocument | None] = relationship(foreign_keys=[convention_id])
    companions: Mapped[list[InvestmentCompanion]] = relationship(
        back_populates="investment", cascade="all, delete-orphan", order_by="InvestmentCompanion.id"
    )
    events: Mapped[list[PortfolioEvent]] = relationship(
        back_populates="investment",
        cascade="all, delete-orphan",
        order_by="(PortfolioEvent.occurred_on, PortfolioEvent.id)",
    )


class InvestmentCompanion(db.Model):
    """A club member who follows the project (*accompagnateur*): one or two per investment."""

    __tablename__ = "club_investment_companions"
    __table_args__ = (UniqueConstraint("investment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    investment_id: Mapped[int] = mapped_column(
        ForeignKey("club_investments.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    investment: Mapped[ClubInvestment] = relationship(back_populates="companions")
    user: Mapped[User] = relationship()


class PortfolioEvent(db.Model):
    """What came back from (or was lost on) an investment: a repayment of principal, a
    dividend or interest, an exit (sale of the stake), a write-off."""

    __tablename__ = "club_portfolio_events"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(EVENT_KINDS)}", name="kind"),
        CheckConstraint("amount_cents >= 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    investment_id: Mapped[int] = mapped_column(
        ForeignKey("club_investments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    amount_cents: Mapped[int] = mapped_column()  # money received (0 for a write-off)
    principal_cents: Mapped[int] = mapped_column(default=0)  # of which, capital returned/lost
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(255))
    ledger_key: Mapped[str] = mapped_column(String(160), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    investment: Mapped[ClubInvestment] = relationship(back_populates="events")


class DistributionLine(db.Model):
    """At closing: what each saver receives of the fund, pro rata of what they saved."""

    __tablename__ = "club_distribution_lines"
    __table_args__ = (UniqueConstraint("club_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(
        ForeignKey("investor_clubs.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    contributed_cents: Mapped[int] = mapped_column()
    amount_cents: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()


class ClubReminder(db.Model):
    """A reminder already sent (late saving, end of the gérant's term…): the unique key
    makes `flask clubs remind` send each one once, however often it runs."""

    __tablename__ = "club_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    club_id: Mapped[int] = mapped_column(
        ForeignKey("investor_clubs.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
