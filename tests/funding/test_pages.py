"""Campaign pages, the team's pages, access rules, the meetups bridge, RGPD, the demo,
the CLI commands and the impact figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tremplin.funding import ledger, pledge_from_commitment
from tremplin.funding.errors import AlreadyPledged, CampaignNotOpen, OwnCampaign
from tremplin.funding.models import Campaign, Pledge, ProjectFundingSettings
from tremplin.platform.types import utcnow


def test_campaign_page_shows_progress_backers_and_days_left(client, db, make_campaign, make_pledge):
    campaign = make_campaign(goal=20_000, days=10, rewards=[("Un savon", 2_000, 3)])
    make_pledge(campaign, amount=15_000)
    page = client.get(f"/collectes/{campaign.id}")
    assert page.status_code == 200
    text = page.text
    assert "150" in text and "sur 200" in text
    assert '<progress class="funding-progress__bar" max="100" value="75"' in text
    assert "jours restants" in text and (">10<" in text or ">11<" in text)
    assert "Plus que 3 disponibles" in text
    assert "engagement moral" in text
    assert "Se connecter pour soutenir" in text


def test_campaign_page_statement_count_does_not_grow_with_backers(
    client, db, make_campaign, make_pledge, count_statements
):
    campaign = make_campaign(rewards=[("Un savon", 2_000, None)])
    for _ in range(2):
        make_pledge(campaign, amount=2_000, reward_id=campaign.rewards[0].id)
    client.get(f"/collectes/{campaign.id}")
    with count_statements() as few:
        client.get(f"/collectes/{campaign.id}")
    for _ in range(6):
        make_pledge(campaign, amount=2_000, reward_id=campaign.rewards[0].id)
    with count_statements() as many:
        client.get(f"/collectes/{campaign.id}")
    assert many.count == few.count
    assert few.count <= 14


def test_campaign_list_statement_count_is_fixed(
    client, db, make_campaign, make_pledge, count_statements
):
    for _ in range(2):
        make_pledge(make_campaign(), amount=1_000)
    with count_statements() as few:
        client.get("/collectes")
    for _ in range(3):
        make_pledge(make_campaign(), amount=1_000)
    with count_statements() as many:
        assert client.get("/collectes").status_code == 200
    assert many.count == few.count


def test_drafts_are_for_the_team(client, auth, db, make_campaign, make_member, make_organiser):
    campaign = make_campaign(status="draft", title="Collecte secrète")
    assert "Collecte secrète" not in client.get("/collectes").text
    assert client.get(f"/collectes/{campaign.id}").status_code == 302  # log in first
    auth.login_as(make_member())
    assert client.get(f"/collectes/{campaign.id}").status_code == 403
    auth.login_as(campaign.project.owner)
    assert "en préparation" in client.get(f"/collectes/{campaign.id}").text
    auth.login_as(make_organiser())
    assert client.get(f"/collectes/{campaign.id}").status_code == 200


def test_team_creates_a_campaign_and_opens_it(client, auth, db, make_member, make_project):
    owner = make_member()
    project = make_project(owner)
    auth.login_as(make_member())
    assert client.get(f"/projets/{project.id}/collectes/nouvelle").status_code == 403
    auth.login_as(owner)
    deadline = (date.today() + timedelta(days=30)).isoformat()
    response = client.post(
        f"/projets/{project.id}/collectes/nouvelle",
        data={
            "title": "Un four à pain",
            "summary": "Pour cuire sur place.",
            "goal": "3 000",
            "rule": "all_or_nothing",
            "deadline": deadline,
        },
    )
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign).where(Campaign.project_id == project.id))
    assert (campaign.goal_cents, campaign.status) == (300_000, "draft")
    # no RIB yet: opening explains what is missing
    client.post(f"/collectes/{campaign.id}/ouvrir")
    db.session.refresh(campaign)
    assert campaign.status == "draft"
    response = client.post(
        f"/projets/{project.id}/collectes/reglages",
        data={
            "account_holder": "Fournil",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "AGRIFRPP",
        },
    )
    assert response.status_code == 302
    assert db.session.get(ProjectFundingSettings, project.id).iban == "FR7630006000011234567890189"
    client.post(f"/collectes/{campaign.id}/ouvrir")
    db.session.refresh(campaign)
    assert campaign.status == "open"
    client.post(
        f"/collectes/{campaign.id}/contreparties",
        data={
            "reward-title": "Une fournée",
            "reward-min_amount": "30",
            "reward-quantity": "10",
            "reward-value": "5",
        },
    )
    db.session.refresh(campaign)
    assert [(r.title, r.min_amount_cents, r.quantity) for r in campaign.rewards] == [
        ("Une fournée", 3_000, 10)
    ]


def test_settings_refuse_a_wrong_iban(client, auth, db, make_member, make_project):
    owner = make_member()
    project = make_project(owner)
    auth.login_as(owner)
    response = client.post(
        f"/projets/{project.id}/collectes/reglages",
        data={"account_holder": "X", "iban": "FR76 3000 6000 0112 3456 7890 188"},
    )
    assert response.status_code == 200 and "chiffres de contrôle de cet IBAN" in response.text
    assert db.session.get(ProjectFundingSettings, project.id) is None


def test_manage_page_for_team_and_organisers_only(
    client, auth, db, make_campaign, make_member, make_organiser, make_pledge
):
    campaign = make_campaign()
    make_pledge(
        campaign, make_member("Jeanne Cachée"), amount=2_000, hide_name=True, message="Courage !"
    )
    auth.login_as(make_member())
    assert client.get(f"/collectes/{campaign.id}/gestion").status_code == 403
    auth.login_as(campaign.project.owner)
    page = client.get(f"/collectes/{campaign.id}/gestion").text
    assert "Jeanne Cachée" in page and "anonyme en public" in page and "Courage" in page
    assert "Grand livre" in page
    auth.login_as(make_organiser())
    assert client.get(f"/collectes/{campaign.id}/gestion").status_code == 200


def test_campaign_updates_reach_backers(client, auth, db, make_campaign, make_member, make_pledge):
    campaign = make_campaign()
    backer = make_member()
    make_pledge(campaign, backer, amount=2_000)
    auth.login_as(campaign.project.owner)
    response = client.post(
        f"/collectes/{campaign.id}/actualites",
        data={"update-title": "Le local est trouvé", "update-body": "Merci à **toutes et tous**."},
    )
    assert response.status_code == 302
    page = client.get(f"/collectes/{campaign.id}").text
    assert "Le local est trouvé" in page and "<strong>toutes et tous</strong>" in page
    from tremplin.platform.models import Notification

    assert db.session.scalar(
        select(Notification).where(
            Notification.user_id == backer.id, Notification.text.contains("Le local")
        )
    )


def test_meetup_commitment_becomes_a_pledge_once(db, make_campaign, make_member, make_project):
    owner = make_member()
    project = make_project(owner)
    backer = make_member()
    with pytest.raises(CampaignNotOpen):
        pledge_from_commitment("c-1", backer, project.id, 5_000)
    make_campaign(project)
    pledge = pledge_from_commitment(
        "c-1", backer, project.id, 5_000, message="Promis au Café Projets"
    )
    db.session.commit()
    assert (pledge.source, pledge.status, pledge.amount_cents) == ("meetup", "active", 5_000)
    assert pledge_from_commitment("c-1", backer, project.id, 5_000).id == pledge.id
    with pytest.raises(AlreadyPledged) as caught:
        pledge_from_commitment("c-2", backer, project.id, 1_000)
    assert caught.value.pledge.id == pledge.id
    with pytest.raises(OwnCampaign):
        pledge_from_commitment("c-3", owner, project.id, 1_000)


def test_deleting_an_account_withdraws_open_promises_and_keeps_money_records(
    db, make_campaign, make_member, make_pledge
):
    from tremplin.funding.privacy import export_pledges, forget_backer

    campaign = make_campaign(rewards=[("Un savon", 2_000, 2)])
    backer = make_member()
    pledge = make_pledge(
        campaign, backer, amount=2_000, reward_id=campaign.rewards[0].id, message="Bravo"
    )
    exported = export_pledges(backer)["funding_pledges"]
    assert exported[0]["amount_cents"] == 2_000 and exported[0]["message"] == "Bravo"
    forget_backer(backer)
    db.session.commit()
    db.session.refresh(pledge)
    db.session.refresh(campaign.rewards[0])
    assert (pledge.status, pledge.message, pledge.is_name_hidden) == ("cancelled", None, True)
    assert campaign.rewards[0].claimed_count == 0


def test_cli_commands(app, db, make_campaign, make_pledge, end_campaign):
    campaign = make_campaign(goal=1_000)
    make_pledge(campaign, amount=1_000)
    end_campaign(campaign)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["funding", "close"])
    assert result.exit_code == 0 and f"collecte {campaign.id} : réussie" in result.output
    assert runner.invoke(args=["funding", "remind"]).exit_code == 0
    assert "Stripe n'est pas configuré" in runner.invoke(args=["funding", "retry"]).output
    result = runner.invoke(args=["funding", "reconcile"])
    assert result.exit_code == 0 and "0 écart" in result.output


def test_reconcile_reports_a_tampered_cache(app, db, make_campaign, make_pledge, end_campaign):
    from tremplin.funding import pledges as pledge_services
    from tremplin.funding.cli import close_ended

    campaign = make_campaign(goal=1_000)
    pledge = make_pledge(campaign, amount=1_000)
    end_campaign(campaign)
    close_ended()
    pledge_services.record_transfer(
        pledge, campaign.project.owner, amount_cents=1_000, received_on=date.today()
    )
    db.session.commit()
    db.session.execute(
        Pledge.__table__.update().where(Pledge.id == pledge.id).values(collected_cents=900)
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["funding", "reconcile"])
    assert result.exit_code == 1 and f"promesse {pledge.id}" in result.output


def test_demo_network_has_three_campaigns_with_balanced_books(app, db):
    from tremplin.platform import demo

    summary = demo.load()
    db.session.commit()
    assert summary["collectes"] == 3
    statuses = sorted((c.status, c.outcome) for c in db.session.scalars(select(Campaign)))
    assert statuses == [("closed", "failed"), ("open", None), ("succeeded", "succeeded")]
    assert ledger.unbalanced_transactions() == [] and ledger.total_of_all_entries() == 0
    from tremplin.funding import reconcile

    assert reconcile.check_pledges() == []


def test_impact_figures(db, make_campaign, make_pledge, end_campaign):
    from tremplin.funding import amount_raised, funded_project_count
    from tremplin.funding import pledges as pledge_services
    from tremplin.funding.cli import close_ended

    campaign = make_campaign(goal=2_000)
    pledge = make_pledge(campaign, amount=2_000)
    end_campaign(campaign)
    close_ended()
    pledge_services.record_transfer(
        pledge, campaign.project.owner, amount_cents=2_000, received_on=date.today()
    )
    db.session.commit()
    start, end = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
    assert amount_raised(start, end) == 2_000
    assert funded_project_count(start, end) == 1
    assert amount_raised(start - timedelta(days=10), start) == 0


def test_member_home_shows_my_pledges(client, auth, db, make_campaign, make_member, make_pledge):
    campaign = make_campaign()
    backer = make_member()
    make_pledge(campaign, backer, amount=2_000)
    auth.login_as(backer)
    home = client.get("/")
    assert home.status_code == 200 and campaign.title in home.text
    assert "Mes soutiens" in client.get("/mes-soutiens").text


def test_visitor_home_shows_open_campaigns(client, db, make_campaign, make_pledge):
    campaign = make_campaign(title="Un four solaire pour le quartier")
    make_pledge(campaign, amount=3_000)
    home = client.get("/")
    assert home.status_code == 200
    assert "Un four solaire pour le quartier" in home.text and "Collectes en cours" in home.text


def test_project_block_partial_renders_for_members_pages(app, db, make_campaign, make_pledge):
    """The block the members module can include on a project page."""
    from flask import render_template

    from tremplin.funding import project_funding

    campaign = make_campaign()
    make_pledge(campaign, amount=3_000)
    with app.test_request_context("/"):
        html = render_template(
            "funding/_project_block.html",
            project=campaign.project,
            funding=project_funding(campaign.project_id),
            is_team=True,
        )
    assert campaign.title in html and "30" in html and "Lancer une collecte" in html


def test_campaign_page_pages_its_backers(client, db, make_campaign, make_pledge, monkeypatch):
    from tremplin.funding import routes

    monkeypatch.setattr(routes, "BACKERS_PER_PAGE", 3)
    campaign = make_campaign()
    pledges = [make_pledge(campaign, amount=1_000 + i) for i in range(7)]
    names = [p.backer.display_name for p in reversed(pledges)]  # newest first
    first = client.get(f"/collectes/{campaign.id}").text
    assert "7 soutiens" in first
    assert [n for n in names if f">{n}<" in first] == names[:3]
    assert "Page 1 sur 3" in first and "page=2" in first
    last = client.get(f"/collectes/{campaign.id}?page=3").text
    assert [n for n in names if f">{n}<" in last] == names[6:]
    beyond = client.get(f"/collectes/{campaign.id}?page=9").text  # the last page
    assert [n for n in names if f">{n}<" in beyond] == names[6:]
