"""RGPD for the meetups module: what "download my data" includes, and what deleting an
account erases. Attendance and commitments stay (the network's history and a project's
follow-up), under "Membre supprimé"; choices and secrets that only concern the member go."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from tremplin.meetups.models import (
    CalendarFeed,
    DigestLog,
    DigestPreference,
    OpportunityApplication,
    Registration,
    SupportCommitment,
    TableProposal,
    ThemeSubscription,
)
from tremplin.platform.accounts import rows_of
from tremplin.platform.extensions import db
from tremplin.platform.types import stamp


def export(user) -> dict:
    registrations = rows_of(
        Registration.user_id,
        user.id,
        order_by=Registration.id,
        load=[selectinload(Registration.meetup)],
    )
    commitments = rows_of(
        SupportCommitment.supporter_id,
        user.id,
        order_by=SupportCommitment.id,
        load=[selectinload(SupportCommitment.project)],
    )
    proposals = rows_of(TableProposal.author_id, user.id, order_by=TableProposal.id)
    applications = rows_of(
        OpportunityApplication.user_id,
        user.id,
        load=[selectinload(OpportunityApplication.opportunity)],
    )
    themes = db.session.scalars(
        select(ThemeSubscription.theme).where(ThemeSubscription.user_id == user.id)
    ).all()
    return {
        "meetups": {
            "registrations": [
                {
                    "meetup": r.meetup.title,
                    "starts_at": stamp(r.meetup.starts_at),
                    "status": r.status,
                    "guests": r.guests,
                    "checked_in_at": stamp(r.checked_in_at),
                }
                for r in registrations
            ],
            "support_commitments": [
                {
                    "project": c.project.title,
                    "kind": c.kind,
                    "description": c.description,
                    "quantity": c.quantity,
                    "unit": c.unit,
                    "amount_cents": c.amount_cents,
                    "state": c.state,
                    "created_at": stamp(c.created_at),
                }
                for c in commitments
            ],
            "table_proposals": [
                {"body": p.body, "created_at": stamp(p.created_at)} for p in proposals
            ],
            "opportunity_applications": [
                {
                    "opportunity": a.opportunity.title,
                    "status": a.status,
                    "created_at": stamp(a.created_at),
                }
                for a in applications
            ],
            "theme_subscriptions": list(themes),
        }
    }


def erase(user) -> None:
    """Seats at coming meetups go back to the waiting list; the rest of the history stays."""
    from tremplin.meetups.models import ACTIVE_REGISTRATION_STATES, Meetup
    from tremplin.meetups.registrations import cancel_registration
    from tremplin.platform.types import utcnow

    coming = db.session.scalars(
        select(Registration)
        .join(Meetup, Meetup.id == Registration.meetup_id)
        .where(
            Registration.user_id == user.id,
            Meetup.ends_at > utcnow(),
            Registration.status.in_(ACTIVE_REGISTRATION_STATES),
            Registration.checked_in_at.is_(None),
        )
    ).all()
    for registration in coming:
        cancel_registration(registration)
    for model in (ThemeSubscription, DigestPreference, DigestLog, CalendarFeed):
        db.session.execute(delete(model).where(model.user_id == user.id))
    db.session.flush()
