"""Channels and conversations over HTTP: posting without JavaScript, bad input, history
paging, mentions, anti-spam, editing and deleting, private conversations, unread counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tremplin.groups import chat, open_conversation
from tremplin.groups.models import Message
from tremplin.platform.models import Notification
from tremplin.platform.types import utcnow


def count_messages(db) -> int:
    return db.session.scalar(select(func.count(Message.id)))


@pytest.fixture
def restaurant(make_group, make_member, make_organiser):
    claire = make_organiser("Claire Dubois")
    awa = make_member("Awa Diallo")
    karim = make_member("Karim Benali")
    group = make_group(
        "Restauration", organiser=claire, members=[awa, karim], channels=["Financement"]
    )
    return group, claire, awa, karim


def test_member_posts_with_the_plain_form_and_sees_the_message(client, auth, restaurant):
    group, _claire, awa, _karim = restaurant
    auth.login_as(awa)
    response = client.post(
        f"/groupes/{group.slug}/salons/accueil", data={"body": "Bonjour, je cherche un **local**."}
    )
    assert response.status_code == 302 and "#m" in response.headers["Location"]
    page = client.get(f"/groupes/{group.slug}/salons/accueil")
    assert "<strong>local</strong>" in page.text and "Awa Diallo" in page.text


@pytest.mark.parametrize(
    "body, error",
    [
        ("   ", "Votre message est vide"),
        ("x" * (chat.MAX_LENGTH + 1), "Votre message est trop long"),
    ],
)
def test_empty_or_overlong_messages_are_refused_in_the_form(
    client, auth, db, restaurant, body, error
):
    group, _claire, awa, _karim = restaurant
    auth.login_as(awa)
    response = client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": body})
    assert response.status_code == 400 and error in response.text
    assert count_messages(db) == 0


def test_a_reader_who_is_not_a_member_cannot_post(client, auth, db, restaurant, make_member):
    group, *_ = restaurant
    auth.login_as(make_member("Passant"))
    page = client.get(f"/groupes/{group.slug}/salons/accueil")
    assert page.status_code == 200 and "Rejoignez le groupe pour écrire" in page.text
    response = client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "Je m'invite"})
    assert response.status_code == 400 and count_messages(db) == 0


def test_a_muted_member_cannot_post(client, auth, db, restaurant):
    group, _claire, awa, _karim = restaurant
    from tremplin.groups.policies import get_membership

    get_membership(awa, group).muted_until = utcnow() + timedelta(hours=1)
    db.session.commit()
    auth.login_as(awa)
    response = client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "Et pourtant…"})
    assert response.status_code == 400 and "Vous êtes en sourdine" in response.text
    assert count_messages(db) == 0


def test_markdown_in_messages_is_sanitised(client, auth, restaurant):
    group, _claire, awa, _karim = restaurant
    auth.login_as(awa)
    client.post(
        f"/groupes/{group.slug}/salons/accueil",
        data={
            "body": "<script>alert(1)</script> [clic](javascript:alert(2)) <img src=x onerror=alert(3)> *ok*"
        },
    )
    page = client.get(f"/groupes/{group.slug}/salons/accueil")
    thread = page.text.split("data-messages", 1)[1].split("</ol>", 1)[0]
    assert "<script>alert" not in thread and "javascript:" not in thread and "onerror" not in thread
    assert "<em>ok</em>" in thread


def test_each_message_is_rendered_on_its_own(client, auth, restaurant):
    """Markdown converters and the reaction palette are reused across a page's messages: a
    reference link defined in one message never resolves in the next, and each message's
    palette posts to that message, with the form's CSRF token."""
    import re

    group, _claire, awa, karim = restaurant
    auth.login_as(karim)
    client.post(
        f"/groupes/{group.slug}/salons/accueil",
        data={"body": "Voir [le site][ref]\n\n[ref]: https://exemple.fr/secret"},
    )
    auth.login_as(awa)
    client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "Et [le site][ref] ?"})
    page = client.get(f"/groupes/{group.slug}/salons/accueil").text
    items = re.findall(r'<li class="msg[^"]*"\s+id="m(\d+)"(.*?)</li>', page, re.S)
    assert len(items) == 2
    (first_id, first), (second_id, second) = items
    assert 'href="https://exemple.fr/secret"' in first
    assert "https://exemple.fr/secret" not in second and "[le site][ref]" in second
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    for message_id, html in items:
        palette = html.split('class="msg__palette"', 1)[1].split("</div>", 1)[0]
        actions = re.findall(r'<form method="post" action="([^"]+)"', palette)
        assert actions == [f"/discussion/messages/{message_id}/reactions"] * 6
        assert palette.count(f'name="csrf_token" type="hidden" value="{token}"') == 6
    # The palette's labels are in the page's language.
    assert "Réagir avec 👍" in first


