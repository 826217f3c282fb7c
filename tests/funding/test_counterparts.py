"""The counterparts rule on tax receipts (contreparties): a reward worth more than a quarter
of the gift, or more than the yearly flat amount for individuals (BOI-IR-RICI-250-30-20;
companies: 1 to 4 without a flat amount, BOI-BIC-RICI-20-30-10-20), is deducted from what
the tax receipt certifies; within the limit the whole gift is certified. The receipt (page
and PDF) and the pledge page say which."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from tremplin.funding import campaigns, pledges, receipts
from tremplin.funding.models import Receipt, Reward

ADDRESS = "3 rue Haute\n69001 Lyon"


def test_the_limit_is_a_quarter_of_the_gift_capped_for_individuals(app):
    assert receipts.DEFAULT_COUNTERPART_CAP_CENTS == 7_300
    assert app.config.get("FUNDING_COUNTERPART_CAP_CENTS", 7_300) == 7_300
    assert receipts.counterpart_limit_cents(10_000) == 2_500  # a quarter of 100 €
    assert receipts.counterpart_limit_cents(100_000) == 7_300  # 250 € capped at 73 €
    assert receipts.counterpart_limit_cents(100_000, company=True) == 25_000  # no cap
    assert receipts.counterpart_limit_cents(99) == 24
    app.config["FUNDING_COUNTERPART_CAP_CENTS"] = 6_900
    assert receipts.counterpart_limit_cents(100_000) == 6_900


def _collected_with_reward(db, make_campaign, make_member, *, gift: int, value: int | None):
    campaign = make_campaign(goal=500_000, rule="keep", general_interest=True)
    reward = campaigns.add_reward(
        campaign,
        campaign.project.owner,
        campaigns.RewardFields(
            title="Tote bag",
            description=None,
            min_amount_cents=1_000,
            quantity=None,
            value_cents=value,
        ),
    )
    backer = make_member("Léa Martin")
    pledge = pledges.pledge(
        campaign,
        backer,
        amount_cents=gift,
        choices=pledges.PledgeChoices(
            reward_id=reward.id, donor_name="Léa Martin", donor_address=ADDRESS
        ),
    )
    pledges.record_transfer(
        pledge, campaign.project.owner, amount_cents=gift, received_on=date(2026, 12, 3)
    )
    db.session.commit()
    return pledge, backer


def _tax(db, pledge):
    return db.session.scalar(
        select(Receipt).where(Receipt.pledge_id == pledge.id, Receipt.kind == "tax")
    )


def test_a_reward_within_the_limit_leaves_the_whole_gift_certified(
    client, auth, db, make_campaign, make_member
):
    pledge, backer = _collected_with_reward(
        db, make_campaign, make_member, gift=10_000, value=2_000
    )
    tax = _tax(db, pledge)
    assert tax.amount_cents == 10_000
    assert tax.details["counterpart"]["deducted"] is False
    auth.login_as(backer)
    page = client.get(f"/collectes/promesses/{pledge.id}/recu/fiscal")
    assert 'data-counterpart="within"' in page.text
    assert "dans la limite admise" in page.text and "BOI-IR-RICI-250-30-20" in page.text


def test_a_reward_beyond_the_limit_is_deducted_and_everyone_is_told(
    client, auth, db, make_campaign, make_member
):
    # 40 € of goods for a 100 € gift: more than a quarter (25 €)
    pledge, backer = _collected_with_reward(
        db, make_campaign, make_member, gift=10_000, value=4_000
    )
    tax = _tax(db, pledge)
    assert tax.amount_cents == 6_000
    assert tax.details["gift_cents"] == 10_000
    assert tax.details["amount_in_words"] == receipts.amount_in_words(6_000)
    auth.login_as(backer)
    page = client.get(f"/collectes/promesses/{pledge.id}/recu/fiscal")
    assert 'data-counterpart="deducted"' in page.text and "60,00" in page.text
    assert "au-delà de la" in page.text and "BOI-IR-RICI-250-30-20" in page.text
    pledge_page = client.get(f"/collectes/promesses/{pledge.id}")
    assert 'data-counterpart="deducted"' in pledge_page.text
    pdf = client.get(f"/collectes/promesses/{pledge.id}/recu/fiscal.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "60,00" in text and "BOI-IR-RICI-250-30-20" in text


def test_the_flat_amount_caps_a_large_gifts_reward(db, make_campaign, make_member):
    # 1 000 € gift, 100 € reward: under a quarter (250 €) but over the 73 € flat amount
    pledge, _backer = _collected_with_reward(
        db, make_campaign, make_member, gift=100_000, value=10_000
    )
    assert _tax(db, pledge).amount_cents == 90_000


def test_a_reward_worth_the_whole_gift_gets_no_tax_receipt(db, make_campaign, make_member):
    pledge, _backer = _collected_with_reward(
        db, make_campaign, make_member, gift=2_000, value=2_000
    )
    assert _tax(db, pledge) is None
    assert {r.kind for r in db.session.scalars(select(Receipt))} == {"payment"}


def test_the_team_declares_each_rewards_value(client, auth, db, make_campaign):
    campaign = make_campaign(goal=100_000, status="draft", general_interest=True)
    auth.login_as(campaign.project.owner)
    url = f"/collectes/{campaign.id}/contreparties"
    form = {"reward-title": "Affiche", "reward-min_amount": "30"}
    missing = client.post(url, data=form)
    assert missing.status_code == 422
    assert db.session.scalar(select(Reward.id)) is None
    done = client.post(url, data={**form, "reward-value": "7,50"})
    assert done.status_code == 302
    assert db.session.scalar(select(Reward.value_cents)) == 750
