"""The project journal: dated updates with an optional photo, and milestones declared by the
team and confirmed by organisers (what the impact dashboard counts)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from tests.kit.factories_members import image_bytes
from tremplin.members import milestone_counts
from tremplin.members.models import JournalEntry, Milestone


def test_team_posts_news_with_a_photo(app, client, auth, db, make_member, make_project):
    karim = auth.login_as(make_member("Karim"))
    project = make_project(karim)
    response = client.post(
        f"/projets/{project.id}/suivi",
        data={
            "title": "Nous avons un local !",
            "body": "La mairie nous prête **120 m²**.",
            "image": (io.BytesIO(image_bytes("JPEG", size=(2400, 1200))), "atelier.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    entry = db.session.scalar(select(JournalEntry))
    assert entry.author_id == karim.id and entry.image_file.endswith(".webp")

    page = client.get(f"/projets/{project.id}").text
    assert "Nous avons un local !" in page and "<strong>120 m²</strong>" in page
    assert f"/fichiers/{entry.image_file}" in page
    auth.logout()
    assert client.get(f"/fichiers/{entry.image_file}").status_code == 200  # public project


def test_journal_photo_of_a_members_only_project_is_not_public(
    app, client, auth, db, make_member, make_project
):
    karim = auth.login_as(make_member("Karim"))
    project = make_project(karim, visibility="members")
    client.post(
        f"/projets/{project.id}/suivi",
        data={
            "body": "Une photo de l’atelier.",
            "image": (io.BytesIO(image_bytes()), "atelier.png"),
        },
        content_type="multipart/form-data",
    )
    name = db.session.scalar(select(JournalEntry.image_file))
    auth.logout()
    assert client.get(f"/fichiers/{name}").status_code == 404
    auth.login_as(make_member("Awa"))
    assert client.get(f"/fichiers/{name}").status_code == 200


def test_empty_news_is_refused_next_to_the_field(client, auth, db, make_member, make_project):
    karim = auth.login_as(make_member("Karim"))
    project = make_project(karim)
    response = client.post(
        f"/projets/{project.id}/suivi", data={"title": "Titre gardé", "body": ""}
    )
    assert response.status_code == 200
    assert 'id="body-error"' in response.text and 'value="Titre gardé"' in response.text


def test_journal_is_paged(client, db, make_member, make_project, make_journal_entry):
    project = make_project(make_member("Karim"))
    for i in range(12):
        make_journal_entry(project, title=f"Nouvelle {i:02d}")
    page_one = client.get(f"/projets/{project.id}/suivi").text
    assert "Page 1 sur 2" in page_one
    assert "Nouvelle 11" in page_one and "Nouvelle 00" not in page_one
    assert "Nouvelle 00" in client.get(f"/projets/{project.id}/suivi?page=2").text


def test_author_deletes_news_and_its_photo_goes(app, client, auth, db, make_member, make_project):
    karim = auth.login_as(make_member("Karim"))
    project = make_project(karim)
    client.post(
        f"/projets/{project.id}/suivi",
        data={"body": "Photo", "image": (io.BytesIO(image_bytes()), "a.png")},
        content_type="multipart/form-data",
    )
    entry = db.session.scalar(select(JournalEntry))
    auth.login_as(make_member("Awa"))
    assert client.post(f"/suivi/{entry.id}/supprimer").status_code == 403
    auth.login_as(karim)
    client.post(f"/suivi/{entry.id}/supprimer")
    assert db.session.scalar(select(JournalEntry)) is None
    assert list(Path(app.config["UPLOAD_DIR"]).iterdir()) == []


def test_team_declares_a_milestone_that_an_organiser_confirms(
    client, auth, db, make_member, make_organiser, make_project
):
    karim = auth.login_as(make_member("Karim"))
    project = make_project(karim)
    response = client.post(
        f"/projets/{project.id}/jalons",
        data={
            "kind": "legal_entity",
            "occurred_on": (date.today() - timedelta(days=3)).isoformat(),
            "note": "SCIC créée avec 12 sociétaires.",
        },
    )
    assert response.status_code == 302
    milestone = db.session.scalar(select(Milestone))
    assert milestone.declared_by_id == karim.id and milestone.confirmed_at is None
    assert "Structure juridique créée" in client.get(f"/projets/{project.id}").text

    assert client.post(f"/jalons/{milestone.id}/confirmer").status_code == 403  # not themselves
    auth.login_as(make_member("Awa"))
    assert client.post(f"/jalons/{milestone.id}/confirmer").status_code == 403  # not members
    claire = auth.login_as(make_organiser("Claire"))
    assert client.get("/jalons-a-confirmer").headers["Location"] == "/administration/jalons"
    assert "Structure juridique créée" in client.get("/administration/jalons").text
    client.post(f"/jalons/{milestone.id}/confirmer")
    db.session.refresh(milestone)
    assert milestone.confirmed_by_id == claire.id and milestone.confirmed_at is not None
    assert "confirmé par Claire" in client.get(f"/projets/{project.id}/suivi").text


def test_an_organiser_does_not_confirm_their_own_project(
    client, auth, db, make_organiser, make_project, make_milestone
):
    lakdar = make_organiser("Lakdar")
    project = make_project(lakdar)
    milestone = make_milestone(project)
    auth.login_as(lakdar)
    assert client.post(f"/jalons/{milestone.id}/confirmer").status_code == 403


def test_milestone_in_the_future_or_twice_is_refused(
    client, auth, db, make_member, make_project, make_milestone
):
    karim = auth.login_as(make_member("Karim"))
    project = make_project(karim)
    future = client.post(
        f"/projets/{project.id}/jalons",
        data={"kind": "first_hire", "occurred_on": (date.today() + timedelta(days=30)).isoformat()},
    )
    assert future.status_code == 200
    assert 'id="occurred_on-error"' in future.text and "dans le futur" in future.text

    make_milestone(project, kind="business_plan")
    twice = client.post(
        f"/projets/{project.id}/jalons",
        data={"kind": "business_plan", "occurred_on": date.today().isoformat()},
    )
    assert "déjà déclaré" in twice.text
    prizes = [
        client.post(
            f"/projets/{project.id}/jalons",
            data={"kind": "prize", "occurred_on": date.today().isoformat()},
        ).status_code
        for _ in range(2)
    ]
    assert prizes == [302, 302]  # prizes may repeat


def test_milestone_date_must_be_a_date(client, auth, db, make_member, make_project):
    karim = auth.login_as(make_member("Karim"))
    project = make_project(karim)
    response = client.post(
        f"/projets/{project.id}/jalons", data={"kind": "prize", "occurred_on": "demain"}
    )
    assert response.status_code == 200 and 'id="occurred_on-error"' in response.text


def test_impact_counts_only_confirmed_milestones_in_the_period(
    db, make_member, make_organiser, make_project, make_milestone
):
    from tremplin.platform.types import utcnow

    claire = make_organiser("Claire")
    project = make_project(make_member("Karim"))
    confirmed = dict(confirmed_by_id=claire.id, confirmed_at=utcnow())
    make_milestone(project, kind="legal_entity", occurred_on=date(2025, 3, 1), **confirmed)
    make_milestone(project, kind="first_hire", occurred_on=date(2025, 6, 1), **confirmed)
    make_milestone(project, kind="prize", occurred_on=date(2025, 6, 2))  # not confirmed
    make_milestone(project, kind="prize", occurred_on=date(2024, 1, 1), **confirmed)
    counts = milestone_counts(date(2025, 1, 1), date(2025, 12, 31))
    assert counts["legal_entity"] == 1 and counts["first_hire"] == 1
    assert counts["prize"] == 0 and counts["business_plan"] == 0
    assert milestone_counts(confirmed_only=False)["prize"] == 2
