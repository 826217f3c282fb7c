"""Pairings (*binômes*): their life from proposal to closing feedback, their goals and the
log of sessions, and the reminder sent to pairs that went quiet.

    proposed ──accept──▶ active ──pause──▶ paused ──resume──▶ active
        │                  │                  │
        └──decline──▶ declined     └──complete──▶ completed ◀──┘

Flushes, never commits. Every refusal is a DomainError with a message for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update

from tremplin.mentoring import notices, policies
from tremplin.mentoring.models import (
    ACCEPTED,
    LOAD_STATES,
    MAX_SESSION_MINUTES,
    OPEN,
    P_ACTIVE,
    P_COMPLETED,
    P_DECLINED,
    P_PAUSED,
    P_PROPOSED,
    PENDING,
    PROPOSED,
    MentoringRequest,
    MentoringSession,
    Pairing,
    PairingFeedback,
    PairingGoal,
)
from tremplin.mentoring.rules import (
    MESSAGE_MAX,
    DuplicateRequest,
    InvalidRequest,
    WrongState,
    check_capacity,
    get_settings,
    paris_today,
)
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow

NOTES_MAX = 10_000
GOAL_MAX = 200
MAX_GOALS = 12


class InvalidSession(DomainError):
    default_message = _l("Cette séance ne peut pas être enregistrée.")


def pairing_url(pairing: Pairing) -> str:
    return url_for("mentoring.pairing", pairing_id=pairing.id)


def _tell_partner(actor: User, pairing: Pairing, text, **kwargs) -> None:
    partner = pairing.partner_of(actor)
    if partner is not None:
        notify(partner, notices.PAIRINGS, text, pairing_url(pairing), **kwargs)


def _open_channel(pairing: Pairing) -> None:
    """The pair's private conversation (the groups' chat, live over Socket.IO)."""
    from tremplin.groups import open_conversation

    if pairing.conversation_id is not None:
        return
    conversation = open_conversation(
        [pairing.mentor, pairing.porteur],
        # Names only: the title is stored once and read in both members' languages.
        title=f"{pairing.mentor.display_name} · {pairing.porteur.display_name}",
        kind="mentoring",
        owner=pairing,
    )
    pairing.conversation_id = conversation.id


def _activate(pairing: Pairing) -> None:
    pairing.state = P_ACTIVE
    pairing.accepted_at = utcnow()
    db.session.flush()
    _open_channel(pairing)
    db.session.flush()


def start_pairing(
    *, mentor: User, porteur: User, request: MentoringRequest | None, project_id: int | None
) -> Pairing:
    """A pairing that starts now: the mentor accepted the porteur's own request."""
    today = paris_today()
    pairing = Pairing(
        mentor=mentor,
        porteur=porteur,
        request=request,
        project_id=project_id,
        state=P_PROPOSED,
        started_on=today,
        planned_end_on=today + timedelta(weeks=get_settings().default_length_weeks),
    )
    db.session.add(pairing)
    db.session.flush()
    _activate(pairing)
    return pairing


@dataclass(frozen=True)
class PairingTerms:
    """What an organiser proposes with a pairing: the start date (None: today; in the past,
    a tutoring that already runs), its length in weeks (None: the settings' default) and a
    word to both."""

    started_on: date | None = None
    length_weeks: int | None = None
    message: str | None = None


