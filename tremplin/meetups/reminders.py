"""Reminders for `flask meetups remind` (cron, e.g. daily at 10:00): the day before a
meetup to everyone with a seat, and nudges about support commitments that stall.

Each reminder is claimed by inserting a SentReminder row whose unique key (kind, target,
key) a second run — or two at once — runs into: it goes out once. `commit` (the CLI's)
is called after each one, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from tremplin.meetups import notices
from tremplin.meetups.commitments import KIND_SHORT, STATE_LABELS, team_of
from tremplin.meetups.meetups import PARIS
from tremplin.meetups.models import (
    ACCEPTED,
    CONFIRMED,
    IN_PROGRESS,
    PROPOSED,
    PUBLISHED,
    Meetup,
    Registration,
    SentReminder,
    SupportCommitment,
)
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.templating import local_datetime
from tremplin.platform.types import utcnow

DAY_BEFORE = "meetup_day_before"
STALE_COMMITMENT = "commitment_stale"
# A commitment left in a state this long gets a nudge; again after as long (3 at most).
STALE_AFTER = {
    PROPOSED: timedelta(days=7),
    ACCEPTED: timedelta(days=30),
    IN_PROGRESS: timedelta(days=30),
}
MAX_NUDGES = 3


@dataclass
class ReminderRun:
    meetups: int = 0  # registrants reminded
    commitments: int = 0  # commitments nudged
    skipped: int = 0  # already sent (by an earlier or concurrent run)


def _claimed(kind: str, target_id: int, key: str) -> bool:
    """True if this reminder already went out."""
    return (
        db.session.scalar(
            select(SentReminder.id).where(
                SentReminder.kind == kind,
                SentReminder.target_id == target_id,
                SentReminder.key == key,
            )
        )
        is not None
    )


def _send_once(
    run: ReminderRun,
    kind: str,
    target_id: int,
    key: str,
    send: Callable[[], None],
    commit: Callable[[], None] | None,
) -> bool:
    if _claimed(kind, target_id, key):
        run.skipped += 1
        return False
    try:
        db.session.add(SentReminder(kind=kind, target_id=target_id, key=key))
        db.session.flush()
        send()
        if commit:
            commit()
    except IntegrityError:
        db.session.rollback()
        run.skipped += 1
        return False
    return True


def meetups_to_remind(now: datetime) -> list[Meetup]:
    """Published meetups starting tomorrow (Paris time) — or later today, for a meetup
    announced too late for yesterday's run."""
    today = now.astimezone(PARIS).date()
    candidates = db.session.scalars(
        select(Meetup)
        .where(
            Meetup.state == PUBLISHED,
            Meetup.starts_at > now,
            Meetup.starts_at < now + timedelta(days=2, hours=1),
        )
        .options(selectinload(Meetup.agenda))
    ).all()
    return [
        m
        for m in candidates
        if m.starts_at.astimezone(PARIS).date() in (today, today + timedelta(days=1))
    ]


def send_reminders(
    now: datetime | None = None, *, commit: Callable[[], None] | None = None
) -> ReminderRun:
    now = now or utcnow()
    run = ReminderRun()
    with notices.url_context():
        for meetup in meetups_to_remind(now):
            registrations = db.session.scalars(
                select(Registration)
                .where(
                    Registration.meetup_id == meetup.id,
                    Registration.status == CONFIRMED,
                    Registration.checked_in_at.is_(None),
                )
                .options(selectinload(Registration.user).selectinload(User.email_consents))
                .order_by(Registration.id)
            ).all()
            for registration in registrations:

                def send(r=registration, m=meetup):
                    notices.tell(
                        r,
                        notices.KIND_REMINDER,
                        _(
                            "Rappel : « %(title)s », %(when)s.",
                            title=m.title,
                            when=local_datetime(m.starts_at),
                        ),
                        subject=_("Rappel : %(title)s", title=m.title),
                        template="email/meetups_reminder.txt",
                    )

                if _send_once(run, DAY_BEFORE, registration.id, "", send, commit):
                    run.meetups += 1
        for commitment in _stale_commitments(now):
            age = now - commitment.state_changed_at
            nudge = min(int(age / STALE_AFTER[commitment.state]), MAX_NUDGES)
            key = f"{commitment.state}:{nudge}"

            def send(c=commitment):
                _nudge(c)

            if _send_once(run, STALE_COMMITMENT, commitment.id, key, send, commit):
                run.commitments += 1
    return run


def _stale_commitments(now: datetime) -> list[SupportCommitment]:
    oldest = min(STALE_AFTER.values())
    rows = db.session.scalars(
        select(SupportCommitment)
        .where(
            SupportCommitment.state.in_(tuple(STALE_AFTER)),
            SupportCommitment.state_changed_at <= now - oldest,
        )
        .options(
            selectinload(SupportCommitment.project),
            selectinload(SupportCommitment.supporter),
            selectinload(SupportCommitment.registration).selectinload(Registration.meetup),
        )
        .order_by(SupportCommitment.id)
    ).all()
    return [c for c in rows if now - c.state_changed_at >= STALE_AFTER[c.state]]


def _nudge(commitment: SupportCommitment) -> None:
    """Proposed: the team is asked to answer. Accepted or under way: both sides are asked
    where it stands, and the team to confirm it once delivered."""
    project = commitment.project
    url = url_for("meetups.project_commitments", project_id=project.id)
    kind = KIND_SHORT[commitment.kind]
    if commitment.state == PROPOSED:
        text = _(
            "%(who)s a proposé un soutien (%(kind)s) à %(project)s : acceptez-le ou "
            "déclinez-le pour lui répondre.",
            who=commitment.supporter_name,
            kind=kind,
            project=project.title,
        )
        for member in team_of(project.id):
            notify(member, notices.KIND_COMMITMENTS, text, url)
        return
    state = STATE_LABELS[commitment.state]
    for member in team_of(project.id):
        notify(
            member,
            notices.KIND_COMMITMENTS,
            _(
                "Le soutien de %(who)s (%(kind)s) est « %(state)s » depuis un moment : s'il "
                "est réalisé, confirmez-le.",
                who=commitment.supporter_name,
                kind=kind,
                state=state,
            ),
            url,
        )
    text = _(
        "Où en est votre soutien à %(project)s (%(kind)s) ? Il est « %(state)s ».",
        project=project.title,
        kind=kind,
        state=state,
    )
    if commitment.supporter is not None:
        notify(
            commitment.supporter, notices.KIND_COMMITMENTS, text, url_for("meetups.my_commitments")
        )
    elif commitment.registration is not None:
        notices.tell(commitment.registration, notices.KIND_COMMITMENTS, text)
