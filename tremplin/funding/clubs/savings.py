"""Members' monthly savings: the plan each member chooses within the club's bounds, the
schedule of expected payments it makes, payments recorded by the treasurer (bank
transfers) or collected by Stripe (a monthly plan-based subscription), late months, and
each member's contributions.

A payment is one ledger movement (saver → fund) keyed by the real-world event: a bank
transfer for a member and a month, or a Stripe invoice. Flushes, never commits.

Over 500 lines: savings plans, the expected-payment schedule and the payments that settle
it are one concept with one lock; card collection goes through payments.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tremplin.funding import ledger
from tremplin.funding.clubs import fund, notices
from tremplin.funding.clubs.dates import add_months, month_start, months_between, paris_today
from tremplin.funding.clubs.errors import ClubError, FundTooLow, SavingOutOfBounds, WrongState
from tremplin.funding.clubs.locking import lock
from tremplin.funding.clubs.models import (
    ACTIVE,
    BY_CARD,
    BY_TRANSFER,
    FORMING,
    MEMBER_ACTIVE,
    ClubMembership,
    InvestorClub,
    SavingsPayment,
    SavingsPlan,
)
from tremplin.platform.extensions import db
from tremplin.platform.notifications import notify
from tremplin.platform.templating import euros
from tremplin.platform.types import utcnow

SAVING_STATES = (FORMING, ACTIVE)  # en gestion and closed: no new savings


def _money(cents: int) -> str:
    return euros(cents, with_cents=cents % 100 != 0)


def late_after_days() -> int:
    return int(current_app.config.get("CLUBS_LATE_AFTER_DAYS", 10))


def due_date(club: InvestorClub, month: date) -> date:
    return month.replace(day=club.payment_day)


def first_month_not_due(club: InvestorClub, today: date | None = None) -> date:
    """The first month whose payment day has not come yet: where a new plan starts, and
    where a stopped plan ends."""
    today = today or paris_today()
    this_month = month_start(today)
    return add_months(this_month, 1) if today >= due_date(club, this_month) else this_month


def _check_saving_allowed(club: InvestorClub) -> None:
    if club.state not in SAVING_STATES:
        raise WrongState(_("Le club est en gestion ou clôturé : il ne reçoit plus d’épargne."))


def check_monthly_amount(club: InvestorClub, monthly_cents: int) -> None:
    if (
        not isinstance(monthly_cents, int)
        or isinstance(monthly_cents, bool)
        or monthly_cents < club.min_saving_cents
        or monthly_cents > club.max_saving_cents
    ):
        raise SavingOutOfBounds(
            _(
                "Choisissez une épargne mensuelle entre %(low)s et %(high)s, comme le prévoit "
                "le règlement du club.",
                low=_money(club.min_saving_cents),
                high=_money(club.max_saving_cents),
            ),
            field="monthly",
        )
    if monthly_cents * 12 > club.yearly_cap_cents:
        raise SavingOutOfBounds(
            _(
                "Douze versements de %(amount)s dépasseraient le plafond annuel de %(cap)s.",
                amount=_money(monthly_cents),
                cap=_money(club.yearly_cap_cents),
            ),
            field="monthly",
        )


# --- plans --------------------------------------------------------------------------------


def current_plan(membership: ClubMembership) -> SavingsPlan | None:
    return db.session.scalar(
        select(SavingsPlan)
        .where(SavingsPlan.membership_id == membership.id, SavingsPlan.ends_on.is_(None))
        .order_by(SavingsPlan.id.desc())
        .limit(1)
    )


def stop_plan(plan: SavingsPlan, end: date) -> None:
    """No saving expected from `end` on (never before the plan's own start)."""
    plan.ends_on = max(end, plan.starts_on)
    if plan.stripe_subscription_id:
        _cancel_subscription(plan)
    db.session.flush()


def choose_plan(
    club: InvestorClub, membership: ClubMembership, monthly_cents: int, *, today: date | None = None
) -> SavingsPlan:
    """The member's monthly saving from the next month not yet due. Months already due
    keep the amount that was expected then."""
    _check_saving_allowed(club)
    if membership.club_id != club.id or membership.state != MEMBER_ACTIVE:
        raise ClubError(_("Seuls les membres du club épargnent dans son fonds."))
    check_monthly_amount(club, monthly_cents)
    start = first_month_not_due(club, today)
    plan = current_plan(membership)
    if plan is not None and plan.method == BY_CARD:
        raise ClubError(
            _(
                "Votre épargne est prélevée par carte : arrêtez d’abord le "
                "prélèvement, puis choisissez le nouveau montant."
            ),
            field="monthly",
        )
    if plan is not None and plan.starts_on >= start:
        plan.monthly_cents = monthly_cents  # not due yet: simply changed
        db.session.flush()
        return plan
    if plan is not None:
        stop_plan(plan, start)
    plan = SavingsPlan(
        club_id=club.id,
        membership_id=membership.id,
        monthly_cents=monthly_cents,
        starts_on=start,
        method=BY_TRANSFER,
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def stop_saving(
    club: InvestorClub, membership: ClubMembership, *, today: date | None = None
) -> None:
    plan = current_plan(membership)
    if plan is None:
        raise ClubError(_("Vous n’avez pas d’épargne en cours."))
    stop_plan(plan, first_month_not_due(club, today))


# --- the schedule -------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthLine:
    month: date
    due_on: date
    expected_cents: int
    paid_cents: int
    status: str  # paid, partial, late, due, upcoming
    payments: tuple = ()

    @property
    def missing_cents(self) -> int:
        return max(self.expected_cents - self.paid_cents, 0)

    @property
    def is_late(self) -> bool:
        return self.status == "late"


def _expected(plans: list[SavingsPlan], month: date) -> int:
    for plan in plans:
        if plan.starts_on <= month and (plan.ends_on is None or month < plan.ends_on):
            return plan.monthly_cents
    return 0


def schedule_from(
    club: InvestorClub,
    plans: list[SavingsPlan],
    payments: list[SavingsPayment],
    today: date | None = None,
    grace_days: int | None = None,
) -> list[MonthLine]:
    """The member's months, oldest first: what was expected, what was paid, and whether
    it is late (unpaid `grace_days` after the payment day). Pure: give it the rows."""
    today = today or paris_today()
    grace = late_after_days() if grace_days is None else grace_days
    live = [p for p in payments if p.cancelled_at is None]
    starts = [p.starts_on for p in plans] + [p.for_month for p in live]
    if not starts:
        return []
    last = first_month_not_due(club, today)  # the next month to pay, shown as upcoming
    if club.managing_since is not None:
        last = min(last, add_months(month_start(club.managing_since), 1))
    ends = [p.for_month for p in live]
    lines = []
    for month in months_between(min(starts), max([last] + ends)):
        expected = _expected(plans, month)
        paid_rows = tuple(p for p in live if p.for_month == month)
        paid = sum(p.amount_cents for p in paid_rows)
        due_on = due_date(club, month)
        if expected == 0 and paid == 0:
            continue
        if paid >= expected:
            status = "paid"
        elif due_on > today:
            status = "upcoming"
        elif (today - due_on).days > grace:
            status = "late"
        elif paid:
            status = "partial"
        else:
            status = "due"
        lines.append(MonthLine(month, due_on, expected, paid, status, paid_rows))
    return lines


def schedule(
    club: InvestorClub, membership: ClubMembership, today: date | None = None
) -> list[MonthLine]:
    plans = list(
        db.session.scalars(
            select(SavingsPlan)
            .where(SavingsPlan.membership_id == membership.id)
            .order_by(SavingsPlan.starts_on)
        )
    )
    payments = list(
        db.session.scalars(
            select(SavingsPayment)
            .where(SavingsPayment.membership_id == membership.id)
            .order_by(SavingsPayment.for_month)
        )
    )
    return schedule_from(club, plans, payments, today)


def club_schedules(club: InvestorClub, today: date | None = None) -> dict[int, list[MonthLine]]:
    """{membership id: schedule} for every member with savings, in two statements."""
    plans = list(
        db.session.scalars(
            select(SavingsPlan)
            .where(SavingsPlan.club_id == club.id)
            .order_by(SavingsPlan.starts_on)
        )
    )
    payments = list(
        db.session.scalars(
            select(SavingsPayment)
            .where(SavingsPayment.club_id == club.id)
            .order_by(SavingsPayment.for_month)
        )
    )
    ids = {p.membership_id for p in plans} | {p.membership_id for p in payments}
    return {
        mid: schedule_from(
            club,
            [p for p in plans if p.membership_id == mid],
            [p for p in payments if p.membership_id == mid],
            today,
        )
        for mid in ids
    }


def late_months(club: InvestorClub, today: date | None = None) -> list[tuple[int, MonthLine]]:
    """(membership id, month) for every late month of active members."""
    active = set(
        db.session.scalars(
            select(ClubMembership.id).where(
                ClubMembership.club_id == club.id, ClubMembership.state == MEMBER_ACTIVE
            )
        )
    )
    return [
        (mid, line)
        for mid, lines in club_schedules(club, today).items()
        if mid in active
        for line in lines
        if line.is_late
    ]


def plans_by_membership(club: InvestorClub) -> dict[int, SavingsPlan]:
    return {
        p.membership_id: p
        for p in db.session.scalars(
            select(SavingsPlan).where(SavingsPlan.club_id == club.id, SavingsPlan.ends_on.is_(None))
        )
    }


# --- payments -----------------------------------------------------------------------------


def paid_in_year(membership: ClubMembership, year: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(SavingsPayment.amount_cents), 0)).where(
                SavingsPayment.membership_id == membership.id,
                SavingsPayment.cancelled_at.is_(None),
                SavingsPayment.for_month >= date(year, 1, 1),
                SavingsPayment.for_month < date(year + 1, 1, 1),
            )
        )
        or 0
    )


