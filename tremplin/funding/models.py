"""Funding rows: campaigns and their rewards and updates, pledges and how they are paid
(payment attempts, bank transfers, refunds), receipts, Stripe events and customers, and
each project's funding settings. The double-entry ledger has its own file (ledger.py).

Rows only: every rule lives in campaigns.py, charging.py and policies.py. Money is integer
cents (EUR) everywhere; datetimes are aware UTC.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import (
    false as sa_false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tremplin.members.models import Project  # noqa: F401  (the projects table must be known)
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import UTCDateTime, sql_in, utcnow

# --- campaigns ------------------------------------------------------------------------
DRAFT, OPEN, SUCCEEDED, FAILED, CLOSED = "draft", "open", "succeeded", "failed", "closed"
CAMPAIGN_STATUSES = (DRAFT, OPEN, SUCCEEDED, FAILED, CLOSED)

ALL_OR_NOTHING, THRESHOLD, KEEP_WHAT_YOU_RAISE = "all_or_nothing", "threshold", "keep"
RULES = (ALL_OR_NOTHING, THRESHOLD, KEEP_WHAT_YOU_RAISE)

PROMISE_MODE, STRIPE_MODE = "promise", "stripe"

# --- pledges --------------------------------------------------------------------------
PENDING = "pending"  # Stripe: waiting for the card to be saved
ACTIVE = "active"  # a promise made / a card saved, before the deadline
CANCELLED = "cancelled"  # withdrawn by the backer before the deadline
RELEASED = "released"  # the campaign failed: nothing is taken
DUE = "due"  # to collect: a charge to make, or a transfer awaited
REQUIRES_ACTION = "requires_action"  # the bank wants the backer to confirm (3-D Secure)
DECLINED = "declined"  # the last charge was declined; retried at next_retry_at
UNPAID = "unpaid"  # given up: retries exhausted, or a promise never paid
COLLECTED = "collected"  # paid in full (possibly refunded in part since)
REFUNDED = "refunded"  # paid, then refunded in full
PLEDGE_STATUSES = (
    PENDING,
    ACTIVE,
    CANCELLED,
    RELEASED,
    DUE,
    REQUIRES_ACTION,
    DECLINED,
    UNPAID,
    COLLECTED,
    REFUNDED,
)
# A backer has at most one live pledge per campaign (they change it rather than add one).
LIVE_STATUSES = (PENDING, ACTIVE, DUE, REQUIRES_ACTION, DECLINED)
# What the progress bar counts (a failed campaign still shows what was promised).
COUNTED_STATUSES = (ACTIVE, DUE, REQUIRES_ACTION, DECLINED, COLLECTED, RELEASED)
# Pledges still to be collected once a campaign has succeeded.
TO_COLLECT_STATUSES = (DUE, REQUIRES_ACTION, DECLINED)

# --- payment attempts -----------------------------------------------------------------
ATTEMPT_STARTED = "started"  # row written, Stripe not answered (yet)
ATTEMPT_AUTHORIZED = "requires_capture"  # the bank agreed; the money is not taken yet
ATTEMPT_REQUIRES_ACTION = "requires_action"
ATTEMPT_SUCCEEDED = "succeeded"
ATTEMPT_FAILED = "failed"
ATTEMPT_CANCELED = "canceled"
ATTEMPT_STATUSES = (
    ATTEMPT_STARTED,
    ATTEMPT_AUTHORIZED,
    ATTEMPT_REQUIRES_ACTION,
    ATTEMPT_SUCCEEDED,
    ATTEMPT_FAILED,
    ATTEMPT_CANCELED,
)


def new_token() -> str:
    return secrets.token_urlsafe(18)


class ProjectFundingSettings(db.Model):
    """What a project tells funding about itself: where promises are paid (RIB), whether it
    may issue tax receipts (organisation of general interest) and its Stripe Connect
    account. Keyed by project, kept in funding's own table."""

    __tablename__ = "funding_project_settings"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    account_holder: Mapped[str | None] = mapped_column(String(140))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    # Organisation of general interest: tax receipts (Cerfa 11580) for the donations.
    is_general_interest: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    organisation_address: Mapped[str | None] = mapped_column(Text)
    organisation_object: Mapped[str | None] = mapped_column(Text)
    organisation_kind: Mapped[str | None] = mapped_column(String(40))
    siren: Mapped[str | None] = mapped_column(String(14))
    signatory: Mapped[str | None] = mapped_column(String(140))  # name and role of the signer
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))  # acct_… (Connect)
    # what Stripe last said of that account (Account.charges_enabled): cards only when True
    stripe_charges_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    # A new IBAN asked for once promises exist: applied only when a second person (another
    # team member or an organiser) confirms it, so bank details cannot be swapped silently.
    pending_iban: Mapped[str | None] = mapped_column(String(34))
    pending_iban_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    pending_iban_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def has_bank_details(self) -> bool:
        return bool(self.iban and self.account_holder)


