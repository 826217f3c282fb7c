"""iCalendar (RFC 5545) files: one meetup, and a member's secret calendar feed.

Times are written in UTC (unambiguous for every calendar application). A change bumps
the meetup's SEQUENCE, and a cancelled meetup is sent with STATUS:CANCELLED, so
calendars that already hold it update it instead of keeping a stale copy.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, url_for
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tremplin.meetups.models import (
    CONFIRMED,
    WAITING,
    CalendarFeed,
    Meetup,
    Registration,
)
from tremplin.meetups.registrations import place_text
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import absolute_url
from tremplin.platform.types import utcnow

PRODID = "-//Tremplin//Rencontres//FR"
FEED_PAST_DAYS = 90


def _domain() -> str:
    base = current_app.config["TREMPLIN_BASE_URL"]
    return base.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "tremplin.local"


def _calendar(name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Paris")
    return cal


def _event(meetup: Meetup, *, waiting: bool = False) -> Event:
    event = Event()
    event.add("uid", f"meetup-{meetup.id}@{_domain()}")
    event.add("dtstamp", meetup.updated_at or utcnow())
    event.add("dtstart", meetup.starts_at)
    event.add("dtend", meetup.ends_at)
    summary = meetup.title
    if waiting:
        summary = f"[liste d'attente] {summary}"
    event.add("summary", summary)
    url = absolute_url(url_for("meetups.meetup", meetup_id=meetup.id))
    event.add("url", url)
    description = (meetup.description or "").strip()
    if meetup.online_url:
        description = f"{description}\n\n{meetup.online_url}".strip()
    event.add("description", f"{description}\n\n{url}".strip())
    if meetup.venue_name or meetup.address:
        event.add("location", place_text(meetup))
    elif meetup.online_url:
        event.add("location", meetup.online_url)
    event.add("sequence", meetup.sequence)
    event.add("status", "CANCELLED" if meetup.state == "cancelled" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def meetup_ics(meetup: Meetup) -> bytes:
    cal = _calendar()
    cal.add_component(_event(meetup))
    return cal.to_ical()


def feed_ics(user) -> bytes:
    """The member's meetups (registered or waiting) from three months ago onwards."""
    since = utcnow() - timedelta(days=FEED_PAST_DAYS)
    rows = db.session.execute(
        select(Meetup, Registration.status)
        .join(Registration, Registration.meetup_id == Meetup.id)
        .where(
            Registration.user_id == user.id,
            Registration.status.in_((CONFIRMED, WAITING)),
            Meetup.state.in_(("published", "cancelled")),
            Meetup.ends_at >= since,
        )
        .options(selectinload(Meetup.group))
        .order_by(Meetup.starts_at)
    ).all()
    cal = _calendar(f"Tremplin — {user.display_name}")
    for meetup, status in rows:
        cal.add_component(_event(meetup, waiting=status == WAITING))
    return cal.to_ical()


# --- the secret feed URL -----------------------------------------------------------------


def feed_for(user, *, create: bool = True) -> CalendarFeed | None:
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None and create:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(32))
        db.session.add(feed)
        db.session.flush()
    return feed


def rotate_feed(user) -> CalendarFeed:
    """A new secret address: the old one stops working (it was shared by mistake)."""
    feed = feed_for(user)
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = utcnow()
    db.session.flush()
    return feed


def user_for_feed(token: str):
    """The member a feed token belongs to (None for an unknown token or a closed account)."""
    if not token or len(token) > 64:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    if feed is None:
        return None
    user = db.session.get(User, feed.user_id)
    if user is None or not user.is_active:
        return None
    return user
