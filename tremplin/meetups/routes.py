"""Meetup pages: the list, one meetup, creating, editing, publishing, cancelling, speakers,
and the .ics file; and the loaders every meetups view starts with. Every view reads as the
lifecycle: load (404) → policy (403) → service → render/redirect. The other pages, by
concept, are in `<concept>_routes.py` beside this file."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tremplin.meetups import bp, ics, policies
from tremplin.meetups import meetups as services
from tremplin.meetups.commitments import rates_for
from tremplin.meetups.forms import (
    CancelMeetupForm,
    GuestsForm,
    MeetupForm,
    RSVPForm,
    SpeakerForm,
    VisitorRegistrationForm,
)
from tremplin.meetups.meetups import load_meetup
from tremplin.meetups.models import Meetup, Speaker
from tremplin.meetups.registrations import counts_for, find_registration
from tremplin.meetups.summary import agenda_actions, summary_for
from tremplin.members.models import Project
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm


def meetup_or_404(meetup_id: int, *, full: bool = False) -> Meetup:
    if full:
        meetup = load_meetup(meetup_id)
    else:
        meetup = db.session.scalar(
            select(Meetup)
            .where(Meetup.id == meetup_id)
            .options(selectinload(Meetup.group), selectinload(Meetup.presented))
        )
    if meetup is None:
        abort(404)
    return meetup


def viewable_meetup(meetup_id: int, user, *, full: bool = False) -> Meetup:
    meetup = meetup_or_404(meetup_id, full=full)
    if not policies.can_view_meetup(user, meetup):
        abort(404 if meetup.state == "draft" else 403)
    return meetup


def managed_meetup(meetup_id: int, user, *, full: bool = False) -> Meetup:
    meetup = meetup_or_404(meetup_id, full=full)
    if not policies.can_manage_meetup(user, meetup):
        abort(403)
    return meetup


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


@bp.route("/rencontres")
def index():
    group_id = request.args.get("groupe", type=int)
    upcoming = services.upcoming_meetups(current_user, limit=None, group_id=group_id)
    page = db.paginate(
        services.past_meetups_stmt(current_user, group_id=group_id), per_page=10, max_per_page=50
    )
    shown = [m.id for m in upcoming] + [m.id for m in page.items]
    drafts = services.drafts_for(current_user)
    mine = {}
    if current_user.is_authenticated and upcoming:
        from tremplin.meetups.models import Registration

        mine = dict(
            db.session.execute(
                select(Registration.meetup_id, Registration.status).where(
                    Registration.user_id == current_user.id,
                    Registration.meetup_id.in_([m.id for m in upcoming]),
                )
            ).all()
        )
    return render_template(
        "meetups/index.html",
        upcoming=upcoming,
        page=page,
        drafts=drafts,
        mine=mine,
        counts=counts_for(shown),
        rates=rates_for([m.id for m in page.items]),
        can_create=policies.can_create_meetup(current_user)
        or bool(services.organised_groups(current_user)),
    )


@bp.route("/rencontres/<int:meetup_id>")
def meetup(meetup_id: int):
    meetup = viewable_meetup(meetup_id, current_user, full=True)
    registration = find_registration(meetup, current_user)
    can_manage = policies.can_manage_meetup(current_user, meetup)
    counts = counts_for([meetup.id])[meetup.id]
    projects = [link.project for link in meetup.presented]
    is_team = any(policies.is_team_member(current_user, p) for p in projects)
    rate = (
        rates_for([meetup.id])[meetup.id]
        if (can_manage or is_team or meetup.tables_closed_at)
        else None
    )
    summary = summary_for(current_user, meetup, registration, projects)
    return render_template(
        "meetups/meetup.html",
        meetup=meetup,
        registration=registration,
        counts=counts,
        rate=rate,
        can_manage=can_manage,
        projects=projects,
        open_for_registration=policies.is_open_for_registration(meetup),
        can_register=policies.can_register(current_user, meetup),
        visitor_allowed=policies.can_register_as_visitor(meetup),
        can_check_in=policies.can_check_in(current_user, meetup),
        can_see_proposals=policies.can_see_proposals(current_user, meetup, projects),
        can_commit={p.id: policies.can_commit_support(current_user, p) for p in projects},
        rsvp_form=RSVPForm(formdata=None),
        guests_form=GuestsForm(formdata=None, guests=registration.guests if registration else 0),
        visitor_form=VisitorRegistrationForm(formdata=None),
        form=EmptyForm(formdata=None),
        speaker_form=SpeakerForm(formdata=None),
        schedule=services.schedule(meetup),
        has_started=policies.has_started(meetup),
        is_team=is_team,
        summary=summary,
        agenda_actions=agenda_actions(current_user, meetup, registration, can_manage),
        can_send_survey=policies.can_send_survey(current_user, meetup),
    )


def _group_choices(form: MeetupForm, *, allow_global: bool):
    groups = services.organised_groups(current_user)
    choices = [(0, _("Tout le réseau"))] if allow_global else []
    form.group_id.choices = choices + [(g.id, g.name) for g in groups]
    return {g.id: g for g in groups}


def _project_choices(form: MeetupForm) -> None:
    form.projects.choices = [
        (pid, title)
        for pid, title in db.session.execute(
            select(Project.id, Project.title).order_by(Project.title)
        )
    ]


def _details(form: MeetupForm) -> services.MeetupDetails:
    return services.MeetupDetails(
        title=form.title.data or "",
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        description=form.description.data or "",
        venue_name=form.venue_name.data,
        address=form.address.data,
        online_url=form.online_url.data,
        capacity=form.capacity.data,
        theme=form.theme.data or None,
        departement=form.departement.data or None,
        table_minutes=form.table_minutes.data or 20,
    )


@bp.route("/rencontres/nouvelle", methods=["GET", "POST"])
@login_required
def new_meetup():
    allow_global = policies.can_create_meetup(current_user)
    form = MeetupForm()
    groups = _group_choices(form, allow_global=allow_global)
    if not allow_global and not groups:
        abort(403)
    _project_choices(form)
    if request.method == "GET":
        wanted = request.args.get("groupe", type=int)
        if wanted in groups:
            form.group_id.data = wanted
        elif not allow_global:
            form.group_id.data = next(iter(groups))
    if form.validate_on_submit():
        group = groups.get(form.group_id.data)
        with form_errors(form) as outcome:
            agenda = services.parse_agenda(form.agenda.data)
            meetup = services.create_meetup(
                current_user,
                _details(form),
                group=group,
                programme=services.MeetupProgramme(agenda=agenda, project_ids=form.projects.data),
                publish="publish" in request.form,
            )
        if outcome.ok:
            if meetup.state == "published":
                flash(_("La rencontre est publiée : les inscriptions sont ouvertes."), "success")
            else:
                flash(
                    _("Brouillon enregistré : ajoutez les intervenants, puis publiez."), "success"
                )
            return redirect(url_for("meetups.meetup", meetup_id=meetup.id))
    return render_template("meetups/meetup_form.html", form=form, meetup=None)


@bp.route("/rencontres/<int:meetup_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_meetup(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user, full=True)
    form = MeetupForm(obj=meetup) if request.method == "GET" else MeetupForm()
    form.group_id.choices = [
        (meetup.group_id or 0, meetup.group.name if meetup.group else _("Tout le réseau"))
    ]
    _project_choices(form)
    if request.method == "GET":
        form.group_id.data = meetup.group_id or 0
        form.starts_at.data = services.in_paris(meetup.starts_at).replace(tzinfo=None)
        form.ends_at.data = services.in_paris(meetup.ends_at).replace(tzinfo=None)
        form.agenda.data = services.agenda_text(meetup)
        form.projects.data = [link.project_id for link in meetup.presented]
        form.theme.data = meetup.theme or ""
        form.departement.data = meetup.departement or ""
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            agenda = services.parse_agenda(form.agenda.data)
            told = services.update_meetup(
                current_user,
                meetup,
                _details(form),
                programme=services.MeetupProgramme(agenda=agenda, project_ids=form.projects.data),
            )
        if outcome.ok:
            flash(
                _("Rencontre mise à jour ; les inscrits ont été prévenus du changement.")
                if told
                else _("Rencontre mise à jour."),
                "success",
            )
            return redirect(url_for("meetups.meetup", meetup_id=meetup.id))
    return render_template("meetups/meetup_form.html", form=form, meetup=meetup)


@bp.route("/rencontres/<int:meetup_id>/publier", methods=["POST"])
@login_required
def publish(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.publish_meetup(current_user, meetup)
        if outcome.ok:
            flash(_("La rencontre est publiée : les inscriptions sont ouvertes."), "success")
        else:
            flash(outcome.error.message, "error")
    return redirect(url_for("meetups.meetup", meetup_id=meetup.id))


@bp.route("/rencontres/<int:meetup_id>/annuler", methods=["GET", "POST"])
@login_required
def cancel(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    form = CancelMeetupForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            told = services.cancel_meetup(current_user, meetup, form.reason.data or "")
        if outcome.ok:
            flash(_("La rencontre est annulée ; %(n)d inscrit(s) prévenu(s).", n=told), "success")
            return redirect(url_for("meetups.meetup", meetup_id=meetup.id))
    counts = counts_for([meetup.id])[meetup.id]
    return render_template("meetups/cancel.html", meetup=meetup, form=form, counts=counts)


@bp.route("/rencontres/<int:meetup_id>/intervenants", methods=["POST"])
@login_required
def add_speaker(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user, full=True)
    form = SpeakerForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.add_speaker(
                current_user,
                meetup,
                name=form.name.data or "",
                organisation=form.organisation.data or "",
                offer=form.offer.data or "",
                member_email=form.member_email.data or "",
            )
        if outcome.ok:
            flash(_("Intervenant ajouté."), "success")
            return redirect(url_for("meetups.meetup", meetup_id=meetup.id, _anchor="intervenants"))
    errors = [e for f in form for e in f.errors] + list(form.form_errors)
    flash(" ".join(map(str, errors)) or _("Vérifiez le formulaire."), "error")
    return redirect(url_for("meetups.meetup", meetup_id=meetup.id, _anchor="intervenants"))


@bp.route("/rencontres/<int:meetup_id>/intervenants/<int:speaker_id>/retirer", methods=["POST"])
@login_required
def remove_speaker(meetup_id: int, speaker_id: int):
    speaker = db.get_or_404(Speaker, speaker_id)
    if speaker.meetup_id != meetup_id:
        abort(404)
    if not policies.can_manage_meetup(current_user, speaker.meetup):
        abort(403)
    if EmptyForm().validate_on_submit():
        services.remove_speaker(current_user, speaker)
        flash(_("Intervenant retiré."), "success")
    return redirect(url_for("meetups.meetup", meetup_id=meetup_id, _anchor="intervenants"))


@bp.route("/rencontres/<int:meetup_id>.ics")
def meetup_ics(meetup_id: int):
    meetup = meetup_or_404(meetup_id)
    if meetup.state == "draft" or not policies.can_view_meetup(current_user, meetup):
        abort(404)
    return Response(
        ics.meetup_ics(meetup),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="rencontre-{meetup.id}.ics"'},
    )