def propose_pairing(
    organiser: User,
    *,
    mentor: User,
    porteur: User,
    request: MentoringRequest | None = None,
    terms: PairingTerms | None = None,
) -> Pairing:
    """An organiser puts a mentor and a porteur together; the mentor accepts (the porteur
    may decline). A start date in the past formalises a tutoring that already runs."""
    terms = terms or PairingTerms()
    started_on, message = terms.started_on, terms.message
    if not policies.can_propose_pairing(organiser):
        raise NotAllowed()
    if mentor is None or porteur is None or mentor.id == porteur.id:
        raise InvalidRequest(_("Un binôme réunit deux personnes différentes."))
    if mentor.is_deleted or porteur.is_deleted:
        raise InvalidRequest(_("Ce compte n’existe plus."))
    if request is not None:
        if request.porteur_id != porteur.id:
            raise InvalidRequest(_("Cette demande est celle d’une autre personne."))
        if request.state not in (OPEN, PENDING):
            raise WrongState(_("Cette demande n’attend plus de binôme."))
    if db.session.scalar(
        select(func.count(Pairing.id)).where(
            Pairing.mentor_id == mentor.id,
            Pairing.porteur_id == porteur.id,
            Pairing.state.in_(LOAD_STATES),
        )
    ):
        raise DuplicateRequest(_("Ces deux personnes forment déjà un binôme."))
    check_capacity(mentor)
    today = paris_today()
    started_on = started_on or today
    if started_on > today + timedelta(days=90):
        raise InvalidRequest(
            _("Choisissez une date de début dans les trois prochains mois."), field="started_on"
        )
    weeks = terms.length_weeks or get_settings().default_length_weeks
    message = (message or "").strip()[:MESSAGE_MAX] or None
    pairing = Pairing(
        mentor=mentor,
        porteur=porteur,
        request=request,
        project_id=request.project_id if request else None,
        state=P_PROPOSED,
        proposed_by_id=organiser.id,
        proposal_message=message,
        started_on=started_on,
        planned_end_on=max(started_on, today) + timedelta(weeks=weeks),
    )
    db.session.add(pairing)
    if request is not None:
        if request.state == PENDING and request.mentor_id not in (None, mentor.id):
            request.message = None
        request.state = PROPOSED
        request.mentor_id = mentor.id
        request.expires_at = None
    db.session.flush()
    for person in (mentor, porteur):
        notify(
            person,
            notices.PAIRINGS,
            _l(
                "L’équipe d’animation vous propose un binôme : %(mentor)s et %(porteur)s.",
                mentor=mentor.display_name,
                porteur=porteur.display_name,
            ),
            pairing_url(pairing),
            template="email/mentoring_proposal.txt",
            message=message,
            is_mentor=person.id == mentor.id,
        )
    return pairing


def accept_pairing(mentor: User, pairing: Pairing) -> Pairing:
    if not policies.can_accept_pairing(mentor, pairing):
        raise WrongState(_("Ce binôme n’attend pas votre accord."))
    check_capacity(mentor, exclude_pairing_id=pairing.id)
    _activate(pairing)
    if pairing.request is not None:
        pairing.request.state = ACCEPTED
        pairing.request.responded_at = pairing.request.closed_at = utcnow()
    db.session.flush()
    _tell_partner(
        mentor,
        pairing,
        _l("%(name)s a accepté le binôme : il commence !", name=mentor.display_name),
    )
    return pairing


def decline_pairing(user: User, pairing: Pairing, message: str | None = None) -> Pairing:
    if not policies.can_decline_pairing(user, pairing):
        raise WrongState(_("Ce binôme n’attend pas votre réponse."))
    pairing.state = P_DECLINED
    pairing.declined_at = utcnow()
    pairing.decline_message = (message or "").strip()[:MESSAGE_MAX] or None
    pairing.ended_by_id = user.id
    request = pairing.request
    if request is not None and request.state == PROPOSED:
        # The porteur still needs someone: the request goes back to the pool.
        request.state = OPEN
        request.mentor_id = None
    db.session.flush()
    _tell_partner(
        user, pairing, _l("%(name)s a décliné le binôme proposé.", name=user.display_name)
    )
    if pairing.proposed_by is not None and pairing.proposed_by_id != user.id:
        notify(
            pairing.proposed_by,
            notices.PAIRINGS,
            _l(
                "Le binôme %(mentor)s – %(porteur)s que vous avez proposé a été décliné.",
                mentor=pairing.mentor.display_name,
                porteur=pairing.porteur.display_name,
            ),
            pairing_url(pairing),
        )
    return pairing


def pause_pairing(user: User, pairing: Pairing) -> Pairing:
    if not policies.can_pause_pairing(user, pairing):
        raise WrongState(_("Seul un binôme en cours peut être mis en pause."))
    pairing.state = P_PAUSED
    pairing.paused_at = utcnow()
    db.session.flush()
    _tell_partner(
        user, pairing, _l("%(name)s a mis votre binôme en pause.", name=user.display_name)
    )
    return pairing


