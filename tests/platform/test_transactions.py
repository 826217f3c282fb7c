"""The one after-commit mechanism: work runs after the OUTERMOST commit only, a released
savepoint runs nothing, a rolled-back savepoint drops only what it queued, an outer
rollback drops everything. On SQLite and PostgreSQL (real savepoints)."""

from __future__ import annotations

import time

from sqlalchemy import select

from tests.kit.live import wait_for
from tremplin.platform import notifications
from tremplin.platform.jobs import job
from tremplin.platform.models import Notification, User
from tremplin.platform.transactions import (
    after_commit,
    after_rollback,
    before_commit,
    pending,
)


def _touch(db, user, name):
    user.display_name = name
    db.session.flush()


def test_a_released_savepoint_runs_nothing_the_outer_commit_runs_it(db, make_member):
    awa = make_member("Awa")
    db.session.commit()
    ran = []
    with db.session.begin_nested():
        _touch(db, awa, "Awa B.")
        after_commit(db.session, ran.append, "inside")
    # SQLAlchemy fired after_commit for the release: nothing may run yet.
    assert ran == []
    after_commit(db.session, ran.append, "outside")
    assert pending(db.session) == 2
    db.session.commit()
    assert ran == ["inside", "outside"]
    assert pending(db.session) == 0


def test_nested_savepoints_released_then_outer_commit(db, make_member):
    awa = make_member("Awa")
    db.session.commit()
    ran = []
    with db.session.begin_nested():
        after_commit(db.session, ran.append, 1)
        with db.session.begin_nested():
            _touch(db, awa, "Awa C.")
            after_commit(db.session, ran.append, 2)
        assert ran == []
    assert ran == []
    db.session.commit()
    assert ran == [1, 2]


def test_the_outer_rollback_drops_everything(db, make_member):
    awa = make_member("Awa")
    db.session.commit()
    ran, undone = [], []
    after_commit(db.session, ran.append, "outer")
    after_rollback(db.session, undone.append, "outer")
    with db.session.begin_nested():
        _touch(db, awa, "Awa D.")
        after_commit(db.session, ran.append, "released")
        after_rollback(db.session, undone.append, "released")
    db.session.rollback()
    assert ran == []
    assert undone == ["outer", "released"]
    # Nothing lingers for the next transaction.
    db.session.commit()
    assert ran == []


def test_a_savepoint_rolled_back_drops_only_what_it_queued(db, make_member):
    awa = make_member("Awa")
    db.session.commit()
    ran, undone = [], []
    after_commit(db.session, ran.append, "before")
    nested = db.session.begin_nested()
    _touch(db, awa, "Jamais")
    after_commit(db.session, ran.append, "inside")
    after_rollback(db.session, undone.append, "inside")
    nested.rollback()
    assert undone == ["inside"]
    after_commit(db.session, ran.append, "after")
    db.session.commit()
    assert ran == ["before", "after"]
    assert undone == ["inside"]
    assert db.session.get(User, awa.id).display_name == "Awa"


def test_before_commit_work_reads_the_transaction_about_to_commit(db, make_member):
    awa = make_member("Awa")
    db.session.commit()
    seen = []

    def read():
        seen.append(db.session.scalar(select(User.display_name).where(User.id == awa.id)))

    awa.display_name = "Awa Diallo"  # not flushed yet: before-commit work sees it anyway
    before_commit(db.session, read)
    assert seen == []
    db.session.commit()
    assert seen == ["Awa Diallo"]


def test_a_failing_callback_does_not_stop_the_others_nor_the_commit(db, make_member):
    awa = make_member("Awa")
    ran = []
    after_commit(db.session, lambda: 1 / 0)
    after_commit(db.session, ran.append, "still")
    db.session.commit()
    assert ran == ["still"]
    assert db.session.get(User, awa.id) is not None


@job()
def _record_display_name(user_id: int, into: list) -> None:
    from tremplin.platform.extensions import db

    into.append((db.session.get(User, user_id).display_name, id(db.session())))


def test_a_job_after_commit_runs_once_committed_in_a_fresh_session(db, make_member):
    awa = make_member("Awa")
    db.session.commit()
    seen: list = []
    with db.session.begin_nested():
        awa.display_name = "Awa E."
        _record_display_name.after_commit(awa.id, seen)
    assert seen == []
    db.session.rollback()  # dropped with the transaction
    assert seen == []
    awa = db.session.get(User, awa.id)
    awa.display_name = "Awa F."
    _record_display_name.after_commit(awa.id, seen)
    db.session.commit()
    assert len(seen) == 1
    name, session_id = seen[0]
    assert name == "Awa F."  # read from the committed row by another session
    assert session_id != id(db.session())


def test_an_emit_queued_in_a_savepoint_leaves_only_after_the_outer_commit(
    app, db, make_member, socket_client
):
    """Stored first, then emitted: `notify` inside `begin_nested()` (as services do) must
    not reach the member when the savepoint is released, only at the real commit."""
    awa = make_member("Awa")
    db.session.commit()
    client = socket_client(awa)
    assert wait_for(lambda: client.received)
    client.received.clear()
    with app.test_request_context():
        with db.session.begin_nested():
            notifications.notify(awa, "test", "Dans un point de sauvegarde")
        time.sleep(0.5)
        assert client.received == []
        db.session.commit()
    assert wait_for(lambda: client.received)
    assert client.received == [("notifications:count", {"unread": 1})]
    assert db.session.scalar(select(Notification.text)) == "Dans un point de sauvegarde"
