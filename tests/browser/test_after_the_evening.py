"""In a real browser, an organiser runs an evening end to end — check-in, tables, a
proposal, commitments, minutes with two actions, the satisfaction survey sent — then three
attendees answer (one a visitor with no account) and the summary page and the impact
dashboard show the satisfaction and the response rate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.kit.browser import log_in

pytestmark = pytest.mark.browser


def test_an_organiser_runs_the_evening_and_reads_its_results(
    new_page,
    live_server,
    db,
    outbox,
    make_organiser,
    make_member,
    make_project,
    make_meetup,
    register,
):
    from tremplin.meetups.models import MinutesAction, SurveyResponse
    from tremplin.platform.models import Notification

    claire = make_organiser("Claire Dubois", email="claire@exemple.fr")
    karim = make_member("Karim Benali")
    project = make_project(karim, title="L’Éco-retoucherie")
    meetup = make_meetup(
        "Café Projets : l’Éco-retoucherie",
        organiser=claire,
        starts_in=timedelta(minutes=-20),
        hours=3,
        projects=[project],
    )
    awa = make_member("Awa Diallo", email="awa@exemple.fr")
    jean = make_member("Jean Morel", email="jean@exemple.fr")
    register(meetup, awa)
    register(meetup, jean)
    register(meetup, name="Léa Visiteuse", email="lea@exemple.fr")
    for name in ("Sophie Lambert", "Mamadou Keïta", "Nathalie Girard", "Paul Nguyen", "Inès"):
        register(meetup, make_member(name), checked_in=True)

    # 1. Check-in at the door
    door = new_page(viewport=(390, 844))
    door.on("dialog", lambda dialog: dialog.accept())
    log_in(door, "claire@exemple.fr")
    door.goto(f"/rencontres/{meetup.id}")
    assert "les inscriptions sont closes" in door.content()  # it has started
    door.goto(f"/rencontres/{meetup.id}/accueil")
    search = door.get_by_label("Chercher une personne")
    present = int(door.locator("[data-present]").inner_text())
    for who in ("awa", "jean", "léa"):
        search.fill(who)
        door.locator(".checkin-row:visible").first.get_by_role("button", name="Arrivé·e").click()
        present += 1
        door.wait_for_function(
            "n => document.querySelector('[data-present]').textContent === String(n)", arg=present
        )

    # 2. Tables, and a proposal noted by the organiser
    door.goto(f"/rencontres/{meetup.id}/tables")
    door.get_by_role("button", name="Former les tables").click()
    assert "Une table est formée." in door.locator(".flashes").inner_text()
    door.get_by_label("Nouvelle proposition de la table 1").fill(
        "Contacter les pressings de la rue pour une collecte hebdomadaire."
    )
    door.get_by_role("button", name="Noter").click()
    assert "Proposition notée" in door.locator(".flashes").inner_text()

    # 3. Two attendees commit support
    awa_page = new_page()
    log_in(awa_page, "awa@exemple.fr")
    jean_page = new_page()
    log_in(jean_page, "jean@exemple.fr")
    for page, kind, what, quantity in (
        (awa_page, "Compétences", "Relire le business plan.", "6"),
        (jean_page, "Local", "Prêter l’arrière-boutique le samedi.", "20"),
    ):
        page.goto(f"/rencontres/{meetup.id}")
        page.get_by_role("link", name="Proposer un soutien").click()
        page.get_by_label(kind, exact=True).check()
        page.get_by_label("Précisez").fill(what)
        page.get_by_label("Combien").fill(quantity)
        page.get_by_role("button", name="Proposer ce soutien").click()
        assert "Votre soutien est proposé" in page.locator(".flashes").inner_text()

    # 4. Minutes with two actions, attendees pre-filled from the check-in, then published
    door.goto(f"/rencontres/{meetup.id}")
    door.get_by_role("link", name="Rédiger le compte rendu").click()
    assert "Léa Visiteuse" in door.get_by_label("Présents").input_value()
    door.get_by_label("Compte rendu", exact=True).fill(
        "Karim a présenté l’atelier. **Belle** soirée."
    )
    door.get_by_label("Décisions").fill("- Organiser une collecte en janvier")
    door.locator("#actions-0-description").fill("Appeler les pressings")
    door.locator("#actions-0-owner_id").select_option(label="Awa Diallo")
    door.locator("#actions-0-due_on").fill("2027-01-15")
    door.locator("#actions-1-description").fill("Visiter le local")
    door.locator("#actions-1-owner_id").select_option(label="Jean Morel")
    door.get_by_role("button", name="Enregistrer").click()
    door.get_by_role("button", name="Publier le compte rendu").click()
    assert "Compte rendu publié" in door.locator(".flashes").inner_text()
    assert db.session.scalar(select(MinutesAction.id).where(MinutesAction.owner_id == awa.id))

    # 5. The survey is sent to the people checked in
    door.goto(f"/rencontres/{meetup.id}")
    door.get_by_role("button", name="Envoyer le questionnaire de satisfaction").click()
    assert "Questionnaire envoyé à 8 participant(s)." in door.locator(".flashes").inner_text()

    # 6. Three attendees answer: two members through the site, one visitor by e-mail
    awa_page.goto("/")
    assert "Appeler les pressings" in awa_page.locator("main").inner_text()  # her actions
    for user, page, score in ((awa, awa_page, "5"), (jean, jean_page, "4")):
        link = db.session.scalar(
            select(Notification.url).where(
                Notification.user_id == user.id, Notification.kind == "meetups_survey"
            )
        )
        page.goto(link)
        page.locator(f"input[name=satisfaction][value='{score}']").check()
        page.locator("input[name=usefulness][value='4']").check()
        page.locator("input[name=recommend][value='yes']").check()
        page.get_by_role("button", name="Envoyer ma réponse").click()
        assert "Merci pour votre réponse" in page.locator(".flashes").inner_text()
    visitor = new_page()
    visitor.goto(outbox.last_link("lea@exemple.fr", "/questionnaire/"))
    assert "anonymes" in visitor.content()
    visitor.locator("input[name=satisfaction][value='3']").check()
    visitor.locator("input[name=recommend][value='no']").check()
    visitor.get_by_label("Un mot pour les organisateurs (facultatif)").fill("Un peu long.")
    visitor.get_by_role("button", name="Envoyer ma réponse").click()
    assert "Vous avez répondu" in visitor.content()
    assert len(db.session.scalars(select(SurveyResponse)).all()) == 3

    # 7. The summary page and the impact dashboard
    door.goto(f"/rencontres/{meetup.id}")
    summary = door.locator("#bilan").inner_text()
    assert "Contacter les pressings" in summary
    assert "4,0 / 5" in summary.replace("\u00a0", " ")
    assert "taux de réponse (3 sur 8)" in summary and "38 %" in summary.replace("\u00a0", " ")
    door.screenshot(path="/tmp/h21_summary.png", full_page=True)
    assert door.evaluate("() => document.documentElement.scrollWidth") <= 390
    door.goto(f"/impact?periode=annee&annee={meetup.starts_at.year}")
    dashboard = door.locator("main").inner_text()
    assert "Participants satisfaits des rencontres (%)" in dashboard
    assert "Taux de réponse au questionnaire de satisfaction (%)" in dashboard
    for page in (door, awa_page, jean_page, visitor):
        assert page.errors == [], page.errors
        assert not [e for e in page.console_errors if "Content Security Policy" in e]
