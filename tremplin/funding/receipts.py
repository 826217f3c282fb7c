"""Receipts for collected pledges: a payment receipt for every one, and for projects run by
an organisation of general interest a tax receipt carrying the fields of the French Cerfa
n° 11580 (*reçu au titre des dons*), numbered in an unbroken sequence per organisation
and year. What a receipt certifies is frozen in it when issued.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tremplin.funding.models import (
    ATTEMPT_SUCCEEDED,
    COLLECTED,
    PROMISE_MODE,
    Pledge,
    Receipt,
    ReceiptSequence,
)
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow

PARIS = ZoneInfo("Europe/Paris")
PAYMENT, TAX = "payment", "tax"

ORGANISATION_KINDS = {
    "association_1901": "Association ou fondation reconnue d'utilité publique",
    "fondation_universitaire": "Fondation universitaire ou fondation partenariale",
    "oeuvre_interet_general": "Œuvre ou organisme d'intérêt général",
    "musee_de_france": "Musée de France",
    "enseignement": "Établissement d'enseignement supérieur ou d'enseignement artistique",
    "autre": "Autre organisme habilité à recevoir des dons",
}


# --- counterparts (contreparties) -----------------------------------------------------------
#
# A gift gives a right to a tax reduction only if it is made "without a direct or indirect
# counterpart" — but the administrative doctrine accepts counterparts that stay in a marked
# disproportion with the gift:
# - individuals (CGI art. 200, BOI-IR-RICI-250-30-20, counterparts of small value): the
#   value of the goods or services a donor receives stays within a ratio of 1 to 4 of the
#   gift (a quarter of it at most) AND under a flat amount per donor and calendar year,
#   indexed every five years (65 € from 2011, 69 € from 2016, 73 € since 2021);
# - companies (CGI art. 238 bis, BOI-BIC-RICI-20-30-10-20): the same 1 to 4 ratio, with
#   no flat amount.
# Tremplin's tax receipts are issued to individuals (article 200), so they apply the first
# rule, with the flat amount in FUNDING_COUNTERPART_CAP_CENTS. Beyond the limit, we deduct:
# the receipt certifies the gift minus the reward's declared value (and is not issued if
# nothing is left), and says so; within it, the receipt certifies the whole gift and
# names the reward.

DEFAULT_COUNTERPART_CAP_CENTS = 7_300  # 73 €, the flat amount for individuals since 2021
COUNTERPART_DOCTRINE = "BOI-IR-RICI-250-30-20"
COMPANY_COUNTERPART_DOCTRINE = "BOI-BIC-RICI-20-30-10-20"


def counterpart_cap_cents() -> int:
    from flask import current_app

    return int(
        current_app.config.get("FUNDING_COUNTERPART_CAP_CENTS", DEFAULT_COUNTERPART_CAP_CENTS)
    )


def counterpart_limit_cents(gift_cents: int, *, company: bool = False) -> int:
    """The most a counterpart may be worth for a gift of `gift_cents` without reducing what
    the receipt certifies: a quarter of the gift, and for an individual at most the flat
    amount."""
    quarter = max(gift_cents, 0) // 4
    return quarter if company else min(quarter, counterpart_cap_cents())


def counterpart_for(pledge: Pledge, gift_cents: int | None = None) -> dict | None:
    """How the counterparts rule applies to a pledge's reward: None without a reward of
    declared value; else its title, value, the limit, whether it is deducted and the
    amount a tax receipt certifies."""
    reward = pledge.reward
    if reward is None or not reward.value_cents:
        return None
    gift = pledge.collected_cents if gift_cents is None else gift_cents
    limit = counterpart_limit_cents(gift)
    deducted = reward.value_cents > limit
    return {
        "title": reward.title,
        "value_cents": reward.value_cents,
        "limit_cents": limit,
        "cap_cents": counterpart_cap_cents(),
        "gift_cents": gift,
        "deducted": deducted,
        "deductible_cents": max(gift - reward.value_cents, 0) if deducted else gift,
        "doctrine": COUNTERPART_DOCTRINE,
    }


def deductible_cents(pledge: Pledge) -> int:
    """What a tax receipt may certify for a collected pledge (the counterparts rule)."""
    rule = counterpart_for(pledge)
    return pledge.collected_cents if rule is None else rule["deductible_cents"]


# --- numbering ------------------------------------------------------------------------------


def next_tax_number(project_id: int, year: int) -> str:
    """The next number in the project's sequence for `year`: the sequence row is bumped by
    an UPDATE (which holds its row lock until commit on PostgreSQL, and the database lock
    on SQLite), so two receipts issued at once never share a number."""
    bumped = db.session.execute(
        update(ReceiptSequence)
        .where(ReceiptSequence.project_id == project_id, ReceiptSequence.year == year)
        .values(last_number=ReceiptSequence.last_number + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not bumped:
        try:
            with db.session.begin_nested():
                db.session.add(ReceiptSequence(project_id=project_id, year=year, last_number=1))
        except IntegrityError:
            return next_tax_number(project_id, year)
    number = db.session.scalar(
        select(ReceiptSequence.last_number).where(
            ReceiptSequence.project_id == project_id, ReceiptSequence.year == year
        )
    )
    return f"{year}-{number:05d}"


# --- amounts in words (French) -------------------------------------------------------------

_UNITS = [
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "dix-sept",
    "dix-huit",
    "dix-neuf",
]
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def _below_100(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix…, quatre-vingt-dix…
        base = "soixante" if tens == 7 else "quatre-vingt"
        rest = 10 + unit
        joiner = " et " if (tens == 7 and unit == 1) else "-"
        return f"{base}{joiner}{_UNITS[rest]}"
    if tens == 8:
        return "quatre-vingts" if unit == 0 else f"quatre-vingt-{_UNITS[unit]}"
    word = _TENS[tens]
    if unit == 0:
        return word
    if unit == 1:
        return f"{word} et un"
    return f"{word}-{_UNITS[unit]}"


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_100(rest)
    head = "cent" if hundreds == 1 else f"{_UNITS[hundreds]} cent"
    if rest == 0:
        return head + ("s" if hundreds > 1 else "")
    return f"{head} {_below_100(rest)}"


def number_in_words(n: int) -> str:
    """French words for a whole number (1990 orthography-free, classic spelling)."""
    if n < 0:
        raise ValueError("negative")
    if n < 1000:
        return _below_1000(n)
    parts = []
    for value, singular, plural in (
        (10**9, "milliard", "milliards"),
        (10**6, "million", "millions"),
    ):
        count, n = divmod(n, value)
        if count:
            parts.append(f"{number_in_words(count)} {singular if count == 1 else plural}")
    thousands, n = divmod(n, 1000)
    if thousands:
        # "mille" never takes an s; "quatre-vingts"/"deux cents" lose theirs before it
        head = "" if thousands == 1 else _below_1000(thousands).removesuffix("s") + " "
        parts.append(f"{head}mille")
    if n:
        parts.append(_below_1000(n))
    return " ".join(parts)


def amount_in_words(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    text = f"{number_in_words(euros)} euro{'s' if euros > 1 else ''}"
    if rest:
        text += f" et {number_in_words(rest)} centime{'s' if rest > 1 else ''}"
    return text


# --- issuing ---------------------------------------------------------------------------------


def _payment_method(pledge: Pledge) -> str:
    if pledge.mode == PROMISE_MODE:
        return "virement"
    return "carte bancaire"


def _paid_on(pledge: Pledge) -> str:
    dates = [t.received_on.isoformat() for t in pledge.transfers]
    dates += [
        a.succeeded_at.astimezone(PARIS).date().isoformat()
        for a in pledge.attempts
        if a.status == ATTEMPT_SUCCEEDED and a.succeeded_at
    ]
    return (
        max(dates)
        if dates
        else (pledge.collected_at or utcnow()).astimezone(PARIS).date().isoformat()
    )


def long_date(value) -> str:
    """A date as a French document writes it, whatever the reader's language: « 3 décembre
    2026 » (a datetime is taken in Paris; an ISO string is read first)."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return format_date(value, "d MMMM y", locale="fr_FR")


