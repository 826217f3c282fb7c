"""Moderation in the open: reports, hiding, pinning, muting, banning; every organiser
action in the log all members read; actions on an organiser need a second organiser."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tremplin.groups import moderation
from tremplin.groups.models import (
    GroupMembership,
    MessageReport,
    ModerationLogEntry,
    ModerationRequest,
)
from tremplin.groups.policies import get_membership, is_muted
from tremplin.platform.models import Notification


@pytest.fixture
def club(make_group, make_member, make_organiser):
    """A club run by three organisers (Lakdar, Bernadette, Claire) with two members."""
    lakdar = make_organiser("Lakdar")
    bernadette, claire = make_organiser("Bernadette"), make_organiser("Claire")
    moussa, rachid = make_member("Moussa"), make_member("Rachid")
    group = make_group(
        "Club Dynamiques africaines",
        organiser=lakdar,
        organisers=[bernadette, claire],
        members=[moussa, rachid],
    )
    return group, lakdar, bernadette, claire, moussa, rachid


def log_actions(db, group):
    return [
        e.action
        for e in db.session.scalars(
            select(ModerationLogEntry)
            .where(ModerationLogEntry.group_id == group.id)
            .order_by(ModerationLogEntry.id)
        )
    ]


def test_a_member_reports_a_message_and_organisers_are_told(client, auth, db, club, post_message):
    group, lakdar, *_rest, moussa, rachid = club
    message = post_message(rachid, group.channels[0], "Achetez mes produits miracles !")
    auth.login_as(moussa)
    assert "Spam ou publicité" in client.get(f"/discussion/messages/{message.id}/signaler").text
    client.post(
        f"/discussion/messages/{message.id}/signaler",
        data={"reason": "spam", "details": "Démarchage"},
    )
    again = client.post(f"/discussion/messages/{message.id}/signaler", data={"reason": "spam"})
    assert "Vous avez déjà signalé ce message" in again.text
    assert db.session.scalar(select(MessageReport.reason)) == "spam"
    assert db.session.scalar(
        select(Notification).where(
            Notification.user_id == lakdar.id, Notification.text.contains("signalé")
        )
    )
    assert "Signalements à examiner" not in client.get(f"/groupes/{group.slug}/moderation").text

    auth.login_as(lakdar)
    page = client.get(f"/groupes/{group.slug}/moderation")
    assert "Achetez mes produits miracles" in page.text and "Démarchage" in page.text
    assert "Moussa" not in page.text  # the reporter stays anonymous


def test_organiser_hides_a_message_for_everyone_and_the_log_says_so(
    client, auth, db, club, post_message
):
    group, lakdar, *_rest, moussa, rachid = club
    message = post_message(rachid, group.channels[0], "Achetez mes produits miracles !")
    auth.login_as(moussa)
    client.post(f"/discussion/messages/{message.id}/signaler", data={"reason": "spam"})
    assert client.post(f"/discussion/messages/{message.id}/masquer").status_code == 403

    auth.login_as(lakdar)
    client.post(
        f"/discussion/messages/{message.id}/masquer",
        data={"reason": "Démarchage, point 2 de la charte"},
    )
    db.session.refresh(message)
    assert message.hidden_at is not None and message.hidden_by_id == lakdar.id
    assert db.session.scalar(select(MessageReport.resolution)) == "hidden"

    auth.login_as(moussa)
    channel = client.get(f"/groupes/{group.slug}/salons/accueil").text
    assert (
        "produits miracles" not in channel and "Message masqué par l’équipe d’animation" in channel
    )
    log = client.get(f"/groupes/{group.slug}/moderation").text
    assert (
        "Lakdar a masqué un message de Rachid" in log and "Démarchage, point 2 de la charte" in log
    )


def test_mute_ban_and_unban_a_member(client, auth, db, club, post_message):
    group, lakdar, *_rest, moussa, rachid = club
    auth.login_as(lakdar)
    client.post(
        f"/groupes/{group.slug}/moderation/membres/{rachid.id}/sourdine",
        data={"minutes": "60", "reason": "Propos répétés hors sujet"},
    )
    assert is_muted(get_membership(rachid, group))
    auth.login_as(rachid)
    refused = client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "Je proteste"})
    assert refused.status_code == 400 and "Vous êtes en sourdine" in refused.text
    assert client.get(f"/groupes/{group.slug}/salons/accueil").status_code == 200  # still reads

    auth.login_as(lakdar)
    client.post(f"/groupes/{group.slug}/moderation/membres/{rachid.id}/fin-sourdine")
    client.post(
        f"/groupes/{group.slug}/moderation/membres/{rachid.id}/exclure",
        data={"days": "0", "reason": "Insultes"},
    )
    assert get_membership(rachid, group).state == "banned"
    auth.login_as(rachid)
    assert client.get(f"/groupes/{group.slug}/salons/accueil").status_code == 403
    assert "Vous avez été exclu de ce groupe" in client.get(f"/groupes/{group.slug}").text

    auth.login_as(lakdar)
    client.post(f"/groupes/{group.slug}/moderation/membres/{rachid.id}/reintegrer")
    client.post(f"/groupes/{group.slug}/moderation/membres/{rachid.id}/reintegrer")  # twice
    membership = db.session.scalar(
        select(GroupMembership).where(GroupMembership.user_id == rachid.id)
    )
    assert membership.state == "active" and membership.banned_until is None  # back in the group
    auth.login_as(rachid)
    assert (
        client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "Merci"}).status_code
        == 302
    )
    auth.login_as(lakdar)
    assert log_actions(db, group) == [
        "member_muted",
        "member_unmuted",
        "member_banned",
        "member_unbanned",
    ]
    auth.login_as(moussa)
    log = client.get(f"/groupes/{group.slug}/moderation").text
    assert "Lakdar a exclu Rachid du groupe" in log and "Insultes" in log


def test_pinned_messages_show_above_the_thread(client, auth, db, club, post_message):
    group, lakdar, *_rest, moussa, _rachid = club
    message = post_message(
        moussa, group.channels[0], "Rencontre mardi à 18 h à la Cité des métiers"
    )
    auth.login_as(moussa)
    assert client.post(f"/discussion/messages/{message.id}/epingler").status_code == 403
    auth.login_as(lakdar)
    client.post(f"/discussion/messages/{message.id}/epingler")
    page = client.get(f"/groupes/{group.slug}/salons/accueil").text
    assert "1 message épinglé" in page
    assert log_actions(db, group) == ["message_pinned"]


def test_an_organiser_cannot_act_on_another_organiser_alone(client, auth, db, club):
    group, lakdar, bernadette, claire, *_ = club
    auth.login_as(lakdar)
    page = client.post(
        f"/groupes/{group.slug}/moderation/membres/{bernadette.id}/sourdine",
        data={"minutes": "1440", "reason": "Monopolise le club"},
        follow_redirects=True,
    )
    assert "attend la confirmation" in page.text
    assert not is_muted(get_membership(bernadette, group))
    request = db.session.scalar(select(ModerationRequest))
    assert request.state == "pending"
    assert db.session.scalar(
        select(Notification).where(
            Notification.user_id == claire.id,
            Notification.text.contains("demande votre confirmation"),
        )
    )

    # Neither the one who asked nor the one targeted can confirm.
    client.post(f"/groupes/{group.slug}/moderation/demandes/{request.id}/confirmer")
    auth.login_as(bernadette)
    client.post(f"/groupes/{group.slug}/moderation/demandes/{request.id}/confirmer")
    db.session.refresh(request)
    assert request.state == "pending" and not is_muted(get_membership(bernadette, group))

    auth.login_as(claire)
    client.post(f"/groupes/{group.slug}/moderation/demandes/{request.id}/confirmer")
    db.session.refresh(request)
    assert request.state == "confirmed" and is_muted(get_membership(bernadette, group))
    entry = db.session.scalars(
        select(ModerationLogEntry).order_by(ModerationLogEntry.id.desc())
    ).first()
    assert (entry.action, entry.actor_id, entry.confirmed_by_id) == (
        "member_muted",
        lakdar.id,
        claire.id,
    )
    log = client.get(f"/groupes/{group.slug}/moderation").text
    assert "en attente de la confirmation d’un second animateur" in log
    assert "confirmé par Claire" in log


def test_removing_an_organiser_or_hiding_their_message_also_needs_a_second_organiser(
    client, auth, db, club, post_message
):
    group, lakdar, bernadette, claire, *_ = club
    message = post_message(bernadette, group.channels[0], "Mon activité personnelle, achetez !")
    auth.login_as(lakdar)
    client.post(
        f"/discussion/messages/{message.id}/masquer", data={"reason": "Promotion personnelle"}
    )
    client.post(f"/groupes/{group.slug}/membres/{bernadette.id}/role", data={"role": "member"})
    db.session.refresh(message)
    assert message.hidden_at is None and get_membership(bernadette, group).role == "organiser"

    requests = db.session.scalars(select(ModerationRequest).order_by(ModerationRequest.id)).all()
    auth.login_as(claire)
    client.post(f"/groupes/{group.slug}/moderation/demandes/{requests[0].id}/confirmer")
    client.post(f"/groupes/{group.slug}/moderation/demandes/{requests[1].id}/refuser")
    db.session.refresh(message)
    assert message.hidden_at is not None
    assert get_membership(bernadette, group).role == "organiser"
    assert log_actions(db, group)[-2:] == ["message_hidden", "confirmation_declined"]


def test_with_two_organisers_the_other_cannot_be_removed_without_a_third(
    client, auth, db, make_group, make_organiser, make_member
):
    lakdar, bernadette = make_organiser("Lakdar"), make_organiser("Bernadette")
    group = make_group(organiser=lakdar, organisers=[bernadette])
    auth.login_as(lakdar)
    client.post(
        f"/groupes/{group.slug}/moderation/membres/{bernadette.id}/exclure", data={"days": "0"}
    )
    assert get_membership(bernadette, group).state == "active"
    page = client.get(f"/groupes/{group.slug}/moderation").text
    assert "En attente d’un autre animateur" in page


def test_organisers_promote_members_directly(client, auth, db, club):
    group, lakdar, *_rest, moussa, _rachid = club
    auth.login_as(lakdar)
    client.post(f"/groupes/{group.slug}/membres/{moussa.id}/role", data={"role": "resource"})
    assert get_membership(moussa, group).role == "resource"
    assert "Personne ressource" in client.get(f"/groupes/{group.slug}/moderation").text


def test_moderation_log_is_for_members_of_a_private_group(
    client, auth, make_group, make_member, make_organiser
):
    claire = make_organiser("Claire")
    awa = make_member("Awa")
    group = make_group(organiser=claire, visibility="private", members=[awa])
    auth.login_as(awa)
    assert client.get(f"/groupes/{group.slug}/moderation").status_code == 200
    auth.login_as(make_member("Curieux"))
    assert client.get(f"/groupes/{group.slug}/moderation").status_code == 403


def test_a_member_cannot_moderate(client, auth, club):
    group, _lakdar, bernadette, _claire, moussa, rachid = club
    auth.login_as(moussa)
    for path in (
        f"/groupes/{group.slug}/moderation/membres/{rachid.id}",
        f"/groupes/{group.slug}/moderation/membres/{rachid.id}/sourdine",
    ):
        response = (
            client.post(path, data={"minutes": "60"})
            if path.endswith("sourdine")
            else client.get(path)
        )
        assert response.status_code == 403


def test_moderation_services_refuse_self_sanctions(app, db, club, in_request):
    group, lakdar, *_ = club
    from tremplin.platform.errors import DomainError

    with app.test_request_context(), pytest.raises(DomainError):
        moderation.mute(lakdar, group, lakdar, 60)
    assert (
        db.session.scalar(select(GroupMembership).where(GroupMembership.muted_until.is_not(None)))
        is None
    )


def test_making_someone_organiser_of_a_team_needs_a_second_organiser(client, auth, db, club):
    group, lakdar, _bernadette, claire, moussa, _rachid = club
    auth.login_as(lakdar)
    page = client.post(
        f"/groupes/{group.slug}/membres/{moussa.id}/role",
        data={"role": "organiser"},
        follow_redirects=True,
    )
    assert "attend la confirmation d’un autre animateur" in page.text
    assert get_membership(moussa, group).role == "member"
    request = db.session.scalar(select(ModerationRequest))
    auth.login_as(claire)
    client.post(f"/groupes/{group.slug}/moderation/demandes/{request.id}/confirmer")
    assert get_membership(moussa, group).role == "organiser"
