"""The boundary of payments.py, for what localstripe does not implement: Stripe Connect
destination charges (transfer_data, on_behalf_of, application fee, reversed transfers on
refund) and idempotency keys. The real `stripe` client sends real HTTP requests to a small
recording server; the test reads what went over the wire."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tremplin.funding import charging, payments
from tremplin.funding.cli import close_ended
from tremplin.funding.models import ProjectFundingSettings

CANNED = {
    "/v1/payment_intents": {
        "id": "pi_rec",
        "object": "payment_intent",
        "status": "requires_capture",
        "amount": 5_000,
        "currency": "eur",
        "metadata": {},
        "latest_charge": "ch_rec",
    },
    "/v1/refunds": {
        "id": "re_rec",
        "object": "refund",
        "status": "succeeded",
        "amount": 1_000,
        "payment_intent": "pi_rec",
        "metadata": {},
    },
}


class Recorder:
    def __init__(self):
        self.requests: list[dict] = []
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.requests.append(
            {
                "path": request.path,
                "form": request.form.to_dict(),
                "idempotency_key": request.headers.get("Idempotency-Key"),
            }
        )
        body = CANNED.get(request.path, {"error": {"message": "unknown"}})
        status = 200 if request.path in CANNED else 404
        return Response(json.dumps(body), status=status, content_type="application/json")(
            environ, start_response
        )


@pytest.fixture
def recorder(app):
    server = Recorder()
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_recorder",
        STRIPE_API_BASE=server.url,
        STRIPE_MAX_NETWORK_RETRIES=0,
    )
    yield server
    server.server.shutdown()


def test_destination_charge_sends_the_money_to_the_projects_account(recorder):
    intent = payments.authorize(
        amount_cents=5_000,
        payment=payments.PaymentRef(
            customer="cus_1",
            payment_method="pm_1",
            destination="acct_project",
            application_fee_cents=125,
        ),
        key="tremplin-pledge-tok-charge-1",
        metadata={"tremplin_pledge": "7"},
    )
    assert intent.id == "pi_rec" and intent.status == payments.AUTHORIZED
    sent = recorder.requests[-1]
    assert sent["idempotency_key"] == "tremplin-pledge-tok-charge-1"
    form = sent["form"]
    assert form["transfer_data[destination]"] == "acct_project"
    assert form["on_behalf_of"] == "acct_project"
    assert form["application_fee_amount"] == "125"
    assert (form["amount"], form["currency"], form["capture_method"]) == ("5000", "eur", "manual")
    assert (form["confirm"], form["off_session"]) == ("true", "true")
    assert form["metadata[tremplin_pledge]"] == "7"


def test_without_connect_no_transfer_is_asked(recorder):
    payments.authorize(
        amount_cents=5_000,
        payment=payments.PaymentRef(customer="cus_1", payment_method="pm_1"),
        key="k-1",
        metadata={},
    )
    form = recorder.requests[-1]["form"]
    assert not any(
        name.startswith(("transfer_data", "on_behalf_of", "application_fee")) for name in form
    )


def test_refund_of_a_destination_charge_reverses_the_transfer(recorder):
    info = payments.refund(
        "pi_rec",
        1_000,
        key="tremplin-refund-tok",
        metadata={"tremplin_refund": "tok"},
        connected=True,
    )
    assert info.id == "re_rec"
    sent = recorder.requests[-1]
    assert sent["idempotency_key"] == "tremplin-refund-tok"
    assert sent["form"]["reverse_transfer"] == "true" and sent["form"]["amount"] == "1000"


def test_amounts_must_be_positive_whole_cents():
    for bad in (0, -1, 10.5, "100", True):
        with pytest.raises(ValueError):
            payments.payment_intent_params(
                amount_cents=bad,
                payment=payments.PaymentRef(customer="c", payment_method="p"),
                metadata={},
            )


def test_platform_fee_in_basis_points(app):
    app.config["FUNDING_PLATFORM_FEE_BPS"] = 250
    assert charging._platform_fee(10_000, "acct_x") == 250
    assert charging._platform_fee(10_000, None) is None


def test_processor_down_is_a_clear_error_and_writes_nothing(
    client, auth, db, app_config, make_campaign, make_member
):
    campaign = make_campaign()
    # from now on Stripe is configured but does not answer
    client.application.config.update(
        STRIPE_SECRET_KEY="sk_test_down",
        STRIPE_API_BASE="http://127.0.0.1:9",
        STRIPE_MAX_NETWORK_RETRIES=0,
        STRIPE_TIMEOUT=2,
    )
    campaign.mode = "stripe"
    db.session.commit()
    backer = auth.login_as(make_member())
    client.post(f"/collectes/{campaign.id}/soutenir", data={"amount": "25", "understood": "y"})
    from sqlalchemy import select

    from tremplin.funding.models import Pledge, StripeCustomer

    pledge = db.session.scalar(select(Pledge).where(Pledge.backer_id == backer.id))
    response = client.get(f"/collectes/promesses/{pledge.id}/carte", follow_redirects=True)
    assert "ne répond pas" in response.text
    assert db.session.scalar(select(StripeCustomer)) is None


@pytest.mark.stripe
def test_connect_parameters_in_a_real_charge_run(
    app, db, make_campaign, make_member, make_pledge, end_campaign, localstripe
):
    """localstripe refuses Connect parameters; the request it received still shows them, and
    the pledge stays due (nothing charged, retried by the next run)."""
    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, make_member(), amount=5_000)
    db.session.get(ProjectFundingSettings, campaign.project_id).stripe_account_id = "acct_project"
    db.session.commit()
    end_campaign(campaign)
    report = close_ended()["report"]
    assert report.errors == [(pledge.id, "processor unavailable")]
    created = [
        r
        for r in localstripe.requests()
        if r["path"] == "/v1/payment_intents" and r["method"] == "POST"
    ]
    assert "transfer_data[destination]=acct_project" in created[-1]["body"]
    db.session.refresh(pledge)
    assert pledge.status == "due" and pledge.collected_cents == 0
    assert Counter(pi["status"] for pi in localstripe.payment_intents())["succeeded"] == 0
