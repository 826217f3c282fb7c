"""A project's funding settings: the bank account backers pay by transfer (an IBAN checked
by schwifty; once backers rely on it, a change waits for a second person's confirmation and
the backers still to pay are told), the Stripe account and the tax-receipt issuer.
Services flush, never commit."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from tremplin.funding import notices
from tremplin.funding.errors import InvalidCampaign
from tremplin.funding.models import (
    ACTIVE,
    DUE,
    PROMISE_MODE,
    UNPAID,
    Campaign,
    Pledge,
    ProjectFundingSettings,
)
from tremplin.platform.admin import log_action
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow


def update_settings(project, by, **fields) -> ProjectFundingSettings:
    settings = db.session.get(ProjectFundingSettings, project.id)
    if settings is None:
        settings = ProjectFundingSettings(project_id=project.id)
        db.session.add(settings)
    iban = checked_iban(fields.pop("iban", None))
    if settings.iban and iban != settings.iban and _has_promises(project.id):
        if iban is None:
            raise InvalidCampaign(
                _("Des soutiens paient sur ce compte : remplacez l'IBAN, ne l'effacez pas."),
                field="iban",
            )
        settings.pending_iban, settings.pending_iban_by_id = iban, by.id
        settings.pending_iban_at = utcnow()
        log_action(
            by,
            "funding_iban_requested",
            "project",
            project.id,
            f"Changement d'IBAN demandé : {masked_iban(settings.iban)} → {masked_iban(iban)}",
        )
    else:
        settings.iban = iban
    stripe_account = (fields.pop("stripe_account_id", None) or "").strip() or None
    if stripe_account is not None and not stripe_account.startswith("acct_"):
        raise InvalidCampaign(
            _("Un compte Stripe Connect commence par « acct_ »."), field="stripe_account_id"
        )
    if stripe_account != settings.stripe_account_id:
        settings.stripe_charges_enabled = False  # until Stripe says so (connect.py)
    settings.stripe_account_id = stripe_account
    for name, value in fields.items():
        setattr(settings, name, value.strip() if isinstance(value, str) else value)
    if settings.bic:
        settings.bic = settings.bic.replace(" ", "").upper()
    if settings.is_general_interest and not (
        settings.organisation_name and settings.organisation_address
    ):
        raise InvalidCampaign(
            _("Pour délivrer des reçus fiscaux, indiquez le nom et l'adresse de l'organisme."),
            field="organisation_name",
        )
    db.session.flush()
    return settings


def masked_iban(iban: str | None) -> str:
    """An IBAN as the action log shows it: its first and last four characters."""
    return f"{iban[:4]}…{iban[-4:]}" if iban else "—"


def _has_promises(project_id: int) -> bool:
    """Pledges exist on one of the project's campaigns (whatever their state): its bank
    details are now something backers rely on."""
    return bool(
        db.session.scalar(
            select(Pledge.id)
            .join(Campaign, Pledge.campaign_id == Campaign.id)
            .where(Campaign.project_id == project_id)
            .limit(1)
        )
    )


def confirm_iban_change(project, by) -> ProjectFundingSettings:
    """A second person (another team member or an organiser, never the one who asked)
    confirms the new IBAN: it replaces the old one, the backers still to pay by transfer
    are told, and the change is logged."""
    settings = db.session.get(ProjectFundingSettings, project.id)
    if settings is None or not settings.pending_iban:
        raise InvalidCampaign(_("Aucun changement d'IBAN n'attend de confirmation."))
    if settings.pending_iban_by_id == getattr(by, "id", None):
        raise InvalidCampaign(
            _("Une autre personne de l'équipe (ou un animateur) doit confirmer ce changement.")
        )
    moved = db.session.execute(
        update(ProjectFundingSettings)
        .where(
            ProjectFundingSettings.project_id == project.id,
            ProjectFundingSettings.pending_iban == settings.pending_iban,
        )
        .values(
            iban=settings.pending_iban,
            pending_iban=None,
            pending_iban_by_id=None,
            pending_iban_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise InvalidCampaign(_("Ce changement vient d'être traité par quelqu'un d'autre."))
    old = settings.iban
    db.session.refresh(settings)
    log_action(
        by,
        "funding_iban_confirmed",
        "project",
        project.id,
        f"Changement d'IBAN confirmé : {masked_iban(old)} → {masked_iban(settings.iban)}",
    )
    to_pay = db.session.scalars(
        select(Pledge)
        .join(Campaign, Pledge.campaign_id == Campaign.id)
        .where(
            Campaign.project_id == project.id,
            Pledge.mode == PROMISE_MODE,
            Pledge.status.in_((DUE, UNPAID, ACTIVE)),
        )
    ).all()
    for pledge in to_pay:
        notices.bank_details_changed(pledge)
    db.session.flush()
    return settings


def cancel_iban_change(project, by) -> None:
    settings = db.session.get(ProjectFundingSettings, project.id)
    if settings is not None and settings.pending_iban:
        log_action(by, "funding_iban_cancelled", "project", project.id, "Changement d'IBAN annulé")
        settings.pending_iban = settings.pending_iban_by_id = settings.pending_iban_at = None
        db.session.flush()


def checked_iban(raw: str | None) -> str | None:
    """An IBAN in its compact form, checked by schwifty: known country, the country's
    length and structure, ISO 7064 check digits (and the national check digits where
    schwifty knows them, as for French RIB keys). Raises InvalidCampaign with the reason."""
    from schwifty import IBAN
    from schwifty import exceptions as iban_errors

    compact = (raw or "").replace(" ", "").replace("-", "").upper()
    if not compact:
        return None
    reasons = (
        (iban_errors.InvalidCountryCode, _("Ce code pays d'IBAN n'existe pas.")),
        (iban_errors.InvalidLength, _("Cet IBAN n'a pas la longueur prévue pour son pays.")),
        (iban_errors.InvalidChecksumDigits, _("Les chiffres de contrôle de cet IBAN sont faux.")),
        (iban_errors.InvalidBBANChecksum, _("La clé RIB de cet IBAN est fausse.")),
    )
    try:
        return IBAN(compact).compact
    except iban_errors.SchwiftyException as exc:
        message = next(
            (text for kind, text in reasons if isinstance(exc, kind)),
            _("Cet IBAN n'est pas valable : vérifiez-le."),
        )
        raise InvalidCampaign(message, field="iban") from None
