"""Public and backer views: the campaigns, a campaign page, pledging, a backer's pledge
(change, cancel, pay: card, 3-D Secure confirmation, bank details), receipts.
Load (404) → policy (403) → service → render/redirect. Team views: manage_routes.py.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.funding import bp, campaigns, charging, payments, policies, receipts
from tremplin.funding import pledges as pledge_services
from tremplin.funding.errors import CampaignNotOpen
from tremplin.funding.forms import RULE_LABELS, DonorAddressForm, PledgeForm
from tremplin.funding.models import (
    ATTEMPT_REQUIRES_ACTION,
    CANCELLED,
    COUNTED_STATUSES,
    DRAFT,
    KEEP_WHAT_YOU_RAISE,
    LIVE_STATUSES,
    OPEN,
    PENDING,
    STRIPE_MODE,
    SUCCEEDED,
    Campaign,
    CampaignUpdate,
    Pledge,
)
from tremplin.platform.account_routes import post_limit
from tremplin.platform.errors import DomainError, form_errors
from tremplin.platform.extensions import db, login_manager
from tremplin.platform.forms import EmptyForm
from tremplin.platform.paging import PageNumbers
from tremplin.platform.pdf import pdf_response


def pledge_limit():
    return post_limit("RATELIMIT_PLEDGE")


def load_campaign(campaign_id: int, *, for_page: bool = False) -> Campaign:
    stmt = (
        select(Campaign)
        .where(Campaign.id == campaign_id)
        .options(joinedload(Campaign.project), selectinload(Campaign.rewards))
    )
    if for_page:
        from tremplin.members.models import Project

        stmt = stmt.options(joinedload(Campaign.project).selectinload(Project.memberships))
    campaign = db.session.scalar(stmt)
    if campaign is None:
        abort(404)
    return campaign


def visible_campaign(campaign_id: int, **kwargs) -> Campaign:
    campaign = load_campaign(campaign_id, **kwargs)
    if not policies.can_view_campaign(current_user, campaign):
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        abort(403)
    return campaign


def load_pledge(pledge_id: int) -> Pledge:
    pledge = db.session.scalar(
        select(Pledge)
        .where(Pledge.id == pledge_id)
        .options(
            joinedload(Pledge.campaign).joinedload(Campaign.project),
            joinedload(Pledge.reward),
            selectinload(Pledge.attempts),
            selectinload(Pledge.transfers),
            selectinload(Pledge.refunds),
        )
    )
    if pledge is None:
        abort(404)
    if not policies.can_view_pledge(current_user, pledge):
        abort(403)
    return pledge


# --- campaigns ------------------------------------------------------------------------------


@bp.route("/collectes")
def index():
    from tremplin.members import can_view_project

    rows = db.session.scalars(
        select(Campaign)
        .where(Campaign.status != DRAFT)
        .options(joinedload(Campaign.project))
        .order_by((Campaign.status != OPEN), Campaign.deadline_at)
    ).all()
    visible = [c for c in rows if can_view_project(current_user, c.project)]
    open_ones = [c for c in visible if c.status == OPEN]
    ended = [c for c in visible if c.status != OPEN][:12]
    return render_template(
        "funding/index.html",
        open_campaigns=open_ones,
        ended=ended,
        totals=campaigns.totals([c.id for c in open_ones + ended]),
    )


BACKERS_PER_PAGE = 30


@dataclass
class BackersPage(PageNumbers):
    """One page of a campaign's backers, newest first (a popular campaign has thousands)."""

    items: list[Pledge]
    page: int
    per_page: int
    total: int


