"""The club's bank account (where members pay their savings by transfer) and its Stripe
Connect account (where card savings go).

Bank details cannot be swapped silently: once savings exist, a new IBAN waits for a second
person's confirmation (another officer of the club — gérant, co-gérant, trésorier,
secrétaire — or an organiser, never the one who asked); on confirmation the members still
paying by transfer are told, and every step is logged. IBANs are checked by schwifty
(`project_settings.checked_iban`: country, length, check digits, RIB key)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from tremplin.funding.clubs import locking, notices
from tremplin.funding.clubs.errors import ClubError
from tremplin.funding.clubs.models import (
    BY_TRANSFER,
    MEMBER_ACTIVE,
    ClubMembership,
    InvestorClub,
    SavingsPayment,
    SavingsPlan,
)
from tremplin.funding.project_settings import checked_iban, masked_iban
from tremplin.platform.admin import log_action
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow


def has_savings(club: InvestorClub) -> bool:
    """Savings were paid or promised (a plan): members rely on the club's bank details."""
    return bool(
        db.session.scalar(select(SavingsPayment.id).where(SavingsPayment.club_id == club.id))
        or db.session.scalar(select(SavingsPlan.id).where(SavingsPlan.club_id == club.id))
    )


def update_bank_details(
    club: InvestorClub, by, *, account_holder: str | None, iban: str | None, bic: str | None
) -> InvestorClub:
    """Record the club's RIB. A different IBAN once savings exist is only requested."""
    locking.lock(club)
    new_iban = checked_iban(iban)
    club.account_holder = (account_holder or "").strip()[:140] or None
    club.bic = (bic or "").replace(" ", "").upper()[:11] or None
    if club.iban and new_iban != club.iban and has_savings(club):
        if new_iban is None:
            raise ClubError(
                _(
                    "Des membres versent leur épargne sur ce compte : remplacez l’IBAN, ne l’effacez pas."
                ),
                field="iban",
            )
        club.pending_iban, club.pending_iban_by_id = new_iban, by.id
        club.pending_iban_at = utcnow()
        log_action(
            by,
            "club_iban_requested",
            "club",
            club.id,
            f"Changement d'IBAN demandé : {masked_iban(club.iban)} → {masked_iban(new_iban)}",
        )
    elif new_iban != club.iban:
        if club.iban:
            log_action(
                by,
                "club_iban_changed",
                "club",
                club.id,
                f"IBAN changé (aucune épargne) : {masked_iban(club.iban)} → {masked_iban(new_iban)}",
            )
        club.iban = new_iban
    db.session.flush()
    return club


def confirm_iban_change(club: InvestorClub, by) -> InvestorClub:
    """The second person confirms: the new IBAN replaces the old one (one guarded UPDATE,
    so two confirmations at once apply it once), members still paying by transfer are told,
    and it is logged."""
    if not club.pending_iban:
        raise ClubError(_("Aucun changement d’IBAN n’attend de confirmation."))
    if club.pending_iban_by_id == getattr(by, "id", None):
        raise ClubError(
            _(
                "Une autre personne du bureau du club (ou un animateur) doit confirmer ce changement."
            )
        )
    old, new = club.iban, club.pending_iban
    moved = db.session.execute(
        update(InvestorClub)
        .where(InvestorClub.id == club.id, InvestorClub.pending_iban == new)
        .values(
            iban=new,
            pending_iban=None,
            pending_iban_by_id=None,
            pending_iban_at=None,
            lock_version=InvestorClub.lock_version + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise ClubError(_("Ce changement vient d’être traité par quelqu’un d’autre."))
    db.session.refresh(club)
    log_action(
        by,
        "club_iban_confirmed",
        "club",
        club.id,
        f"Changement d'IBAN confirmé : {masked_iban(old)} → {masked_iban(new)}",
    )
    payers = db.session.scalars(
        select(ClubMembership)
        .join(SavingsPlan, SavingsPlan.membership_id == ClubMembership.id)
        .where(
            SavingsPlan.club_id == club.id,
            SavingsPlan.method == BY_TRANSFER,
            SavingsPlan.ends_on.is_(None),
            ClubMembership.state == MEMBER_ACTIVE,
        )
        .distinct()
    ).all()
    url = url_for("clubs.bank", club_id=club.id)
    text = _l(
        "Le club %(club)s a changé de compte bancaire : versez désormais votre épargne sur "
        "le nouvel IBAN (se terminant par %(end)s).",
        club=club.name,
        end=new[-4:],
    )
    notices.tell_all([m.user for m in payers], notices.SAVINGS, text, url)
    db.session.flush()
    return club


def cancel_iban_change(club: InvestorClub, by) -> None:
    if club.pending_iban:
        log_action(by, "club_iban_cancelled", "club", club.id, "Changement d'IBAN annulé")
        club.pending_iban = club.pending_iban_by_id = club.pending_iban_at = None
        db.session.flush()
