"""Factories for the members module: profiles, projects (with their team), needs, offers,
journal entries, milestones and follows. Each builds rows directly with sensible defaults
and commits, like `make_member`; pass fields to override."""

from __future__ import annotations

import io
import itertools
from datetime import date, timedelta

import pytest
from PIL import Image

from tremplin.members.models import (
    ACCEPTED,
    INVITED,
    OWNER,
    PROFILE_FIELDS,
    TEAMMATE,
    Follow,
    HelpOffer,
    JournalEntry,
    Milestone,
    Need,
    Profile,
    ProfileTag,
    Project,
    ProjectMember,
)
from tremplin.members.profiles import tag_key
from tremplin.platform.extensions import db as _db
from tremplin.platform.types import utcnow

_counter = itertools.count(1)


@pytest.fixture
def make_profile(app):
    """make_profile(user, bio=..., skills=[...], themes=[...], languages=[...], roles=[...],
    visibility={"bio": "public", ...}, **columns)."""

    def make(
        user, *, skills=(), themes=(), languages=(), roles=(), visibility=None, **columns
    ) -> Profile:
        profile = _db.session.get(Profile, user.id) or Profile(user_id=user.id)
        for name, level in PROFILE_FIELDS.items():
            setattr(profile, f"{name}_visibility", (visibility or {}).get(name, level))
        for name, value in columns.items():
            setattr(profile, name, value)
        for kind, values in (
            ("skill", skills),
            ("theme", themes),
            ("language", languages),
            ("role", roles),
        ):
            for value in values:
                profile.tags.append(ProfileTag(kind=kind, value=value, key=tag_key(value)))
        _db.session.add(profile)
        _db.session.commit()
        return profile

    return make


@pytest.fixture
def make_project(app):
    """make_project(owner, title=..., team=[user, ...], invited=[user, ...], **columns)."""

    def make(owner, *, team=(), invited=(), **columns) -> Project:
        n = next(_counter)
        values = {
            "title": f"Projet {n}",
            "pitch": "Un projet qui change le quartier.",
            "description": "Une description en **Markdown**.",
            "theme": "environnement",
            "stage": "emergence",
            "commune": "Montreuil",
            "departement": "93",
            "visibility": "public",
        }
        values.update(columns)
        project = Project(owner_id=owner.id, **values)
        project.memberships.append(
            ProjectMember(user_id=owner.id, role=OWNER, status=ACCEPTED, responded_at=utcnow())
        )
        for user in team:
            project.memberships.append(
                ProjectMember(
                    user_id=user.id,
                    role=TEAMMATE,
                    status=ACCEPTED,
                    invited_by_id=owner.id,
                    responded_at=utcnow(),
                )
            )
        for user in invited:
            project.memberships.append(
                ProjectMember(
                    user_id=user.id, role=TEAMMATE, status=INVITED, invited_by_id=owner.id
                )
            )
        _db.session.add(project)
        _db.session.commit()
        return project

    return make


@pytest.fixture
def make_need(app):
    def make(project, *, by=None, **columns) -> Need:
        n = next(_counter)
        values = {"kind": "local", "title": f"Un local n°{n}", "description": "Au calme."}
        values.update(columns)
        need = Need(project_id=project.id, created_by_id=(by or project.owner).id, **values)
        _db.session.add(need)
        _db.session.commit()
        return need

    return make


@pytest.fixture
def make_help_offer(app):
    def make(need, helper, *, message="Je peux vous aider, écrivez-moi !", **columns) -> HelpOffer:
        offer = HelpOffer(need_id=need.id, helper_id=helper.id, message=message, **columns)
        _db.session.add(offer)
        _db.session.commit()
        return offer

    return make


@pytest.fixture
def make_journal_entry(app):
    def make(project, *, author=None, body="Des nouvelles du projet.", **columns) -> JournalEntry:
        entry = JournalEntry(
            project_id=project.id, author_id=(author or project.owner).id, body=body, **columns
        )
        _db.session.add(entry)
        _db.session.commit()
        return entry

    return make


@pytest.fixture
def make_milestone(app):
    def make(project, *, kind="business_plan", by=None, **columns) -> Milestone:
        values = {"occurred_on": date.today() - timedelta(days=10)}
        values.update(columns)
        milestone = Milestone(
            project_id=project.id, kind=kind, declared_by_id=(by or project.owner).id, **values
        )
        _db.session.add(milestone)
        _db.session.commit()
        return milestone

    return make


@pytest.fixture
def make_follow(app):
    def make(follower, *, user=None, project=None) -> Follow:
        follow = Follow(
            follower_id=follower.id,
            user_id=user.id if user else None,
            project_id=project.id if project else None,
        )
        _db.session.add(follow)
        _db.session.commit()
        return follow

    return make


def image_bytes(fmt: str = "PNG", size=(64, 48), color=(200, 80, 40), **save) -> bytes:
    """A real image, encoded in memory (for upload tests)."""
    out = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


@pytest.fixture
def png_file():
    """png_file(name="photo.png", **image_bytes kwargs) -> (BytesIO, name) for a form post."""

    def make(name: str = "photo.png", **kwargs):
        return io.BytesIO(image_bytes(**kwargs)), name

    return make