class Campaign(db.Model):
    """A *collecte*: a project raises `goal_cents` by `deadline_at` under a rule."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(CAMPAIGN_STATUSES)}", name="status"),
        CheckConstraint(f"rule IN {sql_in(RULES)}", name="rule"),
        CheckConstraint("goal_cents > 0", name="goal_positive"),
        Index("ix_campaigns_status_deadline", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    title: Mapped[str] = mapped_column(String(140))
    summary: Mapped[str] = mapped_column(String(280))
    description: Mapped[str | None] = mapped_column(Text)
    goal_cents: Mapped[int] = mapped_column()
    # palier: the campaign succeeds once this first threshold is reached
    threshold_cents: Mapped[int | None] = mapped_column()
    rule: Mapped[str] = mapped_column(String(20), default=ALL_OR_NOTHING)
    status: Mapped[str] = mapped_column(String(12), default=DRAFT)
    mode: Mapped[str | None] = mapped_column(String(10))  # fixed when the campaign opens
    outcome: Mapped[str | None] = mapped_column(String(12))  # succeeded / failed, kept once closed
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    project: Mapped[Project] = relationship()
    created_by: Mapped[User | None] = relationship()
    rewards: Mapped[list[Reward]] = relationship(
        back_populates="campaign",
        cascade="all, delete-orphan",
        order_by="(Reward.min_amount_cents, Reward.id)",
    )
    updates: Mapped[list[CampaignUpdate]] = relationship(
        back_populates="campaign",
        cascade="all, delete-orphan",
        lazy="raise_on_sql",
        order_by="CampaignUpdate.created_at.desc()",
    )

    @property
    def is_draft(self) -> bool:
        return self.status == DRAFT

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def is_ended(self) -> bool:
        return self.status in (SUCCEEDED, FAILED, CLOSED)

    @property
    def has_succeeded(self) -> bool:
        return (self.outcome or self.status) == SUCCEEDED

    @property
    def is_stripe(self) -> bool:
        return self.mode == STRIPE_MODE

    @property
    def success_target_cents(self) -> int:
        """What must be pledged by the deadline for the campaign to succeed."""
        if self.rule == THRESHOLD and self.threshold_cents:
            return self.threshold_cents
        return self.goal_cents

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.status} {self.title!r}>"


class Reward(db.Model):
    """A *contrepartie*: what a backer gets from `min_amount_cents`, maybe in limited number.
    `claimed_count` moves only through conditional updates, so stock never goes negative."""

    __tablename__ = "campaign_rewards"
    __table_args__ = (
        CheckConstraint("min_amount_cents >= 100", name="min_amount"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity"),
        CheckConstraint("value_cents IS NULL OR value_cents >= 0", name="value"),
        CheckConstraint(
            "claimed_count >= 0 AND (quantity IS NULL OR claimed_count <= quantity)", name="stock"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(140))
    description: Mapped[str | None] = mapped_column(Text)
    min_amount_cents: Mapped[int] = mapped_column()
    quantity: Mapped[int | None] = mapped_column()  # None: unlimited
    # the reward's value as the team declares it (cost price, VAT included): a tax receipt
    # applies the counterparts rule to it (see receipts.counterpart_limit_cents)
    value_cents: Mapped[int | None] = mapped_column()
    claimed_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="rewards")

    @property
    def remaining(self) -> int | None:
        return None if self.quantity is None else max(self.quantity - self.claimed_count, 0)

    @property
    def is_sold_out(self) -> bool:
        return self.quantity is not None and self.claimed_count >= self.quantity


class CampaignUpdate(db.Model):
    """News the team posts to the campaign's backers (*actualités*)."""

    __tablename__ = "campaign_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(140))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()


