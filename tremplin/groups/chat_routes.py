"""Channel and conversation pages, history over HTTP, and the message actions.

Every page works without JavaScript (forms post); chat.js enhances them over Socket.IO and
fetches missed messages from the `historique` endpoints.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.groups import (
    attachments,
    bp,
    chat,
    live,
    moderation,
    policies,
    preferences,
    push,
    reactions,
)
from tremplin.groups.forms import ConversationForm, MessageForm, ReasonForm, ReportForm
from tremplin.groups.groups import groups_of
from tremplin.groups.models import (
    Channel,
    Conversation,
    ConversationParticipant,
    Group,
    GroupMembership,
    Message,
)
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.models import User
from tremplin.platform.storage import storage


def load_channel(slug: str, channel_slug: str) -> tuple[Group, Channel]:
    group = db.first_or_404(
        select(Group).where(Group.slug == slug).options(selectinload(Group.channels))
    )
    channel = next((c for c in group.channels if c.slug == channel_slug), None)
    if channel is None:
        abort(404)
    return group, channel


def load_conversation(conversation_id: int) -> Conversation:
    return db.first_or_404(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .options(selectinload(Conversation.participants).joinedload(ConversationParticipant.user))
    )


def _history_args() -> tuple[int | None, int | None]:
    return request.args.get("before", type=int), request.args.get("after", type=int)


def _history_json(place):
    before, after = _history_args()
    messages, has_more = chat.history(
        place, before=before, after=after, limit=request.args.get("limit", chat.PAGE_SIZE, type=int)
    )
    return jsonify(messages=[chat.message_payload(m) for m in messages], has_more=has_more)


def _attachments():
    """Photos, documents and a voice message sent with the composer's form (each kind
    checked by its content; a refusal names its field)."""
    photos = [f for f in request.files.getlist("photos") if f and f.filename]
    docs = [f for f in request.files.getlist("documents") if f and f.filename]
    recording = request.files.get("voice")
    stored = attachments.store_photos(photos) if photos else []
    if docs:
        stored += attachments.store_documents(docs)
    if recording and recording.filename:
        stored.append(attachments.store_voice(recording))
    return stored


@bp.route("/discussion/pieces-jointes/<int:attachment_id>")
def serve_attachment(attachment_id: int):
    """A document (as a download) or a voice message (inline, with Range requests), to
    those who can read its message; 404 otherwise."""
    attachment = attachments.load_readable(attachment_id, current_user)
    if attachment is None:
        abort(404)
    is_document = attachment.kind == "document"
    try:
        response = storage().send(
            attachment.file_name,
            mimetype=attachment.content_type or "application/octet-stream",
            max_age=3600,
            as_attachment=is_document,
            download_name=attachment.original_name,
            conditional=True,
        )
    except FileNotFoundError:
        abort(404)
    if not is_document:
        response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.cache_control.public = False
    response.cache_control.private = True
    return response


# --- channels -------------------------------------------------------------------------


@bp.route("/groupes/<slug>/salons/<channel_slug>", methods=["GET", "POST"])
@login_required
def channel(slug: str, channel_slug: str):
    group, channel = load_channel(slug, channel_slug)
    if not policies.can_read_channel(current_user, channel):
        abort(403)
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            with form_errors(form) as outcome:
                message = chat.post_to_channel(
                    current_user,
                    channel,
                    form.body.data,
                    attachments=_attachments(),
                )
            if outcome.ok:
                return redirect(
                    url_for(
                        "groups.channel",
                        slug=slug,
                        channel_slug=channel_slug,
                        _anchor=f"m{message.id}",
                    )
                )
        status = 400
    before, _after = _history_args()
    messages, has_older = chat.history(channel, before=before)
    membership = policies.get_membership(current_user, group)
    if membership is not None and membership.state == "active" and before is None and messages:
        if chat.mark_read(current_user, channel, messages[-1].id):
            chat.forget_cached_unread()
    unread = chat.unread_counts(current_user)
    refusal = policies.posting_refusal(current_user, group)
    return render_template(
        "groups/channel.html",
        group=group,
        channel=channel,
        messages=messages,
        has_older=has_older,
        before=before,
        form=form,
        refusal=refusal,
        membership=membership,
        pinned=chat.pinned_messages(channel),
        notify_prefs=preferences.preferences_of(current_user, group) if membership else None,
        level_labels=preferences.LEVEL_LABELS,
        unread=unread,
        online=live.online_members(group.id),
        can_moderate=policies.can_moderate(current_user, group),
        is_new_account=chat.is_new_account(current_user),
        rate_limit=chat.rate_limit_for(current_user),
        action_form=EmptyForm(),
        history_url=url_for("groups.channel_history", slug=slug, channel_slug=channel_slug),
    ), status


@bp.route("/groupes/<slug>/salons/<channel_slug>/historique")
@login_required
def channel_history(slug: str, channel_slug: str):
    _group, channel = load_channel(slug, channel_slug)
    if not policies.can_read_channel(current_user, channel):
        abort(403)
    return _history_json(channel)


# --- conversations --------------------------------------------------------------------


@bp.route("/messages")
@login_required
def conversations():
    items = chat.conversations_of(current_user)
    last = chat.last_messages([c.id for c in items])
    unread = chat.unread_counts(current_user)
    return render_template(
        "groups/conversations.html",
        conversations=items,
        last=last,
        unread=unread,
        title_of=lambda c: chat.conversation_title(c, current_user),
    )


def _contact_choices(extra: User | None) -> list[tuple[int, str]]:
    """People one may write to: members of the groups one belongs to (and the member whose
    profile led here)."""
    mine = select(GroupMembership.group_id).where(
        GroupMembership.user_id == current_user.id, GroupMembership.state == "active"
    )
    people = db.session.scalars(
        select(User)
        .join(GroupMembership, GroupMembership.user_id == User.id)
        .where(
            GroupMembership.group_id.in_(mine),
            GroupMembership.state == "active",
            User.id != current_user.id,
            User.deleted_at.is_(None),
        )
        .distinct()
        .order_by(User.display_name)
        .limit(500)
    ).all()
    choices = [(u.id, u.public_name) for u in people]
    if extra is not None and extra.id not in {c[0] for c in choices}:
        choices.insert(0, (extra.id, extra.public_name))
    return choices


@bp.route("/messages/nouveau", methods=["GET", "POST"])
@login_required
def new_conversation():
    extra = None
    to = request.args.get("avec", type=int)
    if to:
        extra = db.session.get(User, to)
        if extra is None or not extra.is_active or extra.id == current_user.id:
            extra = None
    form = ConversationForm()
    form.participants.choices = _contact_choices(extra)
    if request.method == "GET" and extra is not None:
        form.participants.data = [extra.id]
    if form.validate_on_submit():
        allowed = {c[0] for c in form.participants.choices}
        chosen = [uid for uid in form.participants.data if uid in allowed]
        users = db.session.scalars(select(User).where(User.id.in_(chosen))).all()
        with form_errors(form) as outcome:
            conversation = chat.open_conversation(
                [current_user, *users],
                title=form.title.data or None,
                kind="direct" if len(users) == 1 else "group",
            )
            if (form.body.data or "").strip():
                chat.post_to_conversation(current_user, conversation, form.body.data)
        if outcome.ok:
            return redirect(url_for("groups.conversation", conversation_id=conversation.id))
    return render_template("groups/conversation_new.html", form=form)


@bp.route("/messages/<int:conversation_id>", methods=["GET", "POST"])
@login_required
def conversation(conversation_id: int):
    conversation = load_conversation(conversation_id)
    if not policies.can_read_conversation(current_user, conversation):
        abort(403)
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            with form_errors(form) as outcome:
                message = chat.post_to_conversation(
                    current_user, conversation, form.body.data, attachments=_attachments()
                )
            if outcome.ok:
                return redirect(
                    url_for(
                        "groups.conversation",
                        conversation_id=conversation.id,
                        _anchor=f"m{message.id}",
                    )
                )
        status = 400
    before, _after = _history_args()
    messages, has_older = chat.history(conversation, before=before)
    if before is None and messages:
        if chat.mark_read(current_user, conversation, messages[-1].id):
            chat.forget_cached_unread()
    return render_template(
        "groups/conversation.html",
        conversation=conversation,
        messages=messages,
        has_older=has_older,
        before=before,
        form=form,
        title=chat.conversation_title(conversation, current_user),
        unread=chat.unread_counts(current_user),
        action_form=EmptyForm(),
        is_new_account=chat.is_new_account(current_user),
        rate_limit=chat.rate_limit_for(current_user),
        history_url=url_for("groups.conversation_history", conversation_id=conversation.id),
    ), status


@bp.route("/messages/<int:conversation_id>/historique")
@login_required
def conversation_history(conversation_id: int):
    conversation = load_conversation(conversation_id)
    if not policies.can_read_conversation(current_user, conversation):
        abort(403)
    return _history_json(conversation)


# --- one message ----------------------------------------------------------------------


def load_message(message_id: int) -> Message:
    message = db.first_or_404(
        select(Message)
        .where(Message.id == message_id)
        .options(
            joinedload(Message.author),
            joinedload(Message.channel).joinedload(Channel.group),
            joinedload(Message.conversation),
        )
    )
    if not policies.can_read_message(current_user, message):
        abort(403)
    return message


def _back_to(message: Message) -> str:
    return chat.message_url(message)


@bp.route("/discussion/messages/<int:message_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_message(message_id: int):
    message = load_message(message_id)
    if not policies.can_edit_message(current_user, message):
        abort(403)
    form = MessageForm(body=message.body)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            chat.edit_message(current_user, message, form.body.data)
        if outcome.ok:
            return redirect(_back_to(message))
    return render_template(
        "groups/message_edit.html", message=message, form=form, back=_back_to(message)
    )


@bp.route("/discussion/messages/<int:message_id>/supprimer", methods=["POST"])
@login_required
def delete_message(message_id: int):
    message = load_message(message_id)
    if not policies.can_delete_message(current_user, message):
        abort(403)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with form_errors(form) as outcome:
        chat.delete_message(current_user, message)
    flash(
        _("Message supprimé.") if outcome.ok else outcome.error.message,
        "success" if outcome.ok else "error",
    )
    return redirect(_back_to(message))


@bp.route("/discussion/messages/<int:message_id>/signaler", methods=["GET", "POST"])
@login_required
def report_message(message_id: int):
    message = load_message(message_id)
    if not policies.can_report_message(current_user, message):
        abort(403)
    form = ReportForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            moderation.report(current_user, message, form.reason.data, form.details.data or "")
        if outcome.ok:
            flash(_("Merci. Les animateurs du groupe vont examiner ce message."), "success")
            return redirect(_back_to(message))
    return render_template("groups/report.html", message=message, form=form, back=_back_to(message))


@bp.route(
    "/discussion/messages/<int:message_id>/<any(masquer, afficher, epingler, desepingler):action>",
    methods=["POST"],
)
@login_required
def moderate_message(message_id: int, action: str):
    message = load_message(message_id)
    if not policies.can_hide_message(current_user, message):
        abort(403)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    applied = True
    with form_errors(form) as outcome:
        if action == "masquer":
            applied = moderation.hide_message(current_user, message, form.reason.data or "")
        elif action == "afficher":
            moderation.unhide_message(current_user, message)
        else:
            moderation.pin_message(current_user, message, pinned=action == "epingler")
    if not outcome.ok:
        flash(outcome.error.message, "error")
    elif not applied:
        flash(
            _(
                "Ce message est celui d’un animateur : un autre animateur doit confirmer avant "
                "qu’il soit masqué."
            ),
            "info",
        )
    else:
        flash(_("C’est fait : l’action figure dans le journal de modération du groupe."), "success")
    target = request.form.get("next")
    if target == "moderation":
        return redirect(url_for("groups.moderation", slug=message.channel.group.slug))
    return redirect(_back_to(message))


# --- threads, reactions, mentions -------------------------------------------------------


def _wants_json() -> bool:
    return request.args.get("format") == "json" or (
        request.accept_mimetypes.best == "application/json"
    )


@bp.route("/discussion/messages/<int:message_id>/fil", methods=["GET", "POST"])
@login_required
def thread(message_id: int):
    """A message and its replies; the reply form posts without JavaScript. chat.js shows
    the same thread in a panel beside the channel (JSON with ?format=json)."""
    root = load_message(message_id)
    if root.thread_root_id is not None:
        return redirect(chat.message_url(root))
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if not policies.can_reply_to_message(current_user, root):
            abort(403)
        if form.validate_on_submit():
            with form_errors(form) as outcome:
                reply = chat.post(
                    current_user, root.channel or root.conversation, form.body.data, root
                )
            if outcome.ok:
                return redirect(
                    url_for("groups.thread", message_id=root.id, _anchor=f"m{reply.id}")
                )
        status = 400
    replies = chat.thread_replies(root, after=request.args.get("after", type=int))
    if _wants_json():
        return jsonify(
            root=chat.message_payload(root), replies=[chat.message_payload(m) for m in replies]
        )
    place = root.channel or root.conversation
    return render_template(
        "groups/thread.html",
        root=root,
        replies=replies,
        form=form,
        action_form=EmptyForm(),
        can_reply=policies.can_reply_to_message(current_user, root),
        can_moderate=root.channel_id is not None
        and policies.can_moderate(current_user, root.channel.group),
        back=chat.message_url(root),
        place_name=f"#{place.name}"
        if root.channel_id
        else chat.conversation_title(place, current_user),
    ), status


@bp.route("/discussion/messages/<int:message_id>/reactions", methods=["POST"])
@login_required
def react(message_id: int):
    """Without JavaScript: a button per emoji toggles the member's reaction."""
    message = load_message(message_id)
    if not policies.can_react_to_message(current_user, message):
        abort(403)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    emoji = request.form.get("emoji", "")
    if emoji not in reactions.PALETTE:
        abort(400)
    on = not reactions.has_reacted(current_user, message, emoji)
    reactions.set_reaction(current_user, message, emoji, on)
    return redirect(_back_to(message))