def test_mentions_notify_the_member_named(client, auth, db, restaurant, outbox):
    group, _claire, awa, karim = restaurant
    from tremplin.platform.notifications import set_consents

    set_consents(karim, ["groups_mention"])
    db.session.commit()
    auth.login_as(awa)
    client.post(
        f"/groupes/{group.slug}/salons/financement",
        data={"body": "@Karim Benali tu connais un prêt d'honneur ?"},
    )
    note = db.session.scalar(select(Notification).where(Notification.user_id == karim.id))
    assert note.text == "Awa Diallo vous a mentionné dans #Financement"
    assert "#m" in note.url
    mail = outbox.to(karim.email)[-1]
    assert "tu connais un prêt d'honneur" in mail.body_text
    page = client.get(f"/groupes/{group.slug}/salons/financement")
    assert '<span class="mention">@Karim Benali</span>' in page.text


def test_a_mention_notice_is_written_in_the_language_of_the_member_named(
    client, auth, db, restaurant, make_member, outbox
):
    """Awa writes in French; John reads Tremplin in English: his notice and e-mail are in
    English, and a French reader named in the same message gets hers in French."""
    group, claire, awa, karim = restaurant
    from tremplin.groups.models import GroupMembership
    from tremplin.platform.notifications import set_consents

    john = make_member("John Smith", locale="en")
    db.session.add(GroupMembership(group=group, user=john, joined_at=utcnow()))
    set_consents(john, ["groups_mention"])
    db.session.commit()
    auth.login_as(awa)
    client.post(
        f"/groupes/{group.slug}/salons/financement",
        data={"body": "@John Smith et @Karim Benali, une idée pour le local ?"},
    )
    notes = dict(db.session.execute(select(Notification.user_id, Notification.text)).all())
    assert notes[john.id] == "Awa Diallo mentioned you in #Financement"
    assert notes[karim.id] == "Awa Diallo vous a mentionné dans #Financement"
    mail = outbox.to(john.email)[-1]
    assert mail.subject == "Awa Diallo mentioned you in #Financement"
    opened = open_conversation([awa, john])
    db.session.commit()
    client.post(f"/messages/{opened.id}", data={"body": "@John Smith bonjour !"})
    texts = db.session.scalars(
        select(Notification.text).where(Notification.user_id == john.id)
    ).all()
    assert "New message from Awa Diallo" in texts


def test_new_accounts_are_limited_to_a_few_messages_a_minute_with_a_notice(
    client, auth, db, app, restaurant
):
    group, _claire, awa, _karim = restaurant
    auth.login_as(awa)  # created just now: a new account
    page = client.get(f"/groupes/{group.slug}/salons/accueil")
    assert "Votre compte est récent : vous pouvez envoyer 5 messages par minute." in page.text
    for n in range(5):
        assert (
            client.post(
                f"/groupes/{group.slug}/salons/accueil", data={"body": f"Message {n}"}
            ).status_code
            == 302
        )
    response = client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "Encore un"})
    assert (
        response.status_code == 400
        and "les comptes récents peuvent envoyer 5 messages par minute" in response.text
    )
    assert count_messages(db) == 5

    awa.created_at = utcnow() - timedelta(days=30)  # an established member gets more room
    db.session.commit()
    assert (
        client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "Encore un"}).status_code
        == 302
    )


def test_history_is_paged_over_http(client, auth, db, restaurant):
    group, claire, awa, _karim = restaurant
    channel = group.channels[0]
    db.session.add_all(
        [Message(channel=channel, author=claire, body=f"Message {n}") for n in range(60)]
    )
    db.session.commit()
    ids = db.session.scalars(select(Message.id).order_by(Message.id)).all()
    auth.login_as(awa)
    page = client.get(f"/groupes/{group.slug}/salons/accueil")
    assert "Message 59" in page.text and "Message 9<" not in page.text
    assert f"?before={ids[10]}" in page.text  # "Messages précédents"
    older = client.get(f"/groupes/{group.slug}/salons/accueil?before={ids[10]}")
    assert "Message 9<" in older.text and "Message 59" not in older.text

    data = client.get(f"/groupes/{group.slug}/salons/accueil/historique?after={ids[55]}").get_json()
    assert [m["body"] for m in data["messages"]] == [f"Message {n}" for n in range(56, 60)]
    assert data["has_more"] is False
    data = client.get(f"/groupes/{group.slug}/salons/accueil/historique?before={ids[5]}").get_json()
    assert len(data["messages"]) == 5 and data["has_more"] is False


