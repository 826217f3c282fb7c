"""Widgets partners embed: the campaign card and « prochaines rencontres » as iframes, and
oEmbed. Answered as for a visitor, without cookies, framable only there — and rendered by a
real browser inside a page served from another origin."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def test_meetups_widget_is_framable_cookieless_and_public_only(
    client, auth, make_meetup, make_group, make_member
):
    member = make_member("Awa")
    private = make_group("Cercle", visibility="private", members=[member])
    make_meetup("Café Projets ouvert")
    make_meetup("Réunion du cercle", group=private)
    auth.login_as(member)  # even for a signed-in member the widget shows the public view

    answer = client.get("/widgets/rencontres?theme=sombre&accent=vert")

    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Café Projets ouvert" in text and "Réunion du cercle" not in text
    assert "widget--sombre" in text and "widget--accent-vert" in text
    assert "Set-Cookie" not in answer.headers
    assert "frame-ancestors *" in answer.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in answer.headers
    assert "<script" not in text
    # the rest of the site still refuses to be framed
    page = client.get("/rencontres")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_campaign_widget_and_oembed(client, make_campaign, make_member, make_project):
    campaign = make_campaign(title="Une surjeteuse pour l'atelier", goal=150_000)
    answer = client.get(f"/widgets/collectes/{campaign.id}?theme=n'importe&accent=rouge")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Une surjeteuse pour l" in text
    assert "widget--clair" in text and "widget--accent-bleu" in text  # unknown: defaults
    assert "<progress" in text and 'aria-label="Avancement de la collecte"' in text

    embed = client.get(
        f"/oembed?url=http://localhost/collectes/{campaign.id}?theme=sombre&maxwidth=300"
    ).get_json()
    assert embed["type"] == "rich" and embed["version"] == "1.0" and embed["width"] == 300
    assert f"/widgets/collectes/{campaign.id}?theme=sombre" in embed["html"]
    assert client.get("/oembed?url=http://localhost/rencontres").get_json()["height"] == 420
    assert client.get("/oembed?url=http://ailleurs.example/rencontres").status_code == 404
    assert client.get("/oembed?url=http://localhost/rencontres&format=xml").status_code == 501

    hidden = make_project(make_member(), visibility="members")
    private_campaign = make_campaign(project=hidden)
    assert client.get(f"/widgets/collectes/{private_campaign.id}").status_code == 404
    assert (
        client.get(f"/oembed?url=http://localhost/collectes/{private_campaign.id}").status_code
        == 404
    )


class PartnerSite:
    """The partner's own site: another origin (another port on 127.0.0.1)."""

    def __init__(self, html: str):
        body = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.browser
def test_both_widgets_render_inside_a_partners_page(
    browser, live_server, make_meetup, make_campaign, tmp_path
):
    make_meetup("Café Projets de la Cité des Métiers")
    campaign = make_campaign(title="Four à pain solidaire")
    site = PartnerSite(
        f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Partenaire</title></head>
        <body><h1>Cité des Métiers</h1>
        <iframe id="campagne" title="Collecte" width="360" height="220"
          src="{live_server.url}/widgets/collectes/{campaign.id}?accent=orange"></iframe>
        <iframe id="rencontres" title="Prochaines rencontres" width="360" height="420"
          src="{live_server.url}/widgets/rencontres?theme=sombre"></iframe>
        </body></html>"""
    )
    assert site.url.split(":")[2] != live_server.url.split(":")[2]  # another origin
    context = browser.new_context(viewport={"width": 900, "height": 800}, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(site.url)
        card = page.frame_locator("#campagne")
        card.get_by_role("heading", name="Four à pain solidaire").wait_for()
        assert card.get_by_role("link", name="Soutenir ce projet").is_visible()
        agenda = page.frame_locator("#rencontres")
        agenda.get_by_role("heading", name="Prochaines rencontres").wait_for()
        assert agenda.get_by_role("link", name="Café Projets de la Cité des Métiers").is_visible()
        page.screenshot(path=str(tmp_path / "partner.png"), full_page=True)
        assert context.cookies(live_server.url) == []  # the widgets set no cookie
        # the site's own pages stay unframable
        with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refusal:
            page.evaluate(
                "url => { const f = document.createElement('iframe'); f.src = url;"
                " document.body.appendChild(f); }",
                f"{live_server.url}/rencontres",
            )
        assert "blocked" in refusal.value.text
    finally:
        context.close()
        site.stop()
