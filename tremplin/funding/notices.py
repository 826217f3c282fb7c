"""Telling backers and teams what happened to their money.

Payment e-mails (bank details to pay a promise, a card payment to confirm, a decline, a
receipt, a refund, a campaign that failed) concern a payment the member started: they are
transactional and always sent. Team news and campaign updates are in-app notifications,
e-mailed only to members who chose to receive them.
"""

from __future__ import annotations

import functools
from contextlib import nullcontext

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from tremplin.platform import notifications
from tremplin.platform.hooks import register_email_kind

TRANSACTIONAL = notifications.ACCOUNT_KIND  # always sent: it is about the member's own payment
BACKER = "funding_backer"  # in-app only (the e-mail, when any, is transactional)
TEAM = "funding_team"
UPDATES = "funding_updates"

EMAIL_KINDS = {
    TEAM: _l("Promesses et paiements des collectes de mes projets"),
    UPDATES: _l("Actualités des collectes que je soutiens"),
}


def register_kinds() -> None:
    for kind, label in EMAIL_KINDS.items():
        register_email_kind(kind, label)


def request_context():
    """Templates (e-mails, layout helpers) expect a request: CLI jobs get a stand-in one."""
    if has_request_context():
        return nullcontext()
    return current_app.test_request_context("/", base_url=current_app.config["TREMPLIN_BASE_URL"])


