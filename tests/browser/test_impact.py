"""In a real browser: an organiser filters the impact dashboard by group and by month, reads
the figures, and downloads them as CSV for the annual report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.kit.browser import log_in

pytestmark = pytest.mark.browser


def test_organiser_filters_by_group_and_month_then_downloads_the_csv(
    new_page, live_server, db, make_organiser, make_member, make_group, make_meetup, register
):
    claire = make_organiser("Claire Dubois", email="claire@exemple.fr")
    cuisine = make_group("Cuisine du monde", organiser=claire)
    make_group("Numérique", organiser=claire)
    march = datetime(2025, 3, 14, 18, 30, tzinfo=UTC)
    in_group = make_meetup(
        "Café Projets cuisine",
        organiser=claire,
        group=cuisine,
        starts_at=march,
        ends_at=march + timedelta(hours=2),
    )
    elsewhere = make_meetup(
        "Café Projets réseau", organiser=claire, starts_at=march, ends_at=march + timedelta(hours=2)
    )
    april = make_meetup(
        "Café Projets d’avril",
        organiser=claire,
        group=cuisine,
        starts_at=march + timedelta(days=30),
        ends_at=march + timedelta(days=30, hours=2),
    )
    register(in_group, make_member("Awa"), guests=1, checked_in=True)
    register(in_group, name="Vera", email="vera@exemple.fr", checked_in=True)
    for _ in range(3):
        register(elsewhere, make_member(), checked_in=True)
    register(april, make_member(), checked_in=True)

    page = new_page()
    log_in(page, "claire@exemple.fr")

    page.goto("/impact")
    page.get_by_label("Période", exact=True).select_option("mois")
    assert (
        page.get_by_label("Mois", exact=True).is_visible()
        and not page.get_by_label("Trimestre", exact=True).is_visible()
    )
    page.get_by_label("Mois", exact=True).fill("2025-03")
    page.get_by_label("Groupe", exact=True).select_option(label="Cuisine du monde")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(f"**/impact?*groupe={cuisine.id}*")
    assert "mars 2025" in page.locator(".page-header").inner_text()
    card = page.locator(".indicator", has_text="Participations aux rencontres")
    assert card.locator(".indicator__value").inner_text() == "3"  # Awa, her guest, Vera

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exporter les indicateurs (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "tremplin-impact-2025-03-01-2025-04-01.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read()), delimiter=";"))
    assert rows[0][:4] == ["Indicateur", "Définition", "Période", "Valeur"]
    by_label = {row[0]: row for row in rows[1:]}
    participations = by_label["Participations aux rencontres"]
    assert participations[2] == "mars 2025"
    assert participations[3] == "3" and participations[5] == "0"  # February: nothing
    assert by_label["Personnes différentes venues"][3] == "2"
    assert by_label["Rencontres organisées"][3] == "1"  # the other group's evening is not counted
