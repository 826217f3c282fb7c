"""Groups, their charter and channels, and membership: join, request, approve, decline,
invite, leave, roles. Never commits; organiser actions go to the moderation log."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.groups import live, policies, signals
from tremplin.groups.models import LOG_AUDIENCES, Channel, Group, GroupCharter, GroupMembership
from tremplin.groups.moderation import (
    ModerationAct,
    apply_role,
    log,
    needs_second_organiser,
    request_confirmation,
)
from tremplin.groups.roster import group_rooms, organisers  # noqa: F401  (groups' interface)
from tremplin.platform import accounts
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow
from tremplin.platform.vocabulary import THEME_LABELS

ROLE_LABELS_KEYS = ("member", "organiser", "resource")


class CharterNotAccepted(DomainError):
    field = "accept_charter"


def slugify(text: str, max_length: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-") or "groupe"


def _unique_slug(base: str, exists) -> str:
    slug, n = base, 2
    while exists(slug):
        slug = f"{base[:55]}-{n}"
        n += 1
    return slug


# --- groups and charter ----------------------------------------------------------------


@dataclass(frozen=True)
class GroupFields:
    """What an organiser writes about a group: its name, description and theme, who sees
    it ("public" or "private") and who reads its moderation log (None: the members on
    creation, unchanged on editing)."""

    name: str
    description: str
    theme: str
    visibility: str = "public"
    log_audience: str | None = None


def create_group(
    creator: User, fields: GroupFields, *, charter: str = "", first_channel: str | None = None
) -> Group:
    name, description, theme = fields.name, fields.description, fields.theme
    visibility, log_audience = fields.visibility, fields.log_audience
    if not policies.can_create_group(creator):
        raise NotAllowed(_("Seuls les animateurs et animatrices du réseau créent des groupes."))
    if theme not in THEME_LABELS:
        raise DomainError(_("Choisissez une thématique de la liste."), field="theme")
    slug = _unique_slug(
        slugify(name),
        lambda s: db.session.scalar(select(Group.id).where(Group.slug == s)) is not None,
    )
    group = Group(
        slug=slug,
        name=name.strip(),
        description=description.strip(),
        theme=theme,
        visibility=visibility if visibility in ("public", "private") else "public",
        log_audience=log_audience if log_audience in LOG_AUDIENCES else "members",
        created_by_id=creator.id,
    )
    db.session.add(group)
    db.session.flush()
    if charter.strip():
        _add_charter_version(group, creator, charter)
    membership = GroupMembership(
        group=group,
        user=creator,
        role="organiser",
        state="active",
        accepted_charter_version=group.charter_version,
        joined_at=utcnow(),
    )
    db.session.add(membership)
    add_channel(
        group, first_channel or _("Accueil"), _("Présentez-vous et posez vos questions au groupe.")
    )
    db.session.flush()
    policies.remember_membership(group.id, creator.id, membership)
    return group


def update_group(actor: User, group: Group, fields: GroupFields) -> None:
    name, description, theme = fields.name, fields.description, fields.theme
    visibility, log_audience = fields.visibility, fields.log_audience
    if not policies.can_manage_group(actor, group):
        raise NotAllowed()
    if theme not in THEME_LABELS:
        raise DomainError(_("Choisissez une thématique de la liste."), field="theme")
    changes = {}
    for attr, value in (
        ("name", name.strip()),
        ("description", description.strip()),
        ("theme", theme),
        ("visibility", visibility),
        ("log_audience", log_audience if log_audience in LOG_AUDIENCES else group.log_audience),
    ):
        if getattr(group, attr) != value:
            changes[attr] = value
            setattr(group, attr, value)
    if changes:
        log(group, actor, ModerationAct("group_updated"), details={"fields": sorted(changes)})
    db.session.flush()


def _add_charter_version(group: Group, author: User, body: str) -> GroupCharter:
    group.charter_version += 1
    charter = GroupCharter(
        group=group, version=group.charter_version, body=body.strip(), created_by=author
    )
    db.session.add(charter)
    return charter


def current_charter(group: Group) -> GroupCharter | None:
    if not group.charter_version:
        return None
    return db.session.scalar(
        select(GroupCharter).where(
            GroupCharter.group_id == group.id, GroupCharter.version == group.charter_version
        )
    )


def publish_charter(actor: User, group: Group, body: str) -> GroupCharter:
    """A new version: every member accepts it again before writing."""
    if not policies.can_manage_group(actor, group):
        raise NotAllowed()
    body = (body or "").strip()
    if not body:
        raise DomainError(_("La charte ne peut pas être vide."), field="body")
    current = current_charter(group)
    if current is not None and current.body == body:
        raise DomainError(_("Cette version est identique à la charte actuelle."), field="body")
    charter = _add_charter_version(group, actor, body)
    actor_membership = policies.active_membership(actor, group)
    actor_membership.accepted_charter_version = group.charter_version
    log(group, actor, ModerationAct("charter_updated"), details={"version": group.charter_version})
    members = db.session.scalars(
        select(GroupMembership)
        .options(joinedload(GroupMembership.user))
        .where(
            GroupMembership.group_id == group.id,
            GroupMembership.state == "active",
            GroupMembership.user_id != actor.id,
        )
    ).all()
    url = url_for("groups.charter", slug=group.slug, _anchor="accepter")
    for membership in members:
        notify(
            membership.user,
            "groups_membership",
            _l(
                "La charte du groupe « %(group)s » a changé : relisez-la et acceptez-la pour "
                "continuer à écrire.",
                group=group.name,
            ),
            url,
        )
    db.session.flush()
    return charter


def accept_charter(user: User, group: Group) -> None:
    membership = policies.active_membership(user, group)
    if membership is None:
        raise NotAllowed(_("Vous n'êtes pas membre de ce groupe."))
    membership.accepted_charter_version = group.charter_version
    db.session.flush()


def add_channel(group: Group, name: str, topic: str = "") -> Channel:
    name = name.strip().lstrip("#").strip()
    if not name:
        raise DomainError(_("Donnez un nom au salon."), field="name")
    existing = {c.slug for c in group.channels}
    slug = _unique_slug(slugify(name, 50), lambda s: s in existing)
    channel = Channel(
        group=group,
        name=name[:60],
        slug=slug,
        topic=(topic or "").strip()[:200],
        position=len(group.channels),
    )
    db.session.add(channel)
    db.session.flush()
    return channel


def create_channel(actor: User, group: Group, name: str, topic: str = "") -> Channel:
    if not policies.can_create_channel(actor, group):
        raise NotAllowed(_("Seuls les animateurs du groupe créent des salons."))
    channel = add_channel(group, name, topic)
    log(group, actor, ModerationAct("channel_created"), details={"channel": channel.name})
    return channel


# --- membership -----------------------------------------------------------------------


def _require_charter(group: Group, accepted: bool) -> None:
    if group.charter_version and not accepted:
        raise CharterNotAccepted(_("Acceptez la charte du groupe pour le rejoindre."))


def join(user: User, group: Group, *, accept_charter: bool, message: str = "") -> GroupMembership:
    """Join a public group at once; ask to join a private one (its organisers decide)."""
    membership = policies.get_membership(user, group)
    if membership is not None:
        if membership.state == "active":
            raise DomainError(_("Vous êtes déjà membre de ce groupe."))
        if membership.state == "pending":
            raise DomainError(_("Votre demande est déjà en attente de réponse."))
        if membership.state == "invited":
            return accept_invitation(user, group, accept_charter=accept_charter)
        if policies.is_banned(membership):
            raise NotAllowed(_("Vous avez été exclu de ce groupe."))
        db.session.delete(membership)  # an expired ban: start afresh
        db.session.flush()
    _require_charter(group, accept_charter)
    now = utcnow()
    membership = GroupMembership(
        group=group,
        user=user,
        role="member",
        accepted_charter_version=group.charter_version,
        state="pending" if group.is_private else "active",
        joined_at=None if group.is_private else now,
        request_message=(message or "").strip()[:1000] or None,
    )
    db.session.add(membership)
    db.session.flush()
    policies.remember_membership(group.id, user.id, membership)
    if not group.is_private:
        signals.member_joined.send(membership)
    if group.is_private:
        url = url_for("groups.members", slug=group.slug, _anchor="demandes")
        for organiser in organisers(group):
            notify(
                organiser.user,
                "groups_membership",
                _l(
                    "%(name)s demande à rejoindre le groupe « %(group)s »",
                    name=user.public_name,
                    group=group.name,
                ),
                url,
                template="email/groups_membership.txt",
                group_name=group.name,
                request_message=membership.request_message,
            )
    return membership


def _pending_request(group: Group, membership_id: int, state: str) -> GroupMembership:
    membership = db.session.get(GroupMembership, membership_id)
    if membership is None or membership.group_id != group.id or membership.state != state:
        raise DomainError(_("Cette demande n'existe plus."))
    return membership


def approve_request(actor: User, group: Group, membership_id: int) -> GroupMembership:
    if not policies.can_moderate(actor, group):
        raise NotAllowed()
    membership = _pending_request(group, membership_id, "pending")
    membership.state = "active"
    membership.joined_at = utcnow()
    log(group, actor, ModerationAct("request_approved", target=membership.user))
    notify(
        membership.user,
        "groups_membership",
        _l(
            "Bienvenue ! Votre demande pour rejoindre « %(group)s » est acceptée.", group=group.name
        ),
        url_for("groups.group", slug=group.slug),
    )
    db.session.flush()
    signals.member_joined.send(membership)
    return membership


def decline_request(actor: User, group: Group, membership_id: int) -> None:
    if not policies.can_moderate(actor, group):
        raise NotAllowed()
    membership = _pending_request(group, membership_id, "pending")
    user = membership.user
    db.session.delete(membership)
    log(group, actor, ModerationAct("request_declined", target=user))
    notify(
        user,
        "groups_membership",
        _l("Votre demande pour rejoindre « %(group)s » n'a pas été retenue.", group=group.name),
        url_for("groups.index"),
    )
    db.session.flush()


def invite(actor: User, group: Group, email: str) -> None:
    """Invite a member by e-mail address. The same answer whether or not the address has
    an account (nothing is revealed); the member is told in the site and by e-mail."""
    if not policies.can_moderate(actor, group):
        raise NotAllowed()
    user = accounts.find_by_email(email)
    if user is None or not user.is_active or user.id == actor.id:
        return
    membership = policies.get_membership(user, group)
    if membership is not None and membership.state != "pending":
        return
    if membership is not None:  # asked already: inviting them is saying yes
        approve_request(actor, group, membership.id)
        return
    membership = GroupMembership(group=group, user=user, state="invited", invited_by_id=actor.id)
    db.session.add(membership)
    db.session.flush()
    policies.remember_membership(group.id, user.id, membership)
    log(group, actor, ModerationAct("member_invited", target=user))
    notify(
        user,
        "groups_membership",
        _l(
            "%(name)s vous invite à rejoindre le groupe « %(group)s »",
            name=actor.public_name,
            group=group.name,
        ),
        url_for("groups.group", slug=group.slug),
        template="email/groups_membership.txt",
        group_name=group.name,
        request_message=None,
    )


def accept_invitation(user: User, group: Group, *, accept_charter: bool) -> GroupMembership:
    membership = policies.get_membership(user, group)
    if membership is None or membership.state != "invited":
        raise DomainError(_("Cette invitation n'existe plus."))
    _require_charter(group, accept_charter)
    membership.state = "active"
    membership.joined_at = utcnow()
    membership.accepted_charter_version = group.charter_version
    db.session.flush()
    signals.member_joined.send(membership)
    return membership


def decline_invitation(user: User, group: Group) -> None:
    membership = policies.get_membership(user, group)
    if membership is None or membership.state != "invited":
        raise DomainError(_("Cette invitation n'existe plus."))
    db.session.delete(membership)
    policies.remember_membership(group.id, user.id, None)
    db.session.flush()


def leave(user: User, group: Group) -> None:
    membership = policies.get_membership(user, group)
    if membership is None or membership.state == "banned":
        raise DomainError(_("Vous n'êtes pas membre de ce groupe."))
    if (
        membership.role == "organiser"
        and membership.state == "active"
        and len(organisers(group)) <= 1
    ):
        raise DomainError(
            _(
                "Vous êtes la seule personne qui anime ce groupe : confiez d'abord "
                "ce rôle à quelqu'un d'autre."
            )
        )
    db.session.delete(membership)
    policies.remember_membership(group.id, user.id, None)
    db.session.flush()
    live.revoke_rooms(db.session, user.id, group_rooms(group))


def set_role(actor: User, group: Group, target: User, role: str, reason: str = "") -> bool:
    """Make a member an organiser or a resource person, or back to member. Taking the
    role away from an organiser, or making someone organiser when the group already has
    several, needs a second organiser's confirmation. Returns True when applied now, False
    when waiting for confirmation."""
    if role not in ROLE_LABELS_KEYS:
        raise DomainError(_("Rôle inconnu."))
    if not policies.can_moderate(actor, group):
        raise NotAllowed()
    membership = policies.active_membership(target, group)
    if membership is None:
        raise DomainError(_("Cette personne n'est pas membre du groupe."))
    if membership.role == role:
        return True
    if membership.role == "organiser" and target.id == actor.id:
        if len(organisers(group)) <= 1:
            raise DomainError(_("Le groupe doit garder au moins une personne qui l'anime."))
    elif needs_second_organiser(group, target) or (
        role == "organiser" and len(organisers(group)) > 1
    ):
        # Taking the role from an organiser, or giving it while others share it (so no one
        # fills the team with allies), waits for a second organiser.
        request_confirmation(
            actor,
            group,
            ModerationAct("role_changed", target=target, reason=reason),
            params={"role": role},
        )
        return False
    apply_role(actor, group, membership, role)
    return True


# --- reading --------------------------------------------------------------------------


def groups_of(user, with_channels: bool = False) -> list[Group]:
    """The groups a member belongs to (active memberships), by name."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    stmt = (
        select(Group)
        .join(GroupMembership)
        .where(GroupMembership.user_id == user.id, GroupMembership.state == "active")
        .order_by(Group.name)
    )
    if with_channels:
        stmt = stmt.options(selectinload(Group.channels))
    return list(db.session.scalars(stmt))


def member_counts(group_ids: list[int]) -> dict[int, int]:
    if not group_ids:
        return {}
    rows = db.session.execute(
        select(GroupMembership.group_id, func.count(GroupMembership.id))
        .where(GroupMembership.group_id.in_(group_ids), GroupMembership.state == "active")
        .group_by(GroupMembership.group_id)
    )
    return dict(rows.all())
