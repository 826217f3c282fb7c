"""Socket.IO rooms of the groups module, who is online, and taking sockets out of rooms
when access ends (ban, leaving a group or a conversation).

Presence lives in Redis when REDIS_URL is set (every process sees the same), otherwise in
this process's memory. It never decides access: policies do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from tremplin.groups.models import GroupMembership
from tremplin.platform.extensions import db, socketio
from tremplin.platform.models import User
from tremplin.platform.transactions import after_commit


def group_room(group_id: int) -> str:
    return f"group:{group_id}"


def channel_room(channel_id: int) -> str:
    return f"channel:{channel_id}"


def conversation_room(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


# --- presence -------------------------------------------------------------------------


class MemoryPresence:
    """sid -> user id, for a single process."""

    def __init__(self):
        self._sids: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, sid: str, user_id: int) -> bool:
        """Record a socket; True when it is the member's first (they come online)."""
        with self._lock:
            first = user_id not in self._sids.values()
            self._sids[sid] = user_id
            return first

    def remove(self, sid: str) -> tuple[int | None, bool]:
        """Forget a socket; (user id, True when it was the member's last one)."""
        with self._lock:
            user_id = self._sids.pop(sid, None)
            return user_id, user_id is not None and user_id not in self._sids.values()

    def online_user_ids(self) -> set[int]:
        with self._lock:
            return set(self._sids.values())

    def sids_of(self, user_id: int) -> list[str]:
        with self._lock:
            return [sid for sid, uid in self._sids.items() if uid == user_id]


class RedisPresence:
    """The same, shared by every process through one Redis hash."""

    KEY = "tremplin:groups:presence"

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)

    def add(self, sid: str, user_id: int) -> bool:
        first = str(user_id) not in self._redis.hvals(self.KEY)
        self._redis.hset(self.KEY, sid, user_id)
        return first

    def remove(self, sid: str) -> tuple[int | None, bool]:
        value = self._redis.hget(self.KEY, sid)
        if value is None:
            return None, False
        self._redis.hdel(self.KEY, sid)
        return int(value), value not in self._redis.hvals(self.KEY)

    def online_user_ids(self) -> set[int]:
        return {int(v) for v in self._redis.hvals(self.KEY)}

    def sids_of(self, user_id: int) -> list[str]:
        return [sid for sid, uid in self._redis.hgetall(self.KEY).items() if uid == str(user_id)]


def presence():
    store = current_app.extensions.get("tremplin_presence")
    if store is None:
        url = current_app.config.get("REDIS_URL")
        store = RedisPresence(url) if url else MemoryPresence()
        current_app.extensions["tremplin_presence"] = store
    return store


def online_user_ids() -> set[int]:
    try:
        return presence().online_user_ids()
    except Exception:  # noqa: BLE001 - Redis away: nobody shows as online, pages still work
        current_app.logger.warning("groups: presence store unavailable", exc_info=True)
        return set()


def online_members(group_id: int, limit: int = 30) -> list[User]:
    """The group's active members online now, by name (at most `limit`)."""
    ids = online_user_ids()
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .where(
                GroupMembership.group_id == group_id,
                GroupMembership.state == "active",
                User.id.in_(ids),
            )
            .order_by(User.display_name)
            .limit(limit)
        )
    )


def revoke_rooms(session: Session, user_id: int, rooms: Iterable[str]) -> None:
    """Once committed, take every socket of this member out of these rooms (on every
    process: the Redis manager forwards the request)."""
    rooms = list(rooms)

    def revoke():
        for sid in presence().sids_of(user_id):
            for room in rooms:
                socketio.server.leave_room(sid, room, namespace="/")

    after_commit(session, revoke)
