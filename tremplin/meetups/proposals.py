"""What the tables propose: proposals recorded table by table for the project presented,
closing the tables (the project's team is told), and what a team reads afterwards."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tremplin.meetups import policies
from tremplin.meetups.models import Meetup, MeetupProject, ProposalTable, TableProposal
from tremplin.meetups.tables import guard
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow


def close_tables(actor: User, meetup: Meetup) -> int:
    """End of the tables: the team of each project presented is told its proposals are
    waiting for them. Returns how many proposals were recorded."""
    guard(actor, meetup)
    if meetup.tables_closed_at is not None:
        raise DomainError(_("Les tables sont déjà closes."))
    meetup.tables_closed_at = utcnow()
    meetup.timer_started_at = None
    counts = dict(
        db.session.execute(
            select(TableProposal.project_id, func.count(TableProposal.id))
            .join(ProposalTable)
            .where(ProposalTable.meetup_id == meetup.id)
            .group_by(TableProposal.project_id)
        ).all()
    )
    links = db.session.scalars(
        select(MeetupProject)
        .where(MeetupProject.meetup_id == meetup.id)
        .options(selectinload(MeetupProject.project))
    ).all()
    from tremplin.meetups.notices import KIND_COMMITMENTS, url_context
    from tremplin.members.models import ACCEPTED, ProjectMember

    for link in links:
        n = counts.get(link.project_id, 0) + (counts.get(None, 0) if len(links) == 1 else 0)
        if not n:
            continue
        team = db.session.scalars(
            select(User)
            .join(ProjectMember, ProjectMember.user_id == User.id)
            .where(ProjectMember.project_id == link.project_id, ProjectMember.status == ACCEPTED)
            .options(selectinload(User.email_consents))
        ).all()
        for member in team:
            with url_context():
                notify(
                    member,
                    KIND_COMMITMENTS,
                    ngettext(
                        "Les tables de « %(meetup)s » ont fait une proposition pour %(project)s.",
                        "Les tables de « %(meetup)s » ont fait %(num)d propositions pour "
                        "%(project)s.",
                        n,
                        meetup=meetup.title,
                        project=link.project.title,
                    ),
                    url_for("meetups.proposals", meetup_id=meetup.id),
                )
    db.session.flush()
    return sum(counts.values())


# --- proposals ---------------------------------------------------------------------------


def seated_user_ids(table: ProposalTable) -> set[int]:
    return {
        s.registration.user_id for s in table.seats if s.guest_index == 0 and s.registration.user_id
    }


def record_proposal(
    actor: User, table: ProposalTable, body: str, project_id: int | None = None
) -> TableProposal:
    meetup = table.meetup
    if not policies.can_record_proposal(actor, table, seated_user_ids(table)):
        raise NotAllowed(
            _("Seuls les animateurs et les membres assis à cette table notent ses propositions.")
        )
    if meetup.state != "published":
        raise DomainError(_("Cette rencontre n'est pas publiée."))
    body = (body or "").strip()
    if len(body) < 3:
        raise DomainError(_("Écrivez la proposition (au moins 3 caractères)."), field="body")
    if len(body) > 2000:
        raise DomainError(_("Une proposition tient en 2 000 caractères au plus."), field="body")
    presented = [link.project_id for link in meetup.presented]
    if project_id is None and presented:
        project_id = presented[0]
    if project_id is not None and project_id not in presented:
        raise DomainError(_("Ce projet n'est pas présenté à cette rencontre."), field="project")
    proposal = TableProposal(table=table, body=body, project_id=project_id, author_id=actor.id)
    db.session.add(proposal)
    db.session.flush()
    return proposal


def delete_proposal(actor: User, proposal: TableProposal) -> None:
    if not policies.can_delete_proposal(actor, proposal):
        raise NotAllowed()
    db.session.delete(proposal)
    db.session.flush()


def proposals_for_project(project_id: int) -> list[TableProposal]:
    """Every proposal the tables made for a project, newest meetup first (for its team)."""
    return list(
        db.session.scalars(
            select(TableProposal)
            .join(ProposalTable)
            .join(Meetup)
            .where(TableProposal.project_id == project_id)
            .options(selectinload(TableProposal.table).selectinload(ProposalTable.meetup))
            .order_by(Meetup.starts_at.desc(), ProposalTable.number, TableProposal.id)
        )
    )
