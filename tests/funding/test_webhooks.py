"""The Stripe webhook: signature and age checked before anything is written; each event
processed once; duplicates and out-of-order deliveries harmless. Stripe itself is never
called here (its address points nowhere)."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from tests.funding.conftest import event, intent_object, post_event, sign
from tremplin.funding import bookkeeping, campaigns, charging, ledger, payments
from tremplin.funding import pledges as pledge_services
from tremplin.funding.models import PaymentAttempt, Pledge, StripeEvent
from tremplin.platform.models import OutboxEmail

pytestmark = pytest.mark.offline_stripe


@pytest.fixture
def due_pledge(app, db, make_campaign, make_member, end_campaign):
    """A Stripe pledge of 40 € on a succeeded campaign, with its first charge attempt
    waiting for Stripe's answer (PaymentIntent pi_test_1)."""

    def make(amount: int = 4_000, intent_id: str = "pi_test_1"):
        campaign = make_campaign(goal=amount)
        assert campaign.mode == "stripe"
        backer = make_member(email=f"{intent_id}@exemple.fr")
        pledge = pledge_services.pledge(campaign, backer, amount_cents=amount)
        pledge.setup_intent_id = f"seti_{intent_id}"
        pledge_services.fulfil_setup(
            pledge,
            payments.Setup(id=pledge.setup_intent_id, status="succeeded", payment_method="pm_test"),
        )
        db.session.commit()
        end_campaign(campaign)
        campaigns.decide(campaign.id)
        db.session.refresh(pledge)
        assert pledge.status == "due"
        db.session.add(
            PaymentAttempt(
                pledge=pledge,
                number=1,
                idempotency_key=f"key-{intent_id}",
                payment_intent_id=intent_id,
                amount_cents=amount,
            )
        )
        db.session.commit()
        return pledge

    return make


def events_stored(db) -> int:
    return db.session.scalar(select(func.count(StripeEvent.id)))


def test_forged_signature_is_refused_and_writes_nothing(client, db, due_pledge):
    pledge = due_pledge()
    payload = event("payment_intent.succeeded", intent_object("pi_test_1", "succeeded", 4_000))
    response = post_event(client, payload, secret="whsec_someone_else")
    assert response.status_code == 400
    assert events_stored(db) == 0
    db.session.refresh(pledge)
    assert pledge.status == "due" and ledger.total_of_all_entries() == 0


def test_missing_signature_or_tampered_body_is_refused(client, db, due_pledge):
    due_pledge()
    body = json.dumps(
        event("payment_intent.succeeded", intent_object("pi_test_1", "succeeded", 4_000))
    ).encode()
    assert client.post("/funding/stripe/webhook", data=body, csrf=False).status_code == 400
    header = sign(body)
    tampered = body.replace(b"4000", b"9000")
    response = client.post(
        "/funding/stripe/webhook", data=tampered, csrf=False, headers={"Stripe-Signature": header}
    )
    assert response.status_code == 400
    assert events_stored(db) == 0


def test_stale_webhook_over_300_seconds_is_refused(client, db, due_pledge):
    due_pledge()
    payload = event("payment_intent.succeeded", intent_object("pi_test_1", "succeeded", 4_000))
    assert post_event(client, payload, timestamp=int(time.time()) - 301).status_code == 400
    assert events_stored(db) == 0
    assert post_event(client, payload, timestamp=int(time.time()) - 290).status_code == 200


def test_webhook_without_a_configured_secret_is_refused(client, db, app, due_pledge):
    due_pledge()
    app.config["STRIPE_WEBHOOK_SECRET"] = None
    payload = event("payment_intent.succeeded", intent_object("pi_test_1", "succeeded", 4_000))
    assert post_event(client, payload).status_code == 400
    assert events_stored(db) == 0


def test_success_is_recorded_once_whatever_the_redeliveries(client, db, due_pledge):
    pledge = due_pledge()
    payload = event(
        "payment_intent.succeeded",
        intent_object("pi_test_1", "succeeded", 4_000, pledge_id=pledge.id, fee=160),
    )
    first = post_event(client, payload)
    assert first.status_code == 200 and first.json["outcome"] == "applied: succeeded"
    again = post_event(client, payload)
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    # the same fact under another event id (Stripe may send several): still once
    other = event("payment_intent.succeeded", payload["data"]["object"])
    assert post_event(client, other).json["outcome"] == "applied: succeeded"
    db.session.refresh(pledge)
    assert (pledge.status, pledge.collected_cents) == ("collected", 4_000)
    # the processor's fee is its own movement: the campaign keeps 40 € − 1,60 €
    assert bookkeeping.campaign_balance(pledge.campaign_id) == 3_840
    assert ledger.balance(bookkeeping.fees_account()) == 160
    assert ledger.unbalanced_transactions() == []
    assert events_stored(db) == 2
    receipts_mails = db.session.scalar(
        select(func.count(OutboxEmail.id)).where(OutboxEmail.subject.contains("est reçu"))
    )
    assert receipts_mails == 1


def test_late_failure_or_action_after_success_is_ignored(client, db, due_pledge):
    pledge = due_pledge()
    post_event(
        client, event("payment_intent.succeeded", intent_object("pi_test_1", "succeeded", 4_000))
    )
    mails = db.session.scalar(select(func.count(OutboxEmail.id)))
    post_event(
        client,
        event(
            "payment_intent.payment_failed",
            intent_object("pi_test_1", "requires_payment_method", 4_000),
        ),
    )
    post_event(
        client,
        event(
            "payment_intent.requires_action", intent_object("pi_test_1", "requires_action", 4_000)
        ),
    )
    db.session.refresh(pledge)
    assert (pledge.status, pledge.failure_count, pledge.collected_cents) == ("collected", 0, 4_000)
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == mails


