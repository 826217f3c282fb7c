"""The opportunity watch (*veille*): organisers post calls for projects, funding, premises,
trainings, jobs and competitions; members say "J'ai candidaté" / "J'ai été retenu·e" and
follow themes (their dashboard and the digest)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from tremplin.meetups import policies
from tremplin.meetups.meetups import PARIS
from tremplin.meetups.models import (
    APPLIED,
    DIGEST_FREQUENCIES,
    OPPORTUNITY_KINDS,
    WON,
    DigestPreference,
    Opportunity,
    OpportunityApplication,
    OpportunityTheme,
    ThemeSubscription,
)
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.figures import in_period
from tremplin.platform.models import User
from tremplin.platform.types import utcnow
from tremplin.platform.vocabulary import DEPARTEMENT_LABELS, THEME_LABELS

KIND_LABELS = {
    "appel_a_projets": _l("Appel à projets"),
    "financement": _l("Financement"),
    "local": _l("Local"),
    "formation": _l("Formation"),
    "emploi": _l("Emploi"),
    "concours": _l("Concours"),
}
STAGE_CODES = ("idee", "emergence", "developpement", "essaimage")


def today_in_paris() -> date:
    return datetime.now(PARIS).date()


@dataclass(frozen=True)
class OpportunityFields:
    """What an organiser writes about an opportunity of the watch (*veille*)."""

    title: str
    kind: str
    description: str = ""
    organisation: str | None = None
    url: str | None = None
    themes: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    departement: str | None = None
    deadline: date | None = None


def _validate(fields: OpportunityFields, today: date) -> tuple[dict, list[str]]:
    kind, departement, deadline = fields.kind, fields.departement, fields.deadline
    title = (fields.title or "").strip()
    if len(title) < 3 or len(title) > 160:
        raise DomainError(_("Donnez un titre de 3 à 160 caractères."), field="title")
    if kind not in OPPORTUNITY_KINDS:
        raise DomainError(_("Choisissez un type d'opportunité de la liste."), field="kind")
    url = (fields.url or "").strip() or None
    if url and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", url, re.IGNORECASE):
        raise DomainError(_("Le lien doit commencer par https:// (ou http://)."), field="url")
    themes = list(dict.fromkeys(fields.themes or []))
    if any(t not in THEME_LABELS for t in themes):
        raise DomainError(_("Choisissez les thèmes dans la liste."), field="themes")
    if not themes:
        raise DomainError(
            _(
                "Choisissez au moins un thème : c'est ainsi que l'opportunité "
                "atteint les bons membres."
            ),
            field="themes",
        )
    stages = [s for s in STAGE_CODES if s in set(fields.stages or [])]
    if set(fields.stages or []) - set(STAGE_CODES):
        raise DomainError(_("Choisissez les stades dans la liste."), field="stages")
    if departement and departement not in DEPARTEMENT_LABELS:
        raise DomainError(
            _("Choisissez un département de la liste (ou toute la France)."), field="departement"
        )
    if deadline is not None and deadline < today:
        from tremplin.platform.templating import local_date

        raise DomainError(
            _(
                "La date limite (%(date)s) est déjà passée : cette opportunité "
                "n'est plus ouverte, elle n'a pas été publiée.",
                date=local_date(deadline),
            ),
            field="deadline",
        )
    return {
        "title": title,
        "kind": kind,
        "description": (fields.description or "").strip(),
        "url": url,
        "stages": stages,
        "departement": departement or None,
        "deadline": deadline,
    }, themes


def post_opportunity(
    actor: User, fields: OpportunityFields, *, group=None, today: date | None = None
) -> Opportunity:
    if not policies.can_post_opportunity(actor, group):
        raise NotAllowed(_("Seuls les animateurs publient la veille."))
    values, themes = _validate(fields, today or today_in_paris())
    opportunity = Opportunity(
        **values,
        organisation=(fields.organisation or "").strip() or None,
        group=group,
        posted_by_id=actor.id,
    )
    opportunity.theme_rows = [OpportunityTheme(theme=t) for t in themes]
    db.session.add(opportunity)
    db.session.flush()
    return opportunity


def update_opportunity(
    actor: User, opportunity: Opportunity, fields: OpportunityFields, *, today: date | None = None
) -> None:
    if not policies.can_edit_opportunity(actor, opportunity):
        raise NotAllowed()
    values, themes = _validate(fields, today or today_in_paris())
    for name, value in values.items():
        setattr(opportunity, name, value)
    opportunity.organisation = (fields.organisation or "").strip() or None
    current = {row.theme: row for row in opportunity.theme_rows}
    for theme, row in current.items():
        if theme not in themes:
            opportunity.theme_rows.remove(row)
    for theme in themes:
        if theme not in current:
            opportunity.theme_rows.append(OpportunityTheme(theme=theme))
    db.session.flush()


def archive_opportunity(actor: User, opportunity: Opportunity) -> None:
    if not policies.can_edit_opportunity(actor, opportunity):
        raise NotAllowed()
    if opportunity.archived_at is not None:
        raise DomainError(_("Cette opportunité est déjà retirée."))
    opportunity.archived_at = utcnow()
    db.session.flush()


def is_open(opportunity: Opportunity, today: date | None = None) -> bool:
    today = today or today_in_paris()
    return opportunity.archived_at is None and (
        opportunity.deadline is None or opportunity.deadline >= today
    )


# --- applications ------------------------------------------------------------------------


def _application(user: User, opportunity: Opportunity) -> OpportunityApplication | None:
    return db.session.scalar(
        select(OpportunityApplication).where(
            OpportunityApplication.opportunity_id == opportunity.id,
            OpportunityApplication.user_id == user.id,
        )
    )


def mark_applied(user: User, opportunity: Opportunity) -> OpportunityApplication:
    if not policies.can_mark_application(user, opportunity):
        raise NotAllowed()
    application = _application(user, opportunity)
    if application is not None:
        raise DomainError(_("Vous avez déjà indiqué votre candidature."))
    application = OpportunityApplication(
        opportunity_id=opportunity.id, user_id=user.id, status=APPLIED
    )
    db.session.add(application)
    db.session.flush()
    return application


def mark_won(user: User, opportunity: Opportunity) -> OpportunityApplication:
    if not policies.can_mark_application(user, opportunity):
        raise NotAllowed()
    application = _application(user, opportunity)
    if application is None:
        application = OpportunityApplication(opportunity_id=opportunity.id, user_id=user.id)
        db.session.add(application)
    elif application.status == WON:
        raise DomainError(_("Vous avez déjà indiqué avoir été retenu·e. Bravo !"))
    application.status = WON
    application.won_at = utcnow()
    db.session.flush()
    return application


def withdraw_application(user: User, opportunity: Opportunity) -> None:
    application = _application(user, opportunity)
    if application is None:
        raise DomainError(_("Vous n'aviez pas indiqué de candidature."))
    db.session.delete(application)
    db.session.flush()


def application_counts(opportunity_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(applied, won) per opportunity, in one statement."""
    if not opportunity_ids:
        return {}
    rows = db.session.execute(
        select(
            OpportunityApplication.opportunity_id,
            func.count(OpportunityApplication.id),
            func.count(OpportunityApplication.id).filter(OpportunityApplication.status == WON),
        )
        .where(OpportunityApplication.opportunity_id.in_(opportunity_ids))
        .group_by(OpportunityApplication.opportunity_id)
    ).all()
    found = {r[0]: (int(r[1]), int(r[2])) for r in rows}
    return {oid: found.get(oid, (0, 0)) for oid in opportunity_ids}


