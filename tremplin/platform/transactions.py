"""The one after-commit mechanism: work queued during a transaction runs once the
OUTERMOST transaction has committed, and never if it rolls back.

    after_commit(db.session, fn, *args, **kwargs)   # after the outermost commit
    before_commit(db.session, fn, *args, **kwargs)  # just before it (the session still works)
    after_rollback(db.session, fn, *args, **kwargs) # undo outside the database (files)

The rule, level by level (SQLAlchemy 2 fires `after_commit` when a `begin_nested()` block is
released, while nothing is committed yet, so that event alone cannot be trusted):

- work queued inside a savepoint belongs to that savepoint;
- releasing the savepoint hands its work to the enclosing transaction (nothing runs);
- rolling the savepoint back drops what was queued inside it, and only that;
- committing the outermost transaction runs everything, in the order it was queued, once
  the transaction is over (the session is usable again); a failure is logged, never raised:
  the data is committed and the request must not fail for a follow-up;
- rolling the outermost transaction back (or closing the session) drops everything.

`after_rollback` work is the mirror image: it runs when the transaction (or savepoint) it
was queued in rolls back, including when a released savepoint's parent rolls back later,
and is forgotten on commit (files written for rows that never made it are removed).

`before_commit` work runs in the outermost transaction's `before_commit`, after a flush, so
it may still read and write in that transaction (realtime resolves its payloads there).
Modules that must act at every outermost commit of any session (search notes rows during
flushes) register with `on_outermost_commit(fn)`: fn(session) runs at the same moment;
`on_outermost_rollback(fn)` likewise after every outermost rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

log = logging.getLogger(__name__)

_FRAMES = "tremplin_after_commit_frames"  # {SessionTransaction: Frame}
_COMMITTED = "tremplin_committed_transactions"
_hooks: list[Callable[[Session], None]] = []
_rollback_hooks: list[Callable[[Session], None]] = []

Work = tuple[Callable[..., Any], tuple, dict]


class Frame:
    """What waits on one transaction level."""

    __slots__ = ("before", "after", "rollback")

    def __init__(self) -> None:
        self.before: list[Work] = []
        self.after: list[Work] = []
        self.rollback: list[Work] = []

    def absorb(self, other: Frame) -> None:
        self.before.extend(other.before)
        self.after.extend(other.after)
        self.rollback.extend(other.rollback)


def _session(session: Session | scoped_session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def _current(session: Session) -> SessionTransaction:
    """The innermost transaction (a savepoint, or the outermost one)."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:  # nothing begun yet: begin now, so the work has an owner
        transaction = session.begin()
    return transaction


def _frame(session: Session, transaction: SessionTransaction | None = None) -> Frame:
    frames = session.info.setdefault(_FRAMES, {})
    transaction = transaction or _current(session)
    if transaction not in frames:
        frames[transaction] = Frame()
    return frames[transaction]


def after_commit(
    session: Session | scoped_session, fn: Callable[..., Any], *args, **kwargs
) -> None:
    """Run fn(*args, **kwargs) once the outermost transaction has committed."""
    session = _session(session)
    _frame(session).after.append((fn, args, kwargs))


def before_commit(
    session: Session | scoped_session, fn: Callable[..., Any], *args, **kwargs
) -> None:
    """Run fn(*args, **kwargs) just before the outermost transaction commits (after a
    flush, inside the transaction), unless the savepoint it was queued in rolls back."""
    session = _session(session)
    _frame(session).before.append((fn, args, kwargs))


def after_rollback(
    session: Session | scoped_session, fn: Callable[..., Any], *args, **kwargs
) -> None:
    """Run fn(*args, **kwargs) if the transaction (or savepoint) it is queued in rolls back
    (files written for rows that were never stored)."""
    session = _session(session)
    _frame(session).rollback.append((fn, args, kwargs))


def on_outermost_commit(fn: Callable[[Session], None]) -> Callable[[Session], None]:
    """Register fn(session), called before every outermost commit of any session."""
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def on_outermost_rollback(fn: Callable[[Session], None]) -> Callable[[Session], None]:
    """Register fn(session), called after every outermost rollback (or close) of any
    session that had begun a transaction."""
    if fn not in _rollback_hooks:
        _rollback_hooks.append(fn)
    return fn


def pending(session: Session | scoped_session) -> int:
    """How many after-commit calls wait on this session (tests, debugging)."""
    frames = _session(session).info.get(_FRAMES) or {}
    return sum(len(frame.after) for frame in frames.values())


def _run(work: list[Work], when: str) -> None:
    for fn, args, kwargs in work:
        try:
            fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - see the module docstring
            log.exception("%s-commit work %r failed", when, fn)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint is being released: nothing is committed yet
    frames = session.info.get(_FRAMES)
    if not _hooks and not frames:
        return
    # Work may queue more work (or flush new rows that hooks care about): settle first.
    for _round in range(10):
        session.flush()
        root = session.get_transaction()
        frame = frames.get(root) if frames else None
        batch = frame.before[:] if frame else []
        if frame:
            frame.before.clear()
        _run(batch, "before")
        for hook in _hooks:
            hook(session)
        frames = session.info.get(_FRAMES)
        frame = frames.get(root) if frames else None
        if not (frame and frame.before) and not (session.new or session.dirty or session.deleted):
            break


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Fired for the outermost commit and for every savepoint release: note which one.
    committed = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_COMMITTED, set()).add(committed)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    committed = session.info.get(_COMMITTED)
    was_committed = bool(committed) and transaction in committed
    if was_committed:
        committed.discard(transaction)
    elif transaction.parent is None and not transaction.nested:
        for hook in _rollback_hooks:
            hook(session)
    frames = session.info.get(_FRAMES)
    if not frames or transaction not in frames:
        return
    frame = frames.pop(transaction)
    if not was_committed:  # rolled back (or closed): its work is dropped, its undo runs
        _run(frame.rollback, "rollback")
        return
    if transaction.parent is not None:  # a savepoint released: hand over to the parent
        _frame(session, transaction.parent).absorb(frame)
        return
    _run(frame.after, "after")
