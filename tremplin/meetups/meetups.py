"""Creating and running meetups: details, agenda, projects presented, speakers, publish,
edit, cancel. Registrants hear about every change that concerns them.

Services flush and never commit; they raise DomainError with a message for people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from tremplin.groups.models import Group
from tremplin.meetups import policies, signals
from tremplin.meetups.models import (
    CANCELLED,
    DRAFT,
    PUBLISHED,
    AgendaItem,
    Meetup,
    MeetupProject,
    Speaker,
)
from tremplin.members.models import Project
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import utcnow
from tremplin.platform.vocabulary import DEPARTEMENT_LABELS, THEME_LABELS

PARIS = ZoneInfo("Europe/Paris")
MAX_DURATION = timedelta(days=3)
MAX_CAPACITY = 5000
AGENDA_MAX_ITEMS = 20
SPEAKERS_MAX = 20


def paris_to_utc(local: datetime) -> datetime:
    """A wall-clock time in Paris (naive, as typed in a form) as an aware UTC datetime."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=PARIS).astimezone(UTC)


def in_paris(value: datetime) -> datetime:
    return value.astimezone(PARIS)


@dataclass
class MeetupDetails:
    """What the organiser typed (times are wall-clock Paris, naive or aware)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    venue_name: str | None = None
    address: str | None = None
    online_url: str | None = None
    capacity: int | None = None
    theme: str | None = None
    departement: str | None = None
    table_minutes: int = 20


@dataclass(frozen=True)
class MeetupProgramme:
    """What a meetup presents: its agenda, (minutes, title) parts in order, and the projects
    presented (five at most). None: nothing on creation, unchanged on editing."""

    agenda: list[tuple[int, str]] | None = None
    project_ids: list[int] | None = None


PLACE_FIELDS = ("starts_at", "ends_at", "venue_name", "address", "online_url")


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _validate(details: MeetupDetails, *, allow_past: bool = False) -> dict:
    title = (details.title or "").strip()
    if len(title) < 3:
        raise DomainError(_("Donnez un titre d'au moins 3 caractères."), field="title")
    starts_at, ends_at = paris_to_utc(details.starts_at), paris_to_utc(details.ends_at)
    if ends_at <= starts_at:
        raise DomainError(_("La fin doit être après le début."), field="ends_at")
    if ends_at - starts_at > MAX_DURATION:
        raise DomainError(_("Une rencontre dure au plus trois jours."), field="ends_at")
    if not allow_past and starts_at <= utcnow():
        raise DomainError(
            _("Cette date est déjà passée : choisissez une date à venir."), field="starts_at"
        )
    venue, address, link = (
        _clean(details.venue_name),
        _clean(details.address),
        _clean(details.online_url),
    )
    if not (venue or address or link):
        raise DomainError(
            _("Indiquez un lieu (adresse) ou un lien de visioconférence."), field="address"
        )
    if link and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", link, re.IGNORECASE):
        raise DomainError(
            _("Le lien doit commencer par https:// (ou http://)."), field="online_url"
        )
    capacity = details.capacity
    if capacity is not None and not (1 <= capacity <= MAX_CAPACITY):
        raise DomainError(
            _(
                "La capacité va de 1 à %(max)d personnes (laissez vide : sans limite).",
                max=MAX_CAPACITY,
            ),
            field="capacity",
        )
    if details.theme and details.theme not in THEME_LABELS:
        raise DomainError(_("Choisissez une thématique de la liste."), field="theme")
    if details.departement and details.departement not in DEPARTEMENT_LABELS:
        raise DomainError(_("Choisissez un département de la liste."), field="departement")
    if not (5 <= (details.table_minutes or 0) <= 120):
        raise DomainError(_("Les tables durent entre 5 et 120 minutes."), field="table_minutes")
    return {
        "title": title,
        "description": (details.description or "").strip(),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "venue_name": venue,
        "address": address,
        "online_url": link,
        "capacity": capacity,
        "theme": details.theme or None,
        "departement": details.departement or None,
        "table_minutes": details.table_minutes,
    }


# --- agenda ------------------------------------------------------------------------------

_AGENDA_LINE = re.compile(
    r"^\s*(?:(?P<h>\d{1,2})\s*h\s*(?P<hm>\d{1,2})?|(?P<m>\d{1,3}))\s*(?:min(?:utes?)?\.?)?"
    r"\s*(?:[-–—:|.]\s*)?(?P<title>\S.*)$",
    re.IGNORECASE,
)


def parse_agenda(text: str | None) -> list[tuple[int, str]]:
    """One part per line, duration first: "15 min – Mot de bienvenue", "1h30 Échanges".
    Raises DomainError naming the line that could not be read."""
    items: list[tuple[int, str]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        match = _AGENDA_LINE.match(raw)
        if not match:
            raise DomainError(
                _(
                    "Ligne %(n)d de l'ordre du jour : commencez par la durée en "
                    "minutes, puis l'intitulé (par exemple « 20 min – Tables de "
                    "propositions »).",
                    n=number,
                ),
                field="agenda",
            )
        if match.group("h"):
            minutes = int(match.group("h")) * 60 + int(match.group("hm") or 0)
        else:
            minutes = int(match.group("m"))
        title = match.group("title").strip()
        if len(title) > 160:
            raise DomainError(
                _(
                    "Ligne %(n)d de l'ordre du jour : un intitulé tient en 160 caractères au plus.",
                    n=number,
                ),
                field="agenda",
            )
        if minutes <= 0 or minutes > 600:
            raise DomainError(
                _("Ligne %(n)d de l'ordre du jour : une durée va de 1 à 600 minutes.", n=number),
                field="agenda",
            )
        items.append((minutes, title))
    if len(items) > AGENDA_MAX_ITEMS:
        raise DomainError(
            _("L'ordre du jour compte au plus %(n)d parties.", n=AGENDA_MAX_ITEMS), field="agenda"
        )
    return items


def agenda_text(meetup: Meetup) -> str:
    return "\n".join(f"{item.duration_minutes} min – {item.title}" for item in meetup.agenda)


def _set_agenda(meetup: Meetup, items: list[tuple[int, str]], duration_minutes: int) -> None:
    total = sum(minutes for minutes, _title in items)
    if total > duration_minutes:
        raise DomainError(
            _(
                "L'ordre du jour dure %(agenda)s, plus que la rencontre "
                "(%(meetup)s) : raccourcissez-le ou allongez la rencontre.",
                agenda=format_minutes(total),
                meetup=format_minutes(duration_minutes),
            ),
            field="agenda",
        )
    meetup.agenda.clear()
    db.session.flush()
    for position, (minutes, title) in enumerate(items):
        meetup.agenda.append(AgendaItem(position=position, title=title, duration_minutes=minutes))


def schedule(meetup: Meetup) -> list[tuple[AgendaItem, datetime]]:
    """Each part of the agenda with the time it starts."""
    start, rows = meetup.starts_at, []
    for item in meetup.agenda:
        rows.append((item, start))
        start = start + timedelta(minutes=item.duration_minutes)
    return rows


def format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(m)d min", m=rest)
    return _("%(h)d h %(m)02d", h=hours, m=rest) if rest else _("%(h)d h", h=hours)


def _set_projects(meetup: Meetup, project_ids: list[int]) -> None:
    wanted = list(dict.fromkeys(int(pid) for pid in project_ids or []))
    if len(wanted) > 5:
        raise DomainError(_("Présentez au plus 5 projets par rencontre."), field="projects")
    found = (
        set(db.session.scalars(select(Project.id).where(Project.id.in_(wanted))))
        if wanted
        else set()
    )
    if set(wanted) - found:
        raise DomainError(_("Un des projets choisis n'existe plus."), field="projects")
    current = {mp.project_id: mp for mp in meetup.presented}
    for pid, link in current.items():
        if pid not in wanted:
            meetup.presented.remove(link)
    for position, pid in enumerate(wanted):
        if pid in current:
            current[pid].position = position
        else:
            meetup.presented.append(MeetupProject(project_id=pid, position=position))


# --- create, edit, publish, cancel -------------------------------------------------------


def create_meetup(
    actor: User,
    details: MeetupDetails,
    *,
    group: Group | None = None,
    programme: MeetupProgramme | None = None,
    publish: bool = False,
    allow_past: bool = False,
) -> Meetup:
    if not policies.can_create_meetup(actor, group):
        raise NotAllowed(
            _("Seuls les animateurs du réseau, ou ceux du groupe, organisent ses rencontres.")
        )
    values = _validate(details, allow_past=allow_past)
    meetup = Meetup(
        **values, group_id=group.id if group else None, state=DRAFT, created_by_id=actor.id
    )
    meetup.group = group
    if group is not None and not meetup.theme:
        meetup.theme = group.theme
    db.session.add(meetup)
    db.session.flush()
    programme = programme or MeetupProgramme()
    _set_agenda(meetup, programme.agenda or [], meetup.duration_minutes)
    _set_projects(meetup, programme.project_ids or [])
    db.session.flush()
    if publish:
        publish_meetup(actor, meetup, allow_past=allow_past)
    return meetup


def update_meetup(
    actor: User,
    meetup: Meetup,
    details: MeetupDetails,
    *,
    programme: MeetupProgramme | None = None,
) -> bool:
    """Change a meetup; returns True when registrants were told (time or place changed)."""
    programme = programme or MeetupProgramme()
    agenda, project_ids = programme.agenda, programme.project_ids
    if not policies.can_manage_meetup(actor, meetup):
        raise NotAllowed()
    if meetup.state == CANCELLED:
        raise DomainError(_("Cette rencontre est annulée : elle ne peut plus changer."))
    values = _validate(details, allow_past=meetup.starts_at <= utcnow())
    before = {name: getattr(meetup, name) for name in PLACE_FIELDS}
    old_capacity = meetup.capacity
    for name, value in values.items():
        setattr(meetup, name, value)
    meetup.updated_at = utcnow()
    if agenda is not None:
        _set_agenda(meetup, agenda, meetup.duration_minutes)
    elif meetup.agenda_minutes > meetup.duration_minutes:
        raise DomainError(
            _("L'ordre du jour dure plus que la rencontre : raccourcissez-le."), field="ends_at"
        )
    if project_ids is not None:
        _set_projects(meetup, project_ids)
    db.session.flush()
    changed = any(getattr(meetup, name) != value for name, value in before.items())
    if changed:
        meetup.sequence += 1
    from tremplin.meetups import registrations

    if meetup.capacity != old_capacity:
        registrations.promote_waiting(meetup)
    if changed and meetup.state == PUBLISHED:
        registrations.tell_registrants(meetup, "changed")
        return True
    return False


def publish_meetup(actor: User, meetup: Meetup, *, allow_past: bool = False) -> None:
    if not policies.can_manage_meetup(actor, meetup):
        raise NotAllowed()
    if meetup.state == PUBLISHED:
        raise DomainError(_("Cette rencontre est déjà publiée."))
    if meetup.state == CANCELLED:
        raise DomainError(
            _("Une rencontre annulée ne peut pas être publiée à nouveau : créez-en une nouvelle.")
        )
    if not allow_past and meetup.ends_at <= utcnow():
        raise DomainError(_("Cette rencontre est déjà passée : elle ne peut plus être publiée."))
    meetup.state = PUBLISHED
    meetup.published_at = utcnow()
    db.session.flush()
    signals.meetup_published.send(meetup, by=actor)


def cancel_meetup(actor: User, meetup: Meetup, reason: str = "") -> int:
    """Cancel and tell everyone registered (returns how many were told)."""
    if not policies.can_manage_meetup(actor, meetup):
        raise NotAllowed()
    if meetup.state == CANCELLED:
        raise DomainError(_("Cette rencontre est déjà annulée."))
    if meetup.ends_at <= utcnow() and meetup.state == PUBLISHED:
        raise DomainError(_("Cette rencontre a déjà eu lieu : elle ne peut plus être annulée."))
    was_published = meetup.state == PUBLISHED
    meetup.state = CANCELLED
    meetup.cancelled_at = utcnow()
    meetup.cancel_reason = (reason or "").strip()[:500] or None
    meetup.sequence += 1
    db.session.flush()
    if not was_published:
        return 0
    from tremplin.meetups import registrations

    return registrations.tell_registrants(meetup, "cancelled")


# --- speakers ----------------------------------------------------------------------------


def add_speaker(
    actor: User,
    meetup: Meetup,
    *,
    name: str = "",
    organisation: str = "",
    offer: str = "",
    member_email: str = "",
) -> Speaker:
    if not policies.can_manage_meetup(actor, meetup):
        raise NotAllowed()
    if len(meetup.speakers) >= SPEAKERS_MAX:
        raise DomainError(_("Une rencontre compte au plus %(n)d intervenants.", n=SPEAKERS_MAX))
    member = None
    email = (member_email or "").strip().lower()
    if email:
        member = db.session.scalar(
            select(User).where(User.email == email, User.deleted_at.is_(None))
        )
        if member is None:
            raise DomainError(
                _(
                    "Aucun membre n'a cette adresse : laissez le champ vide et "
                    "indiquez le nom de la personne."
                ),
                field="member_email",
            )
        if any(s.user_id == member.id for s in meetup.speakers):
            raise DomainError(
                _("Ce membre intervient déjà à cette rencontre."), field="member_email"
            )
    name = (name or "").strip() or (member.display_name if member else "")
    organisation = (organisation or "").strip() or None
    if not name and not organisation:
        raise DomainError(
            _("Indiquez le nom de l'intervenant ou de son organisation."), field="name"
        )
    speaker = Speaker(
        meetup=meetup,
        user=member,
        name=name or organisation,
        organisation=organisation,
        offer=(offer or "").strip()[:500] or None,
        position=len(meetup.speakers),
    )
    db.session.add(speaker)
    db.session.flush()
    return speaker


def remove_speaker(actor: User, speaker: Speaker) -> None:
    if not policies.can_manage_meetup(actor, speaker.meetup):
        raise NotAllowed()
    db.session.delete(speaker)
    db.session.flush()


# --- reading -----------------------------------------------------------------------------


def meetup_url(meetup: Meetup, **kwargs) -> str:
    return url_for("meetups.meetup", meetup_id=meetup.id, **kwargs)


def load_meetup(meetup_id: int) -> Meetup | None:
    return db.session.scalar(
        select(Meetup)
        .where(Meetup.id == meetup_id)
        .options(
            selectinload(Meetup.group),
            selectinload(Meetup.agenda),
            selectinload(Meetup.presented)
            .selectinload(MeetupProject.project)
            .selectinload(Project.memberships),
            selectinload(Meetup.speakers).selectinload(Speaker.user),
        )
    )


def visible_filter(user):
    """A WHERE clause keeping the published or cancelled meetups `user` may see in lists
    (drafts are listed apart for those who run them)."""
    from tremplin.groups.models import GroupMembership

    public_group = select(Group.id).where(Group.visibility == "public")
    clause = or_(Meetup.group_id.is_(None), Meetup.group_id.in_(public_group))
    if user is not None and getattr(user, "is_authenticated", False):
        if user.is_organiser:
            return Meetup.state.in_((PUBLISHED, CANCELLED))
        mine = select(GroupMembership.group_id).where(
            GroupMembership.user_id == user.id, GroupMembership.state == "active"
        )
        clause = or_(clause, Meetup.group_id.in_(mine))
    return Meetup.state.in_((PUBLISHED, CANCELLED)) & clause


def upcoming_meetups(
    user=None,
    *,
    limit: int | None = 20,
    group_id: int | None = None,
    include_cancelled: bool = True,
    now: datetime | None = None,
) -> list[Meetup]:
    stmt = (
        select(Meetup)
        .where(visible_filter(user), Meetup.ends_at > (now or utcnow()))
        .options(
            selectinload(Meetup.group),
            selectinload(Meetup.presented).selectinload(MeetupProject.project),
        )
        .order_by(Meetup.starts_at, Meetup.id)
    )
    if not include_cancelled:
        stmt = stmt.where(Meetup.state == PUBLISHED)
    if group_id is not None:
        stmt = stmt.where(Meetup.group_id == group_id)
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def past_meetups_stmt(user=None, *, group_id: int | None = None):
    stmt = (
        select(Meetup)
        .where(visible_filter(user), Meetup.state == PUBLISHED, Meetup.ends_at <= utcnow())
        .options(
            selectinload(Meetup.group),
            selectinload(Meetup.presented).selectinload(MeetupProject.project),
        )
        .order_by(Meetup.starts_at.desc(), Meetup.id.desc())
    )
    if group_id is not None:
        stmt = stmt.where(Meetup.group_id == group_id)
    return stmt


def drafts_for(user) -> list[Meetup]:
    """Drafts the member may edit (organisers: all; group organisers: their groups')."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    stmt = (
        select(Meetup)
        .where(Meetup.state == DRAFT)
        .options(selectinload(Meetup.group))
        .order_by(Meetup.starts_at)
    )
    if not user.is_organiser:
        from tremplin.groups.models import GroupMembership

        organised = select(GroupMembership.group_id).where(
            GroupMembership.user_id == user.id,
            GroupMembership.state == "active",
            GroupMembership.role == "organiser",
        )
        stmt = stmt.where(Meetup.group_id.in_(organised))
    return list(db.session.scalars(stmt))


def organised_groups(user) -> list[Group]:
    """The groups whose meetups `user` may create (all of them for site organisers)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    stmt = select(Group).order_by(Group.name)
    if not user.is_organiser:
        from tremplin.groups.models import GroupMembership

        stmt = stmt.join(GroupMembership, GroupMembership.group_id == Group.id).where(
            GroupMembership.user_id == user.id,
            GroupMembership.state == "active",
            GroupMembership.role == "organiser",
        )
    return list(db.session.scalars(stmt))
