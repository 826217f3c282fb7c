"""Site-wide roles: member, organiser (animateur/animatrice), administrator.

Every module's policies build on these few questions; nothing else decides what a site
role may do.
"""

from __future__ import annotations

from typing import Any


def is_member(user: Any) -> bool:
    """A logged-in, active account."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def member_id(user: Any) -> int | None:
    """Who is acting: the id of a logged-in, active account (not suspended, not deleted), or
    None. The one current-member helper every module's policies use."""
    return user.id if is_member(user) else None


def is_self(user: Any, other: Any) -> bool:
    """`user` is an active member and is `other` (a user, or a user id)."""
    uid = member_id(user)
    return uid is not None and other is not None and uid == getattr(other, "id", other)


def is_organiser(user: Any) -> bool:
    """Organisers run groups, meetups and the impact dashboard (administrators too)."""
    return is_member(user) and user.site_role in ("organiser", "admin")


def is_admin(user: Any) -> bool:
    return is_member(user) and user.site_role == "admin"


def can_view_impact_dashboard(user: Any) -> bool:
    return is_organiser(user)


def can_administer_members(user: Any) -> bool:
    """Search members, change roles, suspend accounts."""
    return is_organiser(user)


def can_change_site_role(user: Any, target: Any, new_role: str) -> bool:
    """Organisers may make or unmake organisers; only administrators touch administrators,
    and nobody changes their own role (no one captures the site alone)."""
    if not is_organiser(user) or target is None or target.id == user.id:
        return False
    if new_role == "admin" or target.site_role == "admin":
        return is_admin(user)
    return True


def can_suspend(user: Any, target: Any) -> bool:
    if not is_organiser(user) or target is None or target.id == user.id:
        return False
    if target.site_role in ("organiser", "admin"):
        return is_admin(user)
    return True
