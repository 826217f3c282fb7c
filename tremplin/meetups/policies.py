"""Who may see and do what with meetups, registrations, tables, commitments and
opportunities.

A global meetup is run by the site's organisers; a group's meetup by that group's
organisers too. Pure functions of loaded objects (the group membership lookup is cached by
the groups module): routes, templates and services call these same functions.
"""

from __future__ import annotations

from datetime import timedelta

from tremplin.groups import can_moderate, can_read_group, is_member
from tremplin.meetups.models import (
    CONFIRMED,
    IN_PROGRESS,
    OPEN_COMMITMENT_STATES,
    PROPOSED,
    ProposalTable,
    SupportCommitment,
)
from tremplin.members import is_project_team_member as is_team_member
from tremplin.platform.policies import is_member as is_site_member
from tremplin.platform.policies import is_organiser
from tremplin.platform.types import utcnow

# The door opens this long before the start (organisers check people in on the day).
CHECKIN_OPENS_BEFORE = timedelta(hours=12)


# --- meetups -----------------------------------------------------------------------------


def can_create_meetup(user, group=None) -> bool:
    """Site organisers create global meetups; a group's organisers create its meetups."""
    if group is None:
        return is_organiser(user)
    return is_organiser(user) or can_moderate(user, group)


def can_manage_meetup(user, meetup) -> bool:
    """Edit, publish, cancel, check people in, run the tables."""
    if not is_site_member(user):
        return False
    if is_organiser(user):
        return True
    return meetup.group is not None and can_moderate(user, meetup.group)


def can_view_meetup(user, meetup) -> bool:
    """Published meetups are public, except those of a private group (its members only);
    drafts are for those who run them. A cancelled meetup stays visible (people look it up)."""
    if meetup.state == "draft":
        return can_manage_meetup(user, meetup)
    if meetup.group is not None and meetup.group.is_private:
        return can_read_group(user, meetup.group) or can_manage_meetup(user, meetup)
    return True


def is_open_for_registration(meetup, now=None) -> bool:
    return meetup.state == "published" and meetup.ends_at > (now or utcnow())


def can_register(user, meetup) -> bool:
    """A member's RSVP (visitors use `can_register_as_visitor`)."""
    return (
        is_site_member(user) and can_view_meetup(user, meetup) and is_open_for_registration(meetup)
    )


def can_register_as_visitor(meetup) -> bool:
    """No account needed ("participation sans rendez-vous"), except for a private group."""
    private = meetup.group is not None and meetup.group.is_private
    return not private and is_open_for_registration(meetup)


def can_check_in(user, meetup, now=None) -> bool:
    now = now or utcnow()
    return (
        can_manage_meetup(user, meetup)
        and meetup.state == "published"
        and now >= meetup.starts_at - CHECKIN_OPENS_BEFORE
    )


def can_see_registrations(user, meetup) -> bool:
    return can_manage_meetup(user, meetup)


# --- tables ------------------------------------------------------------------------------


def can_run_tables(user, meetup) -> bool:
    return can_manage_meetup(user, meetup) and meetup.state == "published"


def can_record_proposal(user, table: ProposalTable, seated_user_ids=()) -> bool:
    """The organisers, and any member seated at that table (its scribe)."""
    if can_manage_meetup(user, table.meetup):
        return True
    return is_site_member(user) and user.id in seated_user_ids


def can_delete_proposal(user, proposal) -> bool:
    """Its author, or the organisers."""
    return can_manage_meetup(user, proposal.table.meetup) or (
        is_site_member(user) and proposal.author_id == user.id
    )


def can_see_proposals(user, meetup, projects=()) -> bool:
    """Organisers, and the team of a project presented (they read them afterwards)."""
    if can_manage_meetup(user, meetup):
        return True
    return any(is_team_member(user, project) for project in projects)


# --- commitments -------------------------------------------------------------------------


def can_commit_support(user, project) -> bool:
    """Any member outside the project's team (a team does not support itself)."""
    return is_site_member(user) and not is_team_member(user, project)


def can_commit_as_visitor(registration) -> bool:
    """A visitor whose registration is confirmed (the link proved their address)."""
    return registration.is_visitor and registration.status == CONFIRMED


def is_supporter(user, commitment: SupportCommitment) -> bool:
    return is_site_member(user) and commitment.supporter_id == user.id


def can_see_commitment(user, commitment: SupportCommitment) -> bool:
    return (
        is_supporter(user, commitment)
        or is_team_member(user, commitment.project)
        or is_organiser(user)
    )


def can_see_project_commitments(user, project) -> bool:
    return is_team_member(user, project) or is_organiser(user)


def can_accept_commitment(user, commitment: SupportCommitment) -> bool:
    return commitment.state == PROPOSED and is_team_member(user, commitment.project)


def can_start_commitment(user, commitment: SupportCommitment) -> bool:
    """Either side says the work has begun."""
    return commitment.state == "accepted" and (
        is_team_member(user, commitment.project) or is_supporter(user, commitment)
    )


def can_confirm_delivery(user, commitment: SupportCommitment) -> bool:
    """The team — never the supporter alone — confirms the support was delivered."""
    return commitment.state in ("accepted", IN_PROGRESS) and is_team_member(
        user, commitment.project
    )


def can_cancel_commitment(user, commitment: SupportCommitment) -> bool:
    """The supporter withdraws, or the team declines, while it is not delivered."""
    return commitment.state in OPEN_COMMITMENT_STATES and (
        is_team_member(user, commitment.project) or is_supporter(user, commitment)
    )


def can_export_commitments(user) -> bool:
    """The association's accounts: organisers export hours and values."""
    return is_organiser(user)


# --- opportunities -----------------------------------------------------------------------


def can_post_opportunity(user, group=None) -> bool:
    if group is not None:
        return is_organiser(user) or can_moderate(user, group)
    return is_organiser(user)


def can_edit_opportunity(user, opportunity) -> bool:
    if not is_site_member(user):
        return False
    if is_organiser(user):
        return True
    return opportunity.group is not None and can_moderate(user, opportunity.group)


def can_view_opportunity(user, opportunity) -> bool:
    """The watch is public (a visitor may find a call for projects), except what a private
    group keeps for its members."""
    if opportunity.group is not None and opportunity.group.is_private:
        return can_read_group(user, opportunity.group) or can_edit_opportunity(user, opportunity)
    return True


def can_mark_application(user, opportunity) -> bool:
    return is_site_member(user) and can_view_opportunity(user, opportunity)


def can_subscribe_to_themes(user) -> bool:
    return is_site_member(user)


def in_group(user, group) -> bool:
    return group is not None and is_member(user, group)
