"""Applications (*candidatures*): a project's team asks a club for money — amount sought,
instrument wished, plan, documents. The club discusses them in its private conversation
and the gérant puts them to a vote (votes.py). Flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.funding.clubs import documents, notices
from tremplin.funding.clubs.clubs import member_users
from tremplin.funding.clubs.errors import ClubError, WrongState
from tremplin.funding.clubs.models import (
    ACTIVE,
    INSTRUMENTS,
    SUBMITTED,
    UNDER_VOTE,
    WITHDRAWN,
    ClubApplication,
    InvestorClub,
)
from tremplin.platform.errors import NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow

MAX_DOCUMENTS = 5
MAX_AMOUNT_CENTS = 10_000_000  # 100 000 €: far above what a club of 20 savers can gather


def application_url(application: ClubApplication) -> str:
    return url_for("clubs.application", club_id=application.club_id, application_id=application.id)


@dataclass(frozen=True)
class ApplicationFields:
    """What a project's team asks of a club: the amount sought, the instrument wished and
    its plan (what the money is for, how the project will give it back)."""

    amount_cents: int
    instrument: str
    plan: str


def submit(
    club: InvestorClub, by, project, fields: ApplicationFields, *, files=()
) -> ClubApplication:
    from tremplin.members import is_project_team_member

    amount_cents, instrument, plan = fields.amount_cents, fields.instrument, fields.plan

    if club.state != ACTIVE:
        raise WrongState(_("Ce club ne reçoit pas de candidatures en ce moment."))
    if project is None or not is_project_team_member(by, project):
        raise NotAllowed(
            _("Seule l’équipe d’un projet peut le présenter à un club."), field="project_id"
        )
    if (
        isinstance(amount_cents, bool)
        or not isinstance(amount_cents, int)
        or not 0 < amount_cents <= MAX_AMOUNT_CENTS
    ):
        raise ClubError(_("Indiquez le montant demandé (entre 1 € et 100 000 €)."), field="amount")
    if instrument not in INSTRUMENTS:
        raise ClubError(_("Choisissez la forme d’investissement souhaitée."), field="instrument")
    plan = (plan or "").strip()
    if len(plan) < 30:
        raise ClubError(
            _(
                "Présentez votre plan en quelques phrases (30 caractères au moins) : "
                "à quoi servira l’argent, et comment le projet le rendra."
            ),
            field="plan",
        )
    live = db.session.scalar(
        select(ClubApplication.id)
        .where(
            ClubApplication.club_id == club.id,
            ClubApplication.project_id == project.id,
            ClubApplication.state.in_((SUBMITTED, UNDER_VOTE)),
        )
        .limit(1)
    )
    if live is not None:
        raise ClubError(
            _("Ce projet a déjà une candidature en cours auprès de ce club."), field="project_id"
        )
    files = [f for f in files if f and getattr(f, "filename", "")]
    if len(files) > MAX_DOCUMENTS:
        raise ClubError(_("Joignez %(n)d documents au plus.", n=MAX_DOCUMENTS), field="documents")
    application = ClubApplication(
        club_id=club.id,
        project_id=project.id,
        submitted_by_id=by.id,
        amount_cents=amount_cents,
        instrument=instrument,
        plan=plan[:20_000],
        state=SUBMITTED,
    )
    db.session.add(application)
    db.session.flush()
    for file in files:
        documents.store_document(
            file, club_id=club.id, uploaded_by=by, application_id=application.id, field="documents"
        )
    notices.tell_all(
        member_users(club),
        notices.APPLICATIONS,
        _l(
            "Nouvelle candidature au club « %(club)s » : « %(project)s ».",
            club=club.name,
            project=project.title,
        ),
        application_url(application),
        but=by,
    )
    return application


def withdraw(application: ClubApplication, by) -> ClubApplication:
    if application.state != SUBMITTED:
        raise ClubError(_("Une candidature au vote ou déjà jugée ne peut plus être retirée."))
    application.state, application.decided_at = WITHDRAWN, utcnow()
    db.session.flush()
    return application


def applications_of(club: InvestorClub) -> list[ClubApplication]:
    return list(
        db.session.scalars(
            select(ClubApplication)
            .where(ClubApplication.club_id == club.id)
            .options(joinedload(ClubApplication.project), selectinload(ClubApplication.documents))
            .order_by(ClubApplication.created_at.desc(), ClubApplication.id.desc())
        )
    )


def applications_by(user) -> list[ClubApplication]:
    """The applications of the projects this member is on the team of."""
    from tremplin.members.models import ACCEPTED, ProjectMember

    projects = select(ProjectMember.project_id).where(
        ProjectMember.user_id == user.id, ProjectMember.status == ACCEPTED
    )
    return list(
        db.session.scalars(
            select(ClubApplication)
            .where(ClubApplication.project_id.in_(projects))
            .options(joinedload(ClubApplication.project), joinedload(ClubApplication.club))
            .order_by(ClubApplication.created_at.desc())
        )
    )
