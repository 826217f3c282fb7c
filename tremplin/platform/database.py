"""Database wiring: SQLite pragmas, migrations, and the one commit at the end of a request.

Services flush and never commit. A request that ends well (status < 400) commits once;
anything else rolls back, so an error never leaves half-written rows behind.
"""

from __future__ import annotations

from flask import Flask, Response
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tremplin.platform.config import PROJECT_ROOT
from tremplin.platform.extensions import db, migrate


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - trivial
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_savepoint_inside_a_transaction(conn, name):
    """Python's sqlite3 module opens a transaction only before INSERT/UPDATE/DELETE, so a
    SAVEPOINT issued first would itself start the transaction, and releasing it would commit
    everything at once: a `begin_nested()` block would be committed in the middle of a
    request. Open the transaction explicitly before the savepoint instead. (Reads before
    the first write stay outside any transaction, as with the module's default behaviour.)"""
    if conn.dialect.name != "sqlite":
        return
    dbapi_connection = conn.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def _render_item(type_, obj, autogen_context):
    """Migrations spell our column types in plain SQLAlchemy, so they never import app code."""
    from tremplin.platform.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def pool_options(uri: str, threads: int, job_workers: int) -> dict:
    """Connection pool sized to the server: each of gunicorn's threads may hold a
    connection (SQLite connections cost nothing: one per thread, plus the job runner's);
    PostgreSQL's are real server processes, so a process keeps 20 (+20 in a burst) and
    several processes stay under the server's default `max_connections` of 100."""
    if uri.startswith("sqlite"):
        if uri in ("sqlite://", "sqlite:///:memory:"):
            return {}
        return {"pool_size": threads + job_workers + 2, "max_overflow": 10, "pool_timeout": 30}
    return {"pool_size": 20, "max_overflow": 20, "pool_timeout": 30}


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    sized = pool_options(uri, app.config["SERVER_THREADS"], app.config["JOBS_WORKERS"])
    for key, value in sized.items():
        if app.config.get("DATABASE_POOL_SIZE") and key == "pool_size":
            value = app.config["DATABASE_POOL_SIZE"]
        options.setdefault(key, value)
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 10, "check_same_thread": False})
        options.pop("pool_pre_ping", None)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )

    @app.after_request
    def commit_once(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
