"""Administration services: member roles and suspension, and the log every administrative
action writes to. Other modules log their own administrative actions with `log_action`."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select

from tremplin.platform import notifications, policies
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import SITE_ROLES, AdminAction, User, new_session_stamp
from tremplin.platform.types import utcnow

ROLE_LABELS = {
    "member": _l("Membre"),
    "organiser": _l("Animateur·rice"),
    "admin": _l("Administrateur·rice"),
}


class ReasonRequired(DomainError):
    default_message = _l("Indiquez la raison : elle est inscrite au journal d'administration.")
    field = "reason"


def log_action(
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int | None,
    summary: str,
    reason: str | None = None,
) -> AdminAction:
    entry = AdminAction(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary,
        reason=(reason or "").strip() or None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def member_search(
    query: str | None = None, role: str | None = None, state: str | None = None
) -> Select:
    stmt = select(User).where(User.deleted_at.is_(None))
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(User.display_name).like(like), func.lower(User.email).like(like))
        )
    if role in SITE_ROLES:
        stmt = stmt.where(User.site_role == role)
    if state == "suspended":
        stmt = stmt.where(User.suspended_at.is_not(None))
    elif state == "unconfirmed":
        stmt = stmt.where(User.email_confirmed_at.is_(None))
    return stmt.order_by(User.display_name, User.id)


def change_role(actor: User, target: User, new_role: str, reason: str | None = None) -> None:
    if new_role not in SITE_ROLES:
        raise DomainError(_("Rôle inconnu."), field="role")
    if new_role == target.site_role:
        raise DomainError(_("Ce membre a déjà ce rôle."), field="role")
    if not policies.can_change_site_role(actor, target, new_role):
        raise NotAllowed()
    old = target.site_role
    target.site_role = new_role
    log_action(
        actor,
        "role_changed",
        "user",
        target.id,
        _(
            "%(name)s : %(old)s → %(new)s",
            name=target.display_name,
            old=ROLE_LABELS[old],
            new=ROLE_LABELS[new_role],
        ),
        reason,
    )
    notifications.notify(
        target,
        "account_role",
        _("Votre rôle sur Tremplin est désormais : %(role)s.", role=ROLE_LABELS[new_role]),
    )


def suspend(actor: User, target: User, reason: str) -> None:
    if not (reason or "").strip():
        raise ReasonRequired()
    if not policies.can_suspend(actor, target):
        raise NotAllowed()
    if target.suspended_at is not None:
        raise DomainError(_("Ce compte est déjà suspendu."))
    target.suspended_at = utcnow()
    target.session_stamp = new_session_stamp()  # ends every session at once
    log_action(
        actor,
        "suspended",
        "user",
        target.id,
        _("Compte de %(name)s suspendu", name=target.display_name),
        reason,
    )


def unsuspend(actor: User, target: User, reason: str | None = None) -> None:
    if not policies.can_suspend(actor, target):
        raise NotAllowed()
    if target.suspended_at is None:
        raise DomainError(_("Ce compte n'est pas suspendu."))
    target.suspended_at = None
    log_action(
        actor,
        "unsuspended",
        "user",
        target.id,
        _("Compte de %(name)s rétabli", name=target.display_name),
        reason,
    )
