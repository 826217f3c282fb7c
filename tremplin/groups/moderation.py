"""Moderation in the open: reports, hiding, pinning, muting, banning — every organiser
action written to the group's log that all its members read. An action on an organiser
waits for a second organiser's confirmation, so no one captures a group alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from tremplin.groups import live, policies
from tremplin.groups.chat import announce
from tremplin.groups.models import (
    REPORT_REASONS,
    Group,
    GroupMembership,
    Message,
    MessageReport,
    ModerationLogEntry,
    ModerationRequest,
)
from tremplin.groups.roster import group_rooms, organisers
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow

REQUEST_LIFETIME = timedelta(days=7)
MUTE_CHOICES = (60, 24 * 60, 7 * 24 * 60)  # minutes
BAN_CHOICES = (0, 7, 30)  # days; 0 = until unbanned

REASON_LABELS = {
    "spam": _l("Spam ou publicité"),
    "harassment": _l("Propos insultants, harcèlement ou discrimination"),
    "off_topic": _l("Hors sujet ou contraire à la charte"),
    "personal_data": _l("Données personnelles exposées"),
    "other": _l("Autre raison"),
}


# --- the log --------------------------------------------------------------------------


@dataclass(frozen=True)
class ModerationAct:
    """What an organiser does, or asks a second organiser to confirm: the action, the
    member it concerns, the message it concerns, and the reason given."""

    action: str
    target: User | None = None
    message: Message | None = None
    reason: str = ""


def log(
    group: Group,
    actor: User | None,
    act: ModerationAct,
    *,
    details: dict | None = None,
    confirmed_by: User | None = None,
) -> ModerationLogEntry:
    entry = ModerationLogEntry(
        group_id=group.id,
        actor=actor,
        action=act.action,
        target_user=act.target,
        message_id=act.message.id if act.message is not None else None,
        reason=(act.reason or "").strip()[:1000],
        details=details,
        confirmed_by=confirmed_by,
    )
    db.session.add(entry)
    return entry


def log_entries(group: Group, limit: int = 100, offset: int = 0) -> list[ModerationLogEntry]:
    return list(
        db.session.scalars(
            select(ModerationLogEntry)
            .where(ModerationLogEntry.group_id == group.id)
            .options(
                joinedload(ModerationLogEntry.actor),
                joinedload(ModerationLogEntry.target_user),
                joinedload(ModerationLogEntry.confirmed_by),
            )
            .order_by(ModerationLogEntry.created_at.desc(), ModerationLogEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


# --- two organisers -------------------------------------------------------------------


def needs_second_organiser(group: Group, target: User) -> bool:
    membership = policies.get_membership(target, group)
    return (
        membership is not None and membership.state == "active" and membership.role == "organiser"
    )


def request_confirmation(
    actor: User, group: Group, act: ModerationAct, *, params: dict | None = None
) -> ModerationRequest:
    """Ask a second organiser to confirm `act` (its target is a member, an organiser)."""
    action, target, message, reason = act.action, act.target, act.message, act.reason
    # The same request is the same action on the same person *and the same message*:
    # hiding a second message of an organiser is a new request, not a duplicate.
    existing = db.session.scalar(
        select(ModerationRequest).where(
            ModerationRequest.group_id == group.id,
            ModerationRequest.action == action,
            ModerationRequest.target_user_id == target.id,
            ModerationRequest.message_id.is_(None)
            if message is None
            else ModerationRequest.message_id == message.id,
            ModerationRequest.state == "pending",
            ModerationRequest.expires_at > utcnow(),
        )
    )
    if existing is not None:
        raise DomainError(
            _("Une demande identique attend déjà la confirmation d'un autre animateur.")
        )
    request = ModerationRequest(
        group_id=group.id,
        requested_by_id=actor.id,
        action=action,
        target_user_id=target.id,
        message_id=message.id if message is not None else None,
        params=params or {},
        reason=(reason or "").strip()[:1000],
        expires_at=utcnow() + REQUEST_LIFETIME,
    )
    db.session.add(request)
    db.session.flush()
    log(
        group,
        actor,
        ModerationAct("confirmation_requested", target=target, message=message, reason=reason),
        details={"action": action, "request_id": request.id, **(params or {})},
    )
    url = url_for("groups.moderation", slug=group.slug, _anchor="confirmations")

    for organiser in organisers(group):
        if organiser.user_id in (actor.id, target.id):
            continue
        notify(
            organiser.user,
            "groups_moderation",
            _l(
                "%(name)s demande votre confirmation pour une action de modération dans "
                "« %(group)s »",
                name=actor.public_name,
                group=group.name,
            ),
            url,
            template="email/groups_moderation.txt",
            group_name=group.name,
        )
    return request


def pending_requests(group: Group) -> list[ModerationRequest]:
    return list(
        db.session.scalars(
            select(ModerationRequest)
            .where(
                ModerationRequest.group_id == group.id,
                ModerationRequest.state == "pending",
                ModerationRequest.expires_at > utcnow(),
            )
            .options(
                joinedload(ModerationRequest.requested_by),
                joinedload(ModerationRequest.target_user),
                joinedload(ModerationRequest.message).joinedload(Message.channel),
                joinedload(ModerationRequest.message).joinedload(Message.author),
            )
            .order_by(ModerationRequest.created_at)
        )
    )


def _load_request(group: Group, request_id: int) -> ModerationRequest:
    request = db.session.get(ModerationRequest, request_id)
    if (
        request is None
        or request.group_id != group.id
        or request.state != "pending"
        or request.expires_at <= utcnow()
    ):
        raise DomainError(_("Cette demande n'est plus en attente."))
    return request


def confirm_request(actor: User, group: Group, request_id: int) -> None:
    request = _load_request(group, request_id)
    if not policies.can_confirm_request(actor, request, group):
        raise NotAllowed(
            _(
                "La confirmation doit venir d'un autre animateur du groupe que celui "
                "qui a fait la demande et que la personne concernée."
            )
        )
    request.state = "confirmed"
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    requester = request.requested_by or actor
    target = request.target_user
    params = request.params or {}
    if request.action == "member_muted":
        _apply_mute(requester, group, target, int(params.get("minutes", 60)), request.reason, actor)
    elif request.action == "member_banned":
        _apply_ban(requester, group, target, int(params.get("days", 0)), request.reason, actor)
    elif request.action == "message_hidden":
        message = request.message
        if message is None:
            raise DomainError(_("Ce message n'existe plus."))
        _apply_hide(requester, message, request.reason, actor)
    elif request.action == "role_changed":
        membership = policies.active_membership(target, group)
        if membership is None:
            raise DomainError(_("Cette personne n'est plus membre du groupe."))
        apply_role(requester, group, membership, params.get("role", "member"), confirmed_by=actor)
    else:  # pragma: no cover - a request always names a known action
        raise DomainError(_("Action inconnue."))
    db.session.flush()


def decline_request(actor: User, group: Group, request_id: int) -> None:
    """The requester withdraws it, or another organiser (not the one targeted) refuses it."""
    request = _load_request(group, request_id)
    if actor.id == request.requested_by_id:
        state, action = "cancelled", "confirmation_cancelled"
    elif policies.can_confirm_request(actor, request, group):
        state, action = "declined", "confirmation_declined"
    else:
        raise NotAllowed()
    request.state = state
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    log(
        group,
        actor,
        ModerationAct(action, target=request.target_user),
        details={"action": request.action, "request_id": request.id},
    )
    db.session.flush()


# --- reports --------------------------------------------------------------------------


def report(user: User, message: Message, reason: str, details: str = "") -> MessageReport:
    if not policies.can_report_message(user, message):
        raise NotAllowed(_("Vous ne pouvez pas signaler ce message."))
    if reason not in REPORT_REASONS:
        raise DomainError(_("Choisissez une raison."), field="reason")
    group = message.channel.group
    already = db.session.scalar(
        select(MessageReport.id).where(
            MessageReport.message_id == message.id, MessageReport.reporter_id == user.id
        )
    )
    if already is not None:
        raise DomainError(_("Vous avez déjà signalé ce message : l'équipe d'animation l'examine."))
    item = MessageReport(
        message=message,
        group_id=group.id,
        reporter_id=user.id,
        reason=reason,
        details=(details or "").strip()[:2000],
    )
    db.session.add(item)
    db.session.flush()

    url = url_for("groups.moderation", slug=group.slug, _anchor="signalements")
    for organiser in organisers(group):
        if organiser.user_id != message.author_id:
            notify(
                organiser.user,
                "groups_moderation",
                _l(
                    "Un message a été signalé dans « %(group)s » (%(reason)s)",
                    group=group.name,
                    reason=REASON_LABELS[reason],
                ),
                url,
                template="email/groups_moderation.txt",
                group_name=group.name,
            )
    return item


def open_reports(group: Group) -> list[MessageReport]:
    return list(
        db.session.scalars(
            select(MessageReport)
            .where(MessageReport.group_id == group.id, MessageReport.resolved_at.is_(None))
            .options(
                joinedload(MessageReport.message).joinedload(Message.author),
                joinedload(MessageReport.message).joinedload(Message.channel),
                joinedload(MessageReport.reporter),
            )
            .order_by(MessageReport.created_at)
        )
    )


def _resolve_reports(message: Message, actor: User, resolution: str) -> None:
    for item in db.session.scalars(
        select(MessageReport).where(
            MessageReport.message_id == message.id, MessageReport.resolved_at.is_(None)
        )
    ):
        item.resolved_at = utcnow()
        item.resolved_by_id = actor.id
        item.resolution = resolution


def dismiss_report(actor: User, group: Group, report_id: int, reason: str = "") -> None:
    item = db.session.get(MessageReport, report_id)
    if item is None or item.group_id != group.id:
        raise DomainError(_("Ce signalement n'existe plus."))
    if not policies.can_moderate(actor, group):
        raise NotAllowed()
    if item.resolved_at is None:
        _resolve_reports(item.message, actor, "dismissed")
        log(
            group,
            actor,
            ModerationAct(
                "report_dismissed", target=item.message.author, message=item.message, reason=reason
            ),
        )
    db.session.flush()


# --- messages -------------------------------------------------------------------------


def _message_group(actor: User, message: Message) -> Group:
    if not policies.can_hide_message(actor, message):
        raise NotAllowed(_("Seuls les animateurs du groupe modèrent ses messages."))
    return message.channel.group


def hide_message(actor: User, message: Message, reason: str = "") -> bool:
    """Hide a message from the channel. True when done now, False when a second organiser
    must confirm (the author is an organiser)."""
    group = _message_group(actor, message)
    if message.hidden_at is not None:
        return True
    if message.author_id != actor.id and needs_second_organiser(group, message.author):
        request_confirmation(
            actor,
            group,
            ModerationAct("message_hidden", target=message.author, message=message, reason=reason),
        )
        return False
    _apply_hide(actor, message, reason)
    return True


def _apply_hide(
    actor: User, message: Message, reason: str, confirmed_by: User | None = None
) -> None:
    message.hidden_at = utcnow()
    message.hidden_by_id = actor.id
    message.pinned_at = None
    _resolve_reports(message, confirmed_by or actor, "hidden")
    # No excerpt in the public log: what was hidden stays hidden.
    log(
        message.channel.group,
        actor,
        ModerationAct("message_hidden", target=message.author, message=message, reason=reason),
        confirmed_by=confirmed_by,
        details={"channel": message.channel.name},
    )
    announce(message, "message:update")
    db.session.flush()


def unhide_message(actor: User, message: Message) -> None:
    group = _message_group(actor, message)
    if message.hidden_at is None:
        return
    message.hidden_at = None
    message.hidden_by_id = None
    log(group, actor, ModerationAct("message_unhidden", target=message.author, message=message))
    announce(message, "message:update")
    db.session.flush()


def pin_message(actor: User, message: Message, pinned: bool = True) -> None:
    group = _message_group(actor, message)
    if not message.is_visible:
        raise DomainError(_("Un message supprimé ou masqué ne peut pas être épinglé."))
    if (message.pinned_at is not None) == pinned:
        return
    message.pinned_at = utcnow() if pinned else None
    message.pinned_by_id = actor.id if pinned else None
    log(
        group,
        actor,
        ModerationAct(
            "message_pinned" if pinned else "message_unpinned",
            target=message.author,
            message=message,
        ),
        details={"excerpt": message.body[:200], "channel": message.channel.name},
    )
    announce(message, "message:update")
    db.session.flush()


# --- members --------------------------------------------------------------------------


def _target_membership(actor: User, group: Group, target: User) -> GroupMembership:
    if not policies.can_moderate(actor, group):
        raise NotAllowed(_("Seuls les animateurs du groupe peuvent faire cela."))
    if target.id == actor.id:
        raise DomainError(_("Vous ne pouvez pas vous appliquer cette mesure."))
    membership = policies.get_membership(target, group)
    if membership is None or membership.state not in ("active", "banned"):
        raise DomainError(_("Cette personne n'est pas membre du groupe."))
    return membership


def mute(actor: User, group: Group, target: User, minutes: int, reason: str = "") -> bool:
    membership = _target_membership(actor, group, target)
    if minutes <= 0 or minutes > 90 * 24 * 60:
        raise DomainError(_("Choisissez une durée."), field="minutes")
    if membership.state != "active":
        raise DomainError(_("Cette personne n'est pas membre du groupe."))
    if needs_second_organiser(group, target):
        request_confirmation(
            actor,
            group,
            ModerationAct("member_muted", target=target, reason=reason),
            params={"minutes": minutes},
        )
        return False
    _apply_mute(actor, group, target, minutes, reason)
    return True


def _apply_mute(
    actor: User,
    group: Group,
    target: User,
    minutes: int,
    reason: str,
    confirmed_by: User | None = None,
) -> None:
    membership = policies.get_membership(target, group)
    if membership is None or membership.state != "active":
        raise DomainError(_("Cette personne n'est plus membre du groupe."))
    membership.muted_until = utcnow() + timedelta(minutes=minutes)
    log(
        group,
        actor,
        ModerationAct("member_muted", target=target, reason=reason),
        confirmed_by=confirmed_by,
        details={"until": membership.muted_until.isoformat(), "minutes": minutes},
    )
    from tremplin.platform.templating import local_datetime

    notify(
        target,
        "groups_moderation",
        _l(
            "Vous êtes en sourdine dans « %(group)s » jusqu'au %(date)s. Motif : %(reason)s",
            group=group.name,
            date=local_datetime(membership.muted_until),
            reason=reason or _l("non précisé"),
        ),
        url_for("groups.moderation", slug=group.slug),
    )
    db.session.flush()


def unmute(actor: User, group: Group, target: User) -> None:
    membership = _target_membership(actor, group, target)
    if not policies.is_muted(membership):
        return
    membership.muted_until = None
    log(group, actor, ModerationAct("member_unmuted", target=target))
    db.session.flush()


def ban(actor: User, group: Group, target: User, days: int = 0, reason: str = "") -> bool:
    membership = _target_membership(actor, group, target)
    if policies.is_banned(membership):
        return True
    if days < 0 or days > 365:
        raise DomainError(_("Choisissez une durée."), field="days")
    if needs_second_organiser(group, target):
        request_confirmation(
            actor,
            group,
            ModerationAct("member_banned", target=target, reason=reason),
            params={"days": days},
        )
        return False
    _apply_ban(actor, group, target, days, reason)
    return True


def _apply_ban(
    actor: User,
    group: Group,
    target: User,
    days: int,
    reason: str,
    confirmed_by: User | None = None,
) -> None:
    membership = policies.get_membership(target, group)
    if membership is None:
        raise DomainError(_("Cette personne n'est plus membre du groupe."))
    membership.state = "banned"
    membership.banned_until = utcnow() + timedelta(days=days) if days else None
    membership.muted_until = None
    log(
        group,
        actor,
        ModerationAct("member_banned", target=target, reason=reason),
        confirmed_by=confirmed_by,
        details={"days": days, "until": membership.banned_until.isoformat() if days else None},
    )

    live.revoke_rooms(db.session, target.id, group_rooms(group))
    notify(
        target,
        "groups_moderation",
        _l(
            "Vous avez été exclu du groupe « %(group)s ». Motif : %(reason)s",
            group=group.name,
            reason=reason or _l("non précisé"),
        ),
        url_for("groups.moderation", slug=group.slug),
    )
    db.session.flush()


def unban(actor: User, group: Group, target: User) -> bool:
    """ "Réintégrer": lift the ban AND give the person their place back, as a member (an
    organiser's role is not restored: that is a separate decision). Guarded, so two
    organisers clicking at once reinstate once and log once. Returns whether it did."""
    membership = _target_membership(actor, group, target)
    reinstated = db.session.execute(
        update(GroupMembership)
        .where(GroupMembership.id == membership.id, GroupMembership.state == "banned")
        .values(
            state="active",
            role="member",
            banned_until=None,
            muted_until=None,
            joined_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not reinstated:
        return False
    db.session.refresh(membership)
    policies.remember_membership(group.id, target.id, membership)
    log(group, actor, ModerationAct("member_unbanned", target=target))
    notify(
        target,
        "groups_moderation",
        _l(
            "Votre exclusion du groupe « %(group)s » est levée : vous en êtes de nouveau membre.",
            group=group.name,
        ),
        url_for("groups.group", slug=group.slug),
    )
    db.session.flush()
    return True


def sanctioned_members(group: Group) -> list[GroupMembership]:
    now = utcnow()
    return [
        m
        for m in db.session.scalars(
            select(GroupMembership)
            .options(joinedload(GroupMembership.user))
            .where(
                GroupMembership.group_id == group.id,
                (GroupMembership.state == "banned") | (GroupMembership.muted_until > now),
            )
        )
    ]


def apply_role(
    actor: User,
    group: Group,
    membership: GroupMembership,
    role: str,
    confirmed_by: User | None = None,
) -> None:
    previous = membership.role
    membership.role = role
    log(
        group,
        actor,
        ModerationAct("role_changed", target=membership.user),
        confirmed_by=confirmed_by,
        details={"from": previous, "to": role},
    )
    db.session.flush()
