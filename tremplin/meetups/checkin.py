"""At the door: checking people in with one click, walk-ins added on the spot, and the
attendance the impact dashboard counts as *participations* (guests included).
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime
from typing import TypedDict, Unpack

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from tremplin.meetups import notices, policies
from tremplin.meetups.models import (
    CONFIRMED,
    MAX_GUESTS,
    WITHDRAWN,
    Meetup,
    Registration,
    TableSeat,
)
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.figures import in_period
from tremplin.platform.models import User
from tremplin.platform.notifications import absolute_url, queue_email
from tremplin.platform.templating import local_datetime
from tremplin.platform.types import utcnow


class NotRegistered(DomainError):
    """Someone at the door without a registration: the page offers to add them as a
    walk-in."""


def fold(text: str | None) -> str:
    """Lower case without accents: "Hélène" and "helene" match at the door."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def door_list(meetup: Meetup) -> list[Registration]:
    """Everyone expected or arrived (not the cancelled), arrived last, by name."""
    rows = db.session.scalars(
        select(Registration)
        .where(Registration.meetup_id == meetup.id, Registration.status != WITHDRAWN)
        .options(selectinload(Registration.user))
    ).all()
    return sorted(rows, key=lambda r: (r.checked_in_at is not None, fold(r.display_name), r.id))


def search(registrations: list[Registration], query: str | None) -> list[Registration]:
    words = fold(query).split()
    if not words:
        return registrations
    return [
        r
        for r in registrations
        if all(word in fold(f"{r.display_name} {r.email or ''}") for word in words)
    ]


def _guard(actor, meetup: Meetup) -> None:
    if not policies.can_manage_meetup(actor, meetup):
        raise NotAllowed()
    if not policies.can_check_in(actor, meetup):
        if meetup.state != "published":
            raise DomainError(_("Cette rencontre n'est pas publiée : l'accueil est fermé."))
        raise DomainError(_("L'accueil ouvre le jour de la rencontre."))


def check_in(actor: User, registration: Registration, guests: int | None = None) -> Registration:
    """One click at the door. Someone on the waiting list, or a visitor who never opened
    the link, is in the room all the same: they become confirmed."""
    meetup = registration.meetup
    _guard(actor, meetup)
    if registration.status == WITHDRAWN:
        raise NotRegistered(
            _(
                "%(name)s avait annulé son inscription : ajoutez la personne "
                "comme arrivée sur place.",
                name=registration.display_name,
            )
        )
    if registration.checked_in_at is not None:
        raise DomainError(
            _(
                "%(name)s est déjà pointé·e (arrivée le %(when)s).",
                name=registration.display_name,
                when=local_datetime(registration.checked_in_at),
            )
        )
    guests = registration.guests if guests is None else int(guests)
    if guests < 0 or guests > MAX_GUESTS:
        raise DomainError(_("De 0 à %(max)d accompagnants.", max=MAX_GUESTS), field="guests")
    registration.guests = max(registration.guests, guests)
    registration.guests_checked_in = guests
    if registration.status != CONFIRMED:
        registration.status = CONFIRMED
        registration.confirmed_at = utcnow()
        registration.waitlisted_at = None
    registration.checked_in_at = utcnow()
    registration.checked_in_by_id = actor.id
    db.session.flush()
    _announce(registration)
    return registration


def _announce(registration: Registration) -> None:
    """Tell the other organisers' phones at the door, once committed."""
    from tremplin.meetups.events import door_room
    from tremplin.meetups.registrations import counts_for
    from tremplin.platform.realtime import emit_after_commit

    meetup_id = registration.meetup_id
    registration_id = registration.id

    def payload():
        counts = counts_for([meetup_id])[meetup_id]
        row = db.session.get(Registration, registration_id)
        return {
            "id": registration_id,
            "checked_in": bool(row and row.checked_in_at),
            "name": str(row.display_name) if row else "",
            "present": counts.checked_in,
            "expected": counts.confirmed,
        }

    emit_after_commit(db.session, "meetups:checkin", payload, room=door_room(meetup_id))


def undo_check_in(actor: User, registration: Registration) -> Registration:
    """A mistaken click: the person leaves their table too."""
    if not policies.can_manage_meetup(actor, registration.meetup):
        raise NotAllowed()
    if registration.checked_in_at is None:
        raise DomainError(_("%(name)s n'est pas pointé·e.", name=registration.display_name))
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    registration.guests_checked_in = 0
    for seat in db.session.scalars(
        select(TableSeat).where(TableSeat.registration_id == registration.id)
    ):
        db.session.delete(seat)
    db.session.flush()
    _announce(registration)
    return registration


