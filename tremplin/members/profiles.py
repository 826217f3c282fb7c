"""Profiles: editing one's own, the member directory and its filters, skill suggestions.

Writes flush and never commit. Filters never match on a field the viewer may not see, so
the directory cannot be used to find out what a member keeps hidden.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from tremplin.members import policies, signals
from tremplin.members.labels import ROLE_LABELS
from tremplin.members.models import (
    PROFILE_FIELDS,
    TAG_KINDS,
    VISIBILITY_LEVELS,
    Profile,
    ProfileTag,
)
from tremplin.platform import uploads
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import utcnow
from tremplin.platform.vocabulary import DEPARTEMENT_LABELS, LANGUAGE_LABELS, THEME_LABELS

MAX_SKILLS = 20
SKILL_MAX_LENGTH = 40
MAX_LINKS = 5
PHONE_PATTERN = re.compile(r"^\+?[0-9 .()-]{6,25}$")
DIRECTORY_PAGE_SIZE = 24


class InvalidProfile(DomainError):
    default_message = _l("Ce profil contient une valeur non reconnue.")


def tag_key(value: str) -> str:
    """How two spellings of a tag are recognised as the same one."""
    text = unicodedata.normalize("NFKC", value).casefold().strip()
    return " ".join(text.split())[:60]


def clean_skills(values) -> list[str]:
    """Trimmed, deduplicated (ignoring case and spaces), at most MAX_SKILLS."""
    seen, skills = set(), []
    for raw in values or []:
        value = " ".join(str(raw).split())[:SKILL_MAX_LENGTH].strip(" ,;")
        key = tag_key(value)
        if value and key not in seen:
            seen.add(key)
            skills.append(value)
    if len(skills) > MAX_SKILLS:
        raise InvalidProfile(_("%(n)d compétences au maximum.", n=MAX_SKILLS), field="skills")
    return skills


def split_tags(text: str | None) -> list[str]:
    return [part for part in re.split(r"[,;\n]", text or "") if part.strip()]


def clean_links(links) -> list[dict]:
    cleaned = []
    for link in links or []:
        url = (link.get("url") or "").strip()
        label = " ".join((link.get("label") or "").split())[:60]
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidProfile(
                _("Un lien doit commencer par https:// ou http://."), field="links"
            )
        cleaned.append({"label": label or parts.netloc, "url": url[:500]})
    return cleaned[:MAX_LINKS]


def get_profile(user) -> Profile | None:
    return db.session.get(Profile, user.id)


def get_or_create_profile(user) -> Profile:
    profile = get_profile(user)
    if profile is None:
        profile = Profile(user_id=user.id)
        for name, level in PROFILE_FIELDS.items():
            setattr(profile, f"{name}_visibility", level)
        db.session.add(profile)
        db.session.flush()
    return profile


def _set_tags(profile: Profile, kind: str, values: list[str]) -> None:
    """Replace the tags of one kind by `values`, keeping rows that stay (so the unique
    constraint never sees a delete and an insert of the same tag in one flush)."""
    wanted = {tag_key(v): v for v in values}
    for tag in [t for t in profile.tags if t.kind == kind]:
        if tag.key in wanted:
            tag.value = wanted.pop(tag.key)
        else:
            profile.tags.remove(tag)
    for key, value in wanted.items():
        profile.tags.append(ProfileTag(kind=kind, value=value, key=key))


@dataclass(frozen=True)
class ProfileFields:
    """What a member writes on their profile, and who may see each field (`visibility`:
    field name -> level; a field left out keeps its level)."""

    display_name: str
    bio: str | None = None
    commune: str | None = None
    departement: str | None = None
    phone: str | None = None
    links: list | None = None
    skills: list | None = None
    themes: list | None = None
    languages: list | None = None
    roles: list | None = None
    visibility: dict[str, str] | None = None


def update_profile(
    user: User, fields: ProfileFields, *, avatar=None, remove_avatar: bool = False
) -> Profile:
    display_name = " ".join((fields.display_name or "").split())
    if not 2 <= len(display_name) <= 80:
        raise InvalidProfile(_("Entre 2 et 80 caractères."), field="display_name")
    themes = list(fields.themes or [])
    languages, roles = list(fields.languages or []), list(fields.roles or [])
    for values, vocabulary, name in (
        (themes, THEME_LABELS, "themes"),
        (languages, LANGUAGE_LABELS, "languages"),
        (roles, ROLE_LABELS, "roles"),
    ):
        if any(v not in vocabulary for v in values):
            raise InvalidProfile(field=name)
    departement = fields.departement
    if departement and departement not in DEPARTEMENT_LABELS:
        raise InvalidProfile(_("Choisissez un département de la liste."), field="departement")
    phone = (fields.phone or "").strip() or None
    if phone and not PHONE_PATTERN.match(phone):
        raise InvalidProfile(_("Ce numéro de téléphone n'est pas valide."), field="phone")
    skills = clean_skills(fields.skills)
    links = clean_links(fields.links)
    levels = dict(fields.visibility or {})
    for name, level in levels.items():
        if name not in PROFILE_FIELDS or level not in VISIBILITY_LEVELS:
            raise InvalidProfile(field=f"{name}_visibility")

    profile = get_or_create_profile(user)
    if avatar is not None:
        new_name = uploads.store_image(avatar, "avatar", field="avatar")
        uploads.discard_upload(profile.avatar_file)
        profile.avatar_file = new_name
    elif remove_avatar and profile.avatar_file:
        uploads.discard_upload(profile.avatar_file)
        profile.avatar_file = None
    user.display_name = display_name
    profile.bio = (fields.bio or "").strip() or None
    profile.commune = " ".join((fields.commune or "").split())[:120] or None
    profile.departement = departement or None
    profile.phone = phone
    profile.links = links
    for name, level in levels.items():
        setattr(profile, f"{name}_visibility", level)
    _set_tags(profile, "skill", skills)
    _set_tags(profile, "theme", themes)
    _set_tags(profile, "language", languages)
    _set_tags(profile, "role", roles)
    profile.updated_at = utcnow()
    db.session.flush()
    signals.profile_updated.send(profile)
    return profile


def load_member(user_id: int) -> User | None:
    """A member with their profile and tags, for a profile page."""
    return db.session.scalar(
        select(User)
        .where(User.id == user_id)
        .options(selectinload(User.profile).selectinload(Profile.tags))
    )


# --- the directory ------------------------------------------------------------------------


@dataclass
class DirectoryFilters:
    q: str = ""
    role: str = ""
    theme: str = ""
    skill: str = ""
    departement: str = ""
    language: str = ""

    @property
    def active(self) -> bool:
        return any((self.q, self.role, self.theme, self.skill, self.departement, self.language))


def _visible(viewer, column):
    """SQL: the profile field behind `column` is visible to the viewer."""
    levels = sorted(policies.viewer_levels(viewer, None))
    condition = column.in_(levels)
    if getattr(viewer, "is_authenticated", False):
        condition = or_(condition, Profile.user_id == viewer.id)
    return condition


def _has_tag(viewer, kind: str, value: str):
    field = TAG_KINDS[kind]
    return and_(
        exists().where(
            ProfileTag.user_id == User.id, ProfileTag.kind == kind, ProfileTag.key == tag_key(value)
        ),
        _visible(viewer, getattr(Profile, f"{field}_visibility")),
    )


def listed_members():
    """Accounts that appear in lists: confirmed, neither suspended nor deleted."""
    return select(User).where(
        User.deleted_at.is_(None), User.suspended_at.is_(None), User.email_confirmed_at.is_not(None)
    )


def directory(
    viewer, filters: DirectoryFilters, page: int = 1, per_page: int = DIRECTORY_PAGE_SIZE
):
    stmt = listed_members().outerjoin(Profile, Profile.user_id == User.id)
    if filters.q:
        stmt = stmt.where(User.display_name.icontains(filters.q.strip(), autoescape=True))
    for kind, value in (
        ("role", filters.role),
        ("theme", filters.theme),
        ("skill", filters.skill),
        ("language", filters.language),
    ):
        if value:
            stmt = stmt.where(_has_tag(viewer, kind, value))
    if filters.departement:
        stmt = stmt.where(
            Profile.departement == filters.departement,
            _visible(viewer, Profile.location_visibility),
        )
    stmt = stmt.options(selectinload(User.profile).selectinload(Profile.tags)).order_by(
        func.lower(User.display_name), User.id
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def skill_suggestions(limit: int = 200) -> list[str]:
    """The skills members list most often (never counting a skill its member hides)."""
    rows = db.session.execute(
        select(func.min(ProfileTag.value), func.count(ProfileTag.id).label("n"))
        .join(Profile, Profile.user_id == ProfileTag.user_id)
        .where(
            ProfileTag.kind == "skill",
            Profile.skills_visibility.in_(sorted(policies.shared_suggestion_levels())),
        )
        .group_by(ProfileTag.key)
        .order_by(func.count(ProfileTag.id).desc(), ProfileTag.key)
        .limit(limit)
    ).all()
    return [value for value, _n in rows]


def users_with_role(role: str, viewer=None) -> list[User]:
    """Members who declare `role` (mentor, investisseur…) where `viewer` may see it; for
    the mentoring and funding modules."""
    stmt = (
        listed_members()
        .join(Profile, Profile.user_id == User.id)
        .where(_has_tag(viewer, "role", role))
        .options(selectinload(User.profile).selectinload(Profile.tags))
        .order_by(User.display_name)
    )
    return list(db.session.scalars(stmt))
