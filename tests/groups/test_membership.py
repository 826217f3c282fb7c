"""Groups: creating, joining (with the charter), private groups on request, invitations,
leaving, and who may see what."""

from __future__ import annotations

from sqlalchemy import select

from tremplin.groups.models import Group, GroupMembership, ModerationLogEntry
from tremplin.platform.models import Notification


def membership(db, group, user):
    return db.session.scalar(
        select(GroupMembership).where(
            GroupMembership.group_id == group.id, GroupMembership.user_id == user.id
        )
    )


def test_only_network_organisers_create_groups_and_become_their_organisers(
    client, auth, db, make_member, make_organiser
):
    auth.login_as(make_member("Awa"))
    assert client.get("/groupes/nouveau").status_code == 403

    claire = auth.login_as(make_organiser("Claire"))
    response = client.post(
        "/groupes/nouveau",
        data={
            "name": "Cosmétique naturelle",
            "theme": "cosmetique",
            "visibility": "public",
            "description": "Savons et soins.",
            "charter": "On reste bienveillants.",
        },
    )
    assert response.status_code == 302
    group = db.session.scalar(select(Group).where(Group.slug == "cosmetique-naturelle"))
    assert group.charter_version == 1 and [c.name for c in group.channels] == ["Accueil"]
    assert membership(db, group, claire).role == "organiser"
    page = client.get("/groupes/cosmetique-naturelle")
    assert "Cosmétique naturelle" in page.text and "#</span>Accueil" in page.text


def test_index_lists_groups_and_filters_by_theme(client, make_group):
    make_group("Cuisines du monde", theme="restauration")
    make_group("Numérique solidaire", theme="numerique")
    page = client.get("/groupes")
    assert "Cuisines du monde" in page.text and "Numérique solidaire" in page.text
    page = client.get("/groupes?theme=numerique")
    assert "Cuisines du monde" not in page.text and "Numérique solidaire" in page.text


def test_joining_a_public_group_requires_accepting_its_charter(
    client, auth, db, make_group, make_member
):
    group = make_group("Cuisines du monde")
    awa = auth.login_as(make_member("Awa"))
    page = client.post(f"/groupes/{group.slug}/rejoindre", data={}, follow_redirects=True)
    assert "Acceptez la charte du groupe pour le rejoindre." in page.text
    assert membership(db, group, awa) is None

    page = client.post(
        f"/groupes/{group.slug}/rejoindre", data={"accept_charter": "y"}, follow_redirects=True
    )
    assert "Bienvenue dans le groupe" in page.text
    joined = membership(db, group, awa)
    assert joined.state == "active" and joined.accepted_charter_version == 1


def test_private_group_request_goes_to_organisers_who_approve_it(
    client, auth, db, make_group, make_member, make_organiser
):
    claire = make_organiser("Claire")
    group = make_group("Entreprendre au féminin", organiser=claire, visibility="private")
    fatou = auth.login_as(make_member("Fatou"))
    client.post(
        f"/groupes/{group.slug}/rejoindre",
        data={"accept_charter": "y", "message": "Je lance une savonnerie."},
    )
    assert membership(db, group, fatou).state == "pending"
    note = db.session.scalar(select(Notification).where(Notification.user_id == claire.id))
    assert "Fatou demande à rejoindre" in note.text
    assert client.get(f"/groupes/{group.slug}/salons/accueil").status_code == 403

    auth.login_as(claire)
    page = client.get(f"/groupes/{group.slug}/membres")
    assert "Je lance une savonnerie." in page.text
    pending = membership(db, group, fatou)
    client.post(f"/groupes/{group.slug}/demandes/{pending.id}/accepter")
    assert membership(db, group, fatou).state == "active"
    entry = db.session.scalar(
        select(ModerationLogEntry).where(ModerationLogEntry.group_id == group.id)
    )
    assert entry.action == "request_approved" and entry.target_user_id == fatou.id
    assert db.session.scalar(
        select(Notification).where(
            Notification.user_id == fatou.id, Notification.text.contains("acceptée")
        )
    )

    auth.login_as(fatou)
    assert client.get(f"/groupes/{group.slug}/salons/accueil").status_code == 200


def test_declined_request_leaves_no_membership(
    client, auth, db, make_group, make_member, make_organiser
):
    claire = make_organiser("Claire")
    group = make_group(organiser=claire, visibility="private")
    fatou = auth.login_as(make_member("Fatou"))
    client.post(f"/groupes/{group.slug}/rejoindre", data={"accept_charter": "y"})
    request_id = membership(db, group, fatou).id
    auth.login_as(claire)
    client.post(f"/groupes/{group.slug}/demandes/{request_id}/refuser")
    assert membership(db, group, fatou) is None


