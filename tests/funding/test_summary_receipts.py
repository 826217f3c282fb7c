"""Yearly summary tax receipts: a donor who prefers one receipt a year gets one Cerfa-style
receipt listing those gifts; the individual receipts already issued stay valid and are
only listed for the record (a gift is certified once, never twice); numbers continue the
organisation's unbroken sequence, also when summaries and receipts are issued at once."""

from __future__ import annotations

import io
import threading
from datetime import date

from pypdf import PdfReader
from sqlalchemy import func, select

from tremplin.funding import pledges, receipts, summaries
from tremplin.funding.models import Pledge, Receipt, SummaryReceipt, SummaryReceiptLine
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db as _db
from tremplin.platform.models import User
from tremplin.platform.types import utcnow

ADDRESS = "3 rue Haute\n69001 Lyon"
DAY = date(2026, 3, 14)
# receipts are numbered in the sequence of the year they are issued
Y = utcnow().astimezone(receipts.PARIS).year


def _gift(db, campaign, backer, amount, *, yearly):
    pledge = pledges.pledge(
        campaign,
        backer,
        amount_cents=amount,
        choices=pledges.PledgeChoices(donor_name="Léa Martin", donor_address=ADDRESS),
    )
    pledge.yearly_tax_receipt = yearly
    pledges.record_transfer(pledge, campaign.project.owner, amount_cents=amount, received_on=DAY)
    db.session.commit()
    return pledge


def _numbers(db, project_id):
    individual = db.session.scalars(
        select(Receipt.number).where(Receipt.project_id == project_id, Receipt.kind == "tax")
    ).all()
    summary = db.session.scalars(
        select(SummaryReceipt.number).where(SummaryReceipt.project_id == project_id)
    ).all()
    return sorted(individual + summary)


