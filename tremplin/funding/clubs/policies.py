"""Who may see or do what in an investor club. HTTP routes, the socket (through the club's
conversation participants), search (the public card) and templates ask these functions.

A club is private: its pages, money, votes and minutes are for its active members only —
not even the site's organisers see them. Only the public card, when the club opts in, is
shown to others. `user` may be anonymous or None.
"""

from __future__ import annotations

from sqlalchemy import select

from tremplin.funding.clubs.models import (
    ACTIVE,
    CLOSED,
    CO_GERANT,
    FORMING,
    GERANT,
    INVITED,
    MANAGING,
    MEMBER_ACTIVE,
    REQUESTED,
    SECRETAIRE,
    TRESORIER,
    VOTE_OPEN,
    ClubApplication,
    ClubDocument,
    ClubMembership,
    ClubVote,
    InvestorClub,
)
from tremplin.platform.extensions import db
from tremplin.platform.policies import is_member as is_site_member
from tremplin.platform.policies import member_id


def membership(user, club: InvestorClub) -> ClubMembership | None:
    """The member's row in this club, whatever its state (no query when the club's
    memberships are already loaded)."""
    uid = member_id(user)
    if uid is None or club is None:
        return None
    if "memberships" in club.__dict__:
        return next((m for m in club.memberships if m.user_id == uid), None)
    return db.session.scalar(
        select(ClubMembership).where(
            ClubMembership.club_id == club.id, ClubMembership.user_id == uid
        )
    )


def active_membership(user, club: InvestorClub) -> ClubMembership | None:
    found = membership(user, club)
    return found if found is not None and found.state == MEMBER_ACTIVE else None


def is_club_member(user, club: InvestorClub) -> bool:
    return active_membership(user, club) is not None


def has_role(user, club: InvestorClub, *roles: str) -> bool:
    found = active_membership(user, club)
    return found is not None and found.role in roles


def is_gerant(user, club: InvestorClub) -> bool:
    return has_role(user, club, GERANT, CO_GERANT)


def treasurer_designated(club: InvestorClub) -> bool:
    if "memberships" in club.__dict__:
        return any(m.role == TRESORIER and m.state == MEMBER_ACTIVE for m in club.memberships)
    return (
        db.session.scalar(
            select(ClubMembership.id)
            .where(
                ClubMembership.club_id == club.id,
                ClubMembership.role == TRESORIER,
                ClubMembership.state == MEMBER_ACTIVE,
            )
            .limit(1)
        )
        is not None
    )


# --- seeing ---------------------------------------------------------------------------


def can_view_club(user, club: InvestorClub) -> bool:
    """The club's own pages: its members only."""
    return is_club_member(user, club)


def can_view_club_card(user, club: InvestorClub) -> bool:
    """The public card (name, territory, presentation, figures the club shows): anyone,
    visitors included, once the club chose to show it; always its members."""
    if club is None:
        return False
    return bool(club.is_public) or is_club_member(user, club)


def can_view_application(user, application: ClubApplication) -> bool:
    """The club's members, and the team of the project that applied (their own file and
    its outcome, never the club's discussion or ballots)."""
    if is_club_member(user, application.club):
        return True
    return is_applicant(user, application)


def is_applicant(user, application: ClubApplication) -> bool:
    from tremplin.members import is_project_team_member

    return member_id(user) is not None and is_project_team_member(user, application.project)


def can_download_document(
    user, document: ClubDocument, club: InvestorClub, application: ClubApplication | None = None
) -> bool:
    if is_club_member(user, club):
        return True
    return (
        application is not None
        and document.application_id == application.id
        and is_applicant(user, application)
    )


# --- joining --------------------------------------------------------------------------


def can_found_club(user) -> bool:
    return is_site_member(user)


def can_request_to_join(user, club: InvestorClub) -> bool:
    """A member of the network who sees the public card, while the club still recruits."""
    if member_id(user) is None or club.state not in (FORMING, ACTIVE) or not club.is_public:
        return False
    return membership(user, club) is None or membership(user, club).state not in (
        MEMBER_ACTIVE,
        REQUESTED,
        INVITED,
    )