def _backers(campaign: Campaign, total: int) -> BackersPage:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    page = min(page, max(1, -(-total // BACKERS_PER_PAGE)))
    items = list(
        db.session.scalars(
            select(Pledge)
            .where(Pledge.campaign_id == campaign.id, Pledge.status.in_(COUNTED_STATUSES))
            .options(joinedload(Pledge.backer), joinedload(Pledge.reward))
            .order_by(Pledge.created_at.desc(), Pledge.id.desc())
            .limit(BACKERS_PER_PAGE)
            .offset((page - 1) * BACKERS_PER_PAGE)
        )
    )
    return BackersPage(items=items, page=page, per_page=BACKERS_PER_PAGE, total=total)


def _my_pledge(campaign: Campaign) -> Pledge | None:
    if not current_user.is_authenticated:
        return None
    return db.session.scalar(
        select(Pledge)
        .where(
            Pledge.campaign_id == campaign.id,
            Pledge.backer_id == current_user.id,
            Pledge.status != CANCELLED,
        )
        .order_by(Pledge.id.desc())
        .limit(1)
    )


@bp.route("/collectes/<int:campaign_id>")
def campaign(campaign_id: int):
    campaign = visible_campaign(campaign_id, for_page=True)
    updates = db.session.scalars(
        select(CampaignUpdate)
        .where(CampaignUpdate.campaign_id == campaign.id)
        .options(joinedload(CampaignUpdate.author))
        .order_by(CampaignUpdate.created_at.desc())
    ).all()
    totals = campaigns.totals([campaign.id])[campaign.id]
    return render_template(
        "funding/campaign.html",
        campaign=campaign,
        totals=totals,
        backers=_backers(campaign, totals.backers_count),
        updates=updates,
        my_pledge=_my_pledge(campaign),
        rule_text=RULE_LABELS.get(campaign.rule),
        can_manage=policies.can_manage_campaign(current_user, campaign),
        can_supervise=policies.can_supervise_campaign(current_user, campaign),
        can_pledge=policies.can_pledge(current_user, campaign),
        accepts=campaigns.accepts_pledges(campaign),
        form=EmptyForm(formdata=None),
    )


# --- pledging -------------------------------------------------------------------------------


def _reward_choices(campaign: Campaign) -> list[tuple[str, str]]:
    from tremplin.platform.templating import euros

    choices = [("", _("Sans contrepartie"))]
    for reward in campaign.rewards:
        label = _(
            "%(title)s — à partir de %(amount)s",
            title=reward.title,
            amount=euros(reward.min_amount_cents),
        )
        choices.append((str(reward.id), label))
    return choices


def _pledge_fields(form: PledgeForm) -> dict:
    return {
        "amount_cents": form.amount.data,
        "choices": pledge_services.PledgeChoices(
            reward_id=form.reward_id.data,
            message=form.message.data,
            hide_amount=form.hide_amount.data,
            hide_name=form.hide_name.data,
            donor_name=form.donor_name.data,
            donor_address=form.donor_address.data,
        ),
    }


def _after_pledge(pledge: Pledge):
    if pledge.status == PENDING:
        return redirect(url_for("funding.card", pledge_id=pledge.id))
    flash(_("Merci ! Votre promesse est enregistrée."), "success")
    return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))


@bp.route("/collectes/<int:campaign_id>/soutenir", methods=["GET", "POST"])
@login_required
@pledge_limit()
def pledge_new(campaign_id: int):
    campaign = visible_campaign(campaign_id)
    mine = _my_pledge(campaign)
    if mine is not None and mine.status in LIVE_STATUSES and mine.status != PENDING:
        flash(
            _("Vous soutenez déjà cette collecte : vous pouvez modifier votre promesse ici."),
            "info",
        )
        return redirect(url_for("funding.pledge_page", pledge_id=mine.id))
    if policies.is_team_member(current_user, campaign.project):
        flash(
            _(
                "Vous faites partie de l'équipe du projet : vous ne pouvez pas soutenir votre propre collecte."
            ),
            "error",
        )
        return redirect(url_for("funding.campaign", campaign_id=campaign.id))
    form = PledgeForm()
    form.reward_id.choices = _reward_choices(campaign)
    if request.method == "GET" and request.args.get("contrepartie", type=int):
        form.reward_id.data = request.args.get("contrepartie", type=int)
    status = 200
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            pledge = pledge_services.pledge(campaign, current_user, **_pledge_fields(form))
        if outcome.ok:
            return _after_pledge(pledge)
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template(
        "funding/pledge_form.html",
        campaign=campaign,
        form=form,
        pledge=None,
        settings=campaigns.settings_for(campaign.project_id),
        accepts=campaigns.accepts_pledges(campaign),
    ), status


@bp.route("/collectes/promesses/<int:pledge_id>")
@login_required
def pledge_page(pledge_id: int):
    pledge = load_pledge(pledge_id)
    campaign = pledge.campaign
    form = None
    if policies.can_change_pledge(current_user, pledge):
        form = PledgeForm(
            formdata=None,
            obj=None,
            data={
                "amount": pledge.amount_cents,
                "reward_id": pledge.reward_id or "",
                "message": pledge.message,
                "hide_amount": pledge.is_amount_hidden,
                "hide_name": pledge.is_name_hidden,
                "donor_name": pledge.donor_name,
                "donor_address": pledge.donor_address,
                "understood": True,
            },
        )
        form.reward_id.choices = _reward_choices(campaign)
    return _render_pledge(pledge, form)


def _render_pledge(pledge: Pledge, form, status: int = 200, address_form=None):
    campaign = pledge.campaign
    attempt = pledge.latest_attempt
    if address_form is None and policies.is_backer(current_user, pledge):
        if receipts.needs_donor_address(pledge):
            address_form = DonorAddressForm(
                formdata=None, data={"name": pledge.donor_name or current_user.display_name}
            )
    settings = campaigns.settings_for(campaign.project_id)
    counterpart = None
    if settings.is_general_interest and pledge.reward is not None:
        counterpart = receipts.counterpart_for(
            pledge, pledge.collected_cents or pledge.amount_cents
        )
    return render_template(
        "funding/pledge.html",
        pledge=pledge,
        campaign=campaign,
        form=form,
        settings=settings,
        counterpart=counterpart,
        counterpart_text=receipts.counterpart_sentence(counterpart),
        receipts=receipts.receipts_of(pledge.id),
        is_backer=policies.is_backer(current_user, pledge),
        can_change=policies.can_change_pledge(current_user, pledge),
        sees_bank=policies.can_see_bank_details(current_user, pledge),
        waiting_confirmation=attempt is not None and attempt.status == ATTEMPT_REQUIRES_ACTION,
        empty_form=EmptyForm(formdata=None),
        address_form=address_form,
    ), status


@bp.route("/collectes/promesses/<int:pledge_id>/modifier", methods=["POST"])
@login_required
@pledge_limit()
def change_pledge(pledge_id: int):
    pledge = load_pledge(pledge_id)
    if not policies.is_backer(current_user, pledge):
        abort(403)
    form = PledgeForm()
    form.reward_id.choices = _reward_choices(pledge.campaign)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            pledge_services.change_pledge(pledge, current_user, **_pledge_fields(form))
        if outcome.ok:
            flash(_("Votre promesse est modifiée."), "success")
            if pledge.status == PENDING:
                return redirect(url_for("funding.card", pledge_id=pledge.id))
            return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))
    db.session.rollback()
    return _render_pledge(load_pledge(pledge_id), form, 422)


