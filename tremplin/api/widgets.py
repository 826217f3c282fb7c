"""Widgets partners paste as an <iframe>: a campaign's progress card and the next meetups
(« prochaines rencontres »), plus an oEmbed endpoint that hands out the iframe code.

They are answered as for a visitor (never for the session's member, so nothing private can
leak into someone else's page), set no cookie, load no script, and are the only pages any
site may frame. Theme: `theme=clair|sombre`, `accent=bleu|vert|orange|violet`.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import abort, current_app, g, jsonify, render_template, request, url_for
from flask_login import AnonymousUserMixin

from tremplin import funding, groups, meetups
from tremplin.api import bp
from tremplin.platform.extensions import db, limiter

THEMES = ("clair", "sombre")
ACCENTS = ("bleu", "vert", "orange", "violet")
WIDGET_CSP = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors *",
    ]
)
SIZES = {"campaign": (360, 220), "meetups": (360, 420)}


def _style() -> dict:
    theme = request.args.get("theme", "clair")
    accent = request.args.get("accent", "bleu")
    return {
        "theme": theme if theme in THEMES else "clair",
        "accent": accent if accent in ACCENTS else "bleu",
    }


def _as_visitor() -> AnonymousUserMixin:
    visitor = AnonymousUserMixin()
    g._login_user = visitor  # the session cookie is ignored: a visitor's view
    return visitor


def _render(template: str, **context) -> str:
    """Render without the site's context processors: the layout's (language form…) would
    create a CSRF token, so a session cookie, in a partner's page."""
    from flask_babel import get_locale

    locale = get_locale()
    context.setdefault("current_locale", locale.language if locale else "fr")
    return current_app.jinja_env.get_template(template).render(request=request, **context)


def _embeddable(html: str):
    response = current_app.make_response(html)
    response.headers["Content-Security-Policy"] = WIDGET_CSP
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _theme_args() -> dict:
    return {k: v for k, v in _style().items() if request.args.get(k)}


@bp.route("/widgets/collectes/<int:campaign_id>")
@limiter.exempt
def campaign_widget(campaign_id: int):
    visitor = _as_visitor()
    campaign = funding.get_campaign(campaign_id)
    if campaign is None or not funding.can_view_campaign(visitor, campaign):
        abort(404)
    totals = funding.campaign_totals([campaign.id])[campaign.id]
    return _embeddable(
        _render(
            "api/widget_campaign.html",
            campaign=campaign,
            totals=totals,
            link=url_for("funding.campaign", campaign_id=campaign.id, _external=True),
            **_style(),
        )
    )


@bp.route("/widgets/rencontres")
@limiter.exempt
def meetups_widget():
    _as_visitor()
    group_id = None
    slug = request.args.get("groupe")
    if slug:
        group = db.session.scalar(db.select(groups.Group).where(groups.Group.slug == slug))
        if group is None:
            abort(404)
        group_id = group.id
    limit = request.args.get("nombre", "5")
    limit = int(limit) if limit.isdigit() and 1 <= int(limit) <= 10 else 5
    upcoming = meetups.upcoming_meetups(None, limit=limit, group_id=group_id)
    counts = meetups.registration_counts([m.id for m in upcoming])
    return _embeddable(
        _render(
            "api/widget_meetups.html",
            meetups=upcoming,
            counts=counts,
            link=url_for("meetups.index", _external=True),
            **_style(),
        )
    )


@bp.route("/oembed")
@limiter.exempt
def oembed():
    """oEmbed 1.0 (JSON): `url` is a campaign page (/collectes/<id>) or the meetups page
    (/rencontres); the answer carries the widget's iframe."""
    visitor = _as_visitor()
    if request.args.get("format", "json") != "json":
        return current_app.response_class("oEmbed: format=json only", status=501)
    target = urlsplit(request.args.get("url", ""))
    own = urlsplit(request.host_url)
    if target.netloc and target.netloc != own.netloc:
        abort(404)
    parts = [p for p in target.path.split("/") if p]
    query = dict(p.split("=", 1) for p in target.query.split("&") if "=" in p)
    style = {k: v for k, v in query.items() if k in ("theme", "accent") and v}
    if len(parts) == 2 and parts[0] == "collectes" and parts[1].isdigit():
        campaign = funding.get_campaign(int(parts[1]))
        if campaign is None or not funding.can_view_campaign(visitor, campaign):
            abort(404)
        kind, title = "campaign", campaign.title
        src = url_for("api.campaign_widget", campaign_id=campaign.id, _external=True)
    elif parts == ["rencontres"]:
        kind, title = "meetups", "Prochaines rencontres"
        src = url_for("api.meetups_widget", _external=True)
    else:
        abort(404)
    if style:
        src += "?" + urlencode(style)
    width, height = SIZES[kind]
    width = _bounded(request.args.get("maxwidth"), width)
    height = _bounded(request.args.get("maxheight"), height)
    html = render_template(
        "api/_iframe.html", src=src, width=width, height=height, title=title
    ).strip()
    response = jsonify(
        version="1.0",
        type="rich",
        provider_name="Tremplin",
        provider_url=request.host_url,
        title=title,
        html=html,
        width=width,
        height=height,
        cache_age=300,
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _bounded(value: str | None, default: int) -> int:
    if value and value.isdigit():
        return max(120, min(int(value), default))
    return default
