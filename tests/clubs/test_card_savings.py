"""Stripe mode: a member's monthly saving is a plan-based subscription; each paid invoice
becomes the month's payment into the fund, once (localstripe plays Stripe)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.funding.conftest import event, post_event
from tests.kit.localstripe import WEBHOOK_SECRET
from tremplin.funding import payments
from tremplin.funding.clubs import fund, lifecycle, savings
from tremplin.funding.clubs.models import SavingsPayment, SavingsPlan

pytestmark = pytest.mark.stripe


def confirm_card(setup_id: str, card: str = "pm_card_visa"):
    """What Stripe.js does on the card page."""
    from tremplin.funding import payments

    return payments.client().v1.setup_intents.confirm(setup_id, {"payment_method": card})


def test_a_card_saving_subscribes_monthly_and_records_the_paid_invoice_once(
    db, app, client, make_club, club_call, membership_of, localstripe
):
    club = make_club()
    member = membership_of(club, club.people[1])
    setup = club_call(savings.prepare_card_saving, club, member, 2_500)
    confirm_card(setup.id)
    plan = club_call(savings.start_card_saving, club, member, setup.id)
    assert plan.method == "stripe" and plan.stripe_subscription_id.startswith("sub_")
    assert plan.monthly_cents == 2_500
    assert fund.balance(club.id) == 2_500  # the first invoice, paid at once
    payment = db.session.scalar(select(SavingsPayment))
    assert payment.method == "stripe" and payment.ledger_key.startswith("club-saving:stripe:in_")
    # a webhook and the sync job may see the same invoice again: it counts once
    invoices = payments.paid_invoices(plan.stripe_subscription_id)
    assert len(invoices) == 1
    with app.test_request_context():
        assert savings.record_card_invoice(invoices[0]) == "duplicate"
        assert savings.sync_card_savings() == 0
    # the same invoice delivered by Stripe's signed webhook: routed to the clubs, counted once
    invoice = {
        "id": invoices[0].id,
        "object": "invoice",
        "status": "paid",
        "subscription": plan.stripe_subscription_id,
        "amount_paid": 2_500,
    }
    response = post_event(client, event("invoice.paid", invoice), secret=WEBHOOK_SECRET)
    assert response.status_code == 200 and response.get_json()["outcome"] == "duplicate"
    stranger = {**invoice, "id": "in_elsewhere", "subscription": "sub_elsewhere"}
    response = post_event(client, event("invoice.paid", stranger), secret=WEBHOOK_SECRET)
    assert response.get_json()["outcome"] == "ignored: unknown subscription"
    assert fund.balance(club.id) == 2_500
    requests = localstripe.requests("/v1/subscriptions")
    assert requests and all(r["idempotency_key"] for r in requests if r["method"] == "POST")


def test_the_return_page_reloaded_does_not_subscribe_twice(
    db, make_club, club_call, membership_of, localstripe
):
    club = make_club()
    member = membership_of(club, club.people[1])
    setup = club_call(savings.prepare_card_saving, club, member, 1_000)
    confirm_card(setup.id)
    first = club_call(savings.start_card_saving, club, member, setup.id)
    again = club_call(savings.start_card_saving, club, member, setup.id)
    assert first.id == again.id
    assert db.session.scalar(select(func.count(SavingsPlan.id))) == 1


def test_another_members_card_cannot_start_my_saving(
    db, make_club, club_call, membership_of, localstripe
):
    from tremplin.funding.clubs.errors import ClubError

    club = make_club()
    mine, theirs = membership_of(club, club.people[1]), membership_of(club, club.people[2])
    setup = club_call(savings.prepare_card_saving, club, theirs, 1_000)
    confirm_card(setup.id)
    with pytest.raises(ClubError):
        club_call(savings.start_card_saving, club, mine, setup.id)


def test_en_gestion_cancels_the_subscription(db, make_club, club_call, membership_of, localstripe):
    club = make_club()
    member = membership_of(club, club.people[1])
    setup = club_call(savings.prepare_card_saving, club, member, 1_000)
    confirm_card(setup.id)
    plan = club_call(savings.start_card_saving, club, member, setup.id)
    club_call(lifecycle.enter_management, club, club.people[0])
    subscription = localstripe.get(f"/v1/subscriptions/{plan.stripe_subscription_id}")
    assert subscription["status"] == "canceled"


def test_the_gerant_names_the_clubs_connect_account_and_card_savings_go_there(
    db, app, client, auth, make_club, club_call, membership_of, localstripe
):
    """localstripe does not implement Connect and refuses its parameters: the request it
    received still shows the destination, and nothing is recorded in the fund."""
    club = make_club()
    auth.login_as(club.people[0])
    page = client.get(f"/clubs/{club.id}/reglement")
    assert 'name="stripe_account_id"' in page.text
    form = {
        "name": club.name,
        "territory": club.territory,
        "quorum_percent": "50",
        "majority": "simple",
        "voting_days": "7",
        "is_secret_ballot": "y",
        "min_saving": "7,50",
        "max_saving": "450",
        "yearly_cap": "5500",
        "payment_day": "5",
    }
    refused = client.post(
        f"/clubs/{club.id}/reglement", data={**form, "stripe_account_id": "FR76 3000"}
    )
    assert refused.status_code == 400 and "commence par « acct_ »" in refused.text
    db.session.expire_all()
    assert db.session.get(type(club), club.id).stripe_account_id is None
    saved = client.post(
        f"/clubs/{club.id}/reglement", data={**form, "stripe_account_id": "acct_1Cigales"}
    )
    assert saved.status_code == 302
    db.session.expire_all()
    club = db.session.get(type(club), club.id)
    assert club.stripe_account_id == "acct_1Cigales"

    member = membership_of(club, club.people[1])
    setup = club_call(savings.prepare_card_saving, club, member, 2_500)
    confirm_card(setup.id)
    with pytest.raises(payments.ProcessorUnavailable):
        club_call(savings.start_card_saving, club, member, setup.id)
    created = [r for r in localstripe.requests("/v1/subscriptions") if r["method"] == "POST"]
    assert "transfer_data[destination]=acct_1Cigales" in created[-1]["body"]
    assert "on_behalf_of=acct_1Cigales" in created[-1]["body"]
    assert fund.balance(club.id) == 0
    assert db.session.scalar(select(func.count(SavingsPlan.id))) == 0


def test_subscription_parameters_without_and_with_a_destination():
    plain = payments.subscription_params(customer="cus_1", plan_id="plan_1", metadata={"a": "1"})
    assert "transfer_data" not in plain and "on_behalf_of" not in plain
    connected = payments.subscription_params(
        customer="cus_1", plan_id="plan_1", metadata={}, destination="acct_1"
    )
    assert connected["transfer_data"] == {"destination": "acct_1"}
    assert connected["on_behalf_of"] == "acct_1"
