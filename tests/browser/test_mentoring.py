"""In a real browser: a porteur asks for a mentor, picks the top suggestion, the mentor
accepts and logs a session; the certificate shows the hours."""

from __future__ import annotations

import pytest

from tests.kit.browser import log_in

pytestmark = pytest.mark.browser


def test_a_porteur_finds_a_mentor_who_logs_a_session_and_gets_the_hours_certified(
    new_page, make_member, make_project, make_need, make_offer
):
    awa = make_member("Awa Diallo", email="awa@exemple.fr")
    project = make_project(
        awa, title="Maison de Cosm’éthique", theme="cosmetique", departement="93"
    )
    make_need(project, kind="financement", title="Le matériel de fabrication")
    fatou = make_member("Fatou Sow", email="fatou@exemple.fr")
    make_offer(
        fatou,
        skills=["financement", "gestion", "juridique"],
        languages=["fr", "wo"],
        departements=["93"],
        sectors=["cosmetique"],
        max_mentees=2,
    )
    jean = make_member("Jean Morel")
    make_offer(jean, skills=["gestion"], languages=["fr"], departements=["94"], max_mentees=3)

    porteur = new_page()
    log_in(porteur, "awa@exemple.fr")
    porteur.get_by_role("link", name="Parrainage").first.click()
    porteur.get_by_role("link", name="Trouver un parrain ou une marraine").first.click()
    # the select submits its form through app.js, which runs once the page has loaded: a
    # choice made before that (a busy machine) would change nothing
    porteur.wait_for_url("**/parrainage/demander")  # waits for "load"
    porteur.get_by_label("Pour quel projet ?").select_option(label="Maison de Cosm’éthique")
    porteur.wait_for_url("**projet=*")
    # the project's open needs are offered, never ticked for the porteur
    assert not porteur.get_by_label("Recherche de financements").is_checked()
    porteur.get_by_label("Recherche de financements").check()
    porteur.get_by_label("Gestion, comptabilité et trésorerie").check()
    porteur.get_by_label("Wolof").check()
    porteur.get_by_label("Vos objectifs").fill("Financer le matériel et tenir ma trésorerie.")
    porteur.get_by_role("button", name="Voir les parrains et marraines").click()
    porteur.wait_for_url("**/suggestions")

    top = porteur.locator(".mentoring-match").first
    assert "Fatou Sow" in top.locator("h2").inner_text()
    reasons = top.locator(".mentoring-reasons").inner_text()
    assert "2 de vos besoins correspondent à ses compétences" in reasons
    assert "parle wolof et français" in reasons and "même département" in reasons
    top.get_by_text("Demander à Fatou Sow").click()
    top.get_by_label("Un mot pour cette personne").fill("Bonjour Fatou, on se connaît du club !")
    top.get_by_role("button", name="Envoyer ma demande").click()
    porteur.wait_for_url("**/parrainage/demandes/*")
    assert "Votre demande est envoyée à Fatou Sow" in porteur.locator(".flashes").inner_text()

    mentor = new_page()
    log_in(mentor, "fatou@exemple.fr")
    mentor.goto("/parrainage")
    mentor.get_by_role("link", name="Awa Diallo vous demande d’être son parrain").click()
    assert "on se connaît du club" in mentor.locator("main").inner_text()
    mentor.get_by_role("button", name="Accepter").click()
    mentor.wait_for_url("**/parrainage/binomes/*")
    assert (
        "Vous formez désormais un binôme avec Awa Diallo" in mentor.locator(".flashes").inner_text()
    )

    mentor.get_by_label("Durée").fill("1 h 30")
    mentor.get_by_label("Notes (visibles par le binôme seulement)").fill(
        "Tour du plan de financement."
    )
    mentor.get_by_label("Prochaines étapes").fill("Demander deux devis.")
    mentor.get_by_role("button", name="Enregistrer la séance").click()
    mentor.wait_for_url("**#seances")
    assert "1 h 30" in mentor.locator("#total-hours").inner_text().replace("\u00a0", " ")

    mentor.get_by_role("link", name="Mon attestation").click()
    mentor.wait_for_url("**/parrainage/attestation")
    assert "1 h 30" in mentor.locator("#certificate-total").inner_text().replace("\u00a0", " ")
    assert mentor.get_by_role("button", name="Imprimer").is_visible()  # shown by mentoring.js

    porteur.goto("/")
    assert "Fatou Sow" in porteur.locator(".dashboard").inner_text()
    assert porteur.errors == [] and mentor.errors == []


def test_the_suggestions_page_fits_a_small_phone(new_page, make_member, make_offer, make_request):
    awa = make_member("Awa Diallo", email="awa@exemple.fr")
    request = make_request(awa, needs=["financement"], languages=["fr", "wo"], departement="93")
    make_offer(
        make_member("Fatou Sow"),
        skills=["financement"],
        languages=["fr", "wo"],
        departements=["93"],
    )
    page = new_page(viewport=(360, 740))
    log_in(page, "awa@exemple.fr")
    page.goto(f"/parrainage/demandes/{request.id}/suggestions")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    assert page.locator(".mentoring-match").count() == 1
