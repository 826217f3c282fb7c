"""Factories for the groups module: groups with members, messages, conversations."""

from __future__ import annotations

import itertools

import pytest

from tremplin.platform.extensions import db as _db
from tremplin.platform.types import utcnow

_counter = itertools.count(1)


@pytest.fixture
def make_group(app, make_organiser):
    """make_group(name, organiser=..., visibility="public", charter=..., members=[...],
    organisers=[...], resources=[...], channels=["Financement"]) -> Group (committed).
    The first channel is "Accueil"."""
    from tremplin.groups import groups as services
    from tremplin.groups.models import GroupMembership

    def make(
        name: str | None = None,
        *,
        organiser=None,
        visibility: str = "public",
        charter: str = "1. Bienveillance.\n2. Pas de démarchage.",
        theme: str = "restauration",
        members=(),
        organisers=(),
        resources=(),
        channels=(),
    ):
        organiser = organiser or make_organiser(f"Animatrice {next(_counter)}")
        with app.test_request_context():
            group = services.create_group(
                organiser,
                services.GroupFields(
                    name=name or f"Groupe {next(_counter)}",
                    description="Un groupe pour **s'entraider**.",
                    theme=theme,
                    visibility=visibility,
                ),
                charter=charter,
            )
            for channel_name in channels:
                services.add_channel(group, channel_name)
            for role, people in (
                ("member", members),
                ("organiser", organisers),
                ("resource", resources),
            ):
                for user in people:
                    _db.session.add(
                        GroupMembership(
                            group=group,
                            user=user,
                            role=role,
                            state="active",
                            accepted_charter_version=group.charter_version,
                            joined_at=utcnow(),
                        )
                    )
            _db.session.commit()
        return group

    return make


@pytest.fixture
def add_member(app):
    """add_member(group, user, role="member", state="active") -> GroupMembership."""
    from tremplin.groups.models import GroupMembership

    def add(group, user, role: str = "member", state: str = "active", **fields):
        membership = GroupMembership(
            group=group,
            user=user,
            role=role,
            state=state,
            accepted_charter_version=group.charter_version,
            joined_at=utcnow() if state == "active" else None,
            **fields,
        )
        _db.session.add(membership)
        _db.session.commit()
        return membership

    return add


@pytest.fixture
def post_message(app):
    """post_message(author, channel_or_conversation, body) -> Message, through the service
    (stored, announced, committed)."""
    from tremplin.groups import chat

    def post(author, place, body: str = "Bonjour à tous !"):
        with app.test_request_context():
            message = chat.post(author, place, body)
            _db.session.commit()
        return message

    return post


@pytest.fixture
def in_request(app):
    """`with in_request(): service(...)` — services build URLs, so they need a request."""
    from contextlib import contextmanager

    @contextmanager
    def ctx():
        with app.test_request_context():
            yield
            _db.session.commit()

    return ctx
