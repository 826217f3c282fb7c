"""Stripe Connect onboarding (localstripe has no Connect): tested at the boundary of
payments.py — the requests the `stripe` library would send, recorded by a stub of its HTTP
client (not of our code) — and by the rule of the campaign's state machine: card mode only
with a connected account Stripe lets take charges, promise mode otherwise."""

from __future__ import annotations

import pytest

from tremplin.funding import campaigns, project_settings
from tremplin.funding.models import ProjectFundingSettings

pytestmark = pytest.mark.offline_stripe


def test_the_onboarding_link_creates_the_account_once_and_sends_the_team_to_stripe(
    app, client, auth, db, make_campaign, recording
):
    draft = make_campaign(status="draft")
    project = draft.project
    auth.login_as(project.owner)
    page = client.get(f"/projets/{project.id}/collectes/reglages")
    assert 'data-charges="0"' in page.text and "Créer mon compte Stripe" in page.text
    response = client.post(f"/projets/{project.id}/collectes/reglages/stripe")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://connect.stripe.com/setup/e/acct_1Tremplin/xyz"
    (create, link) = recording.calls
    assert create[:2] == ("POST", "/v1/accounts")
    assert create[2]["Idempotency-Key"] == f"tremplin-connect-project-{project.id}"
    assert create[3]["type"] == ["express"] and create[3]["country"] == ["FR"]
    assert create[3]["capabilities[card_payments][requested]"] == ["true"]
    assert create[3]["capabilities[transfers][requested]"] == ["true"]
    assert create[3]["metadata[tremplin_project]"] == [str(project.id)]
    assert link[:2] == ("POST", "/v1/account_links")
    assert link[3]["account"] == ["acct_1Tremplin"]
    assert link[3]["type"] == ["account_onboarding"]
    assert link[3]["return_url"][0].endswith(
        f"/projets/{project.id}/collectes/reglages/stripe/retour"
    )
    assert link[3]["refresh_url"][0].endswith(
        f"/projets/{project.id}/collectes/reglages/stripe/relancer"
    )
    settings = db.session.get(ProjectFundingSettings, project.id)
    db.session.refresh(settings)
    assert (settings.stripe_account_id, settings.stripe_charges_enabled) == (
        "acct_1Tremplin",
        False,
    )
    # the link expired: a fresh one, and never a second account
    recording.calls.clear()
    again = client.get(f"/projets/{project.id}/collectes/reglages/stripe/relancer")
    assert again.status_code == 303
    assert [c[:2] for c in recording.calls] == [("POST", "/v1/account_links")]
    # back from Stripe before the account is ready: still promise mode
    recording.calls.clear()
    back = client.get(f"/projets/{project.id}/collectes/reglages/stripe/retour")
    assert back.status_code == 302
    assert [c[:2] for c in recording.calls] == [("GET", "/v1/accounts/acct_1Tremplin")]
    db.session.refresh(settings)
    assert settings.stripe_charges_enabled is False
    # Stripe has enabled charges: the return stores it
    recording.charges_enabled = True
    client.get(f"/projets/{project.id}/collectes/reglages/stripe/retour")
    db.session.refresh(settings)
    assert settings.stripe_charges_enabled is True
    assert 'data-charges="1"' in client.get(f"/projets/{project.id}/collectes/reglages").text


def test_only_the_team_starts_the_onboarding(client, auth, make_campaign, make_member, recording):
    draft = make_campaign(status="draft")
    auth.login_as(make_member("Intrus"))
    response = client.post(f"/projets/{draft.project_id}/collectes/reglages/stripe")
    assert response.status_code == 403
    assert recording.calls == []


@pytest.mark.parametrize(
    ("account", "charges", "intermediary", "mode"),
    [
        (None, False, False, "promise"),
        ("acct_projet", False, False, "promise"),  # onboarding not finished
        ("acct_projet", True, False, "stripe"),
        (None, False, True, "stripe"),  # a registered intermediary
    ],
)
def test_card_mode_needs_a_connected_account_with_charges_enabled(
    app, db, make_campaign, account, charges, intermediary, mode
):
    app.config["FUNDING_PLATFORM_IS_INTERMEDIARY"] = intermediary
    draft = make_campaign(status="draft")
    settings = db.session.get(ProjectFundingSettings, draft.project_id)
    settings.stripe_account_id, settings.stripe_charges_enabled = account, charges
    opened = campaigns.open_campaign(draft, draft.project.owner)
    assert opened.mode == mode


def test_changing_the_account_by_hand_waits_for_stripe_again(db, make_campaign):
    draft = make_campaign(status="draft")
    settings = db.session.get(ProjectFundingSettings, draft.project_id)
    settings.stripe_account_id, settings.stripe_charges_enabled = "acct_old", True
    project_settings.update_settings(
        draft.project, draft.project.owner, stripe_account_id="acct_new"
    )
    assert settings.stripe_charges_enabled is False


def test_the_account_updated_webhook_follows_stripe(app, db, make_campaign):
    from tests.funding.conftest import event
    from tremplin.funding import webhooks

    draft = make_campaign(status="draft")
    settings = db.session.get(ProjectFundingSettings, draft.project_id)
    settings.stripe_account_id = "acct_hook"
    db.session.commit()
    outcome = webhooks.handle_event(
        event("account.updated", {"id": "acct_hook", "object": "account", "charges_enabled": True})
    )
    db.session.commit()
    assert "applied" in outcome
    db.session.refresh(settings)
    assert settings.stripe_charges_enabled is True
