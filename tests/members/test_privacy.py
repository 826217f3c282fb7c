"""RGPD: "download my data" holds the member's data and nobody else's; "delete my account"
erases their personal data everywhere in the database, keeps what they wrote under
"Membre supprimé", removes their uploads and ends their sessions."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.kit.factories import DEFAULT_PASSWORD
from tests.kit.factories_members import image_bytes
from tests.members.test_profiles import profile_post
from tremplin.members.models import HelpOffer, JournalEntry, Need, Project, ProjectMember
from tremplin.platform import notifications
from tremplin.platform.extensions import db as _db
from tremplin.platform.models import User

NADIA_EMAIL = "nadia.ferhat-lemoine@exemple.fr"
NADIA_NAME = "Nadia Ferhat-Lemoine"


@pytest.fixture
def nadia_world(
    app,
    client,
    auth,
    db,
    make_member,
    make_project,
    make_need,
    make_help_offer,
    make_follow,
    outbox,
):
    """Nadia has a profile with a photo, a project with a teammate, a need someone answered,
    an offer she made that was accepted (so others' notifications and mails quote her),
    news, a milestone, follows, consents — and Karim has his own data beside hers."""
    nadia = make_member(NADIA_NAME, email=NADIA_EMAIL)
    karim = make_member("Karim Benali", email="karim@exemple.fr")
    jean = make_member("Jean-Pierre Morel", email="jean@exemple.fr")
    with app.test_request_context():
        notifications.set_consents(karim, ["members_offers", "members_team"])
        notifications.set_consents(nadia, ["members_offers"])
        db.session.commit()

    auth.login_as(nadia)
    data = profile_post(
        display_name=NADIA_NAME,
        bio=f"Je suis {NADIA_NAME}, écrivez à {NADIA_EMAIL}",
        phone="01 99 00 55 44",
        skills="Couture, Vente",
    )
    data["avatar"] = (io.BytesIO(image_bytes()), "nadia.png")
    assert (
        client.post("/profil/modifier", data=data, content_type="multipart/form-data").status_code
        == 302
    )
    client.post(
        "/projets/nouveau",
        data={
            "title": "Atelier Nadia",
            "pitch": "Un atelier de couture solidaire au 19e.",
            "description": f"Porté par {NADIA_NAME}.",
            "stage": "idee",
            "visibility": "public",
        },
    )
    own = _db.session.scalar(select(Project).where(Project.title == "Atelier Nadia"))
    own.memberships.append(
        ProjectMember(user_id=jean.id, status="accepted", invited_by_id=nadia.id)
    )
    _db.session.commit()
    client.post(
        f"/projets/{own.id}/besoins/nouveau",
        data={
            "kind": "local",
            "title": "Un local au 19e",
            "description": "Appeler Nadia Ferhat-Lemoine",
        },
    )
    client.post(f"/projets/{own.id}/suivi", data={"body": f"Merci à tous, {NADIA_NAME}"})

    karims = make_project(
        karim, title="L’Éco-retoucherie", description="Le projet secret de Karim."
    )
    karims_need = make_need(karims, title="Des couturières")
    client.post(f"/besoins/{karims_need.id}", data={"message": "Je couds depuis dix ans, Nadia."})
    client.post(f"/projets/{karims.id}/suivre")
    client.post(f"/membres/{karim.id}/suivre")
    make_follow(karim, user=nadia)
    make_help_offer(
        _db.session.scalar(select(Need).where(Need.title == "Un local au 19e")),
        karim,
        message="Message privé de Karim pour l’atelier.",
    )

    auth.login_as(karim)
    offer_id = _db.session.scalar(select(HelpOffer.id).where(HelpOffer.helper_id == nadia.id))
    client.post(f"/propositions/{offer_id}/accepter")
    client.post(f"/projets/{karims.id}/suivi", data={"body": "Nouvelles de Karim"})
    auth.login_as(nadia)
    return type("World", (), dict(nadia=nadia, karim=karim, jean=jean, project=own, karims=karims))


def database_dump(db) -> str:
    """Every row of every table, as text."""
    rows = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                rows.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(rows)


def test_download_my_data_has_mine_and_nothing_of_others(client, db, nadia_world):
    response = client.get("/compte/mes-donnees")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.text)

    assert data["account"]["email"] == NADIA_EMAIL
    assert data["account"]["display_name"] == NADIA_NAME
    assert "members_offers" in data["email_consents"]
    members = data["members"]
    assert members["profile"]["phone"] == "01 99 00 55 44"
    assert members["profile"]["skills"] == ["Couture", "Vente"]
    assert members["profile"]["visibility"]["bio"] == "public"
    assert [p["title"] for p in members["projects_created"]] == ["Atelier Nadia"]
    assert [n["title"] for n in members["needs_created"]] == ["Un local au 19e"]
    assert members["help_offers_made"][0]["message"] == "Je couds depuis dix ans, Nadia."
    assert members["help_offers_made"][0]["status"] == "accepted"
    assert members["journal_entries"][0]["body"].startswith("Merci à tous")
    assert len(members["following"]["project_ids"]) == 1
    assert members["followers_count"] == 1

    raw = response.text
    for foreign in (
        "karim@exemple.fr",
        "Karim Benali",
        "jean@exemple.fr",
        "Jean-Pierre",
        "Le projet secret de Karim",
        "Message privé de Karim",
        "Nouvelles de Karim",
        "password",
        "scrypt:",
        "session_stamp",
    ):
        assert foreign not in raw, foreign


def test_download_needs_an_account(client, db):
    assert "/connexion" in client.get("/compte/mes-donnees").headers["Location"]


def test_deletion_needs_the_password(client, db, nadia_world):
    response = client.post("/compte/supprimer", data={"password": "pas le bon", "confirm": "y"})
    assert response.status_code == 200
    assert (
        'id="password-error"' in response.text and "Mot de passe actuel incorrect" in response.text
    )
    assert db.session.get(User, nadia_world.nadia.id).deleted_at is None
    unconfirmed = client.post("/compte/supprimer", data={"password": DEFAULT_PASSWORD})
    assert 'id="confirm-error"' in unconfirmed.text


def test_after_deletion_name_and_address_are_nowhere_in_the_database(
    app, client, db, nadia_world, outbox
):
    world = nadia_world
    before = database_dump(db)
    assert NADIA_EMAIL in before and NADIA_NAME in before  # the dump does see them
    avatar_files = list(Path(app.config["UPLOAD_DIR"]).iterdir())
    assert len(avatar_files) == 1

    response = client.post("/compte/supprimer", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"] == "/"

    db.session.expire_all()
    after = database_dump(db)
    assert NADIA_EMAIL not in after
    assert NADIA_NAME not in after
    assert "01 99 00 55 44" not in after  # nor her phone
    assert not list(Path(app.config["UPLOAD_DIR"]).iterdir())  # her photo is gone

    # What she wrote stays, signed "Membre supprimé".
    nadia = db.session.get(User, world.nadia.id)
    assert nadia.is_deleted and nadia.email is None and nadia.password_hash is None
    assert str(nadia.public_name) == "Membre supprimé"
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.author_id == nadia.id))
    assert entry.body == "Merci à tous, Membre supprimé"
    assert (
        db.session.scalar(select(HelpOffer).where(HelpOffer.helper_id == nadia.id)).status
        == "accepted"
    )
    page = client.get(f"/projets/{world.project.id}").text
    assert "Membre supprimé" in page or "Jean-Pierre Morel" in page

    # Her project passes to her teammate; her follows are gone.
    project = db.session.get(Project, world.project.id)
    assert project.owner_id == world.jean.id
    assert [m.user_id for m in project.team] == [world.jean.id]
    assert client.get(f"/membres/{nadia.id}").status_code == 404


def test_deleted_member_cannot_log_in_and_their_sessions_end(app, client, db, nadia_world):
    from tests.kit.app import CSRFClient

    app.test_client_class = CSRFClient
    other_device = app.test_client()
    with other_device.session_transaction() as sess:
        sess["_user_id"] = nadia_world.nadia.get_id()
    assert other_device.get("/compte").status_code == 200

    client.post("/compte/supprimer", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert other_device.get("/compte").status_code == 302  # the other session ended too
    assert client.get("/compte").status_code == 302
    response = client.post("/connexion", data={"email": NADIA_EMAIL, "password": DEFAULT_PASSWORD})
    assert "Adresse e-mail ou mot de passe incorrect" in response.text


def test_the_address_becomes_free_again(client, db, nadia_world, make_member):
    client.post("/compte/supprimer", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    newcomer = make_member("Nouvelle", email=NADIA_EMAIL)
    assert newcomer.id != nadia_world.nadia.id


def test_a_lone_owners_project_is_hidden_not_left_under_membre_supprime(
    client, auth, db, make_member
):
    awa = auth.login_as(make_member("Awa Solitaire", email="awa.seule@exemple.fr"))
    client.post(
        "/projets/nouveau",
        data={
            "title": "Projet d’Awa",
            "pitch": "Un projet porté seule.",
            "stage": "idee",
            "visibility": "public",
        },
    )
    project = db.session.scalar(select(Project))
    client.post("/compte/supprimer", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    # Nobody carries it any more: hidden (#21), kept for the organisers to decide.
    assert client.get(f"/projets/{project.id}").status_code in (302, 403, 404)
    assert "Projet d’Awa" not in client.get("/projets").text
    db.session.expire_all()
    assert db.session.get(Project, project.id).orphaned_at is not None
    assert db.session.scalar(text("select count(*) from project_members")) == 1
    assert awa.id == project.owner_id
