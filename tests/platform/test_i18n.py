"""French by default, English on request."""

from __future__ import annotations


def test_french_by_default(client):
    response = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="fr">' in response.text
    assert "Rejoindre le réseau" in response.text
    assert '<html lang="fr">' in client.get("/").text


def test_english_browser_gets_english_until_a_choice_is_made(client, db):
    english = {"Accept-Language": "en-US,en;q=0.9,fr;q=0.5"}
    assert '<html lang="en">' in client.get("/", headers=english).text
    client.post("/langue", data={"lang": "fr", "next": "/"})
    assert '<html lang="fr">' in client.get("/", headers=english).text


def test_language_switch_to_english_and_back(client, db):
    response = client.post("/langue", data={"lang": "en", "next": "/connexion"})
    assert response.headers["Location"] == "/connexion"
    page = client.get("/connexion")
    assert '<html lang="en">' in page.text
    assert "Log in" in page.text and "Password" in page.text
    client.post("/langue", data={"lang": "fr", "next": "/"})
    assert "Se connecter" in client.get("/connexion").text


def test_member_language_is_remembered_on_the_account(client, auth, db, make_member):
    awa = auth.login_as(make_member("Awa"))
    client.post("/langue", data={"lang": "en", "next": "/"})
    db.session.refresh(awa)
    assert awa.locale == "en"


def test_unknown_language_is_ignored(client, db):
    client.post("/langue", data={"lang": "xx", "next": "/"})
    assert '<html lang="fr">' in client.get("/").text


def test_every_catalogue_string_is_translated_in_english():
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    with open(root / "translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    layout_strings = [
        "Se connecter",
        "Rejoindre le réseau",
        "Mot de passe",
        "Page introuvable",
        "Accès refusé",
        "Notifications",
        "Langue",
    ]
    for msgid in layout_strings:
        message = catalog.get(msgid)
        assert message is not None and message.string, f"no English for {msgid!r}"
    missing = [
        m.id
        for m in catalog
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert missing == [], (
        f"untranslated (run make extract, then translations/tools/fill_en.py): {missing[:5]}"
    )
    # `pybabel compile` leaves fuzzy entries out: the page would fall back to French
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert fuzzy == [], f"fuzzy guesses to check and translate: {fuzzy[:5]}"