def test_organiser_invites_a_member_by_email_without_revealing_accounts(
    client, auth, db, make_group, make_member, make_organiser
):
    claire = make_organiser("Claire")
    group = make_group(organiser=claire, visibility="private")
    moussa = make_member("Moussa", email="moussa@exemple.fr")
    auth.login_as(claire)
    known = client.post(
        f"/groupes/{group.slug}/inviter", data={"email": "moussa@exemple.fr"}, follow_redirects=True
    )
    unknown = client.post(
        f"/groupes/{group.slug}/inviter",
        data={"email": "personne@exemple.fr"},
        follow_redirects=True,
    )
    notice = "Si cette adresse appartient à un membre du réseau"
    assert notice in known.text and notice in unknown.text
    assert membership(db, group, moussa).state == "invited"

    auth.login_as(moussa)
    page = client.get(f"/groupes/{group.slug}")
    assert "Vous êtes invité à rejoindre ce groupe." in page.text
    client.post(f"/groupes/{group.slug}/rejoindre", data={"accept_charter": "y"})
    assert membership(db, group, moussa).state == "active"


def test_members_leave_but_the_last_organiser_cannot(
    client, auth, db, make_group, make_member, make_organiser
):
    claire = make_organiser("Claire")
    awa = make_member("Awa")
    group = make_group(organiser=claire, members=[awa])
    auth.login_as(awa)
    client.post(f"/groupes/{group.slug}/quitter")
    assert membership(db, group, awa) is None

    auth.login_as(claire)
    page = client.post(f"/groupes/{group.slug}/quitter", follow_redirects=True)
    assert "seule personne qui anime ce groupe" in page.text
    assert membership(db, group, claire).state == "active"


def test_a_new_charter_version_must_be_accepted_before_writing_again(
    client, auth, db, make_group, make_member, make_organiser
):
    claire = make_organiser("Claire")
    awa = make_member("Awa")
    group = make_group(organiser=claire, members=[awa])
    auth.login_as(claire)
    client.post(f"/groupes/{group.slug}/charte/modifier", data={"body": "3. On cite ses sources."})
    db.session.refresh(group)
    assert group.charter_version == 2
    assert db.session.scalar(
        select(Notification).where(
            Notification.user_id == awa.id, Notification.text.contains("charte")
        )
    )

    auth.login_as(awa)
    # The one rule (policies.must_accept_charter) speaks on every page that shows it.
    page = client.get(f"/groupes/{group.slug}/salons/accueil")
    assert "La charte du groupe a changé" in page.text
    assert "Lire et accepter la charte" in page.text
    assert "Lire la nouvelle charte" in client.get(f"/groupes/{group.slug}").text
    assert 'id="accepter"' in client.get(f"/groupes/{group.slug}/charte").text
    refused = client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "Coucou"})
    assert refused.status_code == 400 and "acceptez-la pour continuer" in refused.text

    client.post(f"/groupes/{group.slug}/charte/accepter", data={"accept_charter": "y"})
    sent = client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "Coucou"})
    assert sent.status_code == 302
    assert "Lire la nouvelle charte" not in client.get(f"/groupes/{group.slug}").text
    assert 'id="accepter"' not in client.get(f"/groupes/{group.slug}/charte").text
    assert "On cite ses sources." in client.get(f"/groupes/{group.slug}/charte").text


def test_private_group_shows_its_description_but_not_its_discussions(
    client, auth, make_group, make_member, post_message, make_organiser
):
    claire = make_organiser("Claire")
    group = make_group("Entreprendre au féminin", organiser=claire, visibility="private")
    post_message(claire, group.channels[0], "Secret de la réunion")
    outsider = make_member("Curieux")

    page = client.get(f"/groupes/{group.slug}")
    assert page.status_code == 200 and "Entreprendre au féminin" in page.text
    assert "Secret de la réunion" not in page.text and "Salons" not in page.text

    auth.login_as(outsider)
    for path in (
        f"/groupes/{group.slug}/salons/accueil",
        f"/groupes/{group.slug}/salons/accueil/historique",
        f"/groupes/{group.slug}/membres",
        f"/groupes/{group.slug}/moderation",
    ):
        assert client.get(path).status_code == 403, path


def test_visitors_read_public_group_pages_but_log_in_for_channels(client, make_group):
    group = make_group("Cuisines du monde")
    assert client.get(f"/groupes/{group.slug}").status_code == 200
    response = client.get(f"/groupes/{group.slug}/salons/accueil")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
