"""Property-based tests (hypothesis) of the money: random sequences of pledges, changes,
cancellations, the deadline, charges (answered directly or by webhook), declines, 3-D
Secure, refunds, and webhook events delivered late, twice or out of order.

A small model plays Stripe: it knows which PaymentIntents succeeded and which refunds were
made, and only ever emits events Stripe could emit. Whatever the sequence:
- every ledger movement sums to zero (and so does the whole ledger);
- each pledge's cached amounts equal its ledger entries;
- once every event has arrived, the campaign's balance is exactly what Stripe collected
  minus what it refunded (minus its fees), pledge by pledge;
- no pledge is ever charged twice (at "Stripe" or in the ledger).
Webhooks go through the real endpoint, signed; Stripe's address points nowhere, so these
flows provably need no call to Stripe.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.funding.conftest import event, intent_object, post_event
from tremplin.funding import bookkeeping, campaigns, charging, ledger, payments, reconcile, refunds
from tremplin.funding import pledges as pledge_services
from tremplin.funding.models import DECLINED, DUE, LedgerTransaction, Pledge
from tremplin.platform.errors import DomainError
from tremplin.platform.types import utcnow

_ids = itertools.count(1)
FAR = utcnow() + timedelta(days=3650)

SLOT = st.integers(min_value=0, max_value=5)
AMOUNT = st.integers(min_value=100, max_value=20_000)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("pledge"), st.integers(0, 3), AMOUNT),
        st.tuples(st.just("change"), SLOT, AMOUNT),
        st.tuples(st.just("cancel"), SLOT),
        st.tuples(st.just("end")),
        st.tuples(st.just("charge"), SLOT),
        st.tuples(
            st.just("outcome"),
            SLOT,
            st.sampled_from(["succeeded", "failed", "requires_action"]),
            st.sampled_from([0, 0, 25, 150]),
            st.booleans(),
        ),
        st.tuples(st.just("refund"), SLOT, st.integers(1, 20_000)),
        st.tuples(st.just("deliver"), st.integers(0, 50)),
        st.tuples(st.just("redeliver"), st.integers(0, 50)),
    ),
    min_size=5,
    max_size=40,
)


class StripeModel:
    """What Stripe knows: PaymentIntents with their status, refunds, and the events it owes us."""

    def __init__(self):
        self.intents: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.pending: list[dict] = []
        self.sent: list[dict] = []

    def succeeded_for(self, pledge_id: int) -> list[dict]:
        return [
            i
            for i in self.intents.values()
            if i["pledge"] == pledge_id and i["status"] == "succeeded"
        ]

    def refunded_for(self, pledge_id: int) -> int:
        return sum(r["amount"] for r in self.refunds if r["pledge"] == pledge_id)


def check_books(db, campaign_id: int) -> None:
    db.session.expire_all()
    assert ledger.unbalanced_transactions() == []
    assert ledger.total_of_all_entries() == 0
    assert reconcile.check_pledges() == []
    charges = db.session.execute(
        select(LedgerTransaction.subject, func.count())
        .where(LedgerTransaction.kind == "charge")
        .group_by(LedgerTransaction.subject)
    ).all()
    assert all(count == 1 for _subject, count in charges), charges


@pytest.mark.offline_stripe
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_the_books_always_balance_and_nobody_pays_twice(
    client, db, make_campaign, make_member, operations
):
    campaign = make_campaign(goal=30_000)
    assert campaign.mode == "stripe"
    backers = [make_member() for _ in range(4)]
    slots: list[Pledge] = []
    stripe = StripeModel()

    def deliver(payload):
        response = post_event(client, payload)
        assert response.status_code == 200, response.text
        stripe.sent.append(payload)

    for operation in operations:
        kind = operation[0]
        try:
            if kind == "pledge":
                pledge = pledge_services.pledge(
                    campaign, backers[operation[1]], amount_cents=operation[2]
                )
                pledge.setup_intent_id = f"seti_{next(_ids)}"
                pledge_services.fulfil_setup(
                    pledge,
                    payments.Setup(
                        id=pledge.setup_intent_id, status="succeeded", payment_method="pm_test"
                    ),
                )
                db.session.commit()
                slots.append(pledge)
            elif kind == "change" and slots:
                pledge = slots[operation[1] % len(slots)]
                pledge_services.change_pledge(pledge, pledge.backer, amount_cents=operation[2])
                db.session.commit()
            elif kind == "cancel" and slots:
                pledge = slots[operation[1] % len(slots)]
                pledge_services.cancel_pledge(pledge, pledge.backer)
                db.session.commit()
            elif kind == "end" and campaign.status == "open":
                campaign.deadline_at = utcnow() - timedelta(seconds=1)
                db.session.commit()
                campaigns.decide(campaign.id)
                db.session.commit()
            elif kind == "charge" and slots:
                pledge = slots[operation[1] % len(slots)]
                db.session.refresh(pledge)
                if pledge.status in (DUE, DECLINED):
                    attempt = charging._next_attempt(pledge, FAR)  # the charge run's own rule
                    if attempt is not None and attempt.payment_intent_id is None:
                        intent_id = f"pi_{next(_ids)}"
                        attempt.payment_intent_id = intent_id
                        db.session.commit()
                        stripe.intents[intent_id] = {
                            "pledge": pledge.id,
                            "attempt": attempt.id,
                            "amount": attempt.amount_cents,
                            "status": "started",
                            "fee": 0,
                        }
            elif kind == "outcome" and slots:
                pledge = slots[operation[1] % len(slots)]
                open_intents = [
                    (k, v)
                    for k, v in stripe.intents.items()
                    if v["pledge"] == pledge.id and v["status"] in ("started", "requires_action")
                ]
                if open_intents:
                    intent_id, intent = open_intents[-1]
                    status, fee, answered_directly = operation[2], operation[3], operation[4]
                    if status == "requires_action" and intent["status"] == "requires_action":
                        continue
                    intent["status"], intent["fee"] = status, fee if status == "succeeded" else 0
                    stripe_status = "requires_payment_method" if status == "failed" else status
                    obj = intent_object(
                        intent_id,
                        stripe_status,
                        intent["amount"],
                        pledge_id=pledge.id,
                        fee=intent["fee"],
                    )
                    name = {
                        "succeeded": "payment_intent.succeeded",
                        "failed": "payment_intent.payment_failed",
                        "requires_action": "payment_intent.requires_action",
                    }[status]
                    stripe.pending.append(event(name, obj))
                    if answered_directly:  # the charge run read Stripe's answer itself
                        from tremplin.funding.models import PaymentAttempt

                        attempt = db.session.get(PaymentAttempt, intent["attempt"])
                        charging.apply_intent(attempt, payments.intent_from(obj))
                        db.session.commit()
            elif kind == "refund" and slots:
                pledge = slots[operation[1] % len(slots)]
                paid = stripe.succeeded_for(pledge.id)
                if paid:
                    left = paid[0]["amount"] - stripe.refunded_for(pledge.id)
                    amount = min(operation[2], left)
                    if amount > 0:
                        refund = {
                            "id": f"re_{next(_ids)}",
                            "object": "refund",
                            "amount": amount,
                            "status": "succeeded",
                            "payment_intent": paid[0]
                            and next(k for k, v in stripe.intents.items() if v is paid[0]),
                            "charge": None,
                            "metadata": {},
                        }
                        stripe.refunds.append({"pledge": pledge.id, "amount": amount})
                        stripe.pending.append(event("refund.created", refund))
            elif kind == "deliver" and stripe.pending:
                deliver(stripe.pending.pop(operation[1] % len(stripe.pending)))
            elif kind == "redeliver" and stripe.sent:
                old = stripe.sent[operation[1] % len(stripe.sent)]
                response = post_event(client, old)  # same id: a duplicate, possibly out of order
                assert response.status_code == 200 and response.json["outcome"] == "duplicate"
        except DomainError:
            db.session.rollback()
        check_books(db, campaign.id)

    while stripe.pending:  # Stripe keeps trying until every event got through
        deliver(stripe.pending.pop(0))
    check_books(db, campaign.id)

    # pledge by pledge, our books say what Stripe says
    expected_total = 0
    for pledge in slots:
        db.session.refresh(pledge)
        paid = stripe.succeeded_for(pledge.id)
        assert len(paid) <= 1, "a pledge was charged twice"
        collected = sum(i["amount"] for i in paid)
        refunded = stripe.refunded_for(pledge.id)
        assert (pledge.collected_cents, pledge.refunded_cents) == (collected, refunded)
        expected_total += collected - refunded - sum(i["fee"] for i in paid)
    assert bookkeeping.campaign_balance(campaign.id) == expected_total
    backer_total = sum(
        ledger.balance(ledger.ref("backer", b.id), scope=f"campaign:{campaign.id}") for b in backers
    )
    fees = ledger.balance(bookkeeping.campaign_account(campaign.id), kinds=["fee"])
    assert backer_total == -(expected_total - fees)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["transfer", "refund"]), st.integers(0, 2), st.integers(-50, 9_000)
        ),
        max_size=25,
    ),
    amounts=st.lists(st.integers(100, 8_000), min_size=1, max_size=3),
)
def test_promise_books_follow_transfers_and_refunds(db, make_campaign, make_member, steps, amounts):
    """Promise mode: whatever the treasurer records (including wrong amounts, refused with no
    write), each pledge has received its transfers minus its refunds, never more than
    promised, and the campaign holds the sum."""
    campaign = make_campaign(goal=sum(amounts))
    assert campaign.mode == "promise"
    treasurer = campaign.project.owner
    pledges = [pledge_services.pledge(campaign, make_member(), amount_cents=a) for a in amounts]
    db.session.commit()
    campaign.deadline_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    campaigns.decide(campaign.id)
    db.session.commit()
    received: Counter = Counter()
    returned: Counter = Counter()
    for action, index, amount in steps:
        pledge = pledges[index % len(pledges)]
        db.session.refresh(pledge)
        try:
            if action == "transfer":
                pledge_services.record_transfer(
                    pledge, treasurer, amount_cents=amount, received_on=date.today()
                )
                received[pledge.id] += amount
            else:
                refunds.refund(pledge, treasurer, amount_cents=amount)
                returned[pledge.id] += amount
            db.session.commit()
        except DomainError:
            db.session.rollback()
        check_books(db, campaign.id)
    for pledge in pledges:
        db.session.refresh(pledge)
        assert pledge.collected_cents == received[pledge.id] <= pledge.amount_cents
        assert pledge.refunded_cents == returned[pledge.id] <= pledge.collected_cents
    assert bookkeeping.campaign_balance(campaign.id) == sum(received.values()) - sum(
        returned.values()
    )
    by_backer = defaultdict(int)
    for pledge in pledges:
        by_backer[pledge.backer_id] += ledger.balance(bookkeeping.backer_account(pledge))
    assert sum(by_backer.values()) == -bookkeeping.campaign_balance(campaign.id)
