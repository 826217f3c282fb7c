"""In a real browser: a porteur presents a project and a need; another member offers help;
the porteur accepts; both now see each other's contact details (*mise en relation*)."""

from __future__ import annotations

import re

import pytest

from tests.kit.browser import log_in

pytestmark = pytest.mark.browser


def test_project_need_offer_acceptance_and_mise_en_relation(
    new_page, live_server, db, make_member, make_profile
):
    awa = make_member("Awa Diallo", email="awa@exemple.fr")
    jean = make_member("Jean-Pierre Morel", email="jean@exemple.fr")
    make_profile(awa, phone="01 99 00 11 11", visibility={"phone": "members"})
    make_profile(jean, phone="01 99 00 22 22", visibility={"phone": "members"})
    porteur, helper = new_page(), new_page()

    # Awa presents her project, then says what it needs.
    log_in(porteur, "awa@exemple.fr")
    porteur.get_by_role("link", name="Projets", exact=True).first.click()
    porteur.get_by_role("link", name="Présenter un projet").click()
    porteur.get_by_label("Nom du projet").fill("Maison de Cosm’éthique")
    porteur.get_by_label("Le projet en une phrase").fill(
        "Une boutique-atelier de cosmétiques bio, fabriqués par un collectif de femmes."
    )
    porteur.get_by_label("Thème").select_option("cosmetique")
    porteur.get_by_label("Étape").select_option("emergence")
    porteur.get_by_role("button", name="Publier le projet").click()
    porteur.wait_for_url(re.compile(r".*/projets/\d+$"))
    assert "Maison de Cosm’éthique" in porteur.locator("h1").inner_text()

    porteur.get_by_role("link", name="Ajouter un besoin").first.click()
    porteur.get_by_label("Type de besoin").select_option("financement")
    porteur.get_by_label("Intitulé").fill("Le matériel de fabrication")
    porteur.get_by_label("Quantité (facultatif)").fill("8000")
    porteur.get_by_label("Unité").select_option("eur")
    porteur.get_by_role("button", name="Publier le besoin").click()
    porteur.wait_for_url(re.compile(r".*/besoins/\d+$"))
    need_url = porteur.url

    # Jean-Pierre finds the need and offers help: no contact details yet.
    log_in(helper, "jean@exemple.fr")
    helper.goto("/projets")
    helper.get_by_role("link", name="Maison de Cosm’éthique").click()
    helper.get_by_role("link", name="Proposer mon aide").click()
    helper.get_by_label("Ce que vous proposez").fill(
        "Je peux relire votre plan de financement et vous présenter à notre club Cigales."
    )
    helper.get_by_role("button", name="Envoyer ma proposition").click()
    assert "Votre proposition est envoyée" in helper.locator(".flashes").inner_text()
    assert "En attente de réponse" in helper.content()
    assert "awa@exemple.fr" not in helper.content()

    # Awa reads it (her notification bell counts it) and accepts.
    porteur.goto(need_url)
    offer = porteur.locator(".offer").filter(has_text="Jean-Pierre Morel")
    assert "club Cigales" in offer.inner_text()
    assert "jean@exemple.fr" not in porteur.content()
    offer.get_by_role("button", name="Accepter et échanger nos coordonnées").click()
    contact = porteur.locator(".contact-card")
    contact.wait_for()
    assert "jean@exemple.fr" in contact.inner_text()
    assert "01 99 00 22 22" in contact.inner_text()

    # Jean-Pierre now sees Awa's details too.
    helper.goto(need_url)
    contact = helper.locator(".contact-card")
    assert "awa@exemple.fr" in contact.inner_text()
    assert "01 99 00 11 11" in contact.inner_text()
    assert "Acceptée" in helper.content()

    assert porteur.errors == [] and helper.errors == []


def test_skills_are_typed_as_tags_with_suggestions(
    new_page, live_server, db, make_member, make_profile
):
    make_profile(make_member("Karim"), skills=["Couture", "Comptabilité"])
    make_member("Awa Diallo", email="awa@exemple.fr")
    page = new_page(viewport=(360, 780))  # the smallest phone we support
    log_in(page, "awa@exemple.fr")
    page.goto("/profil/modifier")
    tags = page.locator(".tags-input__field")
    tags.fill("Formulation")
    tags.press("Enter")
    tags.fill("Vente en boutique")
    tags.press(",")
    assert page.locator(".tags-input__chip").count() == 2
    assert page.locator("#skill-suggestions option[value='Couture']").count() == 1
    page.get_by_role("button", name="Retirer Formulation").click()
    page.get_by_role("button", name="Enregistrer mon profil").click()
    page.wait_for_url(re.compile(r".*/membres/\d+$"))
    assert "Vente en boutique" in page.content() and "Formulation" not in page.content()
    # No horizontal scrolling at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.errors == []
