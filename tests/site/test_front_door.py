"""The front door: legal pages and what registration records, first steps after the
confirmation link, the installable app's files, share tags and images, feeds, formats."""

from __future__ import annotations

import io
import re
import threading

import feedparser
from PIL import Image
from sqlalchemy import func, select

from tremplin.site.models import LegalAcceptance, LegalVersion

GOOD_PASSWORD = "la marmite bout sous le tilleul"


def terms_of(page_text: str) -> str:
    return re.search(r'name="terms" value="([^"]*)"', page_text).group(1)


def register(client, email="nadia@exemple.fr", terms=None):
    form = client.get("/inscription").text
    return client.post(
        "/inscription",
        data={
            "display_name": "Nadia Ferhat",
            "email": email,
            "password": GOOD_PASSWORD,
            "accept_charter": "y",
            "terms": terms if terms is not None else terms_of(form),
        },
    )


def test_registration_links_the_texts_and_records_the_versions_accepted(client, db, outbox):
    page = client.get("/inscription").text
    for path in ("/conditions", "/confidentialite", "/charte"):
        assert f'href="{path}"' in page
    assert client.get("/charte").status_code == 200
    assert register(client).status_code == 302
    rows = db.session.execute(
        select(LegalVersion.slug, LegalVersion.number).join(
            LegalAcceptance, LegalAcceptance.version_id == LegalVersion.id
        )
    ).all()
    assert sorted(rows) == [("charte", 1), ("conditions", 1), ("confidentialite", 1)]


def test_a_text_changed_during_registration_must_be_read_again(client, db, auth, make_member):
    shown = terms_of(client.get("/inscription").text)
    admin = make_member("Admin", site_role="admin")
    auth.login_as(admin)  # meanwhile, an administrator publishes a new charter
    edit = client.get("/administration/pages-legales/charte").text
    expected = re.search(r'name="expected" type="hidden" value="(\d+)"', edit).group(1)
    client.post(
        "/administration/pages-legales/charte",
        data={"title": "Charte du réseau", "body": "Nouvelle charte.", "expected": expected},
    )
    client.post("/deconnexion")
    answer = register(client, terms=shown)
    assert answer.status_code == 200
    assert "a changé pendant votre inscription" in answer.text
    assert "data-error-summary" in answer.text
    assert db.session.scalar(select(func.count()).select_from(LegalAcceptance)) == 0
    assert register(client).status_code == 302  # the new form carries charte:2
    numbers = db.session.scalars(
        select(LegalVersion.number).join(LegalAcceptance).where(LegalVersion.slug == "charte")
    ).all()
    assert numbers == [2]


def test_only_administrators_publish_and_versions_stay_readable(
    client, db, auth, make_member, make_organiser
):
    auth.login_as(make_organiser())
    assert client.get("/administration/pages-legales").status_code == 403
    assert client.post("/administration/pages-legales/conditions", data={}).status_code == 403
    client.post("/deconnexion")
    auth.login_as(make_member("Admin", site_role="admin"))
    assert client.get("/administration/pages-legales").status_code == 200
    published = client.post(
        "/administration/pages-legales/mentions-legales",
        data={
            "title": "Mentions légales",
            "body": "## Éditeur\n\nAssociation **Tremplin**.",
            "summary": "Adresse",
            "expected": "1",
        },
    )
    assert published.status_code == 302
    stale = client.post(
        "/administration/pages-legales/mentions-legales",
        data={"title": "Mentions légales", "body": "Écrasement", "expected": "1"},
    )
    assert "Une autre version vient d’être publiée" in stale.text
    page = client.get("/mentions-legales").text
    assert "<strong>Tremplin</strong>" in page and "Version 2" in page
    old = client.get("/mentions-legales?version=1").text
    assert "ancienne version" in old
    assert client.get("/mentions-legales?version=9").status_code == 404


def test_two_administrators_publishing_at_once_make_one_version(app, db, make_member):
    from tremplin.platform.errors import DomainError
    from tremplin.platform.extensions import db as _db
    from tremplin.site import legal

    with app.test_request_context():
        legal.ensure_current()
        _db.session.commit()
    outcomes, barrier = [], threading.Barrier(2)

    def publish(text):
        with app.app_context(), app.test_request_context():
            barrier.wait()
            try:
                legal.publish("charte", "Charte", text, None, None, 1)
                _db.session.commit()
                outcomes.append("ok")
            except DomainError as exc:  # the loser: a version conflict, nothing written
                _db.session.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=publish, args=(t,)) for t in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert db.session.scalar(select(func.count()).where(LegalVersion.slug == "charte")) == 2


