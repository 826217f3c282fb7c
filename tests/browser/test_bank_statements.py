"""In a real browser: the campaign's treasurer goes from the management page to the bank
statements, uploads the bank's OFX file, sees the proposed matches as cards (a phone's
width: nothing wider than the screen), confirms them all in one click, and the promises
are collected."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.browser.test_funding import log_in
from tests.kit import bank_files
from tremplin.funding.models import Pledge

pytestmark = pytest.mark.browser


def test_treasurer_uploads_a_statement_and_confirms_the_matches(
    new_page, live_server, db, make_member, make_project, make_campaign, make_pledge
):
    owner = make_member("Awa Diallo", email="awa@exemple.fr")
    campaign = make_campaign(make_project(owner), goal=50_000, rule="keep", title="Atelier vélo")
    jean = make_pledge(campaign, make_member("Jean Morel"), amount=4_000)
    lina = make_pledge(campaign, make_member("Lina Haddad"), amount=2_500)
    day = date.today() - timedelta(days=2)
    statement = bank_files.ofx_sgml(
        [
            (day, "40.00", f"VIR SEPA JEAN MOREL {jean.reference}", "B1"),
            (day, "25.00", "VIR SEPA L HADDAD", "B2"),
            (day, "-3.50", "FRAIS", "B3"),
        ]
    )
    page = new_page(viewport=(390, 844))
    log_in(page, "awa@exemple.fr")
    page.goto(f"/collectes/{campaign.id}/gestion")
    page.get_by_role("link", name="Relevés bancaires").click()
    page.wait_for_url(re.compile(r".*/releves$"))
    # a PDF is refused with the reason next to the field
    page.get_by_label("Relevé de compte").set_input_files(
        files=[{"name": "releve.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}]
    )
    page.get_by_role("button", name="Importer le relevé").click()
    assert "Les relevés PDF ne peuvent pas être lus" in page.locator(".field__error").inner_text()
    assert page.locator(".error-summary").is_visible()
    page.get_by_label("Relevé de compte").set_input_files(
        files=[{"name": "releve.ofx", "mimeType": "application/x-ofx", "buffer": statement}]
    )
    page.get_by_role("button", name="Importer le relevé").click()
    assert "3 lignes lues, 3 nouvelles" in page.locator(".flashes").inner_text()
    cards = page.locator(".statement-line--proposed")
    assert cards.count() == 2
    assert jean.reference in cards.first.inner_text() or jean.reference in cards.nth(1).inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    page.screenshot(path="/tmp/w15a_statements_phone.png", full_page=True)
    page.get_by_role("button", name="Confirmer les 2 rapprochements proposés").click()
    assert "2 virements rapprochés" in page.locator(".flashes").inner_text()
    assert page.locator(".statement-line--done").count() == 2
    assert "Aucun virement en attente" in page.content()
    db.session.expire_all()
    assert db.session.get(Pledge, jean.id).status == "collected"
    assert db.session.get(Pledge, lina.id).status == "collected"
