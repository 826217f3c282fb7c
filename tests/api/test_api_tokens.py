"""Personal access tokens: made on the account page, shown once, stored hashed; scopes,
revocation, rate limits — and session cookies that carry no authority over the API."""

from __future__ import annotations

import re

from sqlalchemy import select

from tremplin.api.models import ApiToken


def _create_on_account_page(client, name="Tableur des inscriptions", scopes=("read", "rsvp")):
    page = client.get("/compte")
    assert page.status_code == 200 and "Jetons d’accès à l’API" in page.get_data(as_text=True)
    answer = client.post("/compte/jetons", data={"tok-name": name, "tok-scopes": list(scopes)})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    return re.search(r'value="(trp_[^"]+)"', answer.get_data(as_text=True)).group(1)


def test_member_creates_a_token_shown_once_and_stored_hashed(client, auth, make_member, db):
    awa = auth.login_as(make_member("Awa"))
    clear = _create_on_account_page(client)

    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == awa.id))
    assert row.token_hash != clear and clear not in row.token_hash and len(row.token_hash) == 64
    assert row.scope_list == ["read", "rsvp"] and row.last_used_at is None
    account = client.get("/compte").get_data(as_text=True)
    assert clear not in account and row.prefix in account  # only its first characters

    answer = client.get("/api/v1/me/registrations", headers={"Authorization": f"Bearer {clear}"})
    assert answer.status_code == 200
    db.session.refresh(row)
    assert row.last_used_at is not None
    assert "jamais" not in client.get("/compte").get_data(as_text=True).split("Tableur")[1][:400]


def test_revoked_token_is_refused(client, auth, make_member, make_token, bearer, db):
    awa = auth.login_as(make_member("Awa"))
    token = make_token(awa)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == awa.id))

    assert client.post(f"/compte/jetons/{row.id}/revoquer").status_code == 302

    answer = client.get("/api/v1/me/notifications", headers=bearer(token))
    assert answer.status_code == 401
    assert answer.content_type == "application/problem+json"
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_nobody_revokes_someone_elses_token(client, auth, make_member, make_token, bearer, db):
    owner = make_member("Awa")
    token = make_token(owner)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    auth.login_as(make_member("Bruno"))
    client.post(f"/compte/jetons/{row.id}/revoquer")
    assert client.get("/api/v1/me/notifications", headers=bearer(token)).status_code == 200


def test_token_without_the_scope_is_refused(client, make_member, make_token, bearer, make_meetup):
    awa = make_member("Awa")
    read_only = make_token(awa, scopes=["read"])
    meetup = make_meetup()

    answer = client.post(
        f"/api/v1/meetups/{meetup.id}/registrations", json={"guests": 0}, headers=bearer(read_only)
    )
    assert answer.status_code == 403
    assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]
    assert "rsvp" in answer.get_json()["detail"]

    rsvp_only = make_token(awa, scopes=["rsvp"])
    assert client.get("/api/v1/me/registrations", headers=bearer(rsvp_only)).status_code == 403


def test_a_session_cookie_does_not_authenticate_the_api(client, auth, make_member, make_meetup):
    auth.login_as(make_member("Awa"))
    meetup = make_meetup()
    # a forged cross-site POST carries the cookie but no token: nothing happens
    answer = client.post(f"/api/v1/meetups/{meetup.id}/registrations", json={"guests": 0})
    assert answer.status_code == 401
    assert client.get("/api/v1/me/registrations").status_code == 401
    assert client.get(f"/rencontres/{meetup.id}").status_code == 200  # the site still knows her


def test_unknown_or_malformed_tokens_are_401(client):
    for header in ("Bearer trp_nope", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500):
        answer = client.get("/api/v1/meetups", headers={"Authorization": header})
        assert answer.status_code == 401, header


def test_suspended_members_token_stops_working(client, make_member, make_token, bearer, db):
    from tremplin.platform.types import utcnow

    awa = make_member("Awa")
    token = make_token(awa)
    awa.suspended_at = utcnow()
    db.session.commit()
    assert client.get("/api/v1/me/pledges", headers=bearer(token)).status_code == 401


def test_rate_limit_is_per_token(client, app, make_member, make_token, bearer):
    app.config["RATELIMIT_API"] = "3 per minute"
    first, second = make_token(make_member("Awa")), make_token(make_member("Bruno"))
    codes = [client.get("/api/v1/meetups", headers=bearer(first)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/meetups", headers=bearer(first, **{"Accept-Language": "en"}))
    assert limited.content_type == "application/problem+json" and "Retry-After" in limited.headers
    assert limited.get_json()["title"] == "Too many requests"
    assert client.get("/api/v1/meetups", headers=bearer(second)).status_code == 200


def test_another_members_private_data_is_not_reachable(
    client, make_member, make_token, bearer, make_meetup, register
):
    awa, bruno = make_member("Awa"), make_member("Bruno")
    register(make_meetup(), awa)
    token = make_token(bruno)
    assert client.get("/api/v1/me/registrations", headers=bearer(token)).get_json()["items"] == []
    awa_token = make_token(awa)
    mine = client.get("/api/v1/me/registrations", headers=bearer(awa_token)).get_json()["items"]
    assert len(mine) == 1
