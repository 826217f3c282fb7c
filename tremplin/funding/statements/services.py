"""Statement services: store an uploaded statement's lines (once each), propose matches for
its credits, confirm a match through the existing guarded services, dismiss a line.
Flush, never commit.

Accounts: a campaign's statement is its project's bank account (every campaign of the
project is paid on it); a club's statement is the club's account. Matches are computed
from the current state each time they are shown, so a proposal never goes stale; the
treasurer's confirmation carries the target that was shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tremplin.funding.models import DUE, PROMISE_MODE, UNPAID, Campaign, Pledge
from tremplin.funding.statements import parsers
from tremplin.funding.statements.models import (
    ACCOUNT_CLUB,
    ACCOUNT_PROJECT,
    LINE_DISMISSED,
    LINE_MATCHED,
    LINE_OPEN,
    StatementImport,
    StatementLine,
)
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.templating import euros
from tremplin.platform.types import utcnow


class LineAlreadyDone(DomainError):
    pass


@dataclass(frozen=True)
class Account:
    kind: str
    id: int


def project_account(campaign: Campaign) -> Account:
    return Account(ACCOUNT_PROJECT, campaign.project_id)


def club_account(club) -> Account:
    return Account(ACCOUNT_CLUB, club.id)


def saving_reference(membership_id: int) -> str:
    """The reference a club member puts on their savings transfers: CLB + id + two check
    digits (ISO 7064 mod 97-10), like a promise's TRP reference."""
    body = f"{membership_id:06d}"
    return f"CLB{body}{98 - (int(body) * 100) % 97:02d}"


_REFERENCE = re.compile(r"(TRP|CLB)(\d{6})(\d{2})")


def references_in(label: str) -> list[tuple[str, int]]:
    """The (kind, id) of the valid references in a bank label, wherever the bank put
    spaces or dashes in it."""
    flat = re.sub(r"[^A-Z0-9]", "", (label or "").upper())
    found = []
    for prefix, body, check in _REFERENCE.findall(flat):
        if 98 - (int(body) * 100) % 97 == int(check):
            found.append((prefix, int(body)))
    return found


# --- import ----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    row: StatementImport
    total: int
    new: int
    skipped: int


