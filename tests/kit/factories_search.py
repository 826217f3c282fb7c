"""Search helpers: `find(user, text, options, **paging)` answers as the results page would, and
`search_index` is the application's backend (a RAM Whoosh index in tests)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_login import AnonymousUserMixin

from tremplin.platform.extensions import db as _db
from tremplin.platform.types import utcnow


def has(type_name: str) -> bool:
    from tremplin.search.documents import registry

    return type_name in registry.types


@pytest.fixture
def visitor():
    return AnonymousUserMixin()


@pytest.fixture
def search_index(app):
    return app.extensions["search"].backend


@pytest.fixture
def find(app):
    """find(user, text, options=None, **kwargs) -> SearchResults, `options` a SearchOptions
    (keys: `find.keys(user, text)`)."""
    from tremplin.search import search

    def run(user, text, options=None, **kwargs):
        with app.test_request_context("/recherche"):
            return search(user, text, options, **kwargs)

    def keys(user, text, options=None, **kwargs) -> set[str]:
        results = run(user, text, options, per_page=50, **kwargs)
        return {f"{item.type_name}:{item.obj.id}" for item in results.items}

    run.keys = keys
    return run


@pytest.fixture
def search_world(
    db,
    make_member,
    make_organiser,
    make_profile,
    make_project,
    make_need,
    make_group,
    add_member,
    post_message,
    in_request,
):
    """A small network where everything holds the word "marqueur", so one search shows
    who sees what: every type the application runs (meetups, campaigns and clubs when their
    modules run), public and restricted, with a visitor's, a member's, a group member's,
    a conversation participant's, a banned member's and organisers' points of view."""
    w = SimpleNamespace()
    w.claire = make_organiser("Claire Dubois")  # site organiser, runs both groups
    w.lea = make_organiser("Léa Fontaine")  # site organiser, in no group
    w.awa = make_member("Awa Diallo")  # in the private group, writes to Bob
    w.bob = make_member("Bob Martin")
    w.karim = make_member("Karim Benali")  # a member, nothing more
    w.bruno = make_member("Bruno Lefort")  # banned from the public group
    make_profile(w.awa, bio="Cuisinière, toujours un marqueur en poche.", skills=["Soudure"])
    make_profile(
        w.bob,
        bio="Passionné d'apiculture.",
        skills=["Aquaponie"],
        visibility={"bio": "private", "skills": "private"},
    )

    w.project = make_project(w.awa, title="Conserverie marqueur", visibility="public")
    w.project_members = make_project(w.bob, title="Coopérative marqueur", visibility="members")
    w.need = make_need(w.project, title="Un local pour le marqueur")
    w.need_members = make_need(w.project_members, title="Une camionnette marqueur")

    w.public_group = make_group("Cuisine marqueur", organiser=w.claire)
    w.private_group = make_group(
        "Cercle marqueur", organiser=w.claire, visibility="private", members=[w.awa]
    )
    add_member(w.public_group, w.bruno, state="banned")
    w.public_message = post_message(
        w.claire, w.public_group.channels[0], "Le marqueur du groupe ouvert"
    )
    w.private_message = post_message(
        w.claire, w.private_group.channels[0], "Le marqueur du cercle privé"
    )
    from tremplin.groups import open_conversation

    with in_request():
        conversation = open_conversation([w.awa, w.bob])
    w.conversation_message = post_message(w.awa, conversation, "Un marqueur rien que pour toi")

    if has("meetup"):
        from tremplin.meetups.models import Meetup, Opportunity

        start = utcnow() + timedelta(days=10)
        w.meetup = Meetup(
            title="Café projets marqueur",
            state="published",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            created_by_id=w.claire.id,
        )
        w.private_meetup = Meetup(
            title="Soirée marqueur du cercle",
            state="published",
            group_id=w.private_group.id,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            created_by_id=w.claire.id,
        )
        w.draft_meetup = Meetup(
            title="Brouillon marqueur",
            state="draft",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            created_by_id=w.claire.id,
        )
        w.opportunity = Opportunity(
            title="Appel à projets marqueur", kind="funding", posted_by_id=w.claire.id
        )
        w.private_opportunity = Opportunity(
            title="Local marqueur du cercle",
            kind="premises",
            group_id=w.private_group.id,
            posted_by_id=w.claire.id,
        )
        _db.session.add_all(
            [w.meetup, w.private_meetup, w.draft_meetup, w.opportunity, w.private_opportunity]
        )
        _db.session.commit()
    if has("campaign"):
        from tremplin.funding.models import Campaign

        deadline = utcnow() + timedelta(days=45)
        w.campaign = Campaign(
            project_id=w.project.id,
            title="Collecte marqueur",
            summary="Un four",
            goal_cents=500_000,
            status="open",
            deadline_at=deadline,
            opened_at=utcnow(),
        )
        w.members_campaign = Campaign(
            project_id=w.project_members.id,
            title="Collecte marqueur entre membres",
            summary="Un van",
            goal_cents=300_000,
            status="open",
            deadline_at=deadline,
        )
        w.draft_campaign = Campaign(
            project_id=w.project.id,
            title="Brouillon marqueur",
            summary="Pas encore",
            goal_cents=100_000,
            status="draft",
            deadline_at=deadline,
        )
        _db.session.add_all([w.campaign, w.members_campaign, w.draft_campaign])
        _db.session.commit()
    if has("club"):
        from datetime import date

        from tremplin.funding.clubs import InvestorClub

        w.club = InvestorClub(
            name="Cigales marqueur",
            territory="Montreuil",
            founded_on=date(2024, 1, 1),
            is_public=True,
        )
        w.hidden_club = InvestorClub(
            name="Club discret marqueur",
            territory="Bagnolet",
            founded_on=date(2024, 1, 1),
            is_public=False,
        )
        _db.session.add_all([w.club, w.hidden_club])
        _db.session.commit()
    return w
