"""Project pages: creating and editing them, who may see and change them, the team
(invited by the owner, who accept or decline), and the project list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tremplin.members.models import ACCEPTED, DECLINED, INVITED, OWNER, Project, ProjectMember
from tremplin.platform.models import Notification


def project_post(**overrides) -> dict:
    data = {
        "title": "L’Éco-retoucherie",
        "pitch": "Retouches et recyclage textile au 11e.",
        "description": "## Notre atelier\n\nDes **retouches** solidaires.",
        "theme": "textile",
        "stage": "developpement",
        "commune": "Paris 11e",
        "departement": "75",
        "visibility": "public",
    }
    data.update(overrides)
    return data


def test_porteur_creates_a_project_and_is_its_owner(client, auth, db, make_member):
    karim = auth.login_as(make_member("Karim"))
    response = client.post("/projets/nouveau", data=project_post())
    assert response.status_code == 302
    project = db.session.scalar(select(Project))
    assert response.headers["Location"] == f"/projets/{project.id}"
    assert project.owner_id == karim.id
    assert [(m.user_id, m.role, m.status) for m in project.memberships] == [
        (karim.id, OWNER, ACCEPTED)
    ]

    page = client.get(f"/projets/{project.id}").text
    assert "L’Éco-retoucherie" in page and "<strong>retouches</strong>" in page
    assert "Développement" in page and "Textile et mode éthique" in page
    assert "Ajouter un besoin" in page  # the team's own actions


def test_project_form_errors_are_next_to_fields_and_input_is_kept(client, auth, db, make_member):
    auth.login_as(make_member("Karim"))
    response = client.post(
        "/projets/nouveau", data=project_post(title="", pitch="court", stage="lune")
    )
    assert response.status_code == 200
    assert 'id="title-error"' in response.text and "Ce champ est obligatoire" in response.text
    assert 'id="pitch-error"' in response.text and "Entre 10 et 280 caractères" in response.text
    assert 'id="stage-error"' in response.text
    assert "Des **retouches** solidaires." in response.text
    assert db.session.scalar(select(Project)) is None


def test_creating_a_project_needs_an_account(client, db):
    response = client.post("/projets/nouveau", data=project_post())
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_team_member_edits_the_project(client, auth, db, make_member, make_project):
    karim, elodie = make_member("Karim"), make_member("Élodie")
    project = make_project(karim, team=[elodie])
    auth.login_as(elodie)
    assert client.get(f"/projets/{project.id}/modifier").status_code == 200
    response = client.post(
        f"/projets/{project.id}/modifier",
        data=project_post(title="La Grande Retoucherie", stage="essaimage"),
    )
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.title == "La Grande Retoucherie" and project.stage == "essaimage"


@pytest.mark.parametrize("who", ["stranger", "invited", "declined"])
def test_editing_a_project_you_are_not_on_the_team_of_is_403(
    client, auth, db, make_member, make_project, who
):
    owner, other = make_member("Karim"), make_member("Autre")
    project = make_project(owner, invited=[other] if who != "stranger" else [])
    if who == "declined":
        project.memberships[-1].status = DECLINED
        db.session.commit()
    auth.login_as(other)
    urls = [f"/projets/{project.id}/modifier", f"/projets/{project.id}/besoins/nouveau"]
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, data=project_post(title="Piraté")).status_code == 403
    assert client.post(f"/projets/{project.id}/suivi", data={"body": "Piraté"}).status_code == 403
    assert (
        client.post(
            f"/projets/{project.id}/jalons", data={"kind": "prize", "occurred_on": "2024-01-01"}
        ).status_code
        == 403
    )
    db.session.refresh(project)
    assert project.title != "Piraté"


@pytest.mark.parametrize(
    "url",
    [
        "/projets/999999",
        "/projets/999999/modifier",
        "/projets/999999/suivi",
        "/projets/999999/equipe",
        "/besoins/999999",
        "/besoins/999999/modifier",
        "/membres/999999",
    ],
)
def test_unknown_ids_are_404(client, auth, db, make_member, url):
    auth.login_as(make_member("Awa"))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/propositions/999999/accepter",
        "/jalons/999999/confirmer",
        "/suivi/999999/supprimer",
        "/besoins/999999/pourvu",
        "/projets/999999/suivre",
        "/membres/999999/suivre",
        "/projets/999999/quitter",
        "/projets/999999/equipe/1/retirer",
    ],
)
def test_unknown_ids_in_actions_are_404(client, auth, db, make_member, url):
    auth.login_as(make_member("Awa"))
    assert client.post(url).status_code == 404


def test_members_only_project_is_hidden_from_visitors(client, auth, db, make_member, make_project):
    owner = make_member("Élodie")
    secret = make_project(owner, title="Clic Solidaire", visibility="members")
    public = make_project(owner, title="Atelier ouvert")

    response = client.get(f"/projets/{secret.id}")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    listing = client.get("/projets").text
    assert "Atelier ouvert" in listing and "Clic Solidaire" not in listing

    auth.login_as(make_member("Karim"))
    assert "Clic Solidaire" in client.get(f"/projets/{secret.id}").text
    assert "Clic Solidaire" in client.get("/projets").text
    assert client.get(f"/projets/{public.id}").status_code == 200


def test_owner_invites_a_member_who_accepts(
    app, client, auth, db, make_member, make_project, outbox
):
    from tremplin.platform import notifications

    karim, elodie = make_member("Karim"), make_member("Élodie", email="elodie@exemple.fr")
    with app.test_request_context():
        notifications.set_consents(elodie, ["members_team"])
        db.session.commit()
    project = make_project(karim, title="L’Éco-retoucherie")
    auth.login_as(karim)
    profile_page = client.get(f"/membres/{elodie.id}").text
    assert "Inviter dans mon équipe" in profile_page
    response = client.post(
        f"/membres/{elodie.id}/inviter",
        data={"user_id": elodie.id, "project_id": project.id, "title": "Communication"},
    )
    assert response.status_code == 302
    membership = db.session.scalar(select(ProjectMember).where(ProjectMember.user_id == elodie.id))
    assert membership.status == INVITED and membership.title == "Communication"
    note = db.session.scalar(select(Notification).where(Notification.user_id == elodie.id))
    assert "vous invite à rejoindre l’équipe" in note.text
    mail = outbox.to("elodie@exemple.fr")[-1]
    assert (
        "Karim vous invite à rejoindre l’équipe du projet « L’Éco-retoucherie »" in mail.body_text
    )
    assert f"/projets/{project.id}" in mail.body_text

    auth.login_as(elodie)
    assert "Vous êtes invité·e à rejoindre l’équipe" in client.get(f"/projets/{project.id}").text
    assert client.get(f"/projets/{project.id}/modifier").status_code == 403  # not yet
    client.post(f"/projets/{project.id}/invitation/accepter")
    db.session.refresh(membership)
    assert membership.status == ACCEPTED
    assert client.get(f"/projets/{project.id}/modifier").status_code == 200
    assert db.session.scalar(
        select(Notification).where(Notification.user_id == karim.id)
    ).text.startswith("Élodie a rejoint")


def test_invited_member_may_decline(client, auth, db, make_member, make_project):
    karim, elodie = make_member("Karim"), make_member("Élodie")
    project = make_project(karim, invited=[elodie])
    auth.login_as(elodie)
    client.post(f"/projets/{project.id}/invitation/decliner")
    assert project.memberships[-1].status == DECLINED
    assert client.post(f"/projets/{project.id}/invitation/accepter").status_code == 403


def test_only_the_owner_invites_and_removes(client, auth, db, make_member, make_project):
    karim, elodie, awa = make_member("Karim"), make_member("Élodie"), make_member("Awa")
    project = make_project(karim, team=[elodie])
    auth.login_as(elodie)
    assert (
        client.post(
            f"/membres/{awa.id}/inviter", data={"user_id": awa.id, "project_id": project.id}
        ).status_code
        == 403
    )
    assert client.post(f"/projets/{project.id}/equipe/{karim.id}/retirer").status_code == 403
    auth.login_as(karim)
    client.post(f"/projets/{project.id}/equipe/{karim.id}/retirer")  # the owner stays
    client.post(f"/projets/{project.id}/equipe/{elodie.id}/retirer")
    db.session.expire_all()
    assert [m.user_id for m in project.memberships] == [karim.id]


def test_inviting_twice_is_refused_with_a_message(client, auth, db, make_member, make_project):
    karim, elodie = make_member("Karim"), make_member("Élodie")
    project = make_project(karim, invited=[elodie])
    auth.login_as(karim)
    response = client.post(
        f"/membres/{elodie.id}/inviter",
        data={"user_id": elodie.id, "project_id": project.id},
        follow_redirects=True,
    )
    assert "déjà une invitation en attente" in response.text


def test_teammate_leaves_but_owner_cannot(client, auth, db, make_member, make_project):
    karim, elodie = make_member("Karim"), make_member("Élodie")
    project = make_project(karim, team=[elodie])
    auth.login_as(karim)
    assert client.post(f"/projets/{project.id}/quitter").status_code == 403
    auth.login_as(elodie)
    assert client.post(f"/projets/{project.id}/quitter").status_code == 302
    db.session.expire_all()
    assert [m.user_id for m in project.memberships] == [karim.id]


def test_project_list_filters_and_pages(client, db, make_member, make_project, make_need):
    owner = make_member("Awa")
    cosm = make_project(
        owner, title="Cosm’éthique", theme="cosmetique", stage="emergence", departement="75"
    )
    make_project(
        owner,
        title="Sahel Saveurs",
        theme="france-afrique",
        stage="developpement",
        departement="93",
    )
    make_need(cosm, kind="financement")

    def titles(query: str) -> set[str]:
        page = client.get(f"/projets?{query}").text
        return {t for t in ("Cosm’éthique", "Sahel Saveurs") if t in page}

    assert titles("") == {"Cosm’éthique", "Sahel Saveurs"}
    assert titles("theme=cosmetique") == {"Cosm’éthique"}
    assert titles("stage=developpement") == {"Sahel Saveurs"}
    assert titles("departement=93") == {"Sahel Saveurs"}
    assert titles("need=financement") == {"Cosm’éthique"}
    assert titles("q=sahel") == {"Sahel Saveurs"}

    for i in range(14):
        make_project(owner, title=f"Projet en série {i:02d}")
    assert "Page 1 sur 2" in client.get("/projets").text
    assert "Page 2 sur 2" in client.get("/projets?page=2").text


def test_follow_buttons_are_for_members_outside_the_team(
    client, auth, db, make_member, make_project
):
    karim = make_member("Karim")
    project = make_project(karim)
    auth.login_as(karim)
    assert client.post(f"/projets/{project.id}/suivre").status_code == 403
    auth.login_as(make_member("Awa"))
    client.post(f"/projets/{project.id}/suivre")
    client.post(f"/projets/{project.id}/suivre")  # twice: still one follow
    assert "1 personne suit ce projet" in client.get(f"/projets/{project.id}").text
