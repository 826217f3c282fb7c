"""Mentor offers, requests for a mentor and the organisers' settings: every write and
every rule. Pairings, goals, sessions and feedback are in pairings.py.

Flushes, never commits (the request or the CLI command commits). Rules broken raise a
DomainError whose message is for people.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from tremplin.members.models import Need, Project
from tremplin.mentoring import notices
from tremplin.mentoring.labels import SKILL_LABELS
from tremplin.mentoring.models import (
    ACCEPTED,
    BOTH,
    DECLINED,
    DEPARTEMENT,
    FORMATS,
    LANGUAGE,
    LOAD_STATES,
    OPEN,
    PENDING,
    SECTOR,
    SKILL,
    WAITING_REQUEST_STATES,
    WITHDRAWN,
    MentoringRequest,
    MentoringSettings,
    MentorOffer,
    MentorOfferTag,
    Pairing,
)
from tremplin.mentoring.rules import (  # noqa: F401  (part of the services' interface)
    GOALS_MAX,
    MESSAGE_MAX,
    PARIS,
    PRESENTATION_MAX,
    SETTINGS_BOUNDS,
    CapacityReached,
    DuplicateRequest,
    InvalidOffer,
    InvalidRequest,
    MentorUnavailable,
    WrongState,
    check_capacity,
    get_settings,
    lock_offer,
    mentor_load,
    paris_today,
)
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow
from tremplin.platform.vocabulary import DEPARTEMENT_LABELS, LANGUAGE_LABELS, THEME_LABELS

# --- settings -------------------------------------------------------------------------


def update_settings(organiser: User, **values: int) -> MentoringSettings:
    from tremplin.mentoring import policies

    if not policies.can_change_settings(organiser):
        raise NotAllowed()
    settings = get_settings()
    for name, value in values.items():
        low, high = SETTINGS_BOUNDS[name]
        if value is None or not low <= int(value) <= high:
            raise DomainError(
                _("Choisissez une valeur entre %(low)d et %(high)d.", low=low, high=high),
                field=name,
            )
        setattr(settings, name, int(value))
    settings.updated_by_id = organiser.id
    if settings not in db.session:
        db.session.add(settings)
    db.session.flush()
    return settings


# --- offers ---------------------------------------------------------------------------


def offer_of(user: User) -> MentorOffer | None:
    return db.session.scalar(select(MentorOffer).where(MentorOffer.user_id == user.id))


def _codes(values: Iterable[str] | None, known: dict, what: str, limit: int) -> list[str]:
    codes: list[str] = []
    for value in values or []:
        if value not in known:
            raise InvalidOffer(_("Valeur inconnue dans « %(what)s ».", what=what))
        if value not in codes:
            codes.append(value)
    if len(codes) > limit:
        raise InvalidOffer(
            _("%(limit)d choix au maximum dans « %(what)s ».", limit=limit, what=what)
        )
    return codes


@dataclass(frozen=True)
class OfferFields:
    """What a mentor offers: the skills they help with, the sectors, languages and
    départements, the format (in person, online or both), the time they give each month,
    how many mentees at once, whether they are available now, and a word about themselves."""

    skills: Iterable[str]
    sectors: Iterable[str] = ()
    languages: Iterable[str] = ()
    departements: Iterable[str] = ()
    format: str = BOTH
    hours_per_month: int = 4
    max_mentees: int = 1
    is_available: bool = True
    presentation: str | None = None


def save_offer(user: User, fields: OfferFields) -> MentorOffer:
    """Create or update the member's mentor offer."""
    from tremplin.mentoring import policies

    skills, sectors, languages = fields.skills, fields.sectors, fields.languages
    departements, format = fields.departements, fields.format
    hours_per_month, max_mentees = fields.hours_per_month, fields.max_mentees
    is_available, presentation = fields.is_available, fields.presentation

    if not policies.can_offer_mentoring(user):
        raise NotAllowed()
    skill_codes = _codes(skills, SKILL_LABELS, _("Compétences"), len(SKILL_LABELS))
    if not skill_codes:
        raise InvalidOffer(
            _("Choisissez au moins un domaine où vous pouvez aider."), field="skills"
        )
    tags = {
        SKILL: skill_codes,
        SECTOR: _codes(sectors, THEME_LABELS, _("Secteurs"), 8),
        LANGUAGE: _codes(languages, LANGUAGE_LABELS, _("Langues"), 10),
        DEPARTEMENT: _codes(departements, DEPARTEMENT_LABELS, _("Territoire"), 10),
    }
    if not tags[LANGUAGE]:
        raise InvalidOffer(
            _("Indiquez au moins une langue dans laquelle vous accompagnez."), field="languages"
        )
    if format not in FORMATS:
        raise InvalidOffer(field="format")
    if format != "online" and not tags[DEPARTEMENT]:
        raise InvalidOffer(
            _(
                "Indiquez au moins un département où vous pouvez rencontrer "
                "vos binômes, ou choisissez l’accompagnement à distance."
            ),
            field="departements",
        )
    if not 1 <= int(hours_per_month) <= 200:
        raise InvalidOffer(_("Entre 1 et 200 heures par mois."), field="hours_per_month")
    if not 1 <= int(max_mentees) <= 20:
        raise InvalidOffer(_("Entre 1 et 20 binômes à la fois."), field="max_mentees")
    presentation = (presentation or "").strip() or None
    if presentation and len(presentation) > PRESENTATION_MAX:
        raise InvalidOffer(
            _("%(max)d caractères au maximum.", max=PRESENTATION_MAX), field="presentation"
        )
    offer = offer_of(user)
    if offer is None:
        offer = MentorOffer(user_id=user.id)
        db.session.add(offer)
    offer.presentation = presentation
    offer.format = format
    offer.hours_per_month = int(hours_per_month)
    offer.max_mentees = int(max_mentees)
    offer.is_available = bool(is_available)
    wanted = {(kind, code) for kind, codes in tags.items() for code in codes}
    for tag in list(offer.tags):
        if (tag.kind, tag.code) not in wanted:
            offer.tags.remove(tag)
    have = {(tag.kind, tag.code) for tag in offer.tags}
    for kind, codes in tags.items():
        for code in codes:
            if (kind, code) not in have:
                offer.tags.append(MentorOfferTag(kind=kind, code=code))
    db.session.flush()
    return offer