@bp.route("/collectes/promesses/<int:pledge_id>/annuler", methods=["POST"])
@login_required
@pledge_limit()
def cancel_pledge(pledge_id: int):
    pledge = load_pledge(pledge_id)
    if not policies.is_backer(current_user, pledge):
        abort(403)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            pledge_services.cancel_pledge(pledge, current_user)
        if outcome.ok:
            flash(_("Votre promesse est annulée. Rien ne vous sera demandé."), "info")
            return redirect(url_for("funding.campaign", campaign_id=pledge.campaign_id))
        flash(outcome.error.message, "error")
    return redirect(url_for("funding.pledge_page", pledge_id=pledge_id))


@bp.route("/mes-soutiens")
@login_required
def my_pledges():
    pledges = db.session.scalars(
        select(Pledge)
        .where(Pledge.backer_id == current_user.id)
        .options(joinedload(Pledge.campaign).joinedload(Campaign.project))
        .order_by(Pledge.created_at.desc())
    ).all()
    from tremplin.funding import summaries

    return render_template(
        "funding/my_pledges.html",
        pledges=pledges,
        summaries_available=summaries.available_for(current_user),
        summaries_issued=summaries.summaries_of(current_user),
        empty_form=EmptyForm(formdata=None),
    )


# --- cards (Stripe mode) -------------------------------------------------------------------------


