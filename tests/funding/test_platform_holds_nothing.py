"""The platform never holds backers' money: with Stripe configured, a campaign takes cards
only when its project has its own connected account (the money goes there, destination
charges); without one it runs in promise mode — unless the deployment is a registered
intermediary (FUNDING_PLATFORM_IS_INTERMEDIARY)."""

from __future__ import annotations

import pytest

from tremplin.funding import campaigns, payments
from tremplin.funding.models import ProjectFundingSettings

pytestmark = pytest.mark.offline_stripe


@pytest.mark.parametrize(
    ("account", "intermediary", "mode"),
    [
        (None, False, "promise"),
        ("acct_projet", False, "stripe"),
        (None, True, "stripe"),
    ],
)
def test_cards_only_reach_the_projects_own_account(
    app, db, make_campaign, account, intermediary, mode
):
    app.config["FUNDING_PLATFORM_IS_INTERMEDIARY"] = intermediary
    draft = make_campaign(status="draft")
    settings = db.session.get(ProjectFundingSettings, draft.project_id)
    settings.stripe_account_id = account
    settings.stripe_charges_enabled = account is not None  # onboarding done (test_connect.py)
    assert payments.is_enabled()
    opened = campaigns.open_campaign(draft, draft.project.owner)
    assert opened.mode == mode


def test_a_card_payment_goes_to_the_connected_account_with_the_platform_fee_only():
    params = payments.payment_intent_params(
        amount_cents=5_000,
        payment=payments.PaymentRef(
            customer="cus_1",
            payment_method="pm_card_visa",
            destination="acct_projet",
            application_fee_cents=100,
        ),
        metadata={"tremplin_pledge": "1"},
    )
    assert params["transfer_data"] == {"destination": "acct_projet"}
    assert params["on_behalf_of"] == "acct_projet"
    assert params["application_fee_amount"] == 100
    assert params["capture_method"] == "manual"
