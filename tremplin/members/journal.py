"""The project journal (*suivi du projet*): dated updates written by the team, and
milestones — structured, dated facts declared by the team and confirmed by an organiser,
which the impact dashboard counts. Writes flush and never commit."""

from __future__ import annotations

from datetime import date, datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tremplin.members import notices, policies, signals
from tremplin.members.labels import MILESTONE_LABELS
from tremplin.members.models import MILESTONE_KINDS, JournalEntry, Milestone, Project
from tremplin.members.needs import _tell_followers
from tremplin.members.projects import touch
from tremplin.platform import uploads
from tremplin.platform.admin import log_action
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.templating import PARIS
from tremplin.platform.types import utcnow

JOURNAL_PAGE_SIZE = 10
# A project reaches these once; prizes and returns to employment may repeat.
ONCE_ONLY = {"business_plan", "legal_entity", "first_funding", "first_hire", "collective_project"}
EARLIEST = date(1990, 1, 1)


class InvalidEntry(DomainError):
    default_message = _l("Cette actualité ne peut pas être publiée.")


class InvalidMilestone(DomainError):
    default_message = _l("Ce jalon ne peut pas être enregistré.")


class MilestoneAlreadyDeclared(DomainError):
    default_message = _l("Ce jalon est déjà déclaré pour ce projet.")
    field = "kind"


def post_entry(
    project: Project, author: User, *, body: str, title: str | None = None, image=None
) -> JournalEntry:
    if not policies.can_post_journal(author, project):
        raise NotAllowed()
    body = (body or "").strip()
    if not 2 <= len(body) <= 20_000:
        raise InvalidEntry(_("Écrivez quelques mots (20 000 caractères au plus)."), field="body")
    entry = JournalEntry(
        project_id=project.id,
        author_id=author.id,
        body=body,
        title=" ".join((title or "").split())[:140] or None,
    )
    if image is not None:
        entry.image_file = uploads.store_image(image, "photo", field="image")
    db.session.add(entry)
    touch(project)
    db.session.flush()
    signals.journal_posted.send(entry)
    return entry


def delete_entry(entry: JournalEntry, by: User) -> None:
    if not policies.can_delete_journal_entry(by, entry):
        raise NotAllowed()
    uploads.discard_upload(entry.image_file)
    db.session.delete(entry)
    db.session.flush()


def declare_milestone(
    project: Project, by: User, *, kind: str, occurred_on: date, note: str | None = None
) -> Milestone:
    if not policies.can_declare_milestone(by, project):
        raise NotAllowed()
    if kind not in MILESTONE_KINDS:
        raise InvalidMilestone(field="kind")
    if occurred_on is None or occurred_on > datetime.now(PARIS).date():
        raise InvalidMilestone(_("La date ne peut pas être dans le futur."), field="occurred_on")
    if occurred_on < EARLIEST:
        raise InvalidMilestone(_("Cette date semble trop ancienne."), field="occurred_on")
    if kind in ONCE_ONLY and any(m.kind == kind for m in project.milestones):
        raise MilestoneAlreadyDeclared()
    milestone = Milestone(
        project=project,
        kind=kind,
        occurred_on=occurred_on,
        note=" ".join((note or "").split())[:280] or None,
        declared_by_id=by.id,
    )
    db.session.add(milestone)
    touch(project)
    db.session.flush()
    signals.milestone_declared.send(milestone, by=by)
    _tell_followers(
        project,
        by,
        _l(
            "Nouveau jalon pour « %(project)s » : %(milestone)s",
            project=project.title,
            milestone=MILESTONE_LABELS[kind],
        ),
        url_for("members.journal", project_id=project.id),
    )
    return milestone


