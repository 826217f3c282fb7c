"""The app, its database, a CSRF-aware test client, `auth` and a statement counter."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_babel
import pytest
from flask import g
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, event, text

from tremplin import create_app
from tremplin.platform.extensions import db as _db

TEST_DATABASE = os.environ.get("TREMPLIN_TEST_DATABASE", "sqlite")
PG_URL = os.environ.get("TREMPLIN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
CI = os.environ.get("CI", "").lower() == "true"
SECRET = "test-secret-key-not-for-production"


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"… under pytest -n


def pg_sqlalchemy_url(database: str | None = None) -> str:
    """The PostgreSQL test database; each xdist worker gets its own (test_gw0…)."""
    url = "postgresql+psycopg://" + PG_URL.split("://", 1)[1]
    if database is None:
        # The SQLite run (whose search-backend tests also use PostgreSQL) runs beside the
        # PostgreSQL run (tests/run.py): each has its own databases.
        side = ["sqlite"] if TEST_DATABASE != "postgresql" else []
        database = "_".join([url.rsplit("/", 1)[1], *side, *([WORKER] if WORKER else [])])
    return url.rsplit("/", 1)[0] + "/" + database


def ensure_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test's commit need not wait for the WAL to reach the disk (a crash of the
        # PostgreSQL server would lose the last commits, never corrupt): every commit of
        # the suite, in this process and in the servers it starts, skips the flush.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    admin.dispose()


def pytest_collection_modifyitems(config, items):
    """Every test that touches the app's database is a `db` test (run on both databases)."""
    for item in items:
        if {"app", "db", "client", "live_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


def base_config(tmp_path: Path, database_uri: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "TREMPLIN_BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        "MAIL_SERVER": None,
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "SEARCH_INDEX_IN_RAM": True,
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "STRIPE_SECRET_KEY": None,
    }


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> Iterator[str]:
    """Build the schema once per run: a template SQLite file (copied per test), or the
    PostgreSQL database (emptied after each test)."""
    if TEST_DATABASE == "postgresql":
        url = pg_sqlalchemy_url()
        ensure_pg_database(url)
        app = create_app(base_config(tmp_path_factory.mktemp("pg"), url))
        with app.app_context():
            with _db.engine.begin() as conn:  # start from nothing, whatever an older run left
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            _db.create_all()
            _db.engine.dispose()
        yield url
    else:
        folder = tmp_path_factory.mktemp("template")
        path = folder / "template.sqlite3"
        app = create_app(base_config(folder, f"sqlite:///{path}"))
        with app.app_context():
            _db.create_all()
            _db.engine.dispose()
        yield str(path)


def _empty_all(url: str) -> None:
    """Empty every table and restart every id sequence, in one transaction.

    Only the tables a test wrote to are emptied, with DELETE, children first: a TRUNCATE
    of all 70-odd tables gives each a new file on disk and costs about a second per test
    on a busy disk, where this costs milliseconds."""
    engine = _cleaning_engine(url)
    tables = _db.metadata.sorted_tables
    probe = " UNION ALL ".join(
        f'SELECT {i} FROM (SELECT 1 FROM "{t.name}" LIMIT 1) AS t{i}' for i, t in enumerate(tables)
    )
    with engine.begin() as conn:
        used = sorted((row[0] for row in conn.execute(text(probe))), reverse=True)
        for i in used:  # sorted_tables lists parents first: delete in the reverse order
            conn.execute(text(f'DELETE FROM "{tables[i].name}"'))
        # The PostgreSQL search index (schema `search`, outside the models) follows too.
        if conn.execute(text("SELECT to_regclass('search.documents')")).scalar():
            conn.execute(text("DELETE FROM search.documents; DELETE FROM search.words"))
        conn.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
            )
        )


_cleaning_engines: dict[str, object] = {}


def _cleaning_engine(url: str):
    if url not in _cleaning_engines:
        _cleaning_engines[url] = create_engine(url)
    return _cleaning_engines[url]


@pytest.fixture
def app_config(tmp_path, database_template) -> dict:
    """Override entries in this dict (fixture) before `app` is built."""
    if TEST_DATABASE == "postgresql":
        uri = database_template
    else:
        # One path per test process (refilled from the template for each test), so that
        # every test's app shares one engine and its compiled SQL (tests/kit/speed.py).
        path = Path(database_template).with_name("test.sqlite3")
        for stale in (path, path.with_name("test.sqlite3-wal"), path.with_name("test.sqlite3-shm")):
            stale.unlink(missing_ok=True)  # a new file, never rewritten under an open one
        shutil.copyfile(database_template, path)
        uri = f"sqlite:///{path}"
    return base_config(tmp_path, uri)


@pytest.fixture
def app(app_config, database_template):
    application = create_app(app_config)

    @application.before_request
    def forget_previous_request_user():
        # The test keeps one app context open, so `g` outlives a request; a browser's next
        # request would start from nothing: drop Flask-Login's cached user.
        g.pop("_login_user", None)
        flask_babel.refresh()  # likewise for the locale Flask-Babel caches on `g`

    ctx = application.app_context()
    ctx.push()
    yield application
    _db.session.remove()
    ctx.pop()
    if TEST_DATABASE == "postgresql":
        # The connections stay in the pool shared by the next test's app (speed.py): the
        # pool rolls back whatever a connection left open when it is returned.
        _empty_all(database_template)
    else:
        with application.app_context():
            _db.engine.dispose()  # the next test gets a new file at the same path


@pytest.fixture
def db(app):
    return _db


class CSRFClient(FlaskClient):
    """A test client that adds a valid CSRF token to form posts, like a browser would.
    Pass `csrf=False` to send a post without one."""

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if not raw:
                raw = hashlib.sha1(os.urandom(64)).hexdigest()
                sess["csrf_token"] = raw
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        data = kwargs.get("data")
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"} and not kwargs.get("json"):
            if data is None:
                data = {}
            if isinstance(data, dict) and "csrf_token" not in data:
                kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = CSRFClient
    return app.test_client()


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str, remember: bool = False):
        """Log in through the real form (rate-limited like any visitor)."""
        return self.client.post(
            "/connexion",
            data={"email": email, "password": password, "remember": "y" if remember else ""},
        )

    def login_as(self, user):
        """Open a session for `user` without the form (fast; no rate limit involved)."""
        with self.client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        return user

    def logout(self):
        return self.client.post("/deconnexion")


@pytest.fixture
def auth(client):
    return AuthActions(client)


class StatementCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(app):
    """`with count_statements() as counter: ...; counter.count` (SQL statements issued)."""

    @contextmanager
    def counting():
        counter = StatementCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            stripped = statement.strip().upper()
            if not stripped.startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
                counter.statements.append(statement)

        engine = _db.engine
        # A page is measured from what the database holds, not from what an earlier
        # request or a factory left in the test's session (its objects expire at commit):
        # otherwise two measurements on either side of a commit differ by a reload.
        _db.session.expire_all()
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


def session_cookie_for(app, user) -> str:
    """A signed session cookie value logging `user` in (for socket and browser clients)."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"_user_id": user.get_id(), "_fresh": True})
