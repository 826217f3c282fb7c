"""The door: a phone-friendly page for organisers — search by name, one click per person,
walk-ins added on the spot. Answers JSON to the page's script, HTML without it."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tremplin.meetups import bp, policies
from tremplin.meetups import checkin as services
from tremplin.meetups.forms import CheckInForm, WalkInForm
from tremplin.meetups.models import Registration
from tremplin.meetups.registrations import counts_for
from tremplin.meetups.routes import managed_meetup, wants_json
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm


def _counts_payload(meetup) -> dict:
    counts = counts_for([meetup.id])[meetup.id]
    return {"present": counts.checked_in, "expected": counts.confirmed}


@bp.route("/rencontres/<int:meetup_id>/accueil")
@login_required
def checkin_page(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    query = (request.args.get("q") or "").strip()[:80]
    everyone = services.door_list(meetup)
    shown = services.search(everyone, query)
    walk_in = WalkInForm(formdata=None, name=query if query and not shown else "")
    return render_template(
        "meetups/checkin.html",
        meetup=meetup,
        registrations=shown,
        total=len(everyone),
        query=query,
        counts=counts_for([meetup.id])[meetup.id],
        walk_in_form=walk_in,
        form=CheckInForm(formdata=None),
        empty_form=EmptyForm(formdata=None),
        door_open=policies.can_check_in(current_user, meetup),
        fold=services.fold,
    )


def _registration(meetup, registration_id: int) -> Registration:
    registration = db.get_or_404(Registration, registration_id)
    if registration.meetup_id != meetup.id:
        abort(404)
    return registration


def _answer(meetup, ok: bool, message: str, registration=None, *, offer_walk_in=False):
    if wants_json():
        payload = {"ok": ok, "message": message, **_counts_payload(meetup)}
        if registration is not None:
            payload.update(
                id=registration.id,
                checked_in=registration.checked_in_at is not None,
                guests=registration.guests_checked_in,
            )
        if offer_walk_in:
            payload["walk_in"] = True
        return jsonify(payload), (200 if ok else 409)
    flash(message, "success" if ok else "error")
    args = {"meetup_id": meetup.id}
    if offer_walk_in and registration is not None:
        args["q"] = registration.display_name
    return redirect(
        url_for(
            "meetups.checkin_page",
            **args,
            _anchor=f"r{registration.id}" if registration and ok else None,
        )
    )


@bp.route("/rencontres/<int:meetup_id>/accueil/<int:registration_id>", methods=["POST"])
@login_required
def check_in(meetup_id: int, registration_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    registration = _registration(meetup, registration_id)
    form = CheckInForm()
    if not form.validate_on_submit():
        return _answer(meetup, False, _("Le formulaire a expiré : rechargez la page."))
    with form_errors(form) as outcome:
        services.check_in(current_user, registration, form.guests.data)
    if outcome.ok:
        return _answer(
            meetup, True, _("%(name)s est arrivé·e.", name=registration.display_name), registration
        )
    return _answer(
        meetup,
        False,
        outcome.error.message,
        registration,
        offer_walk_in=isinstance(outcome.error, services.NotRegistered),
    )


@bp.route("/rencontres/<int:meetup_id>/accueil/<int:registration_id>/annuler", methods=["POST"])
@login_required
def undo_check_in(meetup_id: int, registration_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    registration = _registration(meetup, registration_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        return _answer(meetup, False, _("Le formulaire a expiré : rechargez la page."))
    with form_errors(form) as outcome:
        services.undo_check_in(current_user, registration)
    if outcome.ok:
        return _answer(
            meetup,
            True,
            _("Pointage de %(name)s annulé.", name=registration.display_name),
            registration,
        )
    return _answer(meetup, False, outcome.error.message, registration)


@bp.route("/rencontres/<int:meetup_id>/accueil/sur-place", methods=["POST"])
@login_required
def walk_in(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    form = WalkInForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            registration, existing = services.add_walk_in(
                current_user,
                meetup,
                name=form.name.data or "",
                email=form.email.data,
                guests=form.guests.data or 0,
            )
        if outcome.ok:
            message = (
                _("%(name)s était inscrit·e : pointé·e.", name=registration.display_name)
                if existing
                else _(
                    "%(name)s est ajouté·e sur place et pointé·e.", name=registration.display_name
                )
            )
            return _answer(meetup, True, message, registration)
    errors = [str(e) for f in form for e in f.errors] + [str(e) for e in form.form_errors]
    if wants_json():
        return jsonify({"ok": False, "message": " ".join(errors)}), 400
    counts = counts_for([meetup.id])[meetup.id]
    everyone = services.door_list(meetup)
    return render_template(
        "meetups/checkin.html",
        meetup=meetup,
        registrations=everyone,
        total=len(everyone),
        query="",
        counts=counts,
        walk_in_form=form,
        form=CheckInForm(formdata=None),
        empty_form=EmptyForm(formdata=None),
        door_open=policies.can_check_in(current_user, meetup),
        fold=services.fold,
    ), 400