def resume_pairing(user: User, pairing: Pairing) -> Pairing:
    if not policies.can_resume_pairing(user, pairing):
        raise WrongState(_("Seul un binôme en pause peut reprendre."))
    pairing.state = P_ACTIVE
    pairing.paused_at = None
    db.session.flush()
    _tell_partner(user, pairing, _l("%(name)s a relancé votre binôme.", name=user.display_name))
    return pairing


def complete_pairing(user: User, pairing: Pairing) -> Pairing:
    if not policies.can_complete_pairing(user, pairing):
        raise WrongState(_("Ce binôme ne peut pas être terminé à cette étape."))
    pairing.state = P_COMPLETED
    pairing.completed_at = utcnow()
    pairing.paused_at = None
    pairing.ended_by_id = user.id
    db.session.flush()
    for person in (pairing.mentor, pairing.porteur):
        if person.id != user.id:
            notify(
                person,
                notices.PAIRINGS,
                _l(
                    "Votre binôme %(mentor)s – %(porteur)s est terminé. Dites en "
                    "quelques mots ce qu’il vous a apporté.",
                    mentor=pairing.mentor.display_name,
                    porteur=pairing.porteur.display_name,
                ),
                url_for("mentoring.feedback", pairing_id=pairing.id),
            )
    return pairing


# --- goals ----------------------------------------------------------------------------


def add_goal(user: User, pairing: Pairing, title: str) -> PairingGoal:
    if not policies.can_edit_goals(user, pairing):
        raise NotAllowed()
    title = " ".join((title or "").split())
    if not title:
        raise DomainError(_("Écrivez l’objectif."), field="title")
    if len(title) > GOAL_MAX:
        raise DomainError(_("%(max)d caractères au maximum.", max=GOAL_MAX), field="title")
    if len(pairing.goals) >= MAX_GOALS:
        raise DomainError(
            _("%(max)d objectifs au maximum : terminez-en avant d’en ajouter.", max=MAX_GOALS),
            field="title",
        )
    goal = PairingGoal(title=title, created_by_id=user.id, progress=0)
    pairing.goals.append(goal)
    db.session.flush()
    return goal


def set_goal_progress(user: User, goal: PairingGoal, progress: int) -> PairingGoal:
    if not policies.can_edit_goals(user, goal.pairing):
        raise NotAllowed()
    if progress is None or not 0 <= int(progress) <= 100:
        raise DomainError(_("L’avancement va de 0 à 100 %."), field="progress")
    goal.progress = int(progress)
    goal.achieved_at = utcnow() if goal.progress == 100 else None
    db.session.flush()
    return goal


def delete_goal(user: User, goal: PairingGoal) -> None:
    if not policies.can_edit_goals(user, goal.pairing):
        raise NotAllowed()
    goal.pairing.goals.remove(goal)
    db.session.flush()


# --- sessions -------------------------------------------------------------------------


def check_session(pairing: Pairing, held_on: date | None, duration_minutes: int | None) -> None:
    if held_on is None:
        raise InvalidSession(_("Indiquez la date de la séance."), field="held_on")
    if held_on > paris_today():
        raise InvalidSession(
            _("Cette date est dans le futur : notez la séance une fois qu’elle a eu lieu."),
            field="held_on",
        )
    if held_on < pairing.started_on:
        raise InvalidSession(
            _(
                "Le binôme a commencé le %(date)s : la séance ne peut pas avoir eu lieu avant.",
                date=format_date(pairing.started_on, "d MMMM y"),
            ),
            field="held_on",
        )
    if duration_minutes is None or duration_minutes <= 0:
        raise InvalidSession(_("La durée doit être positive."), field="duration")
    if duration_minutes > MAX_SESSION_MINUTES:
        raise InvalidSession(_("Une séance dure au plus 24 heures."), field="duration")


