"""The installable app: web manifest, service worker (served from the root so it covers
every page), offline page and favicon. Icons are PNGs made from the SVG logo by
`scripts/make_icons.py` at build time; if the build has not run, they are drawn once here."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import Response, current_app, jsonify, render_template, send_from_directory, url_for
from flask_babel import gettext as _

from tremplin.platform.config import PROJECT_ROOT
from tremplin.site import bp

ICONS = PROJECT_ROOT / "static" / "icons"
SW_SOURCE = PROJECT_ROOT / "static" / "js" / "sw.js"
SHELL = ("css/app.css", "js/app.js", "js/offline.js", "img/logo.svg", "icons/icon-192.png")


def ensure_icons() -> None:
    if (ICONS / "favicon.ico").exists() and (ICONS / "share-default.png").exists():
        return
    from tremplin.site.icons import write_icons

    try:
        write_icons(ICONS)
    except OSError:  # a read-only static folder: the build must make them
        current_app.logger.warning("icons missing in %s: run scripts/make_icons.py", ICONS)


@lru_cache(maxsize=4)
def _shell_version(stamp: tuple) -> str:
    digest = hashlib.sha256()
    for name in SHELL + ("js/sw.js",):
        path = PROJECT_ROOT / "static" / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def shell_version() -> str:
    stamp = tuple(
        (PROJECT_ROOT / "static" / n).stat().st_mtime_ns
        for n in SHELL + ("js/sw.js",)
        if (PROJECT_ROOT / "static" / n).exists()
    )
    return _shell_version(stamp)


@bp.route("/manifest.webmanifest")
def manifest():
    data = {
        "name": "Tremplin",
        "short_name": "Tremplin",
        "description": _("Le réseau des porteurs de projet de l’économie sociale et solidaire."),
        "lang": "fr",
        "start_url": "/?source=app",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "background_color": "#f6f8f7",
        "theme_color": "#1f6f5c",
        "icons": [
            {
                "src": url_for("static", filename="icons/icon-192.png"),
                "sizes": "192x192",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename="icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename="icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = jsonify(data)
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/sw.js")
def service_worker():
    body = SW_SOURCE.read_text(encoding="utf-8")
    shell = [url_for("static", filename=n) for n in SHELL] + [url_for("site.offline")]
    body = body.replace("__VERSION__", shell_version()).replace(
        '"__SHELL__"', ", ".join(f'"{u}"' for u in shell)
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/hors-ligne")
def offline():
    return render_template("site/offline.html")


@bp.route("/favicon.ico")
def favicon():
    ensure_icons()
    return send_from_directory(ICONS, "favicon.ico", mimetype="image/x-icon", max_age=86400)
