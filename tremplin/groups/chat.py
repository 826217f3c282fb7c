"""Messages in channels and conversations: posting, editing, deleting, history, read
markers and unread counts, mentions, and private conversations.

Every message is stored first, then announced (`emit_after_commit`). Never commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import aliased, joinedload, selectinload

from tremplin.groups import live, policies, preferences, push
from tremplin.groups.attachments import attachment_payload
from tremplin.groups.attachments import discard as discard_attachment
from tremplin.groups.models import (
    Channel,
    Conversation,
    ConversationParticipant,
    Group,
    GroupMembership,
    Message,
    MessageAttachment,
    MessageReaction,
    NotificationPreference,
    ReadMarker,
)
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.realtime import emit_after_commit, user_room
from tremplin.platform.text import plain_excerpt, render_markdown
from tremplin.platform.types import utcnow

MAX_LENGTH = 4000
PAGE_SIZE = 50


class InvalidMessage(DomainError):
    field = "body"


class RateLimited(DomainError):
    field = "body"


class CannotPost(DomainError):
    pass


# --- checks ---------------------------------------------------------------------------


def clean_body(body: str | None, allow_empty: bool = False) -> str:
    text = (body or "").strip()
    if not text and allow_empty:
        return text
    if not text:
        raise InvalidMessage(_("Votre message est vide : écrivez quelque chose avant d'envoyer."))
    if len(text) > MAX_LENGTH:
        raise InvalidMessage(
            _(
                "Votre message est trop long (%(n)d caractères, %(max)d au maximum).",
                n=len(text),
                max=MAX_LENGTH,
            )
        )
    return text


def is_new_account(user: User) -> bool:
    days = current_app.config.get("GROUPS_NEW_ACCOUNT_DAYS", 7)
    return user.created_at is not None and user.created_at > utcnow() - timedelta(days=days)


def rate_limit_for(user: User) -> int:
    cfg = current_app.config
    if is_new_account(user):
        return cfg.get("GROUPS_NEW_ACCOUNT_MESSAGES_PER_MINUTE", 5)
    return cfg.get("GROUPS_MESSAGES_PER_MINUTE", 30)


def check_rate(user: User) -> None:
    """Flooding is refused with a visible notice. Counted in the database, so the limit
    holds across processes."""
    limit = rate_limit_for(user)
    since = utcnow() - timedelta(seconds=60)
    recent = db.session.scalars(
        select(Message.created_at)
        .where(Message.author_id == user.id, Message.created_at > since)
        .order_by(Message.created_at)
        .limit(limit)
    ).all()
    if len(recent) >= limit:
        wait = max(1, int(60 - (utcnow() - recent[0]).total_seconds()) + 1)
        if is_new_account(user):
            message = _(
                "Doucement : les comptes récents peuvent envoyer %(n)d messages par minute. "
                "Réessayez dans %(s)d secondes.",
                n=limit,
                s=wait,
            )
        else:
            message = _(
                "Vous envoyez des messages très vite (%(n)d par minute au plus). "
                "Réessayez dans %(s)d secondes.",
                n=limit,
                s=wait,
            )
        raise RateLimited(message)


# --- mentions -------------------------------------------------------------------------


def find_mentions(body: str, candidates: list[User], author: User) -> list[dict]:
    """`@Prénom Nom` of a member who can read the place (longest names first)."""
    if "@" not in body:
        return []
    lowered = body.casefold()
    found: list[dict] = []
    taken: list[tuple[int, int]] = []
    for user in sorted(candidates, key=lambda u: -len(u.display_name or "")):
        if user.id == author.id or user.is_deleted or not user.display_name:
            continue
        needle = "@" + user.display_name.casefold()
        start = lowered.find(needle)
        while start != -1:
            end = start + len(needle)
            boundary = end == len(lowered) or not lowered[end].isalnum()
            if boundary and not any(s <= start < e for s, e in taken):
                taken.append((start, end))
                found.append({"id": user.id, "name": user.display_name})
                break
            start = lowered.find(needle, end)
    return found


_TAG = re.compile(r"(<[^>]*>)")
_NO_MENTION_IN = ("code", "pre")


def _highlight_mentions(html: str, names: list[str]) -> str:
    """Wrap `@Name` in a span, in TEXT between tags only: never inside a tag (an attribute
    such as a link's title), nor inside code or preformatted text. Each name once."""
    pending = []
    for name in names:
        variants = {str(escape(name)), name.replace("&", "&amp;")}
        pending.append(
            re.compile("|".join(re.escape("@" + v) for v in variants) + r"(?![\w])", re.IGNORECASE)
        )
    parts = _TAG.split(html)
    depth = 0  # how many <code>/<pre> we are inside
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            tag = re.match(r"<(/?)([a-zA-Z0-9]+)", part)
            if tag and tag.group(2).lower() in _NO_MENTION_IN and not part.endswith("/>"):
                depth += -1 if tag.group(1) else 1
            continue
        if depth > 0 or "@" not in part:
            continue
        for pattern in list(pending):
            part, n = pattern.subn(
                lambda m: f'<span class="mention">{m.group(0)}</span>', part, count=1
            )
            if n:
                pending.remove(pattern)
        parts[i] = part
    return "".join(parts)


def render_body(message: Message) -> Markup:
    """The message as sanitised HTML, mentions highlighted."""
    html = str(render_markdown(message.body))
    names = [
        m["name"] for m in message.mentioned_user_ids or () if isinstance(m, dict) and m.get("name")
    ]
    return Markup(_highlight_mentions(html, names) if names else html)


def mentioned_ids(message: Message) -> set[int]:
    return {m["id"] for m in (message.mentioned_user_ids or ()) if isinstance(m, dict)}


# --- payloads -------------------------------------------------------------------------


def _member_url(user: User) -> str | None:
    from tremplin.platform.templating import member_url

    try:
        return member_url(user)
    except RuntimeError:  # no request (CLI): no link
        return None


def author_payload(user: User) -> dict:
    name = user.public_name
    return {
        "id": user.id,
        "name": name,
        "initial": (name or "?")[:1].upper(),
        "url": _member_url(user),
        "avatar_url": getattr(user, "avatar_url", None),
    }


def message_payload(message: Message) -> dict:
    visible = message.is_visible
    group_id = message.channel.group_id if message.channel_id else None
    return {
        "id": message.id,
        "channel_id": message.channel_id,
        "conversation_id": message.conversation_id,
        "group_id": group_id,
        "author": author_payload(message.author),
        "html": str(render_body(message)) if visible else "",
        "body": message.body if visible else "",
        "created_at": message.created_at.isoformat(),
        "edited": message.edited_at is not None,
        "deleted": message.deleted_at is not None,
        "hidden": message.hidden_at is not None,
        "pinned": message.pinned_at is not None,
        "mentions": sorted(mentioned_ids(message)),
        "thread_root_id": message.thread_root_id,
        "reply_count": message.reply_count or 0,
        "reactions": reaction_summary(message) if visible else [],
        "attachments": [attachment_payload(a) for a in message.attachments] if visible else [],
    }


REACTION_NAMES_SHOWN = 20


def reaction_summary(message: Message) -> list[dict]:
    """Each emoji once, in the order first given, with who gave it (ids for "mine", the
    first names for people to read)."""
    summary: dict[str, dict] = {}
    for reaction in message.reactions:
        item = summary.setdefault(
            reaction.emoji, {"emoji": reaction.emoji, "count": 0, "user_ids": [], "names": []}
        )
        item["count"] += 1
        item["user_ids"].append(reaction.user_id)
        if len(item["names"]) < REACTION_NAMES_SHOWN:
            item["names"].append(reaction.user.public_name)
    return list(summary.values())


def announce(message: Message, event_name: str) -> None:
    """Send the message's state to its room once committed."""
    emit_after_commit(db.session, event_name, lambda: message_payload(message), room=message.room)


# --- posting --------------------------------------------------------------------------


def _check_thread_root(user: User, root: Message | None, place) -> None:
    if root is None:
        return
    same_place = (
        root.channel_id == place.id
        if isinstance(place, Channel)
        else root.conversation_id == place.id
    )
    if not same_place or not policies.can_reply_to_message(user, root):
        raise CannotPost(_("On ne peut plus répondre à ce message."))


def _count_reply(message: Message, root: Message | None) -> None:
    """One atomic increment (two replies at once both count), then the root's new state
    goes to the room so every open page updates its "n réponses"."""
    if root is None:
        return
    db.session.execute(
        update(Message)
        .where(Message.id == root.id)
        .values(reply_count=Message.reply_count + 1, last_reply_at=message.created_at)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(root, ["reply_count", "last_reply_at"])
    announce(root, "message:update")


def post_to_channel(
    user: User,
    channel: Channel,
    body: str,
    thread_root: Message | None = None,
    *,
    attachments: list[MessageAttachment] = (),
) -> Message:
    refusal = policies.posting_refusal(user, channel.group)
    if refusal:
        raise CannotPost(refusal)
    _check_thread_root(user, thread_root, channel)
    text = clean_body(body, allow_empty=bool(attachments))
    check_rate(user)
    candidates = _channel_members(channel.group) if "@" in text or thread_root else []
    message = Message(
        channel=channel,
        author=user,
        body=text,
        mentioned_user_ids=find_mentions(text, candidates, user) or None,
        thread_root_id=thread_root.id if thread_root is not None else None,
        reactions=[],
        attachments=list(attachments),
    )
    db.session.add(message)
    db.session.flush()
    _mark(user.id, message.id, channel_id=channel.id)
    announce(message, "message:new")
    _count_reply(message, thread_root)
    emit_after_commit(
        db.session,
        "unread:bump",
        {
            "group_id": channel.group_id,
            "channel_id": channel.id,
            "message_id": message.id,
            "author_id": user.id,
        },
        room=live.group_room(channel.group_id),
    )
    _notify_mentions(message, candidates, mentioned_ids(message))
    _notify_thread(message, thread_root, candidates)
    if thread_root is None:
        _notify_followers(message)
    return message


def post_to_conversation(
    user: User,
    conversation: Conversation,
    body: str,
    thread_root: Message | None = None,
    *,
    attachments: list[MessageAttachment] = (),
) -> Message:
    if not policies.can_post_in_conversation(user, conversation):
        raise CannotPost(_("Vous ne participez pas à cette conversation."))
    _check_thread_root(user, thread_root, conversation)
    text = clean_body(body, allow_empty=bool(attachments))
    check_rate(user)
    others = [p.user for p in conversation.participants if p.user_id != user.id]
    message = Message(
        conversation=conversation,
        author=user,
        body=text,
        mentioned_user_ids=find_mentions(text, others, user) or None,
        thread_root_id=thread_root.id if thread_root is not None else None,
        reactions=[],
        attachments=list(attachments),
    )
    db.session.add(message)
    db.session.flush()
    conversation.last_message_at = message.created_at
    _mark(user.id, message.id, conversation_id=conversation.id)
    announce(message, "message:new")
    _count_reply(message, thread_root)
    _notify_conversation(message, conversation, others)
    return message


def post(
    user: User, place: Channel | Conversation, body: str, thread_root: Message | None = None
) -> Message:
    if isinstance(place, Channel):
        return post_to_channel(user, place, body, thread_root)
    return post_to_conversation(user, place, body, thread_root)


def _muted_in(message: Message, user_ids) -> set[int]:
    """Who asked to hear nothing from this message's channel (or its group)."""
    if message.channel_id is None or not user_ids:
        return set()
    levels = preferences.levels_for(user_ids, message.channel)
    return {uid for uid, level in levels.items() if level == "mute"}


def _notify_followers(message: Message) -> None:
    """Members who chose "all" for this channel hear of a new message: one notice while
    they have unread messages there, not one per message."""
    channel = message.channel
    following = db.session.scalars(
        select(NotificationPreference.user_id).where(
            NotificationPreference.group_id == channel.group_id,
            NotificationPreference.level == "all",
            (NotificationPreference.channel_id == channel.id)
            | NotificationPreference.channel_id.is_(None),
        )
    ).all()
    skip = mentioned_ids(message) | {message.author_id}
    candidates = set(following) - skip
    if not candidates:
        return
    levels = preferences.levels_for(candidates, channel)
    wanted = [uid for uid in candidates if levels.get(uid) == "all"]
    if not wanted:
        return
    people = db.session.scalars(
        select(User)
        .join(GroupMembership, GroupMembership.user_id == User.id)
        .where(
            User.id.in_(wanted),
            GroupMembership.group_id == channel.group_id,
            GroupMembership.state == "active",
        )
    ).all()
    unread = unread_in_channel_for([u.id for u in people], channel.id)
    for user in people:
        if unread.get(user.id, 0) > 1:
            continue  # already told: they have not read the previous one yet
        notify(
            user,
            "groups_channel",
            _l(
                "Nouveau message de %(name)s dans #%(channel)s",
                name=message.author.public_name,
                channel=channel.name,
            ),
            message_url(message),
            template="email/groups_mention.txt",
            excerpt=plain_excerpt(message.body, 300),
        )


def unread_in_channel_for(user_ids: list[int], channel_id: int) -> dict[int, int]:
    """Unread messages of a channel for these members (one statement)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(GroupMembership.user_id, func.count(Message.id))
        .join(Channel, Channel.group_id == GroupMembership.group_id)
        .join(Message, Message.channel_id == Channel.id)
        .outerjoin(
            ReadMarker,
            and_(
                ReadMarker.channel_id == channel_id, ReadMarker.user_id == GroupMembership.user_id
            ),
        )
        .where(
            Channel.id == channel_id,
            GroupMembership.user_id.in_(user_ids),
            *_unread_conditions(GroupMembership.user_id, GroupMembership.joined_at),
        )
        .group_by(GroupMembership.user_id)
    )
    return dict(rows.all())


def thread_url(root: Message) -> str:
    return url_for("groups.thread", message_id=root.id)


def _notify_thread(message: Message, root: Message | None, members: list[User]) -> None:
    """A reply tells the root's author and everyone who replied before (not the author of
    the reply, not those its mentions already told), in their own language."""
    if root is None:
        return
    told = mentioned_ids(message) | {message.author_id}
    earlier = set(
        db.session.scalars(
            select(Message.author_id).where(
                Message.thread_root_id == root.id, Message.id != message.id
            )
        )
    )
    wanted = ({root.author_id} | earlier) - told
    if not wanted:
        return
    by_id = {u.id: u for u in members}
    missing = wanted - set(by_id)
    if missing:
        by_id.update(
            {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(missing)))}
        )
    where = (
        f"#{message.channel.name}"
        if message.channel_id is not None
        else _l("une conversation privée")
    )
    muted = _muted_in(message, wanted)
    for uid in sorted(wanted):
        user = by_id.get(uid)
        if user is None or uid in muted or not policies.can_read_message(user, root):
            continue
        push.push_notification(
            notify(
                user,
                "groups_reply",
                _l(
                    "%(name)s a répondu dans un fil de %(where)s",
                    name=message.author.public_name,
                    where=where,
                ),
                thread_url(root),
                template="email/groups_mention.txt",
                excerpt=plain_excerpt(message.body, 300),
            )
        )


def edit_message(user: User, message: Message, body: str) -> Message:
    if not policies.can_edit_message(user, message):
        raise NotAllowed(_("Vous ne pouvez modifier que vos propres messages."))
    if message.channel_id is not None:
        refusal = policies.posting_refusal(user, message.channel.group)
        if refusal:
            raise CannotPost(refusal)
    text = clean_body(body)
    if text == message.body:
        return message
    before = mentioned_ids(message)
    if message.channel_id is not None:
        candidates = _channel_members(message.channel.group) if "@" in text else []
    else:
        candidates = [p.user for p in message.conversation.participants]
    message.body = text
    message.mentioned_user_ids = find_mentions(text, candidates, user) or None
    message.edited_at = utcnow()
    announce(message, "message:edit")
    _notify_mentions(message, candidates, mentioned_ids(message) - before)
    return message


def delete_message(user: User, message: Message) -> Message:
    """The author withdraws a message: its text is erased, its place in the thread kept."""
    if not policies.can_delete_message(user, message):
        raise NotAllowed(_("Vous ne pouvez supprimer que vos propres messages."))
    message.deleted_at = utcnow()
    for attachment in message.attachments:  # the files leave the storage after the commit
        discard_attachment(attachment)
    message.attachments.clear()
    message.body = ""
    message.mentioned_user_ids = None
    message.pinned_at = None
    announce(message, "message:delete")
    return message


def mention_candidates(group: Group) -> list[User]:
    """Who may be mentioned in a group's channels: its active members (they read it)."""
    return _channel_members(group)


def _channel_members(group: Group) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .where(GroupMembership.group_id == group.id, GroupMembership.state == "active")
        )
    )


