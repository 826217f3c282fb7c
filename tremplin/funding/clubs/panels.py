"""Clubs on the member's home ("Mon club") and in the navigation badge."""

from __future__ import annotations

from sqlalchemy import func, select

from tremplin.funding.clubs import fund
from tremplin.funding.clubs.models import (
    INVITED,
    MEMBER_ACTIVE,
    VOTE_OPEN,
    ClubElector,
    ClubMembership,
    ClubVote,
    InvestorClub,
    SavingsPlan,
)
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow


def waiting_on_me(user) -> int:
    """Open votes where this member has not voted, and invitations to answer (one
    statement)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    ballots = (
        select(func.count(ClubElector.id))
        .join(ClubVote, ClubVote.id == ClubElector.vote_id)
        .join(
            ClubMembership,
            (ClubMembership.club_id == ClubVote.club_id)
            & (ClubMembership.user_id == ClubElector.user_id),
        )
        .where(
            ClubElector.user_id == user.id,
            ClubElector.has_voted.is_(False),
            ClubVote.state == VOTE_OPEN,
            ClubVote.closes_at > utcnow(),
            ClubMembership.state == MEMBER_ACTIVE,
        )
        .scalar_subquery()
    )
    invitations = (
        select(func.count(ClubMembership.id))
        .where(ClubMembership.user_id == user.id, ClubMembership.state == INVITED)
        .scalar_subquery()
    )
    return int(db.session.scalar(select(ballots + invitations)) or 0)


def dashboard(user) -> dict | None:
    """My clubs with their fund, my monthly saving and my share; open votes waiting for
    me; invitations. Nothing for members who have no club and no invitation (six
    statements)."""
    rows = db.session.execute(
        select(ClubMembership, InvestorClub)
        .join(InvestorClub, InvestorClub.id == ClubMembership.club_id)
        .where(
            ClubMembership.user_id == user.id, ClubMembership.state.in_((MEMBER_ACTIVE, INVITED))
        )
        .order_by(InvestorClub.name)
    ).all()
    if not rows:
        return None
    mine = [(m, c) for m, c in rows if m.state == MEMBER_ACTIVE]
    invitations = [c for m, c in rows if m.state == INVITED]
    club_ids = [c.id for _m, c in mine]
    balances = fund.balances(club_ids) if club_ids else {}
    plans = {
        p.membership_id: p
        for p in db.session.scalars(
            select(SavingsPlan).where(
                SavingsPlan.membership_id.in_([m.id for m, _c in mine] or [0]),
                SavingsPlan.ends_on.is_(None),
            )
        )
    }
    totals, own = _contributions(club_ids, user.id)
    waiting = dict(
        db.session.execute(
            select(ClubVote.club_id, func.count(ClubElector.id))
            .join(ClubElector, ClubElector.vote_id == ClubVote.id)
            .where(
                ClubVote.club_id.in_(club_ids or [0]),
                ClubVote.state == VOTE_OPEN,
                ClubVote.closes_at > utcnow(),
                ClubElector.user_id == user.id,
                ClubElector.has_voted.is_(False),
            )
            .group_by(ClubVote.club_id)
        ).all()
    )
    clubs = []
    for membership, club in mine:
        paid, total = own.get(club.id, 0), totals.get(club.id, 0)
        clubs.append(
            {
                "club": club,
                "membership": membership,
                "balance": balances.get(club.id, 0),
                "plan": plans.get(membership.id),
                "paid": paid,
                "percent": (paid * 100 / total) if total else 0,
                "waiting": int(waiting.get(club.id, 0)),
            }
        )
    return {"clubs": clubs, "invitations": invitations}


def _contributions(club_ids, user_id) -> tuple[dict[int, int], dict[int, int]]:
    """({club: all savings paid}, {club: this member's}) in one statement."""
    if not club_ids:
        return {}, {}
    from tremplin.funding.models import LedgerAccount, LedgerEntry, LedgerTransaction

    rows = db.session.execute(
        select(LedgerAccount.ref, func.sum(LedgerEntry.amount_cents))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .join(LedgerTransaction, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(
            LedgerAccount.kind == fund.SAVER,
            LedgerTransaction.scope.in_([fund.scope(i) for i in club_ids]),
            LedgerTransaction.kind.in_(fund.SAVING_KINDS),
        )
        .group_by(LedgerAccount.ref)
    ).all()
    totals: dict[int, int] = {}
    own: dict[int, int] = {}
    for ref_, total in rows:
        club_id, member_id = (int(part) for part in ref_.split(":", 1))
        totals[club_id] = totals.get(club_id, 0) - int(total or 0)
        if member_id == user_id:
            own[club_id] = -int(total or 0)
    return totals, own


__all__ = ["waiting_on_me", "dashboard"]
