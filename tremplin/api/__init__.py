"""The public API: /api/v1 (JSON, described by an OpenAPI 3.1 document generated from the
code), personal access tokens, outgoing webhooks for organisers and partners, and the
widgets (iframes and oEmbed) partners paste into their own pages.

It depends on the domain modules only through their `__init__` functions and policies, and
never writes their tables: every write goes through their services. Nothing depends on it.

Where things live: core.py (OpenAPI extension, tokens in requests, problem+json, ETag,
cursors), v1.py (endpoints), schemas.py, tokens.py, webhooks.py (subscriptions, events,
signed delivery), widgets.py (iframes, oEmbed), routes.py (account and subscription pages,
documentation page), policies.py, models.py.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask

bp = Blueprint("api", __name__)

__all__ = ["bp", "init_module"]

DEFAULTS = {
    # Per token (or per address without a token), Flask-Limiter syntax.
    "RATELIMIT_API": os.environ.get("RATELIMIT_API", "120 per minute; 3000 per hour"),
    "API_TITLE": "Tremplin",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    # Webhooks: seconds before giving up on a receiver, attempts, first retry delay.
    "WEBHOOK_TIMEOUT": float(os.environ.get("WEBHOOK_TIMEOUT", 5)),
    "WEBHOOK_MAX_ATTEMPTS": int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", 6)),
    "WEBHOOK_RETRY_BASE_SECONDS": int(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", 60)),
    # Hosts a webhook may never target besides private addresses ("localhost", the site…).
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": False,
}


def init_module(app: Flask) -> None:
    from tremplin.api import core, routes, v1, webhooks, widgets  # noqa: F401  (routes attach to bp)
    from tremplin.platform.extensions import csrf

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Rencontres, projets et besoins, collectes, groupes, veille et "
                "chiffres d'impact du réseau ; et, avec un jeton d'accès personnel, vos "
                "inscriptions, promesses, binômes et notifications.",
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "Jeton d'accès personnel créé sur la page « Mon compte ».",
                    }
                }
            },
            "servers": [{"url": "/"}],
        },
    )
    api = core.TremplinApi()
    api.init_app(app)
    app.extensions["tremplin-api"] = api
    _prepare_blueprint()
    csrf.exempt(v1.blp)  # tokens, not cookies: see core.py
    api.register_blueprint(v1.blp)
    webhooks.connect_signals()
    routes.register_hooks()
    from tremplin.platform.errors import register_error_renderer

    register_error_renderer("/api/v1/", core.handle_http_exception)


_prepared = False


def _prepare_blueprint() -> None:
    """Hooks of the v1 blueprint, attached once (the blueprint outlives each app)."""
    global _prepared
    if _prepared:
        return
    _prepared = True
    from flask import current_app
    from werkzeug.exceptions import HTTPException

    from tremplin.api import core, v1
    from tremplin.platform.errors import DomainError
    from tremplin.platform.extensions import limiter

    limiter.limit(lambda: current_app.config["RATELIMIT_API"], key_func=core.rate_limit_key)(v1.blp)

    @v1.blp.before_request
    def _enter():
        core.set_locale()
        return core.authenticate()

    v1.blp.after_request(core.add_link_header)
    v1.blp.after_request(core.add_etag)
    v1.blp.register_error_handler(HTTPException, core.handle_http_exception)
    v1.blp.register_error_handler(DomainError, core.domain_error)
    v1.blp.register_error_handler(Exception, core.handle_unexpected)
