"""French analysis and the index schema: how text becomes words (folded accents, French
stop words and stemming), which fields a document has and how hits are highlighted.
Changing anything here changes what the index holds: bump `SCHEMA_VERSION` in backend.py.
"""

from __future__ import annotations

from markupsafe import escape
from whoosh import fields as wf
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.highlight import Formatter, get_text
from whoosh.lang import stopwords_for_language
from whoosh.support.charset import accent_map
from whoosh.util.text import rcompile

FOLDING = dict(accent_map)
FOLDING.update({ord("œ"): "oe", ord("æ"): "ae", ord("ß"): "ss"})
TOKEN_PATTERN = rcompile(r"\w+(\.?\w+)*")


def fold(text: str) -> str:
    """Lower case without accents, as the index sees words."""
    return text.lower().translate(FOLDING)


STOP_WORDS = frozenset(fold(word) for word in stopwords_for_language("fr")) | {"and", "or", "not"}


def french_analyzer():
    """Words, lower-cased, accents folded *before* stemming (so "cosmetique" and
    "cosmétique" reach the stemmer as the same string), French stop words removed,
    Snowball French stemming."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(FOLDING)
        | StopFilter(stoplist=STOP_WORDS, minsize=2)
        | StemFilter(lang="fr", cachesize=50000)
    )


def spelling_analyzer():
    """Whole words, lower case, accents kept: the vocabulary "did you mean" draws on."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS | set(stopwords_for_language("fr")), minsize=3, maxsize=30)
    )


FRENCH = french_analyzer()
SPELLING = spelling_analyzer()
# Whole words, folded, not stemmed: what a word being typed is a prefix of ("cosmétiq"
# is no prefix of the stem "cosmet", but is one of "cosmetique").
FOLDED = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(FOLDING)

# Where a word is found adds to the score: a title or a name most, then skills, themes,
# kinds and places, then the text (the `all` field, which every word must match, counts
# once more for everything).
BOOSTS = {"title": 6.0, "tags": 3.0}
TEXT_FIELDS = tuple(BOOSTS)
PREFIX_BOOSTS = {"title_words": 6.0, "tag_words": 2.0}
FACET_FIELDS = {"type": "type", "theme": "theme", "territory": "territory", "stage": "stage"}
MAX_BODY = 20_000  # characters of a body kept in the index


def make_schema() -> wf.Schema:
    return wf.Schema(
        uid=wf.ID(unique=True, stored=True),
        id=wf.ID(stored=True),
        type=wf.ID(stored=True),
        acl=wf.KEYWORD(stored=True),
        parents=wf.KEYWORD(stored=True),
        title=wf.TEXT(analyzer=FRENCH, stored=True),
        tags=wf.TEXT(analyzer=FRENCH, stored=True),
        body=wf.STORED(),  # shown in snippets; searched through `all`
        spell=wf.TEXT(analyzer=SPELLING, phrase=False, spelling=True),
        all=wf.TEXT(analyzer=FRENCH),  # title, tags and text: what must match
        title_words=wf.TEXT(analyzer=FOLDED, phrase=False),
        tag_words=wf.TEXT(analyzer=FOLDED, phrase=False),
        theme=wf.KEYWORD(stored=True),
        territory=wf.ID(stored=True),
        stage=wf.KEYWORD(stored=True),
        date=wf.DATETIME(stored=True, sortable=True),
        subtitle=wf.STORED(),
    )


class MarkFormatter(Formatter):
    """Highlights as <mark>, everything else escaped: the only markup in a snippet is ours."""

    between = " … "

    def _text(self, text):
        return str(escape(text))

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(get_text(text, token, replace))}</mark>"

    def format(self, fragments, replace=False):
        if not fragments:
            return ""
        html = self.between.join(
            self.format_fragment(f, replace=replace).strip() for f in fragments
        )
        if fragments[0].startchar > 0:
            html = "… " + html
        if fragments[-1].endchar < len(fragments[-1].text.rstrip()):
            html += " …"
        return html


def plain_start(text: str, length: int = 220) -> str:
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return cut + " …"