def needs_donor_address(pledge: Pledge) -> bool:
    """A tax receipt waits for the donor's postal address (a Cerfa 11580 field): asked on
    the pledge page, never printed as missing."""
    from tremplin.funding.rules import settings_for

    return (
        pledge.status == COLLECTED
        and not (pledge.donor_address or "").strip()
        and settings_for(pledge.campaign.project_id).is_general_interest
    )


def add_donor_address(pledge: Pledge, by, *, name: str | None, address: str) -> list[Receipt]:
    """The backer gives the postal address their tax receipt needs; the receipt follows."""
    from tremplin.platform.errors import DomainError, NotAllowed

    if by is None or pledge.backer_id != getattr(by, "id", None):
        raise NotAllowed()
    address = (address or "").strip()
    if len(address) < 10 or not any(ch.isdigit() for ch in address):
        raise DomainError(
            _("Indiquez votre adresse postale complète (rue, code postal, ville)."),
            field="address",
        )
    pledge.donor_address = address[:500]
    if name and name.strip():
        pledge.donor_name = name.strip()[:140]
    db.session.flush()
    return issue_for(pledge)


def issue_for(pledge: Pledge, now: datetime | None = None) -> list[Receipt]:
    """Issue the receipts of a pledge collected in full (once each: unique per kind). The
    tax receipt only once the donor's postal address is known (see `add_donor_address`)."""
    from tremplin.funding.rules import settings_for

    now = now or utcnow()
    campaign = pledge.campaign
    project = campaign.project
    existing = {
        r.kind for r in db.session.scalars(select(Receipt).where(Receipt.pledge_id == pledge.id))
    }
    donor = pledge.donor_name or (pledge.backer.display_name if pledge.backer else "")
    common = {
        "donor_name": donor,
        "donor_address": pledge.donor_address or "",
        "project_title": project.title,
        "campaign_title": campaign.title,
        "amount_in_words": amount_in_words(pledge.collected_cents),
        "paid_on": _paid_on(pledge),
        "payment_method": _payment_method(pledge),
        "reference": pledge.reference,
    }
    issued = []
    if PAYMENT not in existing:
        issued.append(
            Receipt(
                pledge_id=pledge.id,
                project_id=project.id,
                kind=PAYMENT,
                number=f"P-{pledge.id:06d}",
                amount_cents=pledge.collected_cents,
                details=common,
                issued_at=now,
            )
        )
    settings = settings_for(project.id)
    counterpart = counterpart_for(pledge)
    certified = deductible_cents(pledge)
    if (
        settings.is_general_interest
        and TAX not in existing
        and common["donor_address"]
        and certified > 0
        and not pledge.yearly_tax_receipt
        and not in_summary(pledge.id)
    ):
        year = now.astimezone(PARIS).year
        issued.append(
            Receipt(
                pledge_id=pledge.id,
                project_id=project.id,
                kind=TAX,
                number=next_tax_number(project.id, year),
                amount_cents=certified,
                issued_at=now,
                details={
                    **common,
                    "amount_in_words": amount_in_words(certified),
                    "gift_cents": pledge.collected_cents,
                    "counterpart": counterpart,
                    "organisation_name": settings.organisation_name,
                    "organisation_address": settings.organisation_address,
                    "organisation_object": settings.organisation_object or "",
                    "organisation_kind": ORGANISATION_KINDS.get(
                        settings.organisation_kind or "",
                        ORGANISATION_KINDS["oeuvre_interet_general"],
                    ),
                    "siren": settings.siren or "",
                    "signatory": settings.signatory or "",
                    "cgi_articles": ["200"],
                    "form": "Déclaration de don manuel",
                    "nature": "Numéraire",
                },
            )
        )
    for receipt in issued:
        db.session.add(receipt)
    db.session.flush()
    return issued


