"""Reading the public API: what a partner's site or a spreadsheet sees, page by page."""

from __future__ import annotations

from datetime import timedelta


def test_visitor_reads_upcoming_meetups_with_seats(client, make_meetup, register, make_member):
    meetup = make_meetup("Café Projets de mars", capacity=30)
    register(meetup, make_member(), guests=1)
    make_meetup("Brouillon secret", state="draft")
    make_meetup("Déjà passée", starts_in=-timedelta(days=3))

    answer = client.get("/api/v1/meetups")

    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert [m["title"] for m in items] == ["Café Projets de mars"]
    assert items[0]["seats_taken"] == 2 and items[0]["capacity"] == 30
    assert items[0]["url"].endswith(f"/rencontres/{meetup.id}")


def test_cursor_pages_cover_every_meetup_once(client, make_meetup):
    titles = {
        make_meetup(f"Rencontre {i}", starts_in=timedelta(days=i + 1)).title for i in range(7)
    }
    seen, url = [], "/api/v1/meetups?limit=3"
    while url:
        answer = client.get(url)
        assert answer.status_code == 200
        body = answer.get_json()
        seen += [m["title"] for m in body["items"]]
        url = (
            f"/api/v1/meetups?limit=3&cursor={body['next_cursor']}" if body["next_cursor"] else None
        )
        if body["next_cursor"]:
            assert 'rel="next"' in answer.headers["Link"]
    assert len(seen) == 7 and set(seen) == titles


def test_etag_answers_304_until_something_changes(client, make_meetup, db):
    meetup = make_meetup("Atelier financement")
    first = client.get("/api/v1/meetups")
    etag = first.headers["ETag"]

    again = client.get("/api/v1/meetups", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""

    meetup.title = "Atelier financement participatif"
    db.session.commit()
    changed = client.get("/api/v1/meetups", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_private_group_meetups_and_channels_stay_hidden(
    client, make_meetup, make_group, make_member, make_token, bearer
):
    member = make_member("Awa")
    private = make_group("Cercle privé", visibility="private", members=[member])
    hidden = make_meetup("Réunion du cercle", group=private)
    public = make_group("Restauration", channels=["Financement"])

    visitor = client.get("/api/v1/meetups").get_json()["items"]
    assert hidden.id not in [m["id"] for m in visitor]
    assert client.get(f"/api/v1/meetups/{hidden.id}").status_code == 404
    groups = {g["slug"]: g for g in client.get("/api/v1/groups").get_json()["items"]}
    assert groups[private.slug]["channels"] == [] and groups[public.slug]["channels"] == []

    # its member, with a token that may read, sees both
    token = make_token(member, scopes=["read"])
    mine = client.get("/api/v1/meetups", headers=bearer(token)).get_json()["items"]
    assert hidden.id in [m["id"] for m in mine]
    group = client.get(f"/api/v1/groups/{private.slug}", headers=bearer(token)).get_json()
    assert [c["name"] for c in group["channels"]] == ["Accueil"]


def test_projects_with_open_needs_only_public_ones_for_visitors(
    client, make_member, make_project, make_need
):
    owner = make_member("Nadia")
    open_project = make_project(owner, title="Épicerie solidaire")
    make_need(open_project, title="Un local de 40 m²")
    make_need(open_project, title="Déjà trouvé", status="fulfilled")
    make_project(owner, title="Sans besoin")
    members_only = make_project(owner, title="Réservé aux membres", visibility="members")
    make_need(members_only)

    items = client.get("/api/v1/projects?open_needs=true").get_json()["items"]

    assert [p["title"] for p in items] == ["Épicerie solidaire"]
    assert [n["title"] for n in items[0]["open_needs"]] == ["Un local de 40 m²"]
    assert client.get(f"/api/v1/projects/{members_only.id}").status_code == 404


def test_campaign_progress(client, make_campaign, make_pledge, app):
    app.config["STRIPE_SECRET_KEY"] = None
    campaign = make_campaign(goal=200_000)
    make_pledge(campaign, amount=50_000, card=None)

    body = client.get(f"/api/v1/campaigns/{campaign.id}").get_json()

    assert body["goal_cents"] == 200_000 and body["pledged_cents"] == 50_000
    assert body["percent"] == 25 and body["backers_count"] == 1 and body["currency"] == "EUR"
    draft = make_campaign(status="draft")
    assert client.get(f"/api/v1/campaigns/{draft.id}").status_code == 404
    assert draft.id not in [c["id"] for c in client.get("/api/v1/campaigns").get_json()["items"]]


def test_impact_figures_are_public_aggregates(client):
    body = client.get("/api/v1/impact?year=2026").get_json()
    assert body["year"] == 2026
    keys = {f["key"] for f in body["figures"]}
    assert "meetups_held" in keys or len(keys) > 3
    assert all(isinstance(f["value"], int) for f in body["figures"])


def test_errors_are_problem_json_in_french_or_english(client):
    french = client.get("/api/v1/meetups?limit=500")
    assert french.status_code == 400
    assert french.content_type == "application/problem+json"
    assert french.get_json()["title"] == "Requête incorrecte"
    assert "limit" in french.get_json()["errors"]

    english = client.get("/api/v1/nulle-part", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.status_code == 404 and english.content_type == "application/problem+json"
    assert english.get_json()["title"] == "Not found"

    bad_cursor = client.get("/api/v1/meetups?cursor=bm9wZQ", headers={"Accept-Language": "en"})
    assert bad_cursor.status_code == 400
    assert bad_cursor.get_json()["detail"] == "This pagination cursor is not valid."


def test_openapi_document_and_documentation_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert "/api/v1/meetups/{meetup_id}/registrations" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "/api/v1/me/notifications" in text
    assert '<script src="http' not in text and '<script src="//' not in text  # no CDN


def test_meetup_list_reads_a_fixed_number_of_statements(client, make_meetup, count_statements):
    for i in range(3):
        make_meetup(f"R{i}")
    client.get("/api/v1/meetups")
    with count_statements() as few:
        client.get("/api/v1/meetups")
    for i in range(6):
        make_meetup(f"S{i}")
    with count_statements() as many:
        client.get("/api/v1/meetups")
    assert many.count == few.count
