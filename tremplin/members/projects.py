"""Project pages and their teams: create and edit a project, invite members (who accept or
decline), leave or remove; and the queries that load a project page in a fixed number of
statements. Writes flush and never commit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.members import notices, policies, signals
from tremplin.members.models import (
    ACCEPTED,
    DECLINED,
    INVITED,
    NEED_KINDS,
    OPEN,
    OWNER,
    PROJECT_STAGES,
    PROJECT_VISIBILITIES,
    PUBLIC,
    TEAMMATE,
    HelpOffer,
    JournalEntry,
    Milestone,
    Need,
    Project,
    ProjectMember,
)
from tremplin.platform import uploads
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow
from tremplin.platform.vocabulary import DEPARTEMENT_LABELS, THEME_LABELS

PROJECT_PAGE_SIZE = 12


class InvalidProject(DomainError):
    default_message = _l("Ce projet contient une valeur non reconnue.")


class AlreadyOnTeam(DomainError):
    default_message = _l("Cette personne fait déjà partie de l’équipe.")


class AlreadyInvited(DomainError):
    default_message = _l("Cette personne a déjà une invitation en attente.")


class NoInvitation(DomainError):
    default_message = _l("Cette invitation n’existe plus.")


class OwnerStays(DomainError):
    default_message = _l("La personne qui a créé le projet ne peut pas quitter son équipe.")


# Something that reads as an HTML tag (<b>, </i>, <a href…>), not "<3" or "a < b".
HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")


@dataclass(frozen=True)
class ProjectFields:
    """What a team writes about its project: title, one-sentence pitch, stage and who sees
    it; the description (Markdown), theme and place may stay empty."""

    title: str
    pitch: str
    stage: str
    visibility: str
    description: str | None = None
    theme: str | None = None
    commune: str | None = None
    departement: str | None = None


def _clean_fields(fields: ProjectFields) -> dict:
    theme, stage, visibility = fields.theme, fields.stage, fields.visibility
    departement = fields.departement
    title = " ".join((fields.title or "").split())
    pitch = " ".join((fields.pitch or "").split())
    if not 3 <= len(title) <= 120:
        raise InvalidProject(_("Le titre doit faire entre 3 et 120 caractères."), field="title")
    if not 10 <= len(pitch) <= 280:
        raise InvalidProject(_("Le pitch doit faire entre 10 et 280 caractères."), field="pitch")
    if HTML_TAG.search(pitch):
        raise InvalidProject(
            _(
                "Le projet en une phrase est du texte simple : les balises HTML comme <b> "
                "s’afficheraient telles quelles. Retirez-les ; la description, elle, accepte "
                "le Markdown (**gras**, *italique*, listes, liens)."
            ),
            field="pitch",
        )
    if theme and theme not in THEME_LABELS:
        raise InvalidProject(field="theme")
    if stage not in PROJECT_STAGES:
        raise InvalidProject(field="stage")
    if departement and departement not in DEPARTEMENT_LABELS:
        raise InvalidProject(field="departement")
    if visibility not in PROJECT_VISIBILITIES:
        raise InvalidProject(field="visibility")
    return {
        "title": title,
        "pitch": pitch,
        "description": (fields.description or "").strip() or None,
        "theme": theme or None,
        "stage": stage,
        "commune": " ".join((fields.commune or "").split())[:120] or None,
        "departement": departement or None,
        "visibility": visibility,
    }


def create_project(owner: User, fields: ProjectFields, *, logo=None) -> Project:
    if not policies.can_create_project(owner):
        raise NotAllowed()
    values = _clean_fields(fields)
    project = Project(owner_id=owner.id, **values)
    if logo is not None:
        project.logo_file = uploads.store_image(logo, "logo", field="logo")
    project.memberships.append(
        ProjectMember(user_id=owner.id, role=OWNER, status=ACCEPTED, responded_at=utcnow())
    )
    db.session.add(project)
    db.session.flush()
    signals.project_created.send(project, by=owner)
    return project


def update_project(
    project: Project, by: User, fields: ProjectFields, *, logo=None, remove_logo: bool = False
) -> Project:
    if not policies.can_edit_project(by, project):
        raise NotAllowed()
    for name, value in _clean_fields(fields).items():
        setattr(project, name, value)
    if logo is not None:
        new_name = uploads.store_image(logo, "logo", field="logo")
        uploads.discard_upload(project.logo_file)
        project.logo_file = new_name
    elif remove_logo and project.logo_file:
        uploads.discard_upload(project.logo_file)
        project.logo_file = None
    project.updated_at = utcnow()
    db.session.flush()
    signals.project_updated.send(project, by=by)
    return project


def touch(project: Project) -> None:
    project.updated_at = utcnow()


# --- team -------------------------------------------------------------------------------


def _membership(project: Project, user_id: int) -> ProjectMember | None:
    return next((m for m in project.memberships if m.user_id == user_id), None)


def invite_member(
    project: Project, by: User, invitee: User, title: str | None = None
) -> ProjectMember:
    if not policies.can_manage_team(by, project):
        raise NotAllowed()
    if invitee.is_deleted or not invitee.is_active:
        raise NotAllowed(_("Ce compte ne peut pas être invité."))
    membership = _membership(project, invitee.id)
    if membership is not None and membership.status == ACCEPTED:
        raise AlreadyOnTeam()
    if membership is not None and membership.status == INVITED:
        raise AlreadyInvited()
    if membership is None:  # a declined invitation may be renewed
        membership = ProjectMember(user_id=invitee.id, role=TEAMMATE)
        project.memberships.append(membership)
    membership.status = INVITED
    membership.invited_by_id = by.id
    membership.title = " ".join((title or "").split())[:80] or None
    membership.created_at = utcnow()
    membership.responded_at = None
    db.session.flush()
    notify(
        invitee,
        notices.TEAM,
        _l(
            "%(name)s vous invite à rejoindre l’équipe du projet « %(project)s ».",
            name=by.public_name,
            project=project.title,
        ),
        url_for("members.project", project_id=project.id),
        template="email/members_invitation.txt",
        inviter=by.public_name,
        project_title=project.title,
    )
    return membership


def answer_invitation(project: Project, user: User, accept: bool) -> ProjectMember:
    membership = _membership(project, user.id)
    if membership is None or membership.status != INVITED:
        raise NoInvitation()
    membership.status = ACCEPTED if accept else DECLINED
    membership.responded_at = utcnow()
    db.session.flush()
    inviter = membership.invited_by
    if inviter is not None:
        text = (
            _l(
                "%(name)s a rejoint l’équipe du projet « %(project)s ».",
                name=user.public_name,
                project=project.title,
            )
            if accept
            else _l(
                "%(name)s a décliné l’invitation dans l’équipe du projet « %(project)s ».",
                name=user.public_name,
                project=project.title,
            )
        )
        notify(inviter, notices.TEAM, text, url_for("members.project", project_id=project.id))
    if accept:
        signals.team_changed.send(project, user=user)
    return membership


def remove_member(project: Project, by: User, user_id: int) -> None:
    if not policies.can_manage_team(by, project):
        raise NotAllowed()
    membership = _membership(project, user_id)
    if membership is None:
        raise NoInvitation(_("Cette personne ne fait pas partie de l’équipe."))
    if membership.role == OWNER:
        raise OwnerStays()
    project.memberships.remove(membership)
    db.session.flush()
    signals.team_changed.send(project, user=membership.user)


def leave_project(project: Project, user: User) -> None:
    membership = _membership(project, user.id)
    if membership is None or membership.status != ACCEPTED:
        raise NoInvitation(_("Vous ne faites pas partie de cette équipe."))
    if membership.role == OWNER:
        raise OwnerStays()
    project.memberships.remove(membership)
    db.session.flush()
    signals.team_changed.send(project, user=user)


# --- loading ----------------------------------------------------------------------------


def get_project(project_id: int) -> Project | None:
    return db.session.get(Project, project_id)


def with_person(relationship):
    """Eager-load a user relationship with the profile its avatar needs."""
    return joinedload(relationship).joinedload(User.profile)


def load_project_page(project_id: int) -> Project | None:
    """A project with its team, needs, offers and milestones, in a fixed number of
    statements (the journal is loaded apart, a page at a time)."""
    return db.session.scalar(
        select(Project)
        .where(Project.id == project_id)
        .options(
            selectinload(Project.memberships).options(with_person(ProjectMember.user)),
            selectinload(Project.needs)
            .selectinload(Need.offers)
            .options(with_person(HelpOffer.helper), with_person(HelpOffer.responded_by)),
            selectinload(Project.milestones).options(
                joinedload(Milestone.declared_by), joinedload(Milestone.confirmed_by)
            ),
        )
    )


def load_project_for_team(project_id: int) -> Project | None:
    return db.session.scalar(
        select(Project)
        .where(Project.id == project_id)
        .options(
            selectinload(Project.memberships).options(
                with_person(ProjectMember.user), joinedload(ProjectMember.invited_by)
            )
        )
    )


def latest_entries(project: Project, limit: int = 5) -> list[JournalEntry]:
    return list(
        db.session.scalars(
            select(JournalEntry)
            .where(JournalEntry.project_id == project.id)
            .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
            .limit(limit)
            .options(with_person(JournalEntry.author))
        )
    )


@dataclass
class ProjectFilters:
    q: str = ""
    theme: str = ""
    stage: str = ""
    departement: str = ""
    need: str = ""
    mine: bool = False

    @property
    def active(self) -> bool:
        return any((self.q, self.theme, self.stage, self.departement, self.need, self.mine))


def visible_projects(viewer):
    """SQL: the projects `viewer` may see (the same rule as policies.can_view_project)."""
    stmt = select(Project)
    if not policies.is_organiser(viewer):
        stmt = stmt.where(Project.orphaned_at.is_(None))
    if not getattr(viewer, "is_authenticated", False):
        stmt = stmt.where(Project.visibility == PUBLIC)
    return stmt


def project_list(viewer, filters: ProjectFilters, page: int = 1, per_page: int = PROJECT_PAGE_SIZE):
    stmt = visible_projects(viewer)
    if filters.q:
        stmt = stmt.where(
            Project.title.icontains(filters.q.strip(), autoescape=True)
            | Project.pitch.icontains(filters.q.strip(), autoescape=True)
        )
    if filters.theme:
        stmt = stmt.where(Project.theme == filters.theme)
    if filters.stage:
        stmt = stmt.where(Project.stage == filters.stage)
    if filters.departement:
        stmt = stmt.where(Project.departement == filters.departement)
    if filters.need in NEED_KINDS:
        stmt = stmt.where(
            exists().where(
                Need.project_id == Project.id, Need.kind == filters.need, Need.status == OPEN
            )
        )
    if filters.mine and getattr(viewer, "is_authenticated", False):
        stmt = stmt.where(
            exists().where(
                ProjectMember.project_id == Project.id,
                ProjectMember.user_id == viewer.id,
                ProjectMember.status == ACCEPTED,
            )
        )
    stmt = stmt.options(selectinload(Project.needs), joinedload(Project.owner)).order_by(
        Project.updated_at.desc(), Project.id.desc()
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def project_scope(stmt, project_id, territory: str | None = None, theme: str | None = None):
    """`stmt` narrowed to rows whose project (joined on `project_id`, the column holding
    its id) is in the département `territory` and/or has the theme `theme`: what the impact
    figures mean by territory and theme. Unchanged, with no join, when neither is given."""
    if not territory and not theme:
        return stmt
    stmt = stmt.join(Project, Project.id == project_id)
    if territory:
        stmt = stmt.where(Project.departement == territory)
    if theme:
        stmt = stmt.where(Project.theme == theme)
    return stmt


def projects_of(user, *, include_invitations: bool = False) -> list[Project]:
    """The projects `user` is on the team of (and, on request, invited to), most recently
    active first, with their needs and memberships loaded."""
    statuses = [ACCEPTED, INVITED] if include_invitations else [ACCEPTED]
    return list(
        db.session.scalars(
            select(Project)
            .join(ProjectMember, ProjectMember.project_id == Project.id)
            .where(ProjectMember.user_id == user.id, ProjectMember.status.in_(statuses))
            .options(
                selectinload(Project.needs).selectinload(Need.offers),
                selectinload(Project.memberships),
            )
            .order_by(Project.updated_at.desc(), Project.id.desc())
        )
    )


def is_project_team_member(user, project: Project) -> bool:
    return policies.is_team_member(user, project)


def owned_projects(user) -> list[Project]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(Project)
            .join(ProjectMember, ProjectMember.project_id == Project.id)
            .where(
                ProjectMember.user_id == user.id,
                ProjectMember.role == OWNER,
                ProjectMember.status == ACCEPTED,
            )
            .options(selectinload(Project.memberships))
            .order_by(Project.title)
        )
    )