def choose_yearly_summary(pledge: Pledge, by, yearly: bool) -> list[Receipt]:
    """The donor chooses between a tax receipt for this gift and the yearly summary. Only
    while no tax receipt certifies the gift (individual or in a summary): a gift is never
    certified twice. Back to individual: the receipt is issued now if the gift is paid."""
    from tremplin.platform.errors import DomainError, NotAllowed

    if by is None or pledge.backer_id != getattr(by, "id", None):
        raise NotAllowed()
    if TAX in receipts_of(pledge.id) or in_summary(pledge.id):
        raise DomainError(_("Ce don a déjà son reçu fiscal : il ne change plus."))
    pledge.yearly_tax_receipt = bool(yearly)
    db.session.flush()
    if not yearly and pledge.status == COLLECTED:
        return issue_for(pledge)
    return []


def in_summary(pledge_id: int) -> bool:
    """The gift is already certified by a yearly summary receipt (never twice)."""
    from tremplin.funding.models import SummaryReceiptLine

    return bool(
        db.session.scalar(
            select(SummaryReceiptLine.id).where(SummaryReceiptLine.pledge_id == pledge_id)
        )
    )


def counterpart_sentence(rule: dict | None) -> str:
    """The counterparts rule as a receipt states it."""
    from tremplin.platform.templating import euros

    if not rule:
        return ""
    if rule["deducted"]:
        return _(
            "Contrepartie reçue : « %(title)s », d’une valeur de %(value)s, au-delà de la "
            "limite admise pour ce don (un quart du don, au plus %(cap)s par an : "
            "%(doctrine)s). Le reçu porte sur le don diminué de cette valeur : %(net)s "
            "sur %(gift)s versés.",
            title=rule["title"],
            value=euros(rule["value_cents"], True),
            cap=euros(rule["cap_cents"], True),
            doctrine=rule["doctrine"],
            net=euros(rule["deductible_cents"], True),
            gift=euros(rule["gift_cents"], True),
        )
    return _(
        "Contrepartie reçue : « %(title)s », d’une valeur de %(value)s, dans la limite admise "
        "(un quart du don, au plus %(cap)s par an : %(doctrine)s) ; elle ne réduit pas la "
        "somme reçue au titre des dons.",
        title=rule["title"],
        value=euros(rule["value_cents"], True),
        cap=euros(rule["cap_cents"], True),
        doctrine=rule["doctrine"],
    )


