"""The modules' administration sections: groups (create, assign and remove organisers under
the two-organiser rule), reports across groups, milestone confirmations, meetups overview.
Non-organisers get 403; every action is logged; bad input gets a clear message and writes
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tremplin.groups.models import Group, GroupMembership, ModerationRequest
from tremplin.platform.models import AdminAction

SECTION_PAGES = [
    "/administration/groupes",
    "/administration/signalements",
    "/administration/jalons",
    "/administration/rencontres",
    "/administration/rencontres?quand=passees",
]


@pytest.fixture
def admin(auth, make_member):
    return auth.login_as(make_member("Admin Alice", site_role="admin"))


def actions(db, action: str) -> list[AdminAction]:
    return list(db.session.scalars(select(AdminAction).where(AdminAction.action == action)))


def test_members_get_403_on_every_section(
    client, auth, db, make_member, make_group, make_project, make_milestone
):
    group = make_group("Cuisine")
    milestone = make_milestone(make_project(make_member()))
    auth.login_as(make_member("Awa"))
    for path in SECTION_PAGES + [f"/administration/groupes/{group.id}"]:
        assert client.get(path).status_code == 403, path
    posts = [
        "/administration/groupes",
        f"/administration/groupes/{group.id}/animateurs",
        f"/administration/groupes/{group.id}/animateurs/{group.created_by_id}/retirer",
        f"/administration/jalons/{milestone.id}/confirmer",
    ]
    for path in posts:
        assert (
            client.post(path, data={"name": "Pirates", "org-email": "x@exemple.fr"}).status_code
            == 403
        ), path
    assert db.session.scalar(select(func.count(Group.id))) == 1


def test_sections_are_listed_on_the_administration_home(client, db, admin):
    home = client.get("/administration").text
    for label in ("Groupes", "Signalements", "Jalons à confirmer", "Rencontres"):
        assert label in home


def test_admin_creates_a_group_with_a_second_organiser_and_it_is_logged(
    client, db, admin, make_member
):
    lina = make_member("Lina", email="lina@exemple.fr")
    response = client.post(
        "/administration/groupes",
        data={
            "name": "Cuisine du monde",
            "theme": "restauration",
            "description": "Recettes et traiteurs.",
            "visibility": "public",
            "charter": "",
            "organiser_email": "LINA@exemple.fr",
        },
    )
    assert response.status_code == 302
    group = db.session.scalar(select(Group).where(Group.name == "Cuisine du monde"))
    organisers = set(
        db.session.scalars(
            select(GroupMembership.user_id).where(
                GroupMembership.group_id == group.id, GroupMembership.role == "organiser"
            )
        )
    )
    assert organisers == {admin.id, lina.id}
    assert [a.target_id for a in actions(db, "group_created")] == [group.id]
    assert len(actions(db, "group_organiser_assigned")) == 1
    detail = client.get(f"/administration/groupes/{group.id}").text
    assert "Lina" in detail and "Admin Alice" in detail
    from tremplin.platform.models import Notification

    told = db.session.scalars(
        select(Notification.text).where(Notification.user_id == lina.id)
    ).all()
    assert any("Vous animez désormais le groupe « Cuisine du monde »" in text for text in told)


@pytest.mark.parametrize(
    "form,message",
    [
        (
            {
                "name": "Cuisine",
                "theme": "restauration",
                "description": "Oui.",
                "visibility": "public",
                "organiser_email": "personne@exemple.fr",
            },
            "Aucun membre actif du réseau n’a cette adresse.",
        ),
        (
            {"name": "", "theme": "restauration", "description": "Oui.", "visibility": "public"},
            "Ce champ est obligatoire.",
        ),
        (
            {"name": "Cuisine", "theme": "licornes", "description": "Oui.", "visibility": "public"},
            "N&#39;est pas un choix valide",
        ),
    ],
)
def test_bad_group_creation_says_why_and_writes_nothing(client, db, admin, form, message):
    response = client.post("/administration/groupes", data=form)
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(select(func.count(Group.id))) == 0
    assert db.session.scalar(select(func.count(AdminAction.id))) == 0


def test_assigning_a_third_organiser_waits_for_the_group(
    client, db, admin, make_group, make_member, make_organiser, add_member
):
    first = make_organiser("Première")
    group = make_group("Numérique", organiser=first)
    newcomer = make_member("Nouvelle", email="nouvelle@exemple.fr")
    # One organiser: the second is named at once (and joins the group).
    response = client.post(
        f"/administration/groupes/{group.id}/animateurs",
        data={"org-email": "nouvelle@exemple.fr", "org-reason": "Relais local"},
    )
    assert response.status_code == 302
    membership = db.session.scalar(
        select(GroupMembership).where(
            GroupMembership.group_id == group.id, GroupMembership.user_id == newcomer.id
        )
    )
    assert membership.role == "organiser" and membership.state == "active"
    assert actions(db, "group_organiser_assigned")[0].reason == "Relais local"
    # Two organisers: a third waits for one of them to confirm.
    third = make_member("Troisième", email="trois@exemple.fr")
    add_member(group, third)
    client.post(
        f"/administration/groupes/{group.id}/animateurs", data={"org-email": "trois@exemple.fr"}
    )
    assert (
        db.session.scalar(
            select(GroupMembership.role).where(
                GroupMembership.group_id == group.id, GroupMembership.user_id == third.id
            )
        )
        == "member"
    )
    request = db.session.scalar(
        select(ModerationRequest).where(ModerationRequest.target_user_id == third.id)
    )
    assert request.state == "pending" and request.params == {"role": "organiser"}
    assert len(actions(db, "group_organiser_requested")) == 1
    # Asking twice is refused with a message, and nothing more is written.
    again = client.post(
        f"/administration/groupes/{group.id}/animateurs", data={"org-email": "trois@exemple.fr"}
    )
    assert again.status_code == 400 and "attend déjà" in again.text
    assert len(actions(db, "group_organiser_requested")) == 1


def test_assigning_someone_unknown_or_already_organiser_is_a_clear_error(
    client, db, admin, make_group, make_organiser
):
    first = make_organiser("Première", email="premiere@exemple.fr")
    group = make_group("Numérique", organiser=first)
    unknown = client.post(
        f"/administration/groupes/{group.id}/animateurs", data={"org-email": "qui@exemple.fr"}
    )
    assert unknown.status_code == 400 and "Aucun membre actif" in unknown.text
    already = client.post(
        f"/administration/groupes/{group.id}/animateurs", data={"org-email": "premiere@exemple.fr"}
    )
    assert already.status_code == 400 and "anime déjà ce groupe" in already.text
    bad = client.post(
        f"/administration/groupes/{group.id}/animateurs", data={"org-email": "pas-une-adresse"}
    )
    assert bad.status_code == 400
    assert db.session.scalar(select(func.count(AdminAction.id))) == 0
    assert (
        client.post(
            "/administration/groupes/999/animateurs", data={"org-email": "x@exemple.fr"}
        ).status_code
        == 404
    )


def test_removing_an_organiser_needs_a_second_one_and_never_the_last(
    client, db, admin, make_group, make_organiser
):
    first, second = make_organiser("Première"), make_organiser("Seconde")
    alone = make_group("Seule", organiser=first)
    response = client.post(
        f"/administration/groupes/{alone.id}/animateurs/{first.id}/retirer",
        data={},
        follow_redirects=True,
    )
    assert "garder au moins une personne" in response.text
    assert db.session.scalar(select(func.count(ModerationRequest.id))) == 0
    pair = make_group("Duo", organiser=first, organisers=[second])
    client.post(
        f"/administration/groupes/{pair.id}/animateurs/{first.id}/retirer",
        data={"rm-reason": "Départ"},
    )
    request = db.session.scalar(
        select(ModerationRequest).where(ModerationRequest.group_id == pair.id)
    )
    assert request.params == {"role": "member"} and request.state == "pending"
    assert (
        db.session.scalar(
            select(GroupMembership.role).where(
                GroupMembership.group_id == pair.id, GroupMembership.user_id == first.id
            )
        )
        == "organiser"
    )
    assert actions(db, "group_organiser_removal_requested")[0].reason == "Départ"
    # Without the CSRF token: refused, nothing written.
    from tests.kit.app import CSRFClient  # noqa: F401  (the client adds tokens unless told not to)

    assert (
        client.post(
            f"/administration/groupes/{pair.id}/animateurs/{second.id}/retirer", data={}, csrf=False
        ).status_code
        == 400
    )
    assert db.session.scalar(select(func.count(ModerationRequest.id))) == 1


def test_reports_queue_across_groups_hides_private_messages(
    client, db, admin, make_group, make_member, add_member, post_message, in_request
):
    from tremplin.groups import moderation

    author, reporter = make_member("Auteur"), make_member("Témoin")
    open_group = make_group("Ouvert")
    closed = make_group("Fermé", visibility="private", members=[author, reporter])
    add_member(open_group, author)
    add_member(open_group, reporter)
    public_message = post_message(author, open_group.channels[0], "Achetez mes montres pas chères")
    private_message = post_message(author, closed.channels[0], "Un secret de groupe")
    with in_request():
        moderation.report(reporter, public_message, "spam")
        moderation.report(reporter, private_message, "harassment")
        db.session.commit()
    page = client.get("/administration/signalements").text
    assert "Achetez mes montres" in page and "Un secret de groupe" not in page
    assert "Ouvert" in page and "Fermé" in page and "Groupe privé" in page
    assert "2 signalements ouverts" in page
    assert ">2</span>" in client.get("/administration").text  # the badge on the home


def test_milestone_confirmation_is_logged_and_not_for_ones_own_project(
    client, db, auth, make_organiser, make_member, make_project, make_milestone
):
    organiser = auth.login_as(make_organiser("Claire"))
    theirs = make_milestone(make_project(make_member("Awa"), title="Atelier"), kind="legal_entity")
    mine = make_milestone(make_project(organiser, title="Mon projet"), kind="prize")
    page = client.get("/administration/jalons").text
    assert "Atelier" in page and "Votre projet" in page
    assert client.post(f"/administration/jalons/{mine.id}/confirmer").status_code == 403
    assert (
        client.post(f"/administration/jalons/{theirs.id}/confirmer", csrf=False).status_code == 400
    )
    assert client.post(f"/administration/jalons/{theirs.id}/confirmer").status_code == 302
    db.session.refresh(theirs)
    db.session.refresh(mine)
    assert theirs.confirmed_by_id == organiser.id and mine.confirmed_at is None
    logged = actions(db, "milestone_confirmed")
    assert [(a.target_type, a.target_id) for a in logged] == [("milestone", theirs.id)]
    assert "Atelier" in logged[0].summary
    assert client.post("/administration/jalons/999/confirmer").status_code == 404


def test_meetups_overview_shows_registrations_and_check_ins(
    client, db, admin, make_meetup, register, make_member
):
    coming = make_meetup("Café Projets de décembre", capacity=30)
    register(coming, make_member(), guests=2)
    register(coming, make_member(), status="waiting")
    past = make_meetup("Café Projets d’octobre", starts_in=-timedelta(days=30))
    register(past, make_member(), checked_in=True)
    upcoming = client.get("/administration/rencontres").text
    assert "Café Projets de décembre" in upcoming and "Café Projets d’octobre" not in upcoming
    assert "3 / 30" in upcoming
    before = client.get("/administration/rencontres?quand=passees").text
    assert "Café Projets d’octobre" in before and "Café Projets de décembre" not in before
    assert client.get("/administration/rencontres?quand=hier").status_code == 404
    assert (
        client.get("/administration/rencontres?quand=passees&periode=mois&mois=2026-13").status_code
        == 400
    )


def test_an_organiser_may_not_confirm_a_milestone_and_says_why(
    client, db, auth, make_organiser, make_member, make_project, make_milestone
):
    from tremplin.members.models import Milestone
    from tremplin.platform.models import Notification

    awa = make_member("Awa")
    milestone = make_milestone(make_project(awa, title="Atelier"), kind="legal_entity")
    auth.login_as(make_member("Jean"))
    assert client.get(f"/administration/jalons/{milestone.id}/refuser").status_code == 403
    organiser = auth.login_as(make_organiser("Claire"))
    form = client.get(f"/administration/jalons/{milestone.id}/refuser")
    assert form.status_code == 200 and "Atelier" in form.text
    # a reason is required, shown next to the field, and nothing changes without one
    refused = client.post(f"/administration/jalons/{milestone.id}/refuser", data={"reason": ""})
    assert refused.status_code == 200 and 'aria-invalid="true"' in refused.text
    assert (
        db.session.get(Milestone, milestone.id) is not None
        and actions(db, "milestone_rejected") == []
    )
    reason = "Il manque l’extrait Kbis de la SCIC."
    done = client.post(f"/administration/jalons/{milestone.id}/refuser", data={"reason": reason})
    assert done.status_code == 302 and done.headers["Location"] == "/administration/jalons"
    db.session.expire_all()
    assert db.session.get(Milestone, milestone.id) is None
    logged = actions(db, "milestone_rejected")
    assert [(a.actor_id, a.target_id, a.reason) for a in logged] == [
        (organiser.id, milestone.id, reason)
    ]
    told = db.session.scalars(select(Notification).where(Notification.user_id == awa.id)).all()
    assert any(reason in n.text for n in told)
    assert client.get(f"/administration/jalons/{milestone.id}/refuser").status_code == 404
