"""The satisfaction survey after a meetup: the organisers send it to everyone checked in
(members in the site and by e-mail, visitors by an e-mailed link, no account needed); each
attendee answers once (a unique receipt, safe under a double submit); the answer itself
names nobody. Results per meetup and per period feed the impact dashboard.

Questions are worded per meetup series (a group's meetups, or the network's) and copied
into the survey when it is sent. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from tremplin.meetups import notices, policies
from tremplin.meetups.commitments import published_meetup_ids
from tremplin.meetups.models import (
    Meetup,
    MeetupSurvey,
    Registration,
    SurveyQuestions,
    SurveyReceipt,
    SurveyResponse,
)
from tremplin.platform import tokens
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.notifications import absolute_url, notify, queue_email
from tremplin.platform.textlimits import check_length
from tremplin.platform.types import utcnow

KIND_SURVEY = "meetups_survey"
TOKEN_PURPOSE = "meetups:survey"
LINK_MAX_AGE = 60 * 24 * 3600
COMMENT_MAX = 2000
QUESTION_MAX = 200
QUESTION_KEYS = ("satisfaction", "usefulness", "recommend", "comment", "extra")
DEFAULT_QUESTIONS = {
    "satisfaction": _l("Dans l’ensemble, êtes-vous satisfait·e de la soirée ?"),
    "usefulness": _l("La soirée vous a-t-elle été utile ?"),
    "recommend": _l("Recommanderiez-vous ces rencontres à quelqu’un ?"),
    "comment": _l("Un mot pour les organisateurs (facultatif)"),
    "extra": "",
}


class AlreadyAnswered(DomainError):
    default_message = _l("Vous avez déjà répondu à ce questionnaire : merci !")


def series_key(group_id: int | None) -> str:
    return f"group:{group_id}" if group_id else "network"


def questions_for_series(group_id: int | None) -> dict:
    row = db.session.scalar(
        select(SurveyQuestions).where(SurveyQuestions.series_key == series_key(group_id))
    )
    defaults = {k: str(v) for k, v in DEFAULT_QUESTIONS.items()}
    if row is None:
        return defaults
    return {**defaults, **{k: v for k, v in row.questions.items() if k in QUESTION_KEYS}}


def save_questions(actor, group, questions: dict) -> SurveyQuestions:
    """The organisers of a series reword its questions (empty: back to the default; an empty
    extra question: none)."""
    if not policies.can_edit_survey_questions(actor, group):
        raise NotAllowed()
    cleaned = {}
    for key in QUESTION_KEYS:
        text = " ".join((questions.get(key) or "").split())
        check_length(text, QUESTION_MAX, field=key)
        cleaned[key] = text or str(DEFAULT_QUESTIONS[key])
    key = series_key(group.id if group else None)
    row = db.session.scalar(select(SurveyQuestions).where(SurveyQuestions.series_key == key))
    if row is None:
        row = SurveyQuestions(series_key=key, questions=cleaned)
        db.session.add(row)
    row.questions = cleaned
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    db.session.flush()
    return row


def survey_of(meetup_id: int) -> MeetupSurvey | None:
    return db.session.scalar(select(MeetupSurvey).where(MeetupSurvey.meetup_id == meetup_id))


def _attendees(meetup: Meetup) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.meetup_id == meetup.id, Registration.checked_in_at.is_not(None))
            .options(selectinload(Registration.user))
            .order_by(Registration.id)
        )
    )


def survey_token(survey: MeetupSurvey, registration: Registration) -> str:
    return tokens.make_token(TOKEN_PURPOSE, [survey.id, registration.id])


def send(actor, meetup: Meetup) -> MeetupSurvey:
    """Send the survey to everyone checked in, once: a second send is refused (the unique
    key on the meetup holds it even for two organisers at once)."""
    if not policies.can_send_survey(actor, meetup):
        raise NotAllowed(_("Le questionnaire part une fois la rencontre commencée."))
    if survey_of(meetup.id) is not None:
        raise DomainError(_("Le questionnaire de cette rencontre a déjà été envoyé."))
    attendees = _attendees(meetup)
    if not attendees:
        raise DomainError(_("Personne n’a été pointé à l’accueil : à qui l’envoyer ?"))
    survey = MeetupSurvey(
        meetup_id=meetup.id,
        questions=questions_for_series(meetup.group_id),
        invited_count=len(attendees),
        sent_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(survey)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("Le questionnaire de cette rencontre a déjà été envoyé.")) from None
    subject = _("Votre avis sur « %(title)s »", title=meetup.title)
    with notices.url_context():
        for registration in attendees:
            link = absolute_url(
                url_for("meetups.survey_answer", token=survey_token(survey, registration))
            )
            if registration.user is not None:
                notify(
                    registration.user,
                    KIND_SURVEY,
                    subject,
                    url_for("meetups.survey_answer", token=survey_token(survey, registration)),
                    email_subject=subject,
                    email_template="email/meetups_survey.txt",
                    meetup=meetup,
                    survey_link=link,
                    visitor_name=None,
                )
            elif registration.email and "@" in registration.email:
                with force_locale(registration.locale or "fr"):
                    queue_email(
                        registration.email,
                        _("Votre avis sur « %(title)s »", title=meetup.title),
                        "email/meetups_survey.txt",
                        kind=KIND_SURVEY,
                        locale=registration.locale or "fr",
                        meetup=meetup,
                        survey_link=link,
                        visitor_name=registration.name,
                    )
    return survey


@dataclass
class LinkResult:
    status: str  # "ok", "expired", "invalid"
    survey: MeetupSurvey | None = None
    registration: Registration | None = None


def from_token(token: str) -> LinkResult:
    result = tokens.read_token(TOKEN_PURPOSE, token, max_age=LINK_MAX_AGE)
    data = result.data
    if not (isinstance(data, list) and len(data) == 2 and all(isinstance(x, int) for x in data)):
        return LinkResult("invalid")
    survey = db.session.get(MeetupSurvey, data[0])
    registration = db.session.get(Registration, data[1])
    if survey is None or registration is None or registration.meetup_id != survey.meetup_id:
        return LinkResult("invalid")
    if result.status != "ok":
        return LinkResult(result.status)
    return LinkResult("ok", survey, registration)


def has_answered(survey: MeetupSurvey, registration: Registration) -> bool:
    return (
        db.session.scalar(
            select(SurveyReceipt.id).where(
                SurveyReceipt.survey_id == survey.id,
                SurveyReceipt.registration_id == registration.id,
            )
        )
        is not None
    )


@dataclass
class Answer:
    satisfaction: int | None
    usefulness: int | None = None
    would_recommend: bool | None = None
    extra: int | None = None
    comment: str = ""


def answer(survey: MeetupSurvey, registration: Registration, given: Answer) -> SurveyResponse:
    """Record one attendee's answer. The receipt (who) and the response (what) are two rows
    with no link between them; the receipt's unique key refuses a second answer, even two
    submits at the same instant."""
    if registration.meetup_id != survey.meetup_id or registration.checked_in_at is None:
        raise NotAllowed()
    if given.satisfaction not in range(1, 6):
        raise DomainError(_("Choisissez une note de 1 à 5."), field="satisfaction")
    for name in ("usefulness", "extra"):
        value = getattr(given, name)
        if value is not None and value not in range(1, 6):
            raise DomainError(_("Choisissez une note de 1 à 5."), field=name)
    comment = (given.comment or "").strip()
    check_length(comment, COMMENT_MAX, field="comment")
    try:
        with db.session.begin_nested():
            db.session.add(SurveyReceipt(survey_id=survey.id, registration_id=registration.id))
            db.session.flush()
    except IntegrityError:
        raise AlreadyAnswered() from None
    response = SurveyResponse(
        survey_id=survey.id,
        satisfaction=given.satisfaction,
        usefulness=given.usefulness,
        would_recommend=given.would_recommend,
        extra=given.extra if survey.questions.get("extra") else None,
        comment=comment or None,
        is_visitor=registration.user_id is None,
        answered_on=utcnow().date(),
    )
    db.session.add(response)
    db.session.flush()
    return response


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    invited: int
    responses: int
    satisfaction_total: int
    satisfied: int  # answered 4 or 5
    usefulness_total: int
    usefulness_count: int
    recommend_yes: int
    recommend_count: int

    @property
    def response_rate(self) -> int | None:
        return round(100 * self.responses / self.invited) if self.invited else None

    @property
    def satisfaction_avg(self) -> float | None:
        return round(self.satisfaction_total / self.responses, 1) if self.responses else None

    @property
    def satisfied_percent(self) -> int | None:
        return round(100 * self.satisfied / self.responses) if self.responses else None

    @property
    def usefulness_avg(self) -> float | None:
        if not self.usefulness_count:
            return None
        return round(self.usefulness_total / self.usefulness_count, 1)

    @property
    def recommend_percent(self) -> int | None:
        if not self.recommend_count:
            return None
        return round(100 * self.recommend_yes / self.recommend_count)


EMPTY = Results(0, 0, 0, 0, 0, 0, 0, 0)


def _results_stmt():
    return select(
        MeetupSurvey.meetup_id,
        MeetupSurvey.invited_count,
        func.count(SurveyResponse.id),
        func.coalesce(func.sum(SurveyResponse.satisfaction), 0),
        func.coalesce(func.sum(case((SurveyResponse.satisfaction >= 4, 1), else_=0)), 0),
        func.coalesce(func.sum(SurveyResponse.usefulness), 0),
        func.count(SurveyResponse.usefulness),
        func.coalesce(func.sum(case((SurveyResponse.would_recommend.is_(True), 1), else_=0)), 0),
        func.count(SurveyResponse.would_recommend),
    ).outerjoin(SurveyResponse, SurveyResponse.survey_id == MeetupSurvey.id)


def results_for(meetup_ids: list[int]) -> dict[int, Results]:
    """Results per meetup that had a survey (one statement)."""
    if not meetup_ids:
        return {}
    rows = db.session.execute(
        _results_stmt()
        .where(MeetupSurvey.meetup_id.in_(meetup_ids))
        .group_by(MeetupSurvey.meetup_id, MeetupSurvey.invited_count)
    ).all()
    return {row[0]: Results(*(int(v or 0) for v in row[1:])) for row in rows}


def period_results(
    start: datetime | None, end: datetime | None, *, group_id: int | None = None
) -> Results:
    """All the surveys of the meetups starting in [start, end), added up."""
    per = results_for(published_meetup_ids(start, end, group_id=group_id))
    return Results(*(sum(getattr(r, f) for r in per.values()) for f in Results.__annotations__))


def comments_of(survey: MeetupSurvey) -> list[str]:
    return list(
        db.session.scalars(
            select(SurveyResponse.comment)
            .where(SurveyResponse.survey_id == survey.id, SurveyResponse.comment.is_not(None))
            .order_by(SurveyResponse.id)
        )
    )
