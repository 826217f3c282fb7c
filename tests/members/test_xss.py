"""Markdown written by members is rendered harmless wherever it shows: scripts, event
handlers, `javascript:` links and iframes never reach the page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

PAYLOADS = [
    "<script>alert('xss')</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert('xss')>",
    "<svg/onload=alert('xss')>",
    "<body onload=alert('xss')>",
    "<div onmouseover=\"alert('xss')\">survol</div>",
    "[clic](javascript:alert('xss'))",
    "[clic](JaVaScRiPt:alert('xss'))",
    "[clic](&#106;avascript:alert('xss'))",
    "<a href=\"javascript:alert('xss')\">lien</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzJyk8L3NjcmlwdD4=">lien</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss')>",
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><button>Envoyer</button></form>',
    "\"><script>alert('xss')</script>",
    '<a href="#" style="position:fixed;top:0">recouvre</a>',
]
FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "style",
    "frame",
    "frameset",
    "base",
    "meta",
    "link",
    "mglyph",
}


class DangerFinder(HTMLParser):
    """Every element or attribute of the parsed page that could run code or restyle it
    (escaped text does not count: only what a browser would build)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in FORBIDDEN_TAGS and not (
            tag in ("script", "link", "meta") and self._own_layout(tag, attributes)
        ):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower().replace("\t", "").replace("\n", "")
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name == "style":
                self.found.append(f"{tag}[style]")
            if name in ("href", "src", "action", "formaction") and value.startswith(
                ("javascript:", "data:text", "vbscript:")
            ):
                self.found.append(f"{tag}[{name}={value[:20]}]")
            if name == "action" and value.startswith("http"):
                self.found.append(f"{tag}[action={value[:30]}]")

    @staticmethod
    def _own_layout(tag, attributes) -> bool:
        if tag == "script":
            return (attributes.get("src") or "").startswith("/static/")
        return True  # the layout's own <meta> and <link> in <head>


# Browsers read attributes that Python's parser gives up on (`<svg/onload=…>`,
# unquoted values): inside any tag, an on…= attribute or a javascript: URL is markup —
# outside quoted attribute values, which are text (an escaped title in a <meta content>).
TAG = re.compile(r"<[a-zA-Z][^<>]*>")
QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
IN_TAG_DANGER = re.compile(r"[\s/]on[a-z]+\s*=|javascript:", re.IGNORECASE)


class _InTag:
    @staticmethod
    def findall(html: str) -> list[str]:
        return [
            tag[:60] for tag in TAG.findall(html) if IN_TAG_DANGER.search(QUOTED.sub('""', tag))
        ]


IN_TAG = _InTag()


def dangers(html: str) -> list[str]:
    finder = DangerFinder()
    finder.feed(html)
    return finder.found + IN_TAG.findall(html)


def assert_harmless(html: str, payload: str | None = None) -> None:
    found = dangers(html)
    assert not found, found
    if payload and "<" in payload:
        assert payload not in html  # never passed through as markup


@pytest.mark.parametrize("payload", PAYLOADS)
def test_bio_is_rendered_harmless(client, auth, db, make_member, make_profile, payload):
    owner = make_member("Awa")
    make_profile(owner, bio=f"Bonjour\n\n{payload}", visibility={"bio": "public"})
    page = client.get(f"/membres/{owner.id}").text
    assert "Bonjour" in page
    assert_harmless(page, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_project_description_is_rendered_harmless(client, db, make_member, make_project, payload):
    project = make_project(make_member("Karim"), description=f"Notre projet\n\n{payload}")
    page = client.get(f"/projets/{project.id}").text
    assert "Notre projet" in page
    assert_harmless(page, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_journal_is_rendered_harmless(
    client, auth, db, make_member, make_project, make_follow, make_journal_entry, payload
):
    project = make_project(make_member("Karim"))
    make_journal_entry(project, title=payload, body=f"Des nouvelles\n\n{payload}")
    for url in (f"/projets/{project.id}", f"/projets/{project.id}/suivi"):
        page = client.get(url).text
        assert "Des nouvelles" in page
        assert_harmless(page, payload)
    reader = make_member("Awa")
    make_follow(reader, project=project)
    auth.login_as(reader)
    for url in ("/fil", "/"):
        assert_harmless(client.get(url).text)


@pytest.mark.parametrize("payload", PAYLOADS[:8])
def test_needs_and_offers_are_rendered_harmless(
    client, auth, db, make_member, make_project, make_need, make_help_offer, payload
):
    karim = make_member("Karim")
    project = make_project(karim, title=payload, pitch=payload)
    need = make_need(project, title=payload, description=payload)
    make_help_offer(need, make_member("Jean"), message=payload)
    auth.login_as(karim)
    for url in (f"/besoins/{need.id}", f"/projets/{project.id}", "/projets", "/"):
        assert_harmless(client.get(url).text)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_checker_would_see_each_payload_unsanitised(payload):
    """Proof that the tests above would fail if sanitising broke: each payload, as raw
    HTML or through Markdown alone, is seen by the checker."""
    import markdown

    raw_html, markdown_html = (
        f"<body>{payload}</body>",
        f"<body>{markdown.markdown(payload)}</body>",
    )
    assert dangers(raw_html) or dangers(markdown_html)
