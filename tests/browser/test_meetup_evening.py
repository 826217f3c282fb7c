"""In a real browser, a whole Café Projets evening: a member and a visitor register, the
organiser checks people in on a phone (and adds a walk-in), splits the room into tables,
a table records a proposal, and the member commits support to the project presented."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.kit.browser import log_in

pytestmark = pytest.mark.browser


def test_a_cafe_projets_evening(
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
    from tremplin.meetups.models import (
        ProposalTable,
        Registration,
        SupportCommitment,
        TableProposal,
    )

    claire = make_organiser("Claire Dubois", email="claire@exemple.fr")
    karim = make_member("Karim Benali")
    project = make_project(
        karim,
        title="L’Éco-retoucherie",
        pitch="Retouches, upcycling et recyclage des chutes textiles.",
    )
    meetup = make_meetup(
        "Café Projets : l’Éco-retoucherie",
        organiser=claire,
        starts_in=timedelta(hours=1),
        capacity=30,
        projects=[project],
        agenda=[(15, "Accueil"), (20, "Présentation"), (20, "Tables de propositions")],
    )
    awa = make_member("Awa Diallo", email="awa@exemple.fr")
    others = [
        make_member(name)
        for name in (
            "Jean-Pierre Morel",
            "Sophie Lambert",
            "Mamadou Keïta",
            "Nathalie Girard",
            "Paul Nguyen",
        )
    ]
    for member in others:
        register(meetup, member)

    # 1. Awa registers as a member
    member_page = new_page()
    log_in(member_page, "awa@exemple.fr")
    member_page.goto(f"/rencontres/{meetup.id}")
    member_page.get_by_role("button", name="Je m’inscris").click()
    assert "vous êtes inscrit·e" in member_page.locator(".flashes").inner_text()

    # 2. A visitor registers without an account and confirms by e-mail
    visitor_page = new_page()
    visitor_page.goto(f"/rencontres/{meetup.id}")
    visitor_page.get_by_label("Votre nom").fill("Mireille Vasseur")
    visitor_page.get_by_label("Votre adresse e-mail").fill("mireille@exemple.fr")
    visitor_page.get_by_role("button", name="Je m’inscris").click()
    assert "Plus qu’un clic" in visitor_page.locator("h1").inner_text()
    visitor_page.goto(outbox.last_link("mireille@exemple.fr", "/rencontres/inscription/confirmer/"))
    assert "Votre inscription est confirmée." in visitor_page.content()

    # 3. The organiser checks people in on a phone
    door = new_page(viewport=(390, 844))
    log_in(door, "claire@exemple.fr")
    door.goto(f"/rencontres/{meetup.id}/accueil")
    search = door.get_by_label("Chercher une personne")
    search.fill("awa")
    rows = door.locator(".checkin-row:visible")
    assert rows.count() == 1
    rows.first.get_by_role("button", name="Arrivé·e").click()
    door.wait_for_selector(
        f"#r{db.session.scalar(select(Registration.id).where(Registration.user_id == awa.id))}.is-in"
    )
    assert "Awa Diallo est arrivé·e." in door.locator("[data-checkin-status]").inner_text()
    assert door.locator("[data-present]").inner_text() == "1"
    present = 1
    for name in (
        "Mireille Vasseur",
        "Jean-Pierre Morel",
        "Sophie Lambert",
        "Mamadou Keïta",
        "Nathalie Girard",
        "Paul Nguyen",
    ):
        search.fill(name.split()[0].lower())
        door.locator(".checkin-row:visible").first.get_by_role("button", name="Arrivé·e").click()
        present += 1
        door.wait_for_function(
            "n => document.querySelector('[data-present]').textContent === String(n)", arg=present
        )
    # someone came without registering: the search finds nobody and offers the walk-in form
    search.fill("Nadia Benslimane")
    assert door.locator("[data-checkin-none]").is_visible()
    assert door.locator("[data-walk-in] input[name=name]").input_value() == "Nadia Benslimane"
    door.get_by_role("button", name="Ajouter et pointer").click()
    assert "ajouté·e sur place" in door.locator(".flashes").inner_text()

    # 4. Tables of 6 to 8
    door.goto(f"/rencontres/{meetup.id}/tables")
    door.get_by_role("button", name="Former les tables").click()
    assert "Une table est formée." in door.locator(".flashes").inner_text()
    assert door.locator(".proposal-table .seat").count() == 8
    door.get_by_role("button", name="Lancer le minuteur").click()
    door.wait_for_selector(".timer.timer--running")
    assert (
        door.locator("[data-timer-value]").inner_text().startswith("19:")
        or door.locator("[data-timer-value]").inner_text() == "20:00"
    )

    # 5. Awa, seated at the table, records a proposal for the project
    member_page.goto(f"/rencontres/{meetup.id}/tables")
    member_page.get_by_label("Nouvelle proposition de la table 1").fill(
        "Contacter les pressings de la rue pour une collecte hebdomadaire."
    )
    member_page.get_by_role("button", name="Noter").click()
    assert "Proposition notée pour la table 1." in member_page.locator(".flashes").inner_text()

    # 6. …and commits support to the project presented
    member_page.goto(f"/rencontres/{meetup.id}")
    member_page.get_by_role("link", name="Proposer un soutien").click()
    member_page.get_by_label("Compétences").check()
    member_page.get_by_label("Précisez").fill(
        "Relire le business plan avant le rendez-vous bancaire."
    )
    member_page.get_by_label("Combien").fill("6")
    member_page.get_by_role("button", name="Proposer ce soutien").click()
    assert "Votre soutien est proposé" in member_page.locator(".flashes").inner_text()

    # what the evening produced, as the organiser sees it
    door.goto(f"/rencontres/{meetup.id}")
    assert "1 sur 8 participants ont proposé un soutien" in door.content()
    assert "12\u00a0%" in door.locator(".rate-badge").inner_text()
    assert db.session.scalar(select(TableProposal)).project_id == project.id
    commitment = db.session.scalar(select(SupportCommitment))
    assert (commitment.kind, commitment.quantity, commitment.meetup_id) == ("skills", 6, meetup.id)
    assert len(db.session.scalars(select(ProposalTable)).all()) == 1
    for p in (member_page, visitor_page, door):
        assert p.errors == [], p.errors
        assert not [e for e in p.console_errors if "Content Security Policy" in e], p.console_errors


def test_check_in_page_works_on_a_phone_without_horizontal_scroll(
    new_page, live_server, make_organiser, make_member, make_meetup, register
):
    claire = make_organiser("Claire Dubois", email="claire@exemple.fr")
    meetup = make_meetup(organiser=claire, starts_in=timedelta(minutes=30))
    for i in range(12):
        register(meetup, make_member(f"Participante avec un nom assez long {i}"), guests=i % 3)
    page = new_page(viewport=(360, 740))
    log_in(page, "claire@exemple.fr")
    page.goto(f"/rencontres/{meetup.id}/accueil")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360
    button = page.locator(".checkin-row__button").first.bounding_box()
    assert button["height"] >= 44  # a thumb-sized target
