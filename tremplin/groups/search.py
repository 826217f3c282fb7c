"""Search documents of groups: groups and the messages of channels and conversations,
found only by those who may read them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tremplin.groups.models import (
    Channel,
    Conversation,
    ConversationParticipant,
    Group,
    GroupMembership,
    Message,
)
from tremplin.groups.policies import can_read_group, can_read_message, remember_membership
from tremplin.platform.extensions import db
from tremplin.search import (
    ANYONE,
    READABLE_CACHE,
    Cascade,
    Change,
    Document,
    DocumentType,
    Removal,
    column,
    key,
    plain,
    registry,
    safe_url,
    theme_label,
    touched,
)


def readable_group_ids(user) -> set[int]:
    """The groups whose channels `user` may read, decided by the groups policy for each
    group (memberships loaded once, not per group; cached for one search)."""
    cache = db.session.info.setdefault(READABLE_CACHE, {})
    user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    if user_id in cache:
        return cache[user_id]
    ids: set[int] = set()
    if user_id is not None:
        all_groups = db.session.scalars(select(Group)).all()
        mine = {
            m.group_id: m
            for m in db.session.scalars(
                select(GroupMembership).where(GroupMembership.user_id == user_id)
            )
        }
        for group in all_groups:
            remember_membership(group.id, user_id, mine.get(group.id))
            if can_read_group(user, group):
                ids.add(group.id)
    cache[user_id] = ids
    return ids


def conversation_ids(user) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(ConversationParticipant.conversation_id).where(
                ConversationParticipant.user_id == user.id
            )
        )
    )


def readable(user) -> set[str]:
    return {key("group", gid) for gid in readable_group_ids(user)} | {
        key("conv", cid) for cid in conversation_ids(user)
    }


def register() -> None:
    def build_group(group) -> list[Document]:
        # A group's page (name, description, theme) is open to everyone, private or not:
        # privacy covers its channels and members.
        return [
            Document(
                id=key("group", group.id),
                type="group",
                acl=(ANYONE,),
                title=group.name,
                tags=theme_label(group.theme),
                body=plain(group.description),
                themes=(group.theme,),
                date=group.created_at,
            )
        ]

    def group_changes(group, state):
        group_id = column(group, "id")
        changes: list[Change] = [key("group", group_id)]
        if state == "deleted":
            changes.append(Removal(key("group", group_id)))
        elif state != "new" and touched(group, state, "name", "theme"):
            # Messages show their group's name and theme.
            changes.append(
                Cascade(
                    "message",
                    lambda: Message.channel_id.in_(
                        select(Channel.id).where(Channel.group_id == group_id)
                    ),
                    origin=key("group", group_id),
                )
            )
        return changes

    registry.register(
        DocumentType(
            name="group",
            label=_l("Groupe"),
            plural=_l("Groupes"),
            model=Group,
            build=build_group,
            can_view=lambda user, group: True,
            url=lambda g: safe_url("groups.group", slug=g.slug),
            order=40,
            watches={Group: group_changes},
        )
    )

    def build_message(message) -> list[Document]:
        # the text, and the names of the documents it carries (found by "budget 2027");
        # attachments are in memory when a message is posted, loaded here on a reindex
        # (not in load_options, which the results page shares)
        names = [a.original_name for a in message.attachments if a.kind == "document"]
        text = " ".join([plain(message.body or ""), *names]).strip()
        if not message.is_visible or not text:
            return []
        if message.channel_id is not None:
            channel = message.channel
            group = channel.group
            return [
                Document(
                    id=key("message", message.id),
                    type="message",
                    acl=(key("group", group.id),),
                    parents=(key("group", group.id), key("channel", channel.id)),
                    title="",
                    body=text,
                    themes=(group.theme,),
                    date=message.created_at,
                    subtitle=f"#{channel.name} · {group.name}",
                    boost=0.8,
                )
            ]
        conversation_id = message.conversation_id
        return [
            Document(
                id=key("message", message.id),
                type="message",
                acl=(key("conv", conversation_id),),
                parents=(key("conv", conversation_id),),
                title="",
                body=text,
                date=message.created_at,
                subtitle=(message.conversation.title or "") if message.conversation else "",
                boost=0.8,
            )
        ]

    def channel_changes(channel, state):
        channel_id = column(channel, "id")
        if state == "deleted":
            return [Removal(key("channel", channel_id))]
        if state != "new" and touched(channel, state, "name"):
            return [
                Cascade(
                    "message",
                    lambda: Message.channel_id == channel_id,
                    origin=key("channel", channel_id),
                )
            ]
        return []

    def conversation_changes(conversation, state):
        conversation_id = column(conversation, "id")
        if state == "deleted":
            return [Removal(key("conv", conversation_id))]
        if state != "new" and touched(conversation, state, "title"):
            return [
                Cascade(
                    "message",
                    lambda: Message.conversation_id == conversation_id,
                    origin=key("conv", conversation_id),
                )
            ]
        return []

    def message_url(message) -> str | None:
        from tremplin.groups.chat import message_place

        endpoint, values = message_place(message)  # a reply is read in its thread
        return safe_url(endpoint, **values)

    def message_title(message) -> str:
        from flask_babel import gettext

        return gettext("Message de %(name)s", name=message.author.public_name)

    registry.register(
        DocumentType(
            name="message",
            label=_l("Message"),
            plural=_l("Messages"),
            model=Message,
            build=build_message,
            can_view=lambda user, message: message.is_visible and can_read_message(user, message),
            url=message_url,
            display_title=message_title,
            principals=readable,
            order=90,
            load_options=lambda: [
                joinedload(Message.channel).joinedload(Channel.group),
                joinedload(Message.conversation).selectinload(Conversation.participants),
                joinedload(Message.author),
            ],
            watches={Channel: channel_changes, Conversation: conversation_changes},
        )
    )