class Pledge(db.Model):
    """A backer's *promesse*: an amount (and maybe a reward) for a campaign, collected by
    card (Stripe mode) or by bank transfer (promise mode). `collected_cents` and
    `refunded_cents` mirror the ledger, written in the same transaction as its entries
    (and checked by `flask funding reconcile`); `refunded_cents` also holds the Stripe
    refunds asked for and not yet confirmed (pending `PledgeRefund` rows), so the check of
    what is refundable and the reservation are one guarded UPDATE."""

    __tablename__ = "pledges"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(PLEDGE_STATUSES)}", name="status"),
        CheckConstraint("amount_cents >= 100", name="amount_minimum"),
        CheckConstraint(
            "collected_cents >= 0 AND refunded_cents >= 0 AND refunded_cents <= collected_cents",
            name="money",
        ),
        Index(
            "uq_pledges_live_backer",
            "campaign_id",
            "backer_id",
            unique=True,
            sqlite_where=text(f"status IN {sql_in(LIVE_STATUSES)} AND backer_id IS NOT NULL"),
            postgresql_where=text(f"status IN {sql_in(LIVE_STATUSES)} AND backer_id IS NOT NULL"),
        ),
        Index("ix_pledges_campaign_status", "campaign_id", "status"),
        Index("ix_pledges_status_retry", "status", "next_retry_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random and unguessable: in e-mailed links and in Stripe idempotency keys (an id alone
    # could be handed out again by the database after a rolled-back insert).
    token: Mapped[str] = mapped_column(String(32), unique=True, default=new_token)
    # The bank-transfer reference (*référence de virement*), with a check character.
    reference: Mapped[str | None] = mapped_column(String(24), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    backer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    amount_cents: Mapped[int] = mapped_column()
    # the donor prefers one summary tax receipt a year: no individual one for this gift
    yearly_tax_receipt: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    reward_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign_rewards.id", ondelete="SET NULL"), index=True
    )
    message: Mapped[str | None] = mapped_column(Text)
    is_amount_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    is_name_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    mode: Mapped[str] = mapped_column(String(10), default=PROMISE_MODE)
    # where it came from: "web", or "meetup" (a money commitment made at a meetup)
    source: Mapped[str] = mapped_column(String(16), default="web")
    source_ref: Mapped[str | None] = mapped_column(String(80), unique=True)
    # donor details for a tax receipt (asked only by organisations of general interest)
    donor_name: Mapped[str | None] = mapped_column(String(140))
    donor_address: Mapped[str | None] = mapped_column(Text)

    collected_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    refunded_cents: Mapped[int] = mapped_column(default=0, server_default="0")

    # Stripe
    setup_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(64))
    # charge runs: a runner claims the pledge until claimed_until (a lease, so a runner that
    # died does not hold it forever); retries after a decline at next_retry_at.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(255))
    # reminders (unpaid promises, payments to confirm)
    reminder_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campaign: Mapped[Campaign] = relationship()
    backer: Mapped[User | None] = relationship()
    reward: Mapped[Reward | None] = relationship()
    attempts: Mapped[list[PaymentAttempt]] = relationship(
        back_populates="pledge", cascade="all, delete-orphan", order_by="PaymentAttempt.number"
    )
    transfers: Mapped[list[BankTransfer]] = relationship(
        back_populates="pledge", cascade="all, delete-orphan", order_by="BankTransfer.id"
    )
    refunds: Mapped[list[PledgeRefund]] = relationship(
        back_populates="pledge", cascade="all, delete-orphan", order_by="PledgeRefund.id"
    )

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def net_cents(self) -> int:
        """What the project keeps from this pledge so far."""
        return self.collected_cents - self.refunded_cents

    @property
    def outstanding_cents(self) -> int:
        """What is still to be paid on a pledge being collected."""
        if self.status in TO_COLLECT_STATUSES:
            return max(self.amount_cents - self.collected_cents, 0)
        return 0

    @property
    def refundable_cents(self) -> int:
        return self.collected_cents - self.refunded_cents

    @property
    def latest_attempt(self) -> PaymentAttempt | None:
        return self.attempts[-1] if self.attempts else None

    def __repr__(self) -> str:
        return f"<Pledge {self.id} {self.status} {self.amount_cents}>"


