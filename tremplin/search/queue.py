"""Index updates through the job runner, never lost.

What a transaction touched is written, inside that same transaction, to `search_queue`
(one row per document key; cascades are resolved first, while the session still sees the
rows about to be committed). After the commit a job drains the table: it reads a batch,
rebuilds those documents from the committed rows, writes them in one Whoosh writer, then
deletes exactly the rows it applied. A failure leaves the rows for the next try (the job is
retried, and a sweep runs every minute and when a consumer starts); a consumer killed in
the middle of a batch loses nothing, since the rows go only once applied. Applying a key
twice is harmless: documents are rebuilt from the database.

Coalescing: keys are unique per drain (a document touched by 30 commits is rebuilt once),
one drain runs at a time per process, and a drain asked for while one runs makes that one
go round once more instead of waiting.
"""

from __future__ import annotations

import logging
import threading

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, delete, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from tremplin.platform.extensions import db
from tremplin.platform.jobs import job, on_consumer_start, periodic, register_backlog
from tremplin.platform.transactions import after_commit
from tremplin.search.documents import Cascade, Removal, resolve

log = logging.getLogger(__name__)

REMOVE = "remove"
REFRESH = "refresh"


class SearchQueueEntry(db.Model):
    """A document to rebuild (or remove) once its transaction has committed."""

    __tablename__ = "search_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(10), default=REFRESH)


def store(session, changes) -> None:
    """Write `changes` (keys, removals, cascades) to the queue in the session's transaction,
    and drain the queue once it commits."""
    rows: dict[tuple[str, str], None] = {}
    for change in changes:
        if isinstance(change, Removal):
            rows[(change.key, REMOVE)] = None
        elif isinstance(change, Cascade):
            for value in resolve(session, change):
                rows[(value, REFRESH)] = None
        elif change:
            rows[(change, REFRESH)] = None
    if not rows:
        return
    session.connection().execute(
        insert(SearchQueueEntry.__table__),
        [{"key": value, "action": action} for value, action in rows],
    )
    after_commit(session, drain.enqueue)


_draining = threading.Lock()
_again = threading.Event()


@on_consumer_start
@job(retries=10, retry_delay=5)
def drain() -> int:
    """Apply every queued index update (see the module docstring). Returns how many."""
    done = 0
    _again.set()
    while _again.is_set():
        if not _draining.acquire(blocking=False):
            return done  # the running drain goes round again (`_again` is set)
        try:
            _again.clear()
            done += _drain_batches()
        finally:
            _draining.release()
    return done


@periodic(minute="*")
def sweep() -> int:
    """Every minute: what a killed consumer or a failed drain left behind."""
    return drain()


def _drain_batches() -> int:
    service = current_app.extensions.get("search")
    if service is None:
        return 0
    batch_size = int(current_app.config.get("SEARCH_QUEUE_BATCH", 500))
    done = 0
    while True:
        rows = db.session.execute(
            select(SearchQueueEntry.id, SearchQueueEntry.key, SearchQueueEntry.action)
            .order_by(SearchQueueEntry.id)
            .limit(batch_size)
        ).all()
        db.session.rollback()  # read, then hold no transaction while Whoosh writes
        if not rows:
            return done
        changes = {Removal(key) if action == REMOVE else key for _, key, action in rows}
        service.indexer.write(changes)  # raises: the rows stay, the job is retried
        db.session.execute(
            delete(SearchQueueEntry).where(SearchQueueEntry.id.in_([row.id for row in rows]))
        )
        db.session.commit()
        done += len(changes)


def pending_ids() -> list[int]:
    """The queue rows committed so far (read on a connection of its own)."""
    with db.engine.connect() as conn:
        return list(conn.execute(select(SearchQueueEntry.id)).scalars())


def forget(ids: list[int]) -> int:
    """Delete these rows (a full rebuild made them pointless); returns how many went."""
    gone = 0
    for start in range(0, len(ids), 1000):
        with db.engine.begin() as conn:
            gone += conn.execute(
                delete(SearchQueueEntry).where(SearchQueueEntry.id.in_(ids[start : start + 1000]))
            ).rowcount
    return gone


def queued() -> int:
    return db.session.scalar(select(func.count(SearchQueueEntry.id))) or 0


register_backlog(_l("Mises à jour de l’index de recherche en attente"), queued)
