"""The results page and the navigation box's JSON, as people use them."""

from __future__ import annotations

import re

import pytest

from tremplin.platform.extensions import db as _db
from tremplin.search import backend_name


@pytest.fixture
def network(db, make_member, make_profile, make_project, make_need, make_group, post_message):
    awa = make_member("Awa Diallo")
    karim = make_member("Karim Benali")
    make_profile(awa, skills=["Cosmétique naturelle"], bio="Savonnière à Montreuil.")
    soap = make_project(
        awa,
        title="Savonnerie cosmétique",
        theme="cosmetique",
        stage="developpement",
        departement="93",
        pitch="Des savons à froid, faits main.",
    )
    lipstick = make_project(
        karim,
        title="Rouges à lèvres bio",
        theme="cosmetique",
        stage="idee",
        departement="75",
        pitch="Une gamme cosmétique sans pétrole.",
    )
    need = make_need(soap, title="Un local pour la cosmétique", kind="local")
    group = make_group("Cosmétique solidaire", theme="cosmetique", members=[awa, karim])
    message = post_message(awa, group.channels[0], "Qui connaît un fournisseur cosmétique ?")
    return {
        "awa": awa,
        "karim": karim,
        "soap": soap,
        "lipstick": lipstick,
        "need": need,
        "group": group,
        "message": message,
    }


def hits(html: str) -> list[str]:
    return re.findall(r'<li class="search-hit search-hit--(\w+)">', html)


def test_a_visitor_sees_mixed_results_with_type_labels_and_highlights(client, network):
    page = client.get("/recherche?q=cosmetique")
    assert page.status_code == 200
    html = page.text
    assert sorted(hits(html)) == ["group", "need", "project", "project"]  # no member, message
    assert "Savonnerie <mark>cosmétique</mark>" in html
    assert '<span class="tag">Projet</span>' in html and '<span class="tag">Besoin</span>' in html
    assert "4 résultats" in html
    assert '<meta name="robots" content="noindex">' in html


def test_a_member_also_finds_members_and_messages(client, auth, network):
    auth.login_as(network["karim"])
    html = client.get("/recherche?q=cosmétique").text
    assert sorted(hits(html)) == ["group", "member", "message", "need", "project", "project"]
    assert "Message de Awa Diallo" in html


def test_facets_count_and_filter(client, network):
    html = client.get("/recherche?q=cosmetique").text
    assert re.search(r"Projets</span>\s*<span class=\"search-facet__count\">2", html)
    assert re.search(
        r"Seine-Saint-Denis \(93\)</span>\s*<span class=\"search-facet__count\">2", html
    )  # the soap project and its need
    only_projects = client.get("/recherche?q=cosmetique&type=project").text
    assert hits(only_projects) == ["project", "project"]
    assert 'aria-current="true"' in only_projects and "Effacer les filtres" in only_projects
    idea = client.get("/recherche?q=cosmetique&type=project&stade=idee").text
    assert hits(idea) == ["project"] and "Rouges à lèvres" in idea
    paris = client.get("/recherche?q=cosmetique&territoire=75").text
    assert hits(paris) == ["project"]


def test_unknown_filter_values_are_ignored(client, network):
    page = client.get(
        "/recherche?q=cosmetique&type=nope&theme=<x>&territoire=999&stade=x"
        "&periode=demain&tri=hasard"  # (page=abc is a 400: tests/ops/test_security_findings)
    )
    assert page.status_code == 200
    assert len(hits(page.text)) == 4


def test_sort_by_date_puts_the_newest_first(client, network):
    html = client.get("/recherche?q=cosmetique&type=project&tri=date").text
    assert html.index("Rouges à lèvres") < html.index("Savonnerie")


def test_paging(client, db, make_member, make_project):
    awa = make_member("Awa")
    for n in range(25):
        make_project(awa, title=f"Jardin partagé n°{n}")
    first = client.get("/recherche?q=jardin").text
    assert len(hits(first)) == 20 and "Page 1 sur 2" in first
    second = client.get("/recherche?q=jardin&page=2").text
    assert len(hits(second)) == 5 and 'rel="prev"' in second
    beyond = client.get("/recherche?q=jardin&page=999")
    assert beyond.status_code == 200


