"""Refunds of collected pledges: reserve first, then ask Stripe, then record.

1. `refund()` checks what is refundable and reserves it in one guarded UPDATE of the
   pledge (`refunded_cents`), and writes the refund row. In promise mode (a transfer back
   made by the treasurer) the ledger entry follows at once: done. In Stripe mode the row
   stays *pending*: the caller commits it before any call to Stripe.
2. `settle()` (commits) asks Stripe for the refund with the row's token as idempotency
   key and metadata. Before asking, it looks at the payment's refunds for one carrying
   that token: a run killed after Stripe's answer and before our commit finds its refund
   there instead of asking a second time (localstripe, like a key expired after 24 h,
   would not dedupe it for us). Then the ledger entry, keyed by the Stripe refund id.
3. A pending row left by a crash is settled by `settle_pending()` (reconciliation).

Webhooks about our own refunds land in `record_stripe_refund`, which completes the
pending row by its token rather than counting the money a second time.
This module never lets a refund exceed what was collected, and never posts one twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from tremplin.funding import bookkeeping, ledger, notices, payments
from tremplin.funding.campaigns import check_amount, settings_for
from tremplin.funding.errors import InvalidAmount
from tremplin.funding.models import (
    ATTEMPT_SUCCEEDED,
    REFUND_DONE,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUNDED,
    STRIPE_MODE,
    PaymentAttempt,
    Pledge,
    PledgeRefund,
    move,
)
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db

log = logging.getLogger(__name__)


def _euros(cents: int) -> str:
    from tremplin.platform.templating import euros

    return euros(cents)


def succeeded_attempt(item: Pledge) -> PaymentAttempt | None:
    return next((a for a in item.attempts if a.status == ATTEMPT_SUCCEEDED), None)


def _reserve(item: Pledge, cents: int) -> bool:
    db.session.flush()
    reserved = db.session.execute(
        update(Pledge)
        .where(Pledge.id == item.id, Pledge.collected_cents - Pledge.refunded_cents >= cents)
        .values(refunded_cents=Pledge.refunded_cents + cents)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(item)
    return bool(reserved)


def _unreserve(item: Pledge, cents: int) -> None:
    db.session.execute(
        update(Pledge)
        .where(Pledge.id == item.id, Pledge.refunded_cents >= cents)
        .values(refunded_cents=Pledge.refunded_cents - cents)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(item)


def refund(
    item: Pledge, by, *, amount_cents: int, reason: str | None = None, now: datetime | None = None
) -> PledgeRefund:
    """Give money back on a collected pledge (flushes, never commits). Promise mode: the
    record of a transfer back, done at once. A card payment: the returned row is pending;
    commit, then `settle(row.id)`. Raises InvalidAmount beyond what is refundable."""
    amount_cents = check_amount(amount_cents, minimum=1, field="amount")
    if not _reserve(item, amount_cents):
        raise InvalidAmount(
            _(
                "On ne peut rembourser plus que ce qui a été reçu (%(max)s).",
                max=_euros(max(item.refundable_cents, 0)),
            )
        )
    row = PledgeRefund(
        pledge_id=item.id,
        amount_cents=amount_cents,
        reason=(reason or "").strip() or None,
        requested_by_id=by.id,
        status=REFUND_PENDING,
    )
    db.session.add(row)
    db.session.flush()
    if item.mode == STRIPE_MODE and succeeded_attempt(item) is not None:
        return row
    bookkeeping.record_refund(
        item,
        amount_cents,
        key=f"refund:manual:{row.token}",
        about=ledger.PostingRef(reference=item.reference, actor=by, memo=row.reason),
        counted=True,
    )
    row.status = REFUND_DONE
    _after_refund(item)
    notices.pledge_refunded(item, amount_cents)
    db.session.flush()
    return row


def _after_refund(item: Pledge) -> None:
    db.session.flush()
    pending = db.session.scalar(
        select(PledgeRefund.id).where(
            PledgeRefund.pledge_id == item.id, PledgeRefund.status == REFUND_PENDING
        )
    )
    if pending is None and item.collected_cents and item.refunded_cents >= item.collected_cents:
        item.status = REFUNDED


def _complete(row: PledgeRefund, info: payments.RefundInfo) -> bool:
    """Our pending refund, confirmed by Stripe: posted once (the row moves from pending
    with a conditional update, so a webhook and the settling run never both post it)."""
    if not move(row, REFUND_PENDING, status=REFUND_DONE, stripe_refund_id=info.id):
        return False
    item = row.pledge
    bookkeeping.record_refund(
        item,
        row.amount_cents,
        key=f"refund:{info.id}",
        about=ledger.PostingRef(reference=info.id, actor=row.requested_by, memo=row.reason),
        counted=True,
    )
    _after_refund(item)
    notices.pledge_refunded(item, row.amount_cents)
    db.session.flush()
    return True


def _fail(row: PledgeRefund) -> None:
    if move(row, REFUND_PENDING, status=REFUND_FAILED):
        _unreserve(row.pledge, row.amount_cents)
        db.session.flush()


def settle(refund_id: int) -> str:
    """Ask Stripe for a pending refund, or find the one an earlier run asked for. Commits.
    Returns "done", "failed" (Stripe refused: the reservation is released, the error
    raised after the commit), "pending" (Stripe unreachable: left for the next run) or the
    row's status when it is not pending."""
    row = db.session.get(PledgeRefund, refund_id)
    if row is None or row.status != REFUND_PENDING:
        return row.status if row is not None else "missing"
    item = row.pledge
    attempt = succeeded_attempt(item)
    try:
        found = next(
            (
                r
                for r in payments.list_refunds(attempt.payment_intent_id)
                if r.metadata.get("tremplin_refund") == row.token
            ),
            None,
        )
        if found is None:
            found = payments.refund(
                attempt.payment_intent_id,
                row.amount_cents,
                key=f"tremplin-refund-{row.token}",
                metadata={"tremplin_pledge": str(item.id), "tremplin_refund": row.token},
                connected=bool(settings_for(item.campaign.project_id).stripe_account_id),
            )
    except payments.ProcessorUnavailable:
        db.session.rollback()
        log.warning("Stripe unavailable for refund %s; left pending", refund_id)
        return "pending"
    except DomainError:
        db.session.rollback()
        _fail(db.session.get(PledgeRefund, refund_id))
        db.session.commit()
        raise
    _complete(row, found)
    db.session.commit()
    return db.session.get(PledgeRefund, refund_id).status


