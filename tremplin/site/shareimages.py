"""Share images (Open Graph): drawn with Pillow from what the page shows, cached.

The page passes the card's text in a signed token, so the image needs no access to the
module that owns the data and nobody can make the site draw words of their choosing. The
token changes when the text or the progress changes, so networks fetch a fresh image;
the PNG is kept in a small in-process cache and marked cacheable for a day."""

from __future__ import annotations

import hashlib
import io
from collections import OrderedDict
from threading import Lock

from flask import Response, abort, current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from tremplin.site import bp
from tremplin.site.drawing import share_card

KINDS = {
    "campaign": _l("Collecte"),
    "project": _l("Projet"),
    "meetup": _l("Rencontre"),
    "group": _l("Groupe"),
}
CACHE_SIZE = 256
_cache: OrderedDict[str, bytes] = OrderedDict()
_lock = Lock()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="share-image")


def image_url(kind: str, title: str, line: str = "", progress: int | None = None) -> str:
    token = _serializer().dumps([kind, title[:200], (line or "")[:200], progress])
    return current_app.config["TREMPLIN_BASE_URL"] + url_for("site.share_image", token=token)


def render_png(kind: str, title: str, line: str, progress: int | None) -> bytes:
    key = hashlib.sha256(repr((kind, title, line, progress)).encode()).hexdigest()
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    buffer = io.BytesIO()
    share_card(str(KINDS[kind]), title, line, progress).save(buffer, "PNG", optimize=True)
    data = buffer.getvalue()
    with _lock:
        _cache[key] = data
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return data


@bp.route("/partage/<token>.png")
def share_image(token: str):
    try:
        kind, title, line, progress = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        abort(404)
    if kind not in KINDS or not isinstance(title, str):
        abort(404)
    response = Response(render_png(kind, title, line or "", progress), mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
