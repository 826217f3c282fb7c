"""Charging saved cards, and applying what Stripe says about a payment.

`collect_pledge` is the charge run for one pledge (used by `flask funding close` and
`retry`, and by the pledge page of a keep-what-you-raise campaign). It manages its own
transactions — a documented exception to "services never commit" — because money moves
outside the database: every step is committed before the next Stripe call, so a run
killed anywhere and started again picks up where it was without charging twice:

1. claim the pledge (conditional update with a lease; a second runner skips it);
2. write the payment attempt with its idempotency key, commit;
3. authorise the card off-session (capture_method=manual): the bank holds the money but
   nothing is taken yet; store the PaymentIntent id, commit;
4. capture that PaymentIntent (Stripe refuses a second capture); record the charge in the
   ledger under the key "charge:<PaymentIntent id>", commit.

A runner killed between 3 and its commit leaves at most an authorisation we never
capture (Stripe also replays the same PaymentIntent for the same idempotency key): the
money is only ever taken for the PaymentIntent our database knows. `apply_intent` is the
one fulfilment function: the charge run, the confirm page's return and the webhooks all
call it; it only moves forward (a late "failed" never undoes a "succeeded").

The crash tests kill a charge run at each of these steps from the outside
(tests/funding/close_runner.py wraps `payments.authorize`, `payments.capture` and the
session's commits): this module carries no fault point.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from tremplin.funding import bookkeeping, ledger, notices, payments, receipts
from tremplin.funding.models import (
    ATTEMPT_AUTHORIZED,
    ATTEMPT_CANCELED,
    ATTEMPT_FAILED,
    ATTEMPT_REQUIRES_ACTION,
    ATTEMPT_STARTED,
    ATTEMPT_SUCCEEDED,
    COLLECTED,
    DECLINED,
    DUE,
    KEEP_WHAT_YOU_RAISE,
    REQUIRES_ACTION,
    STRIPE_MODE,
    SUCCEEDED,
    TO_COLLECT_STATUSES,
    UNPAID,
    Campaign,
    PaymentAttempt,
    Pledge,
    move,
    move_pledge,
    new_token,
)
from tremplin.funding.rules import settings_for
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_RETRY_HOURS = (24, 72, 168)


def retry_schedule() -> tuple[int, ...]:
    value = current_app.config.get("FUNDING_RETRY_HOURS", DEFAULT_RETRY_HOURS)
    if isinstance(value, str):
        value = tuple(int(part) for part in value.split(",") if part.strip())
    return tuple(value)


def lease_seconds() -> int:
    return int(current_app.config.get("FUNDING_CHARGE_LEASE_SECONDS", 900))


def idempotency_key(pledge: Pledge, number: int) -> str:
    return f"tremplin-pledge-{pledge.token}-charge-{number}"


# --- applying what Stripe says --------------------------------------------------------------


def apply_intent(
    attempt: PaymentAttempt, intent: payments.Intent, now: datetime | None = None
) -> str:
    """Bring an attempt (and its pledge) to what `intent` says, forward only. Records the
    charge in the ledger once (keyed by the PaymentIntent id). Flushes, never commits.
    Returns the attempt's status afterwards."""
    now = now or utcnow()
    pledge = attempt.pledge
    if attempt.payment_intent_id is None:
        attempt.payment_intent_id = intent.id
    elif attempt.payment_intent_id != intent.id:
        log.error("intent %s does not belong to attempt %s", intent.id, attempt.id)
        return attempt.status
    if attempt.status == ATTEMPT_SUCCEEDED:
        if intent.fee_cents and attempt.fee_cents is None:
            attempt.fee_cents = intent.fee_cents
            bookkeeping.record_fee(
                pledge, intent.fee_cents, key=f"fee:{intent.id}", reference=intent.id
            )
            db.session.flush()
        return attempt.status
    if intent.status == payments.SUCCEEDED:
        _succeeded(attempt, intent, now)
    elif intent.status == payments.AUTHORIZED:
        if attempt.status in (ATTEMPT_STARTED, ATTEMPT_REQUIRES_ACTION, ATTEMPT_FAILED):
            attempt.status = ATTEMPT_AUTHORIZED
            if pledge.status in (REQUIRES_ACTION, DECLINED):
                pledge.status = DUE
    elif intent.status == payments.REQUIRES_ACTION:
        if move(
            attempt, ATTEMPT_STARTED, status=ATTEMPT_REQUIRES_ACTION, error_code=intent.error_code
        ):
            if move(
                pledge,
                (DUE, DECLINED, UNPAID),
                status=REQUIRES_ACTION,
                reminder_count=0,
                last_reminded_at=now,
            ):
                notices.payment_requires_action(pledge)
    elif intent.status == payments.FAILED:
        if move(
            attempt,
            (ATTEMPT_STARTED, ATTEMPT_REQUIRES_ACTION, ATTEMPT_AUTHORIZED),
            status=ATTEMPT_FAILED,
            error_code=intent.error_code,
            error_message=(intent.error_message or "")[:255] or None,
        ):
            _declined(pledge, intent, now)
    elif intent.status == payments.CANCELED:
        move(
            attempt,
            (ATTEMPT_STARTED, ATTEMPT_REQUIRES_ACTION, ATTEMPT_AUTHORIZED),
            status=ATTEMPT_CANCELED,
        )
    db.session.flush()
    return attempt.status


