"""A club's write lock: every service that changes a club's money, votes or members
takes it first (a leaf, so savings and the club services never import each other)."""

from __future__ import annotations

from sqlalchemy import update

from tremplin.funding.clubs.models import (
    InvestorClub,
)
from tremplin.platform.extensions import db


def lock(club: InvestorClub) -> InvestorClub:
    """Take the club's write lock for the rest of the transaction and reload it: whoever
    comes second waits, then sees what the first one did."""
    db.session.flush()
    db.session.execute(
        update(InvestorClub)
        .where(InvestorClub.id == club.id)
        .values(lock_version=InvestorClub.lock_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(club)
    return club