def set_availability(user: User, is_available: bool) -> MentorOffer:
    offer = offer_of(user)
    if offer is None:
        raise InvalidOffer(_("Vous n’avez pas encore de proposition de parrainage."))
    offer.is_available = bool(is_available)
    db.session.flush()
    return offer


# --- requests -------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFields:
    """What a porteur asks of a mentor: their goals and needs (skill codes), the project
    and its needs the request is about (if any), the languages, département and sector
    they would like, and the format (in person, online or both)."""

    goals: str
    needs: Iterable[str]
    project: Project | None = None
    project_needs: Iterable[Need] = ()
    languages: Iterable[str] = ("fr",)
    departement: str | None = None
    sector: str | None = None
    format: str = BOTH


def _clean_request_fields(porteur: User, fields: RequestFields) -> dict:
    project, departement = fields.project, fields.departement
    sector, format = fields.sector, fields.format
    goals = (fields.goals or "").strip()
    if not goals:
        raise InvalidRequest(
            _("Décrivez en quelques mots ce que vous attendez d’un binôme."), field="goals"
        )
    if len(goals) > GOALS_MAX:
        raise InvalidRequest(_("%(max)d caractères au maximum.", max=GOALS_MAX), field="goals")
    need_codes: list[str] = []
    for code in fields.needs or []:
        if code not in SKILL_LABELS:
            raise InvalidRequest(field="needs")
        if code not in need_codes:
            need_codes.append(code)
    if not need_codes:
        raise InvalidRequest(_("Choisissez au moins un besoin."), field="needs")
    if project is not None and not project.has_team_member(porteur):
        raise InvalidRequest(
            _("Vous ne faites pas partie de l’équipe de ce projet."), field="project"
        )
    linked = list(fields.project_needs or [])
    if linked and (project is None or any(n.project_id != project.id for n in linked)):
        raise InvalidRequest(
            _("Ces besoins ne sont pas ceux du projet choisi."), field="project_needs"
        )
    language_codes = [c for c in dict.fromkeys(fields.languages or []) if c]
    if any(c not in LANGUAGE_LABELS for c in language_codes):
        raise InvalidRequest(field="languages")
    if departement and departement not in DEPARTEMENT_LABELS:
        raise InvalidRequest(field="departement")
    if sector and sector not in THEME_LABELS:
        raise InvalidRequest(field="sector")
    if format not in FORMATS:
        raise InvalidRequest(field="format")
    return {
        "goals": goals,
        "needs": need_codes,
        "project_id": project.id if project else None,
        "project_needs": linked,
        "languages": language_codes,
        "departement": departement or None,
        "sector": sector or None,
        "format": format,
    }


