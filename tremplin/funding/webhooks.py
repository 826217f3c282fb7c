"""Stripe webhooks at /funding/stripe/webhook.

The signature is checked first (HMAC with the endpoint secret, timestamp at most 300 s old):
a forged or stale call is refused with 400 and writes nothing. Each event id is stored
under a unique constraint together with the effects of processing it, in one transaction:
a duplicate delivery finds the id and does nothing; a failure rolls both back and Stripe
delivers again. Processing goes through the same fulfilment functions as the charge run
and the return pages, and only moves states forward, so events arriving out of order are
harmless.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tremplin.funding import bp, charging, payments, refunds
from tremplin.funding import pledges as pledge_services
from tremplin.funding.models import PaymentAttempt, Pledge, StripeEvent
from tremplin.platform.extensions import csrf, db, limiter
from tremplin.platform.types import utcnow

log = logging.getLogger(__name__)


def _object(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data") or {}
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def _attempt_for(intent: payments.Intent) -> PaymentAttempt | None:
    attempt = db.session.scalar(
        select(PaymentAttempt).where(PaymentAttempt.payment_intent_id == intent.id)
    )
    if attempt is None and intent.metadata.get("tremplin_attempt"):
        # A PaymentIntent our database never stored (a charge run died right after asking
        # Stripe): only the attempt that still waits for its PaymentIntent may adopt it.
        candidate = db.session.scalar(
            select(PaymentAttempt).where(
                PaymentAttempt.idempotency_key == intent.metadata["tremplin_attempt"]
            )
        )
        if candidate is not None and candidate.payment_intent_id is None:
            attempt = candidate
    return attempt


def _payment_intent(event: dict, now: datetime) -> str:
    intent = payments.intent_from(_object(event))
    attempt = _attempt_for(intent)
    if attempt is None:
        return "ignored: unknown payment"
    if intent.status == payments.AUTHORIZED and attempt.status != "requires_capture":
        # confirmed by the backer (3-D Secure) who may never come back to our page
        return (
            f"synced: {charging.sync_attempt(attempt, now)}"
            if attempt.payment_intent_id
            else f"applied: {charging.apply_intent(attempt, intent, now)}"
        )
    return f"applied: {charging.apply_intent(attempt, intent, now)}"


def _setup_intent(event: dict, now: datetime) -> str:
    setup = payments.setup_from(_object(event))
    pledge = db.session.scalar(select(Pledge).where(Pledge.setup_intent_id == setup.id))
    if pledge is None:
        return "ignored: unknown setup"
    return f"setup: {pledge_services.fulfil_setup(pledge, setup, now)}"


def _refund(event: dict, now: datetime) -> str:
    return refunds.record_stripe_refund(payments.refund_from(_object(event)), now)


def _charge_refunded(event: dict, now: datetime) -> str:
    charge = _object(event)
    intent_id = charge.get("payment_intent")
    if not intent_id:
        return "ignored: no payment intent"
    refunds = (charge.get("refunds") or {}).get("data")
    if refunds is None:  # recent API versions leave refunds out of the charge
        infos = payments.list_refunds(intent_id)
    else:
        infos = [
            payments.refund_from({**r, "payment_intent": r.get("payment_intent") or intent_id})
            for r in refunds
        ]
    outcomes = [refunds.record_stripe_refund(info, now) for info in infos]
    return "refunds: " + ", ".join(outcomes) if outcomes else "refunds: none"


HANDLERS = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "payment_intent.requires_action": _payment_intent,
    "payment_intent.amount_capturable_updated": _payment_intent,
    "payment_intent.canceled": _payment_intent,
    "setup_intent.succeeded": _setup_intent,
    "setup_intent.setup_failed": _setup_intent,
    "refund.created": _refund,
    "refund.updated": _refund,
    "charge.refund.updated": _refund,
    "charge.refunded": _charge_refunded,
}


def register_handler(event_type: str, handler) -> None:
    """Let another module process a Stripe event type funding does not know (investor
    clubs: `invoice.paid` of savings subscriptions). `handler(event, now) -> outcome str`
    runs inside the same once-only transaction as funding's own handlers."""
    existing = HANDLERS.get(event_type)
    if existing is not None and existing is not handler:
        raise ValueError(f"a handler for {event_type} is already registered")
    HANDLERS[event_type] = handler


def handle_event(event: dict[str, Any], now: datetime | None = None) -> str:
    """Store and process one verified event, once. Flushes; the caller commits."""
    now = now or utcnow()
    created = event.get("created")
    row = StripeEvent(
        event_id=event["id"],
        type=str(event.get("type"))[:80],
        object_id=str(_object(event).get("id") or "")[:64] or None,
        stripe_created_at=datetime.fromtimestamp(created, UTC)
        if isinstance(created, int)
        else None,
        received_at=now,
        payload=event,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return "duplicate"
    handler = HANDLERS.get(row.type)
    outcome = handler(event, now) if handler else "ignored: type"
    row.processed_at, row.outcome = utcnow(), outcome[:255]
    db.session.flush()
    return outcome


@bp.route("/funding/stripe/webhook", methods=["POST"])
@csrf.exempt
@limiter.exempt
def stripe_webhook():
    try:
        event = payments.verify_webhook(
            request.get_data(cache=False), request.headers.get("Stripe-Signature")
        )
    except payments.InvalidWebhook as exc:
        log.warning("refused webhook: %s", exc)
        return jsonify(error="invalid signature"), 400
    try:
        outcome = handle_event(event)
    except payments.ProcessorUnavailable:
        db.session.rollback()
        return jsonify(error="processor unavailable, retry later"), 503
    return jsonify(received=True, outcome=outcome), 200
