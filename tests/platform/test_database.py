"""The one-commit-per-request rule holds inside savepoints too."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from tremplin.platform.models import OutboxEmail

pytestmark = pytest.mark.db


def _fresh_connection_count(app) -> int:
    # Another connection, as another request thread or process would see the database.
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM outbox_emails")).scalar_one()
    finally:
        engine.dispose()


def test_releasing_a_savepoint_commits_nothing_until_the_outer_commit(app, db):
    before = _fresh_connection_count(app)
    db.session.execute(select(OutboxEmail.id)).all()  # a read first, as a request does
    with db.session.begin_nested():
        db.session.add(
            OutboxEmail(to_address="a@exemple.fr", subject="s", body_text="b", kind="test")
        )
    assert _fresh_connection_count(app) == before  # released, yet invisible elsewhere
    db.session.rollback()
    assert _fresh_connection_count(app) == before  # and the rollback takes it away
    with db.session.begin_nested():
        db.session.add(
            OutboxEmail(to_address="a@exemple.fr", subject="s", body_text="b", kind="test")
        )
    db.session.commit()
    assert _fresh_connection_count(app) == before + 1