# A project gets a second mentor only when its team asks for one knowingly, never a third;
# and a few requests waiting at once are enough (six led to four active mentors).
MAX_MENTORS_PER_PROJECT = 2
MAX_WAITING_PER_PROJECT = 2


class AlreadyMentored(DomainError):
    field = "second_mentor"


def active_mentors_of(project: Project | None) -> list[User]:
    """The mentors a project already has (proposed, active or paused pairings)."""
    if project is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(Pairing, Pairing.mentor_id == User.id)
            .where(Pairing.project_id == project.id, Pairing.state.in_(LOAD_STATES))
        ).unique()
    )


def waiting_requests_of(project: Project | None) -> int:
    if project is None:
        return 0
    return int(
        db.session.scalar(
            select(func.count(MentoringRequest.id)).where(
                MentoringRequest.project_id == project.id,
                MentoringRequest.state.in_(WAITING_REQUEST_STATES),
            )
        )
        or 0
    )


def _check_project_load(project: Project | None, *, second_mentor: bool) -> None:
    mentors = active_mentors_of(project)
    if len(mentors) >= MAX_MENTORS_PER_PROJECT:
        raise AlreadyMentored(
            _(
                "Ce projet a déjà %(n)d parrains ou marraines : terminez un binôme avant "
                "d’en demander un autre.",
                n=len(mentors),
            ),
            field="project",
        )
    waiting = waiting_requests_of(project)
    if waiting >= MAX_WAITING_PER_PROJECT:
        raise DuplicateRequest(
            _(
                "Ce projet a déjà %(n)d demandes en cours : attendez leur réponse, ou "
                "retirez-en une, avant d’en ouvrir une autre.",
                n=waiting,
            ),
            field="project",
        )
    if mentors and not second_mentor:
        raise AlreadyMentored(
            _(
                "Ce projet a déjà un parrain ou une marraine (%(names)s). S’il vous faut un "
                "second binôme pour un autre besoin, cochez la case qui le confirme.",
                names=", ".join(m.display_name for m in mentors),
            )
        )


def create_request(
    porteur: User, fields: RequestFields, *, second_mentor: bool = False
) -> MentoringRequest:
    """A request in the pool: the porteur then picks a mentor among the suggestions (or
    the organisers propose one). A project that already has a mentor gets a second only
    when `second_mentor` confirms it, never a third; two waiting requests are enough."""
    from tremplin.mentoring import policies

    if not policies.can_request_mentor(porteur):
        raise NotAllowed()
    values = _clean_request_fields(porteur, fields)
    if fields.project is not None:
        _check_project_load(fields.project, second_mentor=second_mentor)
    request = MentoringRequest(porteur_id=porteur.id, state=OPEN, **values)
    db.session.add(request)
    db.session.flush()
    return request


