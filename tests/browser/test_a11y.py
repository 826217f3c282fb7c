"""axe-core (from npm, injected by Playwright) over the main pages, anonymous and logged
in, at desktop and phone widths: no violation of any impact is accepted.

Tags: WCAG 2.0/2.1 A and AA, WCAG 2.2 AA, and axe's best practices. One browser context
per width and visitor; pages are loaded one after the other (about a second each)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.kit.browser import log_in

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE_CANDIDATES = (
    ROOT / "node_modules" / "axe-core" / "axe.min.js",
    ROOT / "static" / "vendor" / "axe.min.js",
)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_source() -> str:
    for path in AXE_CANDIDATES:
        if path.exists():
            return path.read_text(encoding="utf-8")
    pytest.fail("axe-core is missing: npm ci (package.json lists axe-core)")


def audit(page, source: str, path: str) -> list[str]:
    response = page.goto(path)
    page.wait_for_load_state("load")
    if response is None or response.status >= 400:  # an error page would pass unnoticed
        return [f"{path} answered HTTP {response.status if response else '?'}"]
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        TAGS,
    )
    found = []
    for v in result["violations"]:
        targets = "; ".join(" ".join(n["target"]) for n in v["nodes"][:4])
        found.append(f"{path} [{v['impact']}] {v['id']}: {v['help']} → {targets}")
    return found


@pytest.fixture
def network(
    db,
    make_member,
    make_campaign,
    make_meetup,
    make_group,
    post_message,
    make_club,
    accepted_application,
):
    from sqlalchemy import select

    from tremplin.funding.clubs.models import ClubVote
    from tremplin.groups.models import Channel

    claire = make_member("Claire Dubois", email="claire@exemple.fr", site_role="admin")
    karim = make_member("Karim Benali", email="karim@exemple.fr")
    campaign = make_campaign(title="Une épicerie solidaire")
    meetup = make_meetup("Café Projets de décembre", organiser=claire, starts_in=timedelta(days=3))
    group = make_group("Cuisines solidaires", organiser=claire, members=[karim])
    channel = db.session.scalars(select(Channel).where(Channel.group_id == group.id)).first()
    post_message(karim, channel, "Bonjour à toutes et à tous !")
    club = make_club("Cigales du canal", gerant=claire, members=4)
    accepted_application(club)
    vote = db.session.scalar(select(ClubVote.id).where(ClubVote.club_id == club.id))
    return {
        "claire": claire,
        "karim": karim,
        "club": club,
        "vote": vote,
        "campaign": campaign,
        "meetup": meetup,
        "group": group,
        "channel": channel,
    }


def anonymous_pages(n) -> list[str]:
    return [
        "/",
        "/connexion",
        "/inscription",
        "/aide",
        "/charte",
        "/cookies",
        "/collectes",
        f"/collectes/{n['campaign'].id}",
        f"/projets/{n['campaign'].project_id}",
        "/rencontres",
        f"/rencontres/{n['meetup'].id}",
        "/groupes",
        f"/groupes/{n['group'].slug}",
        "/membres",
        "/parrainage",
        "/clubs",
        "/mentions-legales",
        "/confidentialite",
        "/conditions",
        "/contact",
        "/recherche?q=%C3%A9picerie",
        f"/membres/{n['karim'].id}",
        "/hors-ligne",
    ]


def member_pages(n) -> list[str]:
    pages = [
        "/",
        "/compte",
        "/notifications",
        f"/collectes/{n['campaign'].id}/soutenir",
        f"/rencontres/{n['meetup'].id}",
        f"/groupes/{n['group'].slug}",
        "/impact",
        "/administration/membres",
        "/administration/pages-legales",
        "/mes-soutiens",
        f"/rencontres/{n['meetup'].id}/accueil",
        f"/rencontres/{n['meetup'].id}/tables",
        f"/collectes/{n['campaign'].id}",
        f"/projets/{n['campaign'].project_id}",
        "/profil/modifier",
        "/parrainage",
        "/recherche?q=%C3%A9picerie",
        "/aide",
        "/mentions-legales",
        f"/clubs/{n['club'].id}",
        f"/clubs/{n['club'].id}/portefeuille",
        f"/clubs/{n['club'].id}/membres",
        f"/clubs/{n['club'].id}/votes",
        f"/clubs/{n['club'].id}/votes/{n['vote']}",
        f"/clubs/{n['club'].id}/tresorerie",
    ]
    if n["channel"] is not None:
        pages.append(f"/groupes/{n['group'].slug}/salons/{n['channel'].slug}")
    return pages


@pytest.fixture
def axe_page(browser, live_server):
    """A page whose context lets axe's script in despite the site's CSP."""
    contexts = []

    def make(width):
        context = browser.new_context(
            viewport={"width": width, "height": 900 if width > 600 else 844},
            locale="fr-FR",
            base_url=live_server.url,
            bypass_csp=True,
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_no_axe_violation_on_the_main_pages(axe_page, network, width):
    source = axe_source()
    found: list[str] = []

    page = axe_page(width)
    for path in anonymous_pages(network):
        found += audit(page, source, path)

    page = axe_page(width)
    log_in(page, "claire@exemple.fr")
    for path in member_pages(network):
        found += audit(page, source, path)
    assert not found, "\n".join(found)


def test_no_axe_violation_in_the_dark_signed_in(axe_page, network):
    """`prefers-color-scheme: dark` changes every colour: the signed-in pages, audited again
    (the anonymous ones are in tests/browser/test_front_door.py)."""
    source = axe_source()
    page = axe_page(390)
    page.emulate_media(color_scheme="dark")
    log_in(page, "claire@exemple.fr")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(15, 26, 27)"
    found: list[str] = []
    for path in member_pages(network):
        found += audit(page, source, path)
    assert not found, "\n".join(found)
