"""The rules of a club, broken: each error carries a message for people (French by
default) and, when it belongs to one, the form field it concerns."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tremplin.platform.errors import DomainError


class ClubError(DomainError):
    default_message = _l("Cette action n’est pas possible dans ce club.")


class ClubFull(ClubError):
    default_message = _l(
        "Ce club compte déjà 20 membres, le maximum d’un club "
        "d’investisseurs. Pourquoi ne pas fonder un nouveau club avec "
        "d’autres épargnants ?"
    )


class NotEnoughMembers(ClubError):
    default_message = _l("Un club ne peut devenir actif qu’avec au moins 5 membres.")


class WrongState(ClubError):
    default_message = _l("Le club n’est pas dans une étape qui permet cette action.")


class NotAMember(ClubError):
    default_message = _l("Seuls les membres du club peuvent faire cela.")


class MembershipError(ClubError):
    default_message = _l("Cette adhésion n’est pas possible.")


class SavingOutOfBounds(ClubError):
    default_message = _l("Ce montant n’est pas dans les limites d’épargne du club.")


class FundTooLow(ClubError):
    default_message = _l("Le fonds du club ne contient pas assez d’argent pour cela.")


class VoteError(ClubError):
    default_message = _l("Ce vote n’est pas possible.")


class AlreadyVoted(VoteError):
    default_message = _l(
        "Vous avez déjà voté : un membre, une voix. Votre vote est "
        "enregistré et ne peut plus être modifié."
    )


class VoteClosed(VoteError):
    default_message = _l("Ce vote est clos : il n’est plus possible de voter.")


class NotAnElector(VoteError):
    default_message = _l(
        "Seuls les membres du club au moment de l’ouverture du vote peuvent voter."
    )


class StakeNeedsConfirmation(ClubError):
    """The stake is above the prudent threshold: the person recording it must confirm."""

    field = "confirm_stake"
    default_message = _l(
        "Cette participation dépasse le seuil de prudence : confirmez-la en cochant la case."
    )


class DocumentRejected(ClubError):
    default_message = _l(
        "Ce fichier n’est pas accepté : envoyez un PDF ou une image (PNG, JPEG), de 10 Mo au plus."
    )
