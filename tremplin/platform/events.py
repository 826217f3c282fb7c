"""Socket.IO connection handling: members only, each in a room of their own."""

from __future__ import annotations

from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room

from tremplin.platform import notifications
from tremplin.platform.extensions import socketio
from tremplin.platform.realtime import user_room


@socketio.on("connect")
def on_connect(auth=None):
    if not current_user.is_authenticated:
        raise ConnectionRefusedError("unauthorized")
    join_room(user_room(current_user.id))
    socketio.emit(
        "notifications:count",
        {"unread": notifications.unread_count(current_user)},
        to=user_room(current_user.id),
    )
