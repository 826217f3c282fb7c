"""Hypothesis drives *concurrent* money: each example is a batch of transfers received,
refunds, cancellations and club savings fired at once from threads, each with its own
session (its own connection and transaction), as two treasurers and a double tap would.
Whatever the interleaving: no promise receives more than promised, no refund exceeds what
was collected, a club month is paid once, every entry group sums to zero and the cached
totals agree with the ledger (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tremplin.funding import ledger, pledges, reconcile, refunds
from tremplin.funding.clubs import fund, savings
from tremplin.funding.clubs.models import ClubMembership, InvestorClub, SavingsPayment
from tremplin.funding.models import Pledge
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db as _db
from tremplin.platform.models import User

ACTIONS = st.tuples(
    st.sampled_from(["transfer", "refund", "cancel", "saving"]),
    st.integers(0, 2),
    st.integers(1, 6_000),
)


def _run(app, action: str, target: int, cents: int, ids: dict, crashes: list) -> None:
    with app.test_request_context():
        try:
            if action == "saving":
                club = _db.session.get(InvestorClub, ids["club"])
                membership = _db.session.get(ClubMembership, ids["memberships"][target])
                savings.record_payment(
                    club,
                    _db.session.get(User, ids["gerant"]),
                    membership,
                    amount_cents=min(cents, club.max_saving_cents),
                    for_month=date.today(),
                )
            else:
                pledge = _db.session.get(Pledge, ids["pledges"][target])
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
    club = make_club()
    db.session.commit()
    ids = {
        "pledges": [p.id for p in made],
        "treasurer": owner.id,
        "club": club.id,
        "gerant": club.people[0].id,
        "memberships": [
            m.id for m in club.memberships if m.user_id in {u.id for u in club.people[1:4]}
        ],
    }
    crashes: list[str] = []
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
        assert reconcile.check_pledges() == []
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
