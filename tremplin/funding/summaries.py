"""Yearly summary tax receipts (*reçu récapitulatif annuel*): one Cerfa 11580-style receipt
listing a donor's tax-deductible gifts to one organisation in a calendar year.

A gift is certified once, either by its individual receipt or by a summary, never both:
- a donor who prefers one receipt a year says so on the pledge page (`Pledge.
  yearly_tax_receipt`): that gift then gets no individual tax receipt, and the summary
  certifies it;
- the individual receipts already issued stay valid: the summary lists those gifts "for
  the record" with their receipt numbers, leaves them out of its total and says so;
- a gift is in one summary at most (a unique line per pledge), and a gift in a summary
  never gets an individual receipt afterwards (`receipts.issue_for` checks).
Summaries are numbered in the organisation's tax-receipt
sequence (`receipts.next_tax_number`), so numbers stay unbroken whichever kind is issued.
Two requests at once: the sequence row is locked before the gifts are read, so the second
finds them summarised and gets the first one's summary back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from tremplin.funding import receipts
from tremplin.funding.models import (
    COLLECTED,
    Campaign,
    Pledge,
    ProjectFundingSettings,
    Receipt,
    ReceiptSequence,
    SummaryReceipt,
    SummaryReceiptLine,
)
from tremplin.funding.rules import settings_for
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow


@dataclass
class Available:
    project_id: int
    project_title: str
    year: int
    gifts: int
    amount_cents: int


def _collected_gifts(backer_id: int, project_id: int | None = None) -> list[Pledge]:
    stmt = (
        select(Pledge)
        .join(Campaign, Pledge.campaign_id == Campaign.id)
        .where(Pledge.backer_id == backer_id, Pledge.status == COLLECTED)
        .options(
            joinedload(Pledge.campaign).joinedload(Campaign.project),
            selectinload(Pledge.transfers),
            selectinload(Pledge.attempts),
            selectinload(Pledge.reward),
        )
        .order_by(Pledge.id)
    )
    if project_id is not None:
        stmt = stmt.where(Campaign.project_id == project_id)
    return list(db.session.scalars(stmt))


def _summarised(pledge_ids: list[int]) -> set[int]:
    if not pledge_ids:
        return set()
    return set(
        db.session.scalars(
            select(SummaryReceiptLine.pledge_id).where(SummaryReceiptLine.pledge_id.in_(pledge_ids))
        )
    )


def _year_of(pledge: Pledge) -> int:
    return date.fromisoformat(receipts._paid_on(pledge)).year


def _with_individual_receipt(pledge_ids: list[int]) -> dict[int, str]:
    if not pledge_ids:
        return {}
    return {
        r.pledge_id: r.number
        for r in db.session.scalars(
            select(Receipt).where(Receipt.pledge_id.in_(pledge_ids), Receipt.kind == receipts.TAX)
        )
    }


def _split(
    gifts: list[Pledge],
    done: set[int] | None = None,
    individual: dict[int, str] | None = None,
) -> tuple[list[Pledge], list[tuple[Pledge, str]]]:
    """(gifts a summary certifies, gifts already certified by an individual receipt).
    `done` and `individual` may be loaded once for many groups (no query in a loop)."""
    ids = [p.id for p in gifts]
    done = _summarised(ids) if done is None else done
    individual = _with_individual_receipt(ids) if individual is None else individual
    certify, memo = [], []
    for pledge in gifts:
        if pledge.id in individual:
            memo.append((pledge, individual[pledge.id]))
        elif pledge.id not in done and receipts.deductible_cents(pledge) > 0:
            certify.append(pledge)
    return certify, memo


def eligible(backer_id: int, project_id: int, year: int) -> list[Pledge]:
    """The donor's gifts to the organisation paid in `year` that a summary may certify:
    collected, something deductible, no individual tax receipt, not in a summary yet."""
    if not settings_for(project_id).is_general_interest:
        return []
    gifts = [p for p in _collected_gifts(backer_id, project_id) if _year_of(p) == year]
    return _split(gifts)[0]


def available_for(user) -> list[Available]:
    """The (organisation, year) pairs where the member has gifts a summary would certify.
    A fixed number of queries, whatever the number of gifts and organisations."""
    gifts = _collected_gifts(user.id)
    if not gifts:
        return []
    project_ids = {p.campaign.project_id for p in gifts}
    general = set(
        db.session.scalars(
            select(ProjectFundingSettings.project_id).where(
                ProjectFundingSettings.project_id.in_(project_ids),
                ProjectFundingSettings.is_general_interest.is_(True),
            )
        )
    )
    gifts = [p for p in gifts if p.campaign.project_id in general]
    ids = [p.id for p in gifts]
    done, individual = _summarised(ids), _with_individual_receipt(ids)
    groups: dict[tuple[int, int], list[Pledge]] = defaultdict(list)
    for pledge in gifts:
        groups[(pledge.campaign.project_id, _year_of(pledge))].append(pledge)
    found = []
    for (project_id, year), items in sorted(groups.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
        certify, _memo = _split(items, done, individual)
        if certify:
            found.append(
                Available(
                    project_id=project_id,
                    project_title=items[0].campaign.project.title,
                    year=year,
                    gifts=len(certify),
                    amount_cents=sum(receipts.deductible_cents(p) for p in items if p in certify),
                )
            )
    return found


def summaries_of(user) -> list[SummaryReceipt]:
    return list(
        db.session.scalars(
            select(SummaryReceipt)
            .where(SummaryReceipt.backer_id == user.id)
            .order_by(SummaryReceipt.year.desc(), SummaryReceipt.id.desc())
        )
    )


def _lock_sequence(project_id: int, year: int) -> None:
    """Take the organisation's numbering lock for `year` (creating its row if needed)
    without using a number: whoever comes second waits, then sees what the first did."""
    stmt = (
        update(ReceiptSequence)
        .where(ReceiptSequence.project_id == project_id, ReceiptSequence.year == year)
        .values(last_number=ReceiptSequence.last_number)
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(stmt).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.add(ReceiptSequence(project_id=project_id, year=year, last_number=0))
    except IntegrityError:
        pass
    db.session.execute(stmt)


def issue_summary(backer, project, year: int, now: datetime | None = None) -> SummaryReceipt:
    """Issue the yearly summary of `backer`'s gifts to `project`'s organisation in `year`.
    Repeating the request (double tap, two tabs) returns the summary already issued.
    Flushes, never commits."""
    now = now or utcnow()
    if backer is None or not getattr(backer, "is_authenticated", False):
        raise NotAllowed()
    settings = settings_for(project.id)
    if not settings.is_general_interest:
        raise DomainError(_("Cet organisme ne délivre pas de reçus fiscaux."))
    issue_year = now.astimezone(receipts.PARIS).year
    db.session.flush()
    _lock_sequence(project.id, issue_year)
    gifts = eligible(backer.id, project.id, year)
    if not gifts:
        existing = db.session.scalar(
            select(SummaryReceipt)
            .where(
                SummaryReceipt.backer_id == backer.id,
                SummaryReceipt.project_id == project.id,
                SummaryReceipt.year == year,
            )
            .order_by(SummaryReceipt.id.desc())
        )
        if existing is not None:
            return existing
    if not gifts:
        raise DomainError(
            _(
                "Aucun don de cette année n’attend de reçu : chacun a déjà son reçu "
                "individuel, qui reste valable."
            )
        )
    addressed = [p for p in gifts if (p.donor_address or "").strip()]
    if not addressed:
        raise DomainError(_("Indiquez d’abord votre adresse postale sur l’une de vos promesses."))
    latest = max(addressed, key=lambda p: p.id)
    all_of_year = [p for p in _collected_gifts(backer.id, project.id) if _year_of(p) == year]
    _certify, memo = _split(all_of_year)
    lines = [
        {
            "pledge_id": pledge.id,
            "reference": pledge.reference,
            "campaign_title": pledge.campaign.title,
            "paid_on": receipts._paid_on(pledge),
            "amount_cents": receipts.deductible_cents(pledge),
            "payment_method": receipts._payment_method(pledge),
            "counterpart": receipts.counterpart_for(pledge),
        }
        for pledge in gifts
    ]
    record = [
        {
            "pledge_id": pledge.id,
            "reference": pledge.reference,
            "paid_on": receipts._paid_on(pledge),
            "individual_number": number,
        }
        for pledge, number in memo
    ]
    total = sum(line["amount_cents"] for line in lines)
    summary = SummaryReceipt(
        project_id=project.id,
        backer_id=backer.id,
        year=year,
        number=receipts.next_tax_number(project.id, issue_year),
        amount_cents=total,
        issued_at=now,
        details={
            "donor_name": latest.donor_name or backer.display_name,
            "donor_address": latest.donor_address,
            "project_title": project.title,
            "organisation_name": settings.organisation_name,
            "organisation_address": settings.organisation_address,
            "organisation_object": settings.organisation_object or "",
            "organisation_kind": receipts.ORGANISATION_KINDS.get(
                settings.organisation_kind or "",
                receipts.ORGANISATION_KINDS["oeuvre_interet_general"],
            ),
            "siren": settings.siren or "",
            "signatory": settings.signatory or "",
            "cgi_articles": ["200"],
            "form": "Déclaration de don manuel",
            "nature": "Numéraire",
            "amount_in_words": receipts.amount_in_words(total),
            "lines": lines,
            "already_receipted": record,
        },
    )
    summary.lines = [
        SummaryReceiptLine(pledge_id=line["pledge_id"], amount_cents=line["amount_cents"])
        for line in lines
    ]
    db.session.add(summary)
    db.session.flush()
    return summary


def statement(summary: SummaryReceipt) -> str:
    """What the summary says of the individual receipts."""
    numbers = [line["individual_number"] for line in summary.details.get("already_receipted", [])]
    if numbers:
        return _(
            "Ce reçu récapitulatif certifie les seuls dons listés de l’année %(year)s. Les "
            "reçus individuels déjà émis pour vos autres dons de l’année (n° %(numbers)s) "
            "restent valables : ce reçu ne s’y ajoute pas et n’en reprend pas les montants. "
            "Un don n’est jamais certifié deux fois.",
            year=summary.year,
            numbers=", ".join(numbers),
        )
    return _(
        "Ce reçu récapitulatif certifie les dons listés de l’année %(year)s ; aucun n’a de "
        "reçu individuel et n’en recevra : un don n’est jamais certifié deux fois.",
        year=summary.year,
    )


def render_pdf(summary: SummaryReceipt) -> bytes:
    """The summary as an A4 PDF: the same fields as its printable page."""
    from tremplin.platform.pdf import new_document
    from tremplin.platform.templating import euros

    d = summary.details
    title = _("Reçu récapitulatif annuel n° %(n)s (Cerfa n° 11580)", n=summary.number)
    pdf, family, clean = new_document(title, d.get("project_title", ""))
    receipts.pdf_heading(pdf, family, clean, title, summary.issued_at)
    pdf.ln(4)
    rows = [
        *receipts.cerfa_parties(d),
        (_("Année des dons"), str(summary.year)),
        (
            _("Total reçu"),
            f"{euros(summary.amount_cents, True)} ({d.get('amount_in_words', '')})",
        ),
        *receipts.cerfa_certification(d),
    ]
    receipts.pdf_fields(pdf, family, clean, rows)
    pdf.ln(4)
    pdf.set_font(family, "B", 11)
    pdf.cell(0, 7, clean(_("Dons de l’année")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    for line in d.get("lines", []):
        text = _(
            "%(date)s — %(amount)s — %(how)s — réf. %(ref)s",
            date=receipts.long_date(line["paid_on"]),
            amount=euros(line["amount_cents"], True),
            how=line.get("payment_method", ""),
            ref=line.get("reference", ""),
        )
        pdf.multi_cell(0, 6, clean(text), new_x="LMARGIN", new_y="NEXT")
    for line in d.get("already_receipted", []):
        text = _(
            "Pour mémoire, hors total : %(date)s — réf. %(ref)s — reçu individuel n° %(n)s",
            date=receipts.long_date(line["paid_on"]),
            ref=line.get("reference", ""),
            n=line["individual_number"],
        )
        pdf.multi_cell(0, 6, clean(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, "", 9)
    pdf.multi_cell(0, 5, clean(statement(summary)), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0,
        5,
        clean(_("Signataire : %(who)s", who=d.get("signatory", ""))),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
