"""Long texts are refused with the limit stated, never cut silently.

Forms: the `field` macro (templates/layout/macros.html) no longer prints `maxlength` (a
browser cuts a pasted text at that length without a word); it prints `data-maxlength`,
which static/js/charcount.js turns into a live counter, and the form's `Length` validator
refuses the text with `too_long_message`. Services check their own limits with
`check_length`, so a text that bypasses a form is refused the same way.
"""

from __future__ import annotations

from flask_babel import gettext as _

from tremplin.platform.errors import DomainError


def format_count(n: int) -> str:
    """10000 -> "10 000" (French thousands separator, a narrow no-break space)."""
    return f"{n:,}".replace(",", "\u202f")


def too_long_message(limit: int, length: int) -> str:
    return _(
        "Ce texte est trop long : %(limit)s caractères au plus (vous en avez saisi %(n)s).",
        limit=format_count(limit),
        n=format_count(length),
    )


def check_length(text: str | None, limit: int, *, field: str | None = None) -> None:
    """Raise a DomainError naming the limit when `text` is longer than `limit`."""
    length = len(text or "")
    if length > limit:
        raise DomainError(too_long_message(limit, length), field=field)
