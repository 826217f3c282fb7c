"""The rules requests (services.py) and pairings (pairings.py) share: limits, the
errors they raise, the organisers' settings, a mentor's load and capacity, today in Paris.
A leaf: it imports neither services nor pairings, so they never import each other back.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tremplin.mentoring.models import (
    LOAD_STATES,
    MentoringSettings,
    MentorOffer,
    Pairing,
)
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.models import User

PARIS = ZoneInfo("Europe/Paris")
GOALS_MAX = 4000
MESSAGE_MAX = 2000
PRESENTATION_MAX = 3000


PARIS = ZoneInfo("Europe/Paris")


GOALS_MAX = 4000


MESSAGE_MAX = 2000


PRESENTATION_MAX = 3000


class InvalidOffer(DomainError):
    default_message = _l("Cette proposition de parrainage contient une valeur non reconnue.")


class InvalidRequest(DomainError):
    default_message = _l("Cette demande contient une valeur non reconnue.")


class DuplicateRequest(DomainError):
    default_message = _l(
        "Vous avez déjà une demande en attente auprès de cette personne : "
        "attendez sa réponse avant de la solliciter à nouveau."
    )


class MentorUnavailable(DomainError):
    default_message = _l("Cette personne ne prend pas de nouveau binôme pour le moment.")


class CapacityReached(DomainError):
    default_message = _l(
        "Toutes les places de ce parrain ou de cette marraine sont prises : "
        "un binôme doit se terminer avant d’en accepter un nouveau."
    )


class WrongState(DomainError):
    default_message = _l("Ce n’est plus possible à cette étape.")


def paris_today() -> date:
    return datetime.now(PARIS).date()


SETTINGS_BOUNDS = {
    "default_length_weeks": (4, 104),
    "quiet_after_weeks": (1, 26),
    "request_expiry_days": (2, 60),
}


def get_settings() -> MentoringSettings:
    """The organisers' settings; until they change anything, the defaults (not stored)."""
    settings = db.session.get(MentoringSettings, 1)
    if settings is None:
        defaults = current_app.config
        settings = MentoringSettings(
            id=1,
            default_length_weeks=defaults.get("MENTORING_DEFAULT_LENGTH_WEEKS", 26),
            quiet_after_weeks=defaults.get("MENTORING_QUIET_AFTER_WEEKS", 4),
            request_expiry_days=defaults.get("MENTORING_REQUEST_EXPIRY_DAYS", 14),
        )
    return settings


def mentor_load(mentor_id: int, *, exclude_pairing_id: int | None = None) -> int:
    """Places taken: pairings proposed, active or paused."""
    stmt = select(func.count(Pairing.id)).where(
        Pairing.mentor_id == mentor_id, Pairing.state.in_(LOAD_STATES)
    )
    if exclude_pairing_id is not None:
        stmt = stmt.where(Pairing.id != exclude_pairing_id)
    return db.session.scalar(stmt) or 0


def lock_offer(mentor_id: int) -> MentorOffer | None:
    """The mentor's offer, locked until commit (PostgreSQL), so two acceptances cannot
    both take the last place."""
    return db.session.scalar(
        select(MentorOffer).where(MentorOffer.user_id == mentor_id).with_for_update()
    )


def check_capacity(mentor: User, *, exclude_pairing_id: int | None = None) -> MentorOffer:
    offer = lock_offer(mentor.id)
    if offer is None:
        raise MentorUnavailable(_("Cette personne n’a pas de proposition de parrainage."))
    if mentor_load(mentor.id, exclude_pairing_id=exclude_pairing_id) >= offer.max_mentees:
        raise CapacityReached()
    return offer