def in_request(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with request_context():
            return func(*args, **kwargs)

    return wrapper


def path(endpoint: str, **values) -> str:
    """A URL path, inside a request or not (CLI jobs send mail too)."""
    with request_context():
        return url_for(endpoint, **values)


def link(endpoint: str, **values) -> str:
    return notifications.absolute_url(path(endpoint, **values))


def _in_app(user, kind: str, text, url: str | None, **email) -> None:
    notifications.notify(user, kind, text, url, **email)


def _mail(user, subject, template: str, **context) -> None:
    if user is None or user.is_deleted or not user.email:
        return
    notifications.queue_email(user, subject, template, kind=TRANSACTIONAL, **context)


def _team(campaign):
    return [m.user for m in campaign.project.team if m.user is not None]


def _pledge_context(pledge) -> dict:
    from tremplin.funding.rules import settings_for

    campaign = pledge.campaign
    return {
        "pledge": pledge,
        "campaign": campaign,
        "project": campaign.project,
        "settings": settings_for(campaign.project_id),
        "pledge_url": link("funding.pledge_page", pledge_id=pledge.id),
        "campaign_url": link("funding.campaign", campaign_id=campaign.id),
    }


# --- backers -------------------------------------------------------------------------------


@in_request
def pledge_confirmed(pledge) -> None:
    campaign = pledge.campaign
    _in_app(
        pledge.backer,
        BACKER,
        _l("Merci ! Votre promesse pour « %(title)s » est enregistrée.", title=campaign.title),
        path("funding.pledge_page", pledge_id=pledge.id),
    )
    _mail(
        pledge.backer,
        _l("Votre promesse pour « %(title)s »", title=campaign.title),
        "email/funding_pledge_confirmed.txt",
        **_pledge_context(pledge),
    )
    for member in _team(campaign):
        _in_app(
            member,
            TEAM,
            _l("Nouvelle promesse pour la collecte « %(title)s ».", title=campaign.title),
            path("funding.manage", campaign_id=campaign.id),
        )


@in_request
def pledge_cancelled(pledge) -> None:
    for member in _team(pledge.campaign):
        _in_app(
            member,
            TEAM,
            _l(
                "Une promesse a été annulée sur la collecte « %(title)s ».",
                title=pledge.campaign.title,
            ),
            path("funding.manage", campaign_id=pledge.campaign_id),
        )


@in_request
def pledge_due(pledge) -> None:
    """Promise mode: the bank details and the reference to pay. (Card pledges are charged
    right away by the close job; the receipt or a problem is what the backer hears of.)"""
    if pledge.mode != "promise":
        return
    _mail(
        pledge.backer,
        _l("À vous de jouer : votre virement pour « %(title)s »", title=pledge.campaign.title),
        "email/funding_pay_by_transfer.txt",
        reminder=False,
        **_pledge_context(pledge),
    )
    _in_app(
        pledge.backer,
        BACKER,
        _l(
            "La collecte « %(title)s » a réussi : votre virement est attendu.",
            title=pledge.campaign.title,
        ),
        path("funding.pledge_page", pledge_id=pledge.id),
    )


@in_request
def promise_reminder(pledge) -> None:
    _mail(
        pledge.backer,
        _l("Rappel : votre virement pour « %(title)s »", title=pledge.campaign.title),
        "email/funding_pay_by_transfer.txt",
        reminder=True,
        **_pledge_context(pledge),
    )


@in_request
def pledge_released(pledge) -> None:
    _mail(
        pledge.backer,
        _l("La collecte « %(title)s » n'a pas atteint son objectif", title=pledge.campaign.title),
        "email/funding_released.txt",
        **_pledge_context(pledge),
    )
    _in_app(
        pledge.backer,
        BACKER,
        _l(
            "La collecte « %(title)s » n'a pas atteint son objectif : rien ne vous sera demandé.",
            title=pledge.campaign.title,
        ),
        path("funding.pledge_page", pledge_id=pledge.id),
    )


@in_request
def pledge_collected(pledge) -> None:
    _mail(
        pledge.backer,
        _l("Merci : votre soutien à « %(title)s » est reçu", title=pledge.campaign.title),
        "email/funding_collected.txt",
        receipt_url=link("funding.receipt", pledge_id=pledge.id, kind="paiement"),
        **_pledge_context(pledge),
    )
    _in_app(
        pledge.backer,
        BACKER,
        _l("Votre soutien à « %(title)s » est reçu. Merci !", title=pledge.campaign.title),
        path("funding.pledge_page", pledge_id=pledge.id),
    )


@in_request
def transfer_received(pledge, amount_cents: int) -> None:
    _mail(
        pledge.backer,
        _l("Virement reçu pour « %(title)s »", title=pledge.campaign.title),
        "email/funding_transfer_received.txt",
        amount_cents=amount_cents,
        **_pledge_context(pledge),
    )


@in_request
def bank_details_changed(pledge) -> None:
    """A backer still to pay by transfer: the project's IBAN changed (confirmed by two
    people); the pledge page shows the new details."""
    text = _l(
        "Le RIB de « %(title)s » a changé : avant tout virement, reprenez les coordonnées "
        "bancaires sur la page de votre promesse.",
        title=pledge.campaign.title,
    )
    url = path("funding.pledge_page", pledge_id=pledge.id)
    _in_app(pledge.backer, BACKER, text, url)
    if pledge.backer is not None:
        with force_locale(pledge.backer.locale or "fr"):
            subject, body = str(_l("Nouvelles coordonnées bancaires")), str(text)
        _mail(
            pledge.backer,
            subject,
            "email/notification.txt",
            text=body,
            url=link("funding.pledge_page", pledge_id=pledge.id),
        )


@in_request
def transfer_recorded(pledge, amount_cents: int, by) -> None:
    """The team hears of every transfer recorded (by e-mail too, for those who chose
    « Promesses et paiements des collectes de mes projets »): a transfer entered by
    mistake, or by someone else, shows at once."""
    from tremplin.platform.templating import euros

    text = _l(
        "Virement de %(amount)s enregistré par %(who)s pour la promesse %(ref)s de %(name)s "
        "(« %(title)s »).",
        amount=euros(amount_cents),
        who=getattr(by, "display_name", "?"),
        ref=pledge.reference,
        name=_backer_name(pledge),
        title=pledge.campaign.title,
    )
    for member in _team(pledge.campaign):
        _in_app(
            member,
            TEAM,
            text,
            path("funding.manage", campaign_id=pledge.campaign_id, _anchor=f"promesse-{pledge.id}"),
        )


@in_request
def payment_requires_action(pledge, reminder: bool = False) -> None:
    _mail(
        pledge.backer,
        _l("Confirmez votre paiement pour « %(title)s »", title=pledge.campaign.title),
        "email/funding_confirm_payment.txt",
        reminder=reminder,
        confirm_url=link("funding.confirm_payment", pledge_id=pledge.id, token=pledge.token),
        **_pledge_context(pledge),
    )
    if not reminder:
        _in_app(
            pledge.backer,
            BACKER,
            _l(
                "Votre banque demande de confirmer le paiement pour « %(title)s ».",
                title=pledge.campaign.title,
            ),
            path("funding.confirm_payment", pledge_id=pledge.id, token=pledge.token),
        )


@in_request
def payment_declined(pledge, *, final: bool) -> None:
    context = _pledge_context(pledge)
    _mail(
        pledge.backer,
        _l("Votre paiement pour « %(title)s » n'est pas passé", title=pledge.campaign.title),
        "email/funding_declined.txt",
        final=final,
        card_url=link("funding.card", pledge_id=pledge.id),
        **context,
    )
    text = (
        _l(
            "Le paiement de %(name)s pour « %(title)s » a été refusé définitivement.",
            name=_backer_name(pledge),
            title=pledge.campaign.title,
        )
        if final
        else _l(
            "Le paiement de %(name)s pour « %(title)s » a été refusé ; il sera retenté.",
            name=_backer_name(pledge),
            title=pledge.campaign.title,
        )
    )
    for member in _team(pledge.campaign):
        _in_app(member, TEAM, text, path("funding.manage", campaign_id=pledge.campaign_id))


@in_request
def pledge_refunded(pledge, amount_cents: int) -> None:
    _mail(
        pledge.backer,
        _l("Remboursement de votre soutien à « %(title)s »", title=pledge.campaign.title),
        "email/funding_refunded.txt",
        amount_cents=amount_cents,
        **_pledge_context(pledge),
    )


@in_request
def campaign_update(pledge, campaign, item) -> None:
    _in_app(
        pledge.backer,
        UPDATES,
        _l(
            "Actualité de la collecte « %(title)s » : %(news)s",
            title=campaign.title,
            news=item.title,
        ),
        path("funding.campaign", campaign_id=campaign.id, _anchor=f"actualite-{item.id}"),
        template="email/funding_update.txt",
        update=item,
        campaign=campaign,
    )


def _backer_name(pledge) -> str:
    return pledge.backer.display_name if pledge.backer else "—"


# --- teams -----------------------------------------------------------------------------------


@in_request
def campaign_ended(campaign, pledged_cents: int) -> None:
    from tremplin.platform.templating import euros

    if campaign.outcome == "succeeded":
        text = _l(
            "La collecte « %(title)s » a réussi : %(amount)s promis.",
            title=campaign.title,
            amount=euros(pledged_cents),
        )
    else:
        text = _l(
            "La collecte « %(title)s » s'est terminée sans atteindre son objectif "
            "(%(amount)s promis). Aucun soutien ne sera débité.",
            title=campaign.title,
            amount=euros(pledged_cents),
        )
    for member in _team(campaign):
        _in_app(member, TEAM, text, path("funding.manage", campaign_id=campaign.id))
