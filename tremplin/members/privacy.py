"""RGPD: what the members module puts in "download my data", what it erases when an account
is deleted, and the deletion itself (after the password is confirmed).

The export holds what the member created or what describes them, never another member's
name, address or words. Erasure removes personal data (profile, photo, follows, team
places, pending offers) and keeps what the member wrote — needs, offers, journal
entries, milestones — under "Membre supprimé", with their name and address scrubbed out.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import selectinload

from tremplin.members import notices, signals
from tremplin.members.models import (
    ACCEPTED,
    OWNER,
    PENDING,
    WITHDRAWN,
    Follow,
    HelpOffer,
    JournalEntry,
    Milestone,
    Need,
    Profile,
    Project,
    ProjectMember,
)
from tremplin.platform import accounts, uploads
from tremplin.platform.accounts import rows_of
from tremplin.platform.extensions import db
from tremplin.platform.hooks import data_exporter, on_account_deleted
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.types import stamp, utcnow


@data_exporter
def export_member_data(user: User) -> dict:
    profile = db.session.scalar(
        select(Profile).where(Profile.user_id == user.id).options(selectinload(Profile.tags))
    )
    memberships = rows_of(
        ProjectMember.user_id, user.id, load=[selectinload(ProjectMember.project)]
    )
    owned = [m.project for m in memberships if m.role == OWNER]
    needs = rows_of(Need.created_by_id, user.id, order_by=Need.created_at)
    offers = rows_of(
        HelpOffer.helper_id,
        user.id,
        order_by=HelpOffer.created_at,
        load=[selectinload(HelpOffer.need)],
    )
    answered = rows_of(
        HelpOffer.responded_by_id,
        user.id,
        order_by=HelpOffer.responded_at,
        load=[selectinload(HelpOffer.need)],
    )
    entries = rows_of(JournalEntry.author_id, user.id, order_by=JournalEntry.created_at)
    declared = rows_of(Milestone.declared_by_id, user.id, order_by=Milestone.declared_at)
    confirmed = rows_of(Milestone.confirmed_by_id, user.id, order_by=Milestone.confirmed_at)
    follows = rows_of(Follow.follower_id, user.id, order_by=Follow.created_at)
    follower_count = len(
        db.session.scalars(select(Follow.id).where(Follow.user_id == user.id)).all()
    )

    return {
        "members": {
            "profile": None
            if profile is None
            else {
                "bio": profile.bio,
                "commune": profile.commune,
                "departement": profile.departement,
                "phone": profile.phone,
                "links": profile.links or [],
                "skills": profile.skills,
                "themes": profile.themes,
                "languages": profile.languages,
                "roles": profile.roles,
                "has_avatar": bool(profile.avatar_file),
                "visibility": {
                    name.removesuffix("_visibility"): getattr(profile, name)
                    for name in Profile.__table__.columns.keys()
                    if name.endswith("_visibility")
                },
                "updated_at": stamp(profile.updated_at),
            },
            "projects_created": [
                {
                    "id": p.id,
                    "title": p.title,
                    "pitch": p.pitch,
                    "description": p.description,
                    "theme": p.theme,
                    "stage": p.stage,
                    "commune": p.commune,
                    "departement": p.departement,
                    "visibility": p.visibility,
                    "created_at": stamp(p.created_at),
                }
                for p in owned
            ],
            "project_memberships": [
                {
                    "project_id": m.project_id,
                    "project_title": m.project.title,
                    "role": m.role,
                    "title": m.title,
                    "status": m.status,
                    "since": stamp(m.created_at),
                    "responded_at": stamp(m.responded_at),
                }
                for m in memberships
            ],
            "needs_created": [
                {
                    "id": n.id,
                    "project_id": n.project_id,
                    "kind": n.kind,
                    "title": n.title,
                    "description": n.description,
                    "amount_cents": n.amount_cents,
                    "quantity": n.quantity,
                    "quantity_unit": n.quantity_unit,
                    "status": n.status,
                    "created_at": stamp(n.created_at),
                }
                for n in needs
            ],
            "help_offers_made": [
                {
                    "need_id": o.need_id,
                    "need_title": o.need.title,
                    "message": o.message,
                    "status": o.status,
                    "created_at": stamp(o.created_at),
                    "responded_at": stamp(o.responded_at),
                }
                for o in offers
            ],
            # The answers the member gave to others' offers: what they decided, not who offered.
            "help_offers_answered": [
                {
                    "need_id": o.need_id,
                    "need_title": o.need.title,
                    "status": o.status,
                    "responded_at": stamp(o.responded_at),
                }
                for o in answered
            ],
            "journal_entries": [
                {
                    "project_id": e.project_id,
                    "title": e.title,
                    "body": e.body,
                    "has_image": bool(e.image_file),
                    "created_at": stamp(e.created_at),
                }
                for e in entries
            ],
            "milestones_declared": [
                {
                    "project_id": m.project_id,
                    "kind": m.kind,
                    "occurred_on": stamp(m.occurred_on),
                    "note": m.note,
                    "confirmed": m.confirmed_at is not None,
                    "declared_at": stamp(m.declared_at),
                }
                for m in declared
            ],
            "milestones_confirmed": [
                {"project_id": m.project_id, "kind": m.kind, "confirmed_at": stamp(m.confirmed_at)}
                for m in confirmed
            ],
            "following": {
                "member_ids": [f.user_id for f in follows if f.user_id is not None],
                "project_ids": [f.project_id for f in follows if f.project_id is not None],
            },
            "followers_count": follower_count,
        }
    }


def _scrub_authored(user: User, needles: list[str]) -> None:
    """The member's own words stay, without their name or address in them; their address
    is scrubbed from every text of this module."""
    authored = [
        (HelpOffer.message, HelpOffer.helper_id),
        (JournalEntry.title, JournalEntry.author_id),
        (JournalEntry.body, JournalEntry.author_id),
        (Need.title, Need.created_by_id),
        (Need.description, Need.created_by_id),
        (Milestone.note, Milestone.declared_by_id),
        (Project.title, Project.owner_id),
        (Project.pitch, Project.owner_id),
        (Project.description, Project.owner_id),
    ]
    addresses = [n for n in needles if "@" in n]
    for column, author in authored:
        for needle in needles:
            condition = column.contains(needle, autoescape=True)
            if needle not in addresses:
                condition = and_(condition, author == user.id)
            db.session.execute(
                update(column.table)
                .where(condition)
                .values({column.name: db.func.replace(column, needle, accounts.DELETED_NAME)})
            )


@on_account_deleted
def erase_member_data(user: User) -> None:
    needles = [n for n in (user.email, user.pending_email) if n]
    if len(user.display_name or "") >= 4:
        needles.append(user.display_name)
    db.session.flush()
    _scrub_authored(user, needles)  # first: it finds their projects by their ownership
    profile = db.session.get(Profile, user.id)
    if profile is not None:
        uploads.discard_upload(profile.avatar_file)
        db.session.delete(profile)
    db.session.execute(
        delete(Follow).where(or_(Follow.follower_id == user.id, Follow.user_id == user.id))
    )
    _leave_teams(user)
    db.session.execute(
        update(HelpOffer)
        .where(HelpOffer.helper_id == user.id, HelpOffer.status == PENDING)
        .values(status=WITHDRAWN)
    )
    db.session.flush()
    signals.member_erased.send(user.id)


def _leave_teams(user: User) -> None:
    """Invitations vanish and the member leaves every team. A project they created passes
    to the longest-standing teammate; with nobody left, it is hidden (not shown under
    "Membre supprimé" as if someone still carried it) and the organisers are told."""
    memberships = db.session.scalars(
        select(ProjectMember)
        .where(ProjectMember.user_id == user.id)
        .options(selectinload(ProjectMember.project).selectinload(Project.memberships))
    ).all()
    for membership in memberships:
        project = membership.project
        if membership.role == OWNER:
            heirs = [
                m for m in project.memberships if m.status == ACCEPTED and m.user_id != user.id
            ]
            if not heirs:
                _orphan(project)
                continue
            heir = min(heirs, key=lambda m: (m.responded_at or m.created_at, m.id))
            heir.role = OWNER
            project.owner_id = heir.user_id
        project.memberships.remove(membership)
        if membership.status == ACCEPTED and not project.team:
            _orphan(project)
    db.session.flush()


def _orphan(project: Project) -> None:
    """Hide a project nobody carries any more and tell the organisers (once)."""
    if project.orphaned_at is not None:
        return
    project.orphaned_at = utcnow()
    organisers = db.session.scalars(
        select(User).where(User.site_role.in_(("organiser", "admin")), User.deleted_at.is_(None))
    ).all()
    for organiser in organisers:
        notify(
            organiser,
            notices.TEAM,
            _l(
                "Le projet « %(title)s » n’a plus personne dans son équipe (compte supprimé) : "
                "il est masqué. Confiez-le à quelqu’un ou supprimez-le.",
                title=project.title,
            ),
            url_for("members.project", project_id=project.id),
        )


def delete_account(user: User, password: str) -> None:
    """Erase the account after checking its password (WrongPassword otherwise)."""
    if not accounts.check_password(user, password or ""):
        raise accounts.WrongPassword(field="password")
    accounts.erase_account(user)
