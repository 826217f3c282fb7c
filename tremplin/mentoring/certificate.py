"""The *attestation de tutorat*: what a mentor did, pairing by pairing, with the hours —
a printable page and a PDF (fpdf2, with an embedded Unicode font so accents and names
from every language print right).

It shows dates, sessions and hours, never a word of the session notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tremplin.mentoring.labels import PAIRING_STATE_LABELS
from tremplin.mentoring.models import COUNTED_STATES, P_COMPLETED, Pairing
from tremplin.mentoring.pairings import figures
from tremplin.mentoring.services import paris_today
from tremplin.platform.extensions import db
from tremplin.platform.models import User


def format_minutes(minutes: int) -> str:
    """90 -> "1 h 30", 45 -> "45 min", 120 -> "2 h"."""
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}\u00a0min"
    if not rest:
        return f"{hours}\u00a0h"
    return f"{hours}\u00a0h\u00a0{rest:02d}"


def sessions_text(count: int) -> str:
    return ngettext("%(num)d séance", "%(num)d séances", count)


@dataclass(frozen=True)
class CertificateLine:
    pairing: Pairing
    minutes: int
    sessions: int

    @property
    def ended_on(self) -> date | None:
        if self.pairing.state == P_COMPLETED and self.pairing.completed_at:
            return self.pairing.completed_at.date()
        return None


@dataclass(frozen=True)
class Issuer:
    """Who signs the attestation (MENTORING_CERTIFICATE_* settings)."""

    organisation: str
    address: str = ""
    signatory: str = ""
    signatory_title: str = ""

    @classmethod
    def from_config(cls) -> Issuer:
        config = current_app.config
        return cls(
            organisation=config.get("MENTORING_CERTIFICATE_ORGANISATION") or "Tremplin",
            address=config.get("MENTORING_CERTIFICATE_ADDRESS") or "",
            signatory=config.get("MENTORING_CERTIFICATE_SIGNATORY") or "",
            signatory_title=config.get("MENTORING_CERTIFICATE_SIGNATORY_TITLE") or "",
        )

    @property
    def signed_by(self) -> str:
        """ "Name, title", or who signs when no name is set."""
        if self.signatory:
            return ", ".join(x for x in (self.signatory, self.signatory_title) if x)
        return self.signatory_title or _("La coordination du réseau")


@dataclass(frozen=True)
class Certificate:
    mentor: User
    lines: list[CertificateLine]
    issued_on: date
    issuer: Issuer

    @property
    def total_minutes(self) -> int:
        return sum(line.minutes for line in self.lines)

    @property
    def total_sessions(self) -> int:
        return sum(line.sessions for line in self.lines)

    @property
    def total_hours_text(self) -> str:
        return format_minutes(self.total_minutes)

    @property
    def reference(self) -> str:
        return f"TPL-{self.mentor.id:05d}-{self.issued_on:%Y%m%d}"

    @property
    def first_on(self) -> date | None:
        return min((line.pairing.started_on for line in self.lines), default=None)


def certificate_for(mentor: User) -> Certificate:
    """Every pairing the mentor took on (active, paused or completed), in two statements."""
    pairings = list(
        db.session.scalars(
            select(Pairing)
            .where(Pairing.mentor_id == mentor.id, Pairing.state.in_(COUNTED_STATES))
            .options(joinedload(Pairing.porteur), joinedload(Pairing.project))
            .order_by(Pairing.started_on, Pairing.id)
        )
    )
    numbers = figures(p.id for p in pairings)
    lines = [CertificateLine(p, numbers[p.id].minutes, numbers[p.id].sessions) for p in pairings]
    return Certificate(
        mentor=mentor, lines=lines, issued_on=paris_today(), issuer=Issuer.from_config()
    )


def _period(line: CertificateLine) -> str:
    start = format_date(line.pairing.started_on, "d MMM y")
    if line.ended_on:
        return _("du %(start)s au %(end)s", start=start, end=format_date(line.ended_on, "d MMM y"))
    return _(
        "depuis le %(start)s (%(state)s)",
        start=start,
        state=str(PAIRING_STATE_LABELS[line.pairing.state]).lower(),
    )


def render_pdf(certificate: Certificate) -> bytes:
    """The attestation as an A4 PDF, in the current language."""
    from fpdf.fonts import FontFace

    from tremplin.platform.pdf import new_document

    mentor = certificate.mentor
    title = _("Attestation de tutorat")
    pdf, family, clean = new_document(
        f"{title} — {mentor.display_name}",
        _("Heures de parrainage bénévole"),
        font_dir_setting="MENTORING_PDF_FONT_DIR",
    )

    issuer = certificate.issuer
    pdf.set_text_color(15, 93, 99)
    pdf.set_font(family, "B", 13)
    pdf.cell(0, 8, clean(issuer.organisation), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    pdf.set_text_color(86, 100, 102)
    for line in [
        _("Le réseau des porteurs de projet de l’économie sociale et solidaire"),
        *issuer.address.splitlines(),
    ]:
        pdf.cell(0, 5, clean(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)

    pdf.set_text_color(16, 40, 42)
    pdf.set_font(family, "B", 22)
    pdf.cell(0, 12, clean(title), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(8)

    pdf.set_font(family, "", 11)
    pdf.multi_cell(
        0,
        6.5,
        clean(
            _(
                "%(organisation)s atteste que %(name)s a accompagné bénévolement, en tant "
                "que parrain ou marraine, les porteurs et porteuses de projet ci-dessous, pour "
                "un total de %(hours)s de tutorat (%(sessions)s).",
                organisation=issuer.organisation,
                name=mentor.display_name,
                hours=certificate.total_hours_text,
                sessions=sessions_text(certificate.total_sessions),
            )
        ),
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    pdf.ln(6)

    pdf.set_font(family, "", 9.5)
    headings = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=(15, 93, 99))
    with pdf.table(
        # Wide enough for "Séances" and "1 h 30" on one line (no word is ever cut).
        col_widths=(40, 44, 42, 22, 22),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
        headings_style=headings,
        line_height=6,
        padding=1.5,
    ) as table:
        table.row(
            [
                clean(_("Binôme")),
                clean(_("Projet")),
                clean(_("Période")),
                clean(_("Séances")),
                clean(_("Heures")),
            ]
        )
        for line in certificate.lines:
            project = line.pairing.project.title if line.pairing.project else "—"
            table.row(
                [
                    clean(line.pairing.porteur.public_name),
                    clean(project),
                    clean(_period(line)),
                    str(line.sessions),
                    clean(format_minutes(line.minutes)),
                ]
            )
        table.row(
            [
                clean(_("Total")),
                "",
                "",
                str(certificate.total_sessions),
                clean(certificate.total_hours_text),
            ],
            style=FontFace(emphasis="BOLD"),
        )
    pdf.ln(10)

    pdf.set_font(family, "", 11)
    pdf.multi_cell(
        0,
        6.5,
        clean(
            _(
                "Fait le %(date)s, pour servir et valoir ce que de droit.",
                date=format_date(certificate.issued_on, "d MMMM y"),
            )
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    _signature_area(pdf, family, clean, issuer)
    pdf.ln(4)
    pdf.set_font(family, "", 9)
    pdf.set_text_color(86, 100, 102)
    pdf.multi_cell(
        0,
        5,
        clean(
            _(
                "Les heures sont celles des séances notées par le binôme sur Tremplin. "
                "Référence : %(ref)s",
                ref=certificate.reference,
            )
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def _signature_area(pdf, family: str, clean, issuer: Issuer) -> None:
    """The signatory, and a framed area for the stamp and the handwritten signature, on
    the right (moved to a new page whole rather than cut)."""
    width, height = 80, 38
    if pdf.get_y() + height + 12 > pdf.h - pdf.b_margin:
        pdf.add_page()
    x = pdf.w - pdf.r_margin - width
    pdf.set_x(x)
    pdf.set_font(family, "", 10)
    pdf.set_text_color(16, 40, 42)
    pdf.multi_cell(
        width,
        5.5,
        clean(_("Pour %(organisation)s,", organisation=issuer.organisation)),
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_font(family, "B", 10)
    pdf.multi_cell(width, 5.5, clean(issuer.signed_by), new_x="LEFT", new_y="NEXT")
    top = pdf.get_y() + 2
    pdf.set_draw_color(140, 150, 152)
    pdf.rect(x, top, width, height - 12)
    pdf.set_xy(x, top + height - 12 - 6)
    pdf.set_font(family, "", 8)
    pdf.set_text_color(86, 100, 102)
    pdf.cell(width, 5, clean(_("Cachet et signature")), align="C")
    pdf.set_xy(pdf.l_margin, top + height - 10)
