"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, url_for
from flask_babel import format_date, format_datetime, format_decimal
from werkzeug.routing import BuildError

from tremplin.platform.text import plain_excerpt, render_markdown
from tremplin.platform.vocabulary import LANGUAGE_LABELS, THEME_LABELS, departement_label

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


def member_url(user) -> str | None:
    """The profile page of a member, when the members module serves one (the platform
    does not depend on it) and the member still exists."""
    if user is None or getattr(user, "is_deleted", False):
        return None
    try:
        return url_for("members.profile", user_id=user.id)
    except BuildError:
        return None


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        member_url=member_url,
        now=lambda: datetime.now(PARIS),
        theme_label=THEME_LABELS.get,
        language_label=LANGUAGE_LABELS.get,
        departement_label=departement_label,
    )
    app.jinja_env.filters.update(
        markdown=render_markdown,
        excerpt=plain_excerpt,
        datetime=local_datetime,
        date=local_date,
        euros=euros,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
