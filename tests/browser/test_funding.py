"""In a real browser: pledging in promise mode, and in Stripe mode with the test Stripe.js
that localstripe serves (card saved with a SetupIntent; a 3-D Secure payment confirmed)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.kit.browser import log_in
from tests.kit.factories_funding import CARD_3DS_REQUIRED
from tremplin.funding.cli import close_ended
from tremplin.funding.models import Pledge

pytestmark = pytest.mark.browser


def test_backer_pledges_a_promise_and_sees_it_counted(
    new_page, live_server, db, make_member, make_project, make_campaign, make_pledge
):
    owner = make_member("Awa Diallo", email="awa@exemple.fr")
    project = make_project(owner, title="Maison de Cosm’éthique")
    campaign = make_campaign(
        project,
        goal=80_000,
        title="Ouvrir la boutique-atelier",
        rewards=[("Un baume à lèvres", 2_000, None), ("Un atelier savon", 6_000, 12)],
    )
    make_pledge(campaign, make_member("Jean-Pierre Morel"), amount=50_000)
    make_member("Nathalie Girard", email="nathalie@exemple.fr")
    page = new_page()
    log_in(page, "nathalie@exemple.fr")
    page.goto("/collectes")
    page.get_by_role("link", name="Ouvrir la boutique-atelier").click()
    assert "500" in page.locator(".funding-box__raised").inner_text()
    page.get_by_role("link", name="Soutenir ce projet").click()
    page.get_by_label("Montant de votre promesse (€)").fill("65")
    page.get_by_label(re.compile("Un atelier savon")).check()
    page.get_by_label("Ne pas afficher le montant de ma promesse").check()
    page.get_by_role("button", name="Je fais cette promesse").click()
    # the legal notice must be acknowledged: the form says so and keeps what was typed
    assert "Cochez cette case" in page.locator(".field__error").first.inner_text()
    assert page.get_by_label("Montant de votre promesse (€)").input_value() == "65"
    page.get_by_label(re.compile("J'ai compris")).check()
    page.get_by_role("button", name="Je fais cette promesse").click()
    page.wait_for_url(re.compile(r".*/collectes/promesses/\d+$"))
    assert "Votre promesse est enregistrée" in page.locator(".flashes").inner_text()
    assert "Votre promesse compte" in page.content()
    page.get_by_role("link", name="Ouvrir la boutique-atelier").click()
    assert "565" in page.locator(".funding-box__raised").inner_text()
    assert "Nathalie Girard" in page.locator(".backer-list").inner_text()
    # a visitor sees the backer but not the hidden amount
    visitor = new_page(viewport=(390, 844))
    visitor.goto(f"/collectes/{campaign.id}")
    backers = visitor.locator(".backer-list").inner_text()
    assert "Nathalie Girard" in backers and "65" not in backers and "montant discret" in backers
    width = visitor.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no horizontal scrolling on a phone"
    assert page.errors == [] and visitor.errors == []


@pytest.mark.stripe
def test_backer_saves_a_card_with_stripe_js_then_confirms_a_3d_secure_payment(
    new_page,
    live_server,
    db,
    make_member,
    make_project,
    make_campaign,
    end_campaign,
    localstripe,
    outbox,
):
    owner = make_member("Karim Benali")
    campaign = make_campaign(
        make_project(owner, title="L’Éco-retoucherie"),
        goal=4_000,
        title="Une machine à coudre industrielle",
    )
    assert campaign.mode == "stripe"
    backer = make_member("Sophie Lambert", email="sophie@exemple.fr")
    page = new_page()
    log_in(page, "sophie@exemple.fr")
    page.goto(f"/collectes/{campaign.id}")
    page.get_by_role("link", name="Soutenir ce projet").click()
    page.get_by_label("Montant de votre promesse (€)").fill("40")
    page.get_by_label(re.compile("J'ai compris")).check()
    page.get_by_role("button", name="Continuer vers la carte").click()
    page.wait_for_url(re.compile(r".*/carte$"))
    # localstripe's Stripe.js draws a card form (number, month, year, CVC, postal code)
    page.wait_for_selector("#payment-element[data-ready='1'] input")
    page.get_by_placeholder("number").fill(CARD_3DS_REQUIRED)
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("34")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("75011")
    page.get_by_role("button", name="Enregistrer ma carte").click()
    # the bank's check when saving the card (test Stripe.js shows a dialog)
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url(re.compile(r".*/collectes/promesses/\d+$"))
    assert "carte est enregistrée" in page.locator(".flashes").inner_text()
    pledge = db.session.scalar(select(Pledge).where(Pledge.backer_id == backer.id))
    assert pledge.status == "active" and pledge.payment_method_id.startswith("pm_")

    # the campaign succeeds; this card wants 3-D Secure for the payment too
    end_campaign(campaign)
    close_ended()
    db.session.refresh(pledge)
    assert pledge.status == "requires_action"
    link = outbox.last_link("sophie@exemple.fr", "/confirmer/")
    page.goto(link)
    page.get_by_role("button", name="Confirmer auprès de ma banque").click()
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url(re.compile(r".*/collectes/promesses/\d+$"))
    assert "paiement est confirmé" in page.locator(".flashes").inner_text()
    db.session.refresh(pledge)
    assert (pledge.status, pledge.collected_cents) == ("collected", 4_000)
    captured = [pi for pi in localstripe.payment_intents() if pi["status"] == "succeeded"]
    assert len(captured) == 1 and captured[0]["amount"] == 4_000
    assert page.errors == []