def _pending_with(porteur_id: int, mentor_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(MentoringRequest.id)).where(
                MentoringRequest.porteur_id == porteur_id,
                MentoringRequest.mentor_id == mentor_id,
                MentoringRequest.state == PENDING,
            )
        )
    )


def _paired_with(porteur_id: int, mentor_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(Pairing.id)).where(
                Pairing.porteur_id == porteur_id,
                Pairing.mentor_id == mentor_id,
                Pairing.state.in_(LOAD_STATES),
            )
        )
    )


def request_url(request: MentoringRequest) -> str:
    return url_for("mentoring.request_detail", request_id=request.id)


def send_request(
    porteur: User, request: MentoringRequest, mentor: User, message: str | None = None
) -> MentoringRequest:
    """Send the request to one mentor. A request in the pool moves to that mentor; a
    declined one is copied into a new request (the decline stays on record)."""
    from tremplin.mentoring import policies

    if not policies.can_send_request(porteur, request):
        raise WrongState(_("Cette demande ne peut pas être envoyée à cette étape."))
    if mentor is None or mentor.is_deleted or mentor.id == porteur.id:
        raise InvalidRequest(_("Choisissez un parrain ou une marraine parmi les suggestions."))
    offer = offer_of(mentor)
    if offer is None or not offer.is_available or mentor.suspended_at is not None:
        raise MentorUnavailable()
    if mentor_load(mentor.id) >= offer.max_mentees:
        raise CapacityReached()
    if _paired_with(porteur.id, mentor.id):
        raise DuplicateRequest(_("Vous êtes déjà en binôme avec cette personne."))
    if _pending_with(porteur.id, mentor.id):
        raise DuplicateRequest()
    message = (message or "").strip() or None
    if message and len(message) > MESSAGE_MAX:
        raise InvalidRequest(_("%(max)d caractères au maximum.", max=MESSAGE_MAX), field="message")
    if request.state == DECLINED:
        request = MentoringRequest(
            porteur_id=request.porteur_id,
            project_id=request.project_id,
            goals=request.goals,
            needs=list(request.needs),
            languages=list(request.languages),
            departement=request.departement,
            sector=request.sector,
            format=request.format,
            project_needs=list(request.project_needs),
            previous_id=request.id,
        )
        db.session.add(request)
    now = utcnow()
    request.mentor_id = mentor.id
    request.state = PENDING
    request.message = message
    request.sent_at = now
    request.expires_at = now + timedelta(days=get_settings().request_expiry_days)
    request.responded_at = None
    request.response_message = None
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # another tab sent the same request a moment before
        raise DuplicateRequest() from exc
    notify(
        mentor,
        notices.REQUESTS,
        _l("%(name)s vous demande d’être son parrain ou sa marraine.", name=porteur.display_name),
        request_url(request),
        template="email/mentoring_request.txt",
        porteur_name=porteur.display_name,
        goals=request.goals,
        needs=[str(SKILL_LABELS[c]) for c in request.needs],
        message=message,
        expires_at=request.expires_at,
    )
    return request


def withdraw_request(porteur: User, request: MentoringRequest) -> None:
    from tremplin.mentoring import policies

    if not policies.can_withdraw_request(porteur, request):
        raise WrongState()
    mentor = request.mentor if request.state == PENDING else None
    request.state = WITHDRAWN
    request.closed_at = utcnow()
    db.session.flush()
    if mentor is not None:
        notify(
            mentor,
            notices.REQUESTS,
            _l("%(name)s a retiré sa demande de parrainage.", name=porteur.display_name),
            request_url(request),
        )


