"""How long Tremplin keeps what visitors (people without an account) gave when they
registered: their name and e-mail address serve the meetup and the follow-up of the
support they proposed; `MEETUPS_VISITOR_RETENTION_DAYS` after the meetup (a year by
default) they are forgotten.

Forgetting keeps the figures true: the address is replaced by a pseudonym (a keyed hash of
it, `anon:…`, no longer an address), so a visitor who came three times still counts as one
person in the impact dashboard, while nobody can read or write to the address again. Their
personal link stops working. Registrations of members are not touched (their account
holds their data, and deleting it erases them)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from tremplin.meetups.models import Meetup, Registration
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow

PSEUDONYM_PREFIX = "anon:"
# What stays in place of a forgotten name (data, in the network's language, like the names).
ANONYMOUS_NAME = "Visiteur·se"


def pseudonym(email: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:32]


def is_forgotten(registration: Registration) -> bool:
    return bool(registration.email and registration.email.startswith(PSEUDONYM_PREFIX))


def forget_visitors(now: datetime | None = None) -> int:
    """Forget the visitors of meetups that ended more than the retention period ago.
    Returns how many registrations were forgotten; safe to run any number of times."""
    now = now or utcnow()
    days = int(current_app.config.get("MEETUPS_VISITOR_RETENTION_DAYS", 365))
    cutoff = now - timedelta(days=days)
    rows = db.session.scalars(
        select(Registration)
        .join(Meetup, Meetup.id == Registration.meetup_id)
        .where(
            Registration.user_id.is_(None),
            Meetup.ends_at < cutoff,
            (Registration.name.is_not(None) & (Registration.name != ANONYMOUS_NAME))
            | (Registration.email.is_not(None) & ~Registration.email.startswith(PSEUDONYM_PREFIX)),
        )
    ).all()
    for registration in rows:
        if registration.email and not is_forgotten(registration):
            registration.email = pseudonym(registration.email)
        registration.name = ANONYMOUS_NAME
        registration.link_nonce = None
    db.session.flush()
    return len(rows)
