"""Word searches on Whoosh's index without Whoosh's matchers: set operations and a BM25F
sum, for the queries the site asks most (words, the instant box; ranked by relevance).

Whoosh walks posting lists in Python, a `skip_to` per posting, and scores each match
through a tree of matchers: the profile of the bench's AND queries spends nine tenths of
its time there. Here each (field, term) posting list of a segment is read once into a
dict {document: weight} (segments never change once written; the cache is the backend's
per-segment one, bounded by `POSTINGS_BUDGET`), and a query is set intersections (in C)
then a BM25F score for the documents left, with Whoosh's formula, statistics and ties
(higher score first, then the lower document number). Deleted documents are taken out
per searcher. Phrases and sorting by date still go through Whoosh's matchers.
"""

from __future__ import annotations

from math import log

from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from tremplin.search.analysis import BOOSTS, FOLDED, FRENCH, PREFIX_BOOSTS, TEXT_FIELDS

K1, B = 1.2, 0.75  # Whoosh's BM25F defaults (the searcher's weighting)
POSTINGS_BUDGET = 4_000_000  # postings kept in dicts per process (~70 bytes each)


class Clause:
    """One required part of the query: documents matching any of its (field, term,
    boost, is a prefix) options."""

    def __init__(self, options: list[tuple[str, str, float, bool]]):
        self.options = options


def plan(spec) -> tuple[list[Clause], list[tuple[str, str, float]], dict[str, set[str]]]:
    """(required clauses, optional boosters, words to highlight per field) for a word
    query, as `WhooshBackend._text_query` builds it for Whoosh."""
    clauses: list[Clause] = []
    boosters: list[tuple[str, str, float]] = []
    stems_seen: list[str] = []
    words = list(spec.words)
    last = words.pop() if (spec.prefix and words) else None
    for word in words:
        for stem in (t.text for t in FRENCH(word, mode="query")):
            clauses.append(Clause([("all", stem, 1.0, False)]))
            stems_seen.append(stem)
    if last is not None:
        stems = [t.text for t in FRENCH(last, mode="query")]
        folded = [t.text for t in FOLDED(last)]
        stems_seen.extend(stems)
        for stem in stems[:-1]:
            clauses.append(Clause([("all", stem, 1.0, False)]))
        tail = folded[-1] if folded else ""
        options = [("all", stems[-1], 1.0, False)] if stems else []
        if len(tail) >= 3:
            options.extend((name, tail, boost, True) for name, boost in PREFIX_BOOSTS.items())
        if options:
            clauses.append(Clause(options))
    for stem in stems_seen:
        boosters.extend((name, stem, BOOSTS[name]) for name in TEXT_FIELDS)
    marks = {name: set(stems_seen) for name in ("all", *TEXT_FIELDS)}
    return clauses, boosters, marks


