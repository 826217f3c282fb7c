"""Registering: a member's RSVP and guests, a visitor's registration and its e-mailed
links (confirm, manage, cancel), and the member's calendar feed."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tremplin.meetups import bp, ics, policies
from tremplin.meetups import registrations as services
from tremplin.meetups.commitments import for_registration
from tremplin.meetups.forms import GuestsForm, RSVPForm, VisitorRegistrationForm
from tremplin.meetups.models import CONFIRMED, WAITING
from tremplin.meetups.notices import CONFIRM_MAX_AGE, current_locale, registration_token
from tremplin.meetups.routes import viewable_meetup
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import limiter
from tremplin.platform.forms import EmptyForm
from tremplin.platform.notifications import absolute_url


def _back(meetup, anchor="inscription"):
    return redirect(url_for("meetups.meetup", meetup_id=meetup.id, _anchor=anchor))


def _flash_errors(form, outcome=None):
    errors = [str(e) for f in form for e in f.errors] + [str(e) for e in form.form_errors]
    if outcome is not None and outcome.error is not None and not errors:
        errors = [outcome.error.message]
    flash(" ".join(errors) or _("Vérifiez le formulaire."), "error")


@bp.route("/rencontres/<int:meetup_id>/inscription", methods=["POST"])
@login_required
def rsvp(meetup_id: int):
    meetup = viewable_meetup(meetup_id, current_user)
    form = RSVPForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            registration = services.register_member(current_user, meetup, form.guests.data or 0)
        if outcome.ok:
            if registration.status == CONFIRMED:
                flash(_("C’est noté : vous êtes inscrit·e. À bientôt !"), "success")
            else:
                flash(
                    _(
                        "La rencontre est complète : vous êtes sur la liste d’attente. Vous "
                        "serez inscrit·e automatiquement si une place se libère."
                    ),
                    "warning",
                )
            return _back(meetup)
    _flash_errors(form)
    return _back(meetup)


@bp.route("/rencontres/<int:meetup_id>/desinscription", methods=["POST"])
@login_required
def unregister(meetup_id: int):
    meetup = viewable_meetup(meetup_id, current_user)
    registration = services.find_registration(meetup, current_user)
    if registration is None:
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.cancel_registration(registration, current_user)
        if outcome.ok:
            flash(_("Votre inscription est annulée. Merci d’avoir libéré votre place."), "success")
        else:
            flash(outcome.error.message, "error")
    return _back(meetup)


@bp.route("/rencontres/<int:meetup_id>/accompagnants", methods=["POST"])
@login_required
def change_guests(meetup_id: int):
    meetup = viewable_meetup(meetup_id, current_user)
    registration = services.find_registration(meetup, current_user)
    if registration is None:
        abort(404)
    form = GuestsForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.change_guests(registration, form.guests.data or 0)
        if outcome.ok:
            flash(_("Nombre d’accompagnants mis à jour."), "success")
            return _back(meetup)
    _flash_errors(form)
    return _back(meetup)


def _visitor_limit():
    return current_app.config.get("MEETUPS_VISITOR_RATELIMIT", "10 per minute; 60 per hour")


@bp.route("/rencontres/<int:meetup_id>/inscription-sans-compte", methods=["GET", "POST"])
@limiter.limit(_visitor_limit, methods=["POST"], error_message="rate-limited")
def register_visitor(meetup_id: int):
    meetup = viewable_meetup(meetup_id, current_user)
    if not policies.can_register_as_visitor(meetup):
        abort(403)
    form = VisitorRegistrationForm()
    if form.validate_on_submit():
        if form.website.data:  # a robot filled the hidden field: pretend all went well
            return render_template(
                "meetups/visitor_check_email.html", meetup=meetup, email=form.email.data
            )
        with form_errors(form) as outcome:
            services.register_visitor(
                meetup,
                name=form.name.data,
                email=form.email.data,
                guests=form.guests.data or 0,
                locale=current_locale(),
            )
        if outcome.ok:
            return render_template(
                "meetups/visitor_check_email.html",
                meetup=meetup,
                email=form.email.data.strip().lower(),
            )
    return render_template("meetups/visitor_register.html", meetup=meetup, form=form)


@bp.route("/rencontres/inscription/confirmer/<token>")
def confirm_registration(token: str):
    result = services.registration_from_token(token, max_age=CONFIRM_MAX_AGE)
    if result.status != "ok":
        return render_template(
            "meetups/link_problem.html",
            status=result.status,
            meetup=result.registration.meetup if result.registration else None,
        ), 400 if result.status == "invalid" else 200
    registration = result.registration
    form = EmptyForm()
    with form_errors(form) as outcome:
        services.confirm_visitor(registration)
    if not outcome.ok:
        flash(outcome.error.message, "error")
    return redirect(url_for("meetups.manage_registration", token=registration_token(registration)))


def _registration_for(token: str):
    result = services.registration_from_token(token)
    if result.status != "ok":
        return None, result
    return result.registration, result


@bp.route("/rencontres/inscription/<token>")
def manage_registration(token: str):
    registration, result = _registration_for(token)
    if registration is None:
        return render_template(
            "meetups/link_problem.html", status=result.status, meetup=None
        ), 400 if result.status == "invalid" else 200
    meetup = registration.meetup
    projects = [link.project for link in meetup.presented]
    return render_template(
        "meetups/registration.html",
        registration=registration,
        meetup=meetup,
        token=token,
        projects=projects,
        commitments=for_registration(registration),
        can_commit=policies.can_commit_as_visitor(registration) and meetup.state != "cancelled",
        form=EmptyForm(formdata=None),
        waiting=registration.status == WAITING,
    )


@bp.route("/rencontres/inscription/<token>/annuler", methods=["POST"])
def cancel_by_link(token: str):
    registration, result = _registration_for(token)
    if registration is None:
        abort(400)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.cancel_registration(registration)
        if outcome.ok:
            flash(_("Votre inscription est annulée. Merci d’avoir libéré votre place."), "success")
        else:
            flash(outcome.error.message, "error")
    return redirect(url_for("meetups.manage_registration", token=token))


# --- the member's calendar ---------------------------------------------------------------


@bp.route("/rencontres/mon-agenda")
@login_required
def my_calendar():
    feed = ics.feed_for(current_user)
    url = absolute_url(url_for("meetups.calendar_feed", token=feed.token))
    return render_template("meetups/calendar.html", feed_url=url, form=EmptyForm(formdata=None))


@bp.route("/rencontres/mon-agenda/nouvelle-adresse", methods=["POST"])
@login_required
def rotate_calendar():
    if EmptyForm().validate_on_submit():
        ics.rotate_feed(current_user)
        flash(_("Nouvelle adresse créée : l’ancienne ne fonctionne plus."), "success")
    return redirect(url_for("meetups.my_calendar"))


@bp.route("/rencontres/agenda/<token>.ics")
@limiter.exempt
def calendar_feed(token: str):
    user = ics.user_for_feed(token)
    if user is None:
        abort(404)
    return Response(
        ics.feed_ics(user),
        mimetype="text/calendar",
        headers={"Cache-Control": "private, max-age=900"},
    )
