"""Socket.IO wiring and the rule "stored first, then emitted".

Services call `emit_after_commit`; the event leaves only once the transaction that stored
what it announces has committed, and is dropped if that transaction rolls back. With
REDIS_URL set, emits go through Redis so every process (and CLI jobs) reach every client.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from tremplin.platform.extensions import socketio
from tremplin.platform.security import socketio_origin_allowed

_PENDING = "tremplin_pending_emits"


def init_app(app: Flask, modules: tuple[str, ...] = ()) -> None:
    # Socket handlers must be declared before the first init_app: Flask-SocketIO replays
    # the handlers it has collected onto each new app's server, but a handler declared
    # once a server exists is bound to that server alone.
    for name in modules:
        try:
            importlib.import_module(f"{name}.events")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.events":
                raise
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=app.config.get("REDIS_URL"),
        cors_allowed_origins=socketio_origin_allowed(app),
        logger=False,
        engineio_logger=False,
    )


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def emit_after_commit(
    session: Session,
    event_name: str,
    data: Any,
    *,
    room: str,
    namespace: str = "/",
    skip_sid: str | None = None,
) -> None:
    session.info.setdefault(_PENDING, []).append((event_name, data, room, namespace, skip_sid))


@event.listens_for(Session, "before_commit")
def _resolve_payloads(session: Session) -> None:
    # Callables compute their payload from the state about to be committed (the session
    # cannot query any more once committed).
    pending = session.info.get(_PENDING)
    if pending:
        session.flush()
        session.info[_PENDING] = [
            (name, data() if callable(data) else data, room, namespace, skip_sid)
            for name, data, room, namespace, skip_sid in pending
        ]


@event.listens_for(Session, "after_commit")
def _flush_emits(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    for event_name, payload, room, namespace, skip_sid in pending or ():
        socketio.emit(event_name, payload, to=room, namespace=namespace, skip_sid=skip_sid)


@event.listens_for(Session, "after_rollback")
def _drop_emits(session: Session) -> None:
    session.info.pop(_PENDING, None)
