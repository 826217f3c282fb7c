"""What one member may see of another: profile views filtered field by field.

Templates never read a Profile directly: they get a `ProfileView` (every field the viewer
may see, None or empty for the others) or a `Person` (name, picture and link, for lists).
Both are built from already loaded rows and never query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from flask_login import current_user

from tremplin.members import policies
from tremplin.members.models import PRIVATE, PROFILE_FIELDS, Profile
from tremplin.platform.templating import member_url


def _profile_of(user) -> Profile | None:
    return getattr(user, "profile", None)


def avatar_url(viewer, user) -> str | None:
    profile = _profile_of(user)
    if profile is None or not profile.avatar_file or user.is_deleted:
        return None
    if not policies.can_see_field(viewer, user, profile, "avatar"):
        return None
    return url_for("uploads.serve", name=profile.avatar_file)


@dataclass(frozen=True)
class Person:
    """A member as a line in a list: the avatar macro reads `display_name` and `avatar_url`."""

    id: int
    display_name: str
    avatar_url: str | None
    url: str | None
    is_deleted: bool


def person(viewer, user) -> Person:
    return Person(
        id=user.id,
        display_name=user.public_name,
        avatar_url=avatar_url(viewer, user),
        url=member_url(user),
        is_deleted=user.is_deleted,
    )


@dataclass
class ProfileView:
    """Every profile field `viewer` may see; hidden fields are None or empty. For the owner,
    `visibility` tells who sees each field."""

    user_id: int
    display_name: str
    is_owner: bool
    avatar_url: str | None = None
    bio: str | None = None
    commune: str | None = None
    departement: str | None = None
    languages: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    phone: str | None = None
    visible_fields: frozenset[str] = frozenset()
    visibility: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str | None:
        return url_for("members.profile", user_id=self.user_id)

    def shows(self, name: str) -> bool:
        return name in self.visible_fields

    @property
    def is_empty(self) -> bool:
        return not (
            self.bio
            or self.commune
            or self.departement
            or self.languages
            or self.skills
            or self.themes
            or self.roles
            or self.links
        )


def visible_profile(viewer, user) -> ProfileView:
    """The fields of `user`'s profile that `viewer` may see (the public entry point other
    modules use: search, mentoring suggestions, funding pages)."""
    profile = _profile_of(user)
    visible = frozenset(
        name for name in PROFILE_FIELDS if policies.can_see_field(viewer, user, profile, name)
    )
    is_owner = policies.can_edit_profile(viewer, user)
    view = ProfileView(
        user_id=user.id, display_name=user.public_name, is_owner=is_owner, visible_fields=visible
    )
    if is_owner:
        view.visibility = {
            name: (profile.visibility(name) if profile else default)
            for name, default in PROFILE_FIELDS.items()
        }
    if profile is None or user.is_deleted:
        return view
    view.avatar_url = avatar_url(viewer, user)
    if "bio" in visible:
        view.bio = profile.bio
    if "location" in visible:
        view.commune, view.departement = profile.commune, profile.departement
    if "languages" in visible:
        view.languages = profile.languages
    if "skills" in visible:
        view.skills = profile.skills
    if "themes" in visible:
        view.themes = profile.themes
    if "roles" in visible:
        view.roles = profile.roles
    if "links" in visible:
        view.links = list(profile.links or [])
    if "phone" in visible:
        view.phone = profile.phone
    return view


@dataclass(frozen=True)
class Contact:
    """What the mise en relation reveals: how to reach someone."""

    name: str
    email: str | None
    phone: str | None


def contact_details(user) -> Contact:
    """The e-mail always; the phone only if its owner did not keep it to themselves
    ("Moi seulement" is honoured even after a mise en relation)."""
    profile = _profile_of(user)
    shares_phone = (
        profile is not None and not user.is_deleted and profile.visibility("phone") != PRIVATE
    )
    return Contact(
        name=user.public_name,
        email=None if user.is_deleted else user.email,
        phone=profile.phone if shares_phone else None,
    )


def person_for_current_user(user) -> Person:
    """Template helper `person(user)`: the member as the current viewer may see them."""
    return person(current_user, user)
