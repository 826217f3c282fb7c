"""The team is e-mailed (when they chose to be) when a transfer is recorded and when a card
payment finally fails; without that choice they only see the notice in the site."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tremplin.funding import notices, pledges
from tremplin.platform.models import Notification
from tremplin.platform.notifications import set_consents


def test_team_hears_of_each_transfer_by_mail_with_consent(
    app, db, make_campaign, make_member, make_pledge, outbox
):
    campaign = make_campaign(goal=100_000, rule="keep")
    owner = campaign.project.owner
    set_consents(owner, [notices.TEAM])
    pledge = make_pledge(campaign, make_member("Awa"), amount=5_000)
    with app.test_request_context():
        pledges.record_transfer(pledge, owner, amount_cents=2_000, received_on=date.today())
        db.session.commit()
    mails = [m for m in outbox.to(owner.email) if "Virement de 20" in m.subject]
    assert len(mails) == 1 and pledge.reference in mails[0].subject
    assert "Awa" in mails[0].body_text


def test_without_consent_the_team_gets_the_notice_only(
    app, db, make_campaign, make_member, make_pledge, outbox
):
    campaign = make_campaign(goal=100_000, rule="keep")
    owner = campaign.project.owner
    pledge = make_pledge(campaign, make_member("Awa"), amount=5_000)
    with app.test_request_context():
        pledges.record_transfer(pledge, owner, amount_cents=5_000, received_on=date.today())
        db.session.commit()
    assert not [m for m in outbox.to(owner.email) if "Virement" in m.subject]
    texts = db.session.scalars(select(Notification.text).where(Notification.user_id == owner.id))
    assert any("Virement de 50" in t for t in texts)


def test_team_is_mailed_when_a_card_payment_finally_fails(
    app, db, make_campaign, make_member, outbox
):
    campaign = make_campaign(goal=100_000, rule="keep")
    owner = campaign.project.owner
    set_consents(owner, [notices.TEAM])
    pledge = pledges.pledge(campaign, make_member("Bruno"), amount_cents=5_000)
    db.session.commit()
    with app.test_request_context():
        notices.payment_declined(pledge, final=True)
        db.session.commit()
    mails = [m for m in outbox.to(owner.email) if "refusé définitivement" in m.subject]
    assert len(mails) == 1 and "Bruno" in mails[0].subject
