"""Money that cannot double: the treasurer's forms (transfer received, refund) sent 2, 3 and
10 times at once over real HTTP — a double tap, two tabs — record one movement; two
treasurers sending their own forms for the same promise record only what is owed. Runs on
SQLite and PostgreSQL (live server, one thread per request, real transactions)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.kit.concurrent_forms import browser, post_at_once, read_form
from tremplin.funding import bookkeeping, ledger, reconcile
from tremplin.funding.models import BankTransfer, Pledge, PledgeRefund
from tremplin.platform.idempotency import FormSubmission


@pytest.fixture
def due_promise(db, make_campaign, make_pledge):
    """A keep-what-you-raise promise (due at once, by transfer) and its team."""

    def make(amount: int):
        campaign = make_campaign(goal=100_000, rule="keep")
        pledge = make_pledge(campaign, amount=amount)
        db.session.commit()
        assert pledge.status == "due"
        return campaign, pledge

    return make


def _count(db, model, pledge) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)).where(model.pledge_id == pledge.id))


def fresh(db, pledge) -> Pledge:
    db.session.expire_all()
    return db.session.get(Pledge, pledge.id)


def _books_agree(db):
    db.session.expire_all()
    assert ledger.unbalanced_transactions() == []
    assert reconcile.check_pledges() == []


@pytest.mark.parametrize("times", [2, 3, 10])
def test_the_same_transfer_form_sent_at_once_records_one_transfer(
    app, db, live_server, due_promise, times
):
    campaign, pledge = due_promise(50_000)
    treasurer = browser(app, live_server, campaign.project.owner)
    page = f"/collectes/{campaign.id}/gestion"
    action = f"/collectes/promesses/{pledge.id}/virements"
    form = read_form(treasurer, page, action)
    assert form["transfer-once"]
    form.update({"transfer-amount": "500", "transfer-received_on": date.today().isoformat()})
    statuses = post_at_once(treasurer, action, form, times)
    assert sorted(statuses) == [303] * (times - 1) + [302] or all(
        s in (302, 303) for s in statuses
    ), statuses
    assert _count(db, BankTransfer, pledge) == 1
    pledge = fresh(db, pledge)
    assert (pledge.collected_cents, pledge.status) == (50_000, "collected")
    assert bookkeeping.campaign_balance(campaign.id) == 50_000
    _books_agree(db)
    # the page shown to the late submissions says what was done
    again = treasurer.post(live_server.url + action, data=form)
    assert "déjà été envoyé" in again.text and "500" in again.text


def test_a_partial_transfer_sent_three_times_counts_once(app, db, live_server, due_promise):
    campaign, pledge = due_promise(3_000)
    treasurer = browser(app, live_server, campaign.project.owner)
    action = f"/collectes/promesses/{pledge.id}/virements"
    form = read_form(treasurer, f"/collectes/{campaign.id}/gestion", action)
    form.update({"transfer-amount": "20", "transfer-received_on": date.today().isoformat()})
    post_at_once(treasurer, action, form, 3)
    pledge = fresh(db, pledge)
    assert (pledge.collected_cents, pledge.status) == (2_000, "due")
    assert _count(db, BankTransfer, pledge) == 1
    _books_agree(db)


@pytest.mark.parametrize("times", [2, 3, 10])
def test_different_forms_for_the_whole_promise_record_only_what_is_owed(
    app, db, live_server, due_promise, make_member, times
):
    """Two treasurers (each their own page, their own one-time token) mark the same 500 €
    received at the same moment: the guarded update counts it once."""
    campaign, pledge = due_promise(50_000)
    treasurer = browser(app, live_server, campaign.project.owner)
    action = f"/collectes/promesses/{pledge.id}/virements"
    forms = []
    for _ in range(times):
        form = read_form(treasurer, f"/collectes/{campaign.id}/gestion", action)
        form.update({"transfer-amount": "500", "transfer-received_on": date.today().isoformat()})
        forms.append(form)
    assert len({f["transfer-once"] for f in forms}) == times
    statuses = post_at_once(treasurer, action, forms)
    assert 500 not in statuses
    assert _count(db, BankTransfer, pledge) == 1
    assert fresh(db, pledge).collected_cents == 50_000
    _books_agree(db)


@pytest.mark.parametrize("times", [2, 3, 10])
def test_the_same_refund_form_sent_at_once_refunds_once(app, db, live_server, due_promise, times):
    campaign, pledge = due_promise(5_000)
    owner = campaign.project.owner
    from tremplin.funding import pledges

    pledges.record_transfer(pledge, owner, amount_cents=5_000, received_on=date.today())
    db.session.commit()
    treasurer = browser(app, live_server, owner)
    action = f"/collectes/promesses/{pledge.id}/rembourser"
    form = read_form(treasurer, f"/collectes/{campaign.id}/gestion", action)
    form.update({"refund-amount": "30", "refund-reason": "double clic"})
    statuses = post_at_once(treasurer, action, form, times)
    assert 500 not in statuses, statuses
    assert _count(db, PledgeRefund, pledge) == 1
    pledge = fresh(db, pledge)
    assert (pledge.collected_cents, pledge.refunded_cents) == (5_000, 3_000)
    assert bookkeeping.campaign_balance(campaign.id) == 2_000
    assert db.session.scalar(select(func.count(FormSubmission.id))) == 1
    _books_agree(db)


def test_a_form_without_its_one_time_token_is_refused_without_writing(
    client, auth, db, due_promise
):
    campaign, pledge = due_promise(5_000)
    auth.login_as(campaign.project.owner)
    response = client.post(
        f"/collectes/promesses/{pledge.id}/virements",
        data={"transfer-amount": "50", "transfer-received_on": date.today().isoformat()},
    )
    assert response.status_code == 303
    assert "expiré" in client.get(response.headers["Location"]).text
    assert _count(db, BankTransfer, pledge) == 0


@pytest.mark.stripe
@pytest.mark.parametrize("times", [2, 3, 10])
def test_the_same_card_refund_form_sent_at_once_refunds_once_at_stripe(
    app, db, live_server, make_campaign, make_pledge, end_campaign, localstripe, times
):
    from tremplin.funding.cli import close_ended

    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, amount=5_000)
    end_campaign(campaign)
    close_ended()
    intent = fresh(db, pledge).attempts[-1].payment_intent_id
    treasurer = browser(app, live_server, campaign.project.owner)
    action = f"/collectes/promesses/{pledge.id}/rembourser"
    form = read_form(treasurer, f"/collectes/{campaign.id}/gestion", action)
    form.update({"refund-amount": "50", "refund-reason": "le reste"})
    statuses = post_at_once(treasurer, action, form, times)
    assert 500 not in statuses, statuses
    at_stripe = localstripe.get(f"/v1/refunds?payment_intent={intent}")["data"]
    assert [r["amount"] for r in at_stripe] == [5_000]
    assert _count(db, PledgeRefund, pledge) == 1
    pledge = fresh(db, pledge)
    assert (pledge.refunded_cents, pledge.status) == (5_000, "refunded")
    assert reconcile.run() == []
