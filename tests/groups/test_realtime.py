"""Real python-socketio clients against the live server: messages stored then delivered,
the same policies as HTTP, edits and deletions live, nothing lost across a reconnect."""

from __future__ import annotations

import json
import socket
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.kit.live import drop, wait_for
from tremplin.groups.models import Message
from tremplin.groups.policies import get_membership
from tremplin.platform.types import utcnow


def events(client, name):
    return [data for event, data in client.received if event == name]


def hang_up(client) -> None:
    """Close the connection so the server sees it go at once (`drop` closes the client's
    file descriptor while its reader thread still holds it: no FIN is sent until the
    server's ping timeout)."""
    if client.eio.ws is not None and client.eio.ws.sock is not None:
        client.eio.ws.sock.shutdown(socket.SHUT_RDWR)
    drop(client)


def count_messages(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Message.id)))


@pytest.fixture
def room(make_group, make_member, make_organiser):
    claire = make_organiser("Claire Dubois")
    awa, karim = make_member("Awa Diallo"), make_member("Karim Benali")
    group = make_group("Restauration", organiser=claire, members=[awa, karim])
    return group, group.channels[0], claire, awa, karim


def joined(socket_client, user, channel):
    client = socket_client(user)
    assert client.call("chat:subscribe", {}, timeout=10)["ok"]
    answer = client.call("channel:join", {"channel_id": channel.id}, timeout=10)
    assert answer["ok"], answer
    return client


def test_two_members_exchange_messages_in_a_channel(db, room, socket_client):
    group, channel, _claire, awa, karim = room
    a, k = joined(socket_client, awa, channel), joined(socket_client, karim, channel)

    answer = a.call(
        "message:send", {"channel_id": channel.id, "body": "Bonjour Karim !"}, timeout=10
    )
    assert answer["ok"] and answer["message"]["html"] == "<p>Bonjour Karim !</p>"
    got = wait_for(lambda: events(k, "message:new"))
    assert got[0]["body"] == "Bonjour Karim !" and got[0]["author"]["name"] == "Awa Diallo"
    assert wait_for(lambda: [b for b in events(k, "unread:bump") if b["channel_id"] == channel.id])

    k.call("message:send", {"channel_id": channel.id, "body": "Salut Awa"}, timeout=10)
    assert wait_for(lambda: [m for m in events(a, "message:new") if m["body"] == "Salut Awa"])
    assert count_messages(db) == 2  # stored, not only relayed


def test_a_non_member_cannot_join_a_private_groups_room_nor_read_its_history(
    db, make_group, make_member, make_organiser, socket_client, post_message
):
    claire = make_organiser("Claire")
    group = make_group("Entreprendre au féminin", organiser=claire, visibility="private")
    channel = group.channels[0]
    post_message(claire, channel, "Entre nous")
    outsider = socket_client(make_member("Curieux"))

    answer = outsider.call("channel:join", {"channel_id": channel.id}, timeout=10)
    assert answer == {
        "ok": False,
        "error": "Ce salon ou cette conversation n’existe pas, ou vous n’y avez pas accès.",
    }
    assert outsider.call("history", {"channel_id": channel.id}, timeout=10)["ok"] is False
    refused = outsider.call(
        "message:send", {"channel_id": channel.id, "body": "Je m'invite"}, timeout=10
    )
    assert refused["ok"] is False and count_messages(db) == 1

    member = joined(socket_client, claire, channel)
    member.call(
        "message:send", {"channel_id": channel.id, "body": "Toujours entre nous"}, timeout=10
    )
    wait_for(lambda: events(member, "message:new"))
    assert not [d for d in events(outsider, "message:new")]


def test_a_muted_members_message_is_refused_and_not_stored(db, room, socket_client):
    group, channel, _claire, awa, _karim = room
    get_membership(awa, group).muted_until = utcnow() + timedelta(hours=1)
    db.session.commit()
    client = joined(socket_client, awa, channel)
    answer = client.call(
        "message:send", {"channel_id": channel.id, "body": "Et pourtant"}, timeout=10
    )
    assert answer["ok"] is False and answer["error"].startswith(
        "Vous êtes en sourdine dans ce groupe"
    )
    assert count_messages(db) == 0


@pytest.mark.parametrize(
    "body, error",
    [
        ("", "Votre message est vide : écrivez quelque chose avant d'envoyer."),
        ("x" * 4001, "Votre message est trop long (4001 caractères, 4000 au maximum)."),
    ],
)
def test_empty_and_overlong_messages_get_a_clear_error_on_the_ack(
    db, room, socket_client, body, error
):
    _group, channel, _claire, awa, _karim = room
    client = joined(socket_client, awa, channel)
    assert client.call("message:send", {"channel_id": channel.id, "body": body}, timeout=10) == {
        "ok": False,
        "error": error,
    }
    assert count_messages(db) == 0


def test_flooding_from_a_new_account_is_refused_with_a_notice(db, room, socket_client):
    _group, channel, _claire, awa, _karim = room
    client = joined(socket_client, awa, channel)
    answers = [
        client.call("message:send", {"channel_id": channel.id, "body": f"n°{n}"}, timeout=10)
        for n in range(6)
    ]
    assert [a["ok"] for a in answers] == [True] * 5 + [False]
    assert "les comptes récents peuvent envoyer 5 messages par minute" in answers[-1]["error"]
    assert count_messages(db) == 5