def _stripe_page_context() -> dict:
    return {
        "stripe_js_url": current_app.config["STRIPE_JS_URL"],
        "publishable_key": payments.publishable_key() or "",
    }


@bp.route("/collectes/promesses/<int:pledge_id>/carte")
@login_required
def card(pledge_id: int):
    pledge = load_pledge(pledge_id)
    if not policies.is_backer(current_user, pledge):
        abort(403)
    if pledge.mode != STRIPE_MODE:
        return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))
    try:
        setup = pledge_services.prepare_card(pledge, current_user)
    except CampaignNotOpen as exc:
        flash(exc.message, "error")
        return redirect(url_for("funding.campaign", campaign_id=pledge.campaign_id))
    except DomainError as exc:  # Stripe unavailable, or nothing to pay by card any more
        db.session.rollback()
        flash(exc.message, "error" if isinstance(exc, payments.ProcessorUnavailable) else "info")
        return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))
    return render_template(
        "funding/card.html",
        pledge=pledge,
        campaign=pledge.campaign,
        client_secret=setup.client_secret,
        return_url=url_for("funding.card_return", pledge_id=pledge.id, _external=True),
        keep=pledge.campaign.rule == KEEP_WHAT_YOU_RAISE,
        **_stripe_page_context(),
    )


@bp.route("/collectes/promesses/<int:pledge_id>/carte/retour")
@login_required
def card_return(pledge_id: int):
    """Back from Stripe.js. The query string (setup_intent=…) is ignored on purpose: the
    SetupIntent is the one stored on the pledge, read from Stripe."""
    pledge = load_pledge(pledge_id)
    if not policies.is_backer(current_user, pledge):
        abort(403)
    try:
        result = pledge_services.fulfil_setup(pledge)
    except CampaignNotOpen as exc:
        flash(exc.message, "error")
        return redirect(url_for("funding.campaign", campaign_id=pledge.campaign_id))
    except payments.ProcessorUnavailable as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))
    if result != "saved":
        flash(
            _("Votre carte n'a pas été enregistrée. Réessayez, ou utilisez une autre carte."),
            "error",
        )
        return redirect(url_for("funding.card", pledge_id=pledge.id))
    if pledge.status in ("due", "declined") and (
        pledge.campaign.rule == KEEP_WHAT_YOU_RAISE or pledge.campaign.outcome == SUCCEEDED
    ):
        # keep-what-you-raise: charged now; a declined pledge with a new card: tried now
        outcome = charging.collect_pledge(pledge.id)
        db.session.expire_all()
        pledge = load_pledge(pledge_id)
        if outcome == "requires_action":
            return redirect(
                url_for("funding.confirm_payment", pledge_id=pledge.id, token=pledge.token)
            )
        if outcome == "succeeded":
            flash(_("Merci ! Votre paiement est reçu."), "success")
        elif outcome == "failed":
            flash(_("Votre banque a refusé le paiement. Essayez une autre carte."), "error")
        else:
            flash(_("Votre carte est enregistrée ; le paiement sera fait sous peu."), "info")
        return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))
    flash(
        _("Merci ! Votre carte est enregistrée : elle ne sera débitée que si la collecte réussit."),
        "success",
    )
    return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))


