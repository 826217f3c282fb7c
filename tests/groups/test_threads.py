"""Replies in threads, emoji reactions and @-autocomplete, over HTTP and real Socket.IO
clients; a member who cannot read a place can neither reply, react nor see its thread."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests.kit.live import wait_for
from tremplin.groups import reactions
from tremplin.groups.models import Message, MessageReaction
from tremplin.platform.models import Notification


def events(client, name):
    return [data for event, data in client.received if event == name]


@pytest.fixture
def room(make_group, make_member, make_organiser):
    claire = make_organiser("Claire Dubois")
    awa, karim = make_member("Awa Diallo"), make_member("Karim Benali")
    group = make_group("Restauration", organiser=claire, members=[awa, karim])
    return group, group.channels[0], claire, awa, karim


@pytest.fixture
def private_room(make_group, make_member, make_organiser, post_message):
    nadia = make_organiser("Nadia Haddad")
    group = make_group("Entreprendre au féminin", organiser=nadia, visibility="private")
    root = post_message(nadia, group.channels[0], "Entre nous : le budget 2027")
    return group, root, nadia


def test_a_reply_goes_to_the_thread_not_the_channel_and_tells_the_author(
    client, auth, db, room, post_message
):
    group, channel, claire, awa, karim = room
    root = post_message(awa, channel, "Qui connaît un comptable à Lyon ?")
    auth.login_as(karim)
    response = client.post(f"/discussion/messages/{root.id}/fil", data={"body": "Moi, Paul !"})
    assert (
        response.status_code == 302
        and f"/discussion/messages/{root.id}/fil#m" in (response.headers["Location"])
    )
    db.session.refresh(root)
    assert root.reply_count == 1
    page = client.get(f"/groupes/{group.slug}/salons/{channel.slug}").text
    assert "Qui connaît un comptable" in page and "Moi, Paul !" not in page
    assert "1 réponse" in page
    thread = client.get(f"/discussion/messages/{root.id}/fil").text
    assert "Moi, Paul !" in thread and "Qui connaît un comptable" in thread
    note = db.session.scalar(select(Notification).where(Notification.user_id == awa.id))
    assert note.text == "Karim Benali a répondu dans un fil de #Accueil"
    data = client.get(f"/discussion/messages/{root.id}/fil?format=json").get_json()
    assert data["root"]["reply_count"] == 1 and data["replies"][0]["body"] == "Moi, Paul !"
    # one level only: a reply to a reply is refused
    reply_id = data["replies"][0]["id"]
    assert (
        client.post(f"/discussion/messages/{reply_id}/fil", data={"body": "x"}).status_code == 302
    )
    assert db.session.scalar(select(func.count(Message.id))) == 2


def test_replies_and_reactions_arrive_live_with_who_reacted(db, room, socket_client, post_message):
    _group, channel, _claire, awa, karim = room
    root = post_message(awa, channel, "On se retrouve jeudi ?")
    clients = []
    for user in (awa, karim):
        c = socket_client(user)
        assert c.call("channel:join", {"channel_id": channel.id}, timeout=10)["ok"]
        clients.append(c)
    a, k = clients
    answer = k.call(
        "message:send",
        {"channel_id": channel.id, "thread_root_id": root.id, "body": "Oui, 19 h"},
        timeout=10,
    )
    assert answer["ok"] and answer["message"]["thread_root_id"] == root.id
    assert wait_for(lambda: [m for m in events(a, "message:new") if m["body"] == "Oui, 19 h"])
    assert wait_for(
        lambda: [
            m for m in events(a, "message:update") if m["id"] == root.id and m["reply_count"] == 1
        ]
    )
    assert k.call("reaction:set", {"message_id": root.id, "emoji": "👍"}, timeout=10)["ok"]
    got = wait_for(lambda: [r for r in events(a, "message:reactions") if r["id"] == root.id])
    assert got[-1]["reactions"] == [
        {"emoji": "👍", "count": 1, "user_ids": [karim.id], "names": ["Karim Benali"]}
    ]
    assert k.call("reaction:set", {"message_id": root.id, "emoji": "👍"}, timeout=10)["ok"]
    assert db.session.scalar(select(func.count(MessageReaction.id))) == 1  # given once
    assert k.call("reaction:set", {"message_id": root.id, "emoji": "👍", "on": False}, timeout=10)[
        "ok"
    ]
    assert wait_for(lambda: [r for r in events(a, "message:reactions") if r["reactions"] == []])
    refused = k.call("reaction:set", {"message_id": root.id, "emoji": "💩"}, timeout=10)
    assert not refused["ok"] and "pas proposée" in refused["error"]
    thread = a.call("thread:history", {"message_id": root.id}, timeout=10)
    assert [m["body"] for m in thread["replies"]] == ["Oui, 19 h"]


def test_reacting_without_javascript_toggles_and_shows_who(client, auth, db, room, post_message):
    group, channel, _claire, awa, karim = room
    message = post_message(awa, channel, "Merci à tous pour hier")
    auth.login_as(karim)
    path = f"/discussion/messages/{message.id}/reactions"
    assert client.post(path, data={"emoji": "🎉"}).status_code == 302
    page = client.get(f"/groupes/{group.slug}/salons/{channel.slug}").text
    assert 'title="Karim Benali"' in page and 'aria-pressed="true"' in page
    client.post(path, data={"emoji": "🎉"})
    assert db.session.scalar(select(func.count(MessageReaction.id))) == 0
    assert client.post(path, data={"emoji": "nope"}).status_code == 400


def test_two_reactions_at_once_are_stored_once(app, db, room, post_message):
    _group, channel, _claire, awa, karim = room
    message = post_message(awa, channel, "Bravo")
    karim_id, message_id = karim.id, message.id  # read here: threads share no ORM object
    barrier = threading.Barrier(4)
    errors = []

    def react():
        with app.app_context():
            from tremplin.platform.extensions import db as _db
            from tremplin.platform.models import User

            try:
                user = _db.session.get(User, karim_id)
                target = _db.session.get(Message, message_id)
                barrier.wait(timeout=10)
                reactions.set_reaction(user, target, "❤️", True)
                _db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - checked below
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=react) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.session.scalar(select(func.count(MessageReaction.id))) == 1


def test_an_outsider_can_neither_reply_react_nor_read_the_thread_over_http(
    client, auth, db, private_room, make_member
):
    _group, root, _nadia = private_room
    auth.login_as(make_member("Curieux"))
    assert client.get(f"/discussion/messages/{root.id}/fil").status_code == 403
    assert client.get(f"/discussion/messages/{root.id}/fil?format=json").status_code == 403
    assert client.post(f"/discussion/messages/{root.id}/fil", data={"body": "x"}).status_code == 403
    assert (
        client.post(f"/discussion/messages/{root.id}/reactions", data={"emoji": "👍"}).status_code
        == 403
    )
    assert client.get(f"/discussion/mentions?channel_id={root.channel_id}&q=n").status_code == 403
    assert db.session.scalar(select(func.count(Message.id))) == 1
    assert db.session.scalar(select(func.count(MessageReaction.id))) == 0


def test_an_outsider_can_neither_reply_react_nor_read_the_thread_over_the_socket(
    db, private_room, make_member, socket_client
):
    group, root, _nadia = private_room
    outsider = socket_client(make_member("Curieux"))
    for event, data in (
        ("thread:history", {"message_id": root.id}),
        ("reaction:set", {"message_id": root.id, "emoji": "👍"}),
        (
            "message:send",
            {"channel_id": group.channels[0].id, "thread_root_id": root.id, "body": "x"},
        ),
    ):
        answer = outsider.call(event, data, timeout=10)
        assert answer["ok"] is False and "pas accès" in answer["error"], (event, answer)
    assert db.session.scalar(select(func.count(Message.id))) == 1
    assert db.session.scalar(select(func.count(MessageReaction.id))) == 0


def test_autocomplete_offers_members_who_read_the_channel(client, auth, db, room, make_member):
    _group, channel, _claire, awa, _karim = room
    make_member("Karima Outsider")  # not in the group
    auth.login_as(awa)
    found = client.get(f"/discussion/mentions?channel_id={channel.id}&q=kar").get_json()
    assert [m["name"] for m in found["members"]] == ["Karim Benali"]
    found = client.get(f"/discussion/mentions?channel_id={channel.id}&q=dub").get_json()
    assert [m["name"] for m in found["members"]] == ["Claire Dubois"]


def test_a_reply_is_found_by_search_and_leads_to_its_thread(
    app, db, room, post_message, find, make_member
):
    from tremplin.groups import chat
    from tremplin.platform.extensions import db as _db

    _group, channel, _claire, awa, karim = room
    root = post_message(awa, channel, "Qui connaît un comptable ?")
    with app.test_request_context():
        reply = chat.post(karim, channel, "Le cabinet Ndiaye, spécialiste des associations", root)
        _db.session.commit()
    results = find(awa, "spécialiste associations")
    hits = [item for item in results.items if item.obj.id == reply.id]
    assert hits and hits[0].url.endswith(f"/discussion/messages/{root.id}/fil#m{reply.id}")
    assert find.keys(make_member("Curieux"), "spécialiste associations") == {
        f"message:{reply.id}"
    }  # a public group's channel: any signed-in member reads it, so finds it


def test_replies_do_not_leave_the_channel_unread_once_read(client, auth, db, room, post_message):
    from tremplin.groups import chat

    group, channel, _claire, awa, karim = room
    root = post_message(awa, channel, "On commande ensemble ?")
    auth.login_as(karim)
    client.post(f"/discussion/messages/{root.id}/fil", data={"body": "Oui !"})
    auth.login_as(awa)
    client.get(f"/groupes/{group.slug}/salons/{channel.slug}")
    assert chat.unread_counts_for(awa.id).channels_total == 0
