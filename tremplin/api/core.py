"""The machinery of /api/v1: the OpenAPI extension (flask-smorest on this plain Flask app),
bearer-token authentication with scopes, problem+json errors in French or English, ETags and
cursor pagination. Endpoints live in v1.py; nothing here knows a domain module.

Session cookies never authenticate an API call: the request's user is the token's owner or
nobody, so a forged cross-site request carries no authority and needs no CSRF token.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import http
import json
from datetime import datetime
from functools import wraps
from types import SimpleNamespace

import flask_smorest
import marshmallow as ma
from babel import Locale
from flask import Response, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from flask_smorest.utils import prepare_response
from sqlalchemy import and_, or_
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from tremplin.api import tokens
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db

PROBLEM = "application/problem+json"
LANGUAGES = ("fr", "en")


# --- the OpenAPI extension -----------------------------------------------------------------


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(metadata={"description": "Champ → messages (requêtes invalides)"})


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400  # a bad argument is a bad request, as in the HTML pages


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _Parser()


class TremplinApi(flask_smorest.Api):
    """flask-smorest's Api without its app-wide error handler (the HTML site keeps its own
    error pages); errors of the API blueprint are answered by `problem_response`."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Erreur (problem+json)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


# --- errors as problem+json ----------------------------------------------------------------

TITLES = {
    400: _l("Requête incorrecte"),
    401: _l("Authentification nécessaire"),
    403: _l("Accès refusé"),
    404: _l("Introuvable"),
    405: _l("Méthode non autorisée"),
    409: _l("Conflit"),
    413: _l("Requête trop volumineuse"),
    415: _l("Type de contenu non pris en charge"),
    429: _l("Trop de requêtes"),
    500: _l("Erreur interne"),
}

DETAILS = {
    400: _l("La requête n'a pas pu être comprise."),
    401: _l("Envoyez un jeton d'accès personnel valide : Authorization: Bearer <jeton>."),
    403: _l("Ce jeton ne permet pas cette action."),
    404: _l("Cette ressource n'existe pas, ou vous ne pouvez pas la voir."),
    405: _l("Cette méthode n'est pas possible sur cette adresse."),
    413: _l("La requête dépasse la taille autorisée."),
    415: _l("Envoyez du JSON (Content-Type: application/json)."),
    429: _l("Trop de requêtes en peu de temps : patientez avant de réessayer."),
    500: _l("Un problème inattendu est survenu. Rien n'a été enregistré."),
}


