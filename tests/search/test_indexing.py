"""The index follows the database: what is created, edited, deleted or hidden is found
(or not) as soon as it is committed — and never before, nor after a rollback."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from tremplin.platform.extensions import db as _db
from tremplin.platform.types import utcnow
from tremplin.search.documents import registry


def indexed(search_index, doc_id: str) -> list[dict]:
    return [d for d in search_index.documents() if d["id"] == doc_id]


def test_a_new_project_is_found_once_committed_and_never_after_a_rollback(
    db, make_member, find, visitor
):
    from tremplin.members.models import Project

    awa = make_member("Awa")
    _db.session.add(Project(title="Épicerie vrac", pitch="Zéro déchet", owner_id=awa.id))
    _db.session.flush()
    assert find.keys(visitor, "épicerie") == set()  # flushed, not committed
    _db.session.rollback()
    assert find.keys(visitor, "épicerie") == set()
    project = Project(title="Épicerie vrac", pitch="Zéro déchet", owner_id=awa.id)
    _db.session.add(project)
    _db.session.commit()
    assert find.keys(visitor, "epicerie") == {f"project:{project.id}"}


def test_editing_a_project_through_its_service_replaces_its_words(
    db, make_member, make_project, find, visitor, in_request
):
    from tremplin.members import projects

    awa = make_member("Awa")
    project = make_project(awa, title="Friperie solidaire")
    with in_request():
        projects.update_project(
            project,
            awa,
            projects.ProjectFields(
                title="Ressourcerie solidaire",
                pitch=project.pitch,
                description=project.description,
                theme=project.theme,
                stage=project.stage,
                commune=project.commune,
                departement=project.departement,
                visibility="public",
            ),
        )
    assert find.keys(visitor, "friperie") == set()
    assert find.keys(visitor, "ressourcerie") == {f"project:{project.id}"}


def test_deleting_a_project_removes_it_and_its_needs(
    db, make_member, make_project, make_need, find, search_index, visitor
):
    awa = make_member("Awa")
    project = make_project(awa, title="Cantine de quartier")
    need = make_need(project, title="Une cuisinière pour la cantine")
    keys = {f"project:{project.id}", f"need:{need.id}"}
    assert find.keys(visitor, "cantine") == keys
    _db.session.delete(project)
    _db.session.commit()
    assert find.keys(visitor, "cantine") == set()
    assert not any(d["id"] in keys for d in search_index.documents())


def test_a_fulfilled_need_leaves_the_index_and_comes_back_when_reopened(
    db, make_member, make_project, make_need, find, visitor, in_request
):
    from tremplin.members.needs import set_fulfilled

    awa = make_member("Awa")
    need = make_need(make_project(awa), title="Un four à pain")
    with in_request():
        set_fulfilled(need, awa, True)
    assert find.keys(visitor, "four") == set()
    with in_request():
        set_fulfilled(need, awa, False)
    assert find.keys(visitor, "four") == {f"need:{need.id}"}


def test_a_project_made_members_only_leaves_visitors_results_with_its_needs(
    db, make_member, make_project, make_need, find, visitor
):
    awa, karim = make_member("Awa"), make_member("Karim")
    project = make_project(awa, title="Tiers-lieu")
    need = make_need(project, title="Des chaises pour le tiers-lieu")
    project.visibility = "members"
    _db.session.commit()
    assert find.keys(visitor, "tiers-lieu") == set()
    assert find.keys(karim, "tiers-lieu") == {f"project:{project.id}", f"need:{need.id}"}


def test_a_group_becoming_private_hides_its_messages_at_once(
    db, make_group, make_member, post_message, find, in_request
):
    from tremplin.groups import groups as services

    claire = None
    karim = make_member("Karim")
    group = make_group("Boulangers")
    claire = group.memberships[0].user
    message = post_message(claire, group.channels[0], "Le levain se partage ici")
    assert find.keys(karim, "levain") == {f"message:{message.id}"}
    with in_request():
        services.update_group(
            claire,
            group,
            services.GroupFields(
                name=group.name,
                description=group.description,
                theme=group.theme,
                visibility="private",
            ),
        )
    assert find.keys(karim, "levain") == set()
    assert find.keys(claire, "levain") == {f"message:{message.id}"}


def test_renaming_a_group_renames_where_its_messages_say_they_are(
    db, make_group, post_message, find, search_index, in_request
):
    from tremplin.groups import groups as services

    group = make_group("Boulangers")
    claire = group.memberships[0].user
    message = post_message(claire, group.channels[0], "Le levain se partage ici")
    with in_request():
        services.update_group(
            claire,
            group,
            services.GroupFields(
                name="Boulangères et boulangers",
                description=group.description,
                theme=group.theme,
                visibility="public",
            ),
        )
    [doc] = indexed(search_index, f"message:{message.id}")
    assert doc["subtitle"].endswith("Boulangères et boulangers")


def test_edited_and_deleted_messages_follow(db, make_group, post_message, find, in_request):
    from tremplin.groups import chat

    group = make_group("Boulangers")
    claire = group.memberships[0].user
    message = post_message(claire, group.channels[0], "Le levain se partage ici")
    with in_request():
        chat.edit_message(claire, message, "La farine se partage ici")
    assert find.keys(claire, "levain") == set()
    assert find.keys(claire, "farine") == {f"message:{message.id}"}
    with in_request():
        chat.delete_message(claire, message)
    assert find.keys(claire, "farine") == set()


def test_a_deleted_group_takes_its_messages_with_it(db, make_group, post_message, search_index):
    group = make_group("Boulangers")
    claire = group.memberships[0].user
    message = post_message(claire, group.channels[0], "Le levain se partage ici")
    message_key, group_key = f"message:{message.id}", f"group:{group.id}"
    assert indexed(search_index, message_key)
    _db.session.delete(group)
    _db.session.commit()
    assert not indexed(search_index, message_key)
    assert not indexed(search_index, group_key)


def test_a_field_made_private_is_forgotten_at_once(db, make_member, make_profile, find, in_request):
    from tremplin.members.profiles import ProfileFields, update_profile

    awa, karim = make_member("Awa Diallo"), make_member("Karim")
    make_profile(awa, skills=["Soudure"], bio="Je répare les vélos.")
    assert find.keys(karim, "soudure") == {f"member:{awa.id}"}
    assert find.keys(karim, "vélos") == {f"member:{awa.id}"}
    with in_request():
        update_profile(
            awa,
            ProfileFields(
                display_name="Awa Diallo",
                bio="Je répare les vélos.",
                skills=["Soudure"],
                visibility={"skills": "private", "bio": "private"},
            ),
        )
    assert find.keys(karim, "soudure") == set()
    assert find.keys(karim, "vélos") == set()
    assert find.keys(karim, "Awa") == {f"member:{awa.id}"}


def test_a_new_skill_is_found_and_a_removed_one_forgotten(
    db, make_member, make_profile, find, in_request
):
    from tremplin.members.profiles import ProfileFields, update_profile

    awa, karim = make_member("Awa Diallo"), make_member("Karim")
    make_profile(awa, skills=["Soudure"])
    with in_request():
        update_profile(awa, ProfileFields(display_name="Awa Diallo", skills=["Comptabilité"]))
    assert find.keys(karim, "soudure") == set()
    assert find.keys(karim, "comptabilite") == {f"member:{awa.id}"}


def test_account_deletion_removes_the_member_and_their_name(
    db,
    make_member,
    make_profile,
    make_project,
    make_group,
    post_message,
    find,
    search_index,
    in_request,
):
    from tremplin.platform import accounts

    awa, karim = make_member("Awa Diallo"), make_member("Karim")
    make_profile(awa, skills=["Soudure"])
    project = make_project(awa, title="Atelier Awa Diallo", team=[karim])
    group = make_group("Boulangers", members=[awa, karim])
    post_message(awa, group.channels[0], "Merci Karim pour la recette")
    assert f"member:{awa.id}" in find.keys(karim, "Diallo")
    with in_request():
        accounts.erase_account(awa)
    assert find.keys(karim, "Diallo") == set()
    assert find.keys(karim, "soudure") == set()
    assert not indexed(search_index, f"member:{awa.id}")
    # What she wrote stays, without her name.
    assert len(find.keys(karim, "recette")) == 1
    [doc] = indexed(search_index, f"project:{project.id}")
    assert "Diallo" not in doc["title"]


def test_a_bulk_update_is_followed(db, make_member, make_project, find, visitor):
    from tremplin.members.models import Project

    awa = make_member("Awa")
    project = make_project(awa, title="Atelier couture")
    _db.session.execute(
        update(Project).where(Project.id == project.id).values(title="Atelier broderie")
    )
    _db.session.commit()
    assert find.keys(visitor, "couture") == set()
    assert find.keys(visitor, "broderie") == {f"project:{project.id}"}


def test_a_bulk_delete_and_a_core_update_are_followed(
    db, make_member, make_project, make_need, make_profile, find, visitor
):
    from sqlalchemy import delete

    from tremplin.members.models import Need, ProfileTag

    awa, karim = make_member("Awa"), make_member("Karim")
    make_profile(awa, skills=["Menuiserie"])
    need = make_need(make_project(awa), title="Un établi de menuisier")
    key = f"need:{need.id}"
    _db.session.execute(delete(Need).where(Need.id == need.id))
    _db.session.execute(
        update(ProfileTag.__table__).where(ProfileTag.user_id == awa.id).values(value="Ébénisterie")
    )
    _db.session.commit()
    assert key not in find.keys(visitor, "établi")
    assert find.keys(karim, "menuiserie") == set()
    assert find.keys(karim, "ébénisterie") == {f"member:{awa.id}"}


def test_a_savepoint_rolled_back_keeps_what_the_transaction_did_before(
    db, make_member, find, visitor
):
    from tremplin.members.models import Project

    awa = make_member("Awa")
    kept = Project(title="Compostage collectif", pitch="…", owner_id=awa.id)
    _db.session.add(kept)
    _db.session.flush()
    nested = _db.session.begin_nested()
    _db.session.add(Project(title="Compostage abandonné", pitch="…", owner_id=awa.id))
    _db.session.flush()
    nested.rollback()
    _db.session.commit()
    assert find.keys(visitor, "compostage") == {f"project:{kept.id}"}


def test_a_released_savepoint_is_not_a_commit(db, make_member, find, visitor):
    """Services use savepoints (`with begin_nested():`): releasing one commits nothing,
    so nothing is indexed until the transaction itself commits — or ever, if it rolls
    back."""
    from tremplin.members.models import Project

    awa = make_member("Awa")
    with _db.session.begin_nested():
        _db.session.add(Project(title="Laverie solidaire", pitch="…", owner_id=awa.id))
    assert find.keys(visitor, "laverie") == set()
    _db.session.rollback()
    assert find.keys(visitor, "laverie") == set()
    with _db.session.begin_nested():
        project = Project(title="Laverie solidaire", pitch="…", owner_id=awa.id)
        _db.session.add(project)
    _db.session.commit()
    assert find.keys(visitor, "laverie") == {f"project:{project.id}"}


def test_an_index_failure_never_fails_the_commit_and_is_retried(
    db, app, make_member, make_project, find, visitor, monkeypatch
):
    backend = app.extensions["search"].backend
    original = backend.index
    calls = []

    def failing(docs):
        calls.append(1)
        if len(calls) == 1:
            raise TimeoutError("the index is locked")
        return original(docs)

    awa = make_member("Awa")
    monkeypatch.setattr(backend, "index", failing)
    project = make_project(awa, title="Brasserie coopérative")  # commits despite the failure
    assert find.keys(visitor, "brasserie") == set()
    make_project(awa, title="Autre chose")  # the next commit retries
    assert find.keys(visitor, "brasserie") == {f"project:{project.id}"}


def require(type_name: str) -> None:
    assert type_name in registry.types, f"no {type_name} type: its module does not register it"


def test_meetups_and_opportunities_follow_their_state_and_group(
    db, make_group, make_organiser, find, visitor, in_request
):
    require("meetup")
    from tremplin.groups import groups as services
    from tremplin.meetups.models import Meetup, Opportunity

    claire = make_organiser("Claire")
    group = make_group("Cuisine", organiser=claire)
    start = utcnow() + timedelta(days=5)
    meetup = Meetup(
        title="Atelier pâtisserie",
        state="draft",
        group_id=group.id,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    opportunity = Opportunity(title="Appel pâtisserie", kind="funding", group_id=group.id)
    _db.session.add_all([meetup, opportunity])
    _db.session.commit()
    assert find.keys(visitor, "pâtisserie") == {f"opportunity:{opportunity.id}"}
    meetup.state = "published"
    _db.session.commit()
    assert find.keys(visitor, "patisserie") == {
        f"meetup:{meetup.id}",
        f"opportunity:{opportunity.id}",
    }
    with in_request():
        services.update_group(
            claire,
            group,
            services.GroupFields(
                name=group.name,
                description=group.description,
                theme=group.theme,
                visibility="private",
            ),
        )
    assert find.keys(visitor, "patisserie") == set()
    opportunity.archived_at = utcnow()
    _db.session.commit()
    assert find.keys(claire, "patisserie") == {f"meetup:{meetup.id}"}


def test_a_campaign_is_found_once_opened(db, make_member, make_project, find, visitor):
    require("campaign")
    from tremplin.funding.models import Campaign

    awa = make_member("Awa")
    project = make_project(awa, title="Four solaire")
    campaign = Campaign(
        project_id=project.id,
        title="Financer le four solaire",
        summary="Cuire sans gaz",
        goal_cents=300_000,
        status="draft",
        deadline_at=utcnow() + timedelta(days=45),
    )
    _db.session.add(campaign)
    _db.session.commit()
    assert find.keys(visitor, "financer") == set()
    campaign.status = "open"
    campaign.opened_at = utcnow()
    _db.session.commit()
    assert find.keys(visitor, "financer") == {f"campaign:{campaign.id}"}
    project.visibility = "members"  # the campaign follows its project's visibility
    _db.session.commit()
    assert find.keys(visitor, "financer") == set()


def test_a_club_card_is_found_only_while_published(db, find, visitor):
    require("club")
    from tremplin.funding.clubs import InvestorClub

    club = InvestorClub(
        name="Cigales du Ried", territory="Sélestat", founded_on=date(2024, 3, 1), is_public=False
    )
    _db.session.add(club)
    _db.session.commit()
    assert find.keys(visitor, "cigales") == set()
    club.is_public = True
    _db.session.commit()
    assert find.keys(visitor, "cigales") == {f"club:{club.id}"}
    club.lock_version += 1  # savings and votes move this: no reindex needed, none done
    _db.session.commit()
    club.is_public = False
    _db.session.commit()
    assert find.keys(visitor, "cigales") == set()


def test_reindex_builds_the_same_documents_as_the_incremental_updates(
    db, app, search_world, search_index, in_request
):
    """Everything the world fixture did, then a few edits, a deletion and visibility
    changes, each indexed after its commit: a rebuild from the database finds exactly
    the same documents."""
    from tremplin.groups import groups as services

    w = search_world
    w.project.title = "Conserverie marqueur renommée"
    w.need_members.status = "fulfilled"
    _db.session.delete(w.need)
    w.public_message.hidden_at = utcnow()
    _db.session.commit()
    with in_request():
        services.update_group(
            w.claire,
            w.public_group,
            services.GroupFields(
                name="Cuisine ouverte marqueur",
                description="",
                theme="restauration",
                visibility="private",
            ),
        )
    incremental = search_index.documents()
    assert incremental
    count = app.extensions["search"].indexer.rebuild()
    rebuilt = search_index.documents()
    assert count == len(rebuilt)
    assert rebuilt == incremental
    assert {"member", "project", "group", "message"} <= {d["type"] for d in rebuilt}


def test_cli_reindex_and_if_empty(db, app, make_member, make_project, search_index):
    awa = make_member("Awa")
    make_project(awa, title="Recyclerie")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "reindex", "--if-empty"])
    assert "déjà rempli" in result.output and result.exit_code == 0
    search_index.clear()
    assert search_index.count() == 0
    result = runner.invoke(args=["search", "reindex", "--if-empty"])
    assert result.exit_code == 0 and "reconstruit" in result.output
    assert search_index.count() == 2  # Awa (members' view) and her project
    result = runner.invoke(args=["search", "stats"])
    assert "project: 1" in result.output and "total: 2" in result.output


def test_the_demo_network_indexed_as_it_is_built_equals_a_rebuild(db, app, search_index):
    """Every module's own services build the demo network (savepoints, bulk statements,
    cascades and all); what the session events indexed along the way is exactly what a
    rebuild from the database gives."""
    from tremplin.platform import demo

    with app.test_request_context():
        demo.load()
        _db.session.commit()
    incremental = search_index.documents()
    assert {"member", "project", "need", "group", "message"} <= {d["type"] for d in incremental}
    app.extensions["search"].indexer.rebuild()
    assert search_index.documents() == incremental


def test_cli_reindex_clears_the_queued_updates_it_superseded(
    db, app, make_member, make_project, find, visitor, monkeypatch
):
    """Updates queued before a reindex (a consumer was down) are done by it: their rows
    go. A row queued while the rebuild reads the database stays for the drain."""
    from sqlalchemy import insert, select

    from tremplin.search.queue import SearchQueueEntry

    awa = make_member("Awa")
    project = make_project(awa, title="Recyclerie")
    with _db.engine.begin() as conn:  # changed and queued, not drained (no consumer)
        table = type(project).__table__
        conn.execute(update(table).where(table.c.id == project.id).values(title="Ressourcerie"))
        conn.execute(
            insert(SearchQueueEntry.__table__),
            [{"key": f"project:{project.id}"}, {"key": "member:0", "action": "remove"}],
        )
    assert find.keys(visitor, "ressourcerie") == set()
    queued_before = set(_db.session.scalars(select(SearchQueueEntry.id)))
    assert len(queued_before) >= 2
    indexer = app.extensions["search"].indexer
    reading = indexer.all_documents

    def all_documents():  # another process queues an update while the rebuild reads
        with _db.engine.begin() as conn:
            conn.execute(insert(SearchQueueEntry.__table__), {"key": "project:999999"})
        yield from reading()

    monkeypatch.setattr(indexer, "all_documents", all_documents)
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    _db.session.rollback()
    left = _db.session.execute(select(SearchQueueEntry.id, SearchQueueEntry.key)).all()
    assert [row.key for row in left] == ["project:999999"]
    assert not {row.id for row in left} & queued_before
    assert find.keys(visitor, "ressourcerie") == {f"project:{project.id}"}


@pytest.fixture
def on_disk(app_config, tmp_path):
    """The index in a directory, as in production (tests use RAM otherwise)."""
    app_config.update(
        SEARCH_BACKEND="whoosh", SEARCH_INDEX_IN_RAM=False, SEARCH_INDEX_DIR=str(tmp_path / "index")
    )
    return tmp_path / "index"


def test_an_index_on_disk_follows_commits_and_rebuilds_in_place(
    on_disk, app, db, make_member, make_project, find, visitor
):
    awa = make_member("Awa")
    project = make_project(awa, title="Cidrerie coopérative")
    assert find.keys(visitor, "cidrerie") == {f"project:{project.id}"}
    before = (on_disk / "CURRENT").read_text()
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "2 documents" in result.output
    assert (on_disk / "CURRENT").read_text() != before  # a new generation, swapped in
    assert find.keys(visitor, "cidrerie") == {f"project:{project.id}"}
    project.title = "Cidrerie et brasserie"
    _db.session.commit()
    assert find.keys(visitor, "brasserie") == {f"project:{project.id}"}