def message_place(message: Message) -> tuple[str, dict]:
    """Where a message is read — in its thread for a reply, else in its channel or its
    conversation — as the endpoint and values of its URL (the chat and search build it)."""
    anchor = f"m{message.id}"
    if message.thread_root_id is not None:
        return "groups.thread", {"message_id": message.thread_root_id, "_anchor": anchor}
    if message.channel_id is not None:
        channel = message.channel
        values = {"slug": channel.group.slug, "channel_slug": channel.slug, "_anchor": anchor}
        return "groups.channel", values
    return "groups.conversation", {"conversation_id": message.conversation_id, "_anchor": anchor}


def message_url(message: Message) -> str:
    """Where a message is read: in its place, or in its thread for a reply."""
    endpoint, values = message_place(message)
    return url_for(endpoint, **values)


def _notify_mentions(message: Message, candidates: list[User], ids: set[int]) -> None:
    if not ids:
        return
    by_id = {u.id: u for u in candidates}
    where = (
        f"#{message.channel.name}"
        if message.channel_id is not None
        else _l("une conversation privée")
    )
    muted = _muted_in(message, ids)
    for uid in sorted(ids):
        user = by_id.get(uid)
        if user is None or uid in muted:
            continue
        push.push_notification(
            notify(
                user,
                "groups_mention",
                _l(
                    "%(name)s vous a mentionné dans %(where)s",
                    name=message.author.public_name,
                    where=where,
                ),
                message_url(message),
                template="email/groups_mention.txt",
                excerpt=plain_excerpt(message.body, 300),
            )
        )