def accept_request(mentor: User, request: MentoringRequest, message: str | None = None) -> Pairing:
    """The mentor says yes: the pairing starts at once (the porteur asked for it)."""
    from tremplin.mentoring import pairings, policies

    if not policies.can_answer_request(mentor, request):
        raise WrongState(_("Cette demande n’attend plus de réponse de votre part."))
    check_capacity(mentor)
    now = utcnow()
    request.state = ACCEPTED
    request.responded_at = now
    request.response_message = (message or "").strip()[:MESSAGE_MAX] or None
    request.closed_at = now
    pairing = pairings.start_pairing(
        mentor=mentor, porteur=request.porteur, request=request, project_id=request.project_id
    )
    notify(
        request.porteur,
        notices.REQUESTS,
        _l(
            "%(name)s a accepté d’être votre parrain ou marraine : votre binôme commence !",
            name=mentor.display_name,
        ),
        url_for("mentoring.pairing", pairing_id=pairing.id),
        template="email/mentoring_answer.txt",
        accepted=True,
        mentor_name=mentor.display_name,
        answer=request.response_message,
    )
    return pairing


def decline_request(mentor: User, request: MentoringRequest, message: str) -> None:
    from tremplin.mentoring import policies

    if not policies.can_answer_request(mentor, request):
        raise WrongState(_("Cette demande n’attend plus de réponse de votre part."))
    message = (message or "").strip()
    if not message:
        raise InvalidRequest(
            _("Un mot d’explication aide la personne à rebondir : écrivez quelques lignes."),
            field="message",
        )
    if len(message) > MESSAGE_MAX:
        raise InvalidRequest(_("%(max)d caractères au maximum.", max=MESSAGE_MAX), field="message")
    now = utcnow()
    request.state = DECLINED
    request.responded_at = now
    request.response_message = message
    request.closed_at = now
    db.session.flush()
    notify(
        request.porteur,
        notices.REQUESTS,
        _l(
            "%(name)s ne peut pas être votre binôme pour le moment. D’autres "
            "parrains et marraines vous attendent.",
            name=mentor.display_name,
        ),
        url_for("mentoring.suggestions", request_id=request.id),
        template="email/mentoring_answer.txt",
        accepted=False,
        mentor_name=mentor.display_name,
        answer=message,
    )


def expire_requests(now: datetime | None = None) -> int:
    """Requests a mentor left unanswered past their deadline go back to the pool; the
    porteur and the mentor are told. Safe to run twice or concurrently: each request is
    claimed by one conditional UPDATE before anyone is told."""
    now = now or utcnow()
    due = db.session.execute(
        select(MentoringRequest.id, MentoringRequest.mentor_id)
        .where(MentoringRequest.state == PENDING, MentoringRequest.expires_at < now)
        .order_by(MentoringRequest.id)
    ).all()
    expired = 0
    for request_id, mentor_id in due:
        claimed = db.session.execute(
            update(MentoringRequest)
            .where(
                MentoringRequest.id == request_id,
                MentoringRequest.state == PENDING,
                MentoringRequest.mentor_id == mentor_id,
            )
            .values(
                state=OPEN,
                mentor_id=None,
                sent_at=None,
                expires_at=None,
                expired_count=MentoringRequest.expired_count + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        expired += 1
        request = db.session.get(MentoringRequest, request_id, populate_existing=True)
        mentor = db.session.get(User, mentor_id) if mentor_id else None
        notify(
            request.porteur,
            notices.REQUESTS,
            _l(
                "%(name)s n’a pas répondu à temps : votre demande revient dans le "
                "vivier. Choisissez une autre personne, ou l’équipe d’animation vous "
                "en proposera une.",
                name=mentor.display_name if mentor else "?",
            ),
            url_for("mentoring.suggestions", request_id=request.id),
        )
        if mentor is not None:
            notify(
                mentor,
                notices.REQUESTS,
                _l(
                    "La demande de parrainage de %(name)s a expiré faute de réponse.",
                    name=request.porteur.display_name,
                ),
                request_url(request),
            )
    db.session.flush()
    return expired