def log_session(
    user: User,
    pairing: Pairing,
    *,
    held_on: date,
    duration_minutes: int,
    notes: str | None = None,
    next_steps: str | None = None,
) -> MentoringSession:
    """Only the pair logs its sessions."""
    if not policies.can_log_session(user, pairing):
        raise NotAllowed(
            _(
                "Seules les deux personnes du binôme notent leurs séances, "
                "tant que le binôme est en cours."
            )
        )
    check_session(pairing, held_on, duration_minutes)
    notes = (notes or "").strip() or None
    next_steps = (next_steps or "").strip() or None
    for value, name in ((notes, "notes"), (next_steps, "next_steps")):
        if value and len(value) > NOTES_MAX:
            raise InvalidSession(_("%(max)d caractères au maximum.", max=NOTES_MAX), field=name)
    session = MentoringSession(
        pairing_id=pairing.id,
        held_on=held_on,
        duration_minutes=int(duration_minutes),
        notes=notes,
        next_steps=next_steps,
        logged_by_id=user.id,
    )
    db.session.add(session)
    db.session.flush()
    _tell_partner(
        user,
        pairing,
        _l(
            "%(name)s a noté une séance du %(date)s.",
            name=user.display_name,
            date=held_on.strftime("%d/%m/%Y"),
        ),
    )
    return session


def delete_session(user: User, session: MentoringSession) -> None:
    if not policies.can_delete_session(user, session):
        raise NotAllowed()
    db.session.delete(session)
    db.session.flush()


def sessions_of(pairing: Pairing) -> list[MentoringSession]:
    return list(
        db.session.scalars(
            select(MentoringSession)
            .where(MentoringSession.pairing_id == pairing.id)
            .order_by(MentoringSession.held_on.desc(), MentoringSession.id.desc())
        )
    )


# --- hours ----------------------------------------------------------------------------


def total_minutes(pairing_ids) -> dict[int, int]:
    """Minutes logged per pairing, in one statement."""
    ids = list(pairing_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(MentoringSession.pairing_id, func.sum(MentoringSession.duration_minutes))
        .where(MentoringSession.pairing_id.in_(ids))
        .group_by(MentoringSession.pairing_id)
    )
    totals = {pid: 0 for pid in ids}
    totals.update({pid: int(total or 0) for pid, total in rows})
    return totals


@dataclass(frozen=True)
class PairingFigures:
    minutes: int
    sessions: int
    last_held_on: date | None


def figures(pairing_ids) -> dict[int, PairingFigures]:
    """Minutes, session count and last session date per pairing, in one statement."""
    ids = list(pairing_ids)
    result = {pid: PairingFigures(0, 0, None) for pid in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(
            MentoringSession.pairing_id,
            func.sum(MentoringSession.duration_minutes),
            func.count(MentoringSession.id),
            func.max(MentoringSession.held_on),
        )
        .where(MentoringSession.pairing_id.in_(ids))
        .group_by(MentoringSession.pairing_id)
    )
    for pid, minutes, count, last in rows:
        result[pid] = PairingFigures(int(minutes or 0), int(count or 0), last)
    return result


