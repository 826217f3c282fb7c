"""The tutoring certificate (printable page and PDF) and the organisers' follow-up page:
porteurs waiting, mentor load, quiet pairings and their reminder, hours per period."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tremplin.mentoring import bp, certificate, pairings, policies, reports, services
from tremplin.mentoring.forms import SettingsForm
from tremplin.mentoring.labels import PAIRING_STATE_LABELS
from tremplin.mentoring.models import LOAD_STATES, Pairing
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.models import User
from tremplin.platform.pdf import pdf_response

# --- certificate ----------------------------------------------------------------------


def _certificate_mentor(user_id: int | None) -> User:
    mentor = current_user if user_id is None else db.get_or_404(User, user_id)
    if user_id is not None and mentor.is_deleted:
        abort(404)
    if not policies.can_view_certificate(current_user, mentor):
        abort(403)
    return mentor


@bp.route("/parrainage/attestation")
@bp.route("/parrainage/parrains/<int:user_id>/attestation")
@login_required
def certificate_page(user_id: int | None = None):
    mentor = _certificate_mentor(user_id)
    cert = certificate.certificate_for(mentor)
    pdf_url = url_for("mentoring.certificate_pdf", user_id=user_id)
    return render_template(
        "mentoring/certificate.html",
        cert=cert,
        pdf_url=pdf_url,
        format_minutes=certificate.format_minutes,
        sessions_text=certificate.sessions_text,
    )


@bp.route("/parrainage/attestation.pdf")
@bp.route("/parrainage/parrains/<int:user_id>/attestation.pdf")
@login_required
def certificate_pdf(user_id: int | None = None):
    mentor = _certificate_mentor(user_id)
    cert = certificate.certificate_for(mentor)
    filename = f"attestation-tutorat-{cert.reference}.pdf"
    return pdf_response(certificate.render_pdf(cert), filename)


# --- organisers -----------------------------------------------------------------------


def _period_args() -> tuple[str, date, date]:
    period = request.args.get("periode", "month")
    if period not in reports.PERIODS:
        period = "month"
    today = services.paris_today()
    try:
        end = date.fromisoformat(request.args.get("au", "")) if request.args.get("au") else today
        start = (
            date.fromisoformat(request.args["du"])
            if request.args.get("du")
            else (end.replace(day=1) - timedelta(days=335)).replace(day=1)
        )
    except ValueError:
        start, end = (today.replace(day=1) - timedelta(days=335)).replace(day=1), today
    if (end - start).days > 366 * 5:  # five years at most in one table
        start = end - timedelta(days=366 * 5)
    return period, start, end


@bp.route("/parrainage/animation")
@login_required
def organisers():
    if not policies.can_view_organiser_page(current_user):
        abort(403)
    settings = services.get_settings()
    period, start, end = _period_args()
    page = max(request.args.get("page", 1, type=int), 1)
    loads, mentor_count = reports.mentor_loads(page=page)
    quiet = pairings.quiet_pairings(settings.quiet_after_weeks)
    open_pairings = db.session.scalars(
        select(Pairing)
        .where(Pairing.state.in_(LOAD_STATES))
        .options(joinedload(Pairing.mentor), joinedload(Pairing.porteur))
        .order_by(Pairing.started_on.desc(), Pairing.id.desc())
        .limit(200)
    ).all()
    numbers = pairings.figures([p.id for p in open_pairings] + [p.id for p in quiet])
    settings_form = SettingsForm(formdata=None, obj=settings)
    return render_template(
        "mentoring/organisers.html",
        totals=reports.totals(),
        waiting=reports.waiting_requests(),
        loads=loads,
        mentor_count=mentor_count,
        page=page,
        pages=max((mentor_count + 29) // 30, 1),
        quiet=quiet,
        open_pairings=open_pairings,
        numbers=numbers,
        figures=reports.figures_per_period(start, end, period),
        period=period,
        start=start,
        end=end,
        settings=settings,
        settings_form=settings_form,
        form=EmptyForm(),
        state_labels=PAIRING_STATE_LABELS,
        format_minutes=certificate.format_minutes,
    )


@bp.route("/parrainage/animation/reglages", methods=["POST"])
@login_required
def update_settings():
    if not policies.can_change_settings(current_user):
        abort(403)
    form = SettingsForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.update_settings(
                current_user,
                default_length_weeks=form.default_length_weeks.data,
                quiet_after_weeks=form.quiet_after_weeks.data,
                request_expiry_days=form.request_expiry_days.data,
            )
        if outcome.ok:
            flash(_("Réglages enregistrés."), "success")
            return redirect(url_for("mentoring.organisers") + "#reglages")
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return redirect(url_for("mentoring.organisers") + "#reglages")


@bp.route("/parrainage/animation/binomes/<int:pairing_id>/relancer", methods=["POST"])
@login_required
def remind(pairing_id: int):
    found = db.get_or_404(Pairing, pairing_id)
    if not policies.can_remind_pairing(current_user, found):
        abort(403)
    if EmptyForm().validate_on_submit():
        if pairings.remind_quiet(found.id, by=current_user):
            flash(
                _(
                    "Le binôme %(mentor)s – %(porteur)s a reçu un rappel.",
                    mentor=found.mentor.display_name,
                    porteur=found.porteur.display_name,
                ),
                "success",
            )
        else:
            flash(_("Ce binôme a déjà été relancé, ou n’est plus silencieux."), "info")
    return redirect(url_for("mentoring.organisers") + "#silencieux")
