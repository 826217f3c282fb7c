"""The team's views: create and edit a campaign and its rewards, open it, follow pledges,
record transfers received, refund, post updates, close; the project's funding settings.
Load (404) → policy (403) → service → render/redirect."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.funding import (
    bookkeeping,
    bp,
    campaigns,
    ledger,
    payments,
    policies,
    project_settings,
    reconcile,
    refunds,
)
from tremplin.funding import pledges as pledge_services
from tremplin.funding.forms import (
    CampaignForm,
    CampaignTextForm,
    RefundForm,
    RewardForm,
    SettingsForm,
    TransferForm,
    UpdateForm,
)
from tremplin.funding.models import DRAFT, OPEN, REFUND_PENDING, Campaign, Pledge
from tremplin.funding.routes import load_campaign, load_pledge
from tremplin.platform import idempotency
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.models import User
from tremplin.platform.templating import euros
from tremplin.platform.types import utcnow


def _project_or_404(project_id: int):
    from tremplin.members import get_project

    project = get_project(project_id)
    if project is None:
        abort(404)
    return project


def _managed(campaign_id: int) -> Campaign:
    campaign = load_campaign(campaign_id)
    if not policies.can_manage_campaign(current_user, campaign):
        abort(403)
    return campaign


def _campaign_fields(form) -> campaigns.CampaignFields:
    text = {
        "title": form.title.data,
        "summary": form.summary.data,
        "description": form.description.data,
    }
    if not isinstance(form, CampaignForm):
        return campaigns.CampaignFields(**text)
    return campaigns.CampaignFields(
        **text,
        goal_cents=form.goal.data,
        rule=form.rule.data,
        threshold_cents=form.threshold.data if form.rule.data == "threshold" else None,
        deadline=form.deadline.data,
    )


@bp.route("/projets/<int:project_id>/collectes/nouvelle", methods=["GET", "POST"])
@login_required
def new_campaign(project_id: int):
    project = _project_or_404(project_id)
    if not policies.can_create_campaign(current_user, project):
        abort(403)
    form = CampaignForm()
    if request.method == "GET":
        form.deadline.data = campaigns.default_deadline_date()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            campaign = campaigns.create_campaign(project, current_user, _campaign_fields(form))
        if outcome.ok:
            flash(
                _(
                    "La collecte est créée, en préparation. Ajoutez des contreparties puis "
                    "ouvrez-la quand tout est prêt."
                ),
                "success",
            )
            return redirect(url_for("funding.manage", campaign_id=campaign.id))
    return render_template(
        "funding/campaign_form.html",
        form=form,
        project=project,
        campaign=None,
        settings=campaigns.settings_for(project.id),
    )


@bp.route("/collectes/<int:campaign_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_campaign(campaign_id: int):
    campaign = _managed(campaign_id)
    form_class = CampaignForm if campaign.status == DRAFT else CampaignTextForm
    form = form_class(obj=campaign) if request.method == "GET" else form_class()
    if request.method == "GET" and form_class is CampaignForm:
        form.goal.data, form.threshold.data = campaign.goal_cents, campaign.threshold_cents
        form.deadline.data = campaign.deadline_at.astimezone(campaigns.PARIS).date()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            campaigns.update_campaign(campaign, current_user, _campaign_fields(form))
        if outcome.ok:
            flash(_("La collecte est à jour."), "success")
            return redirect(url_for("funding.manage", campaign_id=campaign.id))
    return render_template(
        "funding/campaign_form.html",
        form=form,
        project=campaign.project,
        campaign=campaign,
        settings=campaigns.settings_for(campaign.project_id),
    )


@bp.route("/collectes/<int:campaign_id>/ouvrir", methods=["POST"])
@login_required
def open_campaign(campaign_id: int):
    campaign = _managed(campaign_id)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            campaigns.open_campaign(campaign, current_user)
        if outcome.ok:
            flash(_("La collecte est ouverte ! Partagez-la avec le réseau."), "success")
            return redirect(url_for("funding.campaign", campaign_id=campaign.id))
        flash(outcome.error.message, "error")
    return redirect(url_for("funding.manage", campaign_id=campaign.id))


@bp.route("/collectes/<int:campaign_id>/contreparties", methods=["POST"])
@login_required
def add_reward(campaign_id: int):
    campaign = _managed(campaign_id)
    form = RewardForm(prefix="reward")
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            campaigns.add_reward(
                campaign,
                current_user,
                campaigns.RewardFields(
                    title=form.title.data,
                    description=form.description.data,
                    min_amount_cents=form.min_amount.data,
                    quantity=form.quantity.data,
                    value_cents=form.value.data,
                ),
            )
        if outcome.ok:
            flash(_("Contrepartie ajoutée."), "success")
            return redirect(
                url_for("funding.manage", campaign_id=campaign.id, _anchor="contreparties")
            )
    return _render_manage(campaign, reward_form=form), 422


@bp.route("/collectes/<int:campaign_id>/contreparties/<int:reward_id>/retirer", methods=["POST"])
@login_required
def remove_reward(campaign_id: int, reward_id: int):
    campaign = _managed(campaign_id)
    reward = next((r for r in campaign.rewards if r.id == reward_id), None)
    if reward is None:
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            campaigns.remove_reward(reward, current_user)
        flash(
            _("Contrepartie retirée.") if outcome.ok else outcome.error.message,
            "success" if outcome.ok else "error",
        )
    return redirect(url_for("funding.manage", campaign_id=campaign.id, _anchor="contreparties"))


# --- following the campaign --------------------------------------------------------------------


def _render_manage(campaign: Campaign, **forms):
    pledges = db.session.scalars(
        select(Pledge)
        .where(Pledge.campaign_id == campaign.id)
        .options(
            joinedload(Pledge.backer), joinedload(Pledge.reward), selectinload(Pledge.transfers)
        )
        .order_by(Pledge.created_at.desc())
    ).all()
    statement = ledger.movements(bookkeeping.campaign_account(campaign.id), limit=50)
    context = {
        "campaign": campaign,
        "pledges": pledges,
        "totals": campaigns.totals([campaign.id])[campaign.id],
        "statement": statement,
        "balance": bookkeeping.campaign_balance(campaign.id),
        "settings": campaigns.settings_for(campaign.project_id),
        "can_manage": policies.can_manage_campaign(current_user, campaign),
        "reward_form": forms.get("reward_form") or RewardForm(prefix="reward", formdata=None),
        "update_form": forms.get("update_form") or UpdateForm(prefix="update", formdata=None),
        "transfer_form": TransferForm(
            prefix="transfer", formdata=None, data={"received_on": utcnow().date()}
        ),
        "refund_form": RefundForm(prefix="refund", formdata=None),
        "form": EmptyForm(formdata=None),
        "errors_for": forms.get("errors_for"),
        "differences": reconcile.campaign_differences(campaign.id, pledges),
    }
    return render_template("funding/manage.html", **context)


@bp.route("/collectes/<int:campaign_id>/gestion")
@login_required
def manage(campaign_id: int):
    campaign = load_campaign(campaign_id)
    if not policies.can_supervise_campaign(current_user, campaign):
        abort(403)
    return _render_manage(campaign)


@bp.route("/collectes/<int:campaign_id>/actualites", methods=["POST"])
@login_required
def post_update(campaign_id: int):
    campaign = _managed(campaign_id)
    form = UpdateForm(prefix="update")
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            campaigns.post_update(
                campaign, current_user, title=form.title.data, body=form.body.data
            )
        if outcome.ok:
            flash(_("Actualité publiée : les soutiens sont prévenus."), "success")
            return redirect(
                url_for("funding.campaign", campaign_id=campaign.id, _anchor="actualites")
            )
    return _render_manage(campaign, update_form=form), 422


@bp.route("/collectes/<int:campaign_id>/cloturer", methods=["POST"])
@login_required
def close(campaign_id: int):
    campaign = _managed(campaign_id)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            campaigns.close_campaign(campaign, current_user)
        flash(
            _("La collecte est clôturée.") if outcome.ok else outcome.error.message,
            "success" if outcome.ok else "error",
        )
    return redirect(url_for("funding.manage", campaign_id=campaign.id))


@bp.route("/collectes/promesses/<int:pledge_id>/virements", methods=["POST"])
@login_required
def record_transfer(pledge_id: int):
    pledge = load_pledge(pledge_id)
    form = TransferForm(prefix="transfer")
    scope = f"funding.transfer:{pledge.id}"
    done = idempotency.already_done(form.once.data, scope, current_user)
    if done is not None:
        return idempotency.show_done(done, _pledge_row_url(pledge))
    if not policies.can_record_transfer(current_user, pledge):
        abort(403)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            claimed = idempotency.claim(form.once.data, scope, current_user)
            pledge_services.record_transfer(
                pledge,
                current_user,
                amount_cents=form.amount.data,
                received_on=form.received_on.data,
                note=form.note.data,
            )
            message = _(
                "virement de %(amount)s enregistré pour la promesse %(ref)s.",
                amount=euros(form.amount.data),
                ref=pledge.reference,
            )
            idempotency.record(claimed, message, _pledge_row_url(pledge))
        if outcome.ok:
            flash(_("Virement enregistré."), "success")
            return redirect(_pledge_row_url(pledge))
        if isinstance(outcome.error, idempotency.AlreadySubmitted):
            return idempotency.show_done(outcome.error.submission, _pledge_row_url(pledge))
    return _back_to_pledge(pledge, form)


def _back_to_pledge(pledge, form):
    """A refused form of the pledge's row: its errors shown as messages above the list
    (the row's small form cannot show them in place), nothing written."""
    for field_errors in form.errors.values():
        for error in field_errors:
            flash(error, "error")
    for error in form.form_errors:
        flash(error, "error")
    db.session.rollback()
    return redirect(_pledge_row_url(pledge)), 303


def _pledge_row_url(pledge) -> str:
    return url_for(
        "funding.manage", campaign_id=pledge.campaign_id, _anchor=f"promesse-{pledge.id}"
    )


@bp.route("/collectes/promesses/<int:pledge_id>/rembourser", methods=["POST"])
@login_required
def refund(pledge_id: int):
    pledge = load_pledge(pledge_id)
    form = RefundForm(prefix="refund")
    scope = f"funding.refund:{pledge.id}"
    done = idempotency.already_done(form.once.data, scope, current_user)
    if done is not None:
        return idempotency.show_done(done, _pledge_row_url(pledge))
    if not policies.can_refund(current_user, pledge):
        abort(403)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            claimed = idempotency.claim(form.once.data, scope, current_user)
            row = refunds.refund(
                pledge, current_user, amount_cents=form.amount.data, reason=form.reason.data
            )
            message = _("remboursement de %(amount)s demandé.", amount=euros(row.amount_cents))
            idempotency.record(claimed, message, _pledge_row_url(pledge))
        if isinstance(outcome.error, idempotency.AlreadySubmitted):
            return idempotency.show_done(outcome.error.submission, _pledge_row_url(pledge))
        if outcome.ok:
            # the refund row (and its reserved amount) is committed before Stripe is called
            db.session.commit()
            if row.status == REFUND_PENDING:
                with form_errors(form) as outcome:
                    status = refunds.settle(row.id)
                if not outcome.ok:
                    flash(outcome.error.message, "error")
                    return redirect(_pledge_row_url(pledge), code=303)
                if status == REFUND_PENDING:
                    flash(
                        _(
                            "Remboursement demandé : le service de paiement ne répond pas, "
                            "il sera terminé automatiquement."
                        ),
                        "info",
                    )
                    return redirect(_pledge_row_url(pledge))
            flash(_("Remboursement effectué."), "success")
            return redirect(_pledge_row_url(pledge))
    return _back_to_pledge(pledge, form)


# --- the project's settings ----------------------------------------------------------------------


@bp.route("/projets/<int:project_id>/collectes/reglages", methods=["GET", "POST"])
@login_required
def settings(project_id: int):
    project = _project_or_404(project_id)
    if not policies.can_edit_settings(current_user, project):
        abort(403)
    current = campaigns.settings_for(project.id)
    form = SettingsForm(obj=current) if request.method == "GET" else SettingsForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            project_settings.update_settings(
                project,
                current_user,
                **{
                    name: getattr(form, name).data
                    for name in (
                        "account_holder",
                        "iban",
                        "bic",
                        "is_general_interest",
                        "organisation_name",
                        "organisation_address",
                        "organisation_object",
                        "organisation_kind",
                        "siren",
                        "signatory",
                        "stripe_account_id",
                    )
                },
            )
        if outcome.ok:
            flash(_("Réglages de financement enregistrés."), "success")
            if current.pending_iban:
                flash(
                    _(
                        "Le nouvel IBAN attend la confirmation d'une autre personne de "
                        "l'équipe ou d'un animateur : des soutiens ont déjà promis."
                    ),
                    "info",
                )
            then = request.args.get("suite", type=int)
            return redirect(
                url_for("funding.manage", campaign_id=then)
                if then
                else url_for("funding.settings", project_id=project.id)
            )
    pending_by = (
        db.session.get(User, current.pending_iban_by_id) if current.pending_iban_by_id else None
    )
    campaign_list = db.session.scalars(
        select(Campaign)
        .where(Campaign.project_id == project.id)
        .order_by(Campaign.created_at.desc())
    ).all()
    return render_template(
        "funding/settings.html",
        form=form,
        project=project,
        campaigns=campaign_list,
        open_status=OPEN,
        settings=current,
        pending_by=pending_by,
        empty_form=EmptyForm(formdata=None),
        stripe_on=payments.is_enabled(),
    )


@bp.route(
    "/projets/<int:project_id>/collectes/reglages/iban/<any(confirmer, annuler):what>",
    methods=["POST"],
)
@login_required
def bank_change(project_id: int, what: str):
    project = _project_or_404(project_id)
    if not policies.can_confirm_bank_change(current_user, project):
        abort(403)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            if what == "confirmer":
                project_settings.confirm_iban_change(project, current_user)
            else:
                project_settings.cancel_iban_change(project, current_user)
        if outcome.ok:
            flash(
                _("Nouvel IBAN confirmé : les soutiens qui doivent encore payer sont prévenus.")
                if what == "confirmer"
                else _("Changement d'IBAN annulé."),
                "success",
            )
        else:
            flash(outcome.error.message, "error")
    return redirect(url_for("funding.settings", project_id=project.id), code=303)