def my_applications(user, opportunity_ids: list[int]) -> dict[int, str]:
    if not opportunity_ids or user is None or not getattr(user, "is_authenticated", False):
        return {}
    return dict(
        db.session.execute(
            select(OpportunityApplication.opportunity_id, OpportunityApplication.status).where(
                OpportunityApplication.user_id == user.id,
                OpportunityApplication.opportunity_id.in_(opportunity_ids),
            )
        ).all()
    )


def wins_count(start: datetime | None = None, end: datetime | None = None) -> int:
    """Members who said they won (a competition, a call for projects…) in [start, end)."""
    stmt = select(func.count(OpportunityApplication.id)).where(OpportunityApplication.status == WON)
    stmt = in_period(stmt, OpportunityApplication.won_at, start, end)
    return int(db.session.scalar(stmt) or 0)


# --- listing -----------------------------------------------------------------------------


def _visible(user):
    from tremplin.groups.models import Group, GroupMembership

    public = or_(
        Opportunity.group_id.is_(None),
        Opportunity.group_id.in_(select(Group.id).where(Group.visibility == "public")),
    )
    if user is not None and getattr(user, "is_authenticated", False):
        if user.is_organiser:
            return Opportunity.id.is_not(None)
        mine = select(GroupMembership.group_id).where(
            GroupMembership.user_id == user.id, GroupMembership.state == "active"
        )
        return or_(public, Opportunity.group_id.in_(mine))
    return public


