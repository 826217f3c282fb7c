"""Read markers: opening a channel again with nothing new writes nothing (no lock taken),
and two tabs marking at once leave the furthest message read."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tremplin.groups import chat
from tremplin.groups.models import Message, ReadMarker

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes(counter) -> list[str]:
    return [s for s in counter.statements if s.strip().upper().startswith(WRITES)]


@pytest.fixture
def evening(make_group, make_member, make_organiser, db):
    claire = make_organiser("Claire Dubois")
    awa = make_member("Awa Diallo")
    karim = make_member("Karim Benali")
    group = make_group("Restauration", organiser=claire, members=[awa, karim])
    channel = group.channels[0]
    for n in range(3):
        db.session.add(Message(channel=channel, author=claire, body=f"Annonce {n}"))
    db.session.commit()
    return group, channel, claire, awa, karim


def test_reading_a_channel_again_with_nothing_new_writes_nothing(
    client, auth, db, evening, count_statements
):
    group, channel, claire, awa, _karim = evening
    auth.login_as(awa)
    path = f"/groupes/{group.slug}/salons/{channel.slug}"
    with count_statements() as first:
        assert client.get(path).status_code == 200
    assert len(writes(first)) == 1  # the marker is created
    for _ in range(2):
        with count_statements() as again:
            assert client.get(path).status_code == 200
        assert writes(again) == []  # nothing new: no INSERT, no UPDATE, no lock
    chat.post_to_channel(claire, channel, "Rendez-vous jeudi")
    db.session.commit()
    with count_statements() as after_news:
        assert client.get(path).status_code == 200
    assert len(writes(after_news)) == 1  # the marker moves once
    marker = db.session.scalar(select(ReadMarker).where(ReadMarker.user_id == awa.id))
    latest = db.session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))
    assert marker.last_read_message_id == latest


def test_a_marker_never_moves_back_and_reports_no_change(db, evening, count_statements):
    _group, channel, _claire, awa, _karim = evening
    ids = db.session.scalars(select(Message.id).order_by(Message.id)).all()
    assert chat.mark_read(awa, channel, ids[-1]) is True
    db.session.commit()
    with count_statements() as counter:
        assert chat.mark_read(awa, channel, ids[0]) is False
        assert chat.mark_read(awa, channel, ids[-1]) is False
    assert writes(counter) == []
    db.session.commit()
    assert (
        db.session.scalar(
            select(ReadMarker.last_read_message_id).where(ReadMarker.user_id == awa.id)
        )
        == ids[-1]
    )


def test_two_tabs_marking_at_once_keep_the_furthest_message(app, db, evening):
    _group, channel, _claire, awa, _karim = evening
    ids = db.session.scalars(select(Message.id).order_by(Message.id)).all()
    awa_id, channel_id = awa.id, channel.id
    barrier = threading.Barrier(len(ids) * 2)
    errors: list[BaseException] = []

    def read_up_to(message_id: int) -> None:
        with app.app_context():
            try:
                from tremplin.platform.extensions import db as _db
                from tremplin.platform.models import User

                user = _db.session.get(User, awa_id)
                place = _db.session.get(type(channel), channel_id)
                barrier.wait(timeout=10)
                chat.mark_read(user, place, message_id)
                _db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=read_up_to, args=(m,)) for m in ids * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.expire_all()
    markers = db.session.scalars(select(ReadMarker).where(ReadMarker.user_id == awa_id)).all()
    assert len(markers) == 1 and markers[0].last_read_message_id == ids[-1]


def test_one_unread_rule_a_hidden_message_is_never_unread(db, evening, make_member, in_request):
    """Channel badges, the per-channel fan-out and the conversation notices count with the
    same rule: a hidden message is not unread anywhere, so a private message that follows a
    hidden one still tells its reader (one notice per run of unread messages)."""
    from tremplin.groups import open_conversation
    from tremplin.platform.models import Notification
    from tremplin.platform.types import utcnow

    _group, channel, claire, awa, _karim = evening
    john = make_member("John Smith")
    with in_request():
        conversation = open_conversation([claire, john])
        hidden = chat.post_to_conversation(claire, conversation, "Message masqué ensuite")
        hidden.hidden_at = utcnow()
        first_in_channel = db.session.scalar(
            select(Message).where(Message.channel_id == channel.id).order_by(Message.id)
        )
        first_in_channel.hidden_at = utcnow()
        db.session.flush()
        told_before = db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == john.id)
        )
        chat.post_to_conversation(claire, conversation, "Bonjour John")
        db.session.commit()
        told_after = db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == john.id)
        )
        assert told_after == told_before + 1
        assert chat.unread_in_conversation_for([john.id], conversation.id) == {john.id: 1}
        assert chat.unread_counts_for(john.id).conversations == {conversation.id: 1}
        assert chat.unread_in_channel_for([awa.id], channel.id) == {awa.id: 2}
        assert chat.unread_counts_for(awa.id).channels == {channel.id: 2}
