"""The member's rights over club data: download it, and what deleting the account does.

A deleted member leaves their clubs (offices vacated, savings plans stopped, out of the
private conversation); pending invitations and requests go. What the club must keep stays:
their payments and share in the fund (accounting records, paid back at the distribution),
their open-ballot votes in the minutes, which are never rewritten.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tremplin.funding.clubs.models import (
    INVITED,
    LEFT,
    MEMBER,
    MEMBER_ACTIVE,
    REQUESTED,
    ClubApplication,
    ClubBallot,
    ClubMembership,
    SavingsPayment,
    SavingsPlan,
)
from tremplin.platform.accounts import rows_of
from tremplin.platform.extensions import db
from tremplin.platform.hooks import data_exporter, on_account_deleted
from tremplin.platform.types import stamp, utcnow


@on_account_deleted
def forget_member(user) -> None:
    from tremplin.funding.clubs.clubs import _conversation_leave
    from tremplin.funding.clubs.dates import paris_today
    from tremplin.funding.clubs.savings import first_month_not_due, stop_plan

    memberships = rows_of(ClubMembership.user_id, user.id, load=[joinedload(ClubMembership.club)])
    for found in memberships:
        if found.state in (INVITED, REQUESTED):
            found.state, found.message = LEFT, None
        elif found.state == MEMBER_ACTIVE:
            found.state, found.role, found.role_since, found.term_ends_on = LEFT, MEMBER, None, None
            found.left_at, found.message = utcnow(), None
            for plan in db.session.scalars(
                select(SavingsPlan).where(
                    SavingsPlan.membership_id == found.id, SavingsPlan.ends_on.is_(None)
                )
            ):
                stop_plan(plan, first_month_not_due(found.club, paris_today()))
            db.session.flush()
            _conversation_leave(found.club, user)
    db.session.flush()


@data_exporter
def export_member(user) -> dict:
    memberships = rows_of(
        ClubMembership.user_id,
        user.id,
        order_by=ClubMembership.id,
        load=[joinedload(ClubMembership.club)],
    )
    ids = [m.id for m in memberships] or [0]
    plans = rows_of(SavingsPlan.membership_id, ids, order_by=SavingsPlan.starts_on)
    payments = rows_of(SavingsPayment.membership_id, ids, order_by=SavingsPayment.for_month)
    ballots = rows_of(ClubBallot.voter_id, user.id, order_by=ClubBallot.id)
    submitted = rows_of(ClubApplication.submitted_by_id, user.id, order_by=ClubApplication.id)

    return {
        "investor_clubs": {
            "memberships": [
                {
                    "club": m.club.name,
                    "state": m.state,
                    "role": m.role,
                    "joined_at": stamp(m.joined_at),
                    "left_at": stamp(m.left_at),
                    "term_ends_on": stamp(m.term_ends_on),
                    "savings_plans": [
                        {
                            "monthly_cents": p.monthly_cents,
                            "starts_on": stamp(p.starts_on),
                            "ends_on": stamp(p.ends_on),
                            "method": p.method,
                        }
                        for p in plans
                        if p.membership_id == m.id
                    ],
                    "payments": [
                        {
                            "for_month": stamp(p.for_month),
                            "amount_cents": p.amount_cents,
                            "received_on": stamp(p.received_on),
                            "method": p.method,
                            "cancelled_at": stamp(p.cancelled_at),
                        }
                        for p in payments
                        if p.membership_id == m.id
                    ],
                }
                for m in memberships
            ],
            # open-ballot votes only: a secret ballot is not linked to its voter, even here
            "open_ballots": [
                {"vote_id": b.vote_id, "choice": b.choice, "cast_at": stamp(b.cast_at)}
                for b in ballots
            ],
            "applications_submitted": [
                {
                    "club_id": a.club_id,
                    "project_id": a.project_id,
                    "amount_cents": a.amount_cents,
                    "state": a.state,
                    "created_at": stamp(a.created_at),
                }
                for a in submitted
            ],
        }
    }
