"""Applications, votes and minutes."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.funding.clubs import applications, bp, labels, policies, votes
from tremplin.funding.clubs.forms import ApplicationForm, BallotForm, VoteForm
from tremplin.funding.clubs.models import (
    MEMBER_ACTIVE,
    ON_APPLICATION,
    ON_ROLE,
    SUBMITTED,
    ClubApplication,
    ClubElector,
    ClubInvestment,
    ClubMembership,
    ClubMinutes,
    ClubVote,
)
from tremplin.funding.clubs.routes import club_context, load_club, member_club
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm

# --- applications ----------------------------------------------------------------------------


def _application_form(form: ApplicationForm):
    from tremplin.members import projects_of

    form.project_id.choices = [(p.id, p.title) for p in projects_of(current_user)]
    return form


@bp.route("/clubs/<int:club_id>/candidater", methods=["GET", "POST"])
@login_required
def apply(club_id: int):
    from tremplin.members import get_project

    club = load_club(club_id)
    if not policies.can_view_club_card(current_user, club):
        abort(404)
    if not policies.can_apply(current_user, club):
        abort(403)
    form = _application_form(ApplicationForm())
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            with form_errors(form) as outcome:
                application = applications.submit(
                    club,
                    current_user,
                    get_project(form.project_id.data),
                    applications.ApplicationFields(
                        amount_cents=form.amount.cents,
                        instrument=form.instrument.data,
                        plan=form.plan.data,
                    ),
                    files=request.files.getlist(form.documents.name),
                )
            if outcome.ok:
                flash(
                    _(
                        "Candidature envoyée au club « %(club)s ». Ses membres vont l’étudier "
                        "et voter.",
                        club=club.name,
                    ),
                    "success",
                )
                return redirect(
                    url_for("clubs.application", club_id=club.id, application_id=application.id)
                )
        status = 400
    return render_template("funding/clubs/apply.html", club=club, form=form, labels=labels), status


def load_application(club, application_id: int) -> ClubApplication:
    return db.first_or_404(
        select(ClubApplication)
        .where(ClubApplication.id == application_id, ClubApplication.club_id == club.id)
        .options(
            joinedload(ClubApplication.project),
            joinedload(ClubApplication.submitted_by),
            selectinload(ClubApplication.documents),
        )
    )


@bp.route("/clubs/<int:club_id>/candidatures", endpoint="applications")
@login_required
def applications_page(club_id: int):
    club = member_club(club_id)
    return render_template(
        "funding/clubs/applications.html",
        **club_context(club, items=applications.applications_of(club)),
    )


@bp.route("/clubs/<int:club_id>/candidatures/<int:application_id>", methods=["GET", "POST"])
@login_required
def application(club_id: int, application_id: int):
    club = load_club(club_id)
    item = load_application(club, application_id)
    if not policies.can_view_application(current_user, item):
        abort(404)
    is_member = policies.is_club_member(current_user, club)
    if request.method == "POST":  # withdrawing, by the applicant
        if not policies.can_withdraw_application(current_user, item):
            abort(403)
        form = EmptyForm()
        if form.validate_on_submit():
            with form_errors(form) as outcome:
                applications.withdraw(item, current_user)
            flash(
                _("Candidature retirée.") if outcome.ok else outcome.error.message,
                "info" if outcome.ok else "error",
            )
        return redirect(url_for("clubs.application", club_id=club.id, application_id=item.id))
    item_votes = []
    investment = None
    if is_member:
        votes.close_due_votes(club)
        item_votes = db.session.scalars(
            select(ClubVote)
            .where(ClubVote.application_id == item.id)
            .order_by(ClubVote.opens_at.desc())
        ).all()
        investment = db.session.scalar(
            select(ClubInvestment).where(ClubInvestment.application_id == item.id)
        )
    context = (
        club_context(club)
        if is_member
        else {"club": club, "me": None, "labels": labels, "policies": policies, "members": []}
    )
    return render_template(
        "funding/clubs/application.html",
        **context,
        item=item,
        is_member=is_member,
        item_votes=item_votes,
        investment=investment,
        action_form=EmptyForm(),
        can_withdraw=policies.can_withdraw_application(current_user, item),
    )


# --- votes -----------------------------------------------------------------------------------


@bp.route("/clubs/<int:club_id>/votes", endpoint="votes")
@login_required
def votes_page(club_id: int):
    club = member_club(club_id)
    votes.close_due_votes(club)
    minutes = db.session.scalars(
        select(ClubMinutes)
        .where(ClubMinutes.club_id == club.id)
        .order_by(ClubMinutes.number.desc())
    ).all()
    return render_template(
        "funding/clubs/votes.html",
        **club_context(
            club,
            items=votes.votes_of(club),
            minutes=minutes,
            has_voted=votes.has_voted,
            can_open=policies.can_open_vote(current_user, club),
        ),
    )


def _vote_form(club, form: VoteForm):
    form.application_id.choices = [(0, _("—"))] + [
        (a.id, f"{a.project.title} — {labels.INSTRUMENTS[a.instrument]}")
        for a in applications.applications_of(club)
        if a.state == SUBMITTED
    ]
    form.candidate_id.choices = [(0, _("—"))] + [
        (m.id, m.user.public_name) for m in club.memberships if m.state == MEMBER_ACTIVE
    ]
    return form


@bp.route("/clubs/<int:club_id>/votes/nouveau", methods=["GET", "POST"])
@login_required
def new_vote(club_id: int):
    club = member_club(club_id)
    if not policies.can_open_vote(current_user, club):
        abort(403)
    form = _vote_form(club, VoteForm())
    if request.method == "GET" and request.args.get("candidature", type=int):
        form.kind.data, form.application_id.data = (
            ON_APPLICATION,
            request.args.get("candidature", type=int),
        )
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            application = (
                db.session.get(ClubApplication, form.application_id.data)
                if form.kind.data == ON_APPLICATION and form.application_id.data
                else None
            )
            candidate = (
                db.session.get(ClubMembership, form.candidate_id.data)
                if form.kind.data == ON_ROLE and form.candidate_id.data
                else None
            )
            with form_errors(form) as outcome:
                vote = votes.open_vote(
                    club,
                    current_user,
                    votes.VoteFields(
                        kind=form.kind.data,
                        title=form.title.data,
                        motion=form.motion.data,
                        application=application,
                        role=form.role.data,
                        candidate_membership=candidate,
                    ),
                )
            if outcome.ok:
                flash(
                    _(
                        "Le vote est ouvert jusqu’au %(date)s. Les membres sont prévenus.",
                        date=_when(vote.closes_at),
                    ),
                    "success",
                )
                return redirect(url_for("clubs.vote", club_id=club.id, vote_id=vote.id))
        status = 400
    return render_template("funding/clubs/vote_form.html", **club_context(club, form=form)), status


def load_vote(club, vote_id: int) -> ClubVote:
    return db.first_or_404(
        select(ClubVote)
        .where(ClubVote.id == vote_id, ClubVote.club_id == club.id)
        .options(
            selectinload(ClubVote.electors).joinedload(ClubElector.user),
            joinedload(ClubVote.application).joinedload(ClubApplication.project),
            joinedload(ClubVote.candidate),
            joinedload(ClubVote.opened_by),
        )
    )


def _vote_page(club, vote, form=None, status=200):
    minutes = db.session.scalar(select(ClubMinutes).where(ClubMinutes.vote_id == vote.id))
    return render_template(
        "funding/clubs/vote.html",
        **club_context(
            club,
            vote=vote,
            form=form or BallotForm(),
            minutes=minutes,
            can_vote=policies.can_vote(current_user, vote),
            voted=votes.has_voted(vote, current_user),
            turnout=votes.turnout(vote),
            conflicted=votes.stands_aside(current_user, vote),
        ),
    ), status


@bp.route("/clubs/<int:club_id>/votes/<int:vote_id>", methods=["GET", "POST"])
@login_required
def vote(club_id: int, vote_id: int):
    club = member_club(club_id)
    item = load_vote(club, vote_id)
    if request.method == "GET":
        if votes.close_vote(item):
            item = load_vote(club, vote_id)
        return _vote_page(club, item)
    form = BallotForm()
    if form.validate_on_submit():
        with form_errors(form, field="choice") as outcome:
            votes.cast(item, current_user, form.choice.data)
        if outcome.ok:
            flash(_("Votre vote est enregistré. Merci !"), "success")
            votes.close_vote(item)  # everyone has voted: the result is known at once
            return redirect(url_for("clubs.vote", club_id=club.id, vote_id=item.id))
    return _vote_page(club, load_vote(club, vote_id), form, 400)


@bp.route("/clubs/<int:club_id>/proces-verbaux/<int:number>")
@login_required
def minutes(club_id: int, number: int):
    club = member_club(club_id)
    item = db.first_or_404(
        select(ClubMinutes).where(ClubMinutes.club_id == club.id, ClubMinutes.number == number)
    )
    return render_template("funding/clubs/minutes.html", **club_context(club, minutes=item))


def _when(value) -> str:
    from tremplin.platform.templating import local_datetime

    return local_datetime(value)
