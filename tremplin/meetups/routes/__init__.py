"""The meetups module's pages, by concept. Every view reads as the lifecycle:
load (404) → policy (403) → service → render/redirect."""

from __future__ import annotations

from flask import abort, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tremplin.meetups import policies
from tremplin.meetups.meetups import load_meetup
from tremplin.meetups.models import Meetup
from tremplin.platform.extensions import db


def meetup_or_404(meetup_id: int, *, full: bool = False) -> Meetup:
    if full:
        meetup = load_meetup(meetup_id)
    else:
        meetup = db.session.scalar(
            select(Meetup)
            .where(Meetup.id == meetup_id)
            .options(selectinload(Meetup.group), selectinload(Meetup.presented))
        )
    if meetup is None:
        abort(404)
    return meetup


def viewable_meetup(meetup_id: int, user, *, full: bool = False) -> Meetup:
    meetup = meetup_or_404(meetup_id, full=full)
    if not policies.can_view_meetup(user, meetup):
        abort(404 if meetup.state == "draft" else 403)
    return meetup


def managed_meetup(meetup_id: int, user, *, full: bool = False) -> Meetup:
    meetup = meetup_or_404(meetup_id, full=full)
    if not policies.can_manage_meetup(user, meetup):
        abort(403)
    return meetup


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


from tremplin.meetups.routes import (  # noqa: E402,F401  (they attach to bp)
    checkin,
    commitments,
    followup,
    meetups,
    opportunities,
    registrations,
    tables,
)
