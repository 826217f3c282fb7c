"""Screenshots of the main pages, on the demo network, for the README.

    .venv/bin/python scripts/screenshots.py            # every page below
    .venv/bin/python scripts/screenshots.py home       # only those named

Builds a throwaway SQLite database with the demo data, serves the app on a free loopback
port and drives Debian's Chromium with Playwright. Writes docs/screenshots/<name>.png.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tremplin import create_app  # noqa: E402
from tremplin.platform import demo  # noqa: E402
from tremplin.platform.extensions import db  # noqa: E402

# name, path (a callable gets the app and returns one), viewport, logged-in demo member
PAGES: list[tuple[str, object, tuple[int, int], str | None]] = [
    ("home", "/", (1280, 900), None),
    ("home-mobile", "/", (390, 844), None),
    ("dashboard", "/", (1280, 900), demo.DEMO_LOGIN),
    (
        "meetup",
        lambda app: _meetup_path("Café Projets : la Maison de Cosm’éthique"),
        (1280, 900),
        None,
    ),
    (
        "checkin-phone",
        lambda app: _meetup_path("Café Projets : Tresses & Transmission", "/accueil"),
        (390, 844),
        "claire.dubois@demo.tremplin.example.org",
    ),
    ("club", lambda app: _club_path(), (1280, 900), "lucie.marchand@demo.tremplin.example.org"),
    ("mentoring-matches", lambda app: _mentoring_suggestions_path(), (1280, 900), demo.DEMO_LOGIN),
    ("impact", "/impact", (1280, 900), "claire.dubois@demo.tremplin.example.org"),
    (
        "campaign",
        lambda app: _campaign_path(),
        (1280, 900),
        "sophie.lambert@demo.tremplin.example.org",
    ),
    ("search", "/recherche?q=cosmetique", (1280, 900), demo.DEMO_LOGIN),
]


def _campaign_path() -> str:
    """The demo campaign still open (near its goal)."""
    from sqlalchemy import select

    from tremplin.funding.models import Campaign

    return f"/collectes/{db.session.scalar(select(Campaign.id).where(Campaign.status == 'open'))}"


def _mentoring_suggestions_path() -> str:
    """The mentors suggested for the demo porteuse's request waiting in the pool."""
    from sqlalchemy import select

    from tremplin.mentoring.models import MentoringRequest
    from tremplin.platform.models import User

    request_id = db.session.scalar(
        select(MentoringRequest.id)
        .join(User, User.id == MentoringRequest.porteur_id)
        .where(User.email == demo.DEMO_LOGIN, MentoringRequest.state == "open")
    )
    return f"/parrainage/demandes/{request_id}/suggestions"


def _meetup_path(title: str, suffix: str = "") -> str:
    """A demo meetup's page (meetups module)."""
    from sqlalchemy import select

    from tremplin.meetups.models import Meetup

    return (
        f"/rencontres/{db.session.scalar(select(Meetup.id).where(Meetup.title == title))}{suffix}"
    )


def _club_path() -> str:
    """The demo investor club's dashboard (seen by its gérante)."""
    from sqlalchemy import select

    from tremplin.funding.clubs.models import InvestorClub

    club_id = db.session.scalar(
        select(InvestorClub.id).where(InvestorClub.name == "Cigales de la Roquette")
    )
    return f"/clubs/{club_id}"


def serve(tmp: Path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'shots.sqlite3'}",
            "SECRET_KEY": "screenshots",
            "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
            "UPLOAD_DIR": str(tmp / "uploads"),
            "SEARCH_INDEX_DIR": str(tmp / "index"),
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        demo.load()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, server, f"http://127.0.0.1:{server.server_port}"


def main(names: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        app, server, base = serve(Path(folder))
        out = ROOT / "docs" / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu"],
            )
            for name, path, viewport, login in PAGES:
                if names and name not in names:
                    continue
                context = browser.new_context(
                    viewport={"width": viewport[0], "height": viewport[1]},
                    locale="fr-FR",
                    base_url=base,
                )
                page = context.new_page()
                if login:
                    page.goto("/connexion")
                    page.get_by_label("Adresse e-mail").fill(login)
                    page.get_by_label("Mot de passe").fill(demo.DEMO_PASSWORD)
                    page.get_by_role("button", name="Se connecter").click()
                    page.wait_for_url(lambda url: "/connexion" not in url)
                if callable(path):
                    with app.app_context():
                        path = path(app)
                page.goto(path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                print("wrote", out / f"{name}.png")
                context.close()
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
