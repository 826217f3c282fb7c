"""The front door: legal pages (versioned, edited by administrators), help guides, the
cookie statement, the installable app (manifest, service worker, offline page, icons),
share tags and share images. It reads no domain module's data: pages pass what they
show to `share_meta` / `share_image_url`, and the registration form reaches the legal
texts through the platform's hooks.

Other modules may call: `share_image_url(kind, title, line, progress)`.
Rooms: models.py (versions, acceptances), legal.py (publish, accept), shareimages.py
(Pillow drawing and cache), routes.py (pages), pwa.py (manifest, service worker, icons).
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, current_app, request, url_for
from flask_babel import lazy_gettext as _l

bp = Blueprint("site", __name__)

__all__ = ["bp", "init_module", "share_image_url"]


def share_image_url(kind: str, title: str, line: str = "", progress: int | None = None) -> str:
    from tremplin.site.shareimages import image_url

    return image_url(kind, title, line, progress)


def _registration_terms() -> dict:
    from tremplin.site import legal

    versions = legal.latest()
    return {
        "links": [
            (legal.DOCUMENTS[slug].title, url_for("site.legal_page", slug=slug))
            for slug in legal.ACCEPTED_AT_REGISTRATION
        ],
        "signature": legal.terms_signature(versions),
    }


def _record_terms(user, signature: str) -> None:
    from tremplin.site import legal

    legal.record_acceptance(user, signature)


def _context() -> dict:
    base = current_app.config["TREMPLIN_BASE_URL"]
    canonical = None
    if request.endpoint and request.method == "GET":
        # Query strings are filters or pages of the same thing, except ?page= which is kept.
        page = request.args.get("page", type=int)
        canonical = base + request.path + (f"?page={page}" if page and page > 1 else "")
    return {
        "site_base_url": base,
        "canonical_url": canonical,
        "share_image_url": share_image_url,
        "group_feed_url": _group_feed_url,
        "campaign_feed_url": _campaign_feed_url,
    }


def _campaign_feed_url(campaign) -> str | None:
    from tremplin.site.feeds import campaign_feed_url

    return campaign_feed_url(campaign)


def _group_feed_url(user, group) -> str | None:
    from tremplin.site.feeds import group_feed_url

    return group_feed_url(user, group)


def init_module(app: Flask) -> None:
    from tremplin.platform.hooks import AdminSection, register_admin_section, registry
    from tremplin.site import feeds, models, pwa, routes, shareimages  # noqa: F401  (attach to bp)

    app.config.setdefault(
        "CONTACT_EMAIL", os.environ.get("TREMPLIN_CONTACT_EMAIL", "contact@tremplin.example.org")
    )
    from tremplin.site.pwa import ensure_icons

    with app.app_context():
        ensure_icons()
    registry.registration_terms = _registration_terms
    if _record_terms not in registry.on_registered:  # create_app may run many times (tests)
        registry.on_registered.append(_record_terms)
    app.context_processor(_context)
    register_admin_section(
        AdminSection("site.admin_legal", _l("Pages légales"), order=80, admins_only=True)
    )
