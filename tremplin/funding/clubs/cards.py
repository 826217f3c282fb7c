"""Public cards: what a club that chose to be seen shows everyone — its name, territory,
presentation, stage, how many members it has and what it has invested in all. Never who
its members are, what each saved, its votes or its minutes."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from tremplin.funding.clubs import labels
from tremplin.funding.clubs.models import (
    ACTIVE,
    CLOSED,
    FORMING,
    MANAGING,
    MAX_MEMBERS,
    MEMBER_ACTIVE,
    ClubInvestment,
    ClubMembership,
    InvestorClub,
)
from tremplin.platform.extensions import db

STATE_ORDER = {ACTIVE: 0, FORMING: 1, MANAGING: 2, CLOSED: 3}


def cards_for(clubs: list[InvestorClub]) -> dict[int, dict]:
    """{club id: card} for these clubs, in two statements."""
    ids = [c.id for c in clubs]
    if not ids:
        return {}
    members = dict(
        db.session.execute(
            select(ClubMembership.club_id, func.count(ClubMembership.id))
            .where(ClubMembership.club_id.in_(ids), ClubMembership.state == MEMBER_ACTIVE)
            .group_by(ClubMembership.club_id)
        ).all()
    )
    invested = {
        club_id: (int(count), int(total or 0))
        for club_id, count, total in db.session.execute(
            select(
                ClubInvestment.club_id,
                func.count(func.distinct(ClubInvestment.project_id)),
                func.sum(ClubInvestment.amount_cents),
            )
            .where(ClubInvestment.club_id.in_(ids))
            .group_by(ClubInvestment.club_id)
        ).all()
    }
    cards = {}
    for club in clubs:
        projects, cents = invested.get(club.id, (0, 0))
        count = int(members.get(club.id, 0))
        cards[club.id] = {
            "id": club.id,
            "name": club.name,
            "territory": club.territory,
            "departement": club.departement,
            "themes": (club.theme,) if club.theme else (),
            "description": club.description or "",
            "state": club.state,
            "state_label": str(labels.CLUB_STATES[club.state]),
            "members_count": count,
            "places_left": max(MAX_MEMBERS - count, 0),
            "is_recruiting": club.state in (FORMING, ACTIVE) and count < MAX_MEMBERS,
            "projects_backed": projects,
            "invested_cents": cents,
            "founded_on": club.founded_on,
            "created_at": club.created_at,
            "url": url_for("clubs.card", club_id=club.id),
        }
    return cards


def public_cards(*, departement: str | None = None, theme: str | None = None) -> list[dict]:
    stmt = select(InvestorClub).where(InvestorClub.is_public.is_(True))
    if departement:
        stmt = stmt.where(InvestorClub.departement == departement)
    if theme:
        stmt = stmt.where(InvestorClub.theme == theme)
    clubs = list(db.session.scalars(stmt.order_by(InvestorClub.name)))
    cards = cards_for(clubs)
    return sorted(
        (cards[c.id] for c in clubs),
        key=lambda card: (STATE_ORDER[card["state"]], card["name"].casefold()),
    )
