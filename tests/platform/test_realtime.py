"""Socket.IO: members only, a room per member, the notification badge updated live."""

from __future__ import annotations

import pytest
import socketio

from tests.kit.live import wait_for
from tremplin.platform import notifications


def test_anonymous_socket_connection_is_refused(socket_client):
    with pytest.raises(socketio.exceptions.ConnectionError):
        socket_client(None)


def test_member_receives_unread_count_on_connect_and_live(app, db, make_member, socket_client):
    awa = make_member("Awa")
    other = make_member("Karim")
    client = socket_client(awa)
    assert wait_for(lambda: ("notifications:count", {"unread": 0}) in client.received)
    spy = socket_client(other)

    with app.test_request_context():
        notifications.notify(awa, "test", "Karim a répondu à votre besoin", "/notifications")
        db.session.commit()

    assert wait_for(lambda: ("notifications:count", {"unread": 1}) in client.received)
    # Nobody else hears about Awa's notifications.
    assert all(
        event != "notifications:count" or data == {"unread": 0} for event, data in spy.received
    )


def test_emits_are_dropped_when_the_transaction_rolls_back(app, db, make_member, socket_client):
    awa = make_member("Awa")
    client = socket_client(awa)
    wait_for(lambda: client.received)
    client.received.clear()
    with app.test_request_context():
        notifications.notify(awa, "test", "Jamais enregistrée")
        db.session.rollback()
        notifications.notify(awa, "test", "Enregistrée")
        db.session.commit()
    assert wait_for(lambda: client.received)
    assert client.received == [("notifications:count", {"unread": 1})]


def test_sockets_of_an_old_session_are_refused_after_a_password_change(
    app, db, make_member, socket_client
):
    awa = make_member("Awa")
    old_cookie = socket_client.cookie_for(awa)
    assert socket_client(cookie=old_cookie).connected
    from tremplin.platform.models import new_session_stamp

    awa.session_stamp = new_session_stamp()
    db.session.commit()
    with pytest.raises(socketio.exceptions.ConnectionError):
        socket_client(cookie=old_cookie)
    assert socket_client(awa).connected  # the new session's cookie works