def _notify_conversation(message: Message, conversation: Conversation, others: list[User]) -> None:
    """One notification when a conversation starts having unread messages for someone, not
    one per message."""
    if not others:
        return
    counts = unread_in_conversation_for([u.id for u in others], conversation.id)
    for user in others:
        if counts.get(user.id, 0) > 1:
            continue  # already told: they have not read the previous one yet
        push.push_notification(
            notify(
                user,
                "groups_conversation",
                _l("Nouveau message de %(name)s", name=message.author.public_name),
                message_url(message),
                template="email/groups_conversation.txt",
                excerpt=plain_excerpt(message.body, 300),
            )
        )


# --- history --------------------------------------------------------------------------


def _place_filter(place: Channel | Conversation):
    if isinstance(place, Channel):
        return Message.channel_id == place.id
    return Message.conversation_id == place.id


def history(
    place: Channel | Conversation,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Message], bool]:
    """Messages in order, oldest first, and whether older ones remain (for `before`) or
    newer ones (for `after`). Deleted and hidden messages keep their place."""
    limit = max(1, min(limit, 200))
    stmt = (
        select(Message)
        .where(_place_filter(place), Message.thread_root_id.is_(None))
        .options(
            joinedload(Message.author),
            selectinload(Message.reactions).joinedload(MessageReaction.user),
            selectinload(Message.attachments),
        )
    )
    if isinstance(place, Channel):
        stmt = stmt.options(joinedload(Message.channel))
    if after is not None:
        rows = list(
            db.session.scalars(
                stmt.where(Message.id > after).order_by(Message.id).limit(limit + 1)
            ).unique()
        )
        return rows[:limit], len(rows) > limit
    if before is not None:
        stmt = stmt.where(Message.id < before)
    rows = list(db.session.scalars(stmt.order_by(Message.id.desc()).limit(limit + 1)).unique())
    return list(reversed(rows[:limit])), len(rows) > limit


