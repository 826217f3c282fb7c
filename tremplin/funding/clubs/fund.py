"""The club's fund in the funding ledger, and each member's share of it.

Accounts (ledger `(kind, ref)` pairs; an outside party goes negative by what it gave):
- `club:<club>`                  the fund: the money the club holds (its bank account);
- `club_saver:<club>:<user>`     a member's own money (savings in, distribution out);
- `club_investee:<investment>`   the capital placed in a project (out at investment, back
                                 with repayments and exits, written off if lost);
- `club_income:<investment>`     dividends, interest and capital gains received;
- `club_losses:<investment>`     capital lost (a write-off, an exit below cost);
- `club_expenses:<club>`         fees and other costs paid by the fund.
Every movement is one ledger transaction keyed by the real-world event it records
(scope `club:<id>`), so recording it twice posts it once.

Shares: a member's share of the club is their savings paid (net of cancelled payments)
divided by all savings paid. A sum of money (the fund's cash, the portfolio at cost, the
closing distribution) is split pro rata with the largest-remainder method: everyone gets the
floor of their exact part, and the cents left over go one by one to the largest remainders
(ties: the member who joined the savings first, i.e. the smallest user id). The parts
therefore always add up to the sum, to the cent. This module never commits.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import func, select

from tremplin.funding import ledger
from tremplin.funding.models import LedgerAccount, LedgerEntry, LedgerTransaction
from tremplin.platform.extensions import db

FUND, SAVER, INVESTEE, INCOME, LOSSES, EXPENSES = (
    "club",
    "club_saver",
    "club_investee",
    "club_income",
    "club_losses",
    "club_expenses",
)

# ledger transaction kinds
SAVING, SAVING_REVERSAL = "club_saving", "club_saving_reversal"
INVESTMENT, REPAYMENT, DIVIDEND, INTEREST = (
    "club_investment",
    "club_repayment",
    "club_dividend",
    "club_interest",
)
EXIT, WRITE_OFF, EXPENSE, DISTRIBUTION = (
    "club_exit",
    "club_write_off",
    "club_expense",
    "club_distribution",
)
SAVING_KINDS = (SAVING, SAVING_REVERSAL)


def fund_account(club_id: int) -> ledger.AccountRef:
    return ledger.ref(FUND, club_id)


def saver_account(club_id: int, user_id: int) -> ledger.AccountRef:
    return ledger.ref(SAVER, f"{club_id}:{user_id}")


def investee_account(investment_id: int) -> ledger.AccountRef:
    return ledger.ref(INVESTEE, investment_id)


def income_account(investment_id: int) -> ledger.AccountRef:
    return ledger.ref(INCOME, investment_id)


def losses_account(investment_id: int) -> ledger.AccountRef:
    return ledger.ref(LOSSES, investment_id)


def expenses_account(club_id: int) -> ledger.AccountRef:
    return ledger.ref(EXPENSES, club_id)


def scope(club_id: int) -> str:
    return f"club:{club_id}"


def post(
    club_id: int,
    key: str,
    kind: str,
    legs,
    *,
    subject: str | None = None,
    about: ledger.PostingRef | None = None,
):
    """A movement of this club's money (see ledger.post)."""
    return ledger.post(key, kind, legs, scope=scope(club_id), subject=subject, about=about)


def balance(club_id: int) -> int:
    """The fund's cash, in cents."""
    return ledger.balance(fund_account(club_id))


def balances(club_ids) -> dict[int, int]:
    """Many clubs' funds in one statement."""
    found = ledger.balances(FUND, list(club_ids))
    return {int(ref_): cents for ref_, cents in found.items()}


