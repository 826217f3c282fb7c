"""Promise mode (no Stripe keys): pledges are promises; when the campaign succeeds, backers
get the project's bank details and a reference; the treasurer marks transfers received."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tremplin.funding import bookkeeping, ledger
from tremplin.funding.cli import close_ended
from tremplin.funding.models import Campaign, LedgerTransaction, Pledge, Receipt
from tremplin.platform.idempotency import new_token


def test_backer_promises_through_the_form_and_sees_it_counted(
    client, auth, db, make_campaign, make_member
):
    campaign = make_campaign(goal=100_000)
    awa = auth.login_as(make_member("Awa Diallo"))
    page = client.get(f"/collectes/{campaign.id}/soutenir")
    assert page.status_code == 200
    assert "engagement moral" in page.text and "aucun titre financier" in page.text
    response = client.post(
        f"/collectes/{campaign.id}/soutenir",
        data={"amount": "45,50", "reward_id": "", "message": "Bravo", "understood": "y"},
    )
    assert response.status_code == 302
    pledge = db.session.scalar(select(Pledge).where(Pledge.backer_id == awa.id))
    assert (pledge.amount_cents, pledge.status, pledge.mode) == (4550, "active", "promise")
    assert pledge.reference.startswith("TRP")
    page = client.get(f"/collectes/{campaign.id}")
    assert "45,50" in page.text and "Awa Diallo" in page.text
    assert "1 soutien" in page.text


def test_pledge_form_refuses_bad_amounts_without_writing(
    client, auth, db, make_campaign, make_member
):
    campaign = make_campaign()
    auth.login_as(make_member())
    for amount, message in [
        ("0", "minimum"),
        ("-5", "positif"),
        ("12,345", "deux chiffres"),
        ("douze", "montant en euros"),
        ("0,99", "minimum"),
        ("", "Indiquez un montant"),
        ("1e3", "montant en euros"),
        ("NaN", "montant en euros"),
    ]:
        response = client.post(
            f"/collectes/{campaign.id}/soutenir", data={"amount": amount, "understood": "y"}
        )
        assert response.status_code == 422, amount
        assert message in response.text, (amount, response.text[:0])
    assert db.session.scalar(select(Pledge.id)) is None


def test_pledge_needs_the_legal_notice_acknowledged(client, auth, db, make_campaign, make_member):
    campaign = make_campaign()
    auth.login_as(make_member())
    response = client.post(f"/collectes/{campaign.id}/soutenir", data={"amount": "20"})
    assert response.status_code == 422
    assert "Cochez cette case" in response.text
    assert db.session.scalar(select(Pledge.id)) is None


def test_team_member_cannot_pledge_to_own_campaign(client, auth, db, make_campaign):
    campaign = make_campaign()
    auth.login_as(campaign.project.owner)
    response = client.post(
        f"/collectes/{campaign.id}/soutenir", data={"amount": "20", "understood": "y"}
    )
    assert response.status_code == 302
    assert "propre collecte" in client.get(response.headers["Location"]).text
    assert db.session.scalar(select(Pledge.id)) is None


def test_no_pledge_after_the_deadline(client, auth, db, make_campaign, make_member, end_campaign):
    campaign = end_campaign(make_campaign())
    auth.login_as(make_member())
    response = client.post(
        f"/collectes/{campaign.id}/soutenir", data={"amount": "20", "understood": "y"}
    )
    assert response.status_code == 422
    assert "n&#39;accepte plus" in response.text or "n'accepte plus" in response.text
    assert db.session.scalar(select(Pledge.id)) is None


def test_last_reward_goes_to_one_backer_only(
    client, auth, db, make_campaign, make_member, make_pledge
):
    campaign = make_campaign(rewards=[("Un savon", 2_000, 1)])
    reward = campaign.rewards[0]
    make_pledge(campaign, amount=2_000, reward_id=reward.id)
    auth.login_as(make_member())
    response = client.post(
        f"/collectes/{campaign.id}/soutenir",
        data={"amount": "30", "reward_id": str(reward.id), "understood": "y"},
    )
    assert response.status_code == 422
    assert "plus disponible" in response.text
    db.session.refresh(reward)
    assert reward.claimed_count == 1
    assert (
        db.session.scalar(select(Pledge.id).where(Pledge.reward_id == reward.id).offset(1)) is None
    )


def test_reward_needs_its_minimum_amount(db, make_campaign, make_member):
    import pytest

    from tremplin.funding import pledges
    from tremplin.funding.errors import InvalidAmount

    campaign = make_campaign(rewards=[("Un atelier", 6_000, None)])
    with pytest.raises(InvalidAmount):
        pledges.pledge(
            campaign,
            make_member(),
            amount_cents=5_000,
            choices=pledges.PledgeChoices(reward_id=campaign.rewards[0].id),
        )


def test_backer_changes_then_cancels_until_the_deadline(
    client, auth, db, make_campaign, make_member, make_pledge
):
    campaign = make_campaign(rewards=[("Un savon", 2_000, 5)])
    backer = make_member()
    pledge = make_pledge(campaign, backer, amount=3_000, reward_id=campaign.rewards[0].id)
    auth.login_as(backer)
    response = client.post(
        f"/collectes/promesses/{pledge.id}/modifier",
        data={"amount": "80", "reward_id": "", "hide_amount": "y", "understood": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(pledge)
    db.session.refresh(campaign.rewards[0])
    assert (pledge.amount_cents, pledge.reward_id, pledge.is_amount_hidden) == (8_000, None, True)
    assert campaign.rewards[0].claimed_count == 0
    own_view = client.get(f"/collectes/{campaign.id}").text
    assert "80" in own_view and "masqué au public" in own_view  # the backer sees their own amount
    client.post(f"/collectes/promesses/{pledge.id}/annuler")
    db.session.refresh(pledge)
    assert pledge.status == "cancelled"


def test_hidden_amount_and_name_are_hidden_from_the_public(
    client, auth, db, make_campaign, make_member, make_pledge
):
    campaign = make_campaign()
    make_pledge(campaign, make_member("Jean Discret"), amount=12_300, hide_amount=True)
    make_pledge(campaign, make_member("Nina Cachée"), amount=4_500, hide_name=True)
    page = client.get(f"/collectes/{campaign.id}").text
    assert "Jean Discret" in page and "123" not in page.split("soutiens")[-1]
    assert "Nina Cachée" not in page and "Soutien anonyme" in page and "45" in page
    assert "168" in page  # the total still counts both (168 €)


def test_successful_campaign_sends_bank_details_and_reference(
    db, make_campaign, make_member, make_pledge, end_campaign, outbox
):
    campaign = make_campaign(goal=10_000)
    nina = make_member("Nina", email="nina@exemple.fr")
    pledge = make_pledge(campaign, nina, amount=6_000)
    make_pledge(campaign, amount=4_000)
    end_campaign(campaign)
    result = close_ended()
    assert result["decided"] == {campaign.id: "succeeded"}
    db.session.refresh(pledge)
    assert pledge.status == "due"
    mail = [m for m in outbox.to("nina@exemple.fr") if "virement" in m.subject][-1]
    assert "FR7630006000011234567890189" in mail.body_text
    assert pledge.reference in mail.body_text and "60,00" in mail.body_text
    # a second run changes nothing and sends nothing more
    count = len(outbox.all())
    assert close_ended()["decided"] == {}
    assert len(outbox.all()) == count


def test_failed_campaign_releases_promises_and_tells_backers(
    db, make_campaign, make_member, make_pledge, end_campaign, outbox
):
    campaign = make_campaign(goal=100_000)
    pledge = make_pledge(campaign, make_member(email="paul@exemple.fr"), amount=6_000)
    end_campaign(campaign)
    close_ended()
    db.session.refresh(pledge)
    db.session.refresh(campaign)
    assert pledge.status == "released"
    assert (campaign.status, campaign.outcome) == ("closed", "failed")
    assert any("objectif" in m.subject for m in outbox.to("paul@exemple.fr"))
    assert (
        ledger.total_of_all_entries() == 0
        and db.session.scalar(select(LedgerTransaction.id)) is None
    )


def test_threshold_campaign_succeeds_at_its_first_step(
    db, make_campaign, make_pledge, end_campaign
):
    campaign = make_campaign(goal=100_000, rule="threshold", threshold=30_000)
    make_pledge(campaign, amount=35_000)
    end_campaign(campaign)
    assert close_ended()["decided"] == {campaign.id: "succeeded"}


def test_treasurer_marks_transfers_partially_then_fully(
    client, auth, db, make_campaign, make_member, make_pledge, end_campaign, outbox
):
    campaign = make_campaign(goal=5_000, general_interest=True)
    pledge = make_pledge(
        campaign,
        make_member(email="lea@exemple.fr"),
        amount=5_000,
        donor_name="Léa Martin",
        donor_address="3 rue Haute, 69001 Lyon",
    )
    end_campaign(campaign)
    close_ended()
    auth.login_as(campaign.project.owner)
    response = client.post(
        f"/collectes/promesses/{pledge.id}/virements",
        data={
            "transfer-once": new_token(),
            "transfer-amount": "20",
            "transfer-received_on": date.today().isoformat(),
        },
    )
    assert response.status_code == 302
    db.session.refresh(pledge)
    assert (pledge.collected_cents, pledge.status) == (2_000, "due")
    # more than what is still due: refused, nothing written
    response = client.post(
        f"/collectes/promesses/{pledge.id}/virements",
        data={
            "transfer-once": new_token(),
            "transfer-amount": "40",
            "transfer-received_on": date.today().isoformat(),
        },
    )
    db.session.refresh(pledge)
    assert pledge.collected_cents == 2_000
    client.post(
        f"/collectes/promesses/{pledge.id}/virements",
        data={
            "transfer-once": new_token(),
            "transfer-amount": "30",
            "transfer-received_on": date.today().isoformat(),
        },
    )
    db.session.refresh(pledge)
    assert (pledge.collected_cents, pledge.status) == (5_000, "collected")
    assert bookkeeping.campaign_balance(campaign.id) == 5_000
    assert ledger.balance(bookkeeping.backer_account(pledge)) == -5_000
    kinds = {
        r.kind: r for r in db.session.scalars(select(Receipt).where(Receipt.pledge_id == pledge.id))
    }
    assert set(kinds) == {"payment", "tax"}
    assert kinds["tax"].number.endswith("-00001")
    assert kinds["tax"].details["amount_in_words"] == "cinquante euros"
    auth.login_as(pledge.backer)
    receipt = client.get(f"/collectes/promesses/{pledge.id}/recu/fiscal")
    assert receipt.status_code == 200
    assert (
        "11580" in receipt.text
        and "Léa Martin" in receipt.text
        and "cinquante euros" in receipt.text
    )


def test_only_the_team_marks_transfers(
    client, auth, db, make_campaign, make_member, make_pledge, end_campaign
):
    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, amount=5_000)
    end_campaign(campaign)
    close_ended()
    auth.login_as(make_member())
    response = client.post(
        f"/collectes/promesses/{pledge.id}/virements",
        data={
            "transfer-once": new_token(),
            "transfer-amount": "50",
            "transfer-received_on": date.today().isoformat(),
        },
    )
    assert response.status_code == 403
    db.session.refresh(pledge)
    assert pledge.collected_cents == 0


def test_unpaid_promises_are_reminded_once_a_week(
    db, make_campaign, make_member, make_pledge, end_campaign, outbox
):
    from datetime import timedelta

    from tremplin.funding.pledges import send_reminders
    from tremplin.platform.types import utcnow

    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, make_member(email="sam@exemple.fr"), amount=5_000)
    end_campaign(campaign)
    close_ended()
    assert send_reminders() == {"promises": 0, "confirmations": 0}
    later = utcnow() + timedelta(days=8)
    assert send_reminders(later) == {"promises": 1, "confirmations": 0}
    assert send_reminders(later) == {"promises": 0, "confirmations": 0}
    db.session.commit()
    assert any(m.subject.startswith("Rappel") for m in outbox.to("sam@exemple.fr"))
    db.session.refresh(pledge)
    assert pledge.reminder_count == 1


def test_team_refunds_a_transfer(client, auth, db, make_campaign, make_pledge, end_campaign):
    campaign = make_campaign(goal=5_000)
    pledge = make_pledge(campaign, amount=5_000)
    end_campaign(campaign)
    close_ended()
    auth.login_as(campaign.project.owner)
    client.post(
        f"/collectes/promesses/{pledge.id}/virements",
        data={
            "transfer-once": new_token(),
            "transfer-amount": "50",
            "transfer-received_on": date.today().isoformat(),
        },
    )
    response = client.post(
        f"/collectes/promesses/{pledge.id}/rembourser",
        data={"refund-once": new_token(), "refund-amount": "60", "refund-reason": "trop"},
    )
    db.session.refresh(pledge)
    assert pledge.refunded_cents == 0  # more than received: refused
    client.post(
        f"/collectes/promesses/{pledge.id}/rembourser",
        data={"refund-once": new_token(), "refund-amount": "50"},
    )
    db.session.refresh(pledge)
    assert (pledge.refunded_cents, pledge.status) == (5_000, "refunded")
    assert bookkeeping.campaign_balance(campaign.id) == 0
    assert response.status_code in (302, 303)


def test_campaign_lifecycle_locks_goal_rule_and_deadline_once_open(client, auth, db, make_campaign):
    campaign = make_campaign(status="draft")
    owner = campaign.project.owner
    auth.login_as(owner)
    response = client.post(
        f"/collectes/{campaign.id}/modifier",
        data={
            "title": "Nouveau titre",
            "summary": "Résumé",
            "goal": "2000",
            "rule": "keep",
            "deadline": campaign.deadline_at.date().isoformat(),
        },
    )
    assert response.status_code == 302
    db.session.refresh(campaign)
    assert (campaign.goal_cents, campaign.rule) == (200_000, "keep")
    client.post(f"/collectes/{campaign.id}/ouvrir")
    db.session.refresh(campaign)
    assert campaign.status == "open" and campaign.mode == "promise"
    page = client.get(f"/collectes/{campaign.id}/modifier")
    assert 'name="goal"' not in page.text
    import pytest

    from tremplin.funding import campaigns
    from tremplin.funding.errors import CampaignLocked

    with pytest.raises(CampaignLocked):
        campaigns.update_campaign(
            campaign,
            owner,
            campaigns.CampaignFields(title="x", summary="y", description=None, goal_cents=1_000),
        )


def test_deadline_is_at_most_90_days(db, make_member, make_project):
    from datetime import timedelta

    import pytest

    from tremplin.funding import campaigns
    from tremplin.funding.errors import InvalidCampaign
    from tremplin.platform.types import utcnow

    owner = make_member()
    project = make_project(owner)
    with pytest.raises(InvalidCampaign):
        campaigns.create_campaign(
            project,
            owner,
            campaigns.CampaignFields(
                title="t",
                summary="s",
                description=None,
                goal_cents=10_000,
                deadline=(utcnow() + timedelta(days=95)).date(),
            ),
        )
    campaign = campaigns.create_campaign(
        project,
        owner,
        campaigns.CampaignFields(title="t", summary="s", description=None, goal_cents=10_000),
    )
    days = (campaign.deadline_at - utcnow()).days
    assert 44 <= days <= 45


def test_opening_in_promise_mode_needs_a_rib(db, make_member, make_project):
    import pytest

    from tremplin.funding import campaigns
    from tremplin.funding.errors import InvalidCampaign

    owner = make_member()
    campaign = campaigns.create_campaign(
        make_project(owner),
        owner,
        campaigns.CampaignFields(title="t", summary="s", description=None, goal_cents=10_000),
    )
    with pytest.raises(InvalidCampaign, match="RIB"):
        campaigns.open_campaign(campaign, owner)
    assert db.session.get(Campaign, campaign.id).status == "draft"


def test_pledging_is_rate_limited(client, auth, db, app, make_campaign, make_member):
    app.config["RATELIMIT_PLEDGE"] = "2 per minute"
    campaign = make_campaign()
    auth.login_as(make_member())
    codes = [
        client.post(
            f"/collectes/{campaign.id}/soutenir", data={"amount": "-1", "understood": "y"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [422, 422, 429]