def _succeeded(attempt: PaymentAttempt, intent: payments.Intent, now: datetime) -> None:
    pledge = attempt.pledge
    amount = intent.amount_received_cents or intent.amount_cents
    other = next(
        (a for a in pledge.attempts if a.id != attempt.id and a.status == ATTEMPT_SUCCEEDED), None
    )
    # The money was taken: it goes in the ledger whatever else is true.
    bookkeeping.record_payment(
        pledge,
        amount,
        key=f"charge:{intent.id}",
        kind="charge",
        about=ledger.PostingRef(reference=intent.id, memo=f"attempt {attempt.number}"),
    )
    if intent.fee_cents:
        bookkeeping.record_fee(
            pledge, intent.fee_cents, key=f"fee:{intent.id}", reference=intent.id
        )
        attempt.fee_cents = intent.fee_cents
    if other is not None:
        # Cannot happen by construction (one captured PaymentIntent per pledge); if it ever
        # does, the ledger shows both and reconciliation reports it for a refund.
        log.error(
            "pledge %s charged twice (%s and %s)", pledge.id, other.payment_intent_id, intent.id
        )
        attempt.status, attempt.error_code = ATTEMPT_CANCELED, "duplicate_charge"
        return
    attempt.status, attempt.succeeded_at = ATTEMPT_SUCCEEDED, now
    attempt.error_code = attempt.error_message = None
    pledge.next_retry_at = None
    if pledge.collected_cents >= pledge.amount_cents and move_pledge(
        pledge,
        (DUE, REQUIRES_ACTION, DECLINED, UNPAID),
        status=COLLECTED,
        collected_at=now,
        next_retry_at=None,
    ):
        receipts.issue_for(pledge, now)
        notices.pledge_collected(pledge)


def _declined(pledge: Pledge, intent: payments.Intent, now: datetime) -> None:
    if pledge.status not in TO_COLLECT_STATUSES:
        return
    failures = pledge.failure_count + 1
    error = (intent.error_code or intent.error_message or "declined")[:255]
    schedule = retry_schedule()
    if failures <= len(schedule):
        if move(
            pledge,
            TO_COLLECT_STATUSES,
            status=DECLINED,
            failure_count=failures,
            last_error=error,
            next_retry_at=now + timedelta(hours=schedule[failures - 1]),
        ):
            notices.payment_declined(pledge, final=False)
    elif move(
        pledge,
        TO_COLLECT_STATUSES,
        status=UNPAID,
        failure_count=failures,
        last_error=error,
        next_retry_at=None,
    ):
        notices.payment_declined(pledge, final=True)