class PaymentAttempt(db.Model):
    """One try at charging a pledge by card: a Stripe PaymentIntent, created with an
    idempotency key derived from the pledge and the attempt number. The row is written and
    committed *before* Stripe is called, so a runner killed mid-way finds it again."""

    __tablename__ = "pledge_payment_attempts"
    __table_args__ = (
        UniqueConstraint("pledge_id", "number"),
        CheckConstraint(f"status IN {sql_in(ATTEMPT_STATUSES)}", name="status"),
        # At most one successful charge per pledge, whatever happens.
        Index(
            "uq_pledge_payment_attempts_one_success",
            "pledge_id",
            unique=True,
            sqlite_where=text(f"status = '{ATTEMPT_SUCCEEDED}'"),
            postgresql_where=text(f"status = '{ATTEMPT_SUCCEEDED}'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    amount_cents: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=ATTEMPT_STARTED)
    on_session: Mapped[bool] = mapped_column(Boolean, default=False)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(255))
    fee_cents: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pledge: Mapped[Pledge] = relationship(back_populates="attempts")


class BankTransfer(db.Model):
    """A transfer received for a promise, recorded by the project's treasurer (or team)."""

    __tablename__ = "pledge_bank_transfers"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"), index=True)
    amount_cents: Mapped[int] = mapped_column()
    received_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(255))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pledge: Mapped[Pledge] = relationship(back_populates="transfers")
    recorded_by: Mapped[User | None] = relationship()


REFUND_PENDING, REFUND_DONE, REFUND_FAILED = "pending", "done", "failed"
REFUND_STATUSES = (REFUND_PENDING, REFUND_DONE, REFUND_FAILED)


class PledgeRefund(db.Model):
    """Money given back on a pledge: a Stripe refund, or a transfer back recorded by hand.
    A Stripe refund's row is written and committed *pending* before Stripe is called, with
    its amount reserved on the pledge (`refunded_cents`); its token is the idempotency key
    and the metadata Stripe keeps, so a run that died after the call finds the refund
    again instead of asking for a second one."""

    __tablename__ = "pledge_refunds"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(f"status IN {sql_in(REFUND_STATUSES)}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True, default=new_token)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"), index=True)
    amount_cents: Mapped[int] = mapped_column()
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(8), default=REFUND_DONE, server_default="done")
    reason: Mapped[str | None] = mapped_column(String(255))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pledge: Mapped[Pledge] = relationship(back_populates="refunds")
    requested_by: Mapped[User | None] = relationship()