def test_confirmation_after_a_failure_still_counts(client, db, due_pledge):
    """Off-session, the bank asked for 3-D Secure (reported as a failed attempt with
    "authentication_required"); the backer then confirmed: the success wins."""
    pledge = due_pledge()
    post_event(
        client,
        event(
            "payment_intent.payment_failed",
            intent_object(
                "pi_test_1", "requires_payment_method", 4_000, error_code="authentication_required"
            ),
        ),
    )
    db.session.refresh(pledge)
    assert pledge.status == "requires_action"
    post_event(
        client, event("payment_intent.succeeded", intent_object("pi_test_1", "succeeded", 4_000))
    )
    db.session.refresh(pledge)
    assert pledge.status == "collected"


def test_decline_schedules_a_retry_once(client, db, due_pledge):
    pledge = due_pledge()
    failed = event(
        "payment_intent.payment_failed",
        intent_object("pi_test_1", "requires_payment_method", 4_000),
    )
    post_event(client, failed)
    post_event(client, event("payment_intent.payment_failed", failed["data"]["object"]))
    db.session.refresh(pledge)
    assert (pledge.status, pledge.failure_count) == ("declined", 1)
    assert pledge.next_retry_at is not None


def test_refund_arriving_before_its_payment_is_recorded_in_order(client, db, due_pledge):
    pledge = due_pledge()
    refund = {
        "id": "re_test_1",
        "object": "refund",
        "amount": 1_000,
        "status": "succeeded",
        "payment_intent": "pi_test_1",
        "charge": "ch_pi_test_1",
        "metadata": {},
    }
    assert post_event(client, event("refund.created", refund)).json["outcome"] == "refund recorded"
    post_event(
        client, event("payment_intent.succeeded", intent_object("pi_test_1", "succeeded", 4_000))
    )
    post_event(client, event("refund.updated", refund))
    db.session.refresh(pledge)
    assert (pledge.collected_cents, pledge.refunded_cents) == (4_000, 1_000)
    assert bookkeeping.campaign_balance(pledge.campaign_id) == 3_000
    assert ledger.unbalanced_transactions() == []


def test_unknown_payment_or_event_type_is_acknowledged_and_ignored(client, db, due_pledge):
    due_pledge()
    response = post_event(
        client, event("payment_intent.succeeded", intent_object("pi_other", "succeeded", 99))
    )
    assert response.status_code == 200 and response.json["outcome"] == "ignored: unknown payment"
    response = post_event(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.json["outcome"] == "ignored: type"
    assert ledger.total_of_all_entries() == 0


def test_card_saved_by_webhook_when_the_backer_never_comes_back(
    client, db, make_campaign, make_member
):
    campaign = make_campaign()
    pledge = pledge_services.pledge(campaign, make_member(), amount_cents=2_500)
    pledge.setup_intent_id = "seti_lost_tab"
    db.session.commit()
    payload = event(
        "setup_intent.succeeded",
        {
            "id": "seti_lost_tab",
            "object": "setup_intent",
            "status": "succeeded",
            "payment_method": "pm_saved",
        },
    )
    assert post_event(client, payload).json["outcome"] == "setup: saved"
    db.session.refresh(pledge)
    assert (pledge.status, pledge.payment_method_id) == ("active", "pm_saved")


def test_webhook_is_exempt_from_csrf_but_other_posts_are_not(client, db, due_pledge, make_campaign):
    pledge = due_pledge()
    response = client.post(f"/collectes/promesses/{pledge.id}/annuler", csrf=False)
    assert response.status_code == 400  # CSRF
    payload = event("payment_intent.succeeded", intent_object("pi_test_1", "succeeded", 4_000))
    assert post_event(client, payload).status_code == 200


def test_apply_intent_is_forward_only(db, due_pledge):
    pledge = due_pledge()
    attempt = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.pledge_id == pledge.id))
    success = payments.Intent(
        id="pi_test_1", status=payments.SUCCEEDED, amount_cents=4_000, amount_received_cents=4_000
    )
    assert charging.apply_intent(attempt, success) == "succeeded"
    for late in (payments.FAILED, payments.REQUIRES_ACTION, payments.AUTHORIZED, payments.CANCELED):
        assert (
            charging.apply_intent(
                attempt, payments.Intent(id="pi_test_1", status=late, amount_cents=4_000)
            )
            == "succeeded"
        )
    assert charging.apply_intent(attempt, success) == "succeeded"
    db.session.refresh(pledge)
    assert pledge.collected_cents == 4_000
    assert db.session.get(Pledge, pledge.id).status == "collected"


def test_other_modules_can_handle_their_own_event_types(client, db, due_pledge):
    from tremplin.funding import register_stripe_handler

    seen = []

    def handler(payload, now):
        seen.append(payload["id"])
        return "handled elsewhere"

    register_stripe_handler("tremplin_test.something", handler)
    payload = event("tremplin_test.something", {"id": "x_1"})
    assert post_event(client, payload).json["outcome"] == "handled elsewhere"
    assert post_event(client, payload).json["outcome"] == "duplicate"
    assert seen == [payload["id"]]