def list_stmt(
    user=None,
    *,
    theme: str | None = None,
    kind: str | None = None,
    include_closed: bool = False,
    themes: list[str] | None = None,
    today: date | None = None,
):
    today = today or today_in_paris()
    stmt = (
        select(Opportunity)
        .where(_visible(user))
        .options(selectinload(Opportunity.theme_rows), selectinload(Opportunity.group))
        .order_by(Opportunity.deadline.is_(None), Opportunity.deadline, Opportunity.id.desc())
    )
    if not include_closed:
        stmt = stmt.where(
            Opportunity.archived_at.is_(None),
            or_(Opportunity.deadline.is_(None), Opportunity.deadline >= today),
        )
    if theme:
        themes = [theme]
    if themes is not None:
        stmt = stmt.where(
            Opportunity.id.in_(
                select(OpportunityTheme.opportunity_id).where(OpportunityTheme.theme.in_(themes))
            )
        )
    if kind:
        stmt = stmt.where(Opportunity.kind == kind)
    return stmt


# --- theme subscriptions -----------------------------------------------------------------


def subscribed_themes(user) -> list[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(ThemeSubscription.theme)
            .where(ThemeSubscription.user_id == user.id)
            .order_by(ThemeSubscription.id)
        )
    )


def profile_themes(user) -> list[str]:
    from tremplin.members.models import ProfileTag

    return list(
        db.session.scalars(
            select(ProfileTag.key).where(ProfileTag.user_id == user.id, ProfileTag.kind == "theme")
        )
    )


def themes_of(user) -> list[str]:
    """The themes a member follows; until they choose, those of their profile."""
    return subscribed_themes(user) or [t for t in profile_themes(user) if t in THEME_LABELS]


def digest_frequency(user) -> str:
    pref = db.session.get(DigestPreference, user.id)
    return pref.frequency if pref else "weekly"


def set_subscriptions(user: User, themes: list[str], frequency: str = "weekly") -> None:
    if not policies.can_subscribe_to_themes(user):
        raise NotAllowed()
    wanted = list(dict.fromkeys(themes or []))
    if any(t not in THEME_LABELS for t in wanted):
        raise DomainError(_("Choisissez les thèmes dans la liste."), field="themes")
    if frequency not in DIGEST_FREQUENCIES:
        raise DomainError(_("Choisissez une fréquence de la liste."), field="frequency")
    current = {
        s.theme: s
        for s in db.session.scalars(
            select(ThemeSubscription).where(ThemeSubscription.user_id == user.id)
        )
    }
    for theme, row in current.items():
        if theme not in wanted:
            db.session.delete(row)
    for theme in wanted:
        if theme not in current:
            db.session.add(ThemeSubscription(user_id=user.id, theme=theme))
    pref = db.session.get(DigestPreference, user.id)
    if pref is None:
        db.session.add(DigestPreference(user_id=user.id, frequency=frequency))
    else:
        pref.frequency = frequency
    db.session.flush()


def for_member(user, limit: int = 5) -> list[Opportunity]:
    """Open opportunities in the member's themes, nearest deadline first."""
    themes = themes_of(user)
    if not themes:
        return []
    return list(db.session.scalars(list_stmt(user, themes=themes).limit(limit)))
