"""The club's money: my savings and share, the treasury (payments, late months, fees, the
fund's statement), investments, the portfolio, the closing distribution, and documents.

Over 500 lines: the views of the club's money pages (treasury, savings, investments,
documents), each a short load → policy → service → answer; splitting by page is open
work (#20).
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tremplin.funding.clubs import (
    bp,
    documents,
    fund,
    investments,
    policies,
    portfolio,
    savings,
)
from tremplin.funding.clubs.dates import month_start, paris_today
from tremplin.funding.clubs.errors import StakeNeedsConfirmation
from tremplin.funding.clubs.forms import (
    CancelPaymentForm,
    ConventionForm,
    EventForm,
    ExpenseForm,
    InvestmentForm,
    PaymentForm,
    PlanForm,
)
from tremplin.funding.clubs.models import (
    MEMBER_ACTIVE,
    ClubApplication,
    ClubDocument,
    ClubInvestment,
    DistributionLine,
    InvestmentCompanion,
    SavingsPayment,
)
from tremplin.funding.clubs.routes import club_context, load_club, member_club
from tremplin.funding.statements.services import saving_reference
from tremplin.platform import idempotency
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.storage import storage

# --- my savings ------------------------------------------------------------------------------


def _savings_page(club, form, status=200):
    me = policies.active_membership(current_user, club)
    lines = savings.schedule(club, me)
    plan = savings.current_plan(me)
    if plan is not None and form.monthly.data in (None, ""):
        form.monthly.data = _plain_amount(plan.monthly_cents)
    holdings = portfolio.holdings(club)
    position = fund.position(club.id, [h.investment.id for h in holdings])
    return render_template(
        "funding/clubs/savings.html",
        **club_context(
            club,
            form=form,
            lines=lines,
            plan=plan,
            position=position,
            my_share=position.shares.get(current_user.id),
            stop_form=EmptyForm(),
            card_enabled=savings.card_savings_enabled(),
            first_month=savings.first_month_not_due(club),
            saving_reference=saving_reference(me.id) if me is not None else None,
        ),
    ), status


@bp.route("/clubs/<int:club_id>/epargne", methods=["GET", "POST"], endpoint="savings")
@login_required
def savings_page(club_id: int):
    club = member_club(club_id)
    form = PlanForm()
    if request.method == "POST":
        if form.validate_on_submit():
            me = policies.active_membership(current_user, club)
            with form_errors(form) as outcome:
                plan = savings.choose_plan(club, me, form.monthly.cents)
            if outcome.ok:
                flash(
                    _(
                        "C’est noté : %(amount)s par mois à partir de %(month)s.",
                        amount=_euros(plan.monthly_cents),
                        month=_month(plan.starts_on),
                    ),
                    "success",
                )
                return redirect(url_for("clubs.savings", club_id=club.id))
        return _savings_page(club, form, 400)
    return _savings_page(club, form)


@bp.route("/clubs/<int:club_id>/epargne/arreter", methods=["POST"])
@login_required
def stop_saving(club_id: int):
    club = member_club(club_id)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            savings.stop_saving(club, policies.active_membership(current_user, club))
        flash(
            _("Votre épargne mensuelle est arrêtée.") if outcome.ok else outcome.error.message,
            "info" if outcome.ok else "error",
        )
    return redirect(url_for("clubs.savings", club_id=club.id))


@bp.route("/clubs/<int:club_id>/epargne/carte", methods=["POST"])
@login_required
def card_saving(club_id: int):
    """Stripe mode: save a card for the monthly subscription (Stripe.js on the page)."""
    from flask import current_app

    from tremplin.funding import payments

    club = member_club(club_id)
    if not savings.card_savings_enabled():
        abort(404)
    form = PlanForm()
    if not form.validate_on_submit():
        return _savings_page(club, form, 400)
    me = policies.active_membership(current_user, club)
    with form_errors(form) as outcome:
        setup = savings.prepare_card_saving(club, me, form.monthly.cents)
    if not outcome.ok:
        return _savings_page(club, form, 400)
    return render_template(
        "funding/clubs/card_saving.html",
        **club_context(
            club,
            setup=setup,
            monthly_cents=form.monthly.cents,
            stripe_key=payments.publishable_key(),
            stripe_js=current_app.config.get("STRIPE_JS_URL"),
            return_url=url_for(
                "clubs.card_saving_return", club_id=club.id, setup_intent=setup.id, _external=True
            ),
        ),
    )


@bp.route("/clubs/<int:club_id>/epargne/carte/retour")
@login_required
def card_saving_return(club_id: int):
    club = member_club(club_id)
    if not savings.card_savings_enabled():
        abort(404)
    setup_id = request.args.get("setup_intent", "")
    if not setup_id.startswith("seti_"):
        abort(400)
    me = policies.active_membership(current_user, club)
    form = EmptyForm()
    with form_errors(form) as outcome:
        plan = savings.start_card_saving(club, me, setup_id)
    if outcome.ok:
        flash(
            _(
                "Votre épargne de %(amount)s par mois sera prélevée sur votre carte.",
                amount=_euros(plan.monthly_cents),
            ),
            "success",
        )
    else:
        flash(outcome.error.message, "error")
    return redirect(url_for("clubs.savings", club_id=club.id))


# --- the treasury ----------------------------------------------------------------------------


def _treasury(club, form=None, expense_form=None, status=200):
    members = [m for m in club.memberships if m.state == MEMBER_ACTIVE]
    form = form or PaymentForm()
    form.membership_id.choices = [(m.id, m.user.public_name) for m in members]
    if not form.for_month.data:
        form.for_month.data = f"{month_start(paris_today()):%Y-%m}"
    schedules = savings.club_schedules(club)
    plans = savings.plans_by_membership(club)
    position = fund.position(club.id, [h.investment.id for h in portfolio.holdings(club)])
    rows = []
    for m in members:
        lines = schedules.get(m.id, [])
        rows.append(
            {
                "membership": m,
                "plan": plans.get(m.id),
                "late": [line for line in lines if line.is_late],
                "paid": position.shares.get(m.user_id).contributed_cents
                if m.user_id in position.shares
                else 0,
                "share": position.shares.get(m.user_id),
            }
        )
    return render_template(
        "funding/clubs/treasury.html",
        **club_context(
            club,
            form=form,
            expense_form=expense_form or ExpenseForm(),
            rows=rows,
            position=position,
            payments=savings.recent_payments(club, limit=15),
            statement=fund.statement(club.id, limit=40),
            expenses=portfolio.expenses(club),
            cancel_form=CancelPaymentForm(),
            balanced=fund.scope_is_balanced(club.id),
            can_keep=policies.can_keep_accounts(current_user, club),
        ),
    ), status


@bp.route("/clubs/<int:club_id>/tresorerie")
@login_required
def treasury(club_id: int):
    return _treasury(member_club(club_id))


@bp.route("/clubs/<int:club_id>/tresorerie/releve.csv")
@login_required
def fund_statement_csv(club_id: int):
    """Every member may download the fund's full statement (the club's money is theirs)."""
    from tremplin.platform.spreadsheets import csv_download

    club = member_club(club_id)
    return csv_download(fund.statement_csv(club.id), f"releve-fonds-club-{club.id}.csv")


def _parse_month(text: str | None) -> date | None:
    try:
        year, month = (text or "").split("-")[:2]
        return date(int(year), int(month), 1)
    except ValueError:
        return None


@bp.route("/clubs/<int:club_id>/tresorerie/versements", methods=["POST"])
@login_required
def record_payment(club_id: int):
    club = member_club(club_id)
    if not policies.can_keep_accounts(current_user, club):
        abort(403)
    form = PaymentForm()
    treasury_url = url_for("clubs.treasury", club_id=club.id)
    scope = f"clubs.saving:{club.id}"
    done = idempotency.already_done(form.once.data, scope, current_user)
    if done is not None:
        return idempotency.show_done(done, treasury_url)
    form.membership_id.choices = [
        (m.id, m.user.public_name) for m in club.memberships if m.state == MEMBER_ACTIVE
    ]
    if form.validate_on_submit():
        month = _parse_month(form.for_month.data)
        membership = next(m for m in club.memberships if m.id == form.membership_id.data)
        if month is None:
            form.for_month.errors = [_("Indiquez le mois (par exemple 2025-03).")]
        else:
            done_text = _(
                "Versement de %(amount)s enregistré pour %(name)s.",
                amount=_euros(form.amount.cents),
                name=membership.user.public_name,
            )
            with form_errors(form) as outcome:
                claimed = idempotency.claim(form.once.data, scope, current_user)
                savings.record_payment(
                    club,
                    current_user,
                    membership,
                    savings.SavingFields(
                        amount_cents=form.amount.cents,
                        for_month=month,
                        received_on=form.received_on.data,
                        reference=form.reference.data,
                    ),
                )
                idempotency.record(claimed, done_text, treasury_url)
            if isinstance(outcome.error, idempotency.AlreadySubmitted):
                return idempotency.show_done(outcome.error.submission, treasury_url)
            if outcome.ok:
                flash(done_text, "success")
                return redirect(treasury_url)
    return _treasury(club, form=form, status=400)


@bp.route("/clubs/<int:club_id>/tresorerie/versements/<int:payment_id>/annuler", methods=["POST"])
@login_required
def cancel_payment(club_id: int, payment_id: int):
    club = member_club(club_id)
    if not policies.can_keep_accounts(current_user, club):
        abort(403)
    payment = db.first_or_404(
        select(SavingsPayment).where(
            SavingsPayment.id == payment_id, SavingsPayment.club_id == club.id
        )
    )
    form = CancelPaymentForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            savings.cancel_payment(club, current_user, payment, form.reason.data)
        flash(
            _("Versement annulé : le mouvement inverse est passé au grand livre.")
            if outcome.ok
            else outcome.error.message,
            "success" if outcome.ok else "error",
        )
    else:
        flash(_("Dites pourquoi ce versement est annulé."), "error")
    return redirect(url_for("clubs.treasury", club_id=club.id))


@bp.route("/clubs/<int:club_id>/tresorerie/frais", methods=["POST"])
@login_required
def record_expense(club_id: int):
    club = member_club(club_id)
    if not policies.can_keep_accounts(current_user, club):
        abort(403)
    form = ExpenseForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            portfolio.record_expense(
                club,
                current_user,
                amount_cents=form.amount.cents,
                label=form.label.data,
                paid_on=form.paid_on.data,
                token=form.token.data or "",
            )
        if outcome.ok:
            flash(_("Frais enregistrés."), "success")
            return redirect(url_for("clubs.treasury", club_id=club.id))
    return _treasury(club, expense_form=form, status=400)


# --- investments and the portfolio -----------------------------------------------------------


def _investment_form(club, form=None):
    form = form or InvestmentForm()
    accepted = investments.accepted_applications(club)
    form.application_id.choices = [
        (a.id, f"{a.project.title} — {_euros(a.amount_cents)}") for a in accepted
    ]
    form.companions.choices = [
        (m.user_id, m.user.public_name) for m in club.memberships if m.state == MEMBER_ACTIVE
    ]
    return form, accepted


@bp.route("/clubs/<int:club_id>/investissements/nouveau", methods=["GET", "POST"])
@login_required
def new_investment(club_id: int):
    club = member_club(club_id)
    if not policies.can_record_investment(current_user, club):
        abort(403)
    form, accepted = _investment_form(club)
    if request.method == "GET":
        chosen = request.args.get("candidature", type=int)
        application = next(
            (a for a in accepted if a.id == chosen), accepted[0] if accepted else None
        )
        if application is not None:
            form.application_id.data = application.id
            form.instrument.data = application.instrument
            form.amount.data = _plain_amount(application.amount_cents)
    status, stake_warning = 200, False
    if request.method == "POST":
        if form.validate_on_submit():
            application = db.session.get(ClubApplication, form.application_id.data)
            with form_errors(form) as outcome:
                investment = investments.record_investment(
                    club,
                    current_user,
                    application,
                    investments.InvestmentFields(
                        amount_cents=form.amount.cents,
                        instrument=form.instrument.data,
                        legal_form=form.legal_form.data,
                        stake_basis_points=form.stake_basis_points,
                        co_investors=form.co_investors.data,
                        companion_ids=form.companions.data,
                        invested_on=form.invested_on.data,
                    ),
                    convention=form.convention.data,
                    confirm_stake=bool(form.confirm_stake.data),
                )
            if outcome.ok:
                flash(
                    _(
                        "Investissement enregistré : %(amount)s dans « %(project)s ».",
                        amount=_euros(investment.amount_cents),
                        project=investment.project.title,
                    ),
                    "success",
                )
                return redirect(
                    url_for("clubs.investment", club_id=club.id, investment_id=investment.id)
                )
            stake_warning = isinstance(outcome.error, StakeNeedsConfirmation)
        status = 400
    return render_template(
        "funding/clubs/investment_form.html",
        **club_context(
            club,
            form=form,
            accepted=accepted,
            available=fund.balance(club.id),
            stake_warning=stake_warning,
        ),
    ), status


def _plain_amount(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"{whole},{rest:02d}" if rest else str(whole)


@bp.route("/clubs/<int:club_id>/portefeuille", endpoint="portfolio")
@login_required
def portfolio_page(club_id: int):
    club = member_club(club_id)
    holdings = portfolio.holdings(club)
    position = fund.position(club.id, [h.investment.id for h in holdings])
    return render_template(
        "funding/clubs/portfolio.html",
        **club_context(
            club,
            holdings=holdings,
            position=position,
            can_invest=policies.can_record_investment(current_user, club),
            accepted=investments.accepted_applications(club),
        ),
    )


def load_investment(club, investment_id: int) -> ClubInvestment:
    return db.first_or_404(
        select(ClubInvestment)
        .where(ClubInvestment.id == investment_id, ClubInvestment.club_id == club.id)
        .options(
            joinedload(ClubInvestment.project),
            joinedload(ClubInvestment.convention),
            joinedload(ClubInvestment.application),
            joinedload(ClubInvestment.companions).joinedload(InvestmentCompanion.user),
        )
    )


def _investment_page(club, investment, event_form=None, convention_form=None, status=200):
    placed = fund.outstanding([investment.id])[investment.id]
    income = fund.returned([investment.id])[investment.id]
    return render_template(
        "funding/clubs/investment.html",
        **club_context(
            club,
            investment=investment,
            placed=placed,
            income=income,
            follow=portfolio.project_follow_up(investment, current_user),
            event_form=event_form or EventForm(),
            convention_form=convention_form or ConventionForm(),
            can_keep=policies.can_keep_accounts(current_user, club),
            warning=investments.stake_warning(investment.legal_form, investment.stake_basis_points),
            threshold=investments.stake_threshold(investment.legal_form),
        ),
    ), status


@bp.route("/clubs/<int:club_id>/investissements/<int:investment_id>")
@login_required
def investment(club_id: int, investment_id: int):
    club = member_club(club_id)
    return _investment_page(club, load_investment(club, investment_id))


@bp.route("/clubs/<int:club_id>/investissements/<int:investment_id>/mouvements", methods=["POST"])
@login_required
def record_event(club_id: int, investment_id: int):
    club = member_club(club_id)
    if not policies.can_keep_accounts(current_user, club):
        abort(403)
    item = load_investment(club, investment_id)
    form = EventForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            portfolio.record_event(
                item,
                current_user,
                portfolio.EventFields(
                    kind=form.kind.data,
                    amount_cents=form.amount.cents or 0,
                    occurred_on=form.occurred_on.data,
                    note=form.note.data,
                ),
                token=form.token.data or "",
            )
        if outcome.ok:
            flash(_("Mouvement enregistré au portefeuille."), "success")
            return redirect(url_for("clubs.investment", club_id=club.id, investment_id=item.id))
    return _investment_page(club, item, event_form=form, status=400)


@bp.route("/clubs/<int:club_id>/investissements/<int:investment_id>/convention", methods=["POST"])
@login_required
def upload_convention(club_id: int, investment_id: int):
    club = member_club(club_id)
    if not policies.can_record_investment(current_user, club) and not policies.can_keep_accounts(
        current_user, club
    ):
        abort(403)
    item = load_investment(club, investment_id)
    form = ConventionForm()
    if form.validate_on_submit() and form.convention.data:
        with form_errors(form) as outcome:
            investments.attach_convention(item, current_user, form.convention.data)
        if outcome.ok:
            flash(_("Convention signée enregistrée."), "success")
            return redirect(url_for("clubs.investment", club_id=club.id, investment_id=item.id))
    elif not form.convention.errors:
        form.convention.errors = [_("Choisissez le fichier de la convention.")]
    return _investment_page(club, item, convention_form=form, status=400)


# --- closing ---------------------------------------------------------------------------------


@bp.route("/clubs/<int:club_id>/repartition")
@login_required
def distribution(club_id: int):
    club = member_club(club_id)
    lines = db.session.scalars(
        select(DistributionLine)
        .where(DistributionLine.club_id == club.id)
        .options(joinedload(DistributionLine.user))
        .order_by(DistributionLine.amount_cents.desc(), DistributionLine.id)
    ).all()
    preview = None
    if not lines:
        position = fund.position(club.id)
        preview = sorted(position.shares.values(), key=lambda s: -s.contributed_cents)
        users = {m.user_id: m.user for m in club.memberships}
        preview = [(users.get(s.user_id), s) for s in preview]
    return render_template(
        "funding/clubs/distribution.html",
        **club_context(
            club,
            lines=lines,
            preview=preview,
            total=sum(line.amount_cents for line in lines),
            cash=fund.balance(club.id),
        ),
    )


# --- documents -------------------------------------------------------------------------------


@bp.route("/clubs/<int:club_id>/documents/<int:document_id>")
@login_required
def document(club_id: int, document_id: int):
    club = load_club(club_id)
    item = db.first_or_404(
        select(ClubDocument).where(ClubDocument.id == document_id, ClubDocument.club_id == club.id)
    )
    application = (
        db.session.get(ClubApplication, item.application_id) if item.application_id else None
    )
    if not policies.can_download_document(current_user, item, club, application):
        abort(404)
    key = documents.key_of(item)
    if key is None:
        abort(404)
    try:
        # After the policy said yes: streamed from storage (or a short-lived signed link).
        response = storage().send(
            key, mimetype=item.content_type, as_attachment=True, download_name=item.title, max_age=0
        )
    except FileNotFoundError:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def _euros(cents: int) -> str:
    from tremplin.platform.templating import euros

    return euros(cents)


def _month(day: date) -> str:
    from flask_babel import format_date

    return format_date(day, "MMMM y")
