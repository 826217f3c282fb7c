"""Organisers' administration: members, roles, suspension, all logged."""

from __future__ import annotations

from sqlalchemy import select

from tremplin.platform.models import AdminAction


def test_only_organisers_reach_the_administration(client, auth, db, make_member, make_organiser):
    assert client.get("/administration").status_code == 302  # visitor → login
    auth.login_as(make_member("Awa"))
    for path in ("/administration", "/administration/membres", "/administration/journal"):
        assert client.get(path).status_code == 403
    auth.login_as(make_organiser("Claire"))
    assert client.get("/administration").status_code == 200


def test_member_search_by_name_role_and_state(client, auth, db, make_member, make_organiser):
    make_member("Awa Diallo", email="awa@exemple.fr")
    make_member("Karim Benali", email="karim@exemple.fr")
    make_member("Inès Haddad", email="ines@exemple.fr", confirmed=False)
    auth.login_as(make_organiser("Claire"))
    page = client.get("/administration/membres?q=diallo").text
    assert "Awa Diallo" in page and "Karim Benali" not in page
    page = client.get("/administration/membres?q=KARIM@").text
    assert "Karim Benali" in page and "Awa Diallo" not in page
    page = client.get("/administration/membres?state=unconfirmed").text
    assert "Inès Haddad" in page and "Awa Diallo" not in page
    page = client.get("/administration/membres?role=organiser").text
    assert "Claire" in page and "Awa Diallo" not in page


def test_organiser_promotes_a_member_and_it_is_logged(
    client, auth, db, make_member, make_organiser
):
    awa = make_member("Awa")
    claire = auth.login_as(make_organiser("Claire"))
    response = client.post(
        f"/administration/membres/{awa.id}/role",
        data={"role-role": "organiser", "role-reason": "Anime le groupe cosmétique"},
    )
    assert response.status_code == 302
    db.session.refresh(awa)
    assert awa.site_role == "organiser"
    entry = db.session.scalar(select(AdminAction))
    assert entry.actor_id == claire.id and entry.target_id == awa.id
    assert entry.reason == "Anime le groupe cosmétique"
    assert "Anime le groupe cosmétique" in client.get("/administration/journal").text


def test_organiser_cannot_make_an_admin_nor_change_their_own_role(
    client, auth, db, make_member, make_organiser
):
    awa = make_member("Awa")
    claire = auth.login_as(make_organiser("Claire"))
    assert (
        client.post(
            f"/administration/membres/{awa.id}/role", data={"role-role": "admin"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/administration/membres/{claire.id}/role", data={"role-role": "admin"}
        ).status_code
        == 403
    )
    db.session.refresh(awa)
    assert awa.site_role == "member"
    assert db.session.scalar(select(AdminAction)) is None


def test_suspension_needs_a_reason_ends_sessions_and_is_logged(
    app, client, auth, db, make_member, make_organiser
):
    awa = make_member("Awa", email="awa@exemple.fr")
    from tests.kit.app import AuthActions, CSRFClient

    app.test_client_class = CSRFClient
    awa_client = app.test_client()
    AuthActions(awa_client).login_as(awa)
    assert awa_client.get("/compte").status_code == 200

    auth.login_as(make_organiser("Claire"))
    no_reason = client.post(
        f"/administration/membres/{awa.id}/suspension", data={"suspend-reason": ""}
    )
    assert no_reason.status_code == 200 and "Indiquez la raison" in no_reason.text
    db.session.refresh(awa)
    assert awa.suspended_at is None

    client.post(
        f"/administration/membres/{awa.id}/suspension",
        data={"suspend-reason": "Messages insultants"},
    )
    db.session.refresh(awa)
    assert awa.suspended_at is not None
    assert awa_client.get("/compte").status_code == 302  # her session is over
    assert (
        awa_client.post(
            "/connexion",
            data={"email": "awa@exemple.fr", "password": "un cheval bleu mange des crêpes"},
        ).status_code
        == 200
    )

    client.post(f"/administration/membres/{awa.id}/suspension", data={"action": "lift"})
    db.session.refresh(awa)
    assert awa.suspended_at is None
    actions = [e.action for e in db.session.scalars(select(AdminAction).order_by(AdminAction.id))]
    assert actions == ["suspended", "unsuspended"]


def test_organiser_cannot_suspend_another_organiser(client, auth, db, make_organiser):
    lakdar = make_organiser("Lakdar")
    auth.login_as(make_organiser("Claire"))
    response = client.post(
        f"/administration/membres/{lakdar.id}/suspension", data={"suspend-reason": "x"}
    )
    assert response.status_code == 403


def test_unknown_member_is_404(client, auth, db, make_organiser):
    auth.login_as(make_organiser("Claire"))
    assert client.get("/administration/membres/9999").status_code == 404
