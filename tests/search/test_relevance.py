"""Boosts: a title or a name counts most, then skills, themes and kinds, then the text;
messages count a little less than pages. Each rule is a story a member would notice."""

from __future__ import annotations

import pytest


@pytest.fixture
def members_and_pages(
    db, make_member, make_profile, make_project, make_need, make_group, post_message
):
    awa, karim, lina = make_member("Awa Diallo"), make_member("Karim Benali"), make_member("Lina")
    group = make_group("Agriculture urbaine", theme="agriculture", members=[awa, karim])
    # Text that mentions the words many times, to tempt term frequency.
    post_message(
        karim,
        group.channels[0],
        "La ferme urbaine, la ferme urbaine ! Qui visite la ferme urbaine samedi ?",
    )
    make_project(
        karim,
        title="Jardins partagés",
        description="Inspiré d'une ferme urbaine. La comptabilité est tenue par tous.",
    )
    farm = make_project(
        awa, title="Ferme urbaine du Bas-Montreuil", description="Maraîchage sur les toits."
    )
    make_need(
        farm,
        title="Des bras pour la récolte",
        description="Comptabilité, comptabilité et encore comptabilité à reprendre.",
    )
    make_profile(lina, skills=["Comptabilité"], bio="Trésorière d'associations.")
    return {"awa": awa, "karim": karim, "lina": lina, "farm": farm}


def ranking(find, user, text) -> list[str]:
    return [f"{i.type_name}:{i.obj.id}" for i in find(user, text, per_page=50).items]


def test_a_project_titled_with_the_words_outranks_a_message_repeating_them(members_and_pages, find):
    order = ranking(find, members_and_pages["karim"], "ferme urbaine")
    assert order[0] == f"project:{members_and_pages['farm'].id}"
    assert any(key.startswith("message:") for key in order[1:])


def test_a_member_with_the_skill_outranks_texts_that_mention_it(members_and_pages, find):
    order = ranking(find, members_and_pages["karim"], "comptabilité")
    assert order[0] == f"member:{members_and_pages['lina'].id}"
    assert len(order) == 3  # the member, the need, the project that mention it


def test_a_name_outranks_a_mention(db, make_member, make_project, find):
    awa = make_member("Awa Diallo")
    karim = make_member("Karim Benali")
    make_project(karim, title="Cantine", description="Avec Awa Diallo, qui cuisine si bien.")
    order = ranking(find, karim, "Awa Diallo")
    assert order[0] == f"member:{awa.id}"


def test_a_group_named_by_its_theme_comes_first_for_that_theme(members_and_pages, find):
    order = ranking(find, members_and_pages["karim"], "agriculture urbaine")
    assert order[0].startswith("group:")