@bp.route("/collectes/promesses/<int:pledge_id>/confirmer/<token>")
@login_required
def confirm_payment(pledge_id: int, token: str):
    pledge = load_pledge(pledge_id)
    if not policies.is_backer(current_user, pledge) or not hmac.compare_digest(token, pledge.token):
        abort(404)
    attempt = pledge.latest_attempt
    if (
        attempt is None
        or attempt.status != ATTEMPT_REQUIRES_ACTION
        or not attempt.payment_intent_id
    ):
        flash(_("Ce paiement n'attend plus de confirmation."), "info")
        return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))
    try:
        intent = payments.retrieve_payment_intent(attempt.payment_intent_id)
    except payments.ProcessorUnavailable as exc:
        flash(exc.message, "error")
        return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))
    return render_template(
        "funding/confirm.html",
        pledge=pledge,
        campaign=pledge.campaign,
        client_secret=intent.client_secret,
        payment_method=intent.payment_method or "",
        return_url=url_for(
            "funding.confirm_return", pledge_id=pledge.id, token=pledge.token, _external=True
        ),
        **_stripe_page_context(),
    )


@bp.route("/collectes/promesses/<int:pledge_id>/confirmer/<token>/retour")
@login_required
def confirm_return(pledge_id: int, token: str):
    """Back from the bank's check. The PaymentIntent is the attempt's, read from Stripe
    (never the query string); the same fulfilment as the webhooks captures and records it."""
    pledge = load_pledge(pledge_id)
    if not policies.is_backer(current_user, pledge) or not hmac.compare_digest(token, pledge.token):
        abort(404)
    attempt = pledge.latest_attempt
    if attempt is None:
        return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))
    try:
        status = charging.sync_attempt(attempt)
    except payments.ProcessorUnavailable as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))
    if status == "succeeded":
        flash(_("Merci ! Votre paiement est confirmé."), "success")
    elif status == ATTEMPT_REQUIRES_ACTION:
        flash(_("Le paiement n'est pas encore confirmé."), "info")
        return redirect(url_for("funding.confirm_payment", pledge_id=pledge.id, token=pledge.token))
    else:
        flash(_("La confirmation n'a pas abouti : le paiement n'est pas passé."), "error")
    return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))


# --- receipts ------------------------------------------------------------------------------------


@bp.app_template_filter("long_date")
def long_date_filter(value) -> str:
    return receipts.long_date(value) if value else ""


@bp.route("/collectes/promesses/<int:pledge_id>/adresse-recu", methods=["POST"])
@login_required
def donor_address(pledge_id: int):
    pledge = load_pledge(pledge_id)
    if not policies.is_backer(current_user, pledge):
        abort(403)
    form = DonorAddressForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            receipts.add_donor_address(
                pledge, current_user, name=form.name.data, address=form.address.data
            )
        if outcome.ok:
            flash(_("Adresse enregistrée : votre reçu fiscal est prêt."), "success")
            return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))
    return _render_pledge(pledge, None, 422, address_form=form)


def _viewable_receipt(pledge_id: int, kind: str):
    """(pledge, receipt) of the URL's kind ("paiement" or "fiscal"): 403 for whoever may
    not see the pledge's receipts, 404 when there is none of that kind yet."""
    pledge = load_pledge(pledge_id)
    if not policies.can_view_receipt(current_user, pledge):
        abort(403)
    found = receipts.receipts_of(pledge.id).get("payment" if kind == "paiement" else "tax")
    if found is None:
        abort(404)
    return pledge, found


@bp.route("/collectes/promesses/<int:pledge_id>/recu/<any(paiement, fiscal):kind>")
@login_required
def receipt(pledge_id: int, kind: str):
    pledge, found = _viewable_receipt(pledge_id, kind)
    template = (
        "funding/receipt_payment.html" if found.kind == "payment" else "funding/receipt_tax.html"
    )
    return render_template(
        template,
        pledge=pledge,
        receipt=found,
        campaign=pledge.campaign,
        counterpart=receipts.counterpart_sentence(found.details.get("counterpart")),
    )


@bp.route("/collectes/promesses/<int:pledge_id>/recu/<any(paiement, fiscal):kind>.pdf")
@login_required
def receipt_pdf(pledge_id: int, kind: str):
    _pledge, found = _viewable_receipt(pledge_id, kind)
    return pdf_response(receipts.render_pdf(found), f"recu-{kind}-{found.number}.pdf")
