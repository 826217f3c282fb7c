"""Column types shared by every module."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def sql_in(values: tuple[str, ...]) -> str:
    """`('a', 'b')`: the right-hand side of an SQL `IN` in a CHECK or an index predicate."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def stamp(value) -> str | None:
    """A date or a datetime as ISO 8601 for a data export or a JSON answer; None stays None."""
    return value.isoformat() if value else None


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, stored as naive UTC (SQLite and PostgreSQL alike)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
