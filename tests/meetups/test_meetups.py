"""Meetups: an organiser publishes, edits and cancels; only the right people manage them;
the pages show what visitors and members need, in a fixed number of statements."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tremplin.meetups import meetups as services
from tremplin.meetups.models import Meetup
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.models import Notification, OutboxEmail

PARIS = ZoneInfo("Europe/Paris")


def _local(days: int, hour: int = 18, minute: int = 30) -> str:
    day = (datetime.now(PARIS) + timedelta(days=days)).date()
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def _form(**overrides) -> dict:
    data = {
        "title": "Café Projets : Jaccede.com",
        "description": "Un projet **présenté**.",
        "group_id": "0",
        "starts_at": _local(10),
        "ends_at": _local(10, 21, 0),
        "venue_name": "Mairie du 3e",
        "address": "2 rue Eugène Spuller, Paris",
        "online_url": "",
        "departement": "75",
        "theme": "",
        "capacity": "40",
        "agenda": "15 min – Mot de bienvenue\n20 Présentation du projet\n"
        "20 min - Tables de propositions\n1h Échanges",
        "table_minutes": "20",
    }
    data.update(overrides)
    return data


def test_organiser_publishes_a_meetup_with_agenda_in_paris_time(client, auth, db, make_organiser):
    auth.login_as(make_organiser("Claire"))
    response = client.post("/rencontres/nouvelle", data={**_form(), "publish": "1"})
    assert response.status_code == 302
    meetup = db.session.scalar(select(Meetup))
    assert meetup.state == "published" and meetup.capacity == 40
    # 18:30 in Paris is stored as UTC (16:30 or 17:30 depending on the season)
    assert meetup.starts_at.astimezone(PARIS).strftime("%H:%M") == "18:30"
    assert meetup.starts_at.utcoffset() == timedelta(0)
    assert [(i.duration_minutes, i.title) for i in meetup.agenda] == [
        (15, "Mot de bienvenue"),
        (20, "Présentation du projet"),
        (20, "Tables de propositions"),
        (60, "Échanges"),
    ]
    page = client.get(response.headers["Location"])
    assert "Café Projets : Jaccede.com" in page.text
    assert "18h30" in page.text and "Mot de bienvenue" in page.text
    assert "40 places restantes" in page.text


def test_draft_is_hidden_until_published(client, auth, db, make_organiser, make_member):
    claire = make_organiser("Claire")
    auth.login_as(claire)
    client.post("/rencontres/nouvelle", data=_form())
    meetup = db.session.scalar(select(Meetup))
    assert meetup.state == "draft"
    auth.login_as(make_member("Awa"))
    assert client.get(f"/rencontres/{meetup.id}").status_code == 404
    assert "Jaccede" not in client.get("/rencontres").text
    auth.login_as(claire)
    client.post(f"/rencontres/{meetup.id}/publier")
    auth.logout()
    assert client.get(f"/rencontres/{meetup.id}").status_code == 200


def test_bad_dates_place_and_agenda_get_clear_messages(client, auth, db, make_organiser):
    auth.login_as(make_organiser())
    cases = [
        ({"ends_at": _local(10, 17, 0)}, "La fin doit être après le début."),
        ({"starts_at": _local(-2), "ends_at": _local(-2, 21)}, "Cette date est déjà passée"),
        ({"venue_name": "", "address": ""}, "Indiquez un lieu"),
        ({"online_url": "zoom.us/abc"}, "Le lien doit commencer par https://"),
        ({"agenda": "Accueil sans durée"}, "Ligne 1 de l’ordre du jour".replace("’", "'")),
        ({"agenda": "200 min Interminable"}, "L'ordre du jour dure 3 h 20"),
        ({"capacity": "0"}, "De 1 à 5 000 personnes."),
    ]
    for overrides, message in cases:
        response = client.post("/rencontres/nouvelle", data=_form(**overrides))
        assert response.status_code == 200, overrides
        assert message in response.text.replace("&#39;", "'"), (overrides, message)
    assert db.session.scalar(select(Meetup)) is None


def test_only_site_or_group_organisers_manage_meetups(
    client, auth, db, make_member, make_organiser, make_group, make_meetup
):
    group_lead = make_member("Yasmina")
    group = make_group("Restauration", organiser=make_organiser(), organisers=[group_lead])
    stranger = make_member("Karim")
    meetup = make_meetup("Dîner solidaire", group=group)
    other = make_meetup("Café Projets")

    auth.login_as(stranger)
    assert client.get(f"/rencontres/{meetup.id}/modifier").status_code == 403
    assert client.get(f"/rencontres/{meetup.id}/accueil").status_code == 403
    assert (
        client.post(
            f"/rencontres/{meetup.id}/tables/former", data={"min_size": 6, "max_size": 8}
        ).status_code
        == 403
    )
    assert client.get("/rencontres/nouvelle").status_code == 403

    auth.login_as(group_lead)
    assert client.get(f"/rencontres/{meetup.id}/modifier").status_code == 200
    assert client.get(f"/rencontres/{meetup.id}/accueil").status_code == 200
    assert client.get(f"/rencontres/{other.id}/modifier").status_code == 403  # not their group's
    form = client.get("/rencontres/nouvelle")
    assert (
        form.status_code == 200
        and "Tout le réseau" not in form.text
        and "Restauration" in form.text
    )


def test_edit_tells_registrants_when_time_or_place_changes(
    app, client, auth, db, make_organiser, make_member, make_meetup, register
):
    claire = make_organiser("Claire")
    meetup = make_meetup("Club du mardi", organiser=claire)
    awa = make_member("Awa")
    register(meetup, awa)
    register(meetup, name="Jean Visiteur", email="jean@exemple.fr")
    auth.login_as(claire)
    page = client.get(f"/rencontres/{meetup.id}/modifier")
    assert page.status_code == 200
    response = client.post(
        f"/rencontres/{meetup.id}/modifier",
        data=_form(
            title="Club du mardi",
            venue_name="Cité des métiers",
            address="30 avenue Corentin-Cariou",
            capacity="",
            agenda="",
        ),
    )
    assert response.status_code == 302
    db.session.refresh(meetup)
    assert meetup.sequence == 1 and meetup.venue_name == "Cité des métiers"
    note = db.session.scalar(select(Notification).where(Notification.user_id == awa.id))
    assert "a changé" in note.text and "Cité des métiers" in note.text
    mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == "jean@exemple.fr"))
    assert "Cité des métiers" in mail.body_text and "/rencontres/inscription/" in mail.body_text


def test_cancel_tells_everyone_registered(
    client, auth, db, make_organiser, make_member, make_meetup, register
):
    claire = make_organiser("Claire")
    meetup = make_meetup("Café Projets", organiser=claire)
    awa, karim = make_member("Awa"), make_member("Karim")
    register(meetup, awa)
    register(meetup, karim, status="waiting")
    register(meetup, name="Visiteuse", email="v@exemple.fr")
    auth.login_as(claire)
    assert (
        "3 personnes inscrites ou en attente" in client.get(f"/rencontres/{meetup.id}/annuler").text
    )
    client.post(f"/rencontres/{meetup.id}/annuler", data={"reason": "Salle indisponible."})
    db.session.refresh(meetup)
    assert meetup.state == "cancelled"
    texts = {n.user_id: n.text for n in db.session.scalars(select(Notification))}
    assert "annulée" in texts[awa.id] and "Salle indisponible." in texts[karim.id]
    assert db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == "v@exemple.fr"))
    page = client.get(f"/rencontres/{meetup.id}")
    assert "Cette rencontre est annulée." in page.text
    # cancelling twice: a clear message, nothing changes
    response = client.post(f"/rencontres/{meetup.id}/annuler", data={"reason": ""})
    assert "déjà annulée" in response.text


def test_speakers_member_or_organisation(
    client, auth, db, make_organiser, make_member, make_meetup
):
    claire = make_organiser("Claire")
    meetup = make_meetup("Club Dynamiques africaines", organiser=claire)
    sophie = make_member("Sophie Lambert", email="sophie@exemple.fr")
    auth.login_as(claire)
    client.post(
        f"/rencontres/{meetup.id}/intervenants",
        data={
            "organisation": "Cité des métiers",
            "name": "Bernadette",
            "offer": "Les ateliers création",
        },
    )
    client.post(f"/rencontres/{meetup.id}/intervenants", data={"member_email": "sophie@exemple.fr"})
    response = client.post(
        f"/rencontres/{meetup.id}/intervenants",
        data={"member_email": "personne@exemple.fr"},
        follow_redirects=True,
    )
    assert (
        "Aucun membre n&#39;a cette adresse" in response.text
        or "Aucun membre n'a cette adresse" in response.text
    )
    db.session.refresh(meetup)
    assert [(s.name, s.organisation, s.user_id) for s in meetup.speakers] == [
        ("Bernadette", "Cité des métiers", None),
        ("Sophie Lambert", None, sophie.id),
    ]
    page = client.get(f"/rencontres/{meetup.id}")
    assert "Cité des métiers" in page.text and "Sophie Lambert" in page.text


def test_private_group_meetup_is_for_its_members(
    client, auth, make_group, make_member, make_meetup
):
    member, outsider = make_member("Membre"), make_member("Extérieur")
    group = make_group("Club privé", visibility="private", members=[member])
    meetup = make_meetup("Réunion du club", group=group)
    assert client.get(f"/rencontres/{meetup.id}").status_code == 403
    auth.login_as(outsider)
    assert client.get(f"/rencontres/{meetup.id}").status_code == 403
    assert "Réunion du club" not in client.get("/rencontres").text
    auth.login_as(member)
    assert client.get(f"/rencontres/{meetup.id}").status_code == 200
    assert "Réunion du club" in client.get("/rencontres").text


def test_service_refuses_strangers(app, db, make_member, make_meetup):
    meetup = make_meetup()
    stranger = make_member()
    with app.test_request_context():
        try:
            services.cancel_meetup(stranger, meetup)
        except NotAllowed:
            pass
        else:
            raise AssertionError("a stranger cancelled a meetup")
        try:
            services.parse_agenda("vingt minutes de pause")
        except DomainError as exc:
            assert exc.field == "agenda"


def test_agenda_parser_reads_people_s_ways_of_writing_durations():
    assert services.parse_agenda("15 min – Accueil\n1h30 Échanges\n\n 20 : Tables\n2 h Fête") == [
        (15, "Accueil"),
        (90, "Échanges"),
        (20, "Tables"),
        (120, "Fête"),
    ]


def test_meetup_page_statement_count_does_not_grow(
    client,
    auth,
    db,
    make_organiser,
    make_member,
    make_meetup,
    make_project,
    register,
    count_statements,
):
    claire = make_organiser("Claire")
    owner = make_member("Karim")
    small = make_meetup(
        "Petite",
        organiser=claire,
        projects=[make_project(owner)],
        agenda=[(15, "Accueil")],
        speakers=[("A", "Org A")],
    )
    register(small, make_member())
    big = make_meetup(
        "Grande",
        organiser=claire,
        projects=[make_project(owner), make_project(make_member())],
        agenda=[(15, "Accueil"), (20, "Pitch"), (20, "Tables")],
        speakers=[("A", "Org A"), ("B", "Org B"), ("C", None)],
    )
    for _ in range(12):
        register(big, make_member())
    for user in (None, make_member("Awa"), claire):
        if user is None:
            auth.logout()
        else:
            auth.login_as(user)
        counts = []
        for meetup in (small, big):
            client.get(f"/rencontres/{meetup.id}")  # warm up
            with count_statements() as counter:
                assert client.get(f"/rencontres/{meetup.id}").status_code == 200
            counts.append(counter.count)
        assert counts[0] == counts[1], (user, counts)
        assert counts[1] <= 25, counts