def test_did_you_mean_and_automatic_correction(client, network):
    corrected = client.get("/recherche?q=savonerie").text
    assert "Aucun résultat pour « savonerie »" in corrected
    assert "Savonnerie" in corrected
    assert hits(corrected) == ["project", "need"]  # the need names its project
    exact = client.get("/recherche?q=savonerie&exact=1").text
    assert hits(exact) == [] and "Rien trouvé" in exact


@pytest.mark.parametrize(
    "query",
    [
        "",
        " ",
        "a",
        "é",
        "*",
        '"',
        "((",
        "AND",
        "title:*",
        "cosmétique AND",
        '"savons à',
        "x" * 5000,
        "<script>alert(1)</script>",
        "%00",
        "\x00\x01",
        "🙂",
        "c*s?m",
        "[a TO z]",
    ],
)
def test_odd_queries_never_fail(client, network, query):
    page = client.get("/recherche", query_string={"q": query})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    answer = client.get("/recherche/suggestions", query_string={"q": query})
    assert answer.status_code == 200 and isinstance(answer.json["results"], list)


def test_one_letter_asks_for_more(client, network):
    assert "Saisissez au moins un mot de deux lettres" in client.get("/recherche?q=a").text
    assert client.get("/recherche/suggestions?q=a").json["too_short"] is True


def test_titles_are_escaped(client, db, make_member, make_project):
    awa = make_member("Awa")
    make_project(awa, title="<img src=x onerror=alert(1)> Boulangerie")
    html = client.get("/recherche?q=boulangerie").text
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>Boulangerie</mark>" in html


def test_suggestions_json_for_the_navigation_box(client, auth, network):
    answer = client.get("/recherche/suggestions?q=savon").json
    assert answer["query"] == "savon"
    assert answer["results"][0] == {
        "type": "project",
        "type_label": "Projet",
        "title": "Savonnerie cosmétique",
        "subtitle": "Montreuil",
        "url": f"/projets/{network['soap'].id}",
    }
    assert answer["more_url"] == "/recherche?q=savon"
    # Typing: the last word is a prefix.
    typing = client.get("/recherche/suggestions?q=savonn").json["results"]
    assert typing[0]["type"] == "project"


def test_suggestions_respect_permissions(client, auth, network):
    anonymous = client.get("/recherche/suggestions?q=fournisseur").json
    assert anonymous["results"] == []
    auth.login_as(network["karim"])
    member = client.get("/recherche/suggestions?q=fournisseur").json
    assert [r["type"] for r in member["results"]] == ["message"]


def test_the_navigation_box_is_on_every_page(client, network):
    html = client.get("/").text
    assert 'role="search"' in html and 'role="combobox"' in html
    assert 'aria-controls="nav-search-listbox"' in html and 'role="listbox"' in html
    assert "/static/js/search.js" in html
    assert 'data-search-suggest="/recherche/suggestions"' in html


def test_results_page_statements_do_not_grow_with_results(
    app, client, auth, db, network, count_statements, make_project, post_message
):
    app.config["GROUPS_NEW_ACCOUNT_MESSAGES_PER_MINUTE"] = 100
    auth.login_as(network["karim"])
    client.get("/recherche?q=cosmetique")  # warm-up (session, user)
    with count_statements() as few:
        client.get("/recherche?q=cosmetique")
    for n in range(10):
        make_project(network["awa"], title=f"Crème cosmétique {n}", theme="cosmetique")
        post_message(
            network["karim"] if n % 2 else network["awa"],
            network["group"].channels[0],
            f"Encore de la cosmétique {n}",
        )
    _db.session.expire_all()
    with count_statements() as many:
        page = client.get("/recherche?q=cosmetique")
    assert len(hits(page.text)) == 20
    assert many.count <= few.count + 2, many.statements
    # 1 of them: the header's avatar; PostgreSQL full text adds its own two (the page of
    # hits with their snippets, the facet counts), Whoosh none.
    searching = 2 if backend_name(app.config) == "postgresql" else 0
    assert many.count <= 18 + searching, many.statements  # 18: the signed-in member reloaded


def test_the_json_endpoint_is_rate_limited(app, client, network):
    app.config["RATELIMIT_SEARCH"] = "3 per minute"
    for _ in range(3):
        assert client.get("/recherche/suggestions?q=savon").status_code == 200
    refused = client.get("/recherche/suggestions?q=savon", headers={"Accept": "application/json"})
    assert refused.status_code == 429 and refused.json["error"]