THREAD_LIMIT = 500


def thread_replies(root: Message, after: int | None = None) -> list[Message]:
    """The replies of a thread, oldest first (a thread stays short: at most 500 shown)."""
    stmt = (
        select(Message)
        .where(Message.thread_root_id == root.id)
        .options(
            joinedload(Message.author),
            joinedload(Message.channel),
            selectinload(Message.reactions).joinedload(MessageReaction.user),
            selectinload(Message.attachments),
        )
        .order_by(Message.id)
        .limit(THREAD_LIMIT)
    )
    if after is not None:
        stmt = stmt.where(Message.id > after)
    return list(db.session.scalars(stmt).unique())


def pinned_messages(channel: Channel) -> list[Message]:
    return list(
        db.session.scalars(
            select(Message)
            .where(
                Message.channel_id == channel.id,
                Message.pinned_at.is_not(None),
                Message.deleted_at.is_(None),
                Message.hidden_at.is_(None),
            )
            .options(joinedload(Message.author))
            .order_by(Message.pinned_at.desc())
            .limit(10)
        ).unique()
    )


# --- read markers and unread counts ---------------------------------------------------


def _marker_condition(user_id: int, channel_id: int | None, conversation_id: int | None):
    if channel_id is not None:
        return and_(ReadMarker.user_id == user_id, ReadMarker.channel_id == channel_id)
    return and_(ReadMarker.user_id == user_id, ReadMarker.conversation_id == conversation_id)


