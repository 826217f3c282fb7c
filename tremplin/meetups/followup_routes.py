"""After the evening: minutes (of a meetup or a working group's meeting) with their
actions, and the satisfaction survey (sending it, answering it by link, the series'
questions, the results behind the impact figures)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tremplin.groups.models import Group
from tremplin.meetups import bp, policies, surveys
from tremplin.meetups import minutes as minutes_services
from tremplin.meetups.forms import MinutesForm, SurveyForm, SurveyQuestionsForm
from tremplin.meetups.meetups import in_paris, paris_to_utc
from tremplin.meetups.models import MinutesAction
from tremplin.meetups.routes import managed_meetup, meetup_or_404
from tremplin.platform.auth import organiser_required
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.types import utcnow

# --- minutes -----------------------------------------------------------------------------


def _minutes_input(form: MinutesForm) -> minutes_services.MinutesInput:
    return minutes_services.MinutesInput(
        title=form.title.data or "",
        held_at=paris_to_utc(form.held_at.data),
        attendees=form.attendees.data or "",
        body=form.body.data or "",
        decisions=form.decisions.data or "",
        share_with_group=bool(form.share_with_group.data),
        actions=[
            minutes_services.ActionInput(
                description=entry.form.description.data or "",
                owner_id=entry.form.owner_id.data or None,
                due_on=entry.form.due_on.data,
            )
            for entry in form.actions
        ],
    )


def _minutes_form_page(form, *, meetup=None, group=None, minutes=None):
    previous = minutes_services.open_actions_before(
        (meetup.group_id if meetup else group.id if group else None),
        minutes.held_at if minutes else (meetup.starts_at if meetup else utcnow()),
    )
    return render_template(
        "meetups/minutes_form.html",
        form=form,
        meetup=meetup,
        group=group,
        minutes=minutes,
        previous_actions=previous,
    )


@bp.route("/rencontres/<int:meetup_id>/compte-rendu", methods=["GET", "POST"])
@login_required
def meetup_minutes(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    existing = minutes_services.minutes_for_meetup(meetup.id)
    if existing is not None:
        return redirect(url_for("meetups.edit_minutes", minutes_id=existing.id))
    form = MinutesForm()
    form.set_owners(minutes_services.owner_choices(meetup))
    if request.method == "GET":
        form.title.data = _("Compte rendu : %(title)s", title=meetup.title)
        form.held_at.data = in_paris(meetup.starts_at).replace(tzinfo=None)
        form.attendees.data = minutes_services.attendees_text(meetup)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            minutes = minutes_services.save(current_user, _minutes_input(form), meetup=meetup)
        if outcome.ok:
            flash(_("Compte rendu enregistré (brouillon)."), "success")
            return redirect(url_for("meetups.minutes_page", minutes_id=minutes.id))
    return _minutes_form_page(form, meetup=meetup)


@bp.route("/comptes-rendus/nouveau", methods=["GET", "POST"])
@login_required
def group_minutes():
    group = db.get_or_404(Group, request.args.get("groupe", type=int) or 0)
    if not policies.can_write_minutes(current_user, None, group):
        abort(403)
    form = MinutesForm()
    form.set_owners(minutes_services.owner_choices(None, group))
    if request.method == "GET":
        form.title.data = _("Réunion du groupe %(name)s", name=group.name)
        form.held_at.data = in_paris(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            minutes = minutes_services.save(current_user, _minutes_input(form), group=group)
        if outcome.ok:
            flash(_("Compte rendu enregistré (brouillon)."), "success")
            return redirect(url_for("meetups.minutes_page", minutes_id=minutes.id))
    return _minutes_form_page(form, group=group)


def _minutes_or_404(minutes_id: int):
    minutes = minutes_services.load(minutes_id)
    if minutes is None:
        abort(404)
    return minutes


@bp.route("/comptes-rendus/<int:minutes_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_minutes(minutes_id: int):
    minutes = _minutes_or_404(minutes_id)
    if not policies.can_write_minutes(current_user, minutes.meetup, minutes.group):
        abort(403)
    if request.method == "GET":
        # Only the open actions are edited (done ones stay as they are), plus blank rows.
        rows = [
            {"description": a.description, "owner_id": a.owner_id or 0, "due_on": a.due_on}
            for a in minutes.actions
            if not a.is_done
        ]
        form = MinutesForm(
            data={
                "title": minutes.title,
                "held_at": in_paris(minutes.held_at).replace(tzinfo=None),
                "attendees": minutes.attendees,
                "body": minutes.body,
                "decisions": minutes.decisions,
                "share_with_group": minutes.share_with_group,
                "actions": rows + [{}, {}],
            }
        )
    else:
        form = MinutesForm()
    form.set_owners(minutes_services.owner_choices(minutes.meetup, minutes.group))
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            minutes_services.save(current_user, _minutes_input(form), minutes=minutes)
        if outcome.ok:
            flash(_("Compte rendu enregistré."), "success")
            return redirect(url_for("meetups.minutes_page", minutes_id=minutes.id))
    return _minutes_form_page(form, meetup=minutes.meetup, group=minutes.group, minutes=minutes)


@bp.route("/comptes-rendus/<int:minutes_id>")
@login_required
def minutes_page(minutes_id: int):
    minutes = _minutes_or_404(minutes_id)
    attended = minutes_services.attended(current_user, minutes.meetup)
    if not policies.can_read_minutes(current_user, minutes, attended):
        abort(403)
    return render_template(
        "meetups/minutes.html",
        minutes=minutes,
        can_write=policies.can_write_minutes(current_user, minutes.meetup, minutes.group),
        form=EmptyForm(formdata=None),
    )


@bp.route("/comptes-rendus/<int:minutes_id>/publier", methods=["POST"])
@login_required
def publish_minutes(minutes_id: int):
    minutes = _minutes_or_404(minutes_id)
    if not policies.can_write_minutes(current_user, minutes.meetup, minutes.group):
        abort(403)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with form_errors(form) as outcome:
        told = minutes_services.publish(current_user, minutes)
    if outcome.ok:
        flash(_("Compte rendu publié ; %(n)d personne(s) prévenue(s).", n=told), "success")
    else:
        flash(outcome.error.message, "error")
    return redirect(url_for("meetups.minutes_page", minutes_id=minutes.id))


@bp.route("/comptes-rendus/actions/<int:action_id>/faite", methods=["POST"])
@login_required
def action_done(action_id: int):
    action = db.get_or_404(MinutesAction, action_id)
    if not policies.can_mark_action_done(current_user, action):
        abort(403)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if minutes_services.mark_done(current_user, action):
        flash(_("Action faite : merci !"), "success")
    back = request.form.get("next")
    if back == "accueil":
        return redirect(url_for("platform.home"))
    return redirect(url_for("meetups.minutes_page", minutes_id=action.minutes_id))


# --- satisfaction survey -----------------------------------------------------------------


@bp.route("/rencontres/<int:meetup_id>/questionnaire", methods=["POST"])
@login_required
def send_survey(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with form_errors(form) as outcome:
        survey = surveys.send(current_user, meetup)
    if outcome.ok:
        flash(_("Questionnaire envoyé à %(n)d participant(s).", n=survey.invited_count), "success")
    else:
        flash(outcome.error.message, "error")
    return redirect(url_for("meetups.meetup", meetup_id=meetup.id, _anchor="bilan"))


@bp.route("/questionnaire/<token>", methods=["GET", "POST"])
def survey_answer(token: str):
    link = surveys.from_token(token)
    if link.status != "ok":
        return render_template("meetups/link_problem.html", status=link.status, meetup=None), 400
    survey, registration = link.survey, link.registration
    # A member's link works only for that member (a forwarded link is refused).
    if registration.user_id is not None and (
        not current_user.is_authenticated or current_user.id != registration.user_id
    ):
        if not current_user.is_authenticated:
            return redirect(url_for("platform.login", next=request.path))
        abort(403)
    meetup = meetup_or_404(survey.meetup_id)
    done = surveys.has_answered(survey, registration)
    form = SurveyForm()
    form.label_with(survey.questions)
    if not done and form.validate_on_submit():
        given = surveys.Answer(
            satisfaction=int(form.satisfaction.data),
            usefulness=int(form.usefulness.data) if form.usefulness.data else None,
            would_recommend={"yes": True, "no": False}.get(form.recommend.data or ""),
            extra=int(form.extra.data) if form.extra.data else None,
            comment=form.comment.data or "",
        )
        with form_errors(form) as outcome:
            surveys.answer(survey, registration, given)
        if outcome.ok or isinstance(outcome.error, surveys.AlreadyAnswered):
            flash(_("Merci pour votre réponse !"), "success")
            return redirect(url_for("meetups.survey_answer", token=token))
    status = 400 if request.method == "POST" and not done else 200
    return render_template(
        "meetups/survey.html", form=form, meetup=meetup, survey=survey, done=done, token=token
    ), status


@bp.route("/rencontres/questionnaire/questions", methods=["GET", "POST"])
@login_required
def survey_questions():
    group_id = request.args.get("groupe", type=int)
    group = db.get_or_404(Group, group_id) if group_id else None
    if not policies.can_edit_survey_questions(current_user, group):
        abort(403)
    current = surveys.questions_for_series(group.id if group else None)
    form = SurveyQuestionsForm(data=current) if request.method == "GET" else SurveyQuestionsForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            surveys.save_questions(
                current_user, group, {k: getattr(form, k).data for k in surveys.QUESTION_KEYS}
            )
        if outcome.ok:
            flash(_("Questions enregistrées : elles serviront aux prochains envois."), "success")
            return redirect(url_for("meetups.survey_questions", groupe=group_id))
    return render_template("meetups/survey_questions.html", form=form, group=group)


@bp.route("/rencontres/satisfaction")
@organiser_required
def satisfaction():
    """The records behind the satisfaction figures: each surveyed meetup of the period."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from tremplin.meetups.models import Meetup, MeetupSurvey
    from tremplin.platform import impact

    filters = impact.filters_or_400(request.args) if request.args.get("periode") else None
    stmt = (
        select(Meetup)
        .join(MeetupSurvey, MeetupSurvey.meetup_id == Meetup.id)
        .options(selectinload(Meetup.group))
        .order_by(Meetup.starts_at.desc())
    )
    if filters is not None:
        stmt = stmt.where(Meetup.starts_at >= filters.start_at, Meetup.starts_at < filters.end_at)
        if filters.group_id:
            stmt = stmt.where(Meetup.group_id == filters.group_id)
    page = db.paginate(stmt, per_page=30, error_out=False)
    results = surveys.results_for([m.id for m in page.items])
    return render_template("meetups/satisfaction.html", page=page, results=results, filters=filters)