def receipts_of(pledge_id: int) -> dict[str, Receipt]:
    return {
        r.kind: r for r in db.session.scalars(select(Receipt).where(Receipt.pledge_id == pledge_id))
    }


# --- PDF -----------------------------------------------------------------------------------------


def _pdf_rows(receipt: Receipt) -> list[tuple[str, str]]:
    from tremplin.platform.templating import euros

    d = receipt.details
    amount = f"{euros(receipt.amount_cents, True)} ({d.get('amount_in_words', '')})"
    if receipt.kind == PAYMENT:
        return [
            (_("Reçu de"), d.get("donor_name", "")),
            (_("Pour le projet"), d.get("project_title", "")),
            (_("Collecte"), d.get("campaign_title", "")),
            (_("Montant"), amount),
            (_("Payé le"), long_date(d["paid_on"]) if d.get("paid_on") else ""),
            (_("Mode de paiement"), d.get("payment_method", "")),
            (_("Référence"), d.get("reference", "")),
        ]
    return [
        *cerfa_parties(d),
        (_("Somme reçue"), amount),
        (_("Date du versement"), long_date(d["paid_on"]) if d.get("paid_on") else ""),
        *cerfa_certification(d),
        (_("Mode de versement"), d.get("payment_method", "")),
    ]


def cerfa_parties(d: dict) -> list[tuple[str, str]]:
    """The beneficiary and the donor: the first rows of a Cerfa receipt's PDF (a tax
    receipt's or a yearly summary's `details`)."""
    return [
        (_("Bénéficiaire"), d.get("organisation_name", "")),
        (_("Adresse"), d.get("organisation_address", "")),
        (_("Objet"), d.get("organisation_object", "")),
        (_("Qualité"), d.get("organisation_kind", "")),
        (_("Donateur"), d.get("donor_name", "")),
        (_("Adresse"), d.get("donor_address", "")),
    ]


def cerfa_certification(d: dict) -> list[tuple[str, str]]:
    """What the beneficiary certifies: the CGI article, the form and the nature of the gift."""
    return [
        (_("Article du CGI"), ", ".join(d.get("cgi_articles", []))),
        (_("Forme du don"), d.get("form", "")),
        (_("Nature du don"), d.get("nature", "")),
    ]


def pdf_heading(pdf, family: str, clean, title: str, issued_at) -> None:
    """The top of a receipt's PDF: the brand, the title, the date it was issued."""
    pdf.set_font(family, "B", 13)
    pdf.cell(0, 8, "Tremplin", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 8, clean(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.cell(
        0,
        6,
        clean(_("émis le %(date)s", date=long_date(issued_at))),
        new_x="LMARGIN",
        new_y="NEXT",
    )


def pdf_fields(pdf, family: str, clean, rows: list[tuple[str, str]]) -> None:
    """`(label, value)` rows, the label in bold; an empty value prints as a dash."""
    for label, value in rows:
        pdf.set_font(family, "B", 10)
        pdf.cell(55, 6, clean(label))
        pdf.set_font(family, "", 10)
        pdf.multi_cell(0, 6, clean(value or "—"), new_x="LMARGIN", new_y="NEXT")


def render_pdf(receipt: Receipt) -> bytes:
    """The receipt as an A4 PDF: the same fields as its printable page, dates in French."""
    from tremplin.platform.pdf import new_document

    title = (
        _("Reçu de paiement n° %(n)s", n=receipt.number)
        if receipt.kind == PAYMENT
        else _("Reçu au titre des dons n° %(n)s (Cerfa n° 11580)", n=receipt.number)
    )
    pdf, family, clean = new_document(title, receipt.details.get("campaign_title", ""))
    pdf_heading(pdf, family, clean, title, receipt.issued_at)
    pdf.ln(6)
    pdf_fields(pdf, family, clean, _pdf_rows(receipt))
    pdf.ln(6)
    pdf.set_font(family, "", 9)
    if receipt.kind == PAYMENT:
        note = _(
            "Ce reçu atteste le versement d’un soutien à un projet. Il n’est pas un reçu "
            "fiscal. Le soutien est un engagement moral et ne donne droit à aucun titre "
            "financier."
        )
    else:
        note = _("Signataire : %(who)s", who=receipt.details.get("signatory", ""))
        rule = counterpart_sentence(receipt.details.get("counterpart"))
        if rule:
            note = rule + "\n" + note
    pdf.multi_cell(0, 5, clean(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
