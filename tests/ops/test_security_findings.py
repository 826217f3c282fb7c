"""Regression tests for the security sweep's findings M1, M2, L1, L3 and L5 (issue #20)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

from tests.kit.factories import DEFAULT_PASSWORD
from tremplin.platform.accounts import check_password, password_problems

HUGE = "99999999999999999999"  # above 2^63 - 1


# --- M1: numbers the database cannot hold --------------------------------------------------


def _urls_with_a_huge_number(app):
    """One URL per rule with an <int:…> part, every int part set to HUGE, others to "x"."""
    urls = []
    for rule in app.url_map.iter_rules():
        converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}
        ints = [name for name, kind in converters.items() if "Integer" in kind]
        if not ints:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(r"<(?:[^:<>]+:)?" + name + r">", HUGE if name in ints else "x", path)
        urls.append((path, sorted(rule.methods - {"HEAD", "OPTIONS"})))
    return urls


def test_every_numeric_url_part_above_2_63_is_a_404(app, client, auth, make_member):
    admin = make_member(site_role="admin")
    auth.login_as(admin)
    urls = _urls_with_a_huge_number(app)
    assert len(urls) > 50  # every module's numeric routes, not a sample
    for path, methods in urls:
        for method in methods:
            response = client.open(path, method=method)
            # (Werkzeug answers 405 when another method's rule has the same shape.)
            expected = {404} if method == "GET" else {404, 405}
            assert response.status_code in expected, (method, path, response.status_code)
    for path in ["/projets/" + HUGE, "/clubs/" + HUGE + "/carte", "/rencontres/" + HUGE]:
        assert client.get(path).status_code == 404
    assert client.get("/projets/" + "9" * 5000).status_code == 404  # no 4,300-digit ValueError


def test_ids_at_and_beyond_the_largest_key_are_404s_not_500s(client, make_member):
    from tremplin.platform.security import MAX_ID

    assert MAX_ID == 2**31 - 1  # keys are INTEGER: 32 bits on PostgreSQL
    for n in (MAX_ID, MAX_ID + 1, 2**63 - 1, 2**63):
        for path in (f"/projets/{n}", f"/membres/{n}", f"/notifications/{n}"):
            assert client.get(path).status_code in (404, 302), path  # 302: log in first
    assert client.get("/projets/1").status_code == 404  # small ids reach the view


def test_numbers_in_query_and_form_values_beyond_the_largest_key_are_ignored(
    client, auth, make_member
):
    auth.login_as(make_member(site_role="admin"))
    for path in [
        f"/rencontres?groupe={HUGE}",
        f"/messages/nouveau?avec={HUGE}",
        f"/rencontres?groupe=-{HUGE}",
    ]:
        assert client.get(path).status_code in (200, 302, 404), path  # as for "?groupe=abc"


@pytest.mark.parametrize("page", [HUGE, "abc", "0", "-1", "1.5", "٣", "2" * 11])
def test_a_page_number_out_of_range_or_garbage_is_a_400(client, auth, make_member, page):
    auth.login_as(make_member())
    for path in ["/projets", "/notifications", "/membres", "/recherche?q=atelier"]:
        sep = "&" if "?" in path else "?"
        response = client.get(f"{path}{sep}page={page}")
        assert response.status_code == 400, (path, page, response.status_code)


def test_a_normal_page_number_still_works(client, auth, make_member):
    auth.login_as(make_member())
    assert client.get("/projets?page=1").status_code == 200
    assert client.get("/notifications?page=1").status_code == 200


# --- M2: the password policy on change and reset --------------------------------------------


def test_changing_the_password_refuses_the_email_and_name(client, auth, make_member):
    user = make_member(display_name="Nadia Ferhat-Bensalem", email="nadia.ferhat@exemple.fr")
    auth.login_as(user)
    for weak in ["nadia.ferhat@exemple.fr", "Nadia Ferhat-Bensalem"]:
        assert not password_problems(weak)  # only the member's own e-mail and name make it weak
        response = client.post(
            "/compte/mot-de-passe",
            data={"pw-current_password": DEFAULT_PASSWORD, "pw-password": weak},
        )
        assert response.status_code == 200
        assert "trop facile à deviner" in response.text, weak
    assert check_password(user, DEFAULT_PASSWORD)  # unchanged


def test_the_reset_form_refuses_the_email_and_name(client, make_member, outbox):
    user = make_member(display_name="Nadia Ferhat-Bensalem", email="nadia.ferhat@exemple.fr")
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    link = outbox.last_link(user.email, "/mot-de-passe/")
    response = client.post(link, data={"password": "nadia.ferhat@exemple.fr"})
    assert response.status_code == 200 and "trop facile à deviner" in response.text
    response = client.post(link, data={"password": "des galets roulent sous la lune rousse"})
    assert response.status_code == 302  # a good one still goes through


# --- L1: control characters in `next` -------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/\r\nX-Injected: 1", "/\nenv;", "/\x00", "/\x7f", "/\\evil.example"]
)
def test_control_characters_in_next_give_a_safe_redirect(client, make_member, target):
    user = make_member()
    response = client.post(
        "/connexion", data={"email": user.email, "password": DEFAULT_PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "X-Injected" not in response.headers
    response = client.get("/connexion", query_string={"next": target})  # now logged in
    assert response.status_code == 302 and response.headers["Location"] == "/"
    response = client.post("/langue", data={"lang": "en", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_plain_next_is_still_followed(client, make_member):
    user = make_member()
    response = client.post(
        "/connexion",
        data={"email": user.email, "password": DEFAULT_PASSWORD, "next": "/projets?page=2"},
    )
    assert response.headers["Location"] == "/projets?page=2"


# --- L3: logout ends the session on the server ----------------------------------------------


def test_a_copied_cookie_no_longer_works_after_logout(app, client, make_member):
    user = make_member()
    client.post("/connexion", data={"email": user.email, "password": DEFAULT_PASSWORD})
    copied = client.get_cookie("session").value
    assert client.get("/compte").status_code == 200
    client.post("/deconnexion")
    thief = app.test_client()
    thief.set_cookie("session", copied, domain="localhost")
    response = thief.get("/compte")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_a_copied_remember_cookie_no_longer_works_after_logout(app, client, make_member):
    user = make_member()
    client.post(
        "/connexion",
        data={"email": user.email, "password": DEFAULT_PASSWORD, "remember": "y"},
    )
    remember = client.get_cookie("remember_token").value
    client.post("/deconnexion")
    thief = app.test_client()
    thief.set_cookie("remember_token", remember, domain="localhost")
    assert thief.get("/compte").status_code == 302
    # and the member can log in again as usual
    client.post("/connexion", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert client.get("/compte").status_code == 200


# --- L5: Socket.IO headers and origins, CSV charset -----------------------------------------


def _poll(url: str, origin: str | None = None):
    request = urllib.request.Request(url + "/socket.io/?EIO=4&transport=polling")
    if origin:
        request.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


def test_socketio_polling_answers_carry_the_security_headers(live_server):
    status, headers = _poll(live_server.url)
    assert status == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_socketio_origin_check_follows_the_setting(app, live_server):
    assert _poll(live_server.url, origin=live_server.url)[0] == 200  # the site itself
    assert _poll(live_server.url, origin="https://evil.example")[0] == 400
    app.config["SOCKETIO_CORS_ORIGINS"] = ["https://reseau.example"]  # behind a proxy
    assert _poll(live_server.url, origin="https://reseau.example")[0] == 200
    assert _poll(live_server.url, origin=live_server.url)[0] == 400


def test_socketio_cors_origins_is_read_from_the_environment(monkeypatch, tmp_path):
    from tremplin.platform.config import load_config

    monkeypatch.setenv("SOCKETIO_CORS_ORIGINS", "https://a.example/, https://b.example")
    assert load_config(tmp_path)["SOCKETIO_CORS_ORIGINS"] == [
        "https://a.example",
        "https://b.example",
    ]


def test_csv_answers_say_their_charset_once(client, auth, make_organiser):
    auth.login_as(make_organiser())
    response = client.get("/impact/indicateurs.csv?periode=annee&annee=2025")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
