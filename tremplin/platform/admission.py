"""The front door of a process: the client's real address behind a reverse proxy, and a
bounded number of requests at work at once.

Behind a proxy (`TREMPLIN_PROXY_COUNT` = how many proxies add an `X-Forwarded-For` hop;
0, the default, trusts no such header, so nobody can forge an address), Werkzeug's
ProxyFix puts the client's address in `REMOTE_ADDR`: the per-address rate limits then count
people, not the proxy.

Admission: a process runs Python one thread at a time. With 100 of gunicorn's threads all
working, every request is slowed by all the others, and a request that wrote early holds
SQLite's single write lock (taken at its first write, released by the one commit at the end
of the request) for that whole stretched time, while the other writers wait past their
busy timeout ("database is locked"). At most `MAX_ACTIVE_REQUESTS` requests run at once;
the others wait their turn here, before touching the database, in arrival order, so each
request runs about as fast as on an idle server. Socket.IO's own traffic (a websocket holds
its thread as long as it is open) and the liveness probe `/healthz` skip the queue; socket
events that write take a slot themselves (`slot()`). A request that cannot get in within
`ADMISSION_TIMEOUT` seconds is answered 503 with `Retry-After`.

A login hashes the password for about 150 ms of CPU, without the GIL (scrypt): it gives
its slot back for that (`set_aside()`), so 60 people logging in at once do not stop the
pages, and waits instead for one of `MAX_PASSWORD_HASHES` places (a core and 32 MB each).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context, render_template, request
from flask_babel import force_locale
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Request, Response

SKIPPED = ("/socket.io/", "/healthz")

BUSY_PAGE = (
    b"<!doctype html><html lang=fr><meta charset=utf-8><title>Tremplin</title>"
    b"<p>Le site est tr\xc3\xa8s sollicit\xc3\xa9 : r\xc3\xa9essayez dans quelques secondes."
)


BUSY_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Retry-After", "5"),
    ("Cache-Control", "no-store"),
]
LANGUAGES = ("fr", "en")

log = logging.getLogger(__name__)


class Busy(Exception):
    """No slot within the admission timeout."""


class Gate:
    def __init__(self, size: int, timeout: float, hashing: int = 0):
        self.size = size
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(size) if size > 0 else None
        self._hashing = threading.BoundedSemaphore(hashing) if hashing > 0 else None
        self._local = threading.local()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the slots (re-entrant in a thread: a socket event inside a request)."""
        if self._slots is None or getattr(self._local, "held", False):
            yield
            return
        if not self._slots.acquire(timeout=self.timeout):
            raise Busy()
        self._local.held = True
        try:
            yield
        finally:
            if self._local.held:  # not given back for a password hash (set_aside)
                self._local.held = False
                self._slots.release()

    @contextmanager
    def set_aside(self) -> Iterator[None]:
        """Work that holds no GIL, a password hash (hashlib.scrypt releases it), done
        without the request's slot: the slot goes to the next request in the queue, and
        the hash waits for one of the `hashing` places instead (a core and 32 MB each).
        The request then ends without a slot (its last few milliseconds)."""
        if getattr(self._local, "held", False):
            self._local.held = False
            self._slots.release()
        if self._hashing is None:
            yield
            return
        if not self._hashing.acquire(timeout=self.timeout):
            raise Busy()
        try:
            yield
        finally:
            self._hashing.release()


class Admission:
    """WSGI middleware: the request waits for a slot before the application sees it."""

    def __init__(self, wsgi_app, gate: Gate, app: Flask | None = None):
        self.wsgi_app = wsgi_app
        self.gate = gate
        self.app = app
        self._pages: dict[str, bytes] = {}

    def __call__(self, environ, start_response):
        if (environ.get("PATH_INFO") or "").startswith(SKIPPED):
            return self.wsgi_app(environ, start_response)
        try:
            with self.gate.slot():
                # The body is made inside the slot (Flask renders before returning); a
                # streamed file is sent after it, without holding a slot.
                return self.wsgi_app(environ, start_response)
        except Busy:
            start_response("503 Service Unavailable", BUSY_HEADERS)
            return [self.busy_page(environ)]

    def busy_page(self, environ) -> bytes:
        """The 503 page in the visitor's language (?lang=, else the browser's), rendered
        once per language: an overloaded server answers it with no template work, no
        member and no database."""
        if self.app is None:
            return BUSY_PAGE
        request = Request(environ)
        lang = request.args.get("lang")
        if lang not in LANGUAGES:
            lang = request.accept_languages.best_match(LANGUAGES, default="fr")
        page = self._pages.get(lang)
        if page is None:
            page = self._pages[lang] = render_busy_page(self.app, lang)
        return page


def render_busy_page(app: Flask, lang: str) -> bytes:
    try:
        with app.test_request_context("/"), force_locale(lang):
            return render_template("errors/busy.html", lang=lang).encode()
    except Exception:  # noqa: BLE001 - the plain page rather than no answer
        log.exception("admission: could not render the busy page")
        return BUSY_PAGE


_gates: dict[int, Gate] = {}


def _gate() -> Gate | None:
    return _gates.get(id(current_app._get_current_object())) if has_app_context() else None


@contextmanager
def slot() -> Iterator[None]:
    """One of the app's slots, for work that does not come through the WSGI middleware
    (socket events). Raises Busy when none frees up in time."""
    gate = _gate()
    if gate is None:
        yield
        return
    with gate.slot():
        yield


@contextmanager
def set_aside() -> Iterator[None]:
    """Around a password hash: see `Gate.set_aside`. Raises Busy when no hashing place
    frees up in time."""
    gate = _gate()
    if gate is None:
        yield
        return
    with gate.set_aside():
        yield


def init_app(app: Flask) -> None:
    """Wrap the app (call last: ProxyFix must be the outermost layer)."""
    size = int(app.config.get("MAX_ACTIVE_REQUESTS") or 0)
    if size > 0 and not app.testing:
        gate = Gate(
            size,
            float(app.config.get("ADMISSION_TIMEOUT", 30)),
            hashing=int(app.config.get("MAX_PASSWORD_HASHES") or 0),
        )
        _gates[id(app)] = gate
        front = Admission(app.wsgi_app, gate, app)
        app.wsgi_app = front

        @app.errorhandler(Busy)
        def busy(exc: Busy):  # no place to hash a password in time (set_aside)
            from tremplin.platform.extensions import db

            db.session.rollback()
            return Response(front.busy_page(request.environ), status=503, headers=BUSY_HEADERS)

    hops = int(app.config.get("PROXY_COUNT") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