def _mark(
    user_id: int,
    message_id: int,
    *,
    channel_id: int | None = None,
    conversation_id: int | None = None,
) -> bool:
    """Move a read marker forward (never back); returns whether it moved.

    Reading a place again with nothing new must not write: every write takes the database
    lock (SQLite's single writer, a row lock on PostgreSQL), and 60 members reading the
    same channel in the evening queued behind each other. So a plain SELECT first; only a
    marker that really moves is written, by one upsert whose update is guarded (`WHERE
    new > old`), safe when two tabs read at once."""
    current = db.session.scalar(
        select(ReadMarker.last_read_message_id).where(
            _marker_condition(user_id, channel_id, conversation_id)
        )
    )
    if current is not None and current >= message_id:
        return False
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(ReadMarker).values(
        user_id=user_id,
        channel_id=channel_id,
        conversation_id=conversation_id,
        last_read_message_id=message_id,
        updated_at=utcnow(),
    )
    target = ["user_id", "channel_id"] if channel_id is not None else ["user_id", "conversation_id"]
    stmt = stmt.on_conflict_do_update(
        index_elements=target,
        set_={
            "last_read_message_id": stmt.excluded.last_read_message_id,
            "updated_at": stmt.excluded.updated_at,
        },
        where=stmt.excluded.last_read_message_id > ReadMarker.last_read_message_id,
    )
    return bool(db.session.execute(stmt).rowcount)


