"""Following members and projects, and the feed of what they post."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tremplin.members.feed import feed
from tremplin.members.models import Follow
from tremplin.platform.models import Notification
from tremplin.platform.types import utcnow


def test_feed_shows_news_needs_and_milestones_of_what_i_follow(
    client, auth, db, make_member, make_project, make_need, make_journal_entry, make_milestone
):
    awa, karim, moussa = make_member("Awa"), make_member("Karim"), make_member("Moussa")
    retoucherie = make_project(karim, title="L’Éco-retoucherie")
    sahel = make_project(moussa, title="Sahel Saveurs")
    unfollowed = make_project(make_member("Lucie"), title="La Manufacture")
    now = utcnow()
    make_journal_entry(retoucherie, title="Nous avons un local", created_at=now - timedelta(days=3))
    make_need(retoucherie, title="Des couturières bénévoles", created_at=now - timedelta(days=2))
    make_milestone(sahel, kind="first_funding", declared_at=now - timedelta(days=1))
    make_journal_entry(unfollowed, title="Trois mille visiteurs")

    auth.login_as(awa)
    client.post(f"/projets/{retoucherie.id}/suivre")
    client.post(f"/membres/{moussa.id}/suivre")
    page = client.get("/fil").text
    assert "Trois mille visiteurs" not in page
    positions = [
        page.index(text)
        for text in (
            "Premier financement obtenu",
            "Des couturières bénévoles",
            "Nous avons un local",
        )
    ]
    assert positions == sorted(positions)  # newest first

    client.post(f"/projets/{retoucherie.id}/ne-plus-suivre")
    page = client.get("/fil").text
    assert "Nous avons un local" not in page and "Premier financement obtenu" in page


def test_my_own_posts_are_not_in_my_feed(
    db, make_member, make_project, make_journal_entry, make_follow
):
    awa, karim = make_member("Awa"), make_member("Karim")
    project = make_project(karim, team=[awa])
    make_follow(awa, user=karim)
    make_journal_entry(project, author=awa, title="Écrit par moi")
    make_journal_entry(project, author=karim, title="Écrit par Karim")
    titles = [item.obj.title for item in feed(awa).items]
    assert titles == ["Écrit par Karim"]


def test_feed_is_paged(
    client, auth, db, make_member, make_project, make_journal_entry, make_follow
):
    awa = make_member("Awa")
    project = make_project(make_member("Karim"))
    make_follow(awa, project=project)
    now = utcnow()
    for i in range(25):
        make_journal_entry(project, title=f"Nouvelle {i:02d}", created_at=now - timedelta(hours=i))
    auth.login_as(awa)
    first, second = client.get("/fil").text, client.get("/fil?page=2").text
    assert "Page 1 sur 2" in first and "Nouvelle 00" in first and "Nouvelle 24" not in first
    assert "Nouvelle 24" in second and "Nouvelle 00" not in second


def test_the_feed_and_following_are_for_members(client, db, make_member, make_project):
    project = make_project(make_member("Karim"))
    assert "/connexion" in client.get("/fil").headers["Location"]
    assert "/connexion" in client.post(f"/projets/{project.id}/suivre").headers["Location"]


def test_nobody_follows_themselves(client, auth, db, make_member):
    awa = auth.login_as(make_member("Awa"))
    assert client.post(f"/membres/{awa.id}/suivre").status_code == 403
    assert db.session.scalar(select(Follow)) is None


def test_followers_hear_of_a_new_need(client, auth, db, make_member, make_project, make_follow):
    karim, awa, jean = make_member("Karim"), make_member("Awa"), make_member("Jean")
    project = make_project(karim, title="L’Éco-retoucherie")
    make_follow(awa, project=project)
    make_follow(jean, user=karim)
    auth.login_as(karim)
    client.post(
        f"/projets/{project.id}/besoins/nouveau",
        data={"kind": "competences", "title": "Des couturières bénévoles"},
    )
    notes = db.session.scalars(
        select(Notification).where(Notification.kind == "members_followed")
    ).all()
    assert {n.user_id for n in notes} == {awa.id, jean.id}
    assert "Des couturières bénévoles" in notes[0].text


def test_dashboard_shows_my_projects_and_my_feed(
    client,
    auth,
    db,
    make_member,
    make_project,
    make_need,
    make_help_offer,
    make_journal_entry,
    make_follow,
):
    awa, jean = make_member("Awa"), make_member("Jean")
    cosm = make_project(awa, title="Maison de Cosm’éthique")
    need = make_need(cosm, title="Un atelier")
    make_help_offer(need, jean)
    invite = make_project(make_member("Karim"), title="L’Éco-retoucherie", invited=[awa])
    make_follow(awa, project=invite)
    make_journal_entry(invite, title="Première collecte")
    auth.login_as(awa)
    home = client.get("/").text
    assert "Mes projets et leurs besoins" in home and "Maison de Cosm’éthique" in home
    assert "1 proposition à examiner" in home
    assert "Invitation à rejoindre l’équipe de « L’Éco-retoucherie »" in home
    assert "Fil d’actualité" in home and "Première collecte" in home


def test_visitors_home_shows_projects_seeking_help(
    client, db, make_member, make_project, make_need
):
    project = make_project(make_member("Karim"), title="L’Éco-retoucherie")
    make_need(project)
    hidden = make_project(make_member("Élodie"), title="Clic Solidaire", visibility="members")
    make_need(hidden)
    home = client.get("/").text
    assert "Ces projets cherchent de l’aide" in home
    assert "L’Éco-retoucherie" in home and "Clic Solidaire" not in home
