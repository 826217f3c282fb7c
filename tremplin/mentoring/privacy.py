"""The member's rights over mentoring data: download it, and what deleting the account does.

A deleted member's offer and waiting requests go; their open pairings end. The sessions
stay, so the other side keeps the hours they gave or received (under "Membre supprimé").
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update

from tremplin.mentoring.models import (
    LOAD_STATES,
    P_COMPLETED,
    P_DECLINED,
    P_PROPOSED,
    WAITING_REQUEST_STATES,
    WITHDRAWN,
    MentoringRequest,
    MentoringSession,
    MentorOffer,
    Pairing,
)
from tremplin.platform.accounts import rows_of
from tremplin.platform.extensions import db
from tremplin.platform.hooks import data_exporter, on_account_deleted
from tremplin.platform.types import stamp, utcnow


@on_account_deleted
def forget_member(user) -> None:
    now = utcnow()
    db.session.execute(delete(MentorOffer).where(MentorOffer.user_id == user.id))
    db.session.execute(
        update(MentoringRequest)
        .where(
            MentoringRequest.porteur_id == user.id,
            MentoringRequest.state.in_(WAITING_REQUEST_STATES),
        )
        .values(state=WITHDRAWN, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    # Requests waiting on them go back to the pool.
    db.session.execute(
        update(MentoringRequest)
        .where(
            MentoringRequest.mentor_id == user.id,
            MentoringRequest.state.in_(WAITING_REQUEST_STATES),
        )
        .values(state="open", mentor_id=None, expires_at=None)
        .execution_options(synchronize_session=False)
    )
    mine = or_(Pairing.mentor_id == user.id, Pairing.porteur_id == user.id)
    db.session.execute(
        update(Pairing)
        .where(mine, Pairing.state == P_PROPOSED)
        .values(state=P_DECLINED, declined_at=now, ended_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Pairing)
        .where(mine, Pairing.state.in_(LOAD_STATES))
        .values(state=P_COMPLETED, completed_at=now, ended_by_id=user.id)
        .execution_options(synchronize_session=False)
    )


@data_exporter
def export_member(user) -> dict:
    """Their offer, their requests and their pairings with every session (the member was
    one of the pair, so the notes are theirs too)."""
    offer = db.session.scalar(select(MentorOffer).where(MentorOffer.user_id == user.id))
    requests = db.session.scalars(
        select(MentoringRequest)
        .where(or_(MentoringRequest.porteur_id == user.id, MentoringRequest.mentor_id == user.id))
        .order_by(MentoringRequest.id)
    ).all()
    pairings = db.session.scalars(
        select(Pairing)
        .where(or_(Pairing.mentor_id == user.id, Pairing.porteur_id == user.id))
        .order_by(Pairing.id)
    ).all()
    sessions = rows_of(
        MentoringSession.pairing_id,
        [p.id for p in pairings] or [0],
        order_by=MentoringSession.held_on,
    )

    return {
        "mentoring": {
            "offer": None
            if offer is None
            else {
                "skills": offer.skills,
                "sectors": offer.sectors,
                "languages": offer.languages,
                "departements": offer.departements,
                "format": offer.format,
                "hours_per_month": offer.hours_per_month,
                "max_mentees": offer.max_mentees,
                "is_available": offer.is_available,
                "presentation": offer.presentation,
            },
            "requests": [
                {
                    "id": r.id,
                    "role": "porteur" if r.porteur_id == user.id else "mentor",
                    "state": r.state,
                    "goals": r.goals if r.porteur_id == user.id else None,
                    "needs": r.needs,
                    "created_at": stamp(r.created_at),
                    "response_message": r.response_message,
                }
                for r in requests
            ],
            "pairings": [
                {
                    "id": p.id,
                    "role": p.side_of(user),
                    "state": p.state,
                    "started_on": stamp(p.started_on),
                    "completed_at": stamp(p.completed_at),
                    "sessions": [
                        {
                            "held_on": stamp(s.held_on),
                            "duration_minutes": s.duration_minutes,
                            "notes": s.notes,
                            "next_steps": s.next_steps,
                        }
                        for s in sessions
                        if s.pairing_id == p.id
                    ],
                }
                for p in pairings
            ],
        }
    }
