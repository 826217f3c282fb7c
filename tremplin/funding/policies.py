"""Who may see or do what with campaigns and pledges. Pure functions of loaded objects:
routes and templates call these same functions. `user` may be anonymous or None.
Who is on a project's team is the members module's answer (`is_project_team_member`).
"""

from __future__ import annotations

from tremplin.funding.models import (
    DRAFT,
    OPEN,
    PENDING,
    PROMISE_MODE,
    SUCCEEDED,
    Campaign,
    Pledge,
)
from tremplin.platform.policies import is_member


def _organiser(user) -> bool:
    return is_member(user) and user.is_organiser


def is_team_member(user, project) -> bool:
    from tremplin.members import is_project_team_member

    return is_member(user) and is_project_team_member(user, project)


def can_view_project(user, project) -> bool:
    from tremplin.members import can_view_project as members_can_view_project

    return members_can_view_project(user, project)


# --- campaigns ----------------------------------------------------------------------------


def can_create_campaign(user, project) -> bool:
    return is_team_member(user, project)


def can_manage_campaign(user, campaign: Campaign) -> bool:
    """Edit, open, post updates, record transfers, see every backer: the project's team."""
    return is_team_member(user, campaign.project)


def can_view_campaign(user, campaign: Campaign) -> bool:
    if campaign.status == DRAFT:
        return can_manage_campaign(user, campaign) or _organiser(user)
    return can_view_project(user, campaign.project)


def can_supervise_campaign(user, campaign: Campaign) -> bool:
    """The backers' list with hidden amounts, refunds: the team and the organisers."""
    return can_manage_campaign(user, campaign) or _organiser(user)


def can_pledge(user, campaign: Campaign) -> bool:
    """Show the pledge button: members outside the team, while the campaign is open (the
    service checks the deadline and everything else again)."""
    return (
        campaign.status == OPEN
        and can_view_campaign(user, campaign)
        and not (is_member(user) and is_team_member(user, campaign.project))
    )


def can_edit_settings(user, project) -> bool:
    return is_team_member(user, project)


def can_confirm_bank_change(user, project) -> bool:
    """The second person who confirms a new IBAN: a team member or an organiser (the
    service refuses the one who asked)."""
    return is_team_member(user, project) or _organiser(user)


# --- pledges ------------------------------------------------------------------------------


def is_backer(user, pledge: Pledge) -> bool:
    return is_member(user) and pledge.backer_id == user.id


def can_view_pledge(user, pledge: Pledge) -> bool:
    return is_backer(user, pledge) or can_supervise_campaign(user, pledge.campaign)


def can_change_pledge(user, pledge: Pledge) -> bool:
    return (
        is_backer(user, pledge)
        and pledge.status in (PENDING, "active")
        and pledge.campaign.status == OPEN
    )


def can_record_transfer(user, pledge: Pledge) -> bool:
    """The treasurer (any team member) marks a promise's transfers received."""
    return (
        pledge.mode == PROMISE_MODE
        and pledge.status in ("due", "unpaid")
        and can_manage_campaign(user, pledge.campaign)
    )


def can_refund(user, pledge: Pledge) -> bool:
    return pledge.refundable_cents > 0 and can_supervise_campaign(user, pledge.campaign)


def can_see_bank_details(user, pledge: Pledge) -> bool:
    """The project's RIB: for backers who have a promise to pay, and the team."""
    return (
        is_backer(user, pledge)
        and pledge.mode == PROMISE_MODE
        and pledge.status in ("due", "unpaid", "collected")
    ) or can_manage_campaign(user, pledge.campaign)


def can_view_receipt(user, pledge: Pledge) -> bool:
    return can_view_pledge(user, pledge)


def can_view_summary_receipt(user, summary) -> bool:
    """A yearly summary receipt is the donor's own document."""
    return bool(user.is_authenticated and summary.backer_id == user.id)


def can_close_campaign(user, campaign: Campaign) -> bool:
    return campaign.status == SUCCEEDED and can_manage_campaign(user, campaign)