def test_a_donor_chooses_the_yearly_summary_and_gets_one_receipt_for_those_gifts(
    client, auth, db, make_campaign, make_member
):
    campaign = make_campaign(goal=500_000, rule="keep", general_interest=True)
    backer = make_member("Léa Martin")
    single = _gift(db, campaign, backer, 3_000, yearly=False)
    auth.login_as(backer)
    # the pledge page offers the choice while no tax receipt certifies the gift
    later = pledges.pledge(
        campaign,
        backer,
        amount_cents=2_000,
        choices=pledges.PledgeChoices(donor_name="Léa Martin", donor_address=ADDRESS),
    )
    db.session.commit()
    page = client.get(f"/collectes/promesses/{later.id}")
    assert 'data-yearly="0"' in page.text
    chose = client.post(f"/collectes/promesses/{later.id}/recu-annuel", data={"yearly": "1"})
    assert chose.status_code == 302
    assert 'data-yearly="1"' in client.get(f"/collectes/promesses/{later.id}").text
    pledges.record_transfer(later, campaign.project.owner, amount_cents=2_000, received_on=DAY)
    third = _gift(db, campaign, backer, 5_000, yearly=True)
    db.session.commit()
    kinds = {
        p.id: {r.kind for r in db.session.scalars(select(Receipt).where(Receipt.pledge_id == p.id))}
        for p in (single, later, third)
    }
    assert kinds == {single.id: {"payment", "tax"}, later.id: {"payment"}, third.id: {"payment"}}
    # a gift with its receipt cannot switch any more
    refused = client.post(f"/collectes/promesses/{single.id}/recu-annuel", data={"yearly": "1"})
    assert refused.status_code == 302
    assert db.session.get(Pledge, single.id).yearly_tax_receipt is False

    mine = client.get("/mes-soutiens")
    assert "Obtenir le reçu récapitulatif" in mine.text and "70,00" in mine.text
    issued = client.post(
        "/mes-soutiens/recus-annuels", data={"project_id": campaign.project_id, "year": 2026}
    )
    assert issued.status_code == 302
    summary = db.session.scalar(select(SummaryReceipt))
    assert summary.amount_cents == 7_000  # the two gifts without their own receipt only
    assert sorted(line.pledge_id for line in summary.lines) == sorted([later.id, third.id])
    single_number = receipts.receipts_of(single.id)["tax"].number
    assert (single_number, summary.number) == (f"{Y}-00001", f"{Y}-00002")

    view = client.get(issued.headers["Location"])
    assert view.status_code == 200
    assert "70,00" in view.text and "soixante-dix euros" in view.text
    assert "14 mars 2026" in view.text and "3 rue Haute" in view.text
    assert single_number in view.text and "ne s’y ajoute pas" in view.text
    pdf = client.get(f"/mes-soutiens/recus-annuels/{summary.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "70,00" in text and "14 mars 2026" in text and single_number in text

    # asking again (double tap) returns the same summary; nothing is certified twice
    again = client.post(
        "/mes-soutiens/recus-annuels", data={"project_id": campaign.project_id, "year": 2026}
    )
    assert again.headers["Location"] == issued.headers["Location"]
    assert db.session.scalar(select(func.count(SummaryReceipt.id))) == 1
    assert receipts.issue_for(db.session.get(Pledge, later.id)) == []
    with_tax = db.session.scalar(
        select(func.count(Receipt.id)).where(Receipt.pledge_id == later.id, Receipt.kind == "tax")
    )
    assert with_tax == 0
    try:
        receipts.choose_yearly_summary(db.session.get(Pledge, later.id), backer, False)
        raise AssertionError("a summarised gift switched back to an individual receipt")
    except DomainError:
        db.session.rollback()
    # the summary is the donor's own
    auth.login_as(make_member("Curieux"))
    assert client.get(f"/mes-soutiens/recus-annuels/{summary.id}").status_code == 404
    assert client.get(f"/mes-soutiens/recus-annuels/{summary.id}.pdf").status_code == 404


def test_nothing_to_summarise_is_refused_without_using_a_number(
    app, db, make_campaign, make_member
):
    campaign = make_campaign(goal=500_000, rule="keep", general_interest=True)
    backer = make_member("Léa Martin")
    _gift(db, campaign, backer, 3_000, yearly=False)
    _gift(db, campaign, backer, 4_000, yearly=False)
    with app.test_request_context():
        try:
            summaries.issue_summary(backer, campaign.project, 2026)
            raise AssertionError("an empty summary was issued")
        except DomainError as exc:
            assert "reçu individuel" in exc.message
        _db.session.rollback()
    assert _numbers(db, campaign.project_id) == [f"{Y}-00001", f"{Y}-00002"]


def test_summaries_and_receipts_issued_at_once_share_one_unbroken_sequence(
    app, db, make_campaign, make_member
):
    """Six donors ask for their summary (each twice, a double tap) while three other gifts
    get their individual receipt, all at the same moment from threads with their own
    sessions: one summary per donor, and the numbers are 1..N without gap or repeat."""
    campaign = make_campaign(goal=5_000_000, rule="keep", general_interest=True)
    donors = [make_member(f"Donatrice {i}") for i in range(6)]
    for donor in donors:
        _gift(db, campaign, donor, 1_000, yearly=True)
        _gift(db, campaign, donor, 1_500, yearly=True)
    waiting = [
        pledges.pledge(
            campaign,
            make_member(),
            amount_cents=2_000,
            choices=pledges.PledgeChoices(donor_address=ADDRESS),
        )
        for _ in range(3)
    ]
    db.session.commit()
    ids = {"project": campaign.project_id, "owner": campaign.project.owner.id}
    crashes: list[str] = []

    def ask(donor_id):
        with app.test_request_context():
            try:
                from tremplin.members.models import Project

                summaries.issue_summary(
                    _db.session.get(User, donor_id), _db.session.get(Project, ids["project"]), 2026
                )
                _db.session.commit()
            except Exception as exc:
                crashes.append(repr(exc))
                _db.session.rollback()
            finally:
                _db.session.remove()

    def pay(pledge_id):
        with app.test_request_context():
            try:
                pledges.record_transfer(
                    _db.session.get(Pledge, pledge_id),
                    _db.session.get(User, ids["owner"]),
                    amount_cents=2_000,
                    received_on=DAY,
                )
                _db.session.commit()
            except Exception as exc:
                crashes.append(repr(exc))
                _db.session.rollback()
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=ask, args=(d.id,)) for d in donors for _ in range(2)]
    threads += [threading.Thread(target=pay, args=(p.id,)) for p in waiting]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert crashes == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count(SummaryReceipt.id))) == 6
    assert db.session.scalar(select(func.count(SummaryReceiptLine.id))) == 12
    numbers = _numbers(db, campaign.project_id)
    assert numbers == [f"{Y}-{n:05d}" for n in range(1, 10)]


def test_my_support_page_costs_the_same_queries_for_one_or_many_organisations(
    client, auth, db, make_campaign, make_member, count_statements
):
    backer = make_member("Léa Martin")
    first = make_campaign(goal=500_000, rule="keep", general_interest=True)
    _gift(db, first, backer, 1_000, yearly=True)
    auth.login_as(backer)
    client.get("/mes-soutiens")
    with count_statements() as one:
        page = client.get("/mes-soutiens")
    assert "Obtenir le reçu récapitulatif" in page.text
    for _ in range(3):
        other = make_campaign(goal=500_000, rule="keep", general_interest=True)
        _gift(db, other, backer, 1_000, yearly=True)
        _gift(db, other, backer, 2_000, yearly=False)
    with count_statements() as many:
        page = client.get("/mes-soutiens")
    assert page.text.count("Obtenir le reçu récapitulatif") == 4
    assert many.count == one.count
