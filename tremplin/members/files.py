"""Which uploaded files belong to the members module, and who may see them: a profile
photo follows its member's "photo" visibility, a logo or journal photo its project's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tremplin.members import policies
from tremplin.members.models import JournalEntry, Profile, Project
from tremplin.platform.extensions import db


def resolve_upload(name: str, viewer) -> bool | None:
    profile = db.session.scalar(
        select(Profile).where(Profile.avatar_file == name).options(joinedload(Profile.user))
    )
    if profile is not None:
        return not profile.user.is_deleted and policies.can_see_field(
            viewer, profile.user, profile, "avatar"
        )
    project = db.session.scalar(select(Project).where(Project.logo_file == name))
    if project is None:
        entry = db.session.scalar(
            select(JournalEntry)
            .where(JournalEntry.image_file == name)
            .options(joinedload(JournalEntry.project))
        )
        project = entry.project if entry is not None else None
    if project is not None:
        return policies.can_view_project(viewer, project)
    return None