MENTION_SUGGESTIONS = 8


@bp.route("/discussion/mentions")
@login_required
def mention_suggestions():
    """Members who can read the place and whose name starts (any word) with `q`."""
    query = (request.args.get("q") or "").strip().casefold()[:60]
    channel_id = request.args.get("channel_id", type=int)
    conversation_id = request.args.get("conversation_id", type=int)
    if channel_id is not None:
        place = db.first_or_404(
            select(Channel).where(Channel.id == channel_id).options(joinedload(Channel.group))
        )
        if not policies.can_read_channel(current_user, place):
            abort(403)
        people = chat.mention_candidates(place.group)
    elif conversation_id is not None:
        place = load_conversation(conversation_id)
        if not policies.can_read_conversation(current_user, place):
            abort(403)
        people = [p.user for p in place.participants]
    else:
        abort(404)
    found = [
        {"id": u.id, "name": u.display_name}
        for u in sorted(people, key=lambda u: (u.display_name or "").casefold())
        if u.id != current_user.id
        and not u.is_deleted
        and u.display_name
        and (
            not query
            or any(word.startswith(query) for word in u.display_name.casefold().split())
            or u.display_name.casefold().startswith(query)
        )
    ]
    return jsonify(members=found[:MENTION_SUGGESTIONS])


