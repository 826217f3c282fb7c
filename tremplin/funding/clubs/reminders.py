"""What `flask clubs remind` sends: late savings (to the member, and a summary to the
treasurer), the end of the gérant's term, the end of the investing period, and votes about
to close for members who have not voted. Each reminder has a key stored under a unique
constraint before it is sent, so running the job twice (or twice at once) sends it once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app, url_for
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tremplin.funding.clubs import notices, savings
from tremplin.funding.clubs.clubs import member_users, office_holders
from tremplin.funding.clubs.dates import paris_today
from tremplin.funding.clubs.models import (
    ACTIVE,
    CO_GERANT,
    FORMING,
    GERANT,
    MEMBER_ACTIVE,
    TRESORIER,
    VOTE_OPEN,
    ClubElector,
    ClubMembership,
    ClubReminder,
    ClubVote,
    InvestorClub,
)
from tremplin.platform.extensions import db
from tremplin.platform.notifications import notify
from tremplin.platform.templating import euros
from tremplin.platform.types import utcnow


def once(club_id: int, key: str) -> bool:
    """Claim a reminder: True the first time its key is seen, False ever after."""
    try:
        with db.session.begin_nested():
            db.session.add(ClubReminder(club_id=club_id, key=key[:120]))
    except IntegrityError:
        return False
    return True


def remind(today: date | None = None, now: datetime | None = None) -> dict[str, int]:
    today = today or paris_today()
    now = now or utcnow()
    sent = {"late": 0, "treasurer": 0, "term": 0, "period": 0, "vote": 0}
    clubs = db.session.scalars(
        select(InvestorClub).where(InvestorClub.state.in_((FORMING, ACTIVE)))
    ).all()
    term_days = int(current_app.config.get("CLUBS_TERM_REMINDER_DAYS", 30))
    for club in clubs:
        members = {
            m.id: m
            for m in db.session.scalars(
                select(ClubMembership)
                .where(ClubMembership.club_id == club.id, ClubMembership.state == MEMBER_ACTIVE)
                .options(joinedload(ClubMembership.user))
            )
        }
        late = savings.late_months(club, today)
        for membership_id, line in late:
            member = members[membership_id]
            if once(club.id, f"late:{membership_id}:{line.month:%Y-%m}"):
                notify(
                    member.user,
                    notices.SAVINGS,
                    _l(
                        "Votre épargne de %(month)s pour le club « %(club)s » n’a pas "
                        "encore été reçue (%(amount)s attendus le %(due)s).",
                        month=format_date(line.month, "MMMM y"),
                        club=club.name,
                        amount=euros(line.missing_cents),
                        due=format_date(line.due_on, "d MMMM"),
                    ),
                    url_for("clubs.savings", club_id=club.id),
                )
                sent["late"] += 1
        if late and once(club.id, f"late-summary:{club.id}:{today.isoformat()}"):
            treasurers = office_holders(club, TRESORIER) or office_holders(club, GERANT, CO_GERANT)
            notices.tell_all(
                treasurers,
                notices.SAVINGS,
                _l(
                    "Club « %(club)s » : %(count)d mois d’épargne en retard chez "
                    "%(people)d membre(s).",
                    club=club.name,
                    count=len(late),
                    people=len({mid for mid, _line in late}),
                ),
                url_for("clubs.treasury", club_id=club.id),
            )
            sent["treasurer"] += 1
        for member in members.values():
            ends = member.term_ends_on
            if (
                member.role == GERANT
                and ends
                and ends - timedelta(days=term_days) <= today
                and once(club.id, f"term:{member.id}:{ends.isoformat()}")
            ):
                notices.tell_all(
                    member_users(club),
                    notices.MEMBERSHIP,
                    _l(
                        "Le mandat de gérant·e de %(name)s au club « %(club)s » se "
                        "termine le %(date)s : ouvrez un vote pour le renouveler ou "
                        "désigner quelqu’un d’autre.",
                        name=member.user.display_name,
                        club=club.name,
                        date=format_date(ends, "d MMMM y"),
                    ),
                    url_for("clubs.votes", club_id=club.id),
                )
                sent["term"] += 1
        ends = club.investing_ends_on
        if (
            club.state == ACTIVE
            and ends
            and ends - timedelta(days=90) <= today
            and once(club.id, f"period:{club.id}:{ends.isoformat()}")
        ):
            notices.tell_all(
                office_holders(club, GERANT, CO_GERANT),
                notices.MEMBERSHIP,
                _l(
                    "La période d’investissement du club « %(club)s » se termine le "
                    "%(date)s. Renouvelez-la (une fois) ou préparez le passage en "
                    "gestion.",
                    club=club.name,
                    date=format_date(ends, "d MMMM y"),
                ),
                url_for("clubs.lifecycle", club_id=club.id),
            )
            sent["period"] += 1
    soon = db.session.execute(
        select(ClubVote, ClubElector)
        .join(ClubElector, ClubElector.vote_id == ClubVote.id)
        .where(
            ClubVote.state == VOTE_OPEN,
            ClubVote.closes_at > now,
            ClubVote.closes_at <= now + timedelta(hours=24),
            ClubElector.has_voted.is_(False),
        )
        .options(joinedload(ClubElector.user), joinedload(ClubVote.club))
    ).all()
    for vote, elector in soon:
        if once(vote.club_id, f"vote:{vote.id}:{elector.user_id}"):
            notify(
                elector.user,
                notices.VOTES,
                _l(
                    "Dernier rappel : le vote « %(title)s » du club « %(club)s » se "
                    "clôt le %(date)s et vous n’avez pas encore voté.",
                    title=vote.title,
                    club=vote.club.name,
                    date=format_datetime(vote.closes_at, "d MMMM 'à' HH:mm"),
                ),
                url_for("clubs.vote", club_id=vote.club_id, vote_id=vote.id),
            )
            sent["vote"] += 1
    return sent


def tick(today: date | None = None) -> dict[str, int]:
    """Close votes whose window is over; put clubs whose investing period ended en
    gestion."""
    from tremplin.funding.clubs.lifecycle import enter_management, periods_due_for_management
    from tremplin.funding.clubs.votes import close_due_votes

    closed = close_due_votes()
    managing = 0
    for club in periods_due_for_management(today):
        enter_management(club, None, today)
        managing += 1
    return {"votes_closed": closed, "clubs_en_gestion": managing}