def mark_read(user: User, place: Channel | Conversation, message_id: int | None = None) -> bool:
    """The member has seen the place up to `message_id` (default: its latest message), and
    every open page of theirs learns the new counts. Nothing is written, and nothing sent,
    when the marker is already there (returns False)."""
    if message_id is None:
        message_id = db.session.scalar(select(func.max(Message.id)).where(_place_filter(place)))
        if message_id is None:
            return False
    if isinstance(place, Channel):
        moved = _mark(user.id, message_id, channel_id=place.id)
    else:
        moved = _mark(user.id, message_id, conversation_id=place.id)
    if not moved:
        return False
    user_id = user.id
    emit_after_commit(
        db.session,
        "unread:sync",
        lambda: unread_counts_for(user_id).as_dict(),
        room=user_room(user.id),
    )
    return True


@dataclass
class UnreadCounts:
    channels: dict[int, int] = field(default_factory=dict)
    groups: dict[int, int] = field(default_factory=dict)
    conversations: dict[int, int] = field(default_factory=dict)

    @property
    def channels_total(self) -> int:
        return sum(self.channels.values())

    @property
    def conversations_total(self) -> int:
        return sum(self.conversations.values())

    @property
    def total(self) -> int:
        return self.channels_total + self.conversations_total

    def as_dict(self) -> dict:
        return {
            "channels": {str(k): v for k, v in self.channels.items()},
            "groups": {str(k): v for k, v in self.groups.items()},
            "conversations": {str(k): v for k, v in self.conversations.items()},
            "channels_total": self.channels_total,
            "conversations_total": self.conversations_total,
            "total": self.total,
        }