class Receipt(db.Model):
    """A payment receipt (every collected pledge) or a tax receipt (Cerfa 11580, projects of
    general interest), with what it certified frozen at issue time."""

    __tablename__ = "funding_receipts"
    __table_args__ = (
        UniqueConstraint("pledge_id", "kind"),
        UniqueConstraint("project_id", "kind", "number"),
        CheckConstraint("kind IN ('payment', 'tax')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    number: Mapped[str] = mapped_column(String(32))
    amount_cents: Mapped[int] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pledge: Mapped[Pledge] = relationship()


class ReceiptSequence(db.Model):
    """The last tax-receipt number a project issued in a year: receipts are numbered in an
    unbroken sequence per issuing organisation, taken under a row lock."""

    __tablename__ = "funding_receipt_sequences"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class SummaryReceipt(db.Model):
    """A yearly summary tax receipt (*reçu récapitulatif annuel*): one donor's gifts to one
    organisation in a calendar year, numbered in the organisation's tax-receipt sequence.
    Each gift appears in one summary at most (unique line per pledge)."""

    __tablename__ = "funding_summary_receipts"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    backer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    year: Mapped[int] = mapped_column()
    number: Mapped[str] = mapped_column(String(32))
    amount_cents: Mapped[int] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[SummaryReceiptLine]] = relationship(
        back_populates="summary", cascade="all, delete-orphan", order_by="SummaryReceiptLine.id"
    )


class SummaryReceiptLine(db.Model):
    __tablename__ = "funding_summary_receipt_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(
        ForeignKey("funding_summary_receipts.id", ondelete="CASCADE"), index=True
    )
    # a gift is counted in one summary at most
    pledge_id: Mapped[int] = mapped_column(
        ForeignKey("pledges.id", ondelete="CASCADE"), unique=True
    )
    amount_cents: Mapped[int] = mapped_column()

    summary: Mapped[SummaryReceipt] = relationship(back_populates="lines")
    pledge: Mapped[Pledge] = relationship()


class StripeCustomer(db.Model):
    """The Stripe Customer that holds a member's saved cards (one per member)."""

    __tablename__ = "funding_stripe_customers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StripeEvent(db.Model):
    """Every webhook event received, once: the unique event id makes a duplicate delivery
    a no-op; the row and the effects of processing commit together."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(80), index=True)
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stripe_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- the ledger (its API: ledger.py) ----------------------------------------------------
LEDGER_CURRENCY = "EUR"


class LedgerAccount(db.Model):
    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    ref: Mapped[str] = mapped_column(String(60))
    currency: Mapped[str] = mapped_column(String(3), default=LEDGER_CURRENCY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LedgerAccount {self.kind}:{self.ref}>"


class LedgerTransaction(db.Model):
    """One movement: entries that sum to zero, posted together or not at all."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(30))  # charge, refund, fee, transfer, payout…
    scope: Mapped[str | None] = mapped_column(String(60), index=True)  # "campaign:12"
    subject: Mapped[str | None] = mapped_column(String(60), index=True)  # "pledge:34"
    reference: Mapped[str | None] = mapped_column(String(120))  # processor or bank reference
    memo: Mapped[str | None] = mapped_column(String(255))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="transaction", cascade="all, delete-orphan", order_by="LedgerEntry.id"
    )


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="nonzero"),
        Index("ix_ledger_entries_account", "account_id", "transaction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_transactions.id", ondelete="RESTRICT"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = mapped_column()

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    account: Mapped[LedgerAccount] = relationship()


def move(row, from_statuses: tuple[str, ...] | str, **values) -> bool:
    """Change a row's columns only if its status is still one of `from_statuses`, with a
    conditional UPDATE: of two transactions racing (a webhook and a return page, two cron
    runs), only the one that moved the row gets True and does what follows (e-mails, stock,
    receipts). The object is refreshed from the row."""
    if isinstance(from_statuses, str):
        from_statuses = (from_statuses,)
    model = type(row)
    db.session.flush()
    moved = db.session.execute(
        db.update(model)
        .where(model.id == row.id, model.status.in_(from_statuses))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(row)
    return bool(moved)


move_pledge = move
