"""Lighthouse accessibility and best-practices scores of the main pages, mobile and desktop.

    .venv/bin/python bench/lighthouse.py            # needs `npm ci` (lighthouse 12.2.3)
    .venv/bin/python bench/lighthouse.py project    # only the pages named

Serves the demo network from a throwaway SQLite database on a free loopback port (as
scripts/screenshots.py does), logs a demo member in for the pages that need an account,
and runs the Lighthouse CLI on Debian's Chromium. Prints one line per page and form factor.
Lighthouse 12 no longer has a PWA category nor the installable-manifest audit: the script
asks Chromium itself instead (DevTools protocol `Page.getInstallabilityErrors` and
`Page.getAppManifest` on the home page, from a profile on disk since Chromium never installs
from an incognito context) and prints its verdict first; `installable` runs only that.
tests/browser/test_front_door.py asserts the same.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import screenshots  # noqa: E402

from tremplin.platform import demo  # noqa: E402

LIGHTHOUSE = Path(os.environ.get("LIGHTHOUSE_BIN", ROOT / "node_modules" / ".bin" / "lighthouse"))
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")


def session_cookie(base: str, email: str) -> str:
    """Log in through the real form and return the session cookie."""
    import requests

    http = requests.Session()
    form = http.get(f"{base}/connexion").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    http.post(
        f"{base}/connexion",
        data={"csrf_token": token, "email": email, "password": demo.DEMO_PASSWORD},
        allow_redirects=False,
    )
    return http.cookies.get("session")


SOPHIE = "sophie.lambert@demo.tremplin.example.org"


def pages(app) -> list[tuple[str, str, str | None]]:
    """(name, path, the demo member to log in as, or None)."""
    from sqlalchemy import select

    from tremplin.funding.models import Campaign
    from tremplin.groups.models import Channel, Group, GroupMembership
    from tremplin.members import Project
    from tremplin.platform.extensions import db
    from tremplin.platform.models import User

    with app.app_context():
        campaign = db.session.scalar(select(Campaign.id).where(Campaign.status == "open"))
        project = db.session.scalar(select(Project.id).order_by(Project.id))
        slug, channel = db.session.execute(
            select(Group.slug, Channel.slug)
            .join(Channel, Channel.group_id == Group.id)
            .join(GroupMembership, GroupMembership.group_id == Group.id)
            .join(User, User.id == GroupMembership.user_id)
            .where(User.email == demo.DEMO_LOGIN)
            .limit(1)
        ).one()
        meetup = screenshots._meetup_path("Café Projets : la Maison de Cosm’éthique")
    return [
        ("home", "/", None),
        ("project", f"/projets/{project}", None),
        ("meetup", meetup, None),
        ("campaign", f"/collectes/{campaign}", None),
        ("channel", f"/groupes/{slug}/salons/{channel}", demo.DEMO_LOGIN),
        ("pledge form", f"/collectes/{campaign}/soutenir", SOPHIE),
    ]


def run(url: str, desktop: bool, cookie: str | None) -> dict:
    args = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        "--only-categories=accessibility,best-practices",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
    ]
    if desktop:
        args.append("--preset=desktop")
    if cookie:
        args.append("--extra-headers=" + json.dumps({"Cookie": f"session={cookie}"}))
    out = subprocess.run(
        args, capture_output=True, text=True, timeout=240, env={**os.environ, "CHROME_PATH": CHROME}
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    report = json.loads(out.stdout)
    failed = [
        a["id"]
        for a in report["audits"].values()
        if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"
    ]
    return {
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "best-practices": round(report["categories"]["best-practices"]["score"] * 100),
        "failed": failed,
    }


def installability(base: str) -> dict:
    """Chromium's own installability verdict for the home page (no errors: installable)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROME,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            viewport={"width": 390, "height": 844},
        )
        try:
            page = context.new_page()
            page.goto(base + "/")
            page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
            cdp = context.new_cdp_session(page)
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            manifest = cdp.send("Page.getAppManifest")
        finally:
            context.close()
    return {
        "errors": [e["errorId"] for e in errors],
        "manifest": manifest.get("url"),
        "manifest_errors": [e.get("message") for e in manifest.get("errors", [])],
    }


def main() -> None:
    only = sys.argv[1:]
    if not LIGHTHOUSE.exists() and only != ["installable"]:
        raise SystemExit(f"Lighthouse is missing at {LIGHTHOUSE}: run npm ci")
    with tempfile.TemporaryDirectory() as folder:
        app, server, base = screenshots.serve(Path(folder))
        cookies: dict[str, str] = {}
        if not only or "installable" in only:
            verdict = installability(base)
            problems = verdict["errors"] + verdict["manifest_errors"]
            print(
                f"installable (Chromium, home page): {'yes' if not problems else 'NO'}"
                f"  manifest {verdict['manifest']}  errors: {', '.join(problems) or '-'}",
                flush=True,
            )
            if only == ["installable"]:
                server.shutdown()
                return
        print(f"{'page':<12} {'form':<8} {'a11y':>5} {'best':>5}  failed audits")
        try:
            for name, path, member in pages(app):
                if sys.argv[1:] and name not in sys.argv[1:]:
                    continue
                if member and member not in cookies:
                    cookies[member] = session_cookie(base, member)
                for desktop in (False, True):
                    scores = run(base + path, desktop, cookies.get(member))
                    print(
                        f"{name:<12} {'desktop' if desktop else 'mobile':<8} "
                        f"{scores['accessibility']:>5} {scores['best-practices']:>5}  "
                        f"{', '.join(scores['failed']) or '-'}",
                        flush=True,
                    )
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
