"""Accounts: the register → confirm → log in journey, password policy, resets, changes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.kit.factories import DEFAULT_PASSWORD
from tremplin.platform import accounts
from tremplin.platform.models import User
from tremplin.platform.types import utcnow

GOOD_PASSWORD = "la marmite bout sous le tilleul"


def register(client, email="nadia@exemple.fr", password=GOOD_PASSWORD, name="Nadia Ferhat"):
    import re

    form = client.get("/inscription").text
    terms = re.search(r'name="terms" value="([^"]*)"', form).group(1)  # the texts shown
    return client.post(
        "/inscription",
        data={
            "display_name": name,
            "email": email,
            "password": password,
            "accept_charter": "y",
            "terms": terms,
        },
    )


def test_register_confirm_login_logout(client, db, outbox):
    response = register(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/verifiez-vos-emails")
    user = db.session.scalar(select(User).where(User.email == "nadia@exemple.fr"))
    assert user is not None and not user.is_confirmed
    assert user.password_hash.startswith("scrypt:")
    assert GOOD_PASSWORD not in user.password_hash

    # Not confirmed yet: cannot log in, and the link is sent again.
    response = client.post(
        "/connexion", data={"email": "nadia@exemple.fr", "password": GOOD_PASSWORD}
    )
    assert (
        "Confirmez d&#39;abord votre adresse" in response.text
        or "Confirmez d'abord" in response.text
    )

    link = outbox.last_link("nadia@exemple.fr", "/confirmer/")
    response = client.get(link)
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.is_confirmed
    client.post("/deconnexion")  # the link logged her in; log in again with the password

    response = client.post(
        "/connexion",
        data={"email": "NADIA@exemple.fr", "password": GOOD_PASSWORD},
        follow_redirects=True,
    )
    assert "Bonjour Nadia Ferhat" in response.text
    assert client.get("/compte").status_code == 200

    client.post("/deconnexion")
    assert client.get("/compte").status_code == 302


def test_confirmation_link_replayed_explains_itself(client, db, outbox):
    register(client)
    link = outbox.last_link("nadia@exemple.fr", "/confirmer/")
    client.get(link)
    again = client.get(link)
    assert again.status_code == 200
    assert "déjà servi" in again.text


def test_expired_confirmation_link_offers_a_new_one(app, client, db, outbox):
    register(client)
    link = outbox.last_link("nadia@exemple.fr", "/confirmer/")
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    response = client.get(link)
    assert "a expiré" in response.text
    assert "Recevoir un nouveau lien" in response.text


def test_tampered_link_is_refused(client, db, outbox):
    register(client)
    link = outbox.last_link("nadia@exemple.fr", "/confirmer/")
    response = client.get(link[:-3] + "xyz")
    assert response.status_code == 400
    assert "pas valable" in response.text


def test_registration_answers_the_same_for_a_known_address(client, db, make_member, outbox):
    make_member("Déjà Là", email="deja@exemple.fr")
    known = register(client, email="deja@exemple.fr")
    unknown = register(client, email="nouvelle@exemple.fr")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert (
        client.get(known.headers["Location"]).text == client.get(unknown.headers["Location"]).text
    )
    # No second account; the owner is told by e-mail instead.
    assert (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.email == "deja@exemple.fr")
        )
        == 1
    )
    assert "a déjà un compte" in outbox.to("deja@exemple.fr")[-1].body_text


def test_login_answers_the_same_for_unknown_address_and_wrong_password(client, db, make_member):
    make_member("Awa", email="awa@exemple.fr")
    wrong = client.post(
        "/connexion", data={"email": "awa@exemple.fr", "password": "pas le bon mot de passe"}
    )
    unknown = client.post(
        "/connexion", data={"email": "personne@exemple.fr", "password": "pas le bon mot de passe"}
    )
    assert wrong.status_code == unknown.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in wrong.text
    assert wrong.text.replace("awa@exemple.fr", "X") == unknown.text.replace(
        "personne@exemple.fr", "X"
    )


def test_reset_answers_the_same_for_known_and_unknown(client, db, make_member, outbox):
    make_member("Awa", email="awa@exemple.fr")
    known = client.post("/mot-de-passe-oublie", data={"email": "awa@exemple.fr"})
    unknown = client.post("/mot-de-passe-oublie", data={"email": "personne@exemple.fr"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(outbox.to("awa@exemple.fr")) == 1
    assert outbox.to("personne@exemple.fr") == []


def test_password_policy(app):
    with app.test_request_context():
        assert accounts.password_problems("court")  # too short
        assert accounts.password_problems("a" * 129)  # too long
        assert accounts.password_problems("azertyuiop123")  # guessable
        assert accounts.password_problems("nadia.ferhat1", ["nadia.ferhat@exemple.fr"])
        assert accounts.password_problems(GOOD_PASSWORD) == []
        assert accounts.password_problems("ñandú ❤ çà et là, sous l'orage") == []  # Unicode, spaces
        longest = ("Ωq7 kl@ pp¿ tt" * 10)[:128]
        assert len(longest) == 128 and accounts.password_problems(longest) == []


def test_weak_password_is_refused_next_to_the_field_and_input_kept(client, db):
    response = register(client, password="motdepasse12")
    assert response.status_code == 200
    assert 'id="password-error"' in response.text
    assert 'value="nadia@exemple.fr"' in response.text  # what was typed is kept
    assert "motdepasse12" not in response.text  # but never the password
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_reset_link_is_single_use_and_expires(app, client, db, make_member, outbox):
    user = make_member("Awa", email="awa@exemple.fr")
    client.post("/mot-de-passe-oublie", data={"email": "awa@exemple.fr"})
    link = outbox.last_link("awa@exemple.fr", "/mot-de-passe/")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": GOOD_PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert accounts.check_password(user, GOOD_PASSWORD)

    replay = client.post(link, data={"password": "encore une autre phrase secrète"})
    assert "déjà servi" in replay.text
    db.session.refresh(user)
    assert accounts.check_password(user, GOOD_PASSWORD)

    client.post("/mot-de-passe-oublie", data={"email": "awa@exemple.fr"})
    fresh = outbox.last_link("awa@exemple.fr", "/mot-de-passe/")
    app.config["RESET_TOKEN_MAX_AGE"] = -1
    assert "a expiré" in client.get(fresh).text


def test_password_change_ends_every_other_session(app, db, make_member):
    make_member("Awa", email="awa@exemple.fr")
    from tests.kit.app import CSRFClient

    app.test_client_class = CSRFClient
    laptop, phone = app.test_client(), app.test_client()
    for c in (laptop, phone):
        c.post(
            "/connexion",
            data={"email": "awa@exemple.fr", "password": DEFAULT_PASSWORD, "remember": "y"},
        )
        assert c.get("/compte").status_code == 200

    response = laptop.post(
        "/compte/mot-de-passe",
        data={"pw-current_password": DEFAULT_PASSWORD, "pw-password": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    assert laptop.get("/compte").status_code == 200  # this session goes on
    assert phone.get("/compte").status_code == 302  # the other one (even remembered) ends
    with phone.session_transaction() as sess:
        sess.pop("_user_id", None)
    assert phone.get("/compte").status_code == 302


def test_change_password_with_wrong_current_password(client, auth, db, make_member):
    user = auth.login_as(make_member("Awa"))
    response = client.post(
        "/compte/mot-de-passe",
        data={"pw-current_password": "faux mot de passe", "pw-password": GOOD_PASSWORD},
    )
    assert response.status_code == 200
    assert "Mot de passe actuel incorrect" in response.text
    db.session.refresh(user)
    assert accounts.check_password(user, DEFAULT_PASSWORD)


def test_change_email_is_reconfirmed(client, auth, db, make_member, outbox):
    user = auth.login_as(make_member("Awa", email="awa@exemple.fr"))
    response = client.post(
        "/compte/email",
        data={"em-email": "awa.nouvelle@exemple.fr", "em-current_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "awa@exemple.fr" and user.pending_email == "awa.nouvelle@exemple.fr"
    link = outbox.last_link("awa.nouvelle@exemple.fr", "/compte/email/")
    client.get(link)
    db.session.refresh(user)
    assert user.email == "awa.nouvelle@exemple.fr" and user.pending_email is None
    assert "désormais" in outbox.to("awa@exemple.fr")[-1].body_text


def test_change_email_to_a_taken_address_reveals_nothing(client, auth, db, make_member, outbox):
    make_member("Autre", email="prise@exemple.fr")
    user = auth.login_as(make_member("Awa", email="awa@exemple.fr"))
    response = client.post(
        "/compte/email",
        data={"em-email": "prise@exemple.fr", "em-current_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302  # same answer as for a free address
    db.session.refresh(user)
    assert user.email == "awa@exemple.fr" and user.pending_email is None
    assert "appartient déjà" in outbox.to("prise@exemple.fr")[-1].body_text


def test_account_locks_after_repeated_failures(app, client, db, make_member, outbox):
    app.config["ACCOUNT_LOCK_THRESHOLD"] = 3
    user = make_member("Awa", email="awa@exemple.fr")
    for _ in range(3):
        client.post(
            "/connexion", data={"email": "awa@exemple.fr", "password": "mauvais mot de passe"}
        )
    db.session.refresh(user)
    assert user.locked_until and user.locked_until > utcnow()
    # Even the right password is refused while locked, with the same message.
    response = client.post(
        "/connexion", data={"email": "awa@exemple.fr", "password": DEFAULT_PASSWORD}
    )
    assert "Adresse e-mail ou mot de passe incorrect" in response.text
    assert "verrouillé" in outbox.to("awa@exemple.fr")[-1].subject
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.post(
        "/connexion", data={"email": "awa@exemple.fr", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302


def test_registration_is_rate_limited(app, client, db):
    app.config["RATELIMIT_REGISTER"] = "2 per minute"
    statuses = [register(client, email=f"n{i}@exemple.fr").status_code for i in range(3)]
    assert statuses == [302, 302, 429]


def test_open_redirect_after_login_is_ignored(client, db, make_member):
    make_member("Awa", email="awa@exemple.fr")
    response = client.post(
        "/connexion",
        data={
            "email": "awa@exemple.fr",
            "password": DEFAULT_PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/"


def test_suspended_member_cannot_log_in_and_loses_session(client, auth, db, make_member):
    user = auth.login_as(make_member("Awa", email="awa@exemple.fr"))
    assert client.get("/compte").status_code == 200
    user.suspended_at = utcnow()
    db.session.commit()
    assert client.get("/compte").status_code == 302
    response = client.post(
        "/connexion", data={"email": "awa@exemple.fr", "password": DEFAULT_PASSWORD}
    )
    assert "Adresse e-mail ou mot de passe incorrect" in response.text


def test_demo_members_can_log_in_through_the_form(app, client, db):
    """The demo addresses must pass the login form's e-mail validation."""
    from tremplin.platform import demo

    with app.test_request_context():
        demo.load()
    db.session.commit()
    response = client.post(
        "/connexion", data={"email": demo.DEMO_LOGIN, "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302