# --- notification preferences -----------------------------------------------------------


@bp.route("/groupes/notifications", methods=["GET", "POST"])
@login_required
def notification_settings():
    """One page: for each of my groups, how much I hear from it and from each channel."""
    mine = groups_of(current_user, with_channels=True)
    if request.method == "POST":
        form = EmptyForm()
        if not form.validate_on_submit():
            abort(400)
        with form_errors(form) as outcome:
            for group in mine:
                preferences.set_level(
                    current_user, group, None, request.form.get(f"g{group.id}", "mentions")
                )
                for channel in group.channels:
                    preferences.set_level(
                        current_user, group, channel, request.form.get(f"c{channel.id}", "inherit")
                    )
        if outcome.ok:
            flash(_("Vos préférences de notification sont enregistrées."), "success")
            return redirect(url_for("groups.notification_settings"))
        flash(outcome.error.message, "error")
    return render_template(
        "groups/notification_settings.html",
        groups=mine,
        prefs=preferences.preferences_by_group(current_user, [g.id for g in mine]),
        labels=preferences.LEVEL_LABELS,
        form=EmptyForm(),
    )


@bp.route("/groupes/<slug>/salons/<channel_slug>/notifications", methods=["POST"])
@login_required
def channel_notifications(slug: str, channel_slug: str):
    group, channel = load_channel(slug, channel_slug)
    if not policies.is_member(current_user, group):
        abort(403)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with form_errors(form) as outcome:
        preferences.set_level(current_user, group, channel, request.form.get("level", ""))
    if outcome.ok:
        flash(_("C’est noté pour ce salon."), "success")
    else:
        flash(outcome.error.message, "error")
    return redirect(url_for("groups.channel", slug=slug, channel_slug=channel_slug))


# --- Web Push (opt-in per device) -------------------------------------------------------


@bp.route("/groupes/push/cle")
@login_required
def push_key():
    return jsonify(key=push.application_server_key())


@bp.route("/groupes/push/abonnement", methods=["POST"])
@login_required
def push_subscribe():
    """This browser asks for push notices (the form fields of its PushSubscription)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with form_errors(form) as outcome:
        push.subscribe(
            current_user,
            request.form.get("endpoint", ""),
            request.form.get("p256dh", ""),
            request.form.get("auth", ""),
        )
    if not outcome.ok:
        return jsonify(ok=False, error=outcome.error.message), 400
    return jsonify(ok=True)


@bp.route("/groupes/push/desabonnement", methods=["POST"])
@login_required
def push_unsubscribe():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    push.unsubscribe(current_user, request.form.get("endpoint", ""))
    return jsonify(ok=True)
