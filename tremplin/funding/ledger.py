"""A double-entry ledger in integer cents: every movement of money is one transaction (an
entry group) whose entries sum to zero, and every balance is a sum of entries.

Generic on purpose: campaigns use it today, investor clubs will keep their fund in it.
An account is a `(kind, ref)` pair chosen by the caller ("campaign", "12"), ("backer",
"7"), ("club", "3"), ("fees", "stripe")… Signs follow the money: an entry adds to the
account it credits (`+`) and takes from the one it debits (`-`); an outside party (a
backer paying in) therefore goes negative by what they gave. A transaction carries a
unique `key` naming the real-world event it records ("charge:pi_…", "refund:re_…"), so
recording the same event twice — a webhook and a return page, a replayed event, a job run
twice — posts it once. This module never calls a payment processor and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tremplin.funding.models import LedgerAccount, LedgerEntry, LedgerTransaction
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow


class LedgerError(DomainError):
    """A movement that does not balance or is not whole cents: a bug, never user input."""


@dataclass(frozen=True)
class AccountRef:
    kind: str
    ref: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


def ref(kind: str, key: object) -> AccountRef:
    return AccountRef(kind, str(key))


def ensure_cents(value: object, *, allow_zero: bool = False) -> int:
    """An amount of money must be an int (bool is not), positive unless told otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise LedgerError(f"amount must be integer cents, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise LedgerError(f"amount must be positive, got {value!r}")
    return value


def account(target: AccountRef) -> LedgerAccount:
    """The account for (kind, ref), created on first use (safe against a concurrent
    creation: the unique constraint decides, inside a savepoint)."""
    found = db.session.scalar(
        select(LedgerAccount).where(
            LedgerAccount.kind == target.kind, LedgerAccount.ref == target.ref
        )
    )
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            created = LedgerAccount(kind=target.kind, ref=target.ref)
            db.session.add(created)
        return created
    except IntegrityError:
        return db.session.scalar(
            select(LedgerAccount).where(
                LedgerAccount.kind == target.kind, LedgerAccount.ref == target.ref
            )
        )


def find(key: str) -> LedgerTransaction | None:
    return db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.key == key))


@dataclass(frozen=True)
class PostingRef:
    """What a movement refers to beside its accounts: the outside reference (a Stripe id, a
    transfer reference), a memo, who recorded it and when it happened (None: now)."""

    reference: str | None = None
    memo: str | None = None
    actor: object = None
    occurred_at: datetime | None = None


def post(
    key: str,
    kind: str,
    legs: Sequence[tuple[AccountRef, int]],
    *,
    scope: str | None = None,
    subject: str | None = None,
    about: PostingRef | None = None,
) -> tuple[LedgerTransaction, bool]:
    """Record one movement. `legs` are (account, signed cents) pairs summing to zero.
    Returns (transaction, created): posting a key that exists returns the existing
    transaction untouched (created False) — the caller's real-world event was already
    recorded. Raises LedgerError if the legs do not balance."""
    about = about or PostingRef()
    legs = [(target, amount) for target, amount in legs if amount != 0]
    if len(legs) < 2:
        raise LedgerError("a movement needs at least two non-zero entries")
    for _target, amount in legs:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise LedgerError(f"amount must be integer cents, got {amount!r}")
    if sum(amount for _target, amount in legs) != 0:
        raise LedgerError(f"entries of {key} do not sum to zero")
    existing = find(key)
    if existing is not None:
        return existing, False
    accounts = {target: account(target) for target, _amount in legs}
    transaction = LedgerTransaction(
        key=key,
        kind=kind,
        scope=scope,
        subject=subject,
        reference=about.reference,
        memo=about.memo,
        actor_id=getattr(about.actor, "id", None),
        occurred_at=about.occurred_at or utcnow(),
    )
    transaction.entries = [
        LedgerEntry(account=accounts[target], amount_cents=amount) for target, amount in legs
    ]
    try:
        with db.session.begin_nested():
            db.session.add(transaction)
    except IntegrityError:
        # posted meanwhile by someone else (same key): theirs stands
        existing = find(key)
        if existing is None:
            raise
        return existing, False
    return transaction, True


def transfer(
    key: str, kind: str, source: AccountRef, destination: AccountRef, cents: int, **kwargs
) -> tuple[LedgerTransaction, bool]:
    """`cents` leave `source` and reach `destination` (the common two-leg movement)."""
    ensure_cents(cents)
    return post(key, kind, [(source, -cents), (destination, cents)], **kwargs)


def balance(
    target: AccountRef, *, scope: str | None = None, kinds: Iterable[str] | None = None
) -> int:
    """Sum of the entries of an account (optionally only those of one scope or kinds)."""
    stmt = (
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == target.kind, LedgerAccount.ref == target.ref)
    )
    if scope is not None or kinds is not None:
        stmt = stmt.join(LedgerTransaction, LedgerEntry.transaction_id == LedgerTransaction.id)
        if scope is not None:
            stmt = stmt.where(LedgerTransaction.scope == scope)
        if kinds is not None:
            stmt = stmt.where(LedgerTransaction.kind.in_(list(kinds)))
    return int(db.session.scalar(stmt) or 0)


def balances(kind: str, refs: Iterable[object]) -> dict[str, int]:
    """Balances of many accounts of one kind in one query: {ref: cents} (0 when unused)."""
    wanted = [str(r) for r in refs]
    if not wanted:
        return {}
    rows = db.session.execute(
        select(LedgerAccount.ref, func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == kind, LedgerAccount.ref.in_(wanted))
        .group_by(LedgerAccount.ref)
    ).all()
    found = {ref_: int(total) for ref_, total in rows}
    return {r: found.get(r, 0) for r in wanted}


def movements(target: AccountRef, limit: int = 200) -> list[tuple[LedgerTransaction, int]]:
    """The account's statement, newest first: (transaction, signed cents for this account)."""
    rows = db.session.execute(
        select(LedgerTransaction, LedgerEntry.amount_cents)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == target.kind, LedgerAccount.ref == target.ref)
        .order_by(LedgerTransaction.occurred_at.desc(), LedgerTransaction.id.desc())
        .limit(limit)
    ).all()
    return [(transaction, int(amount)) for transaction, amount in rows]


def subject_totals(subject: str, target: AccountRef) -> dict[str, int]:
    """For one subject ("pledge:34"): the signed sum on `target` per transaction kind."""
    rows = db.session.execute(
        select(LedgerTransaction.kind, func.sum(LedgerEntry.amount_cents))
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id)
        .where(
            LedgerTransaction.subject == subject,
            LedgerAccount.kind == target.kind,
            LedgerAccount.ref == target.ref,
        )
        .group_by(LedgerTransaction.kind)
    ).all()
    return {kind: int(total) for kind, total in rows}


def unbalanced_transactions() -> list[tuple[str, int]]:
    """Keys of transactions whose entries do not sum to zero (should always be empty)."""
    rows = db.session.execute(
        select(LedgerTransaction.key, func.sum(LedgerEntry.amount_cents))
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .group_by(LedgerTransaction.id, LedgerTransaction.key)
        .having(func.sum(LedgerEntry.amount_cents) != 0)
    ).all()
    return [(key, int(total)) for key, total in rows]


def total_of_all_entries() -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))) or 0)
