"""The platform: the application factory and what every module shares.

`create_app` reads as the ordered list of steps below. The platform imports domain modules
only here, to register their blueprints, CLI groups and socket handlers.

Rooms: config.py, extensions.py, database.py, types.py, models.py (accounts,
notifications, outbox); accounts.py, auth.py, policies.py (site roles, the current member),
hooks.py (how modules plug into the layout), notifications.py, transactions.py
(after-commit), jobs.py, realtime.py, events.py, uploads.py, storage.py, pdf.py, backup.py,
health.py, observability.py, security.py, limits.py, idempotency.py, i18n.py, templating.py,
text.py, textlimits.py, paging.py, spreadsheets.py, tokens.py, vocabulary.py, impact.py,
admin.py, errors.py, forms.py; routes.py (home, language, notifications) and, by concept,
account_routes.py, admin_routes.py, impact_routes.py, jobs_routes.py, ops_routes.py;
cli.py, demo.py, serving.py.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

from tremplin.platform import idempotency  # noqa: F401  (its table is part of the schema)
from tremplin.platform.config import PROJECT_ROOT, load_config

bp = Blueprint("platform", __name__)

# Domain modules, in dependency order. Each exposes `bp` and may expose `init_app(app)`.
MODULES: tuple[str, ...] = (
    "tremplin.platform",
    "tremplin.members",
    "tremplin.groups",
    "tremplin.funding",
    "tremplin.funding.clubs",
    "tremplin.meetups",
    "tremplin.mentoring",
    "tremplin.search",
    "tremplin.site",
    "tremplin.api",
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        "tremplin",
        root_path=str(PROJECT_ROOT),
        # Each host keeps its own instance/ folder (secret key file, embedded queue, local
        # files); TREMPLIN_INSTANCE_PATH moves it (several hosts, or several on one machine).
        instance_path=os.environ.get("TREMPLIN_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder="templates",
        static_folder="static",
    )
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    for step in INIT_STEPS:
        step(app)
    return app


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    from tremplin.platform import observability

    observability.init_app(app)  # request ids and log lines, server errors, Sentry


def configure_database(app: Flask) -> None:
    from tremplin.platform import database

    database.init_app(app)


def configure_accounts(app: Flask) -> None:
    from tremplin.platform import auth
    from tremplin.platform.extensions import csrf

    csrf.init_app(app)
    auth.init_app(app)


def configure_i18n(app: Flask) -> None:
    from tremplin.platform import i18n

    i18n.init_app(app)


def configure_rate_limits(app: Flask) -> None:
    from tremplin.platform.extensions import limiter

    limiter.init_app(app)


def configure_realtime(app: Flask) -> None:
    from tremplin.platform import realtime

    realtime.init_app(app, MODULES)


def configure_jobs(app: Flask) -> None:
    from tremplin.platform import jobs

    jobs.init_app(app)


def configure_serving(app: Flask) -> None:
    from tremplin.platform import serving

    serving.init_app(app)


def configure_security(app: Flask) -> None:
    from tremplin.platform import security

    security.init_app(app)


def configure_templates(app: Flask) -> None:
    from tremplin.platform import templating

    templating.init_app(app)


def configure_errors(app: Flask) -> None:
    from tremplin.platform import errors

    errors.init_app(app)


def register_modules(app: Flask) -> None:
    for name in MODULES:
        module = importlib.import_module(name)
        init = getattr(module, "init_module", None)
        if init:
            init(app)
        app.register_blueprint(module.bp)


def init_module(app: Flask) -> None:
    """The platform's own routes, CLI and socket handlers."""
    from tremplin.platform import cli, impact, jobs_routes, routes  # noqa: F401  (attach to bp)

    cli.init_app(app)
    from flask_babel import lazy_gettext as _l

    from tremplin.platform.hooks import NavItem, register_nav_item

    register_nav_item(
        NavItem(
            "platform.impact_dashboard",
            _l("Impact"),
            order=85,
            organisers_only=True,
            active_prefix="/impact",
        )
    )
    from tremplin.platform.hooks import AdminSection, register_admin_section

    register_admin_section(
        AdminSection("platform.admin_operations", _l("Exploitation"), order=95, admins_only=True)
    )
    register_nav_item(
        NavItem(
            "platform.admin_home",
            _l("Administration"),
            order=90,
            organisers_only=True,
            active_prefix="/administration",
        )
    )


INIT_STEPS: list[Callable[[Flask], None]] = [
    configure_logging,
    configure_database,
    configure_accounts,
    configure_i18n,
    configure_rate_limits,
    configure_realtime,
    configure_jobs,
    configure_security,
    configure_templates,
    configure_errors,
    register_modules,
    configure_serving,
]
