"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from markupsafe import Markup
from werkzeug.routing import BuildError

from tremplin.platform.text import plain_excerpt, render_markdown
from tremplin.platform.vocabulary import LANGUAGE_LABELS, THEME_LABELS, departement_label

PARIS = ZoneInfo("Europe/Paris")


# Templates write French date patterns (CLDR syntax); English pages get the English
# order and a 12-hour clock for the same pattern, so one template serves both languages.
ENGLISH_PATTERNS = {
    "d MMMM y 'à' HH:mm": "MMMM d, y 'at' h:mm a",
    "d MMMM y": "MMMM d, y",
    "d MMM y": "MMM d, y",
    "d MMM y HH:mm": "MMM d, y h:mm a",
    "d MMM, HH:mm": "MMM d, h:mm a",
    "d MMM": "MMM d",
    "dd/MM/y": "MM/dd/y",
    "HH'h'mm": "h:mm a",
    "HH:mm": "h:mm a",
    "EEEE d MMMM y, HH'h'mm": "EEEE, MMMM d, y, h:mm a",
    "EEEE d MMMM, HH'h'mm": "EEEE, MMMM d, h:mm a",
    "EEEE d MMMM y": "EEEE, MMMM d, y",
}


def is_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _pattern(fmt: str) -> str:
    return ENGLISH_PATTERNS.get(fmt, fmt) if is_english() else fmt


def local_datetime(value: datetime | None, fmt: str = "d MMMM y 'à' HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(value, _pattern(fmt))


def local_date(value: date | datetime | None, fmt: str = "d MMMM y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, _pattern(fmt))
    return format_date(value, _pattern(fmt))


def euros(cents: int | None, with_cents: bool | None = None) -> str:
    """Integer cents shown as euros: 123456 -> "1 234,56 €" (French), "€1,234.56" (English)."""
    cents = int(cents or 0)
    show_cents = with_cents if with_cents is not None else cents % 100 != 0
    amount = cents / 100
    text = format_decimal(abs(amount), format="#,##0.00" if show_cents else "#,##0")
    sign = "\u2212" if cents < 0 else ""
    return f"{sign}€{text}" if is_english() else f"{sign}{text}\u00a0€"


def duration(minutes: int | float | None) -> str:
    """A length of time the same way everywhere: "2 h 30", "2 h", "45 min"."""
    total = round(minutes or 0)
    hours, rest = divmod(total, 60)
    if hours and rest:
        return f"{format_decimal(hours)}\u00a0h\u00a0{rest:02d}"
    if hours:
        return f"{format_decimal(hours)}\u00a0h"
    return f"{rest}\u00a0min"


def signed_percent(value: int | float | None) -> str:
    """A change in percent with a real minus sign: "+25 %", "−25 %" ("−25%" in English)."""
    if value is None:
        return ""
    number = format_decimal(abs(value), format="#,##0")
    sign = "+" if value > 0 else ("\u2212" if value < 0 else "")
    return f"{sign}{number}%" if is_english() else f"{sign}{number}\u00a0%"


def number(value: int | float | None) -> str:
    """A count in the page's language: "12 345" (French), "12,345" (English)."""
    return format_decimal(value or 0)


def member_url(user) -> str | None:
    """The profile page of a member, when the members module serves one (the platform
    does not depend on it) and the member still exists."""
    if user is None or getattr(user, "is_deleted", False):
        return None
    try:
        return url_for("members.profile", user_id=user.id)
    except BuildError:
        return None


def csrf_field(form) -> Markup:
    """The form's hidden CSRF input, rendered once per form: a page of chat messages repeats
    it on every message's buttons (hundreds of times), and WTForms renders it anew each time."""
    html = form.__dict__.get("_csrf_field_html")
    if html is None:
        field = getattr(form, "csrf_token", None)  # none when CSRF is switched off
        html = form.__dict__["_csrf_field_html"] = Markup(field() if field else "")
    return html


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        csrf_field=csrf_field,
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
        duration=duration,
        signed_percent=signed_percent,
        number=number,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
