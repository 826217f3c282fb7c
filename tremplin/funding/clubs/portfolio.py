"""The portfolio: each investment with what is still placed, what came back (repayments,
dividends, interest, exits) or was lost, the fees the fund paid, and the follow-up of each
backed project's journal and milestones (for at least five years). Flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.funding import ledger
from tremplin.funding.clubs import fund, notices
from tremplin.funding.clubs.clubs import lock, member_users
from tremplin.funding.clubs.dates import add_years, paris_today
from tremplin.funding.clubs.errors import ClubError, FundTooLow, WrongState
from tremplin.funding.clubs.investments import investment_url
from tremplin.funding.clubs.models import (
    CLOSED,
    DIVIDEND,
    EVENT_KINDS,
    EXIT,
    INTEREST,
    INV_ACTIVE,
    INV_EXITED,
    INV_REPAID,
    INV_WRITTEN_OFF,
    REPAYMENT,
    WRITE_OFF,
    ClubExpense,
    ClubInvestment,
    InvestmentCompanion,
    InvestorClub,
    PortfolioEvent,
)
from tremplin.platform.extensions import db
from tremplin.platform.templating import euros

FOLLOW_YEARS = 5
LEDGER_KINDS = {
    REPAYMENT: fund.REPAYMENT,
    DIVIDEND: fund.DIVIDEND,
    INTEREST: fund.INTEREST,
    EXIT: fund.EXIT,
    WRITE_OFF: fund.WRITE_OFF,
}


@dataclass(frozen=True)
class EventFields:
    """What came back from a backed project (or was lost): the kind of movement, the amount
    received, the day (None: today) and a note."""

    kind: str
    amount_cents: int
    occurred_on: date | None = None
    note: str | None = None


def record_event(
    investment: ClubInvestment, by, fields: EventFields, *, token: str
) -> PortfolioEvent:
    """Money back from a project (or its loss). `token` names this submission: sending
    the same form twice records it once."""
    kind, amount_cents = fields.kind, fields.amount_cents
    club = lock(db.session.get(InvestorClub, investment.club_id))
    if club.state == CLOSED:
        raise WrongState()
    key = f"club:{club.id}:event:{token}"
    existing = db.session.scalar(select(PortfolioEvent).where(PortfolioEvent.ledger_key == key))
    if existing is not None:
        return existing
    db.session.refresh(investment)
    if kind not in EVENT_KINDS:
        raise ClubError(_("Choisissez ce qui s’est passé."), field="kind")
    if investment.state != INV_ACTIVE:
        raise ClubError(_("Cet investissement n’est plus en portefeuille."))
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 0:
        raise ClubError(_("Indiquez un montant positif."), field="amount")
    if kind in (REPAYMENT, DIVIDEND, INTEREST) and amount_cents == 0:
        raise ClubError(_("Indiquez le montant reçu."), field="amount")
    placed = fund.outstanding([investment.id])[investment.id]
    fund_ref, investee = fund.fund_account(club.id), fund.investee_account(investment.id)
    principal = 0
    if kind == REPAYMENT:
        if amount_cents > placed:
            raise ClubError(
                _(
                    "Il reste %(placed)s à rembourser : un remboursement ne peut pas "
                    "dépasser ce montant (enregistrez le surplus comme intérêts).",
                    placed=euros(placed),
                ),
                field="amount",
            )
        principal = amount_cents
        legs = [(investee, -amount_cents), (fund_ref, amount_cents)]
    elif kind in (DIVIDEND, INTEREST):
        legs = [(fund.income_account(investment.id), -amount_cents), (fund_ref, amount_cents)]
    elif kind == EXIT:
        principal = placed
        legs = [(investee, -placed), (fund_ref, amount_cents)]
        if amount_cents > placed:
            legs.append((fund.income_account(investment.id), placed - amount_cents))
        elif amount_cents < placed:
            legs.append((fund.losses_account(investment.id), placed - amount_cents))
    else:  # WRITE_OFF
        if amount_cents:
            raise ClubError(
                _("Un passage en perte ne rapporte rien : le montant est 0."), field="amount"
            )
        principal = placed
        legs = [(investee, -placed), (fund.losses_account(investment.id), placed)]
    event = PortfolioEvent(
        investment_id=investment.id,
        kind=kind,
        amount_cents=amount_cents,
        principal_cents=principal,
        occurred_on=fields.occurred_on or paris_today(),
        note=(fields.note or "").strip()[:255] or None,
        ledger_key=key,
        recorded_by_id=by.id,
    )
    db.session.add(event)
    db.session.flush()
    if any(amount for _ref, amount in legs):
        fund.post(
            club.id,
            key,
            LEDGER_KINDS[kind],
            legs,
            subject=f"club_investment:{investment.id}",
            about=ledger.PostingRef(actor=by, memo=event.note),
        )
    ended = {EXIT: INV_EXITED, WRITE_OFF: INV_WRITTEN_OFF}.get(kind)
    if kind == REPAYMENT and principal == placed:
        ended = INV_REPAID
    if ended:
        investment.state, investment.ended_on = ended, event.occurred_on
    db.session.flush()
    if amount_cents:
        notices.tell_all(
            member_users(club),
            notices.PORTFOLIO,
            _l(
                "%(what)s de %(amount)s reçu de « %(project)s » par le club « %(club)s ».",
                what=_event_label(kind),
                amount=euros(amount_cents),
                project=investment.project.title,
                club=club.name,
            ),
            investment_url(investment),
            but=by,
        )
    return event


def _event_label(kind: str):
    from tremplin.funding.clubs.labels import EVENT_KINDS as LABELS

    return LABELS[kind]


def record_expense(
    club: InvestorClub,
    by,
    *,
    amount_cents: int,
    label: str,
    paid_on: date | None = None,
    token: str,
) -> ClubExpense:
    lock(club)
    if club.state == CLOSED:
        raise WrongState()
    key = f"club:{club.id}:expense:{token}"
    existing = db.session.scalar(select(ClubExpense).where(ClubExpense.ledger_key == key))
    if existing is not None:
        return existing
    label = (label or "").strip()
    if not label:
        raise ClubError(_("Dites à quoi correspondent ces frais."), field="label")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ClubError(_("Indiquez un montant positif."), field="amount")
    available = fund.balance(club.id)
    if amount_cents > available:
        raise FundTooLow(
            _("Le fonds ne contient que %(available)s.", available=euros(available)), field="amount"
        )
    expense = ClubExpense(
        club_id=club.id,
        amount_cents=amount_cents,
        label=label[:160],
        paid_on=paid_on or paris_today(),
        ledger_key=key,
        recorded_by_id=by.id,
    )
    db.session.add(expense)
    db.session.flush()
    fund.post(
        club.id,
        key,
        fund.EXPENSE,
        [
            (fund.fund_account(club.id), -amount_cents),
            (fund.expenses_account(club.id), amount_cents),
        ],
        subject=f"club_expense:{expense.id}",
        about=ledger.PostingRef(actor=by, memo=expense.label),
    )
    return expense


@dataclass(frozen=True)
class Holding:
    investment: ClubInvestment
    outstanding_cents: int
    income_cents: int

    @property
    def follow_until(self) -> date:
        return add_years(self.investment.invested_on, FOLLOW_YEARS)


def holdings(club: InvestorClub) -> list[Holding]:
    """Every investment of the club with its figures (four statements)."""
    investments = list(
        db.session.scalars(
            select(ClubInvestment)
            .where(ClubInvestment.club_id == club.id)
            .options(
                joinedload(ClubInvestment.project),
                selectinload(ClubInvestment.companions).joinedload(InvestmentCompanion.user),
                joinedload(ClubInvestment.convention),
            )
            .order_by(ClubInvestment.invested_on.desc(), ClubInvestment.id.desc())
        )
    )
    ids = [i.id for i in investments]
    placed = fund.outstanding(ids) if ids else {}
    income = fund.returned(ids) if ids else {}
    return [Holding(i, placed.get(i.id, 0), income.get(i.id, 0)) for i in investments]


def project_follow_up(investment: ClubInvestment, viewer, limit: int = 10) -> dict:
    """The backed project's journal and milestones, as the viewer may see them."""
    from tremplin.members import JournalEntry, Milestone, can_view_project

    project = investment.project
    if not can_view_project(viewer, project):
        return {"visible": False, "entries": [], "milestones": []}
    entries = db.session.scalars(
        select(JournalEntry)
        .where(JournalEntry.project_id == project.id)
        .options(joinedload(JournalEntry.author))
        .order_by(JournalEntry.created_at.desc())
        .limit(limit)
    ).all()
    milestones = db.session.scalars(
        select(Milestone)
        .where(Milestone.project_id == project.id)
        .order_by(Milestone.occurred_on.desc())
    ).all()
    return {
        "visible": True,
        "entries": entries,
        "milestones": milestones,
        "follow_until": add_years(investment.invested_on, FOLLOW_YEARS),
        "following": paris_today() <= add_years(investment.invested_on, FOLLOW_YEARS)
        or investment.state == INV_ACTIVE,
    }


def expenses(club: InvestorClub) -> list[ClubExpense]:
    return list(
        db.session.scalars(
            select(ClubExpense)
            .where(ClubExpense.club_id == club.id)
            .order_by(ClubExpense.paid_on.desc(), ClubExpense.id.desc())
        )
    )
