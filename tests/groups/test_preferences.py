"""Notification preferences per group and channel: mentions and replies by default, every
message when asked (one notice while unread), nothing from a muted channel."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tremplin.groups.models import NotificationPreference
from tremplin.platform.models import Notification


@pytest.fixture
def club(make_group, make_member, make_organiser):
    claire = make_organiser("Claire Dubois")
    awa, karim = make_member("Awa Diallo"), make_member("Karim Benali")
    group = make_group(
        "Restauration", organiser=claire, members=[awa, karim], channels=["Financement"]
    )
    return group, claire, awa, karim


def notices(db, user) -> list[str]:
    return db.session.scalars(
        select(Notification.text).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()


def test_a_muted_channel_sends_no_mention_notice_while_others_still_do(client, auth, db, club):
    group, _claire, awa, karim = club
    auth.login_as(karim)
    page = client.get(f"/groupes/{group.slug}/salons/financement").text
    assert "Notifications de ce salon" in page
    response = client.post(
        f"/groupes/{group.slug}/salons/financement/notifications", data={"level": "mute"}
    )
    assert response.status_code == 302
    auth.login_as(awa)
    client.post(f"/groupes/{group.slug}/salons/financement", data={"body": "@Karim Benali ?"})
    assert notices(db, karim) == []
    client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "@Karim Benali !"})
    assert notices(db, karim) == ["Awa Diallo vous a mentionné dans #Accueil"]


def test_all_messages_means_one_notice_while_unread(client, auth, db, club):
    group, claire, awa, karim = club
    auth.login_as(karim)
    client.post("/groupes/notifications", data={f"g{group.id}": "all"})
    auth.login_as(awa)
    for body in ("Premier", "Deuxième"):
        client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": body})
    assert notices(db, karim) == ["Nouveau message de Awa Diallo dans #Accueil"]
    assert notices(db, claire) == []  # the default: mentions and replies only
    auth.login_as(karim)
    client.get(f"/groupes/{group.slug}/salons/accueil")  # reads them
    auth.login_as(awa)
    client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "Troisième"})
    assert len(notices(db, karim)) == 2


def test_the_settings_page_saves_group_and_channel_levels(client, auth, db, club, count_statements):
    group, _claire, _awa, karim = club
    auth.login_as(karim)
    page = client.get("/groupes/notifications")
    assert page.status_code == 200 and "Mentions et réponses seulement" in page.text
    financement = group.channels[1]
    client.post(
        "/groupes/notifications",
        data={f"g{group.id}": "all", f"c{financement.id}": "mute"},
    )
    rows = dict(
        db.session.execute(
            select(NotificationPreference.channel_id, NotificationPreference.level).where(
                NotificationPreference.user_id == karim.id
            )
        ).all()
    )
    assert rows == {None: "all", financement.id: "mute"}
    client.post("/groupes/notifications", data={f"g{group.id}": "all"})  # back to inherit
    assert db.session.scalar(select(func.count(NotificationPreference.id))) == 1
    with count_statements() as counter:
        assert client.get("/groupes/notifications").status_code == 200
    assert counter.count <= 12
    bad = client.post(f"/groupes/{group.slug}/salons/accueil/notifications", data={"level": "loud"})
    assert bad.status_code == 302
    assert "Choisissez un niveau" in client.get(f"/groupes/{group.slug}/salons/accueil").text


def test_only_members_choose_a_channel_level(client, auth, club, make_member):
    group, *_ = club
    auth.login_as(make_member("Curieux"))
    response = client.post(
        f"/groupes/{group.slug}/salons/accueil/notifications", data={"level": "all"}
    )
    assert response.status_code == 403
