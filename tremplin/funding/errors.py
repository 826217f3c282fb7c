"""Funding's domain errors: each carries a French message for people (and maybe a field)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tremplin.platform.errors import DomainError, NotAllowed


class InvalidAmount(DomainError):
    default_message = _l(
        "Indiquez un montant en euros, d'au moins 1 €, avec au plus deux chiffres après la virgule."
    )
    field = "amount"


class CampaignNotOpen(DomainError):
    default_message = _l(
        "Cette collecte n'accepte plus de promesses : elle n'est pas ouverte "
        "ou sa date limite est passée."
    )


class CampaignLocked(DomainError):
    default_message = _l(
        "L'objectif, la règle et la date limite ne changent plus une fois la collecte ouverte."
    )


class InvalidCampaign(DomainError):
    default_message = _l("Cette collecte n'est pas valable.")


class RewardSoldOut(DomainError):
    default_message = _l("Cette contrepartie n'est plus disponible : toutes ont été réservées.")
    field = "reward_id"


class InvalidReward(DomainError):
    default_message = _l("Cette contrepartie n'existe pas pour cette collecte.")
    field = "reward_id"


class OwnCampaign(NotAllowed):
    default_message = _l(
        "Vous faites partie de l'équipe du projet : vous ne pouvez pas soutenir "
        "votre propre collecte."
    )


class AlreadyPledged(DomainError):
    default_message = _l(
        "Vous soutenez déjà cette collecte : modifiez votre promesse plutôt que "
        "d'en faire une seconde."
    )


class PledgeLocked(DomainError):
    default_message = _l(
        "Cette promesse ne peut plus être modifiée ni annulée : la date limite "
        "est passée ou le paiement a commencé."
    )


class PaymentNotPossible(DomainError):
    default_message = _l("Ce paiement n'est pas possible dans l'état actuel de la promesse.")
