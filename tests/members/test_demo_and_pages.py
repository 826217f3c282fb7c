"""The demo network has projects at every stage with needs, offers, journals and milestones;
every members page renders on it, in French, without inline script or style (CSP)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tremplin.members.models import (
    PROJECT_STAGES,
    HelpOffer,
    JournalEntry,
    Milestone,
    Need,
    Profile,
    Project,
)
from tremplin.platform import demo
from tremplin.platform.hooks import registry


@pytest.fixture
def demo_network(app, db):
    with app.test_request_context():
        summary = demo.load()
        db.session.commit()
    return summary


def test_demo_has_projects_at_every_stage_with_their_life(db, demo_network):
    stages = set(db.session.scalars(select(Project.stage)))
    assert stages == set(PROJECT_STAGES)
    assert db.session.scalar(select(func.count(Profile.user_id))) == len(demo.PEOPLE)
    kinds = set(db.session.scalars(select(Need.kind)))
    assert kinds == {"financement", "local", "competences", "partenariat", "contacts", "mentorat"}
    offers = set(db.session.scalars(select(HelpOffer.status)))
    assert {"pending", "accepted", "declined"} <= offers
    assert db.session.scalar(select(func.count(JournalEntry.id))) >= 10
    assert (
        db.session.scalar(
            select(func.count(Milestone.id)).where(Milestone.confirmed_at.is_not(None))
        )
        >= 5
    )
    assert {"profils", "projets", "besoins"} <= set(demo_network)


def test_demo_loader_shares_its_projects_with_later_modules(app, db):
    from tremplin.members.demo import load_demo
    from tremplin.platform.demo import DemoContext
    from tremplin.platform.models import User

    ctx = DemoContext()
    with app.test_request_context():
        for key, name, city, dept, site_role, roles in demo.PEOPLE:
            ctx.users[key] = User(
                email=demo.demo_email(key, name), display_name=name, site_role=site_role
            )
            db.session.add(ctx.users[key])
            ctx.people[key] = {"city": city, "departement": dept, "roles": roles}
        db.session.flush()
        load_demo(ctx)
    assert {"cosmethique", "retoucherie", "sahel", "cafe"} <= set(ctx.objects["projects"])
    assert all(isinstance(p, Project) for p in ctx.objects["projects"].values())
    assert any(order == 10 and loader is load_demo for order, loader in registry.demo_loaders)


PAGES = [
    "/",
    "/projets",
    "/projets/1",
    "/projets/1/suivi",
    "/besoins/1",
    "/membres/1",
    "/membres",
    "/fil",
    "/profil/modifier",
    "/projets/nouveau",
    "/projets/1/modifier",
    "/projets/1/equipe",
    "/projets/1/besoins/nouveau",
    "/besoins/2/modifier",
    "/compte",
    "/compte/supprimer",
]


def test_every_members_page_renders_for_the_demo_porteur(client, auth, db, demo_network):
    from tremplin.platform.models import User

    auth.login_as(db.session.scalar(select(User).where(User.email == demo.DEMO_LOGIN)))
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.text
        assert '<html lang="fr">' in html
        assert "<script>" not in html and 'style="' not in html and "onclick=" not in html, path


def test_visitor_pages_render_and_hide_members_only_projects(client, db, demo_network):
    listing = client.get("/projets").text
    assert "Maison de Cosm’éthique" in listing
    assert "Clic Solidaire" not in listing  # members only
    assert client.get("/").status_code == 200
    assert "Ces projets cherchent de l’aide" in client.get("/").text


def test_account_page_links_to_my_data_and_deletion(client, auth, db, make_member):
    auth.login_as(make_member("Awa"))
    page = client.get("/compte").text
    assert "/compte/mes-donnees" in page and "/compte/supprimer" in page
    for label in (
        "Propositions d’aide sur mes besoins",
        "Invitations dans une équipe projet",
        "Nouveaux besoins et jalons des projets et membres que je suis",
    ):
        assert label in page  # the e-mail consents of the members module
