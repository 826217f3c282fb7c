"""How groups plug into the platform: navigation badges, the dashboard panel, e-mail kinds,
account deletion, data export, group-page panels and the demo network."""

from __future__ import annotations

from sqlalchemy import func, select

from tremplin.groups import GroupPanel, group_panels, groups_of, register_group_panel, unread_counts
from tremplin.groups.models import Group, GroupMembership, Message
from tremplin.platform.hooks import registry


def test_navigation_and_dashboard_show_unread_messages(
    app, client, auth, make_group, make_member, make_organiser, post_message
):
    claire = make_organiser("Claire")
    awa = make_member("Awa")
    group = make_group("Cuisines du monde", organiser=claire, members=[awa])
    post_message(claire, group.channels[0], "Bienvenue !")
    auth.login_as(awa)
    page = client.get("/groupes")
    assert 'data-nav-badge="groups.index">1<' in page.text
    panel = next(
        p for p in registry.dashboard_panels if p.template == "groups/_dashboard_panel.html"
    )
    with app.test_request_context():
        from flask import render_template

        html = render_template(panel.template, ctx=panel.loader(awa))
    assert "Mes groupes" in html and "Cuisines du monde" in html and '<span class="badge">1' in html
    assert {
        "groups_mention",
        "groups_conversation",
        "groups_membership",
        "groups_moderation",
    } <= set(registry.email_kinds)
    assert [g.name for g in groups_of(awa)] == ["Cuisines du monde"]
    assert unread_counts(awa).total == 1


def test_deleted_accounts_leave_their_messages_but_no_membership(
    app, db, make_group, make_member, make_organiser, post_message
):
    claire = make_organiser("Claire")
    awa = make_member("Awa")
    group = make_group(organiser=claire, members=[awa])
    post_message(awa, group.channels[0], "Mon dernier message")
    for hook in registry.on_account_deleted:
        hook(awa)
    db.session.commit()
    assert (
        db.session.scalar(
            select(func.count(GroupMembership.id)).where(GroupMembership.user_id == awa.id)
        )
        == 0
    )
    assert db.session.scalar(select(Message.body)) == "Mon dernier message"


def test_data_export_contains_the_members_messages(
    app, make_group, make_member, make_organiser, post_message
):
    claire = make_organiser("Claire")
    awa = make_member("Awa")
    group = make_group("Cuisines du monde", organiser=claire, members=[awa])
    post_message(awa, group.channels[0], "Bonjour")
    export = {}
    for exporter in registry.data_exporters:
        export.update(exporter(awa))
    assert export["groupes"]["messages"][0]["texte"] == "Bonjour"
    assert export["groupes"]["adhesions"][0]["groupe"] == "Cuisines du monde"


def test_other_modules_add_panels_to_the_group_page(client, make_group, tmp_path, app):
    group = make_group("Cuisines du monde")
    page = client.get(f"/groupes/{group.slug}")
    assert "Prochaines rencontres" not in page.text  # nothing shown while no module fills it
    app.jinja_loader.searchpath.append(str(tmp_path))
    (tmp_path / "panel.html").write_text("<h2>Prochaines rencontres</h2><p>{{ ctx.n }} à venir</p>")
    panel = GroupPanel("panel.html", lambda g, user: {"n": 2}, order=10)
    register_group_panel(panel)
    try:
        assert "2 à venir" in client.get(f"/groupes/{group.slug}").text
    finally:
        group_panels.remove(panel)


def test_demo_network_has_groups_channels_and_history(app, db):
    from tremplin.platform import demo

    with app.test_request_context():
        summary = demo.load()
        db.session.commit()
    assert summary["groupes"] == 5 and summary["messages"] > 30
    slugs = set(db.session.scalars(select(Group.slug)))
    assert {
        "restauration",
        "numerique",
        "cosmetique",
        "entreprendre-au-feminin",
        "dynamiques-africaines",
    } <= slugs
    private = db.session.scalar(select(Group).where(Group.slug == "entreprendre-au-feminin"))
    assert private.is_private and private.charter_version == 1