def _unread_conditions(reader, since_column):
    """The one unread rule, for a reader (a user id, or the column holding it in a query
    over several readers) who joined the place at `since_column`: others' top-level
    messages, neither deleted nor hidden, after the reader's marker (or since they joined).
    Replies live in their threads (their readers are told by a notice): the place's unread
    count is about its own messages, which the read marker follows."""
    return (
        Message.author_id != reader,
        Message.thread_root_id.is_(None),
        Message.deleted_at.is_(None),
        Message.hidden_at.is_(None),
        or_(
            and_(ReadMarker.id.is_not(None), Message.id > ReadMarker.last_read_message_id),
            and_(ReadMarker.id.is_(None), Message.created_at > since_column),
        ),
    )


def unread_counts_for(user_id: int) -> UnreadCounts:
    """Unread messages per channel (of the member's groups) and per conversation: two
    statements whatever the number of groups, channels and conversations."""
    counts = UnreadCounts()
    rows = db.session.execute(
        select(Message.channel_id, Channel.group_id, func.count(Message.id))
        .join(Channel, Channel.id == Message.channel_id)
        .join(
            GroupMembership,
            and_(
                GroupMembership.group_id == Channel.group_id,
                GroupMembership.user_id == user_id,
                GroupMembership.state == "active",
            ),
        )
        .outerjoin(
            ReadMarker,
            and_(ReadMarker.channel_id == Message.channel_id, ReadMarker.user_id == user_id),
        )
        .where(*_unread_conditions(user_id, GroupMembership.joined_at))
        .group_by(Message.channel_id, Channel.group_id)
    )
    for channel_id, group_id, n in rows:
        counts.channels[channel_id] = n
        counts.groups[group_id] = counts.groups.get(group_id, 0) + n
    rows = db.session.execute(
        select(Message.conversation_id, func.count(Message.id))
        .join(
            ConversationParticipant,
            and_(
                ConversationParticipant.conversation_id == Message.conversation_id,
                ConversationParticipant.user_id == user_id,
            ),
        )
        .outerjoin(
            ReadMarker,
            and_(
                ReadMarker.conversation_id == Message.conversation_id, ReadMarker.user_id == user_id
            ),
        )
        .where(*_unread_conditions(user_id, ConversationParticipant.joined_at))
        .group_by(Message.conversation_id)
    )
    counts.conversations = {cid: n for cid, n in rows}
    return counts