def test_members_edit_and_delete_their_own_messages_only(
    client, auth, db, restaurant, post_message
):
    group, _claire, awa, karim = restaurant
    message = post_message(awa, group.channels[0], "Premier jet")
    auth.login_as(karim)
    assert (
        client.post(
            f"/discussion/messages/{message.id}/modifier", data={"body": "Piraté"}
        ).status_code
        == 403
    )
    assert client.post(f"/discussion/messages/{message.id}/supprimer").status_code == 403

    auth.login_as(awa)
    client.post(f"/discussion/messages/{message.id}/modifier", data={"body": "Version corrigée"})
    db.session.refresh(message)
    assert message.body == "Version corrigée" and message.edited_at is not None
    assert "(modifié)" in client.get(f"/groupes/{group.slug}/salons/accueil").text

    client.post(f"/discussion/messages/{message.id}/supprimer")
    db.session.refresh(message)
    assert message.deleted_at is not None and message.body == ""
    assert (
        "Message supprimé par son auteur."
        in client.get(f"/groupes/{group.slug}/salons/accueil").text
    )


def test_unread_counts_per_channel_and_in_the_navigation(
    client, auth, db, restaurant, post_message
):
    group, claire, awa, _karim = restaurant
    post_message(claire, group.channels[0], "Un")
    post_message(claire, group.channels[1], "Deux")
    post_message(claire, group.channels[1], "Trois")
    counts = chat.unread_counts_for(awa.id)
    assert counts.channels == {group.channels[0].id: 1, group.channels[1].id: 2}
    assert counts.groups == {group.id: 3}

    auth.login_as(awa)
    page = client.get("/groupes")
    assert 'data-nav-badge="groups.index">3<' in page.text
    client.get(f"/groupes/{group.slug}/salons/financement")  # reading clears that channel
    assert chat.unread_counts_for(awa.id).channels == {group.channels[0].id: 1}
    assert chat.unread_counts_for(claire.id).total == 0  # one's own messages are never unread


# --- conversations ---------------------------------------------------------------------


def test_open_conversation_reuses_a_pair_and_finds_an_owners_conversation(
    app, db, make_member, in_request
):
    awa, fatou, claire = make_member("Awa"), make_member("Fatou"), make_member("Claire")
    with in_request():
        first = open_conversation([awa, fatou])
        again = open_conversation([fatou, awa])
        trio = open_conversation([awa, fatou, claire], title="Préparer mardi", kind="group")
        pair = open_conversation([awa, claire], kind="mentoring", owner=("pairings", 7))
        from tremplin.groups import conversation_for

        assert conversation_for(("pairings", 7)).id == pair.id
        assert (
            open_conversation([awa, claire, fatou], kind="mentoring", owner=("pairings", 7)).id
            == pair.id
        )
    assert first.id == again.id and trio.id != first.id
    assert {p.user_id for p in pair.participants} == {awa.id, claire.id, fatou.id}


def test_only_participants_read_a_conversation(client, auth, db, make_member, in_request):
    awa, fatou, karim = make_member("Awa"), make_member("Fatou"), make_member("Karim")
    with in_request():
        conversation = open_conversation([awa, fatou])
    auth.login_as(karim)
    assert client.get(f"/messages/{conversation.id}").status_code == 403
    assert client.get(f"/messages/{conversation.id}/historique").status_code == 403
    assert client.post(f"/messages/{conversation.id}", data={"body": "Coucou"}).status_code == 403
    auth.login_as(fatou)
    assert (
        client.post(f"/messages/{conversation.id}", data={"body": "Coucou Awa"}).status_code == 302
    )
    assert "Coucou Awa" in client.get(f"/messages/{conversation.id}").text


def test_starting_a_conversation_from_a_group_and_being_notified_once(client, auth, db, restaurant):
    group, _claire, awa, karim = restaurant
    auth.login_as(awa)
    form = client.get(f"/messages/nouveau?avec={karim.id}")
    assert "Karim Benali" in form.text
    response = client.post(
        "/messages/nouveau", data={"participants": [karim.id], "body": "Salut Karim !"}
    )
    assert response.status_code == 302
    conversation_id = int(response.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/messages/{conversation_id}", data={"body": "Tu es là ?"})
    notes = db.session.scalars(select(Notification).where(Notification.user_id == karim.id)).all()
    assert [n.text for n in notes] == ["Nouveau message de Awa Diallo"]  # not one per message
    assert chat.unread_counts_for(karim.id).conversations == {conversation_id: 2}

    auth.login_as(karim)
    listing = client.get("/messages")
    assert "Awa Diallo" in listing.text and "Tu es là ?" in listing.text
    assert 'data-nav-badge="groups.conversations">2<' in listing.text
    client.get(f"/messages/{conversation_id}")
    assert chat.unread_counts_for(karim.id).conversations == {}


def test_conversation_form_only_offers_people_one_shares_a_group_with(
    client, auth, db, restaurant, make_member
):
    group, _claire, awa, _karim = restaurant
    stranger = make_member("Inconnu Total")
    auth.login_as(awa)
    page = client.get("/messages/nouveau")
    assert "Karim Benali" in page.text and "Inconnu Total" not in page.text
    response = client.post("/messages/nouveau", data={"participants": [stranger.id], "body": "Hop"})
    assert response.status_code == 200
    from tremplin.groups.models import Conversation

    assert db.session.scalar(select(func.count(Conversation.id))) == 0
