"""Stripe Connect onboarding from the campaign settings: the button creates (once) the
project's connected account and sends the team to Stripe's hosted onboarding; Stripe sends
them back to `retour` (we then ask Stripe whether the account takes charges) or, when the
link expired, to `relancer` (a fresh link)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tremplin.funding import bp, connect, payments, policies
from tremplin.funding.manage_routes import _project_or_404
from tremplin.platform.forms import EmptyForm


def _link(project):
    row = connect.project_row(project.id)
    return connect.start_onboarding(
        row,
        "project",
        name=project.title,
        email=getattr(current_user, "email", None),
        refresh_url=url_for("funding.connect_refresh", project_id=project.id, _external=True),
        return_url=url_for("funding.connect_return", project_id=project.id, _external=True),
    )


def _settings_url(project) -> str:
    return url_for("funding.settings", project_id=project.id, _anchor="stripe")


@bp.route("/projets/<int:project_id>/collectes/reglages/stripe", methods=["POST"])
@login_required
def connect_start(project_id: int):
    project = _project_or_404(project_id)
    if not policies.can_edit_settings(current_user, project):
        abort(403)
    if not EmptyForm().validate_on_submit() or not payments.is_enabled():
        abort(400)
    try:
        url = _link(project)
    except payments.ProcessorUnavailable:
        flash(_("Le service de paiement ne répond pas : réessayez dans un instant."), "error")
        return redirect(_settings_url(project))
    return redirect(url, 303)


@bp.route("/projets/<int:project_id>/collectes/reglages/stripe/relancer")
@login_required
def connect_refresh(project_id: int):
    project = _project_or_404(project_id)
    if not policies.can_edit_settings(current_user, project):
        abort(403)
    try:
        return redirect(_link(project), 303)
    except payments.ProcessorUnavailable:
        flash(_("Le service de paiement ne répond pas : réessayez dans un instant."), "error")
        return redirect(_settings_url(project))


@bp.route("/projets/<int:project_id>/collectes/reglages/stripe/retour")
@login_required
def connect_return(project_id: int):
    project = _project_or_404(project_id)
    if not policies.can_edit_settings(current_user, project):
        abort(403)
    try:
        enabled = connect.refresh_status(connect.project_row(project.id))
    except payments.ProcessorUnavailable:
        flash(_("Le service de paiement ne répond pas : réessayez dans un instant."), "error")
        return redirect(_settings_url(project))
    if enabled:
        flash(_("Compte Stripe prêt : vos prochaines collectes acceptent la carte."), "success")
    else:
        flash(
            _(
                "Stripe n’a pas encore activé les paiements sur votre compte : terminez "
                "l’inscription, ou vos collectes fonctionnent par promesses et virements."
            ),
            "info",
        )
    return redirect(_settings_url(project))