def mentor_minutes(mentor_id: int) -> int:
    """All the minutes a mentor logged in pairings that took place."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(MentoringSession.duration_minutes), 0))
            .join(Pairing, Pairing.id == MentoringSession.pairing_id)
            .where(Pairing.mentor_id == mentor_id)
        )
        or 0
    )


# --- feedback -------------------------------------------------------------------------


def give_feedback(
    user: User, pairing: Pairing, *, rating: int | None, comment: str
) -> PairingFeedback:
    if not policies.is_in_pair(user, pairing):
        raise NotAllowed()
    if pairing.state != P_COMPLETED:
        raise WrongState(_("Le bilan se fait une fois le binôme terminé."))
    if any(f.author_id == user.id for f in pairing.feedback):
        raise WrongState(_("Vous avez déjà donné votre bilan de ce binôme."))
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("Écrivez quelques mots."), field="comment")
    if len(comment) > NOTES_MAX:
        raise DomainError(_("%(max)d caractères au maximum.", max=NOTES_MAX), field="comment")
    if rating is not None and not 1 <= int(rating) <= 5:
        raise DomainError(_("Une note de 1 à 5."), field="rating")
    feedback = PairingFeedback(
        author_id=user.id, side=pairing.side_of(user), rating=rating, comment=comment
    )
    pairing.feedback.append(feedback)
    db.session.flush()
    _tell_partner(
        user, pairing, _l("%(name)s a donné son bilan de votre binôme.", name=user.display_name)
    )
    return feedback


# --- quiet pairings -------------------------------------------------------------------


def _last_held_subquery():
    return (
        select(
            MentoringSession.pairing_id,
            func.max(MentoringSession.held_on).label("last_held"),
            func.max(MentoringSession.created_at).label("last_logged"),
        )
        .group_by(MentoringSession.pairing_id)
        .subquery()
    )


def _quiet_conditions(last, cutoff_day: date, cutoff_at: datetime):
    """No session held since the cutoff, and the pairing itself older than that."""
    return and_(
        Pairing.state == P_ACTIVE,
        Pairing.started_on <= cutoff_day,
        or_(Pairing.accepted_at.is_(None), Pairing.accepted_at <= cutoff_at),
        or_(last.c.last_held.is_(None), last.c.last_held < cutoff_day),
    )


def _not_yet_reminded(last):
    """Reminded once per quiet spell: a new reminder only once a session was logged since."""
    return or_(
        Pairing.quiet_reminded_at.is_(None),
        and_(last.c.last_logged.is_not(None), last.c.last_logged > Pairing.quiet_reminded_at),
    )


def quiet_pairings(weeks: int | None = None, now: datetime | None = None) -> list[Pairing]:
    """Active pairings with no session for `weeks` weeks, quietest first."""
    from sqlalchemy.orm import joinedload

    now = now or utcnow()
    weeks = weeks or get_settings().quiet_after_weeks
    cutoff_at = now - timedelta(weeks=weeks)
    cutoff_day = cutoff_at.date()
    last = _last_held_subquery()
    return list(
        db.session.scalars(
            select(Pairing)
            .outerjoin(last, last.c.pairing_id == Pairing.id)
            .where(_quiet_conditions(last, cutoff_day, cutoff_at))
            .options(joinedload(Pairing.mentor), joinedload(Pairing.porteur))
            .order_by(func.coalesce(last.c.last_held, Pairing.started_on), Pairing.id)
        )
    )


def remind_quiet(
    pairing_id: int,
    *,
    weeks: int | None = None,
    now: datetime | None = None,
    by: User | None = None,
) -> bool:
    """Remind one quiet pairing, once. The reminder is claimed by a conditional UPDATE, so
    running the job twice (or concurrently, or an organiser's click meanwhile) sends one."""
    now = now or utcnow()
    weeks = weeks or get_settings().quiet_after_weeks
    cutoff_at = now - timedelta(weeks=weeks)
    last = _last_held_subquery()
    eligible = (
        select(Pairing.id)
        .outerjoin(last, last.c.pairing_id == Pairing.id)
        .where(
            Pairing.id == pairing_id,
            _quiet_conditions(last, cutoff_at.date(), cutoff_at),
            _not_yet_reminded(last),
        )
    )
    claimed = db.session.execute(
        update(Pairing)
        .where(Pairing.id.in_(eligible.scalar_subquery()))
        .values(quiet_reminded_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    pairing = db.session.get(Pairing, pairing_id, populate_existing=True)
    for person in (pairing.mentor, pairing.porteur):
        partner = pairing.partner_of(person)
        notify(
            person,
            notices.REMINDERS,
            _l(
                "Aucune séance notée avec %(name)s depuis %(weeks)d semaines : "
                "prenez des nouvelles, et notez votre prochaine rencontre.",
                name=partner.display_name,
                weeks=weeks,
            ),
            pairing_url(pairing),
            template="email/mentoring_quiet.txt",
            partner_name=partner.display_name,
            weeks=weeks,
            from_organiser=by.display_name if by is not None else None,
        )
    db.session.flush()
    return True


def remind_quiet_pairings(weeks: int | None = None, now: datetime | None = None) -> int:
    now = now or utcnow()
    ids = [p.id for p in quiet_pairings(weeks, now)]
    return sum(1 for pid in ids if remind_quiet(pid, weeks=weeks, now=now))
