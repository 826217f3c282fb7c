"""Funding factories: campaigns (through the real services, so the payment mode follows the
app's configuration), pledges, saved cards (against localstripe), and the clock jump that
ends a campaign."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tremplin.funding import campaigns as campaign_services
from tremplin.funding import pledges as pledge_services
from tremplin.funding.models import Campaign, ProjectFundingSettings
from tremplin.platform.extensions import db as _db
from tremplin.platform.types import utcnow

IBAN = "FR7630006000011234567890189"


@pytest.fixture
def make_campaign(app, make_member, make_project):
    """make_campaign(project=None, goal=100_000, rule="all_or_nothing", threshold=None,
    status="open", rewards=[(title, min_cents, quantity)], general_interest=False)."""

    def make(
        project=None,
        *,
        goal: int = 100_000,
        rule: str = "all_or_nothing",
        threshold: int | None = None,
        status: str = "open",
        rewards=(),
        general_interest: bool = False,
        days: int = 30,
        title: str | None = None,
    ) -> Campaign:
        if project is None:
            project = make_project(make_member("Porteuse"))
        owner = project.owner
        settings = _db.session.get(ProjectFundingSettings, project.id)
        if settings is None:
            settings = ProjectFundingSettings(project_id=project.id)
            _db.session.add(settings)
        settings.account_holder, settings.iban, settings.bic = "Association Test", IBAN, "AGRIFRPP"
        if general_interest:
            settings.is_general_interest = True
            settings.organisation_name = "Association Test"
            settings.organisation_address = "1 rue de la Paix, 75002 Paris"
            settings.organisation_object = "Entraide"
            settings.organisation_kind = "oeuvre_interet_general"
        campaign = campaign_services.create_campaign(
            project,
            owner,
            campaign_services.CampaignFields(
                title=title or f"Collecte pour {project.title}",
                summary="Pour équiper l'atelier.",
                description="Une **belle** collecte.",
                goal_cents=goal,
                rule=rule,
                threshold_cents=threshold,
                deadline=(utcnow() + timedelta(days=days)).date(),
            ),
        )
        for reward_title, min_cents, quantity in rewards:
            campaign_services.add_reward(
                campaign,
                owner,
                campaign_services.RewardFields(
                    title=reward_title,
                    description=None,
                    min_amount_cents=min_cents,
                    quantity=quantity,
                ),
            )
        if status == "open":
            campaign_services.open_campaign(campaign, owner)
        _db.session.commit()
        return campaign

    return make


@pytest.fixture
def make_pledge(app, make_member):
    """make_pledge(campaign, backer=None, amount=5_000, card="pm_card_visa" (Stripe mode))."""

    def make(
        campaign, backer=None, *, amount: int = 5_000, card: str | None = "pm_card_visa", **fields
    ):
        backer = backer or make_member()
        choices = pledge_services.PledgeChoices(**fields) if fields else None
        pledge = pledge_services.pledge(campaign, backer, amount_cents=amount, choices=choices)
        _db.session.commit()
        if pledge.status == "pending" and card:
            save_card(pledge, backer, card)
        return pledge

    return make


def save_card(pledge, backer, card: str = "pm_card_visa", *, authenticate: bool = True):
    """What Stripe.js does on the card page: confirm the pledge's SetupIntent with a card
    (a test PaymentMethod id, or a test card number) at localstripe; then the return
    page's fulfilment."""
    from tremplin.funding import payments

    setup = pledge_services.prepare_card(pledge, backer)
    _db.session.commit()
    api = payments.client().v1.setup_intents
    if card.startswith("pm_"):
        result = api.confirm(setup.id, {"payment_method": card})
    else:
        result = api.confirm(
            setup.id,
            {
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": card, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
                }
            },
        )
    if result.status == "requires_action" and authenticate:
        api.confirm(setup.id, {})  # the bank's check, passed
    outcome = pledge_services.fulfil_setup(pledge)
    _db.session.commit()
    return outcome


@pytest.fixture
def end_campaign(app):
    """end_campaign(campaign): its deadline passes (moved to a minute ago)."""

    def end(campaign):
        campaign.deadline_at = utcnow() - timedelta(minutes=1)
        _db.session.commit()
        return campaign

    return end


# Declined and 3-D Secure test cards (localstripe knows the same numbers as Stripe).
CARD_DECLINED_ON_CHARGE = "pm_card_chargeCustomerFail"  # saved fine, every charge declined
CARD_3DS_REQUIRED = "4000002760003184"  # "always authenticate": on setup and on every payment
