"""In a real browser: type in the navigation box, pick a result with the keyboard, land on
its page; and the results page with its filters."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def projects(db, make_member, make_project, make_need):
    awa = make_member("Awa Diallo")
    soap = make_project(
        awa,
        title="Savonnerie cosmétique",
        theme="cosmetique",
        pitch="Des savons à froid, faits main.",
    )
    oven = make_project(awa, title="Four à pain solaire", theme="environnement")
    need = make_need(soap, title="Un local pour la savonnerie")
    return {"soap": soap, "oven": oven, "need": need}


def test_keyboard_pick_in_the_navigation_box(page, live_server, projects):
    page.goto("/")
    box = page.get_by_role("combobox", name="Rechercher sur Tremplin")
    box.press_sequentially("cosmetiq", delay=40)  # no accent, unfinished: still found
    listbox = page.get_by_role("listbox", name="Résultats proposés")
    listbox.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    options = listbox.get_by_role("option")
    assert "Savonnerie cosmétique" in options.first.inner_text()
    assert "Projet" in options.first.text_content()
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "nav-search-option-0"
    assert options.first.get_attribute("aria-selected") == "true"
    box.press("Enter")
    page.wait_for_url(f"**/projets/{projects['soap'].id}")
    assert "Savonnerie cosmétique" in page.locator("h1").inner_text()
    assert page.errors == []


def test_escape_closes_and_enter_opens_the_results_page(page, live_server, projects):
    page.goto("/")
    box = page.get_by_role("combobox", name="Rechercher sur Tremplin")
    box.fill("savonnerie")
    listbox = page.locator("#nav-search-listbox")
    listbox.wait_for()
    # Up from the top wraps to the last option: "see all results".
    box.press("ArrowDown")
    box.press("ArrowUp")
    assert "Voir tous les résultats" in page.locator("[aria-selected=true]").inner_text()
    box.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    assert box.input_value() == "savonnerie"
    box.press("Enter")
    page.wait_for_url("**/recherche?q=savonnerie")
    assert "2 résultats" in page.locator(".search-status").inner_text()
    # Filter by type, then clear.
    page.locator(".search-facets").get_by_role("link", name="Besoins").click()
    page.wait_for_url("**type=need**")
    assert page.locator(".search-hit").count() == 1
    page.get_by_role("link", name="Effacer les filtres").click()
    assert page.locator(".search-hit").count() == 2
    assert page.errors == []


def test_search_on_a_phone(new_page, live_server, projects):
    page = new_page(viewport=(360, 740))
    page.goto("/")
    page.get_by_role("button", name="Menu").click()
    box = page.get_by_role("combobox", name="Rechercher sur Tremplin")
    box.fill("four")
    option = page.get_by_role("option").first
    option.wait_for()
    assert option.bounding_box()["width"] <= 360
    option.click()
    page.wait_for_url(f"**/projets/{projects['oven'].id}")
    assert page.errors == []
