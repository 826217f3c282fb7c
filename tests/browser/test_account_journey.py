"""In a real browser: register → confirm by e-mail link (which logs the member in and
invites them to complete their profile) → log out → log in → log out."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_register_confirm_login_logout(page, live_server, outbox):
    page.goto("/")
    page.get_by_role("link", name="Rejoindre le réseau").first.click()
    page.get_by_label("Nom affiché").fill("Nadia Ferhat")
    page.get_by_label("Adresse e-mail").fill("nadia@exemple.fr")
    page.get_by_label("Mot de passe").fill("court")
    page.get_by_label("J’accepte les conditions d’utilisation").check()
    page.get_by_role("button", name="Créer mon compte").click()
    # The error sits next to the field and what was typed is kept.
    assert "au moins 12 caractères" in page.locator("#password-error").inner_text()
    assert page.get_by_label("Adresse e-mail").input_value() == "nadia@exemple.fr"

    page.get_by_label("Mot de passe").fill("la marmite bout sous le tilleul")
    page.get_by_label("J’accepte les conditions d’utilisation").check()
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url("**/verifiez-vos-emails")
    assert "Vérifiez vos e-mails" in page.locator("h1").inner_text()

    page.goto(outbox.last_link("nadia@exemple.fr", "/confirmer/"))
    page.wait_for_url("**/bienvenue")
    assert "Votre adresse e-mail est confirmée" in page.locator(".flashes").inner_text()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(live_server.url + "/")

    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill("nadia@exemple.fr")
    page.get_by_label("Mot de passe").fill("la marmite bout sous le tilleul")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/")
    assert "Bonjour Nadia Ferhat" in page.locator("h1").inner_text()
    page.wait_for_selector("body[data-socket='connected']")  # the live socket is up

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(live_server.url + "/")
    assert "Vous êtes déconnecté" in page.locator(".flashes").inner_text()
    assert page.get_by_role("link", name="Se connecter").first.is_visible()
    assert page.errors == []


def test_mobile_navigation_opens_with_the_menu_button(new_page):
    page = new_page(viewport=(360, 740))
    page.goto("/")
    nav = page.locator("#site-nav")
    assert not nav.is_visible()
    page.get_by_role("button", name="Menu").click()
    assert nav.is_visible()
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
