"""Who may see or do what with profiles, projects, needs, offers, journals and milestones.

Pure functions of already loaded objects (they never query): routes, search and other
modules call these same functions, so each access rule is written once. `user` may be
anonymous (`is_authenticated` False) or None.
"""

from __future__ import annotations

from tremplin.members.models import (
    ACCEPTED,
    INVITED,
    MEMBERS,
    OFFER_ACCEPTED,
    OPEN,
    OWNER,
    PENDING,
    PRIVATE,
    PROFILE_FIELDS,
    PUBLIC,
    HelpOffer,
    JournalEntry,
    Milestone,
    Need,
    Profile,
    Project,
)
from tremplin.platform.policies import is_member, is_organiser, is_self

# --- profiles -------------------------------------------------------------------------


_MEMBER_LEVELS = frozenset({PUBLIC, MEMBERS})


def viewer_levels(viewer, owner) -> frozenset[str]:
    """The visibility levels whose fields `viewer` may read on `owner`'s profile."""
    if is_self(viewer, owner):
        return frozenset({PUBLIC, MEMBERS, PRIVATE})
    if is_member(viewer):
        return _MEMBER_LEVELS
    return frozenset({PUBLIC})


def shared_suggestion_levels() -> frozenset[str]:
    """The levels of a field that may feed what the network suggests to every member (the
    skills listed most often): what any member may read, never what its member keeps
    private."""
    return _MEMBER_LEVELS


def can_see_field(viewer, owner, profile: Profile | None, field: str) -> bool:
    level = profile.visibility(field) if profile is not None else PROFILE_FIELDS[field]
    return level in viewer_levels(viewer, owner)


def can_view_profile(viewer, owner) -> bool:
    """A profile page exists while its member does; a suspended member's page is left to
    organisers."""
    if owner is None or owner.is_deleted:
        return False
    if owner.suspended_at is not None:
        return is_self(viewer, owner) or (is_member(viewer) and viewer.is_organiser)
    return True


def can_edit_profile(viewer, owner) -> bool:
    return is_self(viewer, owner)


def can_view_directory(viewer) -> bool:
    # The list of members is for members: a visitor cannot enumerate the network.
    return is_member(viewer)


def can_follow_member(viewer, owner) -> bool:
    return is_member(viewer) and not is_self(viewer, owner) and can_view_profile(viewer, owner)


# --- projects -------------------------------------------------------------------------


def is_team_member(user, project: Project) -> bool:
    return is_member(user) and project.has_team_member(user)


def is_owner(user, project: Project) -> bool:
    return is_member(user) and any(
        m.user_id == user.id and m.role == OWNER and m.status == ACCEPTED
        for m in project.memberships
    )


def can_view_project(user, project: Project | None) -> bool:
    if project is None:
        return False
    if project.orphaned_at is not None:  # nobody left in its team (accounts deleted)
        return is_organiser(user)
    if project.visibility == PUBLIC:
        return True
    return is_member(user)


def can_create_project(user) -> bool:
    return is_member(user)


def can_edit_project(user, project: Project) -> bool:
    """Any accepted team member keeps the page, its needs and its journal current."""
    return is_team_member(user, project)


def can_manage_team(user, project: Project) -> bool:
    return is_owner(user, project)


def can_answer_invitation(user, project: Project) -> bool:
    return is_member(user) and any(
        m.user_id == user.id and m.status == INVITED for m in project.memberships
    )


def can_leave_project(user, project: Project) -> bool:
    return is_team_member(user, project) and not is_owner(user, project)


def can_follow_project(user, project: Project) -> bool:
    return is_member(user) and can_view_project(user, project) and not is_team_member(user, project)


# --- needs and offers -------------------------------------------------------------------


def can_view_need(user, need: Need) -> bool:
    return can_view_project(user, need.project)


def can_offer_help(user, need: Need) -> bool:
    """Members outside the team may answer an open need, once."""
    return (
        is_member(user)
        and need.status == OPEN
        and can_view_need(user, need)
        and not is_team_member(user, need.project)
        and not any(o.helper_id == user.id for o in need.offers)
    )


def can_see_offers(user, need: Need) -> bool:
    return can_edit_project(user, need.project)


def can_respond_to_offer(user, offer: HelpOffer) -> bool:
    return offer.status == PENDING and can_edit_project(user, offer.need.project)


def can_withdraw_offer(user, offer: HelpOffer) -> bool:
    return offer.status == PENDING and is_self(user, offer.helper)


def can_see_contact(user, offer: HelpOffer) -> bool:
    """The mise en relation: once an offer is accepted, the helper and the team member who
    accepted see each other's contact details — nobody else, and never before."""
    if offer.status != OFFER_ACCEPTED or not is_member(user):
        return False
    return user.id in (offer.helper_id, offer.responded_by_id)


# --- who could help: suggestions and invitations ----------------------------------------


def can_see_need_suggestions(user, need: Need) -> bool:
    """The team of a project sees who could help with its open needs."""
    return need.status == OPEN and can_edit_project(user, need.project)


def can_invite_for_need(user, need: Need) -> bool:
    return can_see_need_suggestions(user, need)


def can_answer_need_invitation(user, invitation) -> bool:
    return is_member(user) and invitation.invitee_id == user.id


def can_set_help_preferences(user) -> bool:
    return is_member(user)


def can_see_unanswered_needs(user) -> bool:
    """Organisers bring the needs nobody answered to the next evening."""
    return is_member(user) and bool(getattr(user, "is_organiser", False))


# --- journal and milestones -------------------------------------------------------------


def can_post_journal(user, project: Project) -> bool:
    return can_edit_project(user, project)


def can_delete_journal_entry(user, entry: JournalEntry) -> bool:
    return is_member(user) and (entry.author_id == user.id or is_owner(user, entry.project))


def can_declare_milestone(user, project: Project) -> bool:
    return can_edit_project(user, project)


def can_confirm_milestone(user, milestone: Milestone) -> bool:
    """Organisers confirm what teams declare — never for a project they are on, so the
    impact figures never rest on anyone's word about their own project."""
    return (
        is_member(user)
        and user.is_organiser
        and not milestone.is_confirmed
        and not is_team_member(user, milestone.project)
    )


def can_delete_milestone(user, milestone: Milestone) -> bool:
    return not milestone.is_confirmed and can_edit_project(user, milestone.project)


def can_view_feed(user) -> bool:
    return is_member(user)
