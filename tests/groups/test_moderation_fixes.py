"""Moderation without blind spots: a second request about another message is not a
duplicate, the confirming organiser sees the message, the charter notice leads to the
charter, the log's audience is an organiser setting, and mentions never break links."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tremplin.groups.models import GroupMembership, ModerationRequest
from tremplin.platform.models import Notification
from tremplin.platform.types import utcnow


@pytest.fixture
def club(make_group, make_member, make_organiser):
    lakdar = make_organiser("Lakdar Kherbi")
    claire, bernadette = make_organiser("Claire Dubois"), make_organiser("Bernadette")
    moussa = make_member("Moussa")
    group = make_group(
        "Club Dynamiques africaines",
        organiser=claire,
        organisers=[lakdar, bernadette],
        members=[moussa],
    )
    return group, lakdar, claire, bernadette, moussa


def test_hiding_a_second_message_of_an_organiser_is_a_new_request_not_a_duplicate(
    client, auth, db, club, post_message
):
    group, lakdar, claire, _bernadette, _moussa = club
    first = post_message(lakdar, group.channels[0], "Premier message limite")
    second = post_message(lakdar, group.channels[0], "Second message limite")
    auth.login_as(claire)
    for message in (first, second):
        response = client.post(
            f"/discussion/messages/{message.id}/masquer", data={"reason": "Hors charte"}
        )
        assert response.status_code == 302
    again = client.post(
        f"/discussion/messages/{first.id}/masquer",
        data={"reason": "Hors charte"},
        follow_redirects=True,
    )
    assert "Une demande identique attend déjà" in again.text
    requests = db.session.scalars(
        select(ModerationRequest.message_id).where(ModerationRequest.state == "pending")
    ).all()
    assert sorted(requests) == sorted([first.id, second.id])


def test_the_confirming_organiser_sees_the_message_quoted_with_a_link(
    client, auth, db, club, post_message
):
    group, lakdar, claire, bernadette, _moussa = club
    message = post_message(lakdar, group.channels[0], "Venez tous à ma formation payante")
    auth.login_as(claire)
    client.post(f"/discussion/messages/{message.id}/masquer", data={"reason": "Publicité"})
    auth.login_as(bernadette)
    page = client.get(f"/groupes/{group.slug}/moderation").text
    card = page.split('id="confirmations"', 1)[1].split("</section>", 1)[0]
    assert "Claire Dubois propose" in card and "Lakdar Kherbi" in card
    assert "Venez tous à ma formation payante" in card
    assert f'/salons/{group.channels[0].slug}#m{message.id}"' in card


def test_after_a_charter_change_the_channel_offers_the_charter_and_brings_the_member_back(
    client, auth, db, club
):
    group, _lakdar, claire, _bernadette, moussa = club
    auth.login_as(claire)
    client.post(
        f"/groupes/{group.slug}/charte/modifier",
        data={"body": "Nouvelle charte : bienveillance et entraide."},
    )
    auth.login_as(moussa)
    channel_path = f"/groupes/{group.slug}/salons/{group.channels[0].slug}"
    page = client.get(channel_path).text
    assert "La charte du groupe a changé" in page
    link = f"/groupes/{group.slug}/charte?next={channel_path}#accepter"
    assert link in page and "Lire et accepter la charte" in page
    charter = client.get(f"/groupes/{group.slug}/charte?next={channel_path}").text
    assert f'name="next" value="{channel_path}"' in charter
    accepted = client.post(
        f"/groupes/{group.slug}/charte/accepter",
        data={"accept_charter": "y", "next": channel_path},
    )
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith(channel_path)
    assert "La charte du groupe a changé" not in client.get(channel_path).text
    note = db.session.scalar(
        select(Notification.url).where(
            Notification.user_id == moussa.id, Notification.text.contains("charte")
        )
    )
    assert note.endswith("/charte#accepter")


def test_the_moderation_log_is_for_the_group_members_unless_organisers_open_it(
    client, auth, db, club, make_member
):
    group, _lakdar, claire, _bernadette, moussa = club
    outsider = make_member("Nadia Curieuse")
    auth.login_as(outsider)
    assert client.get(f"/groupes/{group.slug}/moderation").status_code == 403
    assert "Journal de modération" not in client.get(f"/groupes/{group.slug}").text
    auth.login_as(moussa)
    assert client.get(f"/groupes/{group.slug}/moderation").status_code == 200

    auth.login_as(claire)
    form = client.get(f"/groupes/{group.slug}/modifier").text
    assert "Lisible par les membres du groupe" in form
    assert (
        '<input checked id="log_audience-0" name="log_audience" type="radio" value="members">'
        in form
    )
    response = client.post(
        f"/groupes/{group.slug}/modifier",
        data={
            "name": group.name,
            "theme": group.theme,
            "description": group.description or "Un club",
            "visibility": "public",
            "log_audience": "network",
        },
    )
    assert response.status_code == 302
    auth.login_as(outsider)
    assert client.get(f"/groupes/{group.slug}/moderation").status_code == 200
    auth.login_as(moussa)
    response = client.post(  # a member who does not run the group cannot change it
        f"/groupes/{group.slug}/modifier",
        data={
            "name": group.name,
            "theme": group.theme,
            "description": "x",
            "log_audience": "members",
        },
    )
    assert response.status_code == 403


def test_a_mention_inside_a_link_title_leaves_the_link_whole(client, auth, db, club, make_member):
    group, _lakdar, _claire, _bernadette, moussa = club
    karim = make_member("Karim Benali")
    db.session.add(GroupMembership(group=group, user=karim, joined_at=utcnow()))
    db.session.commit()
    auth.login_as(moussa)
    body = '[le site](https://exemple.fr "@Karim Benali") et `@Karim Benali` merci @Karim Benali'
    client.post(f"/groupes/{group.slug}/salons/{group.channels[0].slug}", data={"body": body})
    page = client.get(f"/groupes/{group.slug}/salons/{group.channels[0].slug}").text
    assert (
        '<a href="https://exemple.fr" title="@Karim Benali" rel="noopener noreferrer nofollow ugc">'
        "le site</a>" in page
    )
    assert "<code>@Karim Benali</code>" in page
    assert 'merci <span class="mention">@Karim Benali</span>' in page
    assert db.session.scalar(
        select(Notification).where(Notification.user_id == karim.id)
    )  # still notified
