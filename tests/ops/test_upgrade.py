"""Upgrades keep data: the demo network, at an older revision, upgraded to head, is found
again — members, messages, pledges, ledger balances, club votes and every other row.

How the old database is filled (honestly): the demo loader writes through today's models,
so it cannot run against an old schema. The demo network is loaded once at head (database
A); for each revision R, a database B is built at R with `flask db upgrade R` and receives
A's rows, every column R's schema has (the SQL R understands, generated from R's reflected
schema); then B is upgraded to head and compared with A, table by table on the columns
that existed at R. At the oldest revision only the tables it had are filled (members,
consents, notifications); from the revision that adds a module on, its data rides along.
Columns that later revisions add are filled by those revisions' defaults: that is what an
upgrade does. Downgrades are checked step by step on an empty schema.
"""

from __future__ import annotations

import warnings

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.exc import SAWarning

from tests.kit.app import TEST_DATABASE, base_config, ensure_pg_database, pg_sqlalchemy_url
from tests.ops.snapshot import figures, ledger_balances
from tremplin import create_app
from tremplin.platform import demo
from tremplin.platform.config import PROJECT_ROOT
from tremplin.platform.extensions import db


def _revisions() -> list[str]:
    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


REVISIONS = _revisions()
# The oldest revision, and the head of the last release (before this round's revisions):
# every kind of data exists there, and every revision added since runs over it.
LAST_RELEASE = "0007"
STARTS = [REVISIONS[0], LAST_RELEASE]


def _database(tmp_path, name: str) -> str:
    """An empty database of this run (SQLite file, or a PostgreSQL database of our own)."""
    if TEST_DATABASE != "postgresql":
        return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
    url = pg_sqlalchemy_url(pg_sqlalchemy_url().rsplit("/", 1)[1] + "_" + name)
    ensure_pg_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


def _app(tmp_path, url: str):
    with create_app(base_config(tmp_path, url)).test_request_context() as ctx:
        pass
    return ctx.app


@pytest.fixture(scope="module")
def demo_at_head(tmp_path_factory):
    """Database A: the schema at head, the demo network loaded through today's code."""
    folder = tmp_path_factory.mktemp("upgrade-source")
    url = _database(folder, "upgrade_source")
    app = _app(folder, url)
    with app.test_request_context():
        upgrade()
        demo.load()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


def _copy_rows(source_url: str, target_url: str) -> dict[str, list[str]]:
    """Insert A's rows into B, each table with the columns B has; return those columns."""
    source, target = create_engine(source_url), create_engine(target_url)
    old, new = MetaData(), MetaData()
    old.reflect(bind=target)
    new.reflect(bind=source)
    copied: dict[str, list[str]] = {}
    with source.connect() as src, target.connect() as dst:
        # A few foreign keys form cycles (an investment and its convention document): rows
        # go in table by table with the checks off, as a restore would.
        if dst.dialect.name == "sqlite":
            dst.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            dst.exec_driver_sql("SET session_replication_role = replica")
        with warnings.catch_warnings():  # the one FK cycle is why the checks are off
            warnings.simplefilter("ignore", SAWarning)
            ordered = old.sorted_tables  # parents first
        for table in ordered:
            if table.name == "alembic_version" or table.name not in new.tables:
                continue
            columns = [c.name for c in table.columns]
            origin = new.tables[table.name]
            rows = src.execute(select(*[origin.c[c] for c in columns])).all()
            if rows:
                dst.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
            copied[table.name] = columns
        if dst.dialect.name == "postgresql":  # the sequences follow the copied ids
            for name in copied:
                if "id" in copied[name]:
                    dst.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'
                        )
                    )
        dst.commit()
    source.dispose()
    target.dispose()
    return copied


def _rows(url: str, copied: dict[str, list[str]]) -> dict[str, list[tuple]]:
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(bind=engine)
    found = {}
    with engine.connect() as conn:
        for name, columns in copied.items():
            table = metadata.tables[name]
            order = list(table.primary_key.columns) or [table.c[c] for c in columns]
            found[name] = conn.execute(
                select(*[table.c[c] for c in columns]).order_by(*order)
            ).all()
    engine.dispose()
    return found


def _figures(url: str) -> dict:
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        found = figures(conn)
        if "ledger_entries" in tables:
            found["ledger"] = ledger_balances(conn)
    engine.dispose()
    return found


@pytest.mark.db
@pytest.mark.parametrize("revision", STARTS)
def test_upgrading_from_an_older_revision_keeps_the_data(tmp_path, demo_at_head, revision):
    target_url = _database(tmp_path, "upgrade_target")
    app = _app(tmp_path, target_url)
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()
    copied = _copy_rows(demo_at_head, target_url)
    assert "users" in copied
    before = _rows(target_url, copied)
    assert sum(len(rows) for rows in before.values()) > 20
    with app.app_context():
        upgrade()  # to head
        with db.engine.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert head == REVISIONS[-1]
    assert _rows(target_url, copied) == before  # every row, every column it had
    expected = _figures(demo_at_head)
    found = _figures(target_url)
    tables = {"members": "users", "messages": "messages", "pledges": "pledges"}
    tables |= {"club_ballots": "club_ballots", "club_votes": "club_votes"}
    tables |= {"ledger": "ledger_entries"}
    for key, table in tables.items():  # members, messages, pledges, ledger, votes: what R had
        if table in copied:
            assert found[key] == expected[key], key
    if revision == LAST_RELEASE:
        assert found == expected  # the whole demo network, every figure
        assert found["ledger"]["*"] == 0 and found["pledges"] and found["club_votes"]


@pytest.mark.db
def test_downgrades_step_by_step_on_an_empty_schema(tmp_path):
    url = _database(tmp_path, "downgrade")
    app = _app(tmp_path, url)
    with app.app_context():
        upgrade()
        for revision in reversed(REVISIONS[:-1]):
            downgrade(revision=revision)
            with db.engine.connect() as conn:
                now = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert now == revision
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) - {"alembic_version"} == set()
        upgrade()  # and back up again
        db.engine.dispose()
