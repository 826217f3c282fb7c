"""In a real browser, on a phone and a desktop: an administrator reads the operations page
(readiness, backups with their age, the last server errors) and the missing-backup warning."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.kit.factories import DEFAULT_PASSWORD
from tremplin.platform import backup
from tremplin.platform.types import utcnow

pytestmark = pytest.mark.browser


def test_administrator_reads_backups_and_errors(app, new_page, live_server, make_member, tmp_path):
    app.config.update(BACKUP_DIR=str(tmp_path / "backups"), BACKUP_SECRET_FILES=[])
    make_member("Bernadette Thomasset", email="bernadette@exemple.fr", site_role="admin")
    make_member(created_at=utcnow() - timedelta(days=3))
    page = new_page()
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill("bernadette@exemple.fr")
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto("/administration/exploitation")
    assert page.get_by_role("heading", name="Exploitation").is_visible()
    assert page.get_by_text("Aucune sauvegarde.").is_visible()
    assert page.get_by_text("Le site n’est pas prêt").is_visible()

    backup.create_backup(app)
    page.goto("/administration/exploitation")
    assert page.get_by_text("Tout va bien : le site est prêt.").is_visible()
    assert page.locator("td code", has_text="tremplin-").count() == 1
    # Written beside the test, not into docs/: a test run leaves the working tree clean.
    shot = tmp_path / "operations.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    phone = new_page(viewport=(390, 844))
    phone.context.add_cookies(page.context.cookies())
    phone.goto("/administration/exploitation")
    assert phone.get_by_role("heading", name="Sauvegardes").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width  # no sideways scrolling on a phone