def test_edits_and_deletions_reach_the_other_client(db, room, socket_client):
    _group, channel, _claire, awa, karim = room
    a, k = joined(socket_client, awa, channel), joined(socket_client, karim, channel)
    sent = a.call(
        "message:send", {"channel_id": channel.id, "body": "Rendez-vous à 18 h"}, timeout=10
    )
    message_id = sent["id"]

    assert (
        k.call("message:edit", {"message_id": message_id, "body": "Piraté"}, timeout=10)["ok"]
        is False
    )
    assert a.call(
        "message:edit", {"message_id": message_id, "body": "Rendez-vous à 19 h"}, timeout=10
    )["ok"]
    edit = wait_for(lambda: events(k, "message:edit"))[0]
    assert edit["id"] == message_id and edit["edited"] and edit["body"] == "Rendez-vous à 19 h"

    assert a.call("message:delete", {"message_id": message_id}, timeout=10)["ok"]
    deletion = wait_for(lambda: events(k, "message:delete"))[0]
    assert deletion["id"] == message_id and deletion["deleted"] and deletion["body"] == ""


def test_a_client_that_reconnects_gets_the_messages_it_missed(
    db, room, socket_client, live_server, post_message
):
    _group, channel, claire, awa, _karim = room
    a = joined(socket_client, awa, channel)
    first = post_message(claire, channel, "Avant la coupure")
    wait_for(lambda: events(a, "message:new"))
    drop(a)  # the network goes away
    post_message(claire, channel, "Pendant la coupure 1")
    post_message(claire, channel, "Pendant la coupure 2")

    again = joined(socket_client, awa, channel)
    request = urllib.request.Request(
        f"{live_server.url}/groupes/{channel.group.slug}/salons/{channel.slug}/historique?after={first.id}",
        headers={
            "Cookie": f"session={socket_client.cookie_for(awa)}",
            "Accept": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        missed = json.load(response)["messages"]
    assert [m["body"] for m in missed] == ["Pendant la coupure 1", "Pendant la coupure 2"]
    # The socket offers the same catch-up, under the same policy.
    answer = again.call("history", {"channel_id": channel.id, "after": first.id}, timeout=10)
    assert [m["body"] for m in answer["messages"]] == [
        "Pendant la coupure 1",
        "Pendant la coupure 2",
    ]
    post_message(claire, channel, "Après")
    assert wait_for(lambda: [m for m in events(again, "message:new") if m["body"] == "Après"])


def test_typing_and_presence_are_shared_with_the_group(db, room, socket_client):
    group, channel, _claire, awa, karim = room
    k = joined(socket_client, karim, channel)
    a = joined(socket_client, awa, channel)
    online = wait_for(lambda: [p for p in events(k, "presence") if p["user"]["id"] == awa.id])
    assert online[0] == {"user": online[0]["user"], "online": True, "group_id": group.id}
    assert a.call("typing", {"channel_id": channel.id}, timeout=10)["ok"]
    typing = wait_for(lambda: events(k, "typing"))[0]
    assert typing["user"] == {"id": awa.id, "name": "Awa Diallo"}
    assert not events(a, "typing")  # not echoed to the one typing
    late = socket_client(karim)
    subscribed = late.call("chat:subscribe", {"group_id": group.id}, timeout=10)
    assert subscribed["online"] == [{"id": awa.id, "name": "Awa Diallo"}]  # a later page catches up
    assert (
        late.call("presence:list", {"group_id": group.id}, timeout=10)["online"]
        == subscribed["online"]
    )

    hang_up(a)
    offline = wait_for(lambda: [p for p in events(k, "presence") if p["online"] is False])
    assert offline == [{"user": {"id": awa.id}, "online": False, "group_id": group.id}]


def test_reading_syncs_unread_counts_to_every_page_of_the_member(
    db, room, socket_client, post_message
):
    _group, channel, claire, awa, _karim = room
    message = post_message(claire, channel, "Un")
    a = socket_client(awa)
    answer = a.call("chat:subscribe", {}, timeout=10)
    assert answer["unread"]["channels"] == {str(channel.id): 1}
    a.call("read", {"channel_id": channel.id, "message_id": message.id}, timeout=10)
    sync = wait_for(lambda: events(a, "unread:sync"))[0]
    assert sync["channels_total"] == 0


def test_conversation_messages_reach_participants_only(db, make_member, socket_client, in_request):
    from tremplin.groups import open_conversation

    awa, fatou, karim = make_member("Awa"), make_member("Fatou"), make_member("Karim")
    with in_request():
        conversation = open_conversation([awa, fatou])
    a, f, k = socket_client(awa), socket_client(fatou), socket_client(karim)
    for client in (a, f):
        assert client.call("conversation:join", {"conversation_id": conversation.id}, timeout=10)[
            "ok"
        ]
    assert (
        k.call("conversation:join", {"conversation_id": conversation.id}, timeout=10)["ok"] is False
    )
    assert (
        k.call("message:send", {"conversation_id": conversation.id, "body": "Psst"}, timeout=10)[
            "ok"
        ]
        is False
    )
    assert a.call(
        "message:send", {"conversation_id": conversation.id, "body": "Coucou"}, timeout=10
    )["ok"]
    assert wait_for(lambda: events(f, "message:new"))[0]["body"] == "Coucou"
    assert not events(k, "message:new")


def test_a_banned_member_is_taken_out_of_the_rooms_at_once(
    app, db, room, socket_client, in_request
):
    group, channel, claire, awa, karim = room
    a = joined(socket_client, awa, channel)
    k = joined(socket_client, karim, channel)
    from tremplin.groups import moderation

    with in_request():
        moderation.ban(claire, group, karim, reason="Insultes")
    assert k.call("channel:join", {"channel_id": channel.id}, timeout=10)["ok"] is False
    a.call("message:send", {"channel_id": channel.id, "body": "Après l'exclusion"}, timeout=10)
    wait_for(lambda: events(a, "message:new"))
    assert wait_for(lambda: not events(k, "message:new"), timeout=0.3)