def sync_attempt(attempt: PaymentAttempt, now: datetime | None = None) -> str:
    """Read the attempt's PaymentIntent from Stripe and apply it; an authorisation the backer
    has just confirmed (3-D Secure) is captured here. Used by the confirm page's return,
    webhooks and the retry job. Safe to repeat: Stripe captures a PaymentIntent once.
    Flushes, never commits."""
    if attempt.payment_intent_id is None or attempt.status in (ATTEMPT_SUCCEEDED, ATTEMPT_CANCELED):
        return attempt.status
    intent = payments.retrieve_payment_intent(attempt.payment_intent_id)
    status = apply_intent(attempt, intent, now)
    if status == ATTEMPT_AUTHORIZED:
        intent = payments.capture(
            attempt.payment_intent_id, key=attempt.idempotency_key + "-capture"
        )
        status = apply_intent(attempt, intent, now)
    return status


# --- the charge run ---------------------------------------------------------------------------


@dataclass
class RunReport:
    charged: list[int] = field(default_factory=list)
    requires_action: list[int] = field(default_factory=list)
    declined: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def add(self, pledge_id: int, outcome: str) -> None:
        {
            "succeeded": self.charged,
            "requires_action": self.requires_action,
            "failed": self.declined,
        }.get(outcome, self.skipped).append(pledge_id)


