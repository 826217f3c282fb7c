"""The club's bank details page: its RIB (a new IBAN confirmed by a second person once
savings exist) and its Stripe Connect account (onboarding link, return, refresh)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tremplin.funding import connect, payments
from tremplin.funding.clubs import bank as bank_services
from tremplin.funding.clubs import bp, policies
from tremplin.funding.clubs.forms import ClubBankForm
from tremplin.funding.clubs.routes import club_context, load_club, member_club
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.models import User


@bp.route("/clubs/<int:club_id>/banque", methods=["GET", "POST"])
@login_required
def bank(club_id: int):
    club = member_club(club_id)
    can_edit = policies.can_edit_bank_details(current_user, club)
    form = ClubBankForm(obj=club) if request.method == "GET" else ClubBankForm()
    status = 200
    if request.method == "POST":
        if not can_edit:
            abort(403)
        if form.validate_on_submit():
            with form_errors(form) as outcome:
                bank_services.update_bank_details(
                    club,
                    current_user,
                    account_holder=form.account_holder.data,
                    iban=form.iban.data,
                    bic=form.bic.data,
                )
            if outcome.ok:
                if club.pending_iban:
                    flash(
                        _(
                            "Le nouvel IBAN attend la confirmation d’une autre personne du "
                            "bureau du club ou d’un animateur : des membres épargnent déjà."
                        ),
                        "info",
                    )
                else:
                    flash(_("Coordonnées bancaires du club enregistrées."), "success")
                return redirect(url_for("clubs.bank", club_id=club.id))
        status = 400
    pending_by = db.session.get(User, club.pending_iban_by_id) if club.pending_iban_by_id else None
    return render_template(
        "funding/clubs/bank.html",
        **club_context(
            club,
            form=form,
            can_edit=can_edit,
            can_confirm=policies.can_confirm_bank_change(current_user, club),
            pending_by=pending_by,
            stripe_on=payments.is_enabled(),
            empty_form=EmptyForm(formdata=None),
        ),
    ), status


@bp.route("/clubs/<int:club_id>/banque/iban/<any(confirmer, annuler):what>", methods=["POST"])
@login_required
def bank_change(club_id: int, what: str):
    club = load_club(club_id)  # an organiser confirming is not a member
    if not policies.can_confirm_bank_change(current_user, club):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with form_errors() as outcome:
        if what == "confirmer":
            bank_services.confirm_iban_change(club, current_user)
        else:
            bank_services.cancel_iban_change(club, current_user)
    if outcome.ok:
        flash(
            _("Nouvel IBAN confirmé : les membres qui versent par virement sont prévenus.")
            if what == "confirmer"
            else _("Changement d’IBAN annulé."),
            "success",
        )
    else:
        flash(outcome.error.message, "error")
    return redirect(url_for("clubs.bank", club_id=club.id))


def _link(club) -> str:
    return connect.start_onboarding(
        club,
        "club",
        name=club.name,
        email=getattr(current_user, "email", None),
        refresh_url=url_for("clubs.connect_refresh", club_id=club.id, _external=True),
        return_url=url_for("clubs.connect_return", club_id=club.id, _external=True),
    )


def _editable(club_id: int):
    club = member_club(club_id)
    if not policies.can_edit_bank_details(current_user, club):
        abort(403)
    return club


def _unavailable() -> str:
    return _("Le service de paiement ne répond pas : réessayez dans un instant.")


@bp.route("/clubs/<int:club_id>/banque/stripe", methods=["POST"])
@login_required
def connect_start(club_id: int):
    club = _editable(club_id)
    if not EmptyForm().validate_on_submit() or not payments.is_enabled():
        abort(400)
    try:
        return redirect(_link(club), 303)
    except payments.ProcessorUnavailable:
        flash(_unavailable(), "error")
        return redirect(url_for("clubs.bank", club_id=club.id))


@bp.route("/clubs/<int:club_id>/banque/stripe/relancer")
@login_required
def connect_refresh(club_id: int):
    club = _editable(club_id)
    try:
        return redirect(_link(club), 303)
    except payments.ProcessorUnavailable:
        flash(_unavailable(), "error")
        return redirect(url_for("clubs.bank", club_id=club.id))


@bp.route("/clubs/<int:club_id>/banque/stripe/retour")
@login_required
def connect_return(club_id: int):
    club = _editable(club_id)
    try:
        enabled = connect.refresh_status(club)
    except payments.ProcessorUnavailable:
        flash(_unavailable(), "error")
        return redirect(url_for("clubs.bank", club_id=club.id))
    flash(
        _("Compte Stripe prêt : les membres peuvent épargner par carte.")
        if enabled
        else _("Stripe n’a pas encore activé les paiements : terminez l’inscription du club."),
        "success" if enabled else "info",
    )
    return redirect(url_for("clubs.bank", club_id=club.id))
