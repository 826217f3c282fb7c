"""A card refund whose process dies just before or just after asking Stripe, then run
again: exactly one refund at the Stripe server (localstripe) and one in the ledger. The
refund row (its amount reserved) is committed before the call; its token is both the
idempotency key and the metadata Stripe keeps, so the rerun finds a refund made before the
crash instead of asking twice (localstripe, like Stripe after 24 h, does not dedupe keys)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.funding.refund_runner import FAULT_POINTS
from tests.kit import forked
from tremplin.funding import bookkeeping, ledger, reconcile
from tremplin.funding.cli import close_ended
from tremplin.funding.models import LedgerTransaction, Pledge, PledgeRefund

pytestmark = pytest.mark.stripe
ROOT = Path(__file__).resolve().parents[2]


def run_refund(app_config: dict, step: str, *, fault: str | None = None, **values):
    env = {**os.environ, "TREMPLIN_RUNNER_CONFIG": json.dumps(app_config)}
    env.pop("REFUND_FAULT", None)
    if fault:
        env["REFUND_FAULT"] = fault
    env.update({f"REFUND_{k.upper()}": str(v) for k, v in values.items()})
    return forked.run("tests.funding.refund_runner", [step], env)


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_refund_killed_around_the_stripe_call_then_run_again_refunds_once(
    point, app_config, db, make_campaign, make_pledge, end_campaign, localstripe
):
    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, amount=5_000)
    end_campaign(campaign)
    close_ended()
    db.session.refresh(pledge)
    assert pledge.status == "collected"
    intent = pledge.attempts[-1].payment_intent_id
    owner_id = campaign.project.owner_id
    code, _out, err = run_refund(
        app_config, "refund", fault=point, pledge=pledge.id, by=owner_id, cents=2_000
    )
    assert code == 17, err  # died on the spot
    db.session.expire_all()
    row = db.session.scalar(select(PledgeRefund))
    assert row.status == "pending"  # reserved and committed before the call
    assert db.session.get(Pledge, pledge.id).refunded_cents == 2_000
    at_stripe = localstripe.get(f"/v1/refunds?payment_intent={intent}")["data"]
    assert len(at_stripe) == (1 if point == "after_refund_call" else 0)
    pending = reconcile.run()
    assert [d.kind for d in pending] == ["refund_pending"] + (
        ["refund_missing"] if point == "after_refund_call" else []
    )

    code, out, err = run_refund(app_config, "settle")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == {str(row.id): "done"}
    db.session.expire_all()
    at_stripe = localstripe.get(f"/v1/refunds?payment_intent={intent}")["data"]
    assert [r["amount"] for r in at_stripe] == [2_000]
    assert at_stripe[0]["metadata"]["tremplin_refund"] == row.token
    posted = db.session.scalars(
        select(LedgerTransaction).where(LedgerTransaction.kind == "refund")
    ).all()
    assert [t.key for t in posted] == [f"refund:{at_stripe[0]['id']}"]
    pledge = db.session.get(Pledge, pledge.id)
    assert (pledge.refunded_cents, pledge.status) == (2_000, "collected")
    assert bookkeeping.campaign_balance(campaign.id) == 3_000
    assert ledger.total_of_all_entries() == 0
    assert reconcile.run() == []
    # a second rerun finds nothing to do
    code, out, _err = run_refund(app_config, "settle")
    assert json.loads(out.strip().splitlines()[-1]) == {}
    assert len(localstripe.get(f"/v1/refunds?payment_intent={intent}")["data"]) == 1


def test_the_treasurer_sees_a_pending_refund_on_the_campaign_page(
    client, auth, db, make_campaign, make_pledge, end_campaign, localstripe
):
    from tremplin.funding import refunds

    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, amount=5_000)
    end_campaign(campaign)
    close_ended()
    db.session.refresh(pledge)
    refunds.refund(pledge, campaign.project.owner, amount_cents=1_000)
    db.session.commit()  # reserved, Stripe not asked yet (as after a crash)
    auth.login_as(campaign.project.owner)
    page = client.get(f"/collectes/{campaign.id}/gestion")
    assert "Écarts dans les comptes" in page.text
    assert f"promesse {pledge.id}" in page.text and "pas encore confirmés" in page.text
    assert refunds.settle_pending() == {1: "done"}
    assert "Écarts dans les comptes" not in client.get(f"/collectes/{campaign.id}/gestion").text


def test_repair_says_exactly_what_it_changed_and_never_claims_what_it_did_not(
    app, db, make_campaign, make_pledge, end_campaign, localstripe
):
    from tremplin.funding import refunds

    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, amount=5_000)
    end_campaign(campaign)
    close_ended()
    db.session.refresh(pledge)
    intent = pledge.attempts[-1].payment_intent_id
    refunds.refund(pledge, campaign.project.owner, amount_cents=4_000)  # reserved, pending
    db.session.commit()
    localstripe.post("/v1/refunds", {"payment_intent": intent, "amount": "2000"})  # dashboard
    runner = app.test_cli_runner()
    first = runner.invoke(args=["funding", "reconcile", "--repair"])
    assert "(réparé)" not in first.output and "Rien modifié." in first.output
    assert "non enregistré : plus que ce que nous avons reçu" in first.output
    assert first.exit_code == 1
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).refunded_cents == 4_000  # nothing invented
    # what can be proved is repaired, said, and gone on the next run
    assert refunds.settle_pending() == {1: "done"}
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).refunded_cents == 4_000
    missing = runner.invoke(args=["funding", "reconcile", "--repair"])
    assert "refund_missing" in missing.output  # the 20 € refund still does not fit: reported
    assert "1 modification" not in missing.output


def test_repair_records_a_proved_refund_prints_it_and_the_next_run_is_clean(
    app, db, make_campaign, make_pledge, end_campaign, localstripe
):
    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, amount=5_000)
    end_campaign(campaign)
    close_ended()
    db.session.refresh(pledge)
    intent = pledge.attempts[-1].payment_intent_id
    refund = localstripe.post("/v1/refunds", {"payment_intent": intent, "amount": "1500"})
    runner = app.test_cli_runner()
    first = runner.invoke(args=["funding", "reconcile", "--repair"])
    assert "1 modification(s) écrite(s) :" in first.output
    assert f"remboursement {refund['id']} de 1500" in first.output
    assert first.exit_code == 0
    second = runner.invoke(args=["funding", "reconcile"])
    assert second.exit_code == 0 and "0 écart(s)" in second.output
    db.session.expire_all()
    assert db.session.get(Pledge, pledge.id).refunded_cents == 1_500
