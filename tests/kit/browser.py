"""Playwright driving Debian's Chromium (/usr/bin/chromium), headless."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.kit.app import CI

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=Translate,MediaRouter",
    # a fake microphone (a beep) that needs no permission prompt: voice message tests
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = f"Chromium is missing at {CHROMIUM} (apt-get install -y chromium)"
        if CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page(viewport=(w, h)) -> a Page in a fresh browser context (its own cookies)."""
    contexts = []

    def make(viewport=(1280, 900), locale="fr-FR"):
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            locale=locale,
            base_url=live_server.url,
        )
        context.set_default_timeout(20_000)  # generous: CI machines can be busy
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.console_errors = []  # CSP refusals show up here
        page.on(
            "console",
            lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def log_in(page, email: str, password: str | None = None) -> None:
    """Sign in through the login form, as a person would, and wait for the home page."""
    from tests.kit.factories import DEFAULT_PASSWORD  # (a plugin: imported once registered)

    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password or DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")