def test_confirmation_link_logs_the_new_member_in_and_invites_to_the_profile(client, db, outbox):
    register(client)
    link = outbox.last_link("nadia@exemple.fr", "/confirmer/")
    answer = client.get(link)
    assert answer.headers["Location"].endswith("/bienvenue")
    welcome = client.get("/bienvenue").text
    assert "Compléter mon profil" in welcome and "/profil/modifier" in welcome
    assert client.get("/compte").status_code == 200
    client.post("/deconnexion")
    again = client.get(link)  # a replayed link logs nobody in
    assert again.status_code == 200 and client.get("/compte").status_code == 302


def test_failed_form_shows_an_error_summary_linking_to_fields(client, db):
    answer = client.post("/inscription", data={"email": "pas-une-adresse"})
    summary = re.search(
        r'<div class="alert alert--error error-summary".*?</div>', answer.text, re.S
    ).group(0)
    assert 'tabindex="-1"' in summary and 'role="alert"' in summary
    assert 'href="#email"' in summary and 'href="#password"' in summary
    assert 'href="#accept_charter"' in summary


def test_installable_app_files(client, db):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = manifest.get_json()
    assert data["display"] == "standalone" and data["start_url"].startswith("/")
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        image = Image.open(io.BytesIO(client.get(icon["src"]).data))
        assert f"{image.width}x{image.height}" == icon["sizes"]
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.data[:4] == b"\x00\x00\x01\x00"
    worker = client.get("/sw.js")
    assert worker.mimetype == "text/javascript" and "__VERSION__" not in worker.text
    assert "/hors-ligne" in worker.text and worker.headers["Service-Worker-Allowed"] == "/"
    home = client.get("/").text
    assert 'rel="manifest"' in home and 'name="theme-color"' in home and "apple-touch-icon" in home
    assert "Pas de réseau" in client.get("/hors-ligne").text


def test_cookie_statement_and_help_guides(client, db):
    cookies = client.get("/cookies").text
    assert "strictement nécessaires" in cookies and "remember_token" in cookies
    help_page = client.get("/aide").text
    for anchor in ("porteur", "parrain", "investisseur", "animateur", "promesse", "votes"):
        assert f'id="{anchor}"' in help_page
    footer = client.get("/").text
    assert 'href="/mentions-legales"' in footer and 'href="/confidentialite"' in footer


