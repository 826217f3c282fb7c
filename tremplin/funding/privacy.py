"""RGPD for funding: what "download my data" holds, and what deleting an account does.

Money records stay (accounting law keeps them for ten years): amounts, dates, receipts.
Deleting an account withdraws the member's promises that have not started being paid,
hides their name and erases their messages and donor details.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tremplin.funding.models import ACTIVE, PENDING, Pledge
from tremplin.platform.accounts import rows_of
from tremplin.platform.extensions import db
from tremplin.platform.hooks import data_exporter, on_account_deleted
from tremplin.platform.types import stamp, utcnow


@data_exporter
def export_pledges(user) -> dict:
    pledges = rows_of(
        Pledge.backer_id,
        user.id,
        order_by=Pledge.created_at,
        load=[
            selectinload(Pledge.campaign),
            selectinload(Pledge.transfers),
            selectinload(Pledge.refunds),
        ],
    )
    return {
        "funding_pledges": [
            {
                "campaign": p.campaign.title,
                "amount_cents": p.amount_cents,
                "status": p.status,
                "collected_cents": p.collected_cents,
                "refunded_cents": p.refunded_cents,
                "message": p.message,
                "amount_hidden": p.is_amount_hidden,
                "name_hidden": p.is_name_hidden,
                "donor_name": p.donor_name,
                "donor_address": p.donor_address,
                "reference": p.reference,
                "created_at": stamp(p.created_at),
                "transfers": [
                    {"amount_cents": t.amount_cents, "received_on": t.received_on.isoformat()}
                    for t in p.transfers
                ],
                "refunds": [
                    {"amount_cents": r.amount_cents, "at": stamp(r.created_at)} for r in p.refunds
                ],
            }
            for p in pledges
        ]
    }


@on_account_deleted
def forget_backer(user) -> None:
    from tremplin.funding.pledges import _release_reward

    now = utcnow()
    for pledge in db.session.scalars(select(Pledge).where(Pledge.backer_id == user.id)):
        if pledge.status in (PENDING, ACTIVE) and pledge.campaign.status == "open":
            pledge.status, pledge.cancelled_at = "cancelled", now
            _release_reward(pledge.reward_id)
        pledge.message = None
        pledge.donor_name = pledge.donor_address = None
        pledge.is_name_hidden = True
    db.session.flush()
