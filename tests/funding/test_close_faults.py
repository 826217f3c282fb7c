"""`flask funding close` killed anywhere, run again, or run twice at once: nobody is charged
twice and the books balance. The close runs in its own process (like cron would run it);
the runner's test-only seam (close_runner.py wraps the Stripe calls and the commits) makes it
die with os._exit at a named point — before or after the Stripe call, before or after the
commit — as a power cut would. Production code carries no fault point."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.funding.close_runner import FAULT_POINTS
from tests.kit import forked
from tests.kit.live import wait_for
from tremplin.funding import bookkeeping, ledger, reconcile
from tremplin.funding.models import Pledge

pytestmark = pytest.mark.stripe
ROOT = Path(__file__).resolve().parents[2]


def run_close(
    app_config: dict, *, fault: str | None = None, lease: int | None = None, wait: bool = True
):
    config = dict(app_config)
    if lease is not None:
        config["FUNDING_CHARGE_LEASE_SECONDS"] = lease
    env = {**os.environ, "TREMPLIN_RUNNER_CONFIG": json.dumps(config)}
    env.pop("CLOSE_FAULT", None)
    if fault:
        env["CLOSE_FAULT"] = fault
    process = forked.Run("tests.funding.close_runner", [], env)
    if not wait:
        return process
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def succeeded_intents(localstripe) -> Counter:
    return Counter(
        pi["metadata"].get("tremplin_pledge")
        for pi in localstripe.payment_intents()
        if pi["status"] == "succeeded"
    )


@pytest.fixture
def three_due_pledges(app, db, make_campaign, make_member, make_pledge, end_campaign):
    campaign = make_campaign(goal=9_000)
    pledges = [
        make_pledge(campaign, make_member(), amount=amount) for amount in (2_000, 3_000, 4_000)
    ]
    end_campaign(campaign)
    db.session.commit()
    return campaign, pledges


# Where the run stood when it died, for the first pledge: (the PaymentIntents at the
# Stripe server, the attempts in our database). Proves each point of the seam is where
# its name says.
STATE_AT_DEATH = {
    "claimed": ([], []),
    "before_authorize": ([], ["started"]),
    "after_authorize": (["requires_capture"], ["started"]),
    "authorized_committed": (["requires_capture"], ["requires_capture"]),
    "before_capture": (["requires_capture"], ["requires_capture"]),
    "after_capture": (["succeeded"], ["requires_capture"]),
    "captured_committed": (["succeeded"], ["succeeded"]),
}


def state_at_death(db, localstripe, pledge):
    from tremplin.funding.models import PaymentAttempt

    intents = [
        pi["status"]
        for pi in localstripe.payment_intents()
        if pi["metadata"].get("tremplin_pledge") == str(pledge.id)
    ]
    attempts = db.session.scalars(
        select(PaymentAttempt.status).where(PaymentAttempt.pledge_id == pledge.id)
    ).all()
    return intents, list(attempts)


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_close_killed_at_any_point_then_run_again_charges_each_pledge_once(
    point, app_config, db, three_due_pledges, localstripe
):
    campaign, pledges = three_due_pledges
    code, _out, err = run_close(app_config, fault=point, lease=0)
    assert code == 17, err  # died on the spot
    db.session.expire_all()
    assert state_at_death(db, localstripe, pledges[0]) == STATE_AT_DEATH[point]
    assert all(count <= 1 for count in succeeded_intents(localstripe).values())
    code, out, err = run_close(app_config)
    assert code == 0, err
    db.session.expire_all()
    assert succeeded_intents(localstripe) == Counter({str(p.id): 1 for p in pledges})
    for pledge in pledges:
        db.session.refresh(pledge)
        assert (pledge.status, pledge.collected_cents) == ("collected", pledge.amount_cents)
    assert bookkeeping.campaign_balance(campaign.id) == 9_000
    assert ledger.unbalanced_transactions() == [] and ledger.total_of_all_entries() == 0
    # reconciliation: only an authorisation nobody will capture may be left (when the run
    # died between Stripe's answer and the commit); repairing releases it
    found = reconcile.run(repair=True)
    db.session.commit()
    assert {d.kind for d in found} <= {"orphan"}
    assert all(d.repaired for d in found)
    if point == "after_authorize":
        assert len(found) == 1
        orphan = [pi for pi in localstripe.payment_intents() if pi["status"] == "canceled"]
        assert len(orphan) == 1
    assert reconcile.run() == []
    assert json.loads(out.strip().splitlines()[-1])["errors"] == []


def test_a_run_that_dies_after_capturing_is_completed_by_the_webhook(
    app_config, db, three_due_pledges, localstripe, live_server
):
    localstripe.deliver_webhooks_to(live_server.url + "/funding/stripe/webhook")
    campaign, pledges = three_due_pledges
    code, _out, err = run_close(app_config, fault="after_capture", lease=3600)
    assert code == 17, err
    first = pledges[0]

    def recorded():
        db.session.rollback()
        return db.session.get(Pledge, first.id).status == "collected"

    assert wait_for(recorded, timeout=15), (
        "the payment_intent.succeeded webhook recorded the charge"
    )
    assert bookkeeping.campaign_balance(campaign.id) == first.amount_cents
    # the others were still claimed by the dead run (lease): once it expires, a new run
    # charges them, and never the first one again
    db.session.execute(Pledge.__table__.update().values(claimed_until=None, claim_token=None))
    db.session.commit()
    code, _out, err = run_close(app_config)
    assert code == 0, err
    assert succeeded_intents(localstripe) == Counter({str(p.id): 1 for p in pledges})
    assert bookkeeping.campaign_balance(campaign.id) == 9_000


def test_a_claimed_pledge_is_left_alone_while_its_lease_runs(
    app_config, db, three_due_pledges, localstripe
):
    _campaign, pledges = three_due_pledges
    code, _out, _err = run_close(app_config, fault="claimed", lease=3600)
    assert code == 17
    code, out, _err = run_close(app_config)
    assert code == 0
    charged = json.loads(out.strip().splitlines()[-1])["charged"]
    assert pledges[0].id not in charged and len(charged) == 2


def test_two_close_runs_at_once_charge_nobody_twice(
    app_config, db, make_campaign, make_member, make_pledge, end_campaign, localstripe
):
    campaign = make_campaign(goal=8 * 1_500)
    pledges = [make_pledge(campaign, make_member(), amount=1_500) for _ in range(8)]
    end_campaign(campaign)
    runs = [run_close(app_config, wait=False) for _ in range(3)]
    results = [process.communicate(timeout=180) + (process.returncode,) for process in runs]
    assert all(code == 0 for _out, _err, code in results), [err for _o, err, _c in results]
    charged = [
        pid
        for out, _err, _code in results
        for pid in json.loads(out.strip().splitlines()[-1])["charged"]
    ]
    assert sorted(charged) == sorted(p.id for p in pledges)  # each charged by exactly one run
    decided = [json.loads(out.strip().splitlines()[-1])["decided"] for out, _e, _c in results]
    assert sum(len(d) for d in decided) == 1  # one run decided the campaign
    db.session.expire_all()
    assert succeeded_intents(localstripe) == Counter({str(p.id): 1 for p in pledges})
    assert bookkeeping.campaign_balance(campaign.id) == 12_000
    assert ledger.unbalanced_transactions() == []
    assert (
        db.session.scalars(select(Pledge.status).where(Pledge.campaign_id == campaign.id)).all()
        == ["collected"] * 8
    )


def test_production_code_carries_no_fault_point():
    """The crash points live in the test runners only: no os._exit and no fault variable in
    the application's code."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tremplin").rglob("*.py")
        if "os._exit" in (text := path.read_text()) or "_FAULT" in text or "_fault(" in text
    ]
    assert offenders == []
