"""Telling the people of a pairing what happened: an in-app notification, and an e-mail
when they consented to that kind, written in the recipient's own language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tremplin.platform.hooks import register_email_kind

REQUESTS = "mentoring_requests"
PAIRINGS = "mentoring_pairings"
REMINDERS = "mentoring_reminders"

EMAIL_KINDS = {
    REQUESTS: _l("Parrainage : demandes reçues, et réponses à mes demandes"),
    PAIRINGS: _l("Mon binôme : propositions, pauses, fin du parrainage et bilans"),
    REMINDERS: _l("Parrainage : rappel quand mon binôme n’a noté aucune séance depuis un moment"),
}


def register_kinds() -> None:
    for kind, label in EMAIL_KINDS.items():
        register_email_kind(kind, label)
