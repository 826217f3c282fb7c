"""Hypothesis drives *concurrent* money: each example is a batch of transfers received,
refunds, cancellations, card webhooks and club savings fired at once from threads, each
with its own session (its own connection and transaction), as two treasurers, a double tap
and Stripe's retried deliveries would. Card webhooks are `payment_intent.succeeded` events
for a card pledge's authorised payment, delivered with the same event id (a redelivery) or
another one (another event type for the same payment). Whatever the interleaving: no
promise receives more than promised, a card payment is booked once, no refund exceeds what
was collected, a club month is paid once, every entry group sums to zero and the cached
totals agree with the ledger (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.funding.conftest import intent_object
from tremplin.funding import ledger, pledges, reconcile, refunds, webhooks
from tremplin.funding.clubs import fund, savings
from tremplin.funding.clubs.models import ClubMembership, InvestorClub, SavingsPayment
from tremplin.funding.models import DUE, STRIPE_MODE, LedgerEntry, PaymentAttempt, Pledge
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db as _db
from tremplin.platform.models import User

ACTIONS = st.tuples(
    st.sampled_from(["transfer", "refund", "cancel", "saving", "webhook"]),
    st.integers(0, 3),
    st.integers(1, 6_000),
)


def _run(app, action: str, target: int, cents: int, ids: dict, crashes: list) -> None:
    with app.test_request_context():
        try:
            if action == "webhook":
                # two event ids for the one payment: redeliveries and another event type
                card = ids["card"]
                event = {
                    "id": f"evt_prop_{card['pledge']}_{target % 2}",
                    "object": "event",
                    "type": "payment_intent.succeeded",
                    "data": {
                        "object": intent_object(
                            card["intent"], "succeeded", card["amount"], pledge_id=card["pledge"]
                        )
                    },
                }
                webhooks.handle_event(event)
            elif action == "saving":
                club = _db.session.get(InvestorClub, ids["club"])
                membership = _db.session.get(ClubMembership, ids["memberships"][target % 3])
                savings.record_payment(
                    club,
                    _db.session.get(User, ids["gerant"]),
                    membership,
                    savings.SavingFields(
                        amount_cents=min(cents, club.max_saving_cents), for_month=date.today()
                    ),
                )
            else:
                pledge = _db.session.get(Pledge, ids["pledges"][target])  # 3: the card one
                by = _db.session.get(User, ids["treasurer"])
                if action == "transfer":
                    pledges.record_transfer(
                        pledge, by, amount_cents=cents, received_on=date.today()
                    )
                elif action == "refund":
                    refunds.refund(pledge, by, amount_cents=cents)
                else:
                    pledges.cancel_pledge(pledge, pledge.backer)
            _db.session.commit()
        except DomainError:
            _db.session.rollback()
        except Exception as exc:  # any other error is a bug: the test reports it
            crashes.append(repr(exc))
            _db.session.rollback()
        finally:
            _db.session.remove()


def _card_pledge_waiting_for_capture(campaign, backer, amount: int) -> Pledge:
    """A card pledge whose payment Stripe has authorised (the state a charge run leaves
    before capture): its `payment_intent.succeeded` may arrive any number of times."""
    pledge = pledges.pledge(campaign, backer, amount_cents=amount)
    pledge.mode, pledge.status, pledge.payment_method_id = STRIPE_MODE, DUE, "pm_card_visa"
    attempt = PaymentAttempt(
        pledge=pledge,
        number=1,
        idempotency_key=f"tremplin-pledge-{pledge.token}-charge-1",
        payment_intent_id=f"pi_prop_{pledge.id}",
        amount_cents=amount,
        status="requires_capture",
    )
    _db.session.add(attempt)
    _db.session.flush()
    return pledge


def _charge_transactions(intent_id: str):
    from tremplin.funding.models import LedgerTransaction

    return select(LedgerTransaction.id).where(LedgerTransaction.key == f"charge:{intent_id}")


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=st.lists(st.lists(ACTIONS, min_size=2, max_size=6), min_size=1, max_size=3))
def test_concurrent_money_never_doubles(app, db, make_campaign, make_member, make_club, batches):
    campaign = make_campaign(goal=10_000, rule="keep")
    owner = campaign.project.owner
    made = [
        pledges.pledge(campaign, make_member(), amount_cents=amount)
        for amount in (1_000, 2_500, 4_000)
    ]
    card_pledge = _card_pledge_waiting_for_capture(campaign, make_member(), 3_000)
    made.append(card_pledge)
    club = make_club()
    db.session.commit()
    ids = {
        "card": {
            "pledge": card_pledge.id,
            "intent": card_pledge.attempts[0].payment_intent_id,
            "amount": 3_000,
        },
        "pledges": [p.id for p in made],
        "treasurer": owner.id,
        "club": club.id,
        "gerant": club.people[0].id,
        "memberships": [
            m.id for m in club.memberships if m.user_id in {u.id for u in club.people[1:4]}
        ],
    }
    crashes: list[str] = []
    delivered = False
    for batch in batches:
        threads = [
            threading.Thread(target=_run, args=(app, action, target, cents, ids, crashes))
            for action, target, cents in batch
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert crashes == []
        db.session.expire_all()
        for pledge in db.session.scalars(select(Pledge).where(Pledge.id.in_(ids["pledges"]))):
            assert 0 <= pledge.refunded_cents <= pledge.collected_cents <= pledge.amount_cents
        assert ledger.unbalanced_transactions() == []
        assert ledger.total_of_all_entries() == 0
        # a card refund reserved here waits for `refunds.settle` to call Stripe (that step
        # and its crashes are test_refund_faults.py's): pending is its honest state
        found = [d for d in reconcile.check_pledges() if d.kind != "refund_pending"]
        assert found == []
        delivered = delivered or any(action == "webhook" for action, _t, _c in batch)
        card = db.session.get(Pledge, ids["card"]["pledge"])
        charges = db.session.scalar(
            select(func.count(func.distinct(LedgerEntry.transaction_id))).where(
                LedgerEntry.transaction_id.in_(_charge_transactions(ids["card"]["intent"]))
            )
        )
        # the card payment is booked exactly once as soon as one delivery arrived
        assert charges == (1 if delivered else 0)
        assert card.collected_cents == (ids["card"]["amount"] if delivered else 0)
        months = db.session.execute(
            select(SavingsPayment.membership_id, func.count(SavingsPayment.id))
            .where(SavingsPayment.cancelled_at.is_(None))
            .group_by(SavingsPayment.membership_id, SavingsPayment.for_month)
        ).all()
        assert all(count == 1 for _membership, count in months)
        paid = db.session.scalar(
            select(func.coalesce(func.sum(SavingsPayment.amount_cents), 0)).where(
                SavingsPayment.club_id == club.id
            )
        )
        assert fund.balance(club.id) == paid
        assert fund.scope_is_balanced(club.id)