def _live_payment(membership: ClubMembership, month: date) -> SavingsPayment | None:
    return db.session.scalar(
        select(SavingsPayment).where(
            SavingsPayment.membership_id == membership.id,
            SavingsPayment.for_month == month,
            SavingsPayment.cancelled_at.is_(None),
        )
    )


@dataclass(frozen=True)
class SavingFields:
    """A member's payment into the fund as the treasurer records it: the amount, the month
    it pays for, the day it arrived (None: today), the bank reference and how it was paid."""

    amount_cents: int
    for_month: date
    received_on: date | None = None
    reference: str | None = None
    method: str = BY_TRANSFER


def record_payment(
    club: InvestorClub,
    by,
    membership: ClubMembership,
    saving: SavingFields,
    *,
    key: str | None = None,
) -> SavingsPayment:
    """Money a member paid into the fund for a month (refused over the monthly maximum or
    the yearly cap, twice for the same month, or once the club is en gestion). `key` names
    the real-world event in the ledger (by default the member's month and its attempt)."""
    amount_cents, for_month = saving.amount_cents, saving.for_month
    lock(club)
    _check_saving_allowed(club)
    if membership.club_id != club.id or membership.state != MEMBER_ACTIVE:
        raise ClubError(
            _("Ce versement ne correspond à aucun membre actif du club."), field="membership_id"
        )
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise SavingOutOfBounds(_("Le montant doit être positif."), field="amount")
    today = paris_today()
    for_month = month_start(for_month)
    if for_month > add_months(month_start(today), 1):
        raise ClubError(
            _("On n’enregistre pas un versement plus d’un mois à l’avance."), field="for_month"
        )
    if amount_cents > club.max_saving_cents:
        raise SavingOutOfBounds(
            _(
                "%(amount)s dépasse le versement mensuel maximal du club (%(high)s).",
                amount=_money(amount_cents),
                high=_money(club.max_saving_cents),
            ),
            field="amount",
        )
    year_total = paid_in_year(membership, for_month.year)
    if year_total + amount_cents > club.yearly_cap_cents:
        raise SavingOutOfBounds(
            _(
                "Ce versement porterait l’épargne de %(year)d à %(total)s, au-delà du plafond "
                "annuel de %(cap)s.",
                year=for_month.year,
                total=_money(year_total + amount_cents),
                cap=_money(club.yearly_cap_cents),
            ),
            field="amount",
        )
    if _live_payment(membership, for_month) is not None:
        raise ClubError(
            _(
                "Un versement est déjà enregistré pour ce membre et ce mois. "
                "Annulez-le d’abord s’il est erroné."
            ),
            field="for_month",
        )
    if key is None:
        cancelled = (
            db.session.scalar(
                select(func.count(SavingsPayment.id)).where(
                    SavingsPayment.membership_id == membership.id,
                    SavingsPayment.for_month == for_month,
                    SavingsPayment.cancelled_at.is_not(None),
                )
            )
            or 0
        )
        key = f"club:{club.id}:saving:{membership.id}:{for_month:%Y-%m}:{cancelled + 1}"
    payment = SavingsPayment(
        club_id=club.id,
        membership_id=membership.id,
        user_id=membership.user_id,
        amount_cents=amount_cents,
        for_month=for_month,
        received_on=saving.received_on or today,
        method=saving.method,
        reference=(saving.reference or "").strip()[:120] or None,
        ledger_key=key,
        recorded_by_id=getattr(by, "id", None),
    )
    db.session.add(payment)
    db.session.flush()
    fund.post(
        club.id,
        key,
        fund.SAVING,
        [
            (fund.saver_account(club.id, membership.user_id), -amount_cents),
            (fund.fund_account(club.id), amount_cents),
        ],
        subject=f"club_payment:{payment.id}",
        about=ledger.PostingRef(
            reference=payment.reference, actor=by, memo=f"Épargne {for_month:%m/%Y}"
        ),
    )
    notify(
        membership.user,
        notices.SAVINGS,
        _l(
            "Votre versement de %(amount)s pour %(month)s est enregistré dans le "
            "fonds du club « %(club)s ».",
            amount=_money(amount_cents),
            month=format_date(for_month, "MMMM y"),
            club=club.name,
        ),
        url_for("clubs.savings", club_id=club.id),
    )
    return payment


