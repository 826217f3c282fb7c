"""Markdown written by members, rendered to HTML that can do no harm."""

from __future__ import annotations

import threading
from functools import lru_cache

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


_EXTENSIONS = ["sane_lists", "tables", "nl2br"]
_converters = threading.local()


def _converter() -> md.Markdown:
    """This thread's Markdown converter: building one (its parser, its extensions) costs
    more than converting a chat message, so each thread keeps its own and resets it."""
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = _converters.markdown = md.Markdown(extensions=_EXTENSIONS, output_format="html")
    return converter


@lru_cache(maxsize=4096)
def _render(text: str) -> str:
    # The same text always gives the same HTML: a channel page shows the same 50 messages
    # to every member who opens it, so each is converted and sanitised once, not each time.
    html = _converter().reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
        strip_comments=True,
    )


def render_markdown(text: str | None) -> Markup:
    """Markdown to sanitised HTML: no scripts, event handlers, iframes, images from
    elsewhere or `javascript:` links; links open safely with rel=noopener."""
    if not text:
        return Markup("")
    # Headings in user text start at h3 so they never compete with the page's own.
    return Markup(_render(str(text)))


def plain_excerpt(text: str | None, length: int = 200) -> str:
    """The first words of a Markdown text, without markup (for cards and e-mails)."""
    if not text:
        return ""
    plain = nh3.clean(md.markdown(text), tags=set()).replace("\n", " ").strip()
    plain = " ".join(plain.split())
    return plain if len(plain) <= length else plain[: length - 1].rsplit(" ", 1)[0] + "…"