def unread_counts(user) -> UnreadCounts:
    """The member's unread counts, computed once per request (navigation badges, panels)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return UnreadCounts()
    cache = g.setdefault("_groups_unread", {})
    if user.id not in cache:
        cache[user.id] = unread_counts_for(user.id)
    return cache[user.id]


def forget_cached_unread() -> None:
    g.pop("_groups_unread", None)


def unread_in_conversation_for(user_ids: list[int], conversation_id: int) -> dict[int, int]:
    """Unread messages of a conversation for these participants (one statement)."""
    rows = db.session.execute(
        select(ConversationParticipant.user_id, func.count(Message.id))
        .join(Message, Message.conversation_id == ConversationParticipant.conversation_id)
        .outerjoin(
            ReadMarker,
            and_(
                ReadMarker.conversation_id == conversation_id,
                ReadMarker.user_id == ConversationParticipant.user_id,
            ),
        )
        .where(
            ConversationParticipant.conversation_id == conversation_id,
            ConversationParticipant.user_id.in_(user_ids),
            *_unread_conditions(ConversationParticipant.user_id, ConversationParticipant.joined_at),
        )
        .group_by(ConversationParticipant.user_id)
    )
    return dict(rows.all())


# --- conversations --------------------------------------------------------------------


def _owner_key(owner) -> tuple[str, int] | None:
    if owner is None:
        return None
    if isinstance(owner, tuple):
        return str(owner[0]), int(owner[1])
    return owner.__tablename__, int(owner.id)


def conversation_for(owner) -> Conversation | None:
    """The conversation another module opened for `owner` (a model instance or a
    ("table", id) pair), if any."""
    owner_type, owner_id = _owner_key(owner)
    return db.session.scalar(
        select(Conversation)
        .where(Conversation.owner_type == owner_type, Conversation.owner_id == owner_id)
        .order_by(Conversation.id)
        .limit(1)
    )


def open_conversation(
    users: list[User], title: str | None = None, kind: str = "direct", owner=None
) -> Conversation:
    """A private conversation between these members. A 1:1 conversation, or one opened for
    an owner (a mentoring pair, an investor club), is reused when it exists; participants
    missing from a reused one are added."""
    people = {u.id: u for u in users if u is not None and not u.is_deleted}
    if len(people) < 2 and owner is None:
        raise DomainError(_("Une conversation réunit au moins deux personnes."))
    owner_key = _owner_key(owner)
    existing = None
    if owner_key is not None:
        existing = conversation_for(owner_key)
    elif kind == "direct" and len(people) == 2 and not title:
        a, b = sorted(people)
        pa, pb = aliased(ConversationParticipant), aliased(ConversationParticipant)
        existing = db.session.scalar(
            select(Conversation)
            .join(pa, pa.conversation_id == Conversation.id)
            .join(pb, pb.conversation_id == Conversation.id)
            .where(
                Conversation.kind == "direct",
                Conversation.owner_type.is_(None),
                Conversation.title.is_(None),
                pa.user_id == a,
                pb.user_id == b,
            )
            .where(
                select(func.count(ConversationParticipant.id))
                .where(ConversationParticipant.conversation_id == Conversation.id)
                .scalar_subquery()
                == 2
            )
            .order_by(Conversation.id)
            .limit(1)
        )
    if existing is not None:
        add_participants(existing, people.values())
        return existing
    conversation = Conversation(
        kind=kind,
        title=(title or "").strip() or None,
        owner_type=owner_key[0] if owner_key else None,
        owner_id=owner_key[1] if owner_key else None,
    )
    db.session.add(conversation)
    for user in people.values():
        conversation.participants.append(ConversationParticipant(user=user))
    db.session.flush()
    return conversation


def add_participants(conversation: Conversation, users) -> None:
    present = {p.user_id for p in conversation.participants}
    for user in users:
        if user.id not in present and not user.is_deleted:
            conversation.participants.append(ConversationParticipant(user=user))
            present.add(user.id)
    db.session.flush()


def remove_participant(conversation: Conversation, user: User) -> None:
    """Take a member out (e.g. leaving an investor club): they stop reading at once."""
    for participant in list(conversation.participants):
        if participant.user_id == user.id:
            conversation.participants.remove(participant)
    db.session.flush()
    live.revoke_rooms(db.session, user.id, [conversation.room])


def conversations_of(user: User) -> list[Conversation]:
    return list(
        db.session.scalars(
            select(Conversation)
            .join(ConversationParticipant)
            .where(ConversationParticipant.user_id == user.id)
            .options(
                selectinload(Conversation.participants).joinedload(ConversationParticipant.user)
            )
            .order_by(
                func.coalesce(Conversation.last_message_at, Conversation.created_at).desc(),
                Conversation.id.desc(),
            )
        )
    )


def last_messages(conversation_ids: list[int]) -> dict[int, Message]:
    """The latest message of each conversation, in one statement."""
    if not conversation_ids:
        return {}
    latest = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(conversation_ids))
        .group_by(Message.conversation_id)
    )
    rows = db.session.scalars(
        select(Message).where(Message.id.in_(latest)).options(joinedload(Message.author))
    )
    return {m.conversation_id: m for m in rows}


def conversation_title(conversation: Conversation, viewer: User) -> str:
    if conversation.title:
        return conversation.title
    names = [p.user.public_name for p in conversation.participants if p.user_id != viewer.id]
    return ", ".join(names) or _("Conversation")
