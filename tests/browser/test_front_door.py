"""In a real browser: a phone without JavaScript logs in and reaches its account, a
keyboard-only registration, the error summary taking the focus, the door's check-in
working offline and syncing when the network returns (nothing lost, nothing doubled)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.kit.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def test_phone_without_javascript_logs_in_and_reaches_the_account(
    browser, live_server, db, make_member
):
    make_member("Inès Moreau", email="ines@exemple.fr")
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        java_script_enabled=False,
        locale="fr-FR",
        base_url=live_server.url,
    )
    try:
        page = context.new_page()
        page.goto("/")
        assert not page.locator(".nav-toggle").is_visible()  # useless without JS: hidden
        login = page.get_by_role("link", name="Se connecter")
        assert login.is_visible()
        login.click()
        page.get_by_label("Adresse e-mail").fill("ines@exemple.fr")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/")
        me = page.locator(".site-nav__me")
        assert me.is_visible()
        me.click()
        page.wait_for_url("**/compte")
        assert page.get_by_role("heading", level=1).is_visible()
    finally:
        context.close()


def test_phone_menu_says_menu_and_is_a_large_target(new_page):
    page = new_page(viewport=(390, 844))
    page.goto("/")
    toggle = page.locator(".nav-toggle")
    assert toggle.inner_text().strip() == "Menu"
    box = toggle.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert not page.locator("#site-nav").is_visible()
    toggle.click()
    assert page.get_by_role("link", name="Se connecter").is_visible()


def test_keyboard_only_registration(new_page, db, outbox):
    page = new_page(viewport=(390, 844))
    page.goto("/inscription")
    page.locator("#display_name").focus()
    page.keyboard.type("Nadia Ferhat")
    page.keyboard.press("Tab")
    page.keyboard.type("nadia@exemple.fr")
    page.keyboard.press("Tab")
    page.keyboard.type("la marmite bout sous le tilleul")
    # Tab through the links to the texts, to the checkbox
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "accept_charter":
            break
    assert page.evaluate("document.activeElement.id") == "accept_charter"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Créer mon compte"
    page.keyboard.press("Enter")
    page.wait_for_url("**/verifiez-vos-emails")
    assert outbox.last_link("nadia@exemple.fr", "/confirmer/")


def test_failed_submit_moves_focus_to_the_error_summary(new_page, db):
    page = new_page(viewport=(390, 844))
    page.goto("/inscription")
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_selector("[data-error-summary]")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    page.locator("[data-error-summary] a[href='#email']").click()
    assert page.evaluate("document.activeElement.id") == "email"


def test_language_menu_does_not_switch_under_the_keyboard(new_page):
    page = new_page()
    page.goto("/connexion")
    page.locator("#footer-lang").focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.get_by_role("button", name="Changer").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"


def test_door_keeps_arrivals_offline_and_sends_each_once(
    new_page, live_server, db, make_organiser, make_meetup, register
):
    from tremplin.meetups.models import Registration

    claire = make_organiser("Claire Dubois", email="claire@exemple.fr")
    meetup = make_meetup("Café Projets", organiser=claire, starts_in=timedelta(hours=1))
    awa = register(meetup, name="Awa Diallo")
    bruno = register(meetup, name="Bruno Petit")
    page = new_page(viewport=(390, 844))
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill("claire@exemple.fr")
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")
    page.goto(f"/rencontres/{meetup.id}/accueil")
    page.evaluate("navigator.serviceWorker.ready")  # the door page is now kept offline

    page.context.set_offline(True)
    page.locator(f"#r{awa.id} [data-checkin-action=in] button").click()
    page.wait_for_selector(f"#r{awa.id}.is-pending.is-in")
    # Focus stays in the row: on the button that undoes the arrival.
    assert page.evaluate("document.activeElement.closest('.checkin-row').id") == f"r{awa.id}"
    page.locator(f"#r{bruno.id} [data-checkin-action=in] button").click()
    page.wait_for_selector(f"#r{bruno.id}.is-pending")
    assert page.locator("[data-offline-banner]").is_visible()
    # Reloading the page offline keeps both arrivals waiting (from the service worker).
    page.reload()
    page.wait_for_selector(f"#r{bruno.id}.is-pending")
    db.session.expire_all()
    assert (
        db.session.scalar(select(Registration.checked_in_at).where(Registration.id == awa.id))
        is None
    )

    page.context.set_offline(False)
    page.evaluate("window.Tremplin.flushCheckins()")
    page.wait_for_selector("[data-checkin][data-pending='0']", state="attached")
    page.evaluate("window.Tremplin.flushCheckins()")  # a second send finds nothing to do
    db.session.expire_all()
    rows = db.session.scalars(select(Registration).where(Registration.meetup_id == meetup.id)).all()
    assert all(r.checked_in_at is not None for r in rows)
    assert len(rows) == 2  # nobody doubled: no walk-in row made from a replayed arrival
    assert sum(r.attendance for r in rows) == 2  # nor a guest counted twice
    assert page.locator("[data-present]").first.inner_text() == "2"


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focus is on `selector` (what a keyboard user does)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never took the focus with Tab")


def log_in_with_keyboard(page, email: str) -> None:
    page.goto("/connexion")
    tab_to(page, "input[type=email]")
    page.keyboard.type(email)
    tab_to(page, "input[type=password]")
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/")


def test_keyboard_only_pledge(new_page, db, make_member, make_campaign):
    from tremplin.funding.models import Pledge

    campaign = make_campaign(title="Une épicerie solidaire")
    nathalie = make_member("Nathalie Girard", email="nathalie@exemple.fr")
    page = new_page(viewport=(390, 844))
    log_in_with_keyboard(page, "nathalie@exemple.fr")
    page.goto(f"/collectes/{campaign.id}/soutenir")
    amount = page.get_by_label("Montant de votre promesse (€)").get_attribute("id")
    tab_to(page, f"#{amount}")
    page.keyboard.type("30")
    tab_to(page, "input[type=checkbox][name=understood]")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]:not(.button--ghost)")
    page.keyboard.press("Enter")
    page.wait_for_url("**/collectes/promesses/*")
    pledges = db.session.scalars(select(Pledge).where(Pledge.backer_id == nathalie.id)).all()
    assert [p.amount_cents for p in pledges] == [3000]


def test_keyboard_only_chat_post(new_page, db, make_member, make_organiser, make_group):
    from tremplin.groups.models import Message

    awa = make_member("Awa Diallo", email="awa@exemple.fr")
    group = make_group("Restauration", organiser=make_organiser(), members=[awa])
    page = new_page()
    log_in_with_keyboard(page, "awa@exemple.fr")
    page.goto(f"/groupes/{group.slug}/salons/accueil")
    tab_to(page, "#composer-body")
    page.keyboard.type("Bonjour, qui connaît un local à Pantin ?")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages >> text=qui connaît un local à Pantin")
    bodies = db.session.scalars(select(Message.body).where(Message.author_id == awa.id)).all()
    assert bodies == ["Bonjour, qui connaît un local à Pantin ?"]


def test_campaign_share_image_renders_in_the_browser(new_page, db, make_campaign):
    campaign = make_campaign(title="Une épicerie solidaire")
    page = new_page()
    page.goto(f"/collectes/{campaign.id}")
    image = page.locator('meta[property="og:image"]').get_attribute("content")
    page.goto(image)
    size = page.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]")
    assert size == [1200, 630]


def installability(page) -> dict:
    """What Chromium itself says about installing the app from the current page (the audit
    Lighthouse 12 dropped): its installability errors and the manifest it parsed."""
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    manifest = cdp.send("Page.getAppManifest")
    cdp.detach()
    return {"errors": errors, "manifest": manifest}


def test_chromium_finds_the_home_page_installable(browser, live_server, tmp_path):
    from tests.kit.browser import CHROMIUM, CHROMIUM_ARGS

    # A profile on disk: Chromium never offers to install from an incognito context,
    # which is what Playwright's ordinary contexts are.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 390, "height": 844},
        locale="fr-FR",
        base_url=live_server.url,
    )
    try:
        page = context.new_page()
        page.goto("/")
        assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
        found = installability(page)
    finally:
        context.close()
    assert found["errors"] == [], found["errors"]
    manifest = found["manifest"]
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert manifest.get("errors", []) == [], manifest["errors"]
    assert json.loads(manifest["data"])["display"] == "standalone"


def test_share_buttons_copy_the_link_and_open_the_system_sheet(
    browser, live_server, db, make_campaign
):
    campaign = make_campaign(title="Une épicerie solidaire")
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    # Desktop Chromium on Linux has no Web Share API: give the page one that records calls.
    context.add_init_script(
        "navigator.share = data => { (window.shared = window.shared || []).push(data);"
        " return Promise.resolve(); };"
    )
    try:
        page = context.new_page()
        page.goto(f"/collectes/{campaign.id}")
        box = page.locator("[data-share]")
        url = box.get_attribute("data-share-url")
        assert url.endswith(f"/collectes/{campaign.id}")
        box.get_by_role("button", name="Partager…").click()
        assert page.evaluate("window.shared") == [{"title": "Une épicerie solidaire", "url": url}]
        box.get_by_role("button", name="Copier le lien").click()
        page.wait_for_selector("[data-share-status]:text('Lien copié')", state="attached")
        assert page.evaluate("navigator.clipboard.readText()") == url
        for name in ("WhatsApp", "Facebook", "LinkedIn", "E-mail"):
            assert box.get_by_role("link", name=name).is_visible()
    finally:
        context.close()


def test_dark_scheme_and_reduced_motion_are_honoured(browser, live_server, db, make_campaign):
    from tests.browser.test_a11y import audit, axe_source

    campaign = make_campaign(title="Une épicerie solidaire")
    # bypass_csp: axe and the probe below are injected by the test, not by the site.
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="fr-FR",
        base_url=live_server.url,
        bypass_csp=True,
    )
    try:
        page = context.new_page()
        page.goto(f"/collectes/{campaign.id}")
        background = "getComputedStyle(document.body).backgroundColor"
        assert page.evaluate(background) == "rgb(246, 247, 245)"
        page.emulate_media(color_scheme="dark")
        assert page.evaluate(background) == "rgb(15, 26, 27)"
        # Readable in the dark too: every axe rule, contrast included, on dark pages.
        source = axe_source()
        found = []
        paths = ("/", "/collectes", f"/collectes/{campaign.id}", f"/projets/{campaign.project_id}")
        for path in paths + ("/rencontres", "/groupes", "/inscription", "/aide", "/hors-ligne"):
            found += audit(page, source, path)
        assert not found, "\n".join(found)

        page.emulate_media(reduced_motion="reduce")
        page.goto(f"/collectes/{campaign.id}")
        page.add_style_tag(
            content=".probe { transition: opacity 1s; animation: tremplin-spin 1s infinite; }"
        )
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p class=probe>x</p>')")
        probe = "getComputedStyle(document.querySelector('.probe'))"
        assert page.evaluate(f"{probe}.transitionDuration") == "1e-05s"
        assert page.evaluate(f"{probe}.animationIterationCount") == "1"
        page.emulate_media(reduced_motion="no-preference")
        assert page.evaluate(f"{probe}.transitionDuration") == "1s"
        assert page.evaluate(f"{probe}.animationIterationCount") == "infinite"
    finally:
        context.close()


PHONE_LAYOUT = """() => {
  const vw = document.documentElement.clientWidth;
  const cut = [];
  for (const el of document.querySelectorAll('main *')) {
    const r = el.getBoundingClientRect();
    if (!r.width) continue;
    let p = el.parentElement, scroller = false;
    for (; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) { scroller = true; break; }
    }
    if (!scroller && r.right > vw + 1) cut.push(el.tagName + '.' + el.className);
  }
  return {width: document.documentElement.scrollWidth, vw, cut: cut.slice(0, 5)};
}"""


def test_dense_pages_fit_a_phone(
    new_page, db, make_organiser, make_member, make_meetup, register, make_club, make_campaign
):
    """At 390 px: nothing wider than the screen on the dense pages, the impact table reads as
    cards, its chart opens on the latest figures, club amounts are not cut."""
    claire = make_member("Claire Dubois", email="claire@exemple.fr", site_role="admin")
    meetup = make_meetup("Café Projets", organiser=claire, starts_in=timedelta(days=-1))
    for _ in range(3):
        register(meetup, make_member(), checked_in=True)
    club = make_club("Cigales du canal", gerant=claire, members=4)
    campaign = make_campaign(title="Une épicerie solidaire")
    page = new_page(viewport=(390, 844))
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill("claire@exemple.fr")
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")
    for path in (
        "/impact",
        f"/clubs/{club.id}",
        f"/clubs/{club.id}/portefeuille",
        f"/clubs/{club.id}/tresorerie",
        "/administration/membres",
        f"/collectes/{campaign.id}",
        f"/collectes/{campaign.id}/soutenir",
    ):
        page.goto(path)
        layout = page.evaluate(PHONE_LAYOUT)
        assert layout["width"] <= layout["vw"] and not layout["cut"], (path, layout)
        if path == "/impact":
            assert page.locator(".impact-table thead").bounding_box()["height"] <= 1
            assert (
                page.locator(".impact-table tbody tr").first.evaluate(
                    "e => getComputedStyle(e).display"
                )
                == "block"
            )
            first = page.locator(".impact-table tbody tr").first.bounding_box()
            assert first["width"] <= 390
            chart = page.locator(".chart").element_handle()
            assert page.evaluate("c => c.scrollWidth > c.clientWidth", chart)  # readable size
            assert page.evaluate("c => c.scrollLeft", chart) > 0  # on the latest month
        if path == f"/clubs/{club.id}":
            for amount in page.locator(".fund-figure dd").all():
                assert page.evaluate("e => e.scrollWidth <= e.clientWidth", amount.element_handle())
