"""The meetup page after the evening: what it produced (proposals of the tables,
commitments by kind and state, the commitment rate), its minutes and the survey's results —
loaded in a fixed number of statements, whatever the size of the evening."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tremplin.meetups import minutes as minutes_services
from tremplin.meetups import policies, surveys
from tremplin.meetups.commitments import for_meetup
from tremplin.meetups.models import (
    COMMITMENT_KINDS,
    COMMITMENT_STATES,
    Meetup,
    MeetupSurvey,
    Minutes,
    MinutesAction,
    ProposalTable,
    SupportCommitment,
    TableProposal,
)
from tremplin.platform.extensions import db


@dataclass
class KindLine:
    kind: str
    states: dict[str, int]
    total: int


@dataclass
class Summary:
    proposals: list[TableProposal] = field(default_factory=list)
    commitments: list[SupportCommitment] = field(default_factory=list)
    by_kind: list[KindLine] = field(default_factory=list)
    minutes: Minutes | None = None
    can_read_minutes: bool = False
    survey: MeetupSurvey | None = None
    results: surveys.Results | None = None

    @property
    def state_totals(self) -> dict[str, int]:
        totals = dict.fromkeys(COMMITMENT_STATES, 0)
        for line in self.by_kind:
            for state, n in line.states.items():
                totals[state] += n
        return totals


def proposals_for_meetup(meetup_id: int) -> list[TableProposal]:
    return list(
        db.session.scalars(
            select(TableProposal)
            .join(ProposalTable)
            .where(ProposalTable.meetup_id == meetup_id)
            .options(selectinload(TableProposal.table), selectinload(TableProposal.project))
            .order_by(ProposalTable.number, TableProposal.id)
        )
    )


def by_kind(commitments: list[SupportCommitment]) -> list[KindLine]:
    lines = []
    for kind in COMMITMENT_KINDS:
        mine = [c for c in commitments if c.kind == kind]
        if not mine:
            continue
        states = {s: sum(1 for c in mine if c.state == s) for s in COMMITMENT_STATES}
        lines.append(KindLine(kind, states, len(mine)))
    return lines


def summary_for(user, meetup: Meetup, registration, projects) -> Summary | None:
    """None when `user` may not see the summary (or the meetup has not started)."""
    if not policies.can_see_summary(user, meetup, projects, registration):
        return None
    commitments = for_meetup(meetup)
    minutes = minutes_services.minutes_for_meetup(meetup.id)
    attended = registration is not None and registration.is_checked_in
    survey = surveys.survey_of(meetup.id)
    return Summary(
        proposals=proposals_for_meetup(meetup.id),
        commitments=commitments,
        by_kind=by_kind(commitments),
        minutes=minutes,
        can_read_minutes=minutes is not None and policies.can_read_minutes(user, minutes, attended),
        survey=survey,
        results=surveys.results_for([meetup.id]).get(meetup.id) if survey else None,
    )


def agenda_actions(user, meetup: Meetup, registration, can_manage: bool) -> list[MinutesAction]:
    """Before a meetup: the actions the previous meetings of its series left open (its
    organisers and registered members see them)."""
    if policies.has_started(meetup) or meetup.state != "published":
        return []
    if not (can_manage or (registration is not None and registration.is_active)):
        return []
    return minutes_services.open_actions_before(meetup.group_id, meetup.starts_at)
