"""Telling club members and applicants what happened: an in-app notification, and an
e-mail when they consented to that kind, written in the recipient's own language."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from tremplin.platform import notifications
from tremplin.platform.hooks import register_email_kind

MEMBERSHIP = "clubs_membership"
VOTES = "clubs_votes"
SAVINGS = "clubs_savings"
APPLICATIONS = "clubs_applications"
PORTFOLIO = "clubs_portfolio"

EMAIL_KINDS = {
    MEMBERSHIP: _l(
        "Clubs d’investisseurs : invitations, demandes d’adhésion, rôles et étapes de mon club"
    ),
    VOTES: _l("Clubs d’investisseurs : votes ouverts, rappels et résultats"),
    SAVINGS: _l("Mon épargne de club : versements reçus et échéances en retard"),
    APPLICATIONS: _l(
        "Candidatures aux clubs d’investisseurs : nouvelles candidatures et décisions"
    ),
    PORTFOLIO: _l("Portefeuille de mon club : investissements, remboursements et répartition"),
}

TEMPLATES = {
    MEMBERSHIP: "email/clubs_membership.txt",
    VOTES: "email/clubs_vote.txt",
    SAVINGS: "email/clubs_savings.txt",
    APPLICATIONS: "email/clubs_application.txt",
    PORTFOLIO: "email/clubs_portfolio.txt",
}


def register_kinds() -> None:
    for kind, label in EMAIL_KINDS.items():
        register_email_kind(kind, label, template=TEMPLATES[kind])


def tell_all(
    recipients: Iterable, kind: str, text, url: str | None, *, but=None, **context
) -> None:
    """`notify` each recipient (in their own language), but the one who acted."""
    skip = getattr(but, "id", None)
    for recipient in recipients:
        if recipient is not None and recipient.id != skip:
            notifications.notify(recipient, kind, text, url, **context)
