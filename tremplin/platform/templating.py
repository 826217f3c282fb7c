"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal

from tremplin.platform.text import plain_excerpt, render_markdown

PARIS = ZoneInfo("Europe/Paris")


def local_datetime(value: datetime | None, fmt: str = "d MMMM y 'à' HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt)


def local_date(value: date | datetime | None, fmt: str = "d MMMM y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, fmt)
    return format_date(value, fmt)


def euros(cents: int | None, with_cents: bool | None = None) -> str:
    """Integer cents shown as French euros: 123456 -> "1 234,56 €"."""
    cents = int(cents or 0)
    show_cents = with_cents if with_cents is not None else cents % 100 != 0
    amount = cents / 100
    text = format_decimal(amount, format="#,##0.00" if show_cents else "#,##0")
    return f"{text}\u00a0€"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        markdown=render_markdown,
        excerpt=plain_excerpt,
        datetime=local_datetime,
        date=local_date,
        euros=euros,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
