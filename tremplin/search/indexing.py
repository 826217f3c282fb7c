"""The index follows the database: session events note which objects a transaction
touched, and after the commit the job runner rebuilds their documents from the committed
rows (search/queue.py: the keys are stored with the transaction, so none is lost).

Nothing here is called by other modules: they announce nothing, search listens. Deleted
rows are noted before the flush (while their dependants can still be found), new and
changed rows after it (when they have ids and their history is still readable), bulk
UPDATE/DELETE statements as they run. Just before the commit they are written to the search queue; after
it a job reads what was committed in a fresh session, builds the documents, and one
synchronous writer applies them. A failure is retried by the runner; it never touches the
user's request.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from flask import has_request_context
from sqlalchemy import event, select, true
from sqlalchemy.orm import Session

from tremplin.platform.extensions import db
from tremplin.platform.transactions import on_outermost_commit, on_outermost_rollback
from tremplin.search import queue as search_queue
from tremplin.search.backend import Document
from tremplin.search.documents import Cascade, Change, Removal, key, registry, resolve, split_key

log = logging.getLogger(__name__)

PENDING = "tremplin_search_changes"
BATCH = 500


class Indexer:
    def __init__(self, app, backend):
        self.app = app
        self.backend = backend
        self._retry: set[Change] = set()
        self._lock = threading.Lock()

    # after a commit ----------------------------------------------------------------------

    def apply(self, changes: set[Change]) -> None:
        """Write now; on failure, keep the changes for the next call (the CLI, tests)."""
        with self._lock:
            changes = set(changes) | self._retry
            self._retry = set()
        try:
            self.write(changes)
        except Exception:  # never fail the caller for the index
            log.exception(
                "search: could not update the index (%d changes); will retry", len(changes)
            )
            with self._lock:
                self._retry |= changes

    def write(self, changes: set[Change]) -> None:
        """Rebuild these documents from the committed rows and write them in one batch
        (raises on failure: the job runner retries)."""
        docs, gone, hidden = self.collect(changes)
        with self.backend.batch():
            self.backend.remove(gone, with_children=True)
            self.backend.remove(hidden)
            self.backend.index(docs)

    def refresh(self, keys: Iterable[str]) -> None:
        """Rebuild these objects' documents now (the CLI, tests)."""
        self.apply(set(keys))

    def collect(self, changes: Iterable[Change]) -> tuple[list[Document], set[str], set[str]]:
        """(documents to index, keys gone from the database, keys no longer indexable)."""
        keys: set[str] = set()
        removals: set[str] = set()
        with self.reading() as session:
            for change in changes:
                if isinstance(change, str):
                    keys.add(change)
                elif isinstance(change, Removal):
                    removals.add(change.key)
                elif isinstance(change, Cascade):
                    keys.update(resolve(session, change))
            docs, gone, hidden = self._build(session, keys)
        return docs, gone | removals, hidden

    def _build(self, session, keys: set[str]):
        by_type: dict[str, set[int]] = defaultdict(set)
        for value in keys:
            parsed = split_key(value)
            if parsed and parsed[0] in registry.types:
                by_type[parsed[0]].add(parsed[1])
        docs: list[Document] = []
        gone: set[str] = set()
        hidden: set[str] = set()
        for type_name, ids in by_type.items():
            doc_type = registry.types[type_name]
            ordered = sorted(ids)
            for start in range(0, len(ordered), BATCH):
                chunk = ordered[start : start + BATCH]
                found = {
                    obj.id: obj
                    for obj in session.scalars(
                        select(doc_type.model)
                        .where(doc_type.model.id.in_(chunk))
                        .options(*doc_type.load_options())
                    )
                }
                for object_id in chunk:
                    obj = found.get(object_id)
                    if obj is None:
                        gone.add(key(type_name, object_id))
                        continue
                    built = doc_type.build(obj)
                    if built:
                        docs.extend(built)
                    else:
                        hidden.add(key(type_name, object_id))
        return docs, gone, hidden

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session of its own on committed data (the caller's session has just
        committed and may not run SQL from its after_commit hook), inside a request
        context so builders may build URLs."""
        with _request_context(self.app):
            session = Session(bind=db.engine, autoflush=False, expire_on_commit=False)
            try:
                yield session
            finally:
                session.close()

    # everything ----------------------------------------------------------------------------

    def all_documents(self) -> Iterator[Document]:
        """Every document the database calls for, type by type, in id order."""
        with self.reading() as session:
            for doc_type in registry.ordered():
                model = doc_type.model
                last = 0
                while True:
                    chunk = list(
                        session.scalars(
                            select(model)
                            .where(model.id > last)
                            .order_by(model.id)
                            .limit(BATCH)
                            .options(*doc_type.load_options())
                        )
                    )
                    if not chunk:
                        break
                    for obj in chunk:
                        yield from doc_type.build(obj)
                    last = chunk[-1].id
                    session.expunge_all()

    def catch_up(self, keys: set[str]) -> tuple[list[Document], set[str]]:
        """For a rebuild: the documents of objects changed while it ran."""
        docs, gone, hidden = self.collect(keys)
        return docs, gone

    def rebuild(self) -> int:
        """Rebuild everything, then drop the queued updates the rebuild superseded: the
        rows committed before it started reading (it read their objects after them).
        Rows queued while it runs stay for the drain."""
        superseded = search_queue.pending_ids()
        count = self.backend.rebuild(self.all_documents(), self.catch_up)
        search_queue.forget(superseded)
        return count


@contextmanager
def _request_context(app):
    if has_request_context():
        yield
        return
    with app.test_request_context("/"):
        yield


# --- session events ---------------------------------------------------------------------------


def _note(session, obj, state: str, resolve_now: bool = False, model=None) -> None:
    watchers = registry.watchers_for(model or type(obj))
    if not watchers:
        return
    pending = session.info.setdefault(PENDING, set())
    for watcher in watchers:
        try:
            for change in watcher(obj, state):
                if isinstance(change, Cascade) and resolve_now:
                    pending.update(resolve(session, change))
                elif change is not None:
                    pending.add(change)
        except Exception:  # a watcher must never break the application's flush
            log.exception("search: watcher failed on %r (%s)", obj, state)


class BulkRow:
    """A row touched by a bulk statement, as watchers read it (its columns)."""

    def __init__(self, row):
        self.__dict__.update(row)

    def __repr__(self) -> str:
        return f"<BulkRow {self.__dict__}>"


def _before_flush(session, flush_context, instances):
    # Deleted rows first: what depends on them is still there to be found.
    for obj in list(session.deleted):
        _note(session, obj, "deleted", resolve_now=True)


def _after_flush(session, flush_context):
    for obj in list(session.new):
        _note(session, obj, "new")
    for obj in list(session.dirty):
        if session.is_modified(obj, include_collections=False):
            _note(session, obj, "dirty")


def _do_orm_execute(state):
    """Bulk UPDATE / DELETE / INSERT statements skip the flush: note their rows here,
    before they run."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    model = registry.model_for_table(getattr(table, "name", None))
    if model is None:
        return
    session = state.session
    if state.is_insert:
        # Rows we cannot name yet: refresh every type that watches this model.
        for doc_type in registry.types.values():
            if doc_type.model is model or model in doc_type.watches:
                session.info.setdefault(PENDING, set()).add(
                    Cascade(doc_type.name, true, origin=f"bulk-insert:{model.__name__}")
                )
        return
    # The rows' columns only, not ORM objects: loading them into the session would leave
    # stale copies there after the statement (Core statements never refresh them).
    where = state.statement.whereclause
    stmt = select(*model.__table__.columns)
    if where is not None:
        stmt = stmt.where(where)
    try:
        rows = session.execute(stmt, execution_options={"autoflush": False}).mappings().all()
    except Exception:
        log.exception("search: could not read the rows of a bulk statement on %s", model)
        return
    for row in rows:
        _note(
            session,
            BulkRow(row),
            "deleted" if state.is_delete else "bulk",
            resolve_now=state.is_delete,
            model=model,
        )


@on_outermost_commit
def _queue_changes(session):
    """Just before the outermost commit: what this transaction touched goes to the search
    queue in the same transaction, and the job runner applies it once committed (a released
    savepoint is not a commit; a savepoint rolled back leaves the outer transaction, and
    what it noted, alive: extra refreshes are harmless since documents are rebuilt from
    the database). See search/queue.py."""
    changes = session.info.pop(PENDING, None)
    if changes:
        search_queue.store(session, changes)


@on_outermost_rollback
def _forget_changes(session):
    session.info.pop(PENDING, None)


_LISTENERS = [
    ("before_flush", _before_flush),
    ("after_flush", _after_flush),
    ("do_orm_execute", _do_orm_execute),
]


def listen() -> None:
    """Attach the session listeners (once per process, for every session)."""
    for name, func in _LISTENERS:
        if not event.contains(Session, name, func):
            event.listen(Session, name, func)