def can_answer_invitation(user, club: InvestorClub) -> bool:
    found = membership(user, club)
    return found is not None and found.state == INVITED


def can_manage_members(user, club: InvestorClub) -> bool:
    """Invite, approve or refuse requests: the gérant (and the co-gérant)."""
    return is_gerant(user, club) and club.state in (FORMING, ACTIVE)


def can_leave(user, club: InvestorClub) -> bool:
    found = active_membership(user, club)
    return found is not None and found.role != GERANT and club.state != CLOSED


# --- running the club -------------------------------------------------------------------


def can_edit_rules(user, club: InvestorClub) -> bool:
    """The règlement intérieur is set while the club forms; afterwards it changes only by
    a vote of the members (a decision), then the gérant writes it down."""
    return is_gerant(user, club) and club.state in (FORMING, ACTIVE)


def can_change_lifecycle(user, club: InvestorClub) -> bool:
    return has_role(user, club, GERANT) and club.state != CLOSED


def has_gerance(club: InvestorClub) -> bool:
    """Someone holds the gérance (gérant·e or co-gérant·e)."""
    if "memberships" in club.__dict__:
        return any(
            m.role in (GERANT, CO_GERANT) and m.state == MEMBER_ACTIVE for m in club.memberships
        )
    return (
        db.session.scalar(
            select(ClubMembership.id)
            .where(
                ClubMembership.club_id == club.id,
                ClubMembership.role.in_((GERANT, CO_GERANT)),
                ClubMembership.state == MEMBER_ACTIVE,
            )
            .limit(1)
        )
        is not None
    )


def can_open_vote(user, club: InvestorClub) -> bool:
    """The gérance opens votes; if nobody holds it any more (the gérant·e left the
    network), any member may, so that the club can elect a new one."""
    if club.state not in (FORMING, ACTIVE, MANAGING):
        return False
    return is_gerant(user, club) or (is_club_member(user, club) and not has_gerance(club))


def can_vote(user, vote: ClubVote) -> bool:
    """An elector of an open vote who has not voted yet (the service checks again, under
    a lock, and says why not)."""
    uid = member_id(user)
    if uid is None or vote.state != VOTE_OPEN:
        return False
    return any(e.user_id == uid and not e.has_voted for e in vote.electors) and is_club_member(
        user, vote.club
    )


def can_keep_accounts(user, club: InvestorClub) -> bool:
    """Record savings payments, fees and what comes back from projects: the trésorier,
    or the gérant while no trésorier is designated."""
    if club.state == CLOSED:
        return False
    if has_role(user, club, TRESORIER):
        return True
    return has_role(user, club, GERANT, CO_GERANT) and not treasurer_designated(club)


def can_record_investment(user, club: InvestorClub) -> bool:
    return club.state == ACTIVE and has_role(user, club, GERANT, CO_GERANT, TRESORIER)


def can_follow_portfolio(user, club: InvestorClub) -> bool:
    return is_club_member(user, club)


def can_apply(user, club: InvestorClub) -> bool:
    """A project's team applies to an active club whose card it can see."""
    return member_id(user) is not None and club.state == ACTIVE and can_view_club_card(user, club)


def can_withdraw_application(user, application: ClubApplication) -> bool:
    from tremplin.funding.clubs.models import SUBMITTED

    return application.state == SUBMITTED and is_applicant(user, application)


def can_edit_bank_details(user, club: InvestorClub) -> bool:
    """The club's RIB and Stripe account: the gérance and the trésorier."""
    return club.state != CLOSED and has_role(user, club, GERANT, CO_GERANT, TRESORIER)


def can_confirm_bank_change(user, club: InvestorClub) -> bool:
    """The second person who confirms a new IBAN: another officer of the club or an
    organiser (the service refuses the one who asked)."""
    if getattr(user, "is_authenticated", False) and getattr(user, "is_organiser", False):
        return True
    return has_role(user, club, GERANT, CO_GERANT, TRESORIER, SECRETAIRE)
