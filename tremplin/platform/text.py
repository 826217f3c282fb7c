"""Markdown written by members, rendered to HTML that can do no harm."""

from __future__ import annotations

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "span",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str | None) -> Markup:
    """Markdown to sanitised HTML: no scripts, event handlers, iframes, images from
    elsewhere or `javascript:` links; links open safely with rel=noopener."""
    if not text:
        return Markup("")
    html = md.markdown(text, extensions=["sane_lists", "tables", "nl2br"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
        strip_comments=True,
    )
    # Headings in user text start at h3 so they never compete with the page's own.
    return Markup(clean)


def plain_excerpt(text: str | None, length: int = 200) -> str:
    """The first words of a Markdown text, without markup (for cards and e-mails)."""
    if not text:
        return ""
    plain = nh3.clean(md.markdown(text), tags=set()).replace("\n", " ").strip()
    plain = " ".join(plain.split())
    return plain if len(plain) <= length else plain[: length - 1].rsplit(" ", 1)[0] + "…"
