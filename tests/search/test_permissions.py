"""Nobody finds what they may not see: a visitor, a member, a group member, a conversation
participant, a banned member and organisers search the same network, over every type the
application runs, and each finds exactly what the owning module's policy lets them see."""

from __future__ import annotations

import pytest

from tremplin.platform.extensions import db as _db
from tremplin.platform.types import utcnow
from tremplin.search.documents import registry


def has(type_name: str) -> bool:
    return type_name in registry.types


@pytest.fixture
def w(search_world):
    return search_world


def k(obj) -> str:
    from tremplin.groups.models import Group, Message
    from tremplin.members.models import Need, Project
    from tremplin.platform.models import User

    names = {User: "member", Project: "project", Need: "need", Group: "group", Message: "message"}
    if has("meetup"):
        from tremplin.meetups.models import Meetup, Opportunity

        names.update({Meetup: "meetup", Opportunity: "opportunity"})
    if has("campaign"):
        from tremplin.funding.models import Campaign

        names[Campaign] = "campaign"
    if has("club"):
        from tremplin.funding.clubs import InvestorClub

        names[InvestorClub] = "club"
    return f"{names[type(obj)]}:{obj.id}"


def expected(w, who: str) -> set[str]:
    everyone = {w.project, w.need, w.public_group, w.private_group}
    if has("meetup"):
        everyone |= {w.meetup, w.opportunity}
    if has("campaign"):
        everyone |= {w.campaign}
    if has("club"):
        everyone |= {w.club}
    members = everyone | {w.project_members, w.need_members, w.awa, w.public_message}
    if has("campaign"):
        members |= {w.members_campaign}
    private_items = {w.private_meetup, w.private_opportunity} if has("meetup") else set()
    table = {
        "visitor": everyone,
        "karim": members,
        "awa": members | {w.private_message, w.conversation_message} | private_items,
        "bob": members | {w.conversation_message},
        "claire": members | {w.private_message} | private_items,
        "lea": members | private_items,  # runs every meetup, reads no private channel
        "bruno": members - {w.public_message},
    }
    return {k(obj) for obj in table[who]}


@pytest.mark.parametrize("who", ["visitor", "karim", "awa", "bob", "claire", "lea", "bruno"])
def test_each_searcher_finds_exactly_what_they_may_see(w, find, visitor, who):
    user = visitor if who == "visitor" else getattr(w, who)
    assert find.keys(user, "marqueur") == expected(w, who)


def test_every_hit_is_allowed_by_its_module_policy(w, find, visitor):
    for user in (visitor, w.karim, w.awa, w.bruno, w.lea):
        for item in find(user, "marqueur", per_page=50).items:
            assert registry.types[item.type_name].can_view(user, item.obj)


def test_private_profile_fields_are_found_by_nobody(w, find, visitor):
    for user in (visitor, w.karim, w.awa, w.bob):
        assert find.keys(user, "aquaponie") == set()
        assert find.keys(user, "apiculture") == set()
    # What Bob shows to members still finds him; what Awa shows too.
    assert find.keys(w.karim, "Bob Martin") == {k(w.bob)}
    assert find.keys(w.karim, "soudure") == {k(w.awa)}


def test_visitors_do_not_enumerate_members(w, find, visitor):
    assert find.keys(visitor, "Awa Diallo") == set()
    assert find.keys(visitor, "soudure") == set()


def test_facet_counts_do_not_reveal_private_messages(w, find):
    results = find(w.karim, "marqueur")
    counts = {f.name: {o.value: o.count for o in f.options} for f in results.facets}
    assert counts["type"]["message"] == 1  # the open group's message only


def test_private_group_message_found_once_joined_and_lost_once_left(w, find, add_member):
    assert k(w.private_message) not in find.keys(w.karim, "marqueur")
    membership = add_member(w.private_group, w.karim)
    assert k(w.private_message) in find.keys(w.karim, "marqueur")
    _db.session.delete(membership)
    _db.session.commit()
    assert k(w.private_message) not in find.keys(w.karim, "marqueur")


def test_hidden_and_deleted_messages_are_not_found(w, find):
    w.public_message.hidden_at = utcnow()
    w.conversation_message.deleted_at = utcnow()
    _db.session.commit()
    assert k(w.public_message) not in find.keys(w.awa, "marqueur")
    assert k(w.conversation_message) not in find.keys(w.awa, "marqueur")


def test_did_you_mean_never_suggests_a_word_only_private_text_holds(w, find, post_message):
    post_message(w.claire, w.private_group.channels[0], "Réunion sur la permaculture")
    results = find(w.karim, "permaculure")
    assert results.suggestion is None and results.corrected_from is None
    assert results.total == 0
    results = find(w.awa, "permaculure")
    assert results.corrected_from == "permaculure" and results.query == "permaculture"


@pytest.mark.parametrize(
    "type_name",
    ["member", "project", "need", "group", "message", "meetup", "opportunity", "campaign", "club"],
)
def test_type_is_registered_when_its_module_runs(app, type_name):
    from tremplin.platform import MODULES

    owner = {
        "member": "tremplin.members",
        "project": "tremplin.members",
        "need": "tremplin.members",
        "group": "tremplin.groups",
        "message": "tremplin.groups",
        "meetup": "tremplin.meetups",
        "opportunity": "tremplin.meetups",
        "campaign": "tremplin.funding",
        "club": "tremplin.funding",
    }[type_name]
    assert owner in MODULES
    assert has(type_name)


def test_drafts_and_unpublished_cards_are_never_searchable(w, find):
    """Drafts (meetups, campaigns) and a club's unpublished card are not in the index at
    all, even for those who may open them: search is for what is out."""
    keys = find.keys(w.claire, "marqueur")
    if has("meetup"):
        assert k(w.draft_meetup) not in keys
    if has("campaign"):
        assert k(w.draft_campaign) not in keys
    if has("club"):
        assert k(w.hidden_club) not in keys
