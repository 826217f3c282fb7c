"""French analysis and the index schema: how text becomes words (folded accents, French
stop words and stemming), which fields a document has and how hits are highlighted.
Changing anything here changes what the index holds: bump `SCHEMA_VERSION` in backend.py.
"""

from __future__ import annotations

import re

import Stemmer
from markupsafe import escape
from whoosh import fields as wf
from whoosh.analysis.acore import Composable, Token
from whoosh.formats import Frequency, Positions
from whoosh.highlight import Formatter, get_text
from whoosh.lang import stopwords_for_language
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint

from tremplin.search.lexicon import canonical, inclusive_parts

FOLDING = dict(accent_map)
FOLDING.update({ord("œ"): "oe", ord("æ"): "ae", ord("ß"): "ss"})
# Words, with their dotted parts ("e.g", "3.5") and inclusive endings ("porteur·se",
# "ami(e)s"), which `lexicon.inclusive_parts` reads.
TOKEN_PATTERN = re.compile(r"\w+(?:[.·•⋅]\w+|\(\w{1,5}\)\w{0,3})*")


def fold(text: str) -> str:
    """Lower case without accents, as the index sees words."""
    return text.lower().translate(FOLDING)


STOP_WORDS = frozenset(fold(word) for word in stopwords_for_language("fr")) | {"and", "or", "not"}


SPELLING_STOPS = STOP_WORDS | set(stopwords_for_language("fr"))
_STEMMER = Stemmer.Stemmer("french")  # Snowball in C (PyStemmer)
_CACHE_LIMIT = 200_000  # words remembered per analyzer (a few tens of MB at most)
_CACHES: dict[str, dict[str, tuple]] = {}  # per kind: raw token → (terms, stopped)


def french_terms(word: str) -> tuple[tuple[str, ...], bool]:
    """One token as the index holds it: lower case, accents folded *before* stemming (so
    "cosmetique" and "cosmétique" reach the stemmer as the same string), inclusive
    endings dropped, the word family's form (lexicon.py), Snowball French stemming.
    Returns (terms, is a stop word)."""
    terms = []
    for part in inclusive_parts(fold(word)):
        if len(part) < 2 or part in STOP_WORDS:
            continue
        terms.append(_STEMMER.stemWord(canonical(part)))
    if not terms:
        return (fold(word),), True
    return tuple(terms), False


def folded_terms(word: str) -> tuple[tuple[str, ...], bool]:
    """Whole words, folded, not stemmed: what a word being typed is a prefix of
    ("cosmétiq" is no prefix of the stem "cosmet", but is one of "cosmetique")."""
    return tuple(inclusive_parts(fold(word))), False


def spelling_terms(word: str) -> tuple[tuple[str, ...], bool]:
    """Whole words, lower case, accents kept: the vocabulary "did you mean" draws on."""
    parts = inclusive_parts(word.lower())
    kept = tuple(p for p in parts if 3 <= len(p) <= 30 and p not in SPELLING_STOPS)
    return (kept, False) if kept else ((word.lower(),), True)


