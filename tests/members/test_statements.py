"""The main pages load what they show in a fixed number of SQL statements: the same with
5 items as with 50 (no query in a template or a loop)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tremplin.platform.types import utcnow


def layout_cost(client, count_statements) -> int:
    """What any page costs a member (session, navigation badges of every module): a form
    page that loads nothing else."""
    return statements_for(client, count_statements, "/projets/nouveau")


def statements_for(client, count_statements, url: str) -> int:
    client.get(url)  # warm up (first-request work, caches)
    with count_statements() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


@pytest.fixture
def viewer(auth, make_member, make_profile):
    user = make_member("Lectrice")
    make_profile(user, skills=["Lecture"])
    return auth.login_as(user)


def build_profile(n, make_member, make_profile, make_project, make_need, make_follow, viewer):
    """A member with n projects (each with a need and a teammate), n skills and n links."""
    owner = make_member(f"Porteuse {n}")
    make_profile(
        owner,
        skills=[f"Compétence {i}" for i in range(n)],
        themes=["textile"],
        roles=["porteur"],
        links=[{"label": f"L{i}", "url": f"https://{i}.example"} for i in range(n)],
        visibility={"links": "public"},
    )
    for i in range(n):
        mate = make_member(f"Équipière {n}-{i}")
        make_profile(mate)
        project = make_project(owner, team=[mate], title=f"Projet {n}-{i}")
        make_need(project)
    for i in range(n):
        make_follow(make_member(f"Abonnée {n}-{i}"), user=owner)
    return owner


def build_project(
    n,
    make_member,
    make_profile,
    make_project,
    make_need,
    make_help_offer,
    make_journal_entry,
    make_milestone,
    viewer,
):
    """A project with n teammates, n needs each with an offer, n news and n milestones."""
    owner = make_member(f"Porteur {n}")
    team = []
    for i in range(n):
        mate = make_member(f"Coéquipier {n}-{i}")
        make_profile(mate, avatar_file=f"{'a' * 30}{n:03d}{i:03d}.webp")
        team.append(mate)
    project = make_project(owner, team=team, title=f"Grand projet {n}")
    for i in range(n):
        helper = make_member(f"Aidant {n}-{i}")
        make_profile(helper)
        need = make_need(project, title=f"Besoin {i}")
        make_help_offer(
            need,
            helper,
            status="accepted" if i % 2 else "pending",
            responded_by_id=owner.id if i % 2 else None,
        )
        make_help_offer(need, viewer, message="Moi aussi, je peux aider.")
        make_journal_entry(project, author=team[i], title=f"Nouvelle {i}")
        make_milestone(project, kind="prize", note=f"Prix {i}")
    return project


def test_profile_page_costs_the_same_with_5_or_50_items(
    client,
    count_statements,
    db,
    viewer,
    make_member,
    make_profile,
    make_project,
    make_need,
    make_follow,
):
    small = build_profile(
        5, make_member, make_profile, make_project, make_need, make_follow, viewer
    )
    large = build_profile(
        50, make_member, make_profile, make_project, make_need, make_follow, viewer
    )
    few = statements_for(client, count_statements, f"/membres/{small.id}")
    many = statements_for(client, count_statements, f"/membres/{large.id}")
    assert few == many, (few, many)
    assert few - layout_cost(client, count_statements) <= 12


def test_project_page_costs_the_same_with_5_or_50_items(
    client,
    count_statements,
    db,
    viewer,
    make_member,
    make_profile,
    make_project,
    make_need,
    make_help_offer,
    make_journal_entry,
    make_milestone,
):
    args = (
        make_member,
        make_profile,
        make_project,
        make_need,
        make_help_offer,
        make_journal_entry,
        make_milestone,
        viewer,
    )
    small, large = build_project(5, *args), build_project(50, *args)
    for path in ("/projets/{}", "/projets/{}/suivi"):
        few = statements_for(client, count_statements, path.format(small.id))
        many = statements_for(client, count_statements, path.format(large.id))
        assert few == many, (path, few, many)
        assert few - layout_cost(client, count_statements) <= 12


def test_need_page_costs_the_same_with_5_or_50_offers(
    client,
    count_statements,
    auth,
    db,
    make_member,
    make_profile,
    make_project,
    make_need,
    make_help_offer,
):
    pages = []
    for n in (5, 50):
        owner = make_member(f"Porteur {n}")
        need = make_need(make_project(owner))
        for i in range(n):
            helper = make_member(f"Aidant {n}-{i}")
            make_profile(helper)
            make_help_offer(need, helper, status="accepted", responded_by_id=owner.id)
        auth.login_as(owner)
        pages.append(statements_for(client, count_statements, f"/besoins/{need.id}"))
    assert pages[0] == pages[1], pages


def test_feed_costs_the_same_with_5_or_50_items(
    client,
    count_statements,
    auth,
    db,
    make_member,
    make_profile,
    make_project,
    make_need,
    make_journal_entry,
    make_milestone,
    make_follow,
):
    counts = []
    for n in (5, 50):
        reader = make_member(f"Lectrice {n}")
        now = utcnow()
        for i in range(n):
            author = make_member(f"Auteur {n}-{i}")
            make_profile(author)
            project = make_project(author, title=f"Projet {n}-{i}")
            make_follow(reader, project=project)
            make_journal_entry(project, created_at=now - timedelta(minutes=3 * i))
            make_need(project, created_at=now - timedelta(minutes=3 * i + 1))
            make_milestone(project, declared_at=now - timedelta(minutes=3 * i + 2))
        auth.login_as(reader)
        counts.append(statements_for(client, count_statements, "/fil"))
        counts.append(statements_for(client, count_statements, "/"))  # the dashboard panels
    assert counts[0] == counts[2] and counts[1] == counts[3], counts


def test_lists_cost_the_same_with_5_or_50_items(
    client, count_statements, db, viewer, make_member, make_profile, make_project, make_need
):
    counts = []
    for n in (5, 45):  # the directory pages by 24, the projects by 12
        for i in range(n):
            member = make_member(f"Membre {n}-{i}")
            make_profile(member, skills=["Couture", f"S{i}"], roles=["porteur"])
            make_need(make_project(member, title=f"P {n}-{i}"))
        counts.append(
            (
                statements_for(client, count_statements, "/membres"),
                statements_for(client, count_statements, "/projets"),
            )
        )
    assert counts[0] == counts[1], counts
