"""Where meetups show up elsewhere: the visitors' home, the member's dashboard, a group's
page, the navigation; and the member's data (download, deletion)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tremplin.meetups.models import Registration, ThemeSubscription
from tremplin.platform import accounts


def test_visitors_home_shows_the_next_public_meetups(client, make_meetup, make_group):
    make_meetup("Café Projets : Jaccede.com")
    make_meetup("Réunion privée", group=make_group(visibility="private"))
    make_meetup("Brouillon secret", state="draft")
    home = client.get("/")
    assert "Les prochaines rencontres" in home.text
    assert "Café Projets : Jaccede.com" in home.text
    assert "Réunion privée" not in home.text and "Brouillon secret" not in home.text
    assert 'href="/rencontres"' in home.text  # the "Rencontres" navigation entry


def test_dashboard_panels(client, auth, make_member, make_meetup, register):
    mine = make_meetup("Ma rencontre")
    make_meetup("Une autre rencontre")
    awa = auth.login_as(make_member("Awa"))
    register(mine, awa)
    home = client.get("/")
    assert "Mes prochaines rencontres" in home.text
    assert "Ma rencontre" in home.text and "Une autre rencontre" in home.text
    assert "Opportunités pour mes thèmes" in home.text


def test_group_page_lists_its_next_meetups(client, auth, make_group, make_meetup, make_organiser):
    lead = make_organiser("Lakdar")
    group = make_group("Club Dynamiques africaines", organiser=lead)
    make_meetup("Le club du deuxième mardi", group=group)
    make_meetup("Sans rapport")
    page = client.get(f"/groupes/{group.slug}")
    assert page.status_code == 200
    assert "Prochaines rencontres du groupe" in page.text
    assert "Le club du deuxième mardi" in page.text and "Sans rapport" not in page.text
    auth.login_as(lead)
    page = client.get(f"/groupes/{group.slug}")
    assert f"/rencontres/nouvelle?groupe={group.id}" in page.text


def test_pages_render_in_english(client, auth, make_member, make_meetup, make_opportunity, db):
    meetup = make_meetup("Café Projets")
    make_opportunity("Appel")
    awa = auth.login_as(make_member("Awa"))
    awa.locale = "en"
    db.session.commit()
    for path in (
        "/rencontres",
        f"/rencontres/{meetup.id}",
        "/opportunites",
        "/soutiens",
        "/rencontres/mon-agenda",
        "/opportunites/abonnements",
        "/",
    ):
        assert client.get(path).status_code == 200, path


def test_download_my_data_and_delete_my_account(app, db, make_member, make_meetup, register):
    awa = make_member("Awa")
    past = make_meetup("Passée", starts_in=timedelta(days=-3))
    register(past, awa, checked_in=True)
    db.session.add(ThemeSubscription(user_id=awa.id, theme="cosmetique"))
    db.session.commit()
    with app.test_request_context():
        data = accounts.export_account_data(awa)
    assert data["meetups"]["registrations"][0]["meetup"] == "Passée"
    assert data["meetups"]["theme_subscriptions"] == ["cosmetique"]
    with app.test_request_context():
        accounts.erase_account(awa)
        db.session.commit()
    assert db.session.scalar(select(ThemeSubscription)) is None
    # attendance stays (the network's history), under "Membre supprimé"
    registration = db.session.scalar(select(Registration))
    assert registration.checked_in_at is not None
    with app.test_request_context():
        assert str(registration.display_name) == "Membre supprimé"


def test_deleting_an_account_frees_the_seats_of_coming_meetups(
    app, db, make_member, make_meetup, register
):
    soon = make_meetup("Bientôt", capacity=1)
    awa, karim = make_member("Awa"), make_member("Karim")
    seat = register(soon, awa)
    waiting = register(soon, karim, status="waiting")
    with app.test_request_context():
        accounts.erase_account(awa)
        db.session.commit()
    db.session.refresh(seat)
    db.session.refresh(waiting)
    assert seat.status == "cancelled" and waiting.status == "confirmed"