def contributions(club_id: int) -> dict[int, int]:
    """{user id: savings paid, net of cancellations} from the ledger (one statement)."""
    prefix = f"{club_id}:"
    rows = db.session.execute(
        select(LedgerAccount.ref, func.sum(LedgerEntry.amount_cents))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .join(LedgerTransaction, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(
            LedgerAccount.kind == SAVER,
            LedgerAccount.ref.startswith(prefix, autoescape=True),
            LedgerTransaction.kind.in_(SAVING_KINDS),
        )
        .group_by(LedgerAccount.ref)
    ).all()
    found = {}
    for ref_, total in rows:
        cents = -int(total or 0)
        if cents:
            found[int(ref_.split(":", 1)[1])] = cents
    return found


def outstanding(investment_ids) -> dict[int, int]:
    """{investment id: capital still placed in the project (at cost)} in one statement."""
    wanted = [int(i) for i in investment_ids]
    found = ledger.balances(INVESTEE, wanted)
    return {int(ref_): cents for ref_, cents in found.items()}


def returned(investment_ids) -> dict[int, int]:
    """{investment id: dividends, interest and gains received} in one statement."""
    wanted = [int(i) for i in investment_ids]
    found = ledger.balances(INCOME, wanted)
    return {int(ref_): -cents for ref_, cents in found.items()}


def pro_rata(total: int, weights: Mapping[Hashable, int]) -> dict[Hashable, int]:
    """Split `total` cents in proportion to `weights` so that the parts add up to `total`
    exactly (largest remainder; ties go to the smallest key). With no weight at all, the
    split is equal. Keys must be comparable (user ids)."""
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError("total must be non-negative integer cents")
    keys = sorted(weights)
    if not keys:
        if total:
            raise ValueError("nobody to share a non-zero total with")
        return {}
    if any(weights[k] < 0 for k in keys):
        raise ValueError("weights must be non-negative")
    basis = sum(weights[k] for k in keys)
    effective = {k: (weights[k] if basis else 1) for k in keys}
    basis = basis or len(keys)
    parts, remainders = {}, []
    for order, k in enumerate(keys):
        whole, rest = divmod(total * effective[k], basis)
        parts[k] = whole
        remainders.append((-rest, order, k))
    left = total - sum(parts.values())
    for _rest, _order, k in sorted(remainders)[:left]:
        parts[k] += 1
    return parts


@dataclass(frozen=True)
class Share:
    user_id: int
    contributed_cents: int
    fraction: Fraction  # of the club
    cash_cents: int  # of the fund's cash
    portfolio_cents: int  # of the capital placed in projects, at cost

    @property
    def percent(self) -> float:
        return float(self.fraction * 100)

    @property
    def total_cents(self) -> int:
        return self.cash_cents + self.portfolio_cents


@dataclass(frozen=True)
class FundPosition:
    cash_cents: int
    portfolio_cents: int
    contributed_cents: int
    shares: dict[int, Share]

    @property
    def total_cents(self) -> int:
        return self.cash_cents + self.portfolio_cents


def position(club_id: int, investment_ids=()) -> FundPosition:
    """The fund (cash and portfolio at cost) and every saver's share of it; the shares of
    each add up to it exactly. Three statements."""
    cash = balance(club_id)
    portfolio = sum(outstanding(investment_ids).values()) if investment_ids else 0
    paid = contributions(club_id)
    total_paid = sum(paid.values())
    cash_parts = pro_rata(max(cash, 0), paid) if paid else {}
    portfolio_parts = pro_rata(max(portfolio, 0), paid) if paid else {}
    shares = {
        user_id: Share(
            user_id=user_id,
            contributed_cents=cents,
            fraction=Fraction(cents, total_paid) if total_paid else Fraction(0),
            cash_cents=cash_parts.get(user_id, 0),
            portfolio_cents=portfolio_parts.get(user_id, 0),
        )
        for user_id, cents in paid.items()
    }
    return FundPosition(
        cash_cents=cash, portfolio_cents=portfolio, contributed_cents=total_paid, shares=shares
    )


def statement(club_id: int, limit: int | None = 300) -> list[tuple[LedgerTransaction, int]]:
    """The fund's movements, newest first: (transaction, signed cents for the fund);
    `limit=None` for all of them."""
    return ledger.movements(fund_account(club_id), limit=limit)


def statement_csv(club_id: int) -> str:
    """Every movement of the fund, oldest first, with the balance after each: the club's
    bank book, for its accounts and its general meeting."""
    from flask_babel import gettext as _

    from tremplin.funding.clubs.labels import MOVEMENT_KINDS
    from tremplin.platform.spreadsheets import cell, csv_text, euros
    from tremplin.platform.templating import local_date

    rows, running = [], 0
    for transaction, cents in reversed(statement(club_id, limit=None)):
        running += cents
        rows.append(
            [
                local_date(transaction.occurred_at, "yyyy-MM-dd"),
                cell(MOVEMENT_KINDS.get(transaction.kind, transaction.kind)),
                cell(transaction.memo),
                cell(transaction.reference),
                euros(cents) if cents > 0 else "",
                euros(-cents) if cents < 0 else "",
                euros(running),
            ]
        )
    return csv_text(
        [
            _("Date"),
            _("Mouvement"),
            _("Détail"),
            _("Référence"),
            _("Entrée (€)"),
            _("Sortie (€)"),
            _("Solde (€)"),
        ],
        rows,
    )


def scope_is_balanced(club_id: int) -> bool:
    """Every entry of this club's movements sums to zero (double entry holds)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerTransaction, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerTransaction.scope == scope(club_id))
    )
    return int(total or 0) == 0