def add_walk_in(
    actor: User, meetup: Meetup, *, name: str, email: str | None = None, guests: int = 0
) -> tuple[Registration, bool]:
    """Someone came without registering ("sans rendez-vous"): registered and checked in at
    once. An address already registered checks that registration in instead (no
    duplicate); one of a member links the walk-in to their account. Returns
    (registration, True when an existing registration was used)."""
    _guard(actor, meetup)
    name = " ".join((name or "").split())
    email = (email or "").strip().lower() or None
    if email is not None and ("@" not in email or len(email) > 254):
        raise DomainError(_("Cette adresse e-mail n'est pas valide."), field="email")
    if guests is None or guests < 0 or guests > MAX_GUESTS:
        raise DomainError(_("De 0 à %(max)d accompagnants.", max=MAX_GUESTS), field="guests")
    member = None
    if email:
        member = db.session.scalar(
            select(User).where(User.email == email, User.deleted_at.is_(None))
        )
        clauses = [Registration.email == email]
        if member is not None:
            clauses.append(Registration.user_id == member.id)
        existing = db.session.scalar(
            select(Registration).where(Registration.meetup_id == meetup.id, or_(*clauses))
        )
        if existing is not None:
            if existing.checked_in_at is not None:
                raise DomainError(_("%(name)s est déjà pointé·e.", name=existing.display_name))
            if existing.status == WITHDRAWN:
                existing.status = CONFIRMED
                existing.cancelled_at = None
            existing.guests = max(existing.guests, guests)
            return check_in(actor, existing, guests), True
    if member is None and len(name) < 2:
        raise DomainError(_("Indiquez le nom de la personne."), field="name")
    registration = Registration(
        meetup=meetup,
        user=member,
        name=None if member else name[:120],
        email=None if member else email,
        guests=guests,
        status=CONFIRMED,
        confirmed_at=utcnow(),
        is_walk_in=True,
        link_nonce=secrets.token_hex(16),
        locale=notices.current_locale(),
    )
    db.session.add(registration)
    db.session.flush()
    check_in(actor, registration, guests)
    if member is None and email:
        _welcome_walk_in(registration)
    return registration, False


def _welcome_walk_in(registration: Registration) -> None:
    """A walk-in who left an address gets their personal link (to commit support later)."""
    meetup = registration.meetup
    with notices.url_context():
        queue_email(
            registration.email,
            _("Merci d'être venu·e : %(title)s", title=meetup.title),
            "email/meetups_walk_in.txt",
            kind=notices.KIND_REGISTRATION,
            locale=registration.locale,
            visitor_name=registration.name,
            meetup=meetup,
            manage_link=notices.manage_url(registration),
            meetup_link=absolute_url(url_for("meetups.meetup", meetup_id=meetup.id)),
        )


# --- attendance (impact) -----------------------------------------------------------------


def attendance_of(meetup: Meetup) -> int:
    from tremplin.meetups.registrations import counts_for

    return counts_for([meetup.id])[meetup.id].checked_in


class MeetupScope(TypedDict, total=False):
    """Which meetups an attendance figure counts, besides its period (absent or None: all)."""

    group_id: int | None
    departement: str | None
    theme: str | None


def participations(
    start: datetime | None = None, end: datetime | None = None, **scope: Unpack[MeetupScope]
) -> int:
    """People checked in (guests included) at meetups held in [start, end) — what the
    impact dashboard calls *participations*. A person coming to three meetups counts
    three times, as in the club's own reports ("488 participations")."""
    from sqlalchemy import func

    stmt = (
        select(func.coalesce(func.sum(1 + Registration.guests_checked_in), 0))
        .join(Meetup, Meetup.id == Registration.meetup_id)
        .where(Registration.checked_in_at.is_not(None), Meetup.state == "published")
    )
    return scoped_count(stmt, start, end, **scope)


def scoped_count(stmt, start=None, end=None, **scope: Unpack[MeetupScope]) -> int:
    """The count `stmt` selects, over meetups starting in [start, end) and in `scope`."""
    return int(db.session.scalar(meetup_filters(stmt, start, end, **scope)) or 0)


def meetup_filters(stmt, start, end, group_id=None, departement=None, theme=None):
    stmt = in_period(stmt, Meetup.starts_at, start, end)
    if group_id is not None:
        stmt = stmt.where(Meetup.group_id == group_id)
    if departement is not None:
        stmt = stmt.where(Meetup.departement == departement)
    if theme is not None:
        stmt = stmt.where(Meetup.theme == theme)
    return stmt