class WordAnalyzer(Composable):
    """A Whoosh analyzer in one pass: the token pattern, then one cached function from a
    token to its terms (instead of a chain of filters run on every token: the analysis of
    a word is computed once per process). Positions count every word, stop words
    included, as Whoosh's tokenizer and stop filter did."""

    KINDS = {"french": french_terms, "folded": folded_terms, "spelling": spelling_terms}

    def __init__(self, kind: str):
        self.kind = kind

    def __eq__(self, other):
        return isinstance(other, WordAnalyzer) and other.kind == self.kind

    def __hash__(self):
        return hash(("WordAnalyzer", self.kind))

    def terms(self, word: str) -> tuple[tuple[str, ...], bool]:
        cache = _CACHES.setdefault(self.kind, {})
        found = cache.get(word)
        if found is None:
            found = self.KINDS[self.kind](word)
            if len(cache) < _CACHE_LIMIT:
                cache[word] = found
        return found

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Each indexed term of `value` with its positions: what `__call__` yields in
        index mode (stop words removed but counted), without a token per word."""
        cache = _CACHES.setdefault(self.kind, {})
        poses: dict[str, list[int]] = {}
        pos = 0
        for word in TOKEN_PATTERN.findall(value):
            found = cache.get(word)
            if found is None:
                found = self.terms(word)
            terms, stopped = found
            if stopped:
                pos += 1
                continue
            for term in terms:
                positions = poses.get(term)
                if positions is None:
                    poses[term] = [pos]
                else:
                    positions.append(pos)
                pos += 1
        return poses

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        matches = TOKEN_PATTERN.finditer(value) if tokenize else [_Whole(value)]
        for match in matches:
            terms, stopped = self.terms(match.group())
            if stopped and removestops:
                pos += 1
                continue
            for term in terms:
                token.text = term
                token.stopped = stopped
                token.boost = 1.0
                if keeporiginal:
                    token.original = match.group()
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + match.start()
                    token.endchar = start_char + match.end()
                pos += 1
                yield token


class FastPositions(Positions):
    """Whoosh's positions format, fed by `WordAnalyzer.term_positions` (the same postings,
    without a Token object per word: indexing spends most of its time analysing)."""

    def word_values(self, value, analyzer, **kwargs):
        if not isinstance(analyzer, WordAnalyzer) or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for term, positions in analyzer.term_positions(value).items():
            yield (term, len(positions), len(positions) * boost, self.encode(positions))


class FastFrequency(Frequency):
    """Whoosh's frequency format, fed by `WordAnalyzer.term_positions`."""

    def word_values(self, value, analyzer, **kwargs):
        if not isinstance(analyzer, WordAnalyzer) or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for term, positions in analyzer.term_positions(value).items():
            yield (term, len(positions), len(positions) * boost, pack_uint(len(positions)))


def french_field(analyzer: WordAnalyzer, *, phrase: bool = True, **kwargs) -> wf.TEXT:
    """A TEXT field whose postings come from the fast formats above."""
    field = wf.TEXT(analyzer=analyzer, phrase=phrase, **kwargs)
    boost = field.format.field_boost
    field.format = (FastPositions if phrase else FastFrequency)(field_boost=boost)
    return field


class _Whole:
    def __init__(self, value: str):
        self.value = value

    def group(self) -> str:
        return self.value

    def start(self) -> int:
        return 0

    def end(self) -> int:
        return len(self.value)


FRENCH = WordAnalyzer("french")
SPELLING = WordAnalyzer("spelling")
FOLDED = WordAnalyzer("folded")


def french_text(text: str) -> str:
    """The text as the French analysis reads it, in words a plain French stemmer keeps:
    what the PostgreSQL backend hands to `to_tsvector` (so inclusive writing and word
    families fold as they do in Whoosh)."""
    out = []
    for word in TOKEN_PATTERN.findall(text):
        found = _TEXT_CACHE.get(word)
        if found is None:
            parts = inclusive_parts(fold(word))
            found = " ".join(canonical(p) if p not in STOP_WORDS else p for p in parts)
            if len(_TEXT_CACHE) < _CACHE_LIMIT:
                _TEXT_CACHE[word] = found
        if found:
            out.append(found)
    return " ".join(out)


_TEXT_CACHE: dict[str, str] = {}  # raw token → its words for to_tsvector


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
        title=french_field(FRENCH, stored=True),
        tags=french_field(FRENCH, stored=True),
        body=wf.STORED(),  # shown in snippets; searched through `all`
        spell=french_field(SPELLING, phrase=False, spelling=True),
        all=french_field(FRENCH),  # title, tags and text: what must match
        title_words=french_field(FOLDED, phrase=False),
        tag_words=french_field(FOLDED, phrase=False),
        theme=wf.KEYWORD(stored=True),
        territory=wf.ID(stored=True),
        stage=wf.KEYWORD(stored=True),
        date=_column_only(wf.DATETIME(stored=True, sortable=True)),
        subtitle=wf.STORED(),
    )


def _column_only(field):
    """Stored and kept in a column (sorting, date filters and facets read the column),
    never searched: no postings (a date is eight terms of a numeric trie otherwise)."""
    field.indexed = False
    return field


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
    head = " ".join(text[: length * 3].split())
    # Only the beginning is shown: normalise it alone when it is long enough.
    text = head if len(head) > length + 1 else " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return cut + " …"
