"""Campaign money in the ledger: which accounts a pledge's movements touch.

Accounts: `backer:<user id>` (the backer's own money: negative by what they gave),
`campaign:<id>` (what the campaign collected, net of refunds and fees — the project's),
`fees:<processor>` (what the payment processor kept). Each movement is keyed by the
real-world event it records, so recording it twice posts it once; the pledge's cached
`collected_cents`/`refunded_cents` move in the same transaction, only when the ledger did.
"""

from __future__ import annotations

from sqlalchemy import String, cast, func, select

from tremplin.funding import ledger
from tremplin.funding.models import Campaign, LedgerAccount, LedgerEntry, Pledge
from tremplin.platform.extensions import db

PROCESSOR = "stripe"


def backer_account(pledge: Pledge) -> ledger.AccountRef:
    return ledger.ref("backer", pledge.backer_id or 0)


def campaign_account(campaign_id: int) -> ledger.AccountRef:
    return ledger.ref("campaign", campaign_id)


def fees_account(processor: str = PROCESSOR) -> ledger.AccountRef:
    return ledger.ref("fees", processor)


def _context(pledge: Pledge) -> dict:
    return {"scope": f"campaign:{pledge.campaign_id}", "subject": f"pledge:{pledge.id}"}


def record_payment(
    pledge: Pledge,
    cents: int,
    *,
    key: str,
    kind: str,
    about: ledger.PostingRef,
    counted: bool = False,
) -> bool:
    """Money received for a pledge (a card charge, a bank transfer). True if new.
    `about`: its reference, memo, who recorded it and when it arrived. `counted`: the caller
    already added it to `collected_cents` (in the guarded UPDATE that checked what was owed)."""
    ledger.ensure_cents(cents)
    _txn, created = ledger.transfer(
        key,
        kind,
        backer_account(pledge),
        campaign_account(pledge.campaign_id),
        cents,
        about=about,
        **_context(pledge),
    )
    if created and not counted:
        # an SQL increment: two transfers recorded at once both count
        pledge.collected_cents = Pledge.collected_cents + cents
        db.session.flush()
    if created:  # counted or not (a guarded transfer counted it already), money came in
        from tremplin.funding import signals

        signals.pledge_collected.send(pledge, cents=cents, key=key)
    return created


def record_refund(
    pledge: Pledge,
    cents: int,
    *,
    key: str,
    about: ledger.PostingRef,
    counted: bool = False,
) -> bool:
    """Money given back on a pledge. True if new. `about`: its reference, memo and who
    recorded it. `counted`: the amount was already reserved in `refunded_cents` (see
    `refunds.reserve`)."""
    ledger.ensure_cents(cents)
    _txn, created = ledger.transfer(
        key,
        "refund",
        campaign_account(pledge.campaign_id),
        backer_account(pledge),
        cents,
        about=about,
        **_context(pledge),
    )
    if created and not counted:
        pledge.refunded_cents = Pledge.refunded_cents + cents
        db.session.flush()
    return created


def record_fee(
    pledge: Pledge, cents: int, *, key: str, reference: str | None, processor: str = PROCESSOR
) -> bool:
    if not cents:
        return False
    ledger.ensure_cents(cents)
    _txn, created = ledger.transfer(
        key,
        "fee",
        campaign_account(pledge.campaign_id),
        fees_account(processor),
        cents,
        about=ledger.PostingRef(reference=reference),
        **_context(pledge),
    )
    return created


def campaign_balance(campaign_id: int) -> int:
    """What the campaign holds: collected − refunded − fees (a sum of ledger entries)."""
    return ledger.balance(campaign_account(campaign_id))


def campaign_balances(campaign_ids) -> dict[int, int]:
    found = ledger.balances("campaign", campaign_ids)
    return {int(k): v for k, v in found.items()}


def project_balance(project_id: int) -> int:
    """Sum of the project's campaign accounts, in one query."""
    campaign_refs = (
        select(cast(Campaign.id, String)).where(Campaign.project_id == project_id).scalar_subquery()
    )
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == "campaign", LedgerAccount.ref.in_(campaign_refs))
    )
    return int(total or 0)


def pledge_ledger_totals(pledge: Pledge) -> tuple[int, int]:
    """(collected, refunded) for a pledge as the ledger sees it, from the campaign side."""
    totals = ledger.subject_totals(f"pledge:{pledge.id}", campaign_account(pledge.campaign_id))
    collected = totals.get("charge", 0) + totals.get("transfer", 0)
    refunded = -totals.get("refund", 0)
    return collected, refunded
