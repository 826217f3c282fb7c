"""Telling members what happened: an in-app notification (and an e-mail when they
consented to that kind), written in the recipient's own language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tremplin.platform.hooks import register_email_kind

OFFERS = "members_offers"
TEAM = "members_team"
FOLLOWED = "members_followed"
INVITATIONS = "members_need_invitations"

EMAIL_KINDS = {
    OFFERS: _l("Propositions d’aide sur mes besoins, et réponses à mes propositions"),
    TEAM: _l("Invitations dans une équipe projet et jalons confirmés"),
    FOLLOWED: _l("Nouveaux besoins et jalons des projets et membres que je suis"),
    INVITATIONS: _l("Invitations d’une équipe projet à regarder l’un de ses besoins"),
}


def register_kinds() -> None:
    for kind, label in EMAIL_KINDS.items():
        register_email_kind(kind, label)
