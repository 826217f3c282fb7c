"""Other modules' blocks on a project page: its campaign (funding) and the way to offer
support (meetups), each shown to whom it concerns."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db


def test_the_open_campaign_and_the_support_offer_show_on_the_project_page(
    client, auth, db, make_member, make_project, make_campaign
):
    owner = make_member("Awa")
    project = make_project(owner, title="Maison de Cosm’éthique")
    campaign = make_campaign(project, goal=800_000, title="Ouvrir la boutique-atelier")
    db.session.commit()
    visitor_page = client.get(f"/projets/{project.id}")
    assert "Ouvrir la boutique-atelier" in visitor_page.text
    assert f"/collectes/{campaign.id}" in visitor_page.text
    assert "promis sur 8\u202f000\xa0€" in visitor_page.text
    assert "Proposer un soutien" not in visitor_page.text  # members only
    assert "Lancer une collecte" not in visitor_page.text

    auth.login_as(make_member("Jean"))
    member_page = client.get(f"/projets/{project.id}")
    assert f"/soutiens/projet/{project.id}/proposer" in member_page.text
    assert "Lancer une collecte" not in member_page.text


def test_the_team_sees_how_to_launch_a_campaign_and_the_proposals_waiting(
    client, auth, db, make_member, make_project
):
    owner = make_member("Awa")
    project = make_project(owner, title="Tresses & Transmission")
    db.session.commit()
    assert (
        "Collecte"
        not in client.get(f"/projets/{project.id}").text.split("<main")[1].split("Ses besoins")[0]
    )
    auth.login_as(owner)
    page = client.get(f"/projets/{project.id}")
    assert f"/projets/{project.id}/collectes/nouvelle" in page.text
    assert (
        f"/soutiens/projet/{project.id}/proposer" not in page.text
    )  # a team does not support itself
    assert f'/soutiens/projet/{project.id}"' in page.text
