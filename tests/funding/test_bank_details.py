"""Bank details that cannot be swapped silently: once promises exist, a new IBAN waits for
a second person (a teammate or an organiser), then the backers still to pay are told and
the change is logged."""

from __future__ import annotations

from sqlalchemy import select

from tremplin.funding.models import ProjectFundingSettings
from tremplin.platform.models import AdminAction, Notification

NEW_IBAN = "DE89370400440532013000"
FORM = {"account_holder": "Association Test", "iban": NEW_IBAN, "bic": "AGRIFRPP"}


def test_a_new_iban_needs_a_second_person_once_backers_rely_on_it(
    client, auth, db, make_campaign, make_member, make_pledge, outbox
):
    campaign = make_campaign(goal=100_000, rule="keep")
    project, owner = campaign.project, campaign.project.owner
    backer = make_member("Awa", email="awa@exemple.fr")
    make_pledge(campaign, backer, amount=5_000)  # due, to pay by transfer
    mate = make_member("Bastien")
    from tremplin.members.models import ACCEPTED, TEAMMATE, ProjectMember

    db.session.add(
        ProjectMember(project_id=project.id, user_id=mate.id, role=TEAMMATE, status=ACCEPTED)
    )
    db.session.commit()
    old = db.session.get(ProjectFundingSettings, project.id).iban
    auth.login_as(owner)
    response = client.post(f"/projets/{project.id}/collectes/reglages", data=FORM)
    assert response.status_code == 302
    db.session.expire_all()
    settings = db.session.get(ProjectFundingSettings, project.id)
    assert (settings.iban, settings.pending_iban) == (old, NEW_IBAN)
    page = client.get(f"/projets/{project.id}/collectes/reglages")
    assert "Changement d’IBAN en attente" in page.text
    # the one who asked cannot confirm it
    client.post(f"/projets/{project.id}/collectes/reglages/iban/confirmer")
    db.session.expire_all()
    assert db.session.get(ProjectFundingSettings, project.id).iban == old
    auth.login_as(mate)
    response = client.post(f"/projets/{project.id}/collectes/reglages/iban/confirmer")
    assert response.status_code == 303
    db.session.expire_all()
    settings = db.session.get(ProjectFundingSettings, project.id)
    assert (settings.iban, settings.pending_iban) == (NEW_IBAN, None)
    assert any(
        "RIB" in n
        for n in db.session.scalars(
            select(Notification.text).where(Notification.user_id == backer.id)
        )
    )
    assert any("coordonnées bancaires" in m.subject for m in outbox.to("awa@exemple.fr"))
    logged = db.session.scalars(select(AdminAction.action).order_by(AdminAction.id)).all()
    assert logged == ["funding_iban_requested", "funding_iban_confirmed"]


def test_before_any_pledge_the_iban_changes_at_once(client, auth, db, make_campaign):
    campaign = make_campaign(goal=100_000, status="draft")
    auth.login_as(campaign.project.owner)
    client.post(f"/projets/{campaign.project_id}/collectes/reglages", data=FORM)
    db.session.expire_all()
    assert db.session.get(ProjectFundingSettings, campaign.project_id).iban == NEW_IBAN


def test_an_invalid_iban_is_refused_next_to_the_field(client, auth, db, make_campaign):
    campaign = make_campaign(goal=100_000, status="draft")
    auth.login_as(campaign.project.owner)
    response = client.post(
        f"/projets/{campaign.project_id}/collectes/reglages",
        data={**FORM, "iban": "FR7630006000011234567890188"},
    )
    assert response.status_code in (400, 422, 200)
    assert "chiffres de contrôle" in response.text
