"""CSV files for the people who keep the accounts: semicolons and decimal commas (what a
French spreadsheet expects), a BOM so accents read right, and text cells that cannot be
taken for formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response


def cell(text) -> str:
    """A text cell: one starting with = + - @ would be a formula to a spreadsheet (and a way
    to attack whoever opens the file): it is neutralised with a leading apostrophe."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def euros(cents: int | None, *, signed: bool = False) -> str:
    """Integer cents as a French decimal amount: 123456 -> "1234,56" (no rounding)."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ("+" if signed and cents > 0 else "")
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole},{rest:02d}"


def csv_text(header: Sequence, rows: Iterable[Sequence]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([str(h) for h in header])
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()


def csv_download(content: str, filename: str) -> Response:
    return Response(
        content,
        mimetype="text/csv",  # Flask adds "; charset=utf-8" to text types
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
