"""Small pieces the modules' impact figures share (platform/impact.py is the dashboard):
a period filter, monthly totals, and the adapter from the dashboard's filters to a
module's `figure(start_at, end_at, *, territory, theme)`. No side effect on import."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def in_period(stmt, column, start=None, end=None):
    """`stmt` narrowed to `start <= column < end`; a bound that is None is left open."""
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column < end)
    return stmt


def month_of(moment: date | datetime) -> date:
    """The first day of the month `moment` falls in (a datetime is read in Paris)."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(PARIS).date()
    return moment.replace(day=1)


def sum_by_month(rows: Iterable[tuple[date | datetime, Any]]) -> dict[date, int]:
    """{first day of the month: total} of `(moment, amount)` rows (None counts as 0)."""
    months: dict[date, int] = {}
    for moment, amount in rows:
        month = month_of(moment)
        months[month] = months.get(month, 0) + int(amount or 0)
    return months


def count_by_month(moments: Iterable[date | datetime]) -> dict[date, int]:
    """{first day of the month: how many} of `moments`."""
    return sum_by_month((moment, 1) for moment in moments)


def period_and_place(figure: Callable[..., Any]) -> Callable[[Any], Any]:
    """An indicator's `compute` (or `monthly`) from `figure(start_at, end_at, *, territory,
    theme)`: the dashboard's period and its territory and theme filters."""
    return lambda f: figure(f.start_at, f.end_at, territory=f.territory, theme=f.theme)
