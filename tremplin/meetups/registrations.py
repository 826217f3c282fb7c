"""Registrations: a member's RSVP, a visitor's registration confirmed by an e-mailed link,
guests, the waiting list that fills freed seats by itself, cancellations.

Capacity counts people (a registrant and their guests). Every decision about seats takes
the meetup row's lock first (SELECT … FOR UPDATE on PostgreSQL), so two cancellations or
two registrations at once never give the same seat twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from tremplin.meetups import notices, policies, signals
from tremplin.meetups.models import (
    ACTIVE_REGISTRATION_STATES,
    CONFIRMED,
    MAX_GUESTS,
    PENDING,
    WAITING,
    WITHDRAWN,
    Meetup,
    Registration,
)
from tremplin.platform import tokens
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import absolute_url, queue_email
from tremplin.platform.types import utcnow


class AlreadyRegistered(DomainError):
    pass


class RegistrationClosed(DomainError):
    pass


# --- counting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    confirmed: int = 0  # people (guests included) holding a seat
    waiting: int = 0  # people on the waiting list
    checked_in: int = 0  # people in the room (guests included)


def counts_for(meetup_ids: list[int]) -> dict[int, Counts]:
    """Seats taken, waiting list and attendance of several meetups, in one statement."""
    if not meetup_ids:
        return {}
    party = 1 + Registration.guests
    rows = db.session.execute(
        select(
            Registration.meetup_id,
            func.coalesce(func.sum(case((Registration.status == CONFIRMED, party), else_=0)), 0),
            func.coalesce(func.sum(case((Registration.status == WAITING, party), else_=0)), 0),
            func.coalesce(
                func.sum(
                    case(
                        (
                            Registration.checked_in_at.is_not(None),
                            1 + Registration.guests_checked_in,
                        ),
                        else_=0,
                    )
                ),
                0,
            ),
        )
        .where(Registration.meetup_id.in_(meetup_ids))
        .group_by(Registration.meetup_id)
    ).all()
    found = {row[0]: Counts(int(row[1]), int(row[2]), int(row[3])) for row in rows}
    return {mid: found.get(mid, Counts()) for mid in meetup_ids}


def seats_taken(meetup: Meetup) -> int:
    return counts_for([meetup.id])[meetup.id].confirmed


def seats_left(meetup: Meetup) -> int | None:
    if meetup.capacity is None:
        return None
    return max(0, meetup.capacity - seats_taken(meetup))


def _lock(meetup: Meetup) -> None:
    """Serialise seat decisions for this meetup until the transaction ends."""
    db.session.execute(select(Meetup.id).where(Meetup.id == meetup.id).with_for_update())


def _fits(meetup: Meetup, party: int) -> bool:
    return meetup.capacity is None or seats_taken(meetup) + party <= meetup.capacity


def _check_guests(guests: int | None) -> int:
    guests = int(guests or 0)
    if guests < 0 or guests > MAX_GUESTS:
        raise DomainError(
            _("Vous pouvez venir accompagné·e de %(max)d personnes au plus.", max=MAX_GUESTS),
            field="guests",
        )
    return guests


def _seat_or_wait(registration: Registration) -> None:
    """Confirm if the party fits, otherwise put it on the waiting list."""
    now = utcnow()
    if _fits(registration.meetup, registration.party_size):
        registration.status = CONFIRMED
        registration.confirmed_at = now
        registration.waitlisted_at = None
    else:
        registration.status = WAITING
        registration.waitlisted_at = now
    db.session.flush()
    signals.registration_created.send(registration)


# --- members -----------------------------------------------------------------------------


def find_registration(meetup: Meetup, user) -> Registration | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.meetup_id == meetup.id, Registration.user_id == user.id
        )
    )


def register_member(user: User, meetup: Meetup, guests: int = 0) -> Registration:
    """A member's RSVP: a seat if one is left, the waiting list otherwise."""
    if not policies.can_view_meetup(user, meetup):
        raise NotAllowed()
    if not policies.can_register(user, meetup):
        raise RegistrationClosed(_("Les inscriptions à cette rencontre sont closes."))
    guests = _check_guests(guests)
    _lock(meetup)
    registration = find_registration(meetup, user)
    if registration is None and user.email:
        # The member may have registered as a visitor with the same address: claim it.
        registration = db.session.scalar(
            select(Registration).where(
                Registration.meetup_id == meetup.id,
                Registration.email == user.email.lower(),
                Registration.user_id.is_(None),
            )
        )
        if registration is not None and registration.is_active:
            registration.user_id = user.id
            registration.user = user
            registration.email = None
            registration.name = None
            if registration.status == PENDING:
                _seat_or_wait(registration)
            db.session.flush()
            return registration
    if registration is not None and registration.is_active:
        if registration.status == WAITING:
            raise AlreadyRegistered(_("Vous êtes déjà sur la liste d'attente de cette rencontre."))
        raise AlreadyRegistered(_("Vous êtes déjà inscrit·e à cette rencontre."))
    if registration is None:
        registration = Registration(meetup=meetup, user=user, guests=guests)
        db.session.add(registration)
    else:  # coming back after cancelling
        registration.guests = guests
        registration.cancelled_at = None
        registration.user = user
    registration.meetup = meetup
    _seat_or_wait(registration)
    return registration


