"""Rate limits that fit a room: a monthly evening puts 60 members behind one public address;
they must all be able to log in, while guessing one account's password stays stopped.
The app runs with the default limits of the configuration (the test kit keeps them)."""

from __future__ import annotations

from sqlalchemy import select

from tests.kit.app import CSRFClient
from tests.kit.factories import DEFAULT_PASSWORD
from tremplin.platform.models import User

ROOM_IP = "203.0.113.7"


def _login(client, email, password, ip=ROOM_IP):
    return client.post(
        "/connexion",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_sixty_members_log_in_from_one_address_within_a_minute(app, db, make_member):
    members = [make_member(f"Membre {i}", email=f"m{i}@exemple.fr") for i in range(60)]
    db.session.commit()
    app.test_client_class = CSRFClient
    codes = []
    for member in members:
        client = app.test_client()
        # a typo first, as on a phone, then the right password
        codes.append(_login(client, member.email, "pas le bon mot de passe").status_code)
        codes.append(_login(client, member.email, DEFAULT_PASSWORD).status_code)
    assert codes.count(200) == 60  # the typos: the form again, with its message
    assert codes.count(302) == 60  # every member is in
    assert 429 not in codes


def test_guessing_one_account_is_stopped_from_any_number_of_addresses(app, db, make_member):
    make_member("Awa", email="awa@exemple.fr")
    db.session.commit()
    app.test_client_class = CSRFClient
    client = app.test_client()
    codes = [
        _login(client, "awa@exemple.fr", f"devinette-{i}", ip=f"198.51.100.{i}").status_code
        for i in range(12)
    ]
    assert codes[:10] == [200] * 10
    assert codes[10:] == [429, 429]  # 10 a minute per account, whatever the address
    # Meanwhile the per-account lock took over after 8 failures: even the right password
    # is refused (answered like a wrong one) until the lock ends.
    awa = db.session.scalar(select(User).where(User.email == "awa@exemple.fr"))
    db.session.refresh(awa)
    assert awa.locked_until is not None
    app.config["RATELIMIT_LOGIN"] = "1000 per minute"
    assert _login(client, "awa@exemple.fr", DEFAULT_PASSWORD, ip="192.0.2.1").status_code == 200


def test_one_address_still_has_a_ceiling(app, db):
    app.config["RATELIMIT_LOGIN_IP"] = "3 per minute"
    app.test_client_class = CSRFClient
    client = app.test_client()
    answers = [_login(client, f"x{i}@exemple.fr", "nimporte quoi") for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Trop de tentatives" in answers[-1].text