def confirm_milestone(milestone: Milestone, by: User) -> Milestone:
    if not policies.can_confirm_milestone(by, milestone):
        raise NotAllowed()
    milestone.confirmed_by = by
    milestone.confirmed_at = utcnow()
    db.session.flush()
    # A confirmation changes the impact figures: it goes to the administration log.
    log_action(
        by,
        "milestone_confirmed",
        "milestone",
        milestone.id,
        _(
            "Jalon « %(milestone)s » du projet « %(project)s » confirmé",
            milestone=MILESTONE_LABELS[milestone.kind],
            project=milestone.project.title,
        ),
    )
    signals.milestone_confirmed.send(milestone, by=by)
    declarer = milestone.declared_by
    notify(
        declarer,
        notices.TEAM,
        _l(
            "%(name)s a confirmé le jalon « %(milestone)s » du projet « %(project)s ».",
            name=by.public_name,
            milestone=MILESTONE_LABELS[milestone.kind],
            project=milestone.project.title,
        ),
        url_for("members.journal", project_id=milestone.project_id),
    )
    return milestone


def reject_milestone(milestone: Milestone, by: User, reason: str) -> None:
    """An organiser does not confirm a declared milestone: it is withdrawn (it never counted
    in the impact figures), the refusal is logged, and the declarer is told why so the team
    can declare it again with what was missing."""
    if not policies.can_confirm_milestone(by, milestone) or milestone.is_confirmed:
        raise NotAllowed()
    reason = (reason or "").strip()
    label, project = MILESTONE_LABELS[milestone.kind], milestone.project
    log_action(
        by,
        "milestone_rejected",
        "milestone",
        milestone.id,
        _(
            "Jalon « %(milestone)s » du projet « %(project)s » non confirmé",
            milestone=label,
            project=project.title,
        ),
        reason=reason,
    )
    notify(
        milestone.declared_by,
        notices.TEAM,
        _l(
            "%(name)s n’a pas confirmé le jalon « %(milestone)s » du projet "
            "« %(project)s » : %(reason)s",
            name=by.public_name,
            milestone=label,
            project=project.title,
            reason=reason,
        ),
        url_for("members.journal", project_id=project.id),
    )
    db.session.delete(milestone)
    db.session.flush()


def delete_milestone(milestone: Milestone, by: User) -> None:
    if not policies.can_delete_milestone(by, milestone):
        raise NotAllowed()
    db.session.delete(milestone)
    db.session.flush()


# --- loading ----------------------------------------------------------------------------


def journal_page(project: Project, page: int = 1, per_page: int = JOURNAL_PAGE_SIZE):
    stmt = (
        select(JournalEntry)
        .where(JournalEntry.project_id == project.id)
        .options(joinedload(JournalEntry.author).joinedload(User.profile))
        .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def get_milestone(milestone_id: int) -> Milestone | None:
    return db.session.get(Milestone, milestone_id)


def milestones_awaiting_confirmation(limit: int = 50) -> list[Milestone]:
    return list(
        db.session.scalars(
            select(Milestone)
            .where(Milestone.confirmed_at.is_(None))
            .options(joinedload(Milestone.project), joinedload(Milestone.declared_by))
            .order_by(Milestone.declared_at)
            .limit(limit)
        )
    )


def milestone_counts(
    start: date | None = None, end: date | None = None, *, confirmed_only: bool = True
) -> dict[str, int]:
    """Milestones per kind that occurred in [start, end] (the impact dashboard's figures:
    business plans, companies created, projects funded, hires, prizes, returns to
    employment). Only confirmed ones unless told otherwise."""
    stmt = select(Milestone.kind, func.count(Milestone.id)).group_by(Milestone.kind)
    if confirmed_only:
        stmt = stmt.where(Milestone.confirmed_at.is_not(None))
    if start is not None:
        stmt = stmt.where(Milestone.occurred_on >= start)
    if end is not None:
        stmt = stmt.where(Milestone.occurred_on <= end)
    counts = dict.fromkeys(MILESTONE_KINDS, 0)
    counts.update({kind: n for kind, n in db.session.execute(stmt)})
    return counts