def cancel_registration(registration: Registration, actor=None) -> list[Registration]:
    """Free the seats; the waiting list moves up. Returns who was promoted."""
    if registration.status == WITHDRAWN:
        raise DomainError(_("Cette inscription est déjà annulée."))
    if registration.checked_in_at is not None:
        raise DomainError(_("Cette personne est déjà arrivée : annulez d'abord son pointage."))
    meetup = registration.meetup
    if meetup.ends_at <= utcnow():
        raise DomainError(_("La rencontre a eu lieu : l'inscription ne peut plus être annulée."))
    _lock(meetup)
    held_seats = registration.status == CONFIRMED
    registration.status = WITHDRAWN
    registration.cancelled_at = utcnow()
    registration.waitlisted_at = None
    db.session.flush()
    return promote_waiting(meetup) if held_seats else []


def change_guests(registration: Registration, guests: int) -> Registration:
    guests = _check_guests(guests)
    if not registration.is_active:
        raise DomainError(_("Cette inscription est annulée."))
    meetup = registration.meetup
    _lock(meetup)
    extra = guests - registration.guests
    if extra > 0 and registration.status == CONFIRMED and not _fits(meetup, extra):
        left = seats_left(meetup) or 0
        raise DomainError(ngettext_places(left), field="guests")
    registration.guests = guests
    db.session.flush()
    if extra < 0 and registration.status == CONFIRMED:
        promote_waiting(meetup)
    elif registration.status == WAITING:
        promote_waiting(meetup)
    return registration


def ngettext_places(left: int) -> str:
    from flask_babel import ngettext

    if left <= 0:
        return _("Il ne reste plus de place pour des invités : rien n'a changé.")
    return ngettext(
        "Il ne reste qu'%(num)d place : rien n'a changé.",
        "Il ne reste que %(num)d places : rien n'a changé.",
        left,
    )


def promote_waiting(meetup: Meetup) -> list[Registration]:
    """Give freed seats to the waiting list, first come first served; a party too large
    for the seats left waits and the next one that fits goes in. Each promoted person is
    told. Nothing moves once the meetup is over or cancelled."""
    if meetup.state != "published" or meetup.ends_at <= utcnow():
        return []
    _lock(meetup)
    waiting = db.session.scalars(
        select(Registration)
        .where(Registration.meetup_id == meetup.id, Registration.status == WAITING)
        .options(selectinload(Registration.user))
        .order_by(Registration.waitlisted_at, Registration.id)
    ).all()
    if not waiting:
        return []
    left = None if meetup.capacity is None else meetup.capacity - seats_taken(meetup)
    promoted = []
    for registration in waiting:
        if left is not None and registration.party_size > left:
            continue
        registration.status = CONFIRMED
        registration.confirmed_at = utcnow()
        registration.waitlisted_at = None
        if left is not None:
            left -= registration.party_size
        promoted.append(registration)
    db.session.flush()
    for registration in promoted:
        notices.tell(
            registration,
            notices.KIND_REGISTRATION,
            _("Une place s'est libérée : vous êtes inscrit·e à « %(title)s ».", title=meetup.title),
            subject=_("Une place pour vous : %(title)s", title=meetup.title),
        )
    return promoted


# --- visitors ----------------------------------------------------------------------------


def _new_nonce() -> str:
    return secrets.token_hex(16)


