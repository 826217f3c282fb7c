"""In a real browser: a team looks at who could help with its premises need, invites two
suggested members; one of them offers help from the invitation, the other declines in one
click; the team accepts the offer."""

from __future__ import annotations

import re

import pytest

from tests.kit.browser import log_in

pytestmark = pytest.mark.browser


def test_team_invites_suggested_members_and_accepts_the_offer(
    new_page, live_server, db, make_member, make_profile, make_project, make_need
):
    from tremplin.members.models import HelpPreference

    awa = make_member("Awa Diallo", email="awa@exemple.fr")
    project = make_project(awa, title="Atelier de couture solidaire", departement="93")
    need = make_need(
        project,
        kind="local",
        title="Un local de 150 m² pour l’atelier",
        description="Près du métro.",
    )
    bernard = make_member("Bernard Bailleur", email="bernard@exemple.fr")
    make_profile(bernard, departement="93")
    db.session.add(HelpPreference(user_id=bernard.id, organisation_kind="bailleur"))
    claire = make_member("Claire Voisine", email="claire@exemple.fr")
    make_profile(claire, departement="93")
    db.session.commit()
    team, helper, other = new_page(), new_page(), new_page()

    log_in(team, "awa@exemple.fr")
    team.goto(f"/besoins/{need.id}")
    team.get_by_role("link", name="Qui peut aider ?").click()
    team.wait_for_url(re.compile(r".*/qui-peut-aider$"))
    first = team.locator(".suggestion").first
    assert "Bernard Bailleur" in first.inner_text()
    assert "Propriétaire ou bailleur de locaux" in first.inner_text()
    for name in ("Bernard Bailleur", "Claire Voisine"):
        card = team.locator(".suggestion", has_text=name)
        card.get_by_role("button", name="Inviter à regarder ce besoin").click()
        team.wait_for_load_state()
    assert (
        team.locator(".suggestion", has_text="Bernard Bailleur").get_by_text("Invité·e le").count()
    )

    # Claire declines in one click.
    log_in(other, "claire@exemple.fr")
    other.goto(f"/besoins/{need.id}")
    other.get_by_role("button", name="Non merci, pas cette fois").click()
    other.wait_for_load_state()
    assert "l’équipe saura" in other.content()

    # Bernard offers help from the invitation.
    log_in(helper, "bernard@exemple.fr")
    helper.goto(f"/besoins/{need.id}")
    assert "vous invite à regarder ce besoin" in helper.content()
    helper.get_by_role("link", name="Proposer mon aide").first.click()
    helper.get_by_label("Ce que vous proposez").fill(
        "J’ai un rez-de-chaussée de 160 m² libre à Montreuil, visitons-le."
    )
    helper.get_by_role("button", name="Envoyer ma proposition").click()
    helper.wait_for_load_state()

    # The team accepts: the mise en relation.
    team.goto(f"/besoins/{need.id}")
    team.get_by_role("button", name="Accepter et échanger nos coordonnées").click()
    team.wait_for_load_state()
    assert "bernard@exemple.fr" in team.content()
    team.goto(f"/besoins/{need.id}/qui-peut-aider")
    assert "Bernard Bailleur" not in team.content()  # answered: no longer a suggestion
