"""Security headers on every answer (a CSP without inline scripts, no framing, no sniffing),
including the Socket.IO polling answers Flask never sees, and URL numbers the database can hold.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Request, Response, abort, current_app, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, ValidationError

# The largest id our tables hold: their keys are INTEGER, 32 bits on PostgreSQL (SQLite's
# go to 2^63 - 1). A larger number in a URL is no row: the URL does not match (404) rather
# than reaching the database driver (OverflowError, "integer out of range": a 500).
MAX_ID = 2**31 - 1
# `?page=`: a positive number small enough that (page - 1) * per_page stays a database integer.
MAX_PAGE = 10**9
PAGE_ARGUMENTS = ("page", "per_page")


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` for every route: a number above MAX_ID does not match (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_ID)):  # also spares int() a 5,000-digit string
            raise ValidationError()
        return super().to_python(value)


class BoundedArguments(ImmutableMultiDict):
    """Query and form values: `get(name, type=int)` treats a number beyond MAX_ID like any
    value that is not a number (the default), so no view hands one to the database."""

    def get(self, key, default=None, type=None):  # noqa: A002  (Werkzeug's signature)
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and value is not default:
            if not -MAX_ID <= value <= MAX_ID:
                return default
        return value


class BoundedRequest(Request):
    parameter_storage_class = BoundedArguments


def check_page_arguments() -> None:
    """A page number that is not a positive number the database can hold is a bad request."""
    for name in PAGE_ARGUMENTS:
        value = request.args.get(name)
        if value is None:
            continue
        if not (value.isascii() and value.isdigit() and len(value) <= 10):
            abort(400)
        if not 1 <= int(value) <= MAX_PAGE:
            abort(400)


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy() -> str:
    cfg = current_app.config
    script_src = ["'self'"]
    frame_src = ["'self'"]
    connect_src = ["'self'"]
    stripe = _origin(cfg.get("STRIPE_JS_URL")) if cfg.get("STRIPE_SECRET_KEY") else None
    if stripe:
        script_src.append(stripe)
        frame_src.append(stripe)
        connect_src.append(stripe)
    api = _origin(cfg.get("STRIPE_API_BASE")) if cfg.get("STRIPE_SECRET_KEY") else None
    if api and api not in connect_src:
        connect_src.append(api)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {' '.join(script_src)}",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "media-src 'self' blob:",  # a voice message is heard (blob:) before it is sent
            f"connect-src {' '.join(connect_src)}",
            f"frame-src {' '.join(frame_src)}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def common_headers(secure: bool, frameable: bool = False) -> list[tuple[str, str]]:
    """The headers every answer carries, whatever produced it (Flask or Engine.IO). Only
    the embeddable pages (widgets, whose own CSP names who may frame them) drop
    X-Frame-Options."""
    headers = [("X-Content-Type-Options", "nosniff")]
    if not frameable:
        headers.append(("X-Frame-Options", "DENY"))
    headers += [
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        # the microphone for this site's own pages only: voice messages in chat
        ("Permissions-Policy", "camera=(), microphone=(self), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if secure:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers


# Engine.IO answers are JSON-ish text, never a document: nothing may load from them.
SOCKET_CSP = "default-src 'none'; frame-ancestors 'none'"


class SocketHeaders:
    """WSGI middleware: Socket.IO's polling answers are made by Engine.IO, outside Flask's
    after_request, so the security headers are added here, on the way out."""

    def __init__(self, wsgi_app, app: Flask, path: str = "/socket.io"):
        self.wsgi_app = wsgi_app
        self.app = app
        self.path = path.rstrip("/") + "/"

    def __call__(self, environ, start_response):
        if not (environ.get("PATH_INFO") or "").startswith(self.path):
            return self.wsgi_app(environ, start_response)

        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _value in headers}
            extra = [("Content-Security-Policy", SOCKET_CSP)]
            extra += common_headers(bool(self.app.config.get("SESSION_COOKIE_SECURE")))
            headers = list(headers) + [(n, v) for n, v in extra if n.lower() not in present]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def socketio_origin_allowed(app: Flask):
    """Engine.IO's origin check, read at each connection from SOCKETIO_CORS_ORIGINS (the
    site's own origin, TREMPLIN_BASE_URL, when empty), not from the Host header a proxy
    may have rewritten. A client that sends no Origin (not a browser) is not concerned."""

    def allowed(origin: str | None) -> bool:
        origins = app.config.get("SOCKETIO_CORS_ORIGINS") or [
            _origin(app.config.get("TREMPLIN_BASE_URL"))
        ]
        return "*" in origins or origin in {o.rstrip("/") for o in origins if o}

    return allowed


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.request_class = BoundedRequest
    app.before_request(check_page_arguments)
    app.wsgi_app = SocketHeaders(app.wsgi_app, app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy())
        frameable = "frame-ancestors 'none'" not in headers["Content-Security-Policy"]
        secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
        for name, value in common_headers(secure, frameable=frameable):
            headers.setdefault(name, value)
        return response
