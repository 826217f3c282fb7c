"""Errors someone sees: one structured log line per request, the last server errors kept
for the administrators, and optional reporting to a Sentry-compatible service.

- Every request gets an id (the `X-Request-ID` a proxy sent, when it is a plain token, or
  a new one), echoed in the answer's `X-Request-ID` header. When it ends, the logger
  `tremplin.request` writes one JSON line: request id, user id, method, route (the URL
  rule, never the path with its ids and query), status and duration in milliseconds.
- An unexpected exception (a 500) is logged with its traceback, and a row of
  `server_errors` records when, where (the frames, no local values) and what (the
  exception's type and a shortened message); the newest KEEP_ERRORS rows are kept.
- With SENTRY_DSN set, sentry-sdk reports errors with personal data scrubbed: no cookies,
  no request body or query string, no e-mail, name or IP address; only the user's id.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid

from flask import Flask, g, request
from flask_login import AnonymousUserMixin
from sqlalchemy import delete, insert, inspect, select

from tremplin.platform.extensions import db
from tremplin.platform.models import ServerError

request_log = logging.getLogger("tremplin.request")
KEEP_ERRORS = 500
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _user_id(load: bool = False) -> int | None:
    """The member this request loaded, if it loaded one (a log line costs no query; an
    error, rare, may load the member from the session)."""
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded
    if user is None and load:
        try:
            from flask_login import current_user

            user = current_user._get_current_object()
        except Exception:  # the database may be what failed
            user = None
    if user is None or isinstance(user, AnonymousUserMixin):
        return None
    # The line is written after the request's commit has expired the member's attributes:
    # its identity key gives the id without reloading the row (user.id would).
    state = inspect(user, raiseerr=False)
    if state is not None and state.identity:
        return state.identity[0]
    return user.id


def _route() -> str | None:
    return request.url_rule.rule if request.url_rule is not None else None


def request_id() -> str | None:
    return g.get("request_id")


def _start() -> None:
    sent = request.headers.get("X-Request-ID", "")
    g.request_id = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response):
    started = g.pop("request_started", None)
    if started is None:
        return response
    response.headers.setdefault("X-Request-ID", g.request_id)
    line = {
        "request_id": g.request_id,
        "user_id": _user_id(),
        "method": request.method,
        "route": _route(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    request_log.info(json.dumps(line, separators=(",", ":")))
    return response


def record_server_error(exc: BaseException) -> None:
    """Keep a 500 for the administrators' page, in its own transaction (the request's was
    rolled back). A database that fails here is already in the log: never raise."""
    frames = traceback.extract_tb(exc.__traceback__)
    location = "\n".join(f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-8:])
    values = {
        "request_id": g.get("request_id"),
        "method": request.method,
        "route": _route() or request.path[:200],
        "user_id": _user_id(load=True),
        "error_type": f"{type(exc).__module__}.{type(exc).__qualname__}"[:200],
        "message": str(exc)[:300],
        "location": location,
    }
    if _sentry["on"]:
        import sentry_sdk

        sentry_sdk.set_user({"id": values["user_id"]} if values["user_id"] else None)
        sentry_sdk.set_tag("request_id", values["request_id"])
        sentry_sdk.capture_exception(exc)
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(ServerError).values(**values))
            newest = connection.execute(
                select(ServerError.id).order_by(ServerError.id.desc()).offset(KEEP_ERRORS).limit(1)
            ).scalar()
            if newest is not None:
                connection.execute(delete(ServerError).where(ServerError.id <= newest))
    except Exception:
        logging.getLogger(__name__).exception("could not record the server error")


def recent_errors(limit: int = 50) -> list[ServerError]:
    return db.session.scalars(
        select(ServerError).order_by(ServerError.id.desc()).limit(limit)
    ).all()


# --- Sentry -------------------------------------------------------------------------------

_sentry = {"on": False}
_PRIVATE_HEADERS = {"cookie", "authorization", "x-csrftoken", "x-forwarded-for", "x-real-ip"}


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Remove what identifies a person from a Sentry event (before it leaves)."""
    req = event.get("request")
    if isinstance(req, dict):
        for key in ("cookies", "data", "query_string", "env"):
            req.pop(key, None)
        headers = req.get("headers")
        if isinstance(headers, dict):
            req["headers"] = {k: v for k, v in headers.items() if k.lower() not in _PRIVATE_HEADERS}
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if user.get("id") is not None else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    event.pop("breadcrumbs", None)
    return event


def init_sentry(app: Flask) -> bool:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],
        include_local_variables=False,
        max_breadcrumbs=0,
        traces_sample_rate=0,
        environment=app.config.get("SENTRY_ENVIRONMENT") or None,
        before_send=scrub_event,
    )
    _sentry["on"] = True
    return True


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    init_sentry(app)
