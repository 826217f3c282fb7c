"""The group and channel pages issue a fixed number of SQL statements, whatever the number
of messages, members, channels and mentions."""

from __future__ import annotations

from tremplin.groups.models import Conversation, ConversationParticipant, GroupMembership, Message
from tremplin.platform.types import utcnow


def populate(db, group, make_member, members: int, messages: int):
    people = [make_member(f"Membre {group.id}-{n}") for n in range(members)]
    for user in people:
        db.session.add(
            GroupMembership(
                group=group,
                user=user,
                state="active",
                joined_at=utcnow(),
                accepted_charter_version=group.charter_version,
                role="resource" if user.id % 3 == 0 else "member",
            )
        )
    for n in range(messages):
        author = people[n % len(people)]
        db.session.add(
            Message(
                channel=group.channels[n % len(group.channels)],
                author=author,
                body=f"Message {n} @{people[0].display_name}",
                mentioned_user_ids=[{"id": people[0].id, "name": people[0].display_name}],
                pinned_at=utcnow() if n % 10 == 0 else None,
            )
        )
    db.session.commit()
    return people


def measure(client, count_statements, path):
    client.get(path)  # warm caches (Jinja, lazy imports)
    with count_statements() as counter:
        response = client.get(path)
    assert response.status_code == 200
    return counter.count


def test_group_and_channel_pages_issue_a_fixed_number_of_statements(
    client, auth, db, make_group, make_member, make_organiser, count_statements
):
    viewer = make_member("Lectrice")
    small = make_group(
        "Petit groupe", organiser=make_organiser("A"), members=[viewer], channels=["Deux"]
    )
    big = make_group(
        "Grand groupe",
        organiser=make_organiser("B"),
        members=[viewer],
        channels=["Deux", "Trois", "Quatre"],
    )
    populate(db, small, make_member, members=2, messages=3)
    populate(db, big, make_member, members=40, messages=120)
    auth.login_as(viewer)

    for template in (
        "/groupes/{slug}",
        "/groupes/{slug}/salons/accueil",
        "/groupes/{slug}/membres",
        "/groupes/{slug}/moderation",
        "/groupes",
    ):
        few = measure(client, count_statements, template.format(slug=small.slug))
        many = measure(client, count_statements, template.format(slug=big.slug))
        assert few == many, f"{template}: {few} statements with little data, {many} with more"
        assert many <= 20, template


def test_conversation_pages_issue_a_fixed_number_of_statements(
    client, auth, db, make_member, count_statements
):
    me = make_member("Moi")
    others = [make_member(f"Autre {n}") for n in range(6)]
    for n, other in enumerate(others):
        conversation = Conversation(kind="direct")
        conversation.participants += [
            ConversationParticipant(user=me),
            ConversationParticipant(user=other),
        ]
        db.session.add(conversation)
        for k in range(n * 5 + 1):
            db.session.add(
                Message(conversation=conversation, author=other if k % 2 else me, body=f"m{k}")
            )
    db.session.commit()
    auth.login_as(me)
    conversations = db.session.query(Conversation).order_by(Conversation.id).all()
    few = measure(client, count_statements, f"/messages/{conversations[0].id}")
    many = measure(client, count_statements, f"/messages/{conversations[-1].id}")
    assert few == many
    listing = measure(client, count_statements, "/messages")
    assert listing <= 12