def register_visitor(
    meetup: Meetup, *, name: str, email: str, guests: int = 0, locale: str = "fr"
) -> Registration:
    """A visitor registers with a name and an address; nothing holds a seat until they open
    the link we e-mail. Answers the same whether or not the address was already
    registered: the e-mail tells its owner (nobody learns who registered)."""
    if not policies.can_register_as_visitor(meetup):
        raise RegistrationClosed(_("Les inscriptions à cette rencontre sont closes."))
    name = " ".join((name or "").split())
    if len(name) < 2 or len(name) > 120:
        raise DomainError(_("Indiquez votre nom (2 à 120 caractères)."), field="name")
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        raise DomainError(_("Cette adresse e-mail n'est pas valide."), field="email")
    guests = _check_guests(guests)
    registration = db.session.scalar(
        select(Registration).where(Registration.meetup_id == meetup.id, Registration.email == email)
    )
    if registration is None:
        member = db.session.scalar(select(User).where(User.email == email))
        if member is not None:
            existing = find_registration(meetup, member)
            if existing is not None and existing.is_active:
                _send_already(existing, email, locale)
                return existing
    if registration is not None and registration.status in (CONFIRMED, WAITING):
        _send_already(registration, email, locale)
        return registration
    if registration is None:
        registration = Registration(meetup=meetup, email=email)
        db.session.add(registration)
    registration.meetup = meetup
    registration.name = name
    registration.guests = guests
    registration.locale = locale
    registration.status = PENDING
    registration.cancelled_at = None
    registration.link_nonce = _new_nonce()
    db.session.flush()
    with notices.url_context():
        link = absolute_url(
            url_for("meetups.confirm_registration", token=notices.registration_token(registration))
        )
        queue_email(
            email,
            _("Confirmez votre inscription : %(title)s", title=meetup.title),
            "email/meetups_confirm_visitor.txt",
            kind=notices.KIND_REGISTRATION,
            locale=locale,
            visitor_name=name,
            meetup=meetup,
            link=link,
            meetup_link=notices.meetup_absolute_url(meetup),
        )
    return registration


def _send_already(registration: Registration, email: str, locale: str) -> None:
    with notices.url_context():
        manage = None
        if registration.is_visitor:
            manage = notices.manage_url(registration)
        queue_email(
            email,
            _("Vous êtes déjà inscrit·e : %(title)s", title=registration.meetup.title),
            "email/meetups_already_registered.txt",
            kind=notices.KIND_REGISTRATION,
            locale=locale,
            registration=registration,
            meetup=registration.meetup,
            manage_link=manage,
            meetup_link=notices.meetup_absolute_url(registration.meetup),
        )


@dataclass
class LinkResult:
    status: str  # "ok", "expired", "invalid"
    registration: Registration | None = None


def registration_from_token(token: str, max_age: int = notices.LINK_MAX_AGE) -> LinkResult:
    result = tokens.read_token(notices.TOKEN_PURPOSE, token, max_age=max_age)
    data = result.data
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int)):
        return LinkResult("invalid")
    registration = db.session.get(Registration, data[0])
    if registration is None or not registration.link_nonce or registration.link_nonce != data[1]:
        return LinkResult("invalid")
    if result.status != "ok":
        return LinkResult(result.status, registration)
    return LinkResult("ok", registration)


def confirm_visitor(registration: Registration) -> Registration:
    """The visitor opened the link: a seat if one is left, the waiting list otherwise.
    Opening it again changes nothing."""
    if registration.status != PENDING:
        return registration
    meetup = registration.meetup
    if not policies.is_open_for_registration(meetup):
        raise RegistrationClosed(_("Les inscriptions à cette rencontre sont closes."))
    _lock(meetup)
    _seat_or_wait(registration)
    if registration.status == CONFIRMED:
        text = _("Votre inscription à « %(title)s » est confirmée.", title=meetup.title)
    else:
        text = _(
            "La rencontre « %(title)s » est complète : vous êtes sur la liste d'attente. "
            "Nous vous écrirons dès qu'une place se libère.",
            title=meetup.title,
        )
    notices.tell(registration, notices.KIND_REGISTRATION, text)
    return registration


# --- telling registrants -----------------------------------------------------------------


def active_registrations(meetup: Meetup) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.meetup_id == meetup.id,
                Registration.status.in_(ACTIVE_REGISTRATION_STATES),
            )
            .options(selectinload(Registration.user).selectinload(User.email_consents))
            .order_by(Registration.id)
        )
    )


def tell_registrants(meetup: Meetup, what: str) -> int:
    """`what`: "changed" (time or place) or "cancelled". Returns how many were told."""
    from tremplin.platform.templating import local_datetime

    told = 0
    for registration in active_registrations(meetup):
        if registration.status == PENDING:
            continue  # never confirmed their address: nothing to tell
        if what == "cancelled":
            text = _(
                "La rencontre « %(title)s » du %(date)s est annulée.",
                title=meetup.title,
                date=local_datetime(meetup.starts_at),
            )
            if meetup.cancel_reason:
                text += " " + meetup.cancel_reason
            subject = _("Annulée : %(title)s", title=meetup.title)
        else:
            text = _(
                "La rencontre « %(title)s » a changé : elle aura lieu le %(date)s, %(place)s.",
                title=meetup.title,
                date=local_datetime(meetup.starts_at),
                place=place_text(meetup),
            )
            subject = _("Changement : %(title)s", title=meetup.title)
        notices.tell(registration, notices.KIND_REGISTRATION, text, subject=subject)
        told += 1
    return told


def place_text(meetup: Meetup) -> str:
    parts = [p for p in (meetup.venue_name, meetup.address) if p]
    if parts:
        return ", ".join(parts)
    return _("en ligne")