def import_statement(
    account: Account, by, data: bytes, filename: str | None, mapping: parsers.Mapping | None
) -> ImportResult:
    """Read the file (a StatementError before anything is written), then store the lines
    this account does not have yet (the unique key skips the others, also those another
    upload of the same file stores at the same moment)."""
    parsed = parsers.parse(data, mapping)
    row = StatementImport(
        account_kind=account.kind,
        account_id=account.id,
        filename=(filename or "")[:255] or None,
        file_format=parsed.file_format,
        line_count=len(parsed.lines),
        uploaded_by_id=getattr(by, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    fresh = [
        {
            "import_id": row.id,
            "account_kind": account.kind,
            "account_id": account.id,
            "line_key": line.key,
            "booked_on": line.booked_on,
            "amount_cents": line.amount_cents,
            "label": line.label,
            "bank_ref": (line.bank_ref or "")[:120] or None,
            "status": LINE_OPEN,
            "created_at": utcnow(),
        }
        for line in parsed.lines
    ]
    _insert_new(fresh)
    new = db.session.scalar(
        select(func.count(StatementLine.id)).where(StatementLine.import_id == row.id)
    )
    row.new_count = new
    db.session.flush()
    return ImportResult(row, len(parsed.lines), new, parsed.skipped)


def _insert_new(rows: list[dict]) -> None:
    """One INSERT per 500 lines; a line another upload of the same statement stored
    meanwhile is skipped by the unique key (ON CONFLICT DO NOTHING: it waits for the
    other transaction, then skips, never fails)."""
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(StatementLine.__table__).on_conflict_do_nothing(
            index_elements=["account_kind", "account_id", "line_key"]
        )
        for start in range(0, len(rows), 500):
            db.session.execute(statement, rows[start : start + 500])
        return
    for values in rows:  # any other database: one savepoint per line
        try:
            with db.session.begin_nested():
                db.session.add(StatementLine(**values))
        except IntegrityError:
            continue


def lines(account: Account, status: str, limit: int | None = None) -> list[StatementLine]:
    """The account's credit lines in this status, the latest first."""
    query = (
        select(StatementLine)
        .where(
            StatementLine.account_kind == account.kind,
            StatementLine.account_id == account.id,
            StatementLine.amount_cents > 0,
        )
        .options(joinedload(StatementLine.decided_by))
        .order_by(StatementLine.booked_on.desc(), StatementLine.id.desc())
    )
    query = query.where(StatementLine.status == status)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def debit_count(account: Account) -> int:
    return db.session.scalar(
        select(func.count(StatementLine.id)).where(
            StatementLine.account_kind == account.kind,
            StatementLine.account_id == account.id,
            StatementLine.amount_cents < 0,
        )
    )


# --- matching ---------------------------------------------------------------------------------


@dataclass
class Proposal:
    """A target for a credit line: a promise (pledge) or a member's month of savings."""

    pledge: Pledge | None = None
    membership: object | None = None
    month: date | None = None
    by_reference: bool = False
    note: str | None = None  # shown to the treasurer (partial payment, …)
    ok: bool = True  # False: shown with its warning, not confirmable in one click

    @property
    def target(self) -> str:
        if self.pledge is not None:
            return f"p:{self.pledge.id}"
        return f"m:{self.membership.id}:{self.month:%Y-%m}"


def open_pledges(account: Account) -> list[Pledge]:
    return list(
        db.session.scalars(
            select(Pledge)
            .join(Campaign, Campaign.id == Pledge.campaign_id)
            .where(
                Campaign.project_id == account.id,
                Pledge.mode == PROMISE_MODE,
                Pledge.status.in_((DUE, UNPAID)),
            )
            .options(joinedload(Pledge.backer))
            .order_by(Pledge.id)
        )
    )


def propose(account: Account, credit_lines: list[StatementLine], club=None) -> dict:
    """{line id: Proposal} for the open credit lines that match something."""
    if account.kind == ACCOUNT_PROJECT:
        return _propose_pledges(account, credit_lines)
    return _propose_savings(club, credit_lines)


def _propose_pledges(account: Account, credit_lines: list[StatementLine]) -> dict:
    candidates = {p.id: p for p in open_pledges(account)}
    remaining = {p.id: p.amount_cents - p.collected_cents for p in candidates.values()}
    referenced_ids = {
        pid
        for line in credit_lines
        for kind, pid in references_in(line.label)
        if kind == "TRP" and pid not in candidates
    }
    others = {}
    if referenced_ids:
        others = {
            p.id: p
            for p in db.session.scalars(
                select(Pledge)
                .join(Campaign, Campaign.id == Pledge.campaign_id)
                .where(Pledge.id.in_(referenced_ids), Campaign.project_id == account.id)
            )
        }
    found: dict[int, Proposal] = {}
    by_amount: list[StatementLine] = []
    for line in sorted(credit_lines, key=lambda item: (item.booked_on, item.id)):
        ids = [pid for kind, pid in references_in(line.label) if kind == "TRP"]
        pledge = next((candidates[i] for i in ids if i in candidates), None)
        if pledge is None:
            closed = next((others[i] for i in ids if i in others), None)
            if closed is not None:
                found[line.id] = Proposal(
                    pledge=closed,
                    by_reference=True,
                    ok=False,
                    note=_(
                        "La référence %(ref)s désigne une promesse qui n'attend pas de "
                        "virement (déjà payée, annulée ou pas encore due).",
                        ref=closed.reference,
                    ),
                )
            else:
                by_amount.append(line)
            continue
        rest = remaining[pledge.id]
        if line.amount_cents > rest:
            found[line.id] = Proposal(
                pledge=pledge,
                by_reference=True,
                ok=False,
                note=_(
                    "Le virement (%(amount)s) dépasse ce qui reste dû sur cette promesse "
                    "(%(rest)s) : enregistrez la part due à la main depuis la gestion de la "
                    "collecte, puis écartez cette ligne.",
                    amount=euros(line.amount_cents, True),
                    rest=euros(rest, True),
                ),
            )
            continue
        remaining[pledge.id] = rest - line.amount_cents
        note = None
        if line.amount_cents < rest:
            note = _(
                "Paiement partiel : il restera %(rest)s à recevoir.",
                rest=euros(rest - line.amount_cents, True),
            )
        found[line.id] = Proposal(pledge=pledge, by_reference=True, note=note)
    for line in by_amount:
        same = [pid for pid, rest in remaining.items() if rest == line.amount_cents]
        if len(same) == 1:
            remaining[same[0]] = 0
            found[line.id] = Proposal(
                pledge=candidates[same[0]],
                note=_("Proposé d'après le montant seul : vérifiez le nom sur le libellé."),
            )
    return found


def _propose_savings(club, credit_lines: list[StatementLine], today: date | None = None) -> dict:
    import tremplin.funding.clubs.savings as savings
    from tremplin.funding.clubs.dates import add_months, month_start, paris_today
    from tremplin.funding.clubs.models import MEMBER_ACTIVE

    members = {m.id: m for m in club.memberships if m.state == MEMBER_ACTIVE}
    schedules = savings.club_schedules(club, today)
    plans = savings.plans_by_membership(club)
    taken: dict[int, set[date]] = {}
    found: dict[int, Proposal] = {}

    def month_for(mid: int) -> date | None:
        """The member's oldest month with nothing paid (not yet proposed for another
        line), else the next month to pay that has no payment yet."""
        used = taken.get(mid, set())
        months = schedules.get(mid, [])
        for line in months:
            if line.missing_cents > 0 and not line.payments and line.month not in used:
                return line.month
        paid = {m.month for m in months if m.payments}
        this_month = month_start(today or paris_today())
        # ahead of time: the next month to pay, at most next month (what record_payment takes)
        for month in (savings.first_month_not_due(club, today), add_months(this_month, 1)):
            if month not in used and month not in paid:
                return month
        return None

    pending: list[StatementLine] = []
    for line in sorted(credit_lines, key=lambda item: (item.booked_on, item.id)):
        ids = [mid for kind, mid in references_in(line.label) if kind == "CLB"]
        member = next((members[i] for i in ids if i in members), None)
        if member is None:
            pending.append(line)
            continue
        month = month_for(member.id)
        if month is None:
            found[line.id] = Proposal(
                membership=member,
                by_reference=True,
                ok=False,
                note=_("Aucun mois sans versement pour ce membre : rapprochez-la à la main."),
            )
            continue
        taken.setdefault(member.id, set()).add(month)
        found[line.id] = Proposal(membership=member, month=month, by_reference=True)
    for line in pending:
        same = [
            mid
            for mid, plan in plans.items()
            if mid in members and plan.monthly_cents == line.amount_cents
        ]
        if len(same) == 1:
            month = month_for(same[0])
            if month is not None:
                taken.setdefault(same[0], set()).add(month)
                found[line.id] = Proposal(
                    membership=members[same[0]],
                    month=month,
                    note=_("Proposé d'après le montant seul : vérifiez le nom sur le libellé."),
                )
    return found


# --- deciding ---------------------------------------------------------------------------------


def _claim(line: StatementLine, by, status: str, was: str = LINE_OPEN) -> None:
    """The guarded move of a line: whoever moves it first wins; the others are told."""
    db.session.flush()
    moved = db.session.execute(
        update(StatementLine)
        .where(StatementLine.id == line.id, StatementLine.status == was)
        .values(status=status, decided_by_id=getattr(by, "id", None), decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(line)
    if not moved:
        raise LineAlreadyDone(
            _("Cette ligne du relevé est déjà rapprochée.")
            if line.status == LINE_MATCHED
            else _("Cette ligne du relevé a déjà été traitée.")
        )


def confirm_pledge(account: Account, line: StatementLine, by, pledge: Pledge):
    """Record the line's credit as a transfer received for this promise (the existing
    guarded service: never more than what is owed)."""
    from tremplin.funding import pledges

    _check_line(account, line)
    if pledge.campaign.project_id != account.id:
        raise DomainError(_("Cette promesse n'est pas une promesse de ce projet."), field="target")
    _claim(line, by, LINE_MATCHED)
    transfer = pledges.record_transfer(
        pledge,
        by,
        amount_cents=line.amount_cents,
        received_on=line.booked_on,
        note=_("Relevé bancaire : %(label)s", label=line.label)[:255],
    )
    line.transfer_id = transfer.id
    db.session.flush()
    return transfer


def confirm_saving(account: Account, line: StatementLine, by, club, membership, month: date):
    """Record the line's credit as the member's savings for `month` (the club's guarded
    service: bounds, one payment per month, the club locked)."""
    import tremplin.funding.clubs.savings as savings

    _check_line(account, line)
    if membership.club_id != club.id or account.id != club.id:
        raise DomainError(_("Ce membre n'est pas membre de ce club."), field="target")
    _claim(line, by, LINE_MATCHED)
    payment = savings.record_payment(
        club,
        by,
        membership,
        savings.SavingFields(
            amount_cents=line.amount_cents,
            for_month=month,
            received_on=line.booked_on,
            reference=(line.bank_ref or line.label)[:120],
        ),
        key=f"club:{club.id}:statement-line:{line.id}",
    )
    line.savings_payment_id = payment.id
    db.session.flush()
    return payment


def dismiss(account: Account, line: StatementLine, by) -> None:
    _check_line(account, line)
    _claim(line, by, LINE_DISMISSED)


def reopen(account: Account, line: StatementLine, by) -> None:
    _check_line(account, line)
    _claim(line, by, LINE_OPEN, was=LINE_DISMISSED)


def _check_line(account: Account, line: StatementLine) -> None:
    if (line.account_kind, line.account_id) != (account.kind, account.id):
        raise DomainError(_("Cette ligne n'appartient pas à ce relevé."))
    if line.amount_cents <= 0:
        raise DomainError(_("Seuls les crédits peuvent être rapprochés."))


def confirm_target(account: Account, line: StatementLine, by, target: str, club=None):
    """A target as the page carries it: "p:<pledge id>" or "m:<membership id>:<YYYY-MM>"."""
    parts = (target or "").split(":")
    try:
        if parts[0] == "p" and len(parts) == 2 and account.kind == ACCOUNT_PROJECT:
            pledge = db.session.get(Pledge, int(parts[1]))
            if pledge is None:
                raise ValueError
            return confirm_pledge(account, line, by, pledge)
        if parts[0] == "m" and len(parts) == 3 and account.kind == ACCOUNT_CLUB:
            from tremplin.funding.clubs.models import ClubMembership

            membership = db.session.get(ClubMembership, int(parts[1]))
            year, month = parts[2].split("-")
            if membership is None:
                raise ValueError
            return confirm_saving(
                account, line, by, club, membership, date(int(year), int(month), 1)
            )
    except ValueError:
        pass
    raise DomainError(_("Choisissez à quoi correspond ce virement."), field="target")


@dataclass
class BatchResult:
    done: int
    failed: list[tuple[StatementLine, str]]


def confirm_many(account: Account, by, pairs: list[tuple[int, str]], club=None) -> BatchResult:
    """Confirm each (line id, target) the treasurer saw, each in its own savepoint: a line
    taken meanwhile or refused by the service is reported, the others go through."""
    done, failed = 0, []
    for line_id, target in pairs:
        line = db.session.get(StatementLine, line_id)
        if line is None:
            continue
        try:
            with db.session.begin_nested():
                confirm_target(account, line, by, target, club=club)
            done += 1
        except DomainError as error:
            failed.append((line, error.message))
    return BatchResult(done, failed)