def _claim(pledge_id: int, now: datetime) -> str | None:
    token = new_token()
    claimed = db.session.execute(
        update(Pledge)
        .where(
            Pledge.id == pledge_id,
            Pledge.status.in_((DUE, DECLINED)),
            or_(Pledge.claimed_until.is_(None), Pledge.claimed_until < now),
        )
        .values(claim_token=token, claimed_until=now + timedelta(seconds=lease_seconds()))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return token if claimed else None


def _release(pledge_id: int, token: str) -> None:
    db.session.rollback()  # every step worth keeping is committed already
    db.session.execute(
        update(Pledge)
        .where(Pledge.id == pledge_id, Pledge.claim_token == token)
        .values(claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _next_attempt(pledge: Pledge, now: datetime) -> PaymentAttempt | None:
    """The attempt to carry on with, or a new one. None when there is nothing to do."""
    latest = pledge.latest_attempt
    if latest is not None and latest.status == ATTEMPT_SUCCEEDED:
        return None
    if latest is not None and latest.status in (ATTEMPT_STARTED, ATTEMPT_AUTHORIZED):
        return latest  # a run died mid-way: finish it
    if latest is not None and latest.status == ATTEMPT_REQUIRES_ACTION:
        return None  # waiting for the backer to confirm
    if pledge.status == DECLINED and pledge.next_retry_at and pledge.next_retry_at > now:
        return None
    number = (latest.number if latest else 0) + 1
    attempt = PaymentAttempt(
        pledge=pledge,
        number=number,
        idempotency_key=idempotency_key(pledge, number),
        amount_cents=pledge.amount_cents - pledge.collected_cents,
    )
    db.session.add(attempt)
    db.session.commit()
    return attempt


def collect_pledge(pledge_id: int, now: datetime | None = None) -> str:
    """Charge one due (or declined, retry due) Stripe pledge. Commits. Returns the outcome:
    "succeeded", "requires_action", "failed", "skipped" (claimed elsewhere, not due)."""
    now = now or utcnow()
    token = _claim(pledge_id, now)
    if token is None:
        return "skipped"
    try:
        pledge = db.session.get(Pledge, pledge_id)
        if pledge.mode != STRIPE_MODE or not pledge.payment_method_id:
            return "skipped"
        attempt = _next_attempt(pledge, now)
        if attempt is None:
            return "skipped"
        if attempt.payment_intent_id is None:
            customer = _customer_of(pledge)
            destination = settings_for(pledge.campaign.project_id).stripe_account_id
            intent = payments.authorize(
                amount_cents=attempt.amount_cents,
                payment=payments.PaymentRef(
                    customer=customer,
                    payment_method=pledge.payment_method_id,
                    destination=destination,
                    application_fee_cents=_platform_fee(attempt.amount_cents, destination),
                ),
                key=attempt.idempotency_key,
                metadata={
                    "tremplin_pledge": str(pledge.id),
                    "tremplin_attempt": attempt.idempotency_key,
                    "tremplin_campaign": str(pledge.campaign_id),
                },
            )
            apply_intent(attempt, intent, now)
            db.session.commit()
        elif attempt.status != ATTEMPT_AUTHORIZED:
            apply_intent(attempt, payments.retrieve_payment_intent(attempt.payment_intent_id), now)
            db.session.commit()
        if attempt.status == ATTEMPT_AUTHORIZED:
            intent = payments.capture(
                attempt.payment_intent_id, key=attempt.idempotency_key + "-capture"
            )
            apply_intent(attempt, intent, now)
            db.session.commit()
        return attempt.status
    except payments.ProcessorUnavailable:
        db.session.rollback()
        log.warning("Stripe unavailable while charging pledge %s; left for the next run", pledge_id)
        return "error"
    finally:
        _release(pledge_id, token)


def _customer_of(pledge: Pledge) -> str:
    from tremplin.funding.models import StripeCustomer

    customer = db.session.get(StripeCustomer, pledge.backer_id) if pledge.backer_id else None
    if customer is None:
        raise payments.ProcessorUnavailable()
    return customer.customer_id


def _platform_fee(amount_cents: int, destination: str | None) -> int | None:
    if not destination:
        return None
    basis_points = int(current_app.config.get("FUNDING_PLATFORM_FEE_BPS", 0))
    return amount_cents * basis_points // 10_000 or None


def collect_due(now: datetime | None = None, *, campaign_id: int | None = None) -> RunReport:
    """Charge every due pledge of succeeded Stripe campaigns (and of keep-what-you-raise
    campaigns, open or not), and every declined pledge whose retry is due. Safe to run
    twice or concurrently (each pledge is claimed first)."""
    now = now or utcnow()
    report = RunReport()
    stmt = (
        select(Pledge.id)
        .join(Campaign, Campaign.id == Pledge.campaign_id)
        .where(
            Pledge.mode == STRIPE_MODE,
            or_(Campaign.outcome == SUCCEEDED, Campaign.rule == KEEP_WHAT_YOU_RAISE),
            or_(Pledge.status == DUE, (Pledge.status == DECLINED) & (Pledge.next_retry_at <= now)),
        )
        .order_by(Pledge.id)
    )
    if campaign_id is not None:
        stmt = stmt.where(Pledge.campaign_id == campaign_id)
    ids = list(db.session.scalars(stmt))
    db.session.commit()
    for pledge_id in ids:
        outcome = collect_pledge(pledge_id, now)
        if outcome == "error":
            report.errors.append((pledge_id, "processor unavailable"))
        else:
            report.add(pledge_id, outcome)
    return report


def sync_waiting(now: datetime | None = None) -> int:
    """Attempts waiting on the backer (3-D Secure) or left authorised: ask Stripe where they
    are (a backer may have confirmed and closed the page), capture what is authorised."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(PaymentAttempt.id).where(
                PaymentAttempt.status.in_((ATTEMPT_REQUIRES_ACTION, ATTEMPT_AUTHORIZED)),
                PaymentAttempt.payment_intent_id.is_not(None),
            )
        )
    )
    db.session.commit()
    moved = 0
    for attempt_id in ids:
        attempt = db.session.get(PaymentAttempt, attempt_id)
        before = attempt.status
        try:
            after = sync_attempt(attempt, now)
            db.session.commit()
        except payments.ProcessorUnavailable:
            db.session.rollback()
            continue
        moved += before != after
    return moved
