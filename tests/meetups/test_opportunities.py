"""The opportunity watch: organisers post, members say they applied or won, and follow
themes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

import tremplin.meetups as meetups_api
from tremplin.meetups import opportunities as services
from tremplin.meetups.models import Opportunity, OpportunityApplication, ThemeSubscription
from tremplin.platform.errors import DomainError, NotAllowed


def _form(**overrides):
    data = {
        "title": "Appel à projets « Quartiers solidaires »",
        "kind": "appel_a_projets",
        "organisation": "Fondation des quartiers",
        "url": "https://fondation.example.org/aap",
        "description": "Jusqu’à **10 000 €** pour les projets des quartiers populaires.",
        "themes": ["insertion", "environnement"],
        "stages": ["emergence", "developpement"],
        "departement": "93",
        "deadline": (date.today() + timedelta(days=20)).isoformat(),
        "group_id": "0",
    }
    data.update(overrides)
    return data


def test_organiser_posts_an_opportunity(client, auth, db, make_organiser):
    auth.login_as(make_organiser("Bernadette"))
    response = client.post("/opportunites/nouvelle", data=_form())
    assert response.status_code == 302
    item = db.session.scalar(select(Opportunity))
    assert item.themes == ["insertion", "environnement"]
    assert item.stages == ["emergence", "developpement"] and item.departement == "93"
    page = client.get(response.headers["Location"])
    assert "Quartiers solidaires" in page.text and "Seine-Saint-Denis" in page.text
    listing = client.get("/opportunites?theme=insertion")
    assert "Quartiers solidaires" in listing.text
    assert "Quartiers solidaires" not in client.get("/opportunites?theme=cosmetique").text


def test_past_deadline_is_refused_with_a_clear_message(client, auth, db, make_organiser):
    auth.login_as(make_organiser())
    response = client.post(
        "/opportunites/nouvelle",
        data=_form(deadline=(date.today() - timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 200
    assert (
        "est déjà passée : cette opportunité n&#39;est plus ouverte" in response.text
        or "est déjà passée : cette opportunité n'est plus ouverte" in response.text
    )
    assert db.session.scalar(select(Opportunity)) is None
    no_theme = client.post("/opportunites/nouvelle", data=_form(themes=[]))
    assert "Choisissez au moins un thème" in no_theme.text
    assert db.session.scalar(select(Opportunity)) is None


def test_members_cannot_post(client, auth, app, make_member):
    member = auth.login_as(make_member())
    assert client.get("/opportunites/nouvelle").status_code == 403
    with app.test_request_context(), pytest.raises(NotAllowed):
        services.post_opportunity(
            member, services.OpportunityFields(title="Spam", kind="emploi", themes=["numerique"])
        )


def test_applied_then_won(client, auth, db, make_member, make_opportunity):
    item = make_opportunity("Concours Talents des quartiers", kind="concours")
    awa = auth.login_as(make_member("Awa"))
    client.post(f"/opportunites/{item.id}/candidature")
    twice = client.post(f"/opportunites/{item.id}/candidature", follow_redirects=True)
    assert "déjà indiqué votre candidature" in twice.text
    client.post(f"/opportunites/{item.id}/retenu")
    application = db.session.scalar(select(OpportunityApplication))
    assert application.user_id == awa.id and application.status == "won"
    assert meetups_api.opportunity_wins() == 1
    page = client.get(f"/opportunites/{item.id}")
    assert "Vous avez été retenu·e" in page.text and "1 membre a candidaté" in page.text


def test_closed_opportunities_leave_the_list(client, make_opportunity, db):
    open_one = make_opportunity("Ouvert")
    closed = make_opportunity("Clos")
    closed.deadline = date.today() - timedelta(days=3)
    db.session.commit()
    page = client.get("/opportunites")
    assert "Ouvert" in page.text and "Clos" not in page.text
    assert client.get(f"/opportunites/{closed.id}").status_code == 200
    assert open_one.id != closed.id


def test_theme_subscriptions_feed_the_dashboard(client, auth, db, make_member, make_opportunity):
    make_opportunity("Local à Montreuil", themes=["textile"], kind="local")
    make_opportunity("Formation cosmétique", themes=["cosmetique"], kind="formation")
    awa = auth.login_as(make_member("Awa"))
    home = client.get("/")
    assert "Opportunités pour mes thèmes" in home.text and "Choisir mes thèmes" in home.text
    client.post(
        "/opportunites/abonnements",
        data={"themes": ["textile"], "frequency": "monthly", "digest": "y"},
    )
    assert [s.theme for s in db.session.scalars(select(ThemeSubscription))] == ["textile"]
    assert services.digest_frequency(awa) == "monthly"
    db.session.refresh(awa)
    assert "meetups_digest" in {c.kind for c in awa.email_consents}
    home = client.get("/")
    assert "Local à Montreuil" in home.text and "Formation cosmétique" not in home.text
    bad = client.post(
        "/opportunites/abonnements", data={"themes": ["inconnu"], "frequency": "weekly"}
    )
    assert bad.status_code == 200 and "field__error" in bad.text
    assert [s.theme for s in db.session.scalars(select(ThemeSubscription))] == ["textile"]


def test_profile_themes_are_the_default(app, db, make_member, make_profile, make_opportunity):
    awa = make_member("Awa")
    make_profile(awa, themes=["cosmetique"])
    make_opportunity("Formation cosmétique", themes=["cosmetique"])
    assert services.themes_of(awa) == ["cosmetique"]
    assert [o.title for o in services.for_member(awa)] == ["Formation cosmétique"]


def test_service_validates_themes(app, make_organiser):
    with app.test_request_context(), pytest.raises(DomainError, match="thèmes"):
        services.post_opportunity(
            make_organiser(),
            services.OpportunityFields(title="Sans thème", kind="emploi", themes=["pas-un-theme"]),
        )