def problem(status: int, detail=None, *, errors=None, headers=None, code: str | None = None):
    body = {
        "type": f"https://tremplin.example/problemes/{code or status}",
        "title": str(TITLES.get(status, TITLES[400] if status < 500 else TITLES[500])),
        "status": status,
        "detail": str(detail or DETAILS.get(status, DETAILS[400])),
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def handle_http_exception(exc: HTTPException):
    db.session.rollback()
    set_locale()  # the error may come before the blueprint's hooks ran (unknown URL, 429)
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages") or data.get("errors")
    if (
        isinstance(errors, dict)
        and len(errors) == 1
        and next(iter(errors))
        in (
            "json",
            "query",
            "headers",
        )
    ):
        errors = next(iter(errors.values()))  # webargs nests messages under their location
    headers = dict(data.get("headers") or {})
    detail = data.get("message") or None
    if code == 429:
        headers.setdefault("Retry-After", "60")
    if code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    if code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="tremplin"')
    return problem(
        code if code in TITLES else (500 if code >= 500 else 400),
        detail,
        errors=errors,
        headers=headers,
    )


def handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    db.session.rollback()
    current_app.logger.exception("API error on %s %s", request.method, request.path)
    return problem(500)


def domain_error(exc: DomainError):
    """A refused service call: 403 for a permission, 400 for a field, 409 otherwise."""
    db.session.rollback()
    if isinstance(exc, NotAllowed):
        return problem(403, exc.message)
    if exc.field:
        return problem(400, exc.message, errors={exc.field: [exc.message]})
    return problem(409, exc.message)


# --- who is calling ------------------------------------------------------------------------


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def rate_limit_key() -> str:
    """Flask-Limiter key: the token (by its digest) when one is sent, else the address."""
    token = bearer_token()
    if token:
        return "api-token:" + tokens.token_hash(token)[:32]
    return "api-ip:" + (request.remote_addr or "?")


def set_locale() -> None:
    """The API speaks the language of Accept-Language (French by default), never the
    session's."""
    lang = request.accept_languages.best_match(LANGUAGES, default="fr")
    locale = Locale.parse(lang)
    # Flask-Babel keeps the request's locale in g._flask_babel; a forced one survives refresh().
    g._flask_babel = SimpleNamespace(babel_locale=locale, forced_babel_locale=locale)
    g.api_locale = lang


def authenticate() -> Response | None:
    """Resolve the bearer token (401 if it is unknown, revoked or its owner suspended) and
    make its owner — or an anonymous visitor — the request's user for every policy."""
    g.api_token = None
    g._login_user = AnonymousUserMixin()  # the session cookie is ignored
    raw = bearer_token()
    if request.headers.get("Authorization") and raw is None:
        return problem(
            401, code="invalid_token", headers={"WWW-Authenticate": 'Bearer realm="tremplin"'}
        )
    if raw is None:
        return None
    token = tokens.resolve(raw)
    if token is None:
        return problem(
            401,
            _l("Ce jeton est inconnu ou a été révoqué."),
            code="invalid_token",
            headers={"WWW-Authenticate": 'Bearer realm="tremplin", error="invalid_token"'},
        )
    g.api_token = token
    g._login_user = token.user
    return None


def api_user():
    return g.get("_login_user") or AnonymousUserMixin()


def viewer():
    """Whom public reads are answered for: the owner if the token may read, else a visitor."""
    token = g.get("api_token")
    if token is not None and "read" in token.scope_list:
        return token.user
    return AnonymousUserMixin()


def require_scope(scope: str):
    """An endpoint that needs a token carrying `scope` (401 without a token, 403 without
    the scope)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            token = g.get("api_token")
            if token is None:
                return problem(
                    401, headers={"WWW-Authenticate": f'Bearer realm="tremplin", scope="{scope}"'}
                )
            if scope not in token.scope_list:
                return problem(
                    403,
                    _l("Ce jeton n'a pas la portée « %(scope)s ».", scope=scope),
                    code="insufficient_scope",
                    headers={
                        "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'
                    },
                )
            return view(*args, **kwargs)

        wrapper._api_scope = scope
        # documented in the OpenAPI operation (flask-smorest reads `_apidoc["manual_doc"]`)
        wrapper._apidoc = copy.deepcopy(getattr(view, "_apidoc", {}))
        manual = wrapper._apidoc.setdefault("manual_doc", {})
        manual["security"] = [{"bearerAuth": [scope]}]
        return wrapper

    return decorator


# --- caching -------------------------------------------------------------------------------


def add_etag(response: Response) -> Response:
    """A strong ETag on every successful read; If-None-Match answers 304 without a body."""
    if request.method != "GET" or response.status_code != 200 or response.direct_passthrough:
        return response
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.update(("Authorization", "Accept-Language"))
    return response.make_conditional(request)


# --- cursor pagination ---------------------------------------------------------------------


class PageArgs(ma.Schema):
    cursor = ma.fields.String(
        validate=[ma.validate.Length(max=400), ma.validate.Regexp(r"^[A-Za-z0-9_-]*$")],
        metadata={
            "description": "Le `next_cursor` de la page précédente (opaque ; un curseur "
            "fabriqué est refusé par 400).",
            "pattern": "^[A-Za-z0-9_-]*$",
        },
    )
    limit = ma.fields.Integer(
        load_default=20,
        validate=ma.validate.Range(min=1, max=100),
        metadata={"description": "Éléments par page (1 à 100)."},
    )


class BadCursor(Exception):
    pass


def _encode(values) -> str:
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
        if not isinstance(plain, list) or len(plain) != count:
            raise ValueError
        values = []
        for value in plain:
            if isinstance(value, dict):
                values.append(datetime.fromisoformat(value["t"]))
            elif isinstance(value, int | str) and not isinstance(value, bool):
                values.append(value)
            else:
                raise ValueError
        return values
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
        raise BadCursor from exc


def paginate(stmt, columns, args: dict, *, descending: bool = False):
    """Keyset pagination over `columns` (the last one unique): returns (rows, next_cursor).
    A page never skips or repeats a row when rows are added meanwhile."""
    limit = args.get("limit", 20)
    cursor = args.get("cursor")
    if cursor:
        values = _decode(cursor, len(columns))
        stmt = stmt.where(_after(columns, values, descending))
    order = [c.desc() for c in columns] if descending else list(columns)
    rows = list(db.session.scalars(stmt.order_by(*order).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([getattr(last, c.key) for c in columns])
    return rows, next_cursor


def _after(columns, values, descending: bool):
    """(a, b) > (x, y) spelled out, so it reads the same on SQLite and PostgreSQL."""
    clauses = []
    for i, column in enumerate(columns):
        equal = [columns[j] == values[j] for j in range(i)]
        step = column < values[i] if descending else column > values[i]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


def page_body(items, next_cursor):
    if next_cursor:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        args["cursor"] = next_cursor
        from urllib.parse import urlencode

        g.api_next_link = f"{request.base_url}?{urlencode(args)}"
    return {"items": items, "next_cursor": next_cursor}


def add_link_header(response: Response) -> Response:
    link = g.get("api_next_link")
    if link and response.status_code == 200:
        response.headers["Link"] = f'<{link}>; rel="next"'
    return response