def cancel_payment(club: InvestorClub, by, payment: SavingsPayment, reason: str) -> SavingsPayment:
    """A payment recorded by mistake (or given back): a reversing movement, the row kept."""
    lock(club)
    db.session.refresh(payment)
    if payment.club_id != club.id or payment.cancelled_at is not None:
        raise ClubError(_("Ce versement est déjà annulé."))
    reason = (reason or "").strip()
    if not reason:
        raise ClubError(_("Dites pourquoi ce versement est annulé."), field="reason")
    if fund.balance(club.id) < payment.amount_cents:
        raise FundTooLow(_("Le fonds ne contient plus assez d’argent pour annuler ce versement."))
    fund.post(
        club.id,
        f"{payment.ledger_key}:reversal",
        fund.SAVING_REVERSAL,
        [
            (fund.fund_account(club.id), -payment.amount_cents),
            (fund.saver_account(club.id, payment.user_id), payment.amount_cents),
        ],
        subject=f"club_payment:{payment.id}",
        about=ledger.PostingRef(actor=by, memo=reason[:255]),
    )
    payment.cancelled_at, payment.cancelled_by_id = utcnow(), by.id
    payment.cancel_reason = reason[:255]
    db.session.flush()
    return payment


def recent_payments(club: InvestorClub, limit: int = 30) -> list[SavingsPayment]:
    return list(
        db.session.scalars(
            select(SavingsPayment)
            .where(SavingsPayment.club_id == club.id)
            .options(joinedload(SavingsPayment.membership).joinedload(ClubMembership.user))
            .order_by(SavingsPayment.created_at.desc(), SavingsPayment.id.desc())
            .limit(limit)
        )
    )


