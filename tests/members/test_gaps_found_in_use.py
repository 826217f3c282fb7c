"""Gaps users hit (issue #21): a deleted member's name in conversation titles, a project
left without anyone, a private phone shown after a mise en relation, long texts cut
silently, HTML typed into a one-line summary."""

from __future__ import annotations

from sqlalchemy import select

from tests.kit.factories import DEFAULT_PASSWORD
from tests.members.test_profiles import profile_post
from tests.members.test_projects import project_post
from tremplin.members.models import Profile, Project
from tremplin.platform.models import Notification, User

# --- deletion --------------------------------------------------------------------------------


def test_a_deleted_members_name_leaves_the_titles_of_their_private_conversations(
    app, client, auth, db, make_member
):
    from tremplin.groups import open_conversation

    fatou = make_member("Fatou Sow")
    awa = make_member("Awa Diallo-Traoré")
    with app.test_request_context():
        conversation = open_conversation(
            [fatou, awa], title="Fatou Sow · Awa Diallo-Traoré", kind="mentoring", owner=None
        )
        db.session.commit()
    auth.login_as(awa)
    response = client.post("/compte/supprimer", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    auth.login_as(fatou)
    for url in ("/messages", f"/messages/{conversation.id}"):
        page = client.get(url)
        assert page.status_code == 200
        assert "Awa Diallo-Traoré" not in page.text, url
        assert "Membre supprimé" in page.text, url


def test_a_project_whose_only_member_left_is_hidden_and_an_organiser_told(
    client, auth, db, make_member, make_organiser, make_project
):
    claire = make_organiser("Claire Animatrice")
    karim = make_member("Karim Seul")
    project = make_project(karim, title="Atelier orphelin")
    auth.login_as(karim)
    client.post("/compte/supprimer", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Project, project.id).orphaned_at is not None

    auth.logout()
    assert client.get(f"/projets/{project.id}").status_code in (302, 403, 404)  # 302: log in
    assert "Atelier orphelin" not in client.get("/projets").text
    auth.login_as(make_member("Autre membre"))
    assert client.get(f"/projets/{project.id}").status_code in (403, 404)
    assert "Atelier orphelin" not in client.get("/projets").text

    note = db.session.scalar(select(Notification).where(Notification.user_id == claire.id))
    assert note is not None and "Atelier orphelin" in note.text and "masqué" in note.text
    auth.login_as(claire)
    assert client.get(f"/projets/{project.id}").status_code == 200


def test_a_project_with_a_teammate_left_passes_on_and_stays_visible(
    client, auth, db, make_member, make_project
):
    karim = make_member("Karim")
    mate = make_member("Moussa")
    project = make_project(karim, title="Atelier partagé", team=[mate])
    auth.login_as(karim)
    client.post("/compte/supprimer", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Project, project.id).orphaned_at is None
    auth.logout()
    assert client.get(f"/projets/{project.id}").status_code == 200


# --- privacy ---------------------------------------------------------------------------------


def test_a_phone_kept_to_oneself_is_not_shared_by_a_mise_en_relation(app, db, make_member):
    from tremplin.members.people import contact_details

    helper = make_member("Jean Aidant", email="jean@exemple.fr")
    db.session.add(Profile(user_id=helper.id, phone="01 99 00 12 34", phone_visibility="private"))
    db.session.commit()
    with app.test_request_context():
        contact = contact_details(helper)
        assert contact.email == "jean@exemple.fr" and contact.phone is None
        profile = db.session.get(Profile, helper.id)
        profile.phone_visibility = "members"
        db.session.commit()
        assert contact_details(db.session.get(User, helper.id)).phone == "01 99 00 12 34"


def test_the_profile_form_says_what_a_mise_en_relation_shares(client, auth, make_member):
    auth.login_as(make_member("Awa"))
    page = client.get("/profil/modifier").text
    assert "sauf s’il est réglé sur « Moi seulement »" in page


# --- long texts ------------------------------------------------------------------------------


def test_long_texts_are_refused_with_the_limit_never_cut(
    client, auth, db, make_member, make_organiser
):
    awa = make_member("Awa Diallo")
    auth.login_as(awa)
    response = client.post("/profil/modifier", data=profile_post(display_name="A" * 10_000))
    assert response.status_code == 200 and "80" in response.text
    assert db.session.get(User, awa.id).display_name == "Awa Diallo"

    response = client.post("/projets/nouveau", data=project_post(pitch="p" * 10_000))
    assert response.status_code == 200 and "280 caractères" in response.text
    assert db.session.scalar(select(Project)) is None

    auth.login_as(make_organiser("Claire"))
    response = client.post(
        "/rencontres/nouvelle",
        data={
            "title": "T" * 10_000,
            "group_id": "0",
            "starts_at": "2030-01-10T19:00",
            "ends_at": "2030-01-10T21:30",
            "table_minutes": "20",
        },
    )
    assert response.status_code == 200 and "160" in response.text


def test_fields_show_a_counter_instead_of_a_silent_maxlength(client, auth, make_member):
    auth.login_as(make_member("Awa"))
    page = client.get("/projets/nouveau").text
    pitch = page[page.index('name="pitch"') - 300 : page.index('name="pitch"') + 300]
    assert 'data-maxlength="280"' in pitch and " maxlength=" not in pitch
    assert "js/charcount.js" in page


def test_agenda_line_too_long_is_refused_not_cut(app):
    import pytest

    from tremplin.meetups.meetups import parse_agenda
    from tremplin.platform.errors import DomainError

    with app.test_request_context(), pytest.raises(DomainError, match="160 caractères"):
        parse_agenda("20 min – " + "x" * 200)


# --- formatting ------------------------------------------------------------------------------


def test_html_in_a_project_summary_is_refused_with_the_formatting_allowed(
    client, auth, db, make_member
):
    auth.login_as(make_member("Awa"))
    form = client.get("/projets/nouveau").text
    assert "Texte simple, sans mise en forme" in form and "Le HTML" in form
    response = client.post(
        "/projets/nouveau", data=project_post(pitch="Un projet <b>gras?</b> pour le quartier")
    )
    assert response.status_code == 200
    assert "texte simple" in response.text and "Markdown" in response.text
    assert db.session.scalar(select(Project)) is None
    ok = client.post("/projets/nouveau", data=project_post(pitch="Un projet <3 pour le quartier"))
    assert ok.status_code == 302
