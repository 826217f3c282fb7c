"""Stripe mode against localstripe (the real `stripe` client over HTTP): cards saved with a
SetupIntent at pledge time, charged off-session when the campaign succeeds, webhooks
delivered and signed by localstripe, 3-D Secure, declines and retries, refunds,
keep-what-you-raise."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.kit.factories_funding import CARD_3DS_REQUIRED, CARD_DECLINED_ON_CHARGE, save_card
from tests.kit.live import wait_for
from tremplin.funding import bookkeeping, charging, ledger, reconcile
from tremplin.funding.cli import close_ended
from tremplin.funding.models import Pledge, StripeEvent
from tremplin.platform.idempotency import new_token
from tremplin.platform.models import Notification
from tremplin.platform.types import utcnow

pytestmark = pytest.mark.stripe


def succeeded_intents(localstripe) -> Counter:
    """How many captured PaymentIntents each pledge has at Stripe (must never exceed 1)."""
    return Counter(
        pi["metadata"].get("tremplin_pledge")
        for pi in localstripe.payment_intents()
        if pi["status"] == "succeeded"
    )


def assert_books_balance(campaign_id: int) -> None:
    assert ledger.unbalanced_transactions() == []
    assert ledger.total_of_all_entries() == 0
    assert reconcile.check_pledges() == []


def test_campaign_opens_in_stripe_mode_and_a_pledge_waits_for_its_card(
    client, auth, db, make_campaign, make_member
):
    campaign = make_campaign()
    assert campaign.mode == "stripe"
    backer = auth.login_as(make_member())
    response = client.post(
        f"/collectes/{campaign.id}/soutenir", data={"amount": "25", "understood": "y"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/carte")
    pledge = db.session.scalar(select(Pledge).where(Pledge.backer_id == backer.id))
    assert pledge.status == "pending"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert 'data-client-secret="seti_' in page.text and "js.stripe.com/v3/" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "127.0.0.1" in csp  # Stripe.js origin allowed by the CSP
    # the campaign page does not count it yet
    assert "0 soutien" in client.get(f"/collectes/{campaign.id}").text


def test_return_page_ignores_its_query_string(
    client, auth, db, make_campaign, make_member, localstripe
):
    campaign = make_campaign()
    backer = auth.login_as(make_member())
    client.post(f"/collectes/{campaign.id}/soutenir", data={"amount": "25", "understood": "y"})
    pledge = db.session.scalar(select(Pledge).where(Pledge.backer_id == backer.id))
    client.get(f"/collectes/promesses/{pledge.id}/carte")
    # a forged "redirect_status=succeeded" does not save anything: the SetupIntent is unconfirmed
    response = client.get(
        f"/collectes/promesses/{pledge.id}/carte/retour"
        "?setup_intent=seti_forged&redirect_status=succeeded"
    )
    assert response.headers["Location"].endswith("/carte")
    db.session.refresh(pledge)
    assert pledge.status == "pending" and pledge.payment_method_id is None


def test_all_or_nothing_success_charges_everyone_once_and_webhooks_agree(
    app, db, make_campaign, make_member, make_pledge, end_campaign, localstripe, live_server, outbox
):
    localstripe.deliver_webhooks_to(live_server.url + "/funding/stripe/webhook")
    campaign = make_campaign(goal=10_000)
    pledges = [
        make_pledge(campaign, make_member(email=f"b{i}@exemple.fr"), amount=amount)
        for i, amount in enumerate((4_000, 3_500, 2_500))
    ]
    assert all(p.status == "active" and p.payment_method_id for p in pledges)
    end_campaign(campaign)
    result = close_ended()
    assert result["decided"] == {campaign.id: "succeeded"}
    assert sorted(result["report"].charged) == sorted(p.id for p in pledges)
    assert succeeded_intents(localstripe) == Counter({str(p.id): 1 for p in pledges})
    assert bookkeeping.campaign_balance(campaign.id) == 10_000
    for pledge in pledges:
        db.session.refresh(pledge)
        assert pledge.status == "collected" and pledge.collected_cents == pledge.amount_cents
    db.session.refresh(campaign)
    assert campaign.status == "closed" and campaign.outcome == "succeeded"

    # localstripe signs and delivers payment_intent.succeeded for each charge: processed once,
    # harmless (already recorded)
    def succeeded_events():
        db.session.rollback()  # read what the live server's threads committed
        rows = db.session.scalars(
            select(StripeEvent).where(StripeEvent.type == "payment_intent.succeeded")
        ).all()
        return rows if len(rows) >= 3 else None

    delivered = wait_for(succeeded_events, timeout=15)
    assert delivered and all(e.processed_at for e in delivered)
    assert {e.outcome for e in delivered} == {"applied: succeeded"}
    assert bookkeeping.campaign_balance(campaign.id) == 10_000
    assert_books_balance(campaign.id)
    assert any("reçu" in m.subject for m in outbox.to("b0@exemple.fr"))
    # idempotency keys derived from our pledge go with every charge and capture
    creates = [
        r
        for r in localstripe.requests()
        if r["path"] == "/v1/payment_intents" and r["method"] == "POST"
    ]
    assert {r["idempotency_key"] for r in creates} == {
        f"tremplin-pledge-{p.token}-charge-1" for p in pledges
    }
    captures = [r for r in localstripe.requests() if r["path"].endswith("/capture")]
    assert all(r["idempotency_key"].endswith("-charge-1-capture") for r in captures)
    # running close again charges nobody
    again = close_ended()
    assert again["report"].charged == [] and succeeded_intents(localstripe) == Counter(
        {str(p.id): 1 for p in pledges}
    )
    assert reconcile.run() == []


def test_failed_campaign_charges_nobody_and_tells_backers(
    db, make_campaign, make_member, make_pledge, end_campaign, localstripe, outbox
):
    campaign = make_campaign(goal=100_000)
    pledge = make_pledge(campaign, make_member(email="nadia@exemple.fr"), amount=4_000)
    end_campaign(campaign)
    close_ended()
    db.session.refresh(pledge)
    assert pledge.status == "released"
    assert localstripe.payment_intents() == []
    assert [
        r
        for r in localstripe.requests()
        if "payment_intents" in r["path"] and r["method"] == "POST"
    ] == []
    mail = [m for m in outbox.to("nadia@exemple.fr") if "objectif" in m.subject][-1]
    assert "pas été débitée" in mail.body_text
    assert ledger.total_of_all_entries() == 0


def test_3d_secure_card_gets_a_confirm_link_then_succeeds(
    client, auth, db, make_campaign, make_member, make_pledge, end_campaign, localstripe, outbox
):
    campaign = make_campaign(goal=5_000)
    backer = make_member(email="sca@exemple.fr")
    pledge = make_pledge(campaign, backer, amount=5_000, card=CARD_3DS_REQUIRED)
    assert pledge.status == "active"
    end_campaign(campaign)
    report = close_ended()["report"]
    assert report.requires_action == [pledge.id]
    db.session.refresh(pledge)
    assert pledge.status == "requires_action"
    assert succeeded_intents(localstripe) == Counter()
    link = outbox.last_link("sca@exemple.fr", "/confirmer/")
    auth.login_as(backer)
    page = client.get(link)
    assert page.status_code == 200
    assert 'data-client-secret="pi_' in page.text
    intent_id = pledge.latest_attempt.payment_intent_id
    secret = page.text.split('data-client-secret="')[1].split('"')[0]
    # what the test Stripe.js does when the backer passes the bank's check
    localstripe.post(
        f"/v1/payment_intents/{intent_id}/_authenticate?success=true",
        {"client_secret": secret, "key": "pk_test_tremplin"},
    )
    back = client.get(link + "/retour?payment_intent=pi_forged&redirect_status=failed")
    assert back.status_code == 302
    db.session.refresh(pledge)
    assert pledge.status == "collected" and pledge.collected_cents == 5_000
    assert succeeded_intents(localstripe) == Counter({str(pledge.id): 1})
    # the close job afterwards does not charge again, and closes the campaign
    close_ended()
    assert succeeded_intents(localstripe) == Counter({str(pledge.id): 1})
    assert_books_balance(campaign.id)


def test_confirm_link_belongs_to_its_backer(
    client, auth, db, make_campaign, make_member, make_pledge, end_campaign, localstripe, outbox
):
    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(
        campaign, make_member(email="owner@exemple.fr"), amount=5_000, card=CARD_3DS_REQUIRED
    )
    end_campaign(campaign)
    close_ended()
    link = outbox.last_link("owner@exemple.fr", "/confirmer/")
    auth.login_as(make_member())
    assert client.get(link).status_code == 403
    auth.login_as(pledge.backer)
    assert client.get(link.replace(pledge.token, "wrong-token")).status_code == 404


def test_declined_card_is_retried_on_schedule_then_reported(
    db, make_campaign, make_member, make_pledge, end_campaign, localstripe, outbox
):
    campaign = make_campaign(goal=3_000)
    backer = make_member(email="refus@exemple.fr")
    pledge = make_pledge(campaign, backer, amount=3_000, card=CARD_DECLINED_ON_CHARGE)
    end_campaign(campaign)
    report = close_ended()["report"]
    assert report.declined == [pledge.id]
    db.session.refresh(pledge)
    assert pledge.status == "declined" and pledge.failure_count == 1
    assert pledge.next_retry_at > utcnow() + timedelta(hours=23)
    assert any("pas passé" in m.subject for m in outbox.to("refus@exemple.fr"))
    team_notes = db.session.scalars(
        select(Notification).where(
            Notification.user_id == campaign.project.owner_id, Notification.text.contains("refusé")
        )
    ).all()
    assert team_notes
    # retry before the schedule: nothing happens
    assert charging.collect_due().declined == []
    # the schedule runs out: 24 h, 72 h, 168 h, then given up and reported
    moment = utcnow()
    for hours in (25, 73, 169):
        moment += timedelta(hours=hours)
        assert charging.collect_due(moment).declined == [pledge.id]
    db.session.refresh(pledge)
    assert pledge.status == "unpaid" and pledge.failure_count == 4
    final = [m for m in outbox.to("refus@exemple.fr") if "pas passé" in m.subject][-1]
    assert "arrêtons" in final.body_text
    assert succeeded_intents(localstripe) == Counter()
    assert ledger.total_of_all_entries() == 0
    db.session.refresh(campaign)
    assert campaign.status == "succeeded"  # still open to a late payment until the team closes it


def test_declined_backer_saves_another_card_and_is_charged_at_once(
    client, auth, db, make_campaign, make_member, make_pledge, end_campaign, localstripe
):
    campaign = make_campaign(goal=3_000)
    backer = make_member()
    pledge = make_pledge(campaign, backer, amount=3_000, card=CARD_DECLINED_ON_CHARGE)
    end_campaign(campaign)
    close_ended()
    auth.login_as(backer)
    page = client.get(f"/collectes/promesses/{pledge.id}/carte")
    assert page.status_code == 200
    setup_id = db.session.get(Pledge, pledge.id).setup_intent_id
    localstripe.post(f"/v1/setup_intents/{setup_id}/confirm", {"payment_method": "pm_card_visa"})
    response = client.get(f"/collectes/promesses/{pledge.id}/carte/retour")
    assert response.status_code == 302
    db.session.refresh(pledge)
    assert pledge.status == "collected"
    assert succeeded_intents(localstripe) == Counter({str(pledge.id): 1})
    assert [a.status for a in pledge.attempts] == ["failed", "succeeded"]


def test_team_refunds_part_then_all_of_a_card_payment(
    client, auth, db, make_campaign, make_member, make_pledge, end_campaign, localstripe, outbox
):
    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, make_member(email="rembourse@exemple.fr"), amount=5_000)
    end_campaign(campaign)
    close_ended()
    auth.login_as(campaign.project.owner)
    client.post(
        f"/collectes/promesses/{pledge.id}/rembourser",
        data={"refund-once": new_token(), "refund-amount": "20", "refund-reason": "erreur"},
    )
    db.session.refresh(pledge)
    assert (pledge.refunded_cents, pledge.status) == (2_000, "collected")
    client.post(
        f"/collectes/promesses/{pledge.id}/rembourser",
        data={"refund-once": new_token(), "refund-amount": "40"},
    )
    db.session.refresh(pledge)
    assert pledge.refunded_cents == 2_000  # more than what is left: refused, nothing sent to Stripe
    client.post(
        f"/collectes/promesses/{pledge.id}/rembourser",
        data={"refund-once": new_token(), "refund-amount": "30"},
    )
    db.session.refresh(pledge)
    assert (pledge.refunded_cents, pledge.status) == (5_000, "refunded")
    intent = pledge.attempts[-1].payment_intent_id
    refunds = localstripe.get(f"/v1/refunds?payment_intent={intent}")["data"]
    assert sorted(r["amount"] for r in refunds) == [2_000, 3_000]
    refund_calls = [
        r for r in localstripe.requests() if r["path"] == "/v1/refunds" and r["method"] == "POST"
    ]
    assert len(refund_calls) == 2 and all(
        r["idempotency_key"].startswith("tremplin-refund-") for r in refund_calls
    )
    assert bookkeeping.campaign_balance(campaign.id) == 0
    assert ledger.balance(bookkeeping.backer_account(pledge)) == 0
    assert any("Remboursement" in m.subject for m in outbox.to("rembourse@exemple.fr"))
    assert reconcile.run() == []


def test_organiser_may_refund_but_not_a_stranger(
    client,
    auth,
    db,
    make_campaign,
    make_member,
    make_organiser,
    make_pledge,
    end_campaign,
    localstripe,
):
    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, amount=5_000)
    end_campaign(campaign)
    close_ended()
    auth.login_as(make_member())
    assert (
        client.post(
            f"/collectes/promesses/{pledge.id}/rembourser",
            data={"refund-once": new_token(), "refund-amount": "5"},
        ).status_code
        == 403
    )
    auth.login_as(make_organiser())
    client.post(
        f"/collectes/promesses/{pledge.id}/rembourser",
        data={"refund-once": new_token(), "refund-amount": "5"},
    )
    db.session.refresh(pledge)
    assert pledge.refunded_cents == 500


def test_keep_what_you_raise_charges_at_pledge_time(
    client, auth, db, make_campaign, make_member, end_campaign, localstripe
):
    campaign = make_campaign(goal=50_000, rule="keep")
    backer = auth.login_as(make_member())
    client.post(f"/collectes/{campaign.id}/soutenir", data={"amount": "12", "understood": "y"})
    pledge = db.session.scalar(select(Pledge).where(Pledge.backer_id == backer.id))
    client.get(f"/collectes/promesses/{pledge.id}/carte")
    localstripe.post(
        f"/v1/setup_intents/{db.session.get(Pledge, pledge.id).setup_intent_id}/confirm",
        {"payment_method": "pm_card_visa"},
    )
    response = client.get(f"/collectes/promesses/{pledge.id}/carte/retour")
    assert response.status_code == 302
    db.session.refresh(pledge)
    assert (pledge.status, pledge.collected_cents) == ("collected", 1_200)
    assert succeeded_intents(localstripe) == Counter({str(pledge.id): 1})
    assert bookkeeping.campaign_balance(campaign.id) == 1_200
    # at the deadline the campaign keeps what it raised, without charging again
    end_campaign(campaign)
    result = close_ended()
    assert result["decided"] == {campaign.id: "succeeded"}
    assert succeeded_intents(localstripe) == Counter({str(pledge.id): 1})
    db.session.refresh(campaign)
    assert campaign.status == "closed"


def test_keep_what_you_raise_with_3d_secure_goes_straight_to_confirmation(
    client, auth, db, make_campaign, make_member, localstripe
):
    campaign = make_campaign(goal=50_000, rule="keep")
    backer = auth.login_as(make_member())
    client.post(f"/collectes/{campaign.id}/soutenir", data={"amount": "12", "understood": "y"})
    pledge = db.session.scalar(select(Pledge).where(Pledge.backer_id == backer.id))
    assert save_card(pledge, backer, CARD_3DS_REQUIRED) == "saved"
    db.session.refresh(pledge)
    assert pledge.status == "due"
    outcome = charging.collect_pledge(pledge.id)
    assert outcome == "requires_action"


def test_reconcile_finds_and_repairs_a_refund_made_outside(
    db, make_campaign, make_pledge, end_campaign, localstripe
):
    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, amount=5_000)
    end_campaign(campaign)
    close_ended()
    intent = pledge.attempts[-1].payment_intent_id
    localstripe.post(
        "/v1/refunds", {"payment_intent": intent, "amount": "1500"}
    )  # from the dashboard
    found = reconcile.run()
    assert [d.kind for d in found] == ["refund_missing"]
    repaired = reconcile.run(repair=True)
    assert repaired and all(d.repaired for d in repaired)
    db.session.commit()
    db.session.refresh(pledge)
    assert pledge.refunded_cents == 1_500
    assert reconcile.run() == []
    assert bookkeeping.campaign_balance(campaign.id) == 3_500


def test_keep_what_you_raise_decline_is_retried_while_the_campaign_runs(
    db, make_campaign, make_member, make_pledge, localstripe
):
    campaign = make_campaign(goal=50_000, rule="keep")
    pledge = make_pledge(campaign, make_member(), amount=2_000, card=CARD_DECLINED_ON_CHARGE)
    assert pledge.status == "due"  # keep-what-you-raise: to collect at once
    assert charging.collect_pledge(pledge.id) == "failed"
    db.session.refresh(pledge)
    assert pledge.status == "declined"
    report = charging.collect_due(utcnow() + timedelta(hours=25))
    assert report.declined == [pledge.id]  # retried although the campaign is still open
    db.session.refresh(pledge)
    assert pledge.failure_count == 2


def test_team_gives_up_on_an_unconfirmed_payment_when_closing(
    client, auth, db, make_campaign, make_member, make_pledge, end_campaign, localstripe
):
    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, make_member(), amount=5_000, card=CARD_3DS_REQUIRED)
    end_campaign(campaign)
    close_ended()
    db.session.refresh(campaign)
    assert campaign.status == "succeeded"  # waits for the backer's confirmation
    auth.login_as(campaign.project.owner)
    client.post(f"/collectes/{campaign.id}/cloturer")
    db.session.refresh(campaign)
    db.session.refresh(pledge)
    assert (campaign.status, pledge.status) == ("closed", "unpaid")
    intent = localstripe.get(f"/v1/payment_intents/{pledge.attempts[-1].payment_intent_id}")
    assert intent["status"] == "canceled"