class FastSearch:
    """One searcher's view: global statistics, deletions, cached postings per segment."""

    def __init__(self, backend, searcher):
        self.backend = backend
        self.searcher = searcher
        self.leaves = backend._leaves(searcher)
        self.doc_count_all = searcher.doc_count_all()
        self._idf: dict[tuple[str, str], float] = {}
        self._avgfl: dict[str, float] = {}
        self._deleted: set[int] | None = None

    # statistics, as Whoosh's BM25F reads them ------------------------------------------

    def idf(self, field: str, text: str) -> float:
        key = (field, text)
        value = self._idf.get(key)
        if value is None:
            n = self.searcher.doc_frequency(field, text)
            value = self._idf[key] = log(self.doc_count_all / (n + 1)) + 1
        return value

    def avgfl(self, field: str) -> float:
        value = self._avgfl.get(field)
        if value is None:
            value = self._avgfl[field] = self.searcher.avg_field_length(field) or 1
        return value

    def deleted(self) -> set[int]:
        if self._deleted is None:
            gone: set[int] = set()
            for _key, reader, offset, size in self.leaves:
                if reader.has_deletions():
                    gone.update(offset + d for d in _deleted_docs(reader, size))
            self._deleted = gone
        return self._deleted

    # per segment -----------------------------------------------------------------------

    def _postings(self, leaf, field: str, text: str) -> dict[int, float]:
        seg_key, reader, _offset, _size = leaf

        def read():
            try:
                matcher = reader.postings(field, text)
            except TermNotFound:
                return {}
            out = {}
            while matcher.is_active():
                out[matcher.id()] = matcher.weight()
                matcher.next()
            return out

        return self.backend._segments.get(seg_key, ("postings", field, text), read)

    def _docs(self, leaf, field: str, term: str) -> frozenset[int]:
        """The (global) documents of a term's postings in one segment."""
        seg_key, _reader, offset, _size = leaf
        postings = self._postings(leaf, field, term)

        def read():
            return frozenset(postings) if not offset else frozenset(offset + d for d in postings)

        # Keyed by offset too: a segment's first number changes when one before it goes.
        return self.backend._segments.get(seg_key, ("docs", field, term, offset), read)

    def _lengths(self, leaf, field: str) -> list[int]:
        seg_key, reader, _offset, size = leaf

        def read():
            perdoc = getattr(reader, "_perdoc", None)
            column = None
            if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

                column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            if column is not None:
                return [byte_to_length(b) if b else 0 for b in column]
            return [reader.doc_field_length(d, field) or 0 for d in range(size)]

        return self.backend._segments.get(seg_key, ("lengths", field), read)

    def _prefix_terms(self, leaf, field: str, tail: str) -> list[str]:
        seg_key, reader, _offset, _size = leaf
        fieldobj = self.searcher.schema[field]

        def read():
            try:
                return [fieldobj.from_bytes(t) for t in reader.expand_prefix(field, tail)]
            except TermNotFound:
                return []

        return self.backend._segments.get(seg_key, ("prefix", field, tail), read)

    def term_docs(self, field: str, text: str, prefix: bool = False) -> list[tuple]:
        """[(leaf, term, {local document: weight})] of a term (or of every term a prefix
        begins) in each segment."""
        out = []
        for leaf in self.leaves:
            for term in self._prefix_terms(leaf, field, text) if prefix else (text,):
                postings = self._postings(leaf, field, term)
                if postings:
                    out.append((leaf, term, postings))
        return out

    # the query -------------------------------------------------------------------------

    def run(self, clauses: list[Clause], allowed: set[int], match_all: bool):
        """(matched documents, {document: score} of the matched ones)."""
        clause_docs = []
        clause_parts = []
        for clause in clauses:
            docsets: list[frozenset[int]] = []
            parts = []
            for field, text, boost, prefix in clause.options:
                found = self.term_docs(field, text, prefix)
                # As Whoosh scores a prefix: one word begins with it, that word's BM25
                # (the boost is lost); several, the boost times their weights.
                bm25 = not prefix or len({term for _leaf, term, _p in found}) == 1
                if prefix and bm25:
                    boost = 1.0
                for leaf, term, postings in found:
                    docsets.append(self._docs(leaf, field, term))
                    parts.append((leaf, field, term, boost, postings, bm25))
            clause_docs.append(docsets[0] if len(docsets) == 1 else frozenset().union(*docsets))
            clause_parts.append(parts)
        if not clause_docs:
            return set(), {}
        if match_all:
            clause_docs.sort(key=len)
            matched = clause_docs[0].intersection(allowed, *clause_docs[1:])
        else:
            matched = allowed.intersection(set().union(*clause_docs))
        deleted = self.deleted()
        if deleted:
            matched -= deleted
        return matched, clause_parts

    def scores(self, docs, clause_parts, boosters) -> dict[int, float]:
        """BM25F sums for `docs` (global numbers): every matching option of a required
        clause, and every booster term present."""
        parts = [p for clause in clause_parts for p in clause]
        for field, text, boost in boosters:
            for leaf, term, postings in self.term_docs(field, text):
                parts.append((leaf, field, term, boost, postings, True))
        totals = dict.fromkeys(docs, 0.0)
        for leaf, field, term, boost, postings, bm25 in parts:
            offset, size = leaf[2], leaf[3]
            if not bm25:  # weights times the boost
                for local, tf in postings.items():
                    doc = offset + local
                    if doc in totals:
                        totals[doc] += boost * tf
                continue
            idf = self.idf(field, term)
            avgfl = self.avgfl(field)
            lengths = self._lengths(leaf, field)
            norm = K1 * (1 - B)
            slope = K1 * B / avgfl
            factor = idf * (K1 + 1) * boost
            if len(postings) < len(totals):
                candidates = ((offset + d, d, w) for d, w in postings.items())
                for doc, local, tf in candidates:
                    if doc in totals:
                        totals[doc] += factor * tf / (tf + norm + slope * lengths[local])
            else:
                get = postings.get
                for doc in totals:
                    local = doc - offset
                    if 0 <= local < size:
                        tf = get(local)
                        if tf is not None:
                            totals[doc] += factor * tf / (tf + norm + slope * lengths[local])
        return totals


def top(scores: dict[int, float], limit: int) -> list[tuple[float, int]]:
    """The `limit` best (score, document), higher score first, then lower number."""
    import heapq

    best = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))
    return [(score, doc) for doc, score in best]


def _deleted_docs(reader, size: int):
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is not None and hasattr(segment, "deleted_docs"):
        return segment.deleted_docs()
    return (d for d in range(size) if reader.is_deleted(d))