# --- Stripe mode: a monthly subscription per member ------------------------------------------


def card_savings_enabled() -> bool:
    from tremplin.funding import payments

    return payments.is_enabled()


def club_takes_cards(club: InvestorClub) -> bool:
    """The platform never holds the club's money: card savings only when the money goes to
    the club's own connected account and Stripe lets it take charges (Connect onboarding,
    connect.py), unless the deployment is a registered intermediary
    (`FUNDING_PLATFORM_IS_INTERMEDIARY`). Otherwise members pay by transfer."""
    from flask import current_app

    from tremplin.funding import payments

    if not payments.is_enabled():
        return False
    if current_app.config.get("FUNDING_PLATFORM_IS_INTERMEDIARY"):
        return True
    return bool(club.stripe_account_id and club.stripe_charges_enabled)


def prepare_card_saving(club: InvestorClub, membership: ClubMembership, monthly_cents: int):
    """Stripe mode: the SetupIntent the card page confirms with Stripe.js (the card goes
    from the browser to Stripe only)."""
    from tremplin.funding import payments
    from tremplin.funding.pledges import ensure_customer

    _check_saving_allowed(club)
    if not club_takes_cards(club):
        raise ClubError(
            _(
                "Le club n’a pas encore de compte Stripe qui accepte les paiements : "
                "versez votre épargne par virement."
            )
        )
    check_monthly_amount(club, monthly_cents)
    customer = ensure_customer(membership.user)
    return payments.create_setup_intent(
        customer=customer,
        key=f"tremplin-club-{club.id}-setup-{membership.id}-{monthly_cents}-{utcnow():%Y%m%d%H%M}",
        metadata={
            "tremplin_club": str(club.id),
            "tremplin_membership": str(membership.id),
            "tremplin_monthly": str(monthly_cents),
        },
    )


