"""`flask funding reconcile`: does the ledger agree with itself, with the pledges, and with
Stripe? Every difference is reported; with `repair`, what Stripe proves happened (a charge
or a refund we missed) is recorded through the usual fulfilment functions, and
authorisations nobody will capture (left by a run that died) are released. A difference
is marked repaired only when the repair was actually written (the fulfilment function's
outcome says so); the others are reported with the reason, so a second run after a
repair lists only what still needs a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from tremplin.funding import bookkeeping, charging, ledger, payments, refunds
from tremplin.funding.models import (
    ATTEMPT_SUCCEEDED,
    REFUND_DONE,
    Campaign,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PaymentAttempt,
    Pledge,
    PledgeRefund,
)
from tremplin.platform.extensions import db

_OUTCOMES = {
    "more than collected": "plus que ce que nous avons reçu pour cette promesse, à examiner",
    "unknown payment": "paiement inconnu de notre base",
    "ignored": "remboursement refusé ou annulé chez Stripe",
    "already recorded": "déjà enregistré sous une autre référence",
}


@dataclass(frozen=True)
class Difference:
    kind: str
    subject: str
    detail: str
    repaired: bool = False

    def __str__(self) -> str:
        return f"[{self.kind}] {self.subject}: {self.detail}" + (
            " (réparé)" if self.repaired else ""
        )


def check_ledger() -> list[Difference]:
    found = [
        Difference("unbalanced", key, f"les écritures somment à {total}")
        for key, total in ledger.unbalanced_transactions()
    ]
    total = ledger.total_of_all_entries()
    if total:
        found.append(
            Difference(
                "unbalanced", "grand livre", f"la somme de toutes les écritures vaut {total}"
            )
        )
    return found


def _pledge_differences(
    pledge: Pledge, collected: int, refunded: int, pending: int
) -> list[Difference]:
    """One pledge's cached amounts against what the ledger says (and the refunds still
    pending, which the cache already reserves)."""
    found = []
    if (collected, refunded + pending) != (pledge.collected_cents, pledge.refunded_cents):
        found.append(
            Difference(
                "pledge",
                f"promesse {pledge.id}",
                f"reçu {pledge.collected_cents}/{collected}, remboursé "
                f"{pledge.refunded_cents}/{refunded}"
                + (f" + {pending} en attente" if pending else "")
                + " (promesse/grand livre)",
            )
        )
    if pending:
        found.append(
            Difference(
                "refund_pending",
                f"promesse {pledge.id}",
                f"{pending} de remboursement demandés, pas encore confirmés par Stripe "
                "(flask funding refunds les termine)",
            )
        )
    if collected > pledge.amount_cents:
        found.append(
            Difference(
                "overcharged",
                f"promesse {pledge.id}",
                f"{collected} reçus pour {pledge.amount_cents} promis",
            )
        )
    return found


def campaign_differences(campaign_id: int, pledges) -> list[Difference]:
    """For the treasurer's page: the campaign's pledges (already loaded) against the
    ledger, in two statements whatever their number."""
    rows = db.session.execute(
        select(
            LedgerTransaction.subject, LedgerTransaction.kind, func.sum(LedgerEntry.amount_cents)
        )
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id)
        .where(
            LedgerTransaction.scope == f"campaign:{campaign_id}",
            LedgerAccount.kind == "campaign",
            LedgerAccount.ref == str(campaign_id),
        )
        .group_by(LedgerTransaction.subject, LedgerTransaction.kind)
    ).all()
    totals: dict[str, dict[str, int]] = {}
    for subject, kind, total in rows:
        totals.setdefault(subject or "", {})[kind] = int(total or 0)
    reserved = refunds.pending_cents([p.id for p in pledges])
    found = []
    for pledge in pledges:
        kinds = totals.get(f"pledge:{pledge.id}", {})
        collected = kinds.get("charge", 0) + kinds.get("transfer", 0)
        found += _pledge_differences(
            pledge, collected, -kinds.get("refund", 0), reserved.get(pledge.id, 0)
        )
    return found


def check_pledges() -> list[Difference]:
    """Each pledge's cached amounts against its ledger entries, and no pledge charged
    twice."""
    found = []
    pledges = db.session.scalars(
        select(Pledge)
        .where((Pledge.collected_cents > 0) | (Pledge.refunded_cents > 0))
        .order_by(Pledge.id)
    ).all()
    reserved = refunds.pending_cents([p.id for p in pledges])
    pending_by_campaign: dict[int, int] = {}
    for pledge in pledges:
        pending_by_campaign[pledge.campaign_id] = pending_by_campaign.get(
            pledge.campaign_id, 0
        ) + reserved.get(pledge.id, 0)
    for pledge in pledges:
        collected, refunded = bookkeeping.pledge_ledger_totals(pledge)
        found += _pledge_differences(pledge, collected, refunded, reserved.get(pledge.id, 0))
    charges = db.session.execute(
        select(LedgerTransaction.subject, func.count(LedgerTransaction.id))
        .where(LedgerTransaction.kind == "charge")
        .group_by(LedgerTransaction.subject)
        .having(func.count(LedgerTransaction.id) > 1)
    ).all()
    for subject, count in charges:
        found.append(Difference("charged_twice", subject, f"{count} paiements par carte"))
    for (campaign_id,) in db.session.execute(select(Campaign.id)).all():
        net = db.session.scalar(
            select(
                func.coalesce(func.sum(Pledge.collected_cents - Pledge.refunded_cents), 0)
            ).where(Pledge.campaign_id == campaign_id)
        )
        net = int(net or 0) + pending_by_campaign.get(campaign_id, 0)  # reserved, not paid out
        fees = -ledger.balance(bookkeeping.campaign_account(campaign_id), kinds=["fee"])
        balance = bookkeeping.campaign_balance(campaign_id)
        if balance != net - fees:
            found.append(
                Difference(
                    "campaign",
                    f"collecte {campaign_id}",
                    f"solde {balance} ≠ reçu net {net} − frais {fees}",
                )
            )
    return found


def check_stripe(repair: bool = False) -> list[Difference]:
    found = []
    known = {}
    for attempt in db.session.scalars(
        select(PaymentAttempt)
        .where(PaymentAttempt.payment_intent_id.is_not(None))
        .order_by(PaymentAttempt.id)
    ):
        known[attempt.payment_intent_id] = attempt
        intent = payments.retrieve_payment_intent(attempt.payment_intent_id)
        subject = f"promesse {attempt.pledge_id} ({attempt.payment_intent_id})"
        if intent.status == payments.SUCCEEDED and attempt.status != ATTEMPT_SUCCEEDED:
            if repair:
                charging.apply_intent(attempt, intent)
            found.append(
                Difference(
                    "charge_missing", subject, "payé chez Stripe, pas chez nous", repaired=repair
                )
            )
        elif attempt.status == ATTEMPT_SUCCEEDED and intent.status != payments.SUCCEEDED:
            found.append(
                Difference(
                    "charge_unknown", subject, f"payé chez nous, « {intent.status} » chez Stripe"
                )
            )
        if intent.status == payments.SUCCEEDED:
            recorded = ledger.find(f"charge:{intent.id}")
            amount = (
                sum(e.amount_cents for e in recorded.entries if e.amount_cents > 0)
                if recorded
                else 0
            )
            if recorded and amount != (intent.amount_received_cents or intent.amount_cents):
                found.append(
                    Difference(
                        "amount",
                        subject,
                        f"{amount} au grand livre, {intent.amount_received_cents} chez Stripe",
                    )
                )
            for refund in payments.list_refunds(intent.id):
                if refund.status not in ("succeeded", "pending"):
                    continue
                if ledger.find(f"refund:{refund.id}") is None:
                    detail = (
                        f"remboursement {refund.id} de {refund.amount_cents} absent du grand livre"
                    )
                    repaired = False
                    if repair:
                        # recorded only if the books can take it: the outcome says
                        outcome = refunds.record_stripe_refund(refund)
                        repaired = outcome == "refund recorded"
                        if not repaired:
                            detail += f" ; non enregistré : {_OUTCOMES.get(outcome, outcome)}"
                    found.append(Difference("refund_missing", subject, detail, repaired=repaired))
    for row in db.session.scalars(
        select(PledgeRefund).where(
            PledgeRefund.stripe_refund_id.is_not(None), PledgeRefund.status == REFUND_DONE
        )
    ):
        if ledger.find(f"refund:{row.stripe_refund_id}") is None:
            found.append(
                Difference(
                    "refund_unposted",
                    f"promesse {row.pledge_id}",
                    f"remboursement {row.stripe_refund_id} sans écriture",
                )
            )
    for intent in payments.list_payment_intents():
        if (
            intent.id in known
            or "tremplin_pledge" not in intent.metadata
            or intent.status in (payments.FAILED, payments.CANCELED)
        ):
            continue
        detail = f"PaymentIntent {intent.id} ({intent.status}) inconnu de notre base"
        repaired = False
        if intent.status == payments.SUCCEEDED:
            detail += " : argent pris sans écriture, à rembourser"
        elif repair and intent.status in (payments.AUTHORIZED, payments.REQUIRES_ACTION):
            payments.cancel(intent.id, key=f"tremplin-orphan-cancel-{intent.id}")
            repaired = True
        found.append(
            Difference(
                "orphan",
                f"promesse {intent.metadata.get('tremplin_pledge')}",
                detail,
                repaired=repaired,
            )
        )
    return found


def run(*, repair: bool = False, stripe: bool = True) -> list[Difference]:
    found = check_ledger() + check_pledges()
    if stripe and payments.is_enabled():
        found += check_stripe(repair=repair)
    return found
