"""Socket.IO wiring and the rule "stored first, then emitted".

Services call `emit_after_commit`; the event leaves only once the transaction that stored
what it announces has committed, and is dropped if that transaction rolls back. With
REDIS_URL set, emits go through Redis so every process (and CLI jobs) reach every client.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from tremplin.platform import transactions
from tremplin.platform.extensions import socketio


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
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS_OVERRIDE"),
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
    """Emit once the outermost transaction has committed (never if it rolls back). A
    callable `data` is computed just before that commit, from the state about to be
    committed (the session cannot query any more once committed)."""
    message = _Emit(event_name, data, room, namespace, skip_sid)
    if callable(data):
        transactions.before_commit(session, message.resolve)
    transactions.after_commit(session, message.send)


class _Emit:
    def __init__(self, event_name: str, data: Any, room: str, namespace: str, skip_sid):
        self.event_name = event_name
        self.data = data
        self.room = room
        self.namespace = namespace
        self.skip_sid = skip_sid

    def resolve(self) -> None:
        self.data = self.data()

    def send(self) -> None:
        socketio.emit(
            self.event_name,
            self.data,
            to=self.room,
            namespace=self.namespace,
            skip_sid=self.skip_sid,
        )