def og(text: str, prop: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{prop}" content="([^"]*)"', text)
    return found.group(1) if found else None


def test_shared_pages_carry_open_graph_tags_and_share_links(
    client, db, make_campaign, make_meetup, make_group, make_member
):
    campaign = make_campaign(title="Une épicerie solidaire")
    meetup = make_meetup("Café Projets de décembre")
    group = make_group("Cuisines solidaires")
    member = make_member("Awa Diallo")
    pages = {
        f"/collectes/{campaign.id}": ("Une épicerie solidaire", "article"),
        f"/projets/{campaign.project_id}": (campaign.project.title, "article"),
        f"/rencontres/{meetup.id}": ("Café Projets de décembre", "article"),
        f"/groupes/{group.slug}": ("Cuisines solidaires", "website"),
        f"/membres/{member.id}": ("Awa Diallo", "profile"),
    }
    for path, (title, kind) in pages.items():
        page = client.get(path)
        assert page.status_code == 200, path
        assert og(page.text, "og:title") == title.replace("'", "&#39;"), path
        assert og(page.text, "og:type") == kind, path
        assert og(page.text, "og:url") == "http://localhost" + path, path
        assert og(page.text, "og:image").startswith("http"), path
        assert og(page.text, "og:description"), path
        assert og(page.text, "twitter:card") == "summary_large_image", path
        assert f'<link rel="canonical" href="http://localhost{path}">' in page.text, path
        share = re.search(r'<div class="share" data-share.*?</div>', page.text, re.S)
        assert share, f"{path}: no share buttons"
        share = share.group(0)
        assert "https://wa.me/?text=" in share and "facebook.com/sharer" in share, path
        assert "linkedin.com/sharing" in share and "mailto:?subject=" in share, path
        assert "data-share-copy" in share and "data-share-native" in share, path
        assert not re.search(r'<script[^>]+src="https?://', page.text), path  # no third party


def test_canonical_link_drops_filters_but_keeps_the_page_number(client, db):
    page = client.get("/rencontres?theme=alimentation&page=2").text
    assert '<link rel="canonical" href="http://localhost/rencontres?page=2">' in page
    page = client.get("/collectes?utm_source=whatsapp").text
    assert '<link rel="canonical" href="http://localhost/collectes">' in page


def test_campaign_share_image_is_drawn_and_cached(client, db, make_campaign):
    campaign = make_campaign(title="Une épicerie solidaire")
    page = client.get(f"/collectes/{campaign.id}").text
    image_url = og(page, "og:image")
    assert "/partage/" in image_url
    path = image_url.split("://", 1)[1].split("/", 1)[1]
    first = client.get("/" + path)
    assert first.mimetype == "image/png" and "max-age" in first.headers["Cache-Control"]
    image = Image.open(io.BytesIO(first.data))
    assert image.size == (1200, 630)
    assert client.get("/" + path).data == first.data
    forged = "/" + path.replace("partage/", "partage/x")
    assert client.get(forged).status_code == 404


def test_feeds_parse_and_hide_private_projects(
    client, db, make_meetup, make_project, make_member, make_journal_entry
):
    meetup = make_meetup("Café Projets de décembre")
    feed = feedparser.parse(client.get("/rencontres/flux.atom").data)
    assert not feed.bozo, feed.bozo_exception
    assert any(e.title == "Café Projets de décembre" for e in feed.entries)
    assert feed.entries[0].link.endswith(f"/rencontres/{meetup.id}")

    project = make_project(make_member("Porteuse"))
    make_journal_entry(project, title="Premier local trouvé", body="Nous signons **lundi**.")
    answer = client.get(f"/projets/{project.id}/journal.atom")
    journal = feedparser.parse(answer.data)
    assert not journal.bozo
    assert journal.entries[0].title == "Premier local trouvé"
    assert "<strong>lundi</strong>" in journal.entries[0].content[0].value


def test_formats_are_consistent_in_both_languages(app, db):
    from datetime import UTC, datetime

    from flask_babel import force_locale

    from tremplin.platform.templating import duration, euros, local_datetime, signed_percent

    with app.test_request_context():
        assert duration(150) == "2\u00a0h\u00a030" and duration(45) == "45\u00a0min"
        assert duration(23.5 * 60) == "23\u00a0h\u00a030"
        assert signed_percent(-25) == "\u221225\u00a0%" and signed_percent(12) == "+12\u00a0%"
        assert euros(800_000) == "8\u202f000\u00a0€" or euros(800_000) == "8\u00a0000\u00a0€"
        moment = datetime(2026, 11, 7, 17, 30, tzinfo=UTC)
        assert local_datetime(moment, "HH'h'mm") == "18h30"
        with force_locale("en"):
            assert euros(800_000) == "€8,000" and euros(100) == "€1"
            assert (
                local_datetime(moment, "HH'h'mm") == "6:30\u202fPM"
                or local_datetime(moment, "HH'h'mm") == "6:30 PM"
            )
            assert signed_percent(-25) == "\u221225%"


def test_impact_hours_read_as_durations(app, db):
    from tremplin.platform.impact import format_value

    with app.test_request_context():
        assert format_value(23.5, "hours") == "23\u00a0h\u00a030"


def test_complex_pages_link_their_help(
    client, db, auth, make_member, make_campaign, make_club, accepted_application, make_meetup
):
    from tremplin.funding.clubs.models import ClubVote

    help_page = client.get("/aide").text
    campaign = make_campaign(title="Une épicerie solidaire")
    claire = make_member("Claire Dubois", site_role="organiser")
    club = make_club("Cigales du canal", gerant=claire, members=4)
    accepted_application(club)
    vote = db.session.scalar(select(ClubVote.id).where(ClubVote.club_id == club.id))
    meetup = make_meetup("Café Projets", organiser=claire)
    auth.login_as(claire)
    pages = {
        f"/collectes/{campaign.id}/soutenir": "promesse",
        f"/clubs/{club.id}/votes/{vote}": "votes",
        f"/rencontres/{meetup.id}/tables": "animateur",
        "/impact": "tableaux",
    }
    for path, anchor in pages.items():
        page = client.get(path)
        assert page.status_code == 200, path
        assert f'class="help-link" href="/aide#{anchor}"' in page.text, path
        assert f'id="{anchor}"' in help_page


def test_english_browser_gets_english_pages_and_formats(client, db, make_campaign):
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    campaign = make_campaign(title="Une épicerie solidaire", goal=800_000)
    page = client.get(f"/collectes/{campaign.id}", headers=english).text
    assert '<html lang="en">' in page
    assert "€8,000" in page and "8\u202f000\u00a0€" not in page
    assert "Help" in client.get("/aide", headers=english).text
    assert 'content="en_GB"' in page  # og:locale follows