def start_card_saving(
    club: InvestorClub,
    membership: ClubMembership,
    setup_intent_id: str,
    *,
    today: date | None = None,
) -> SavingsPlan:
    """The card is saved: the monthly subscription starts, and the plan with it. What the
    SetupIntent says is read back from Stripe, never from the browser."""
    from tremplin.funding import payments

    lock(club)
    _check_saving_allowed(club)
    setup = payments.retrieve_setup_intent(setup_intent_id)
    if setup.status != "succeeded" or setup.metadata.get("tremplin_membership") != str(
        membership.id
    ):
        raise ClubError(_("La carte n’a pas pu être enregistrée. Réessayez."))
    monthly = int(setup.metadata.get("tremplin_monthly", "0"))
    check_monthly_amount(club, monthly)
    plan = current_plan(membership)
    start = first_month_not_due(club, today)
    if plan is not None:
        if plan.stripe_subscription_id:
            return plan  # already started (the return page reloaded)
        stop_plan(plan, start)
    plan_id = payments.monthly_plan(club.id, monthly, club.name)
    payments.set_default_card(setup.customer, setup.payment_method)
    subscription = payments.subscribe(
        customer=setup.customer,
        plan_id=plan_id,
        key=f"tremplin-club-sub-{setup.id}",
        metadata={"tremplin_club": str(club.id), "tremplin_membership": str(membership.id)},
        destination=club.stripe_account_id,
    )
    plan = SavingsPlan(
        club_id=club.id,
        membership_id=membership.id,
        monthly_cents=monthly,
        starts_on=start,
        method=BY_CARD,
        stripe_subscription_id=subscription.id,
    )
    db.session.add(plan)
    db.session.flush()
    if subscription.latest_invoice is not None:
        record_card_invoice(subscription.latest_invoice)
    return plan


def record_card_invoice(invoice) -> str:
    """A paid Stripe invoice of a savings subscription becomes the month's payment (once:
    the ledger key is the invoice id). For the webhook `invoice.paid` and the sync job."""
    if invoice.status != "paid" or not invoice.subscription or invoice.amount_paid_cents <= 0:
        return "ignored: not paid"
    key = f"club-saving:stripe:{invoice.id}"
    if db.session.scalar(select(SavingsPayment.id).where(SavingsPayment.ledger_key == key)):
        return "duplicate"
    plan = db.session.scalar(
        select(SavingsPlan)
        .where(SavingsPlan.stripe_subscription_id == invoice.subscription)
        .options(joinedload(SavingsPlan.membership))
    )
    if plan is None:
        return "ignored: unknown subscription"
    club = db.session.get(InvestorClub, plan.club_id)
    month = plan.starts_on
    while _live_payment(plan.membership, month) is not None:
        month = add_months(month, 1)
    record_payment(
        club,
        None,
        plan.membership,
        SavingFields(
            amount_cents=invoice.amount_paid_cents,
            for_month=month,
            reference=invoice.id,
            method=BY_CARD,
        ),
        key=key,
    )
    return "recorded"


def sync_card_savings() -> int:
    """Record the paid invoices of running subscriptions (a fallback for a missed webhook;
    safe to run any number of times)."""
    from tremplin.funding import payments

    if not card_savings_enabled():
        return 0
    recorded = 0
    for plan in db.session.scalars(
        select(SavingsPlan).where(SavingsPlan.stripe_subscription_id.is_not(None))
    ).all():
        for invoice in payments.paid_invoices(plan.stripe_subscription_id):
            if record_card_invoice(invoice) == "recorded":
                recorded += 1
    return recorded


def _cancel_subscription(plan: SavingsPlan) -> None:
    from tremplin.funding import payments

    if card_savings_enabled():
        payments.cancel_subscription(plan.stripe_subscription_id)


def cancel_card_savings(club: InvestorClub) -> None:
    for plan in db.session.scalars(
        select(SavingsPlan).where(
            SavingsPlan.club_id == club.id,
            SavingsPlan.stripe_subscription_id.is_not(None),
            SavingsPlan.ends_on.is_(None),
        )
    ):
        stop_plan(plan, first_month_not_due(club))
