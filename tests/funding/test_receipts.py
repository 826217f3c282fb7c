"""Receipts people can file: dates written in French, and a tax receipt that waits for the
donor's postal address (asked on the pledge page) instead of printing it as missing."""

from __future__ import annotations

import io
from datetime import date, datetime

from pypdf import PdfReader
from sqlalchemy import select

from tremplin.funding import pledges, receipts
from tremplin.funding.models import Receipt
from tremplin.platform.types import utcnow


def test_dates_are_written_the_french_way():
    assert receipts.long_date(date(2026, 12, 3)) == "3 décembre 2026"
    assert receipts.long_date("2026-08-01") == "1 août 2026"
    assert receipts.long_date(datetime.fromisoformat("2026-12-31T23:30:00+00:00")) == (
        "1 janvier 2027"  # Paris is already in the new year
    )


def test_tax_receipt_waits_for_the_donor_address_then_is_issued(
    client, auth, db, make_campaign, make_member, make_pledge
):
    campaign = make_campaign(goal=100_000, rule="keep", general_interest=True)
    backer = make_member("Léa Martin")
    pledge = make_pledge(campaign, backer, amount=5_000)
    pledges.record_transfer(
        pledge, campaign.project.owner, amount_cents=5_000, received_on=date(2026, 12, 3)
    )
    db.session.commit()
    kinds = set(db.session.scalars(select(Receipt.kind).where(Receipt.pledge_id == pledge.id)))
    assert kinds == {"payment"}  # no tax receipt without an address
    auth.login_as(backer)
    page = client.get(f"/collectes/promesses/{pledge.id}")
    assert "attend votre adresse" in page.text
    assert client.get(f"/collectes/promesses/{pledge.id}/recu/fiscal").status_code == 404
    refused = client.post(
        f"/collectes/promesses/{pledge.id}/adresse-recu", data={"name": "Léa", "address": "ici"}
    )
    assert refused.status_code == 422 and "adresse postale complète" in refused.text
    done = client.post(
        f"/collectes/promesses/{pledge.id}/adresse-recu",
        data={"name": "Léa Martin", "address": "3 rue Haute\n69001 Lyon"},
    )
    assert done.status_code == 302
    receipt = client.get(f"/collectes/promesses/{pledge.id}/recu/fiscal")
    assert receipt.status_code == 200
    assert "3 rue Haute" in receipt.text and "non renseignée" not in receipt.text
    assert "3 décembre 2026" in receipt.text  # the day the transfer arrived
    assert receipts.long_date(utcnow()) in receipt.text  # signed on the day it was issued
    assert "2026-12-03" not in receipt.text
    payment = client.get(f"/collectes/promesses/{pledge.id}/recu/paiement")
    assert "3 décembre 2026" in payment.text
    for kind in ("fiscal", "paiement"):
        pdf = client.get(f"/collectes/promesses/{pledge.id}/recu/{kind}.pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
        assert "3 décembre 2026" in text and "50,00" in text
        assert ("3 rue Haute" in text) == (kind == "fiscal")
    auth.login_as(make_member("Curieux"))
    assert client.get(f"/collectes/promesses/{pledge.id}/recu/fiscal.pdf").status_code in (
        403,
        404,
    )


def test_only_the_backer_gives_the_address(client, auth, db, make_campaign, make_member):
    campaign = make_campaign(goal=100_000, rule="keep", general_interest=True)
    pledge = pledges.pledge(campaign, make_member(), amount_cents=5_000)
    db.session.commit()
    auth.login_as(make_member("Intruse"))
    response = client.post(
        f"/collectes/promesses/{pledge.id}/adresse-recu",
        data={"name": "X", "address": "1 rue du Vol, 75001 Paris"},
    )
    assert response.status_code in (403, 404)
    db.session.refresh(pledge)
    assert pledge.donor_address is None
