"""Mentoring on the member's home ("Mon binôme / mes binômes") and in the navigation badge."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from tremplin.mentoring.models import (
    LOAD_STATES,
    P_PROPOSED,
    PENDING,
    WAITING_REQUEST_STATES,
    MentoringRequest,
    MentorOffer,
    Pairing,
)
from tremplin.mentoring.pairings import figures
from tremplin.platform.extensions import db


def waiting_on_me(user) -> int:
    """Requests and proposed pairings that wait for this member's answer (one statement)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    requests = (
        select(func.count(MentoringRequest.id))
        .where(MentoringRequest.mentor_id == user.id, MentoringRequest.state == PENDING)
        .scalar_subquery()
    )
    proposals = (
        select(func.count(Pairing.id))
        .where(Pairing.mentor_id == user.id, Pairing.state == P_PROPOSED)
        .scalar_subquery()
    )
    return int(db.session.scalar(select(requests + proposals)) or 0)


def dashboard(user) -> dict:
    """Open pairings with their hours, what waits for an answer, and the member's own
    requests still waiting (four statements)."""
    pairings = list(
        db.session.scalars(
            select(Pairing)
            .where(
                or_(Pairing.mentor_id == user.id, Pairing.porteur_id == user.id),
                Pairing.state.in_(LOAD_STATES),
            )
            .options(joinedload(Pairing.mentor), joinedload(Pairing.porteur))
            .order_by(Pairing.started_on.desc(), Pairing.id.desc())
        )
    )
    numbers = figures(p.id for p in pairings)
    incoming = (
        db.session.scalar(
            select(func.count(MentoringRequest.id)).where(
                MentoringRequest.mentor_id == user.id, MentoringRequest.state == PENDING
            )
        )
        or 0
    )
    my_requests = list(
        db.session.scalars(
            select(MentoringRequest)
            .where(
                MentoringRequest.porteur_id == user.id,
                MentoringRequest.state.in_(WAITING_REQUEST_STATES),
            )
            .options(joinedload(MentoringRequest.mentor))
            .order_by(MentoringRequest.created_at.desc())
            .limit(3)
        )
    )
    has_offer = bool(
        db.session.scalar(select(func.count(MentorOffer.id)).where(MentorOffer.user_id == user.id))
    )
    return {
        "pairings": [(p, p.partner_of(user), numbers[p.id]) for p in pairings],
        "incoming": incoming,
        "my_requests": my_requests,
        "has_offer": has_offer,
    }


def porteurs_waiting() -> int:
    """Porteurs whose request still waits for a mentor (the organisers' menu badge)."""
    return int(
        db.session.scalar(
            select(func.count(func.distinct(MentoringRequest.porteur_id))).where(
                MentoringRequest.state.in_(WAITING_REQUEST_STATES)
            )
        )
        or 0
    )
