"""The periodic digest: new opportunities, newly announced meetups and new projects in the
member's themes, weekly (or monthly) — only to members who asked for it, and never an
empty one.

Once per member and period: the DigestLog row's unique key (member, period) is what a
second run of `flask notify digest` — or two at once — runs into.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import ngettext
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from tremplin.meetups import notices, opportunities
from tremplin.meetups.meetups import PARIS, visible_filter
from tremplin.meetups.models import (
    PUBLISHED,
    DigestLog,
    DigestPreference,
    Meetup,
    Opportunity,
)
from tremplin.platform.extensions import db
from tremplin.platform.models import EmailConsent, User
from tremplin.platform.notifications import absolute_url, queue_email
from tremplin.platform.types import utcnow

PERIOD_DAYS = {"weekly": 7, "monthly": 30}


def period_key(frequency: str, now: datetime) -> str:
    local = now.astimezone(PARIS).date()
    if frequency == "monthly":
        return f"{local.year}-{local.month:02d}"
    year, week, _day = local.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Digest:
    user: User
    since: datetime
    themes: list[str]
    opportunities: list[Opportunity] = field(default_factory=list)
    meetups: list[Meetup] = field(default_factory=list)
    projects: list = field(default_factory=list)
    # open needs the member could help with (members' NeedMatch: need, score, reasons)
    needs: list = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return len(self.opportunities) + len(self.meetups) + len(self.projects) + len(self.needs)

    @property
    def is_empty(self) -> bool:
        return self.item_count == 0


def build_digest(user: User, since: datetime, now: datetime | None = None) -> Digest:
    """What is new for this member since `since` (three statements)."""
    from tremplin.groups.models import Group, GroupMembership
    from tremplin.members.models import ACCEPTED, Project, ProjectMember

    now = now or utcnow()
    themes = opportunities.themes_of(user)
    digest = Digest(user=user, since=since, themes=themes)
    if themes:
        digest.opportunities = list(
            db.session.scalars(
                opportunities.list_stmt(user, themes=themes, today=now.astimezone(PARIS).date())
                .where(Opportunity.created_at >= since, Opportunity.created_at < now)
                .limit(20)
            )
        )
    mine = select(GroupMembership.group_id).where(
        GroupMembership.user_id == user.id, GroupMembership.state == "active"
    )
    relevant = or_(Meetup.group_id.is_(None), Meetup.group_id.in_(mine))
    if themes:
        relevant = or_(
            relevant,
            Meetup.theme.in_(themes),
            Meetup.group_id.in_(select(Group.id).where(Group.theme.in_(themes))),
        )
    digest.meetups = list(
        db.session.scalars(
            select(Meetup)
            .where(
                visible_filter(user),
                relevant,
                Meetup.state == PUBLISHED,
                Meetup.published_at >= since,
                Meetup.published_at < now,
                Meetup.ends_at > now,
            )
            .options(selectinload(Meetup.group))
            .order_by(Meetup.starts_at)
            .limit(10)
        )
    )
    if themes:
        own = select(ProjectMember.project_id).where(
            ProjectMember.user_id == user.id, ProjectMember.status == ACCEPTED
        )
        digest.projects = list(
            db.session.scalars(
                select(Project)
                .where(
                    Project.theme.in_(themes),
                    Project.created_at >= since,
                    Project.created_at < now,
                    Project.id.not_in(own),
                    Project.owner_id != user.id,
                )
                .order_by(Project.created_at.desc())
                .limit(10)
            )
        )
    from tremplin.members import needs_you_could_help

    digest.needs = needs_you_could_help(user, limit=3)
    return digest


def recipients() -> list[User]:
    """Active members who chose the digest e-mail."""
    return list(
        db.session.scalars(
            select(User)
            .join(EmailConsent, EmailConsent.user_id == User.id)
            .where(
                EmailConsent.kind == notices.KIND_DIGEST,
                User.deleted_at.is_(None),
                User.suspended_at.is_(None),
                User.email.is_not(None),
                User.email_confirmed_at.is_not(None),
            )
            .options(selectinload(User.email_consents))
            .order_by(User.id)
        )
    )


@dataclass
class DigestRun:
    sent: int = 0
    nothing_new: int = 0
    already_sent: int = 0


def send_digests(
    now: datetime | None = None, *, commit: Callable[[], None] | None = None
) -> DigestRun:
    """Queue one digest per consenting member who has something new and has not had this
    period's. `commit` (the CLI's) is called after each member, so a run interrupted half
    way keeps what it did and the next run carries on."""
    now = now or utcnow()
    run = DigestRun()
    preferences = dict(
        db.session.execute(select(DigestPreference.user_id, DigestPreference.frequency)).all()
    )
    with notices.url_context():
        for user in recipients():
            frequency = preferences.get(user.id, "weekly")
            key = period_key(frequency, now)
            if (
                db.session.scalar(
                    select(DigestLog.id).where(
                        DigestLog.user_id == user.id, DigestLog.period_key == key
                    )
                )
                is not None
            ):
                run.already_sent += 1
                continue
            last = db.session.scalar(
                select(DigestLog.sent_at)
                .where(DigestLog.user_id == user.id)
                .order_by(DigestLog.sent_at.desc())
                .limit(1)
            )
            since = last or (now - timedelta(days=PERIOD_DAYS[frequency]))
            digest = build_digest(user, since, now)
            if digest.is_empty:
                run.nothing_new += 1
                continue
            try:
                db.session.add(
                    DigestLog(
                        user_id=user.id, period_key=key, item_count=digest.item_count, sent_at=now
                    )
                )
                db.session.flush()
                _queue(digest)
                if commit:
                    commit()
            except IntegrityError:  # another run sent it a moment ago
                db.session.rollback()
                run.already_sent += 1
                continue
            run.sent += 1
    return run


def _queue(digest: Digest) -> None:
    from tremplin.meetups.registrations import place_text

    user = digest.user
    subject = ngettext(
        "Tremplin : %(num)d nouveauté pour vous",
        "Tremplin : %(num)d nouveautés pour vous",
        digest.item_count,
    )
    queue_email(
        user,
        subject,
        "email/meetups_digest.txt",
        kind=notices.KIND_DIGEST,
        digest=digest,
        opportunity_url=lambda o: absolute_url(url_for("meetups.opportunity", opportunity_id=o.id)),
        meetup_url=lambda m: absolute_url(url_for("meetups.meetup", meetup_id=m.id)),
        project_url=_project_url,
        need_url=lambda n: absolute_url(url_for("members.need", need_id=n.id)),
        place_text=place_text,
        themes_url=absolute_url(url_for("meetups.subscriptions")),
        settings_url=absolute_url(url_for("platform.account_settings")),
    )


def _project_url(project) -> str:
    from werkzeug.routing import BuildError

    try:
        return absolute_url(url_for("members.project", project_id=project.id))
    except BuildError:
        return absolute_url(f"/projets/{project.id}")
