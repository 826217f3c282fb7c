"""Imported bank statements and their lines. A line is unique per account and key (the
bank's own transaction id, else a hash of date, amount and label): importing the same
statement twice adds nothing. A line is matched at most once: the claim is a guarded
UPDATE of its status, and the transfer or savings payment it produced is unique."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import UTCDateTime, utcnow

ACCOUNT_PROJECT, ACCOUNT_CLUB = "project", "club"
LINE_OPEN, LINE_MATCHED, LINE_DISMISSED = "open", "matched", "dismissed"
LINE_STATUSES = (LINE_OPEN, LINE_MATCHED, LINE_DISMISSED)


class StatementImport(db.Model):
    """One uploaded file (its lines that were new are attached to it)."""

    __tablename__ = "bank_statement_imports"
    __table_args__ = (
        CheckConstraint("account_kind IN ('project', 'club')", name="account_kind"),
        Index("ix_bank_statement_imports_account", "account_kind", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_kind: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[int] = mapped_column()
    filename: Mapped[str | None] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(8))  # ofx, camt, csv
    line_count: Mapped[int] = mapped_column(default=0)
    new_count: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()


class StatementLine(db.Model):
    """A movement of the bank account as the bank printed it (amount signed, in cents)."""

    __tablename__ = "bank_statement_lines"
    __table_args__ = (
        UniqueConstraint("account_kind", "account_id", "line_key", name="uq_bank_statement_line"),
        CheckConstraint("status IN ('open', 'matched', 'dismissed')", name="status"),
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        Index("ix_bank_statement_lines_account_status", "account_kind", "account_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("bank_statement_imports.id", ondelete="CASCADE"), index=True
    )
    account_kind: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[int] = mapped_column()
    line_key: Mapped[str] = mapped_column(String(160))
    booked_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(500), default="")
    bank_ref: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default=LINE_OPEN)
    # what the confirmed match recorded (each at most one line)
    transfer_id: Mapped[int | None] = mapped_column(
        ForeignKey("pledge_bank_transfers.id", ondelete="SET NULL"), unique=True
    )
    savings_payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("club_savings_payments.id", ondelete="SET NULL"), unique=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    decided_by: Mapped[User | None] = relationship()