def settle_pending() -> dict[int, str]:
    """Every refund left pending (a run that died, Stripe unreachable): settled now."""
    ids = db.session.scalars(
        select(PledgeRefund.id).where(PledgeRefund.status == REFUND_PENDING)
    ).all()
    outcomes = {}
    for refund_id in ids:
        try:
            outcomes[refund_id] = settle(refund_id)
        except DomainError:
            outcomes[refund_id] = REFUND_FAILED
    return outcomes


def pending_cents(pledge_ids) -> dict[int, int]:
    """{pledge id: cents reserved by refunds not yet confirmed} (for reconciliation)."""
    rows = db.session.execute(
        select(PledgeRefund.pledge_id, func.sum(PledgeRefund.amount_cents))
        .where(PledgeRefund.status == REFUND_PENDING, PledgeRefund.pledge_id.in_(list(pledge_ids)))
        .group_by(PledgeRefund.pledge_id)
    ).all()
    return {pledge_id: int(total) for pledge_id, total in rows}


def record_stripe_refund(info: payments.RefundInfo, now: datetime | None = None) -> str:
    """A refund Stripe tells us about (webhook, reconciliation): recorded once, by its id,
    whether we asked for it (its token completes our pending row) or someone did in the
    Stripe dashboard (then the check of what is refundable and the count are one guarded
    UPDATE, as for ours)."""
    if info.status not in ("succeeded", "pending"):
        return "ignored"
    attempt = None
    if info.payment_intent:
        attempt = db.session.scalar(
            select(PaymentAttempt).where(PaymentAttempt.payment_intent_id == info.payment_intent)
        )
    if attempt is None:
        return "unknown payment"
    if attempt.status != ATTEMPT_SUCCEEDED:
        # Events can arrive out of order: a refund proves its payment succeeded, for the
        # amount we asked. Record the payment first (its fee follows with its own event).
        from tremplin.funding import charging

        charging.apply_intent(
            attempt,
            payments.Intent(
                id=info.payment_intent,
                status=payments.SUCCEEDED,
                amount_cents=attempt.amount_cents,
                amount_received_cents=attempt.amount_cents,
            ),
            now,
        )
    item = attempt.pledge
    ours = db.session.scalar(
        select(PledgeRefund).where(
            (PledgeRefund.stripe_refund_id == info.id)
            | (PledgeRefund.token == (info.metadata.get("tremplin_refund") or "-"))
        )
    )
    if ours is not None and ours.status == REFUND_PENDING:
        return "refund recorded" if _complete(ours, info) else "already recorded"
    if ours is not None:
        return "already recorded" if ours.status == REFUND_DONE else "ignored"
    if bookkeeping.ledger.find(f"refund:{info.id}") is not None:
        return "already recorded"
    try:
        with db.session.begin_nested():
            row = PledgeRefund(
                pledge_id=item.id,
                amount_cents=info.amount_cents,
                stripe_refund_id=info.id,
                reason="Stripe",
                status=REFUND_DONE,
            )
            db.session.add(row)
    except IntegrityError:  # the same event, delivered twice at once: theirs stands
        return "already recorded"
    if not _reserve(item, info.amount_cents):
        row.status = REFUND_FAILED
        db.session.flush()
        return "more than collected"
    bookkeeping.record_refund(
        item,
        info.amount_cents,
        key=f"refund:{info.id}",
        about=ledger.PostingRef(reference=info.id),
        counted=True,
    )
    _after_refund(item)
    db.session.flush()
    return "refund recorded"
