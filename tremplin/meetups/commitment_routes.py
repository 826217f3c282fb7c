"""Support commitments: proposing one (member, or visitor through their link), the
project team's follow-up page, the supporter's list, and the CSV for the accounts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from tremplin.meetups import bp, policies
from tremplin.meetups import commitments as services
from tremplin.meetups.forms import CommitmentForm, ReasonForm
from tremplin.meetups.meetups import PARIS
from tremplin.meetups.models import (
    COMMITMENT_STATES,
    Meetup,
    MeetupProject,
    Registration,
    SupportCommitment,
)
from tremplin.meetups.registrations import registration_from_token
from tremplin.members import can_view_project
from tremplin.members.models import Project
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.spreadsheets import csv_download
from tremplin.platform.types import utcnow


def _project_or_404(project_id: int) -> Project:
    project = db.get_or_404(Project, project_id)
    if not can_view_project(current_user, project):
        abort(404)
    return project


def _meetup_choices(project: Project) -> list[tuple[int, str]]:
    """Recent or coming meetups where the project is presented and the member registered."""
    from tremplin.platform.templating import local_date

    since = utcnow() - timedelta(days=60)
    rows = db.session.scalars(
        select(Meetup)
        .join(MeetupProject, MeetupProject.meetup_id == Meetup.id)
        .join(Registration, Registration.meetup_id == Meetup.id)
        .where(
            MeetupProject.project_id == project.id,
            Registration.user_id == current_user.id,
            Meetup.state == "published",
            Meetup.starts_at >= since,
        )
        .order_by(Meetup.starts_at.desc())
    ).all()
    return [(0, _("En dehors d’une rencontre"))] + [
        (m.id, f"{m.title} ({local_date(m.starts_at)})") for m in rows
    ]


def _offer(form: CommitmentForm) -> services.Offer:
    return services.Offer(
        kind=form.kind.data,
        description=form.description.data or "",
        quantity=form.quantity.data,
        amount_cents=form.amount.data,
    )


@bp.route("/soutiens/projet/<int:project_id>/proposer", methods=["GET", "POST"])
@login_required
def new_commitment(project_id: int):
    project = _project_or_404(project_id)
    if not policies.can_commit_support(current_user, project):
        abort(403)
    form = CommitmentForm()
    form.meetup_id.choices = _meetup_choices(project)
    if request.method == "GET":
        wanted = request.args.get("rencontre", type=int)
        ids = [c[0] for c in form.meetup_id.choices]
        form.meetup_id.data = wanted if wanted in ids else (ids[1] if len(ids) > 1 else 0)
        if request.args.get("type") in dict(services.KIND_LABELS):
            form.kind.data = request.args["type"]
    if form.validate_on_submit():
        meetup = None
        if form.meetup_id.data:
            if form.meetup_id.data not in [c[0] for c in form.meetup_id.choices]:
                abort(400)
            meetup = db.session.get(Meetup, form.meetup_id.data)
        with form_errors(form) as outcome:
            commitment = services.commit_support(
                project, _offer(form), supporter=current_user, meetup=meetup
            )
        if outcome.ok:
            flash(
                _(
                    "Merci ! Votre soutien est proposé à l’équipe de %(project)s, qui va vous "
                    "répondre.",
                    project=project.title,
                ),
                "success",
            )
            if commitment.pledge_id:
                flash(
                    _(
                        "Votre promesse est aussi inscrite sur la collecte en cours du projet : "
                        "retrouvez-la dans vos promesses."
                    ),
                    "info",
                )
            if meetup is not None:
                return redirect(url_for("meetups.meetup", meetup_id=meetup.id))
            return redirect(url_for("meetups.my_commitments"))
    return render_template(
        "meetups/commitment_form.html", form=form, project=project, visitor=None, token=None
    )


@bp.route("/rencontres/inscription/<token>/soutenir/<int:project_id>", methods=["GET", "POST"])
def visitor_commitment(token: str, project_id: int):
    result = registration_from_token(token)
    if result.status != "ok":
        return render_template("meetups/link_problem.html", status=result.status, meetup=None), 400
    registration = result.registration
    meetup = registration.meetup
    if project_id not in [link.project_id for link in meetup.presented]:
        abort(404)
    if not policies.can_commit_as_visitor(registration) or meetup.state == "cancelled":
        abort(403)
    project = db.session.get(Project, project_id)
    form = CommitmentForm()
    form.meetup_id.choices = [(meetup.id, meetup.title)]
    if request.method == "GET":
        form.meetup_id.data = meetup.id
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.commit_support(project, _offer(form), registration=registration, meetup=meetup)
        if outcome.ok:
            flash(
                _(
                    "Merci ! Votre soutien est proposé à l’équipe de %(project)s. Nous vous "
                    "écrirons quand elle l’aura accepté.",
                    project=project.title,
                ),
                "success",
            )
            return redirect(url_for("meetups.manage_registration", token=token))
    return render_template(
        "meetups/commitment_form.html",
        form=form,
        project=project,
        visitor=registration,
        token=token,
    )


@bp.route("/soutiens/projet/<int:project_id>")
@login_required
def project_commitments(project_id: int):
    project = _project_or_404(project_id)
    if not policies.can_see_project_commitments(current_user, project):
        abort(403)
    state = request.args.get("etat") or None
    if state is not None and state not in COMMITMENT_STATES:
        abort(400)
    items = services.for_project(project.id)
    groups = services.by_evening([c for c in items if state is None or c.state == state])
    meetup_ids = [m.id for m, _items in groups if m is not None]
    return render_template(
        "meetups/project_commitments.html",
        project=project,
        commitments=items,
        groups=groups,
        rates=services.rates_for(meetup_ids),
        state=state,
        state_counts={s: sum(1 for c in items if c.state == s) for s in COMMITMENT_STATES},
        form=ReasonForm(formdata=None),
        is_team=policies.is_team_member(current_user, project),
    )


@bp.route("/soutiens")
@login_required
def my_commitments():
    return render_template(
        "meetups/my_commitments.html",
        commitments=services.for_supporter(current_user),
        form=ReasonForm(formdata=None),
    )


@bp.route("/soutiens/<int:commitment_id>/<action>", methods=["POST"])
@login_required
def commitment_action(commitment_id: int, action: str):
    commitment = db.get_or_404(SupportCommitment, commitment_id)
    if not policies.can_see_commitment(current_user, commitment):
        abort(403)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    handlers = {
        "accepter": (
            lambda: services.accept(current_user, commitment),
            _("Soutien accepté : %(who)s est prévenu·e.", who=commitment.supporter_name),
        ),
        "commencer": (
            lambda: services.start(current_user, commitment),
            _("Le soutien est en cours."),
        ),
        "realise": (
            lambda: services.confirm_delivery(current_user, commitment),
            _("Soutien réalisé : merci de l’avoir confirmé."),
        ),
        "annuler": (
            lambda: services.cancel(current_user, commitment, form.reason.data or ""),
            _("Soutien annulé."),
        ),
    }
    if action not in handlers:
        abort(404)
    run, message = handlers[action]
    with form_errors(form) as outcome:
        run()
    flash(message if outcome.ok else outcome.error.message, "success" if outcome.ok else "error")
    back = request.form.get("next")
    if back == "mine":
        return redirect(url_for("meetups.my_commitments"))
    return redirect(
        url_for("meetups.project_commitments", project_id=commitment.project_id)
        if policies.can_see_project_commitments(current_user, commitment.project)
        else url_for("meetups.my_commitments")
    )


def _day(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time.min, PARIS)
    except ValueError:
        abort(400)


@bp.route("/soutiens/export.csv")
@login_required
def export_commitments():
    if not policies.can_export_commitments(current_user):
        abort(403)
    start, last = _day(request.args.get("debut")), _day(request.args.get("fin"))
    state = request.args.get("etat") or None
    if state is not None and state not in COMMITMENT_STATES:
        abort(400)
    end = last + timedelta(days=1) if last else None
    body = services.export_csv(start, end, state=state)
    return csv_download(body, "soutiens.csv")
