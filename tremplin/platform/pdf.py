"""A4 documents with fpdf2 (attestations, receipts): a Unicode font when the machine has
DejaVu, otherwise the core font with the text folded to latin-1 (never a crash)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Response, current_app

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def new_document(title: str, subject: str, font_dir_setting: str = "PDF_FONT_DIR"):
    """(pdf, font family, clean): an A4 FPDF with margins, metadata and one page; `clean`
    makes any text printable in the chosen font."""
    from fpdf import FPDF

    folder = Path(current_app.config.get(font_dir_setting) or FONT_DIR)
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    clean: Callable[[object], str]
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        family = "DejaVu"

        def clean(value) -> str:
            return str(value)
    else:  # no Unicode font on this machine: the core font, latin-1 only
        family = "Helvetica"

        def clean(value) -> str:
            text = str(value).replace("\u2019", "'").replace("\u2013", "-").replace("\u00a0", " ")
            text = text.replace("\u202f", " ").replace("«", '"').replace("»", '"')
            return text.encode("latin-1", "replace").decode("latin-1")

    pdf.set_title(clean(title))
    pdf.set_author("Tremplin")
    pdf.set_creator("Tremplin")
    pdf.set_subject(clean(subject))
    pdf.add_page()
    return pdf, family, clean


def pdf_response(body: bytes, filename: str) -> Response:
    """A generated PDF shown in the browser; private and never stored by a cache (receipts
    and attestations name a person)."""
    return Response(
        body,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
