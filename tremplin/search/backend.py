"""The search backend: a small interface (`index`, `remove`, `query`) and its Whoosh
implementation. Nothing outside this file knows about Whoosh, so a PostgreSQL full-text
backend can replace it for a multi-host deployment. It never decides who may see what:
it filters on the `acl` tokens it is given and the caller re-checks every hit.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from markupsafe import Markup, escape
from whoosh import query as wq
from whoosh.highlight import ContextFragmenter, WholeFragmenter, highlight
from whoosh.reading import TermNotFound
from whoosh.sorting import FieldFacet
from whoosh.util.times import datetime_to_long

from tremplin.search import fastpath
from tremplin.search.analysis import (  # noqa: F401  (fold, MAX_BODY: public here too)
    BOOSTS,
    FACET_FIELDS,
    FOLDED,
    FRENCH,
    MAX_BODY,
    PREFIX_BOOSTS,
    TEXT_FIELDS,
    MarkFormatter,
    fold,
    make_schema,
    plain_start,
)
from tremplin.search.bulk import BulkWriter, build_segments, processes_for
from tremplin.search.storage import FileStore, IndexStore, RamStore

log = logging.getLogger(__name__)

# Bump when the schema or the analysis changes: an index built by another version is
# rebuilt by `flask search reindex --if-empty` (which `make run` calls).
SCHEMA_VERSION = 6

# --- the interface ------------------------------------------------------------------------


@dataclass
class Document:
    """What the index holds for one object (or one audience's view of it).

    `id` is the object's key ("project:12"); an object may have several variants (a
    member's profile as visitors see it and as members see it), each its own document.
    `acl` lists the tokens a searcher must hold one of; `parents` the keys whose removal
    takes this document with it (a message goes with its group)."""

    id: str
    type: str
    title: str
    body: str = ""
    tags: str = ""
    acl: tuple[str, ...] = ("anyone",)
    variant: str = ""
    parents: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    territory: str | None = None
    stages: tuple[str, ...] = ()
    date: datetime | None = None
    subtitle: str = ""
    boost: float = 1.0

    @property
    def uid(self) -> str:
        return f"{self.id}#{self.variant}" if self.variant else self.id

    def stored(self) -> dict:
        """The document as the index gives it back (for comparisons and tests)."""
        return {
            "uid": self.uid,
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "body": self.body,
            "tags": self.tags,
            "acl": " ".join(sorted(self.acl)),
            "parents": " ".join(sorted(self.parents)),
            "theme": " ".join(sorted(self.themes)),
            "territory": self.territory or None,
            "stage": " ".join(sorted(self.stages)),
            "date": self.date.replace(tzinfo=None) if self.date else None,
            "subtitle": self.subtitle,
        }


@dataclass
class QuerySpec:
    """A search, already parsed: `words` must all match (or any, with `match_all=False`),
    each `phrase` as a sequence; `prefix` lets the last word match as a prefix (instant
    search while typing)."""

    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    principals: frozenset[str] = frozenset({"anyone"})
    types: tuple[str, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)  # theme, territory, stage
    date_range: tuple[datetime | None, datetime | None] | None = None
    sort: str = "relevance"  # or "date"
    page: int = 1
    per_page: int = 20
    prefix: bool = False
    match_all: bool = True
    facets: tuple[str, ...] = ()  # type, theme, territory, stage
    date_facets: dict[str, tuple[datetime | None, datetime | None]] = field(default_factory=dict)
    highlight: bool = True


@dataclass
class Hit:
    uid: str
    id: str
    type: str
    score: float
    title: str
    title_html: Markup
    snippet_html: Markup
    subtitle: str = ""
    themes: tuple[str, ...] = ()
    territory: str | None = None
    stages: tuple[str, ...] = ()
    date: datetime | None = None


@dataclass
class ResultSet:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    searchable: bool = True  # False when the words held nothing to look for


class SearchBackend(Protocol):
    def index(self, docs: Iterable[Document]) -> None:
        """Add documents, replacing every variant already indexed under the same ids."""

    def remove(self, doc_ids: Iterable[str], *, with_children: bool = False) -> None:
        """Remove these objects' documents (and, if asked, every document they parent)."""

    def query(self, spec: QuerySpec) -> ResultSet:
        """Matching documents the principals may see: one page, facet counts."""

    def corrections(self, words: list[str]) -> dict[str, str]:
        """Close known words for misspelt ones ({} when every word is known)."""

    def count(self) -> int: ...

    def documents(self) -> list[dict]: ...

    def rebuild(self, docs: Iterable[Document], catch_up) -> int: ...

    def needs_rebuild(self) -> bool: ...

    @contextmanager
    def batch(self) -> Iterator[None]: ...


# --- Whoosh -------------------------------------------------------------------------------

HIGHLIGHT_CHARS = 5000  # snippets come from the beginning of long texts (analysis is slow)


class WhooshBackend:
    """Whoosh, in RAM (tests) or in a directory. Writes are synchronous: a writer with a
    timeout (a second writer waits instead of failing at once, and an error is raised,
    not swallowed as AsyncWriter would)."""

    fast_path = True  # word queries through fastpath.py (False: Whoosh's matchers only)
    # A parallel rebuild gives each process at least this many documents (forking and the
    # extra segment cost more than they save on a small index).
    DOCS_PER_PROCESS = 2000

    def __init__(self, store: IndexStore, *, timeout: float = 10.0, processes: int | None = None):
        self.store = store
        self.timeout = timeout
        self.processes = processes  # for a rebuild, None: one per core (bulk.processes_for)
        self._local = threading.local()
        self._batch: threading.local = threading.local()
        self._segments = _SegmentCache()

    @classmethod
    def from_config(cls, config) -> WhooshBackend:
        if config.get("SEARCH_INDEX_IN_RAM"):
            store: IndexStore = RamStore(make_schema, SCHEMA_VERSION)
        else:
            store = FileStore(config["SEARCH_INDEX_DIR"], make_schema, SCHEMA_VERSION)
        processes = config.get("SEARCH_REINDEX_PROCESSES")
        return cls(
            store,
            timeout=float(config.get("SEARCH_WRITE_TIMEOUT", 10.0)),
            processes=int(processes) if processes else None,
        )

    # writing ---------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run several index/remove calls in one writer and one commit."""
        if getattr(self._batch, "writer", None) is not None:
            yield
            return
        with self.store.writing() as ix:
            writer = ix.writer(timeout=self.timeout)
            self._batch.writer, self._batch.keys = writer, set()
            try:
                yield
                writer.commit()
            except BaseException:
                _abandon(writer)
                raise
            else:
                # Inside the shared lock: a rebuild cannot swap between our commit and
                # the journal entry that tells it to replay these ids.
                self.store.journal(self._batch.keys)
            finally:
                self._batch.writer = self._batch.keys = None

    @contextmanager
    def _writer(self):
        with self.batch():
            yield self._batch.writer, self._batch.keys

    def index(self, docs: Iterable[Document]) -> None:
        docs = list(docs)
        if not docs:
            return
        with self._writer() as (writer, keys):
            for doc_id in {doc.id for doc in docs}:
                writer.delete_by_term("id", doc_id)
            for doc in docs:
                writer.add_document(**self._fields(doc))
            keys.update(doc.id for doc in docs)

    def remove(self, doc_ids: Iterable[str], *, with_children: bool = False) -> None:
        doc_ids = list(doc_ids)
        if not doc_ids:
            return
        with self._writer() as (writer, keys):
            for doc_id in doc_ids:
                writer.delete_by_term("id", doc_id)
                if with_children:
                    writer.delete_by_term("parents", doc_id)
            keys.update(doc_ids)

    @staticmethod
    def _fields(doc: Document) -> dict:
        body = (doc.body or "")[:MAX_BODY]
        fields = {
            "uid": doc.uid,
            "id": doc.id,
            "type": doc.type,
            "title": doc.title or "",
            "tags": doc.tags or "",
            "body": body,
            "acl": " ".join(sorted(set(doc.acl))),
            "parents": " ".join(sorted(set(doc.parents))),
            "theme": " ".join(sorted(set(doc.themes))),
            "stage": " ".join(sorted(set(doc.stages))),
            "spell": " ".join((doc.title or "", doc.tags or "", body)),
            "all": "\n".join((doc.title or "", doc.tags or "", body)),
            "title_words": doc.title or "",
            "tag_words": doc.tags or "",
            "subtitle": doc.subtitle or "",
        }
        if doc.territory:
            fields["territory"] = doc.territory
        if doc.date:
            fields["date"] = doc.date.replace(tzinfo=None)  # stored as naive UTC
        if doc.boost != 1.0:
            fields["_boost"] = doc.boost
        return fields

    def rebuild(self, docs: Iterable[Document], catch_up=None) -> int:
        """Build a fresh index from `docs` beside the live one, then swap it in. Changes
        committed meanwhile are journaled and replayed through `catch_up(keys)` (which
        returns (documents, removed ids)), so the site keeps searching and writing.
        In a directory, with several cores, the documents are read first, then split
        between processes (`processes`, SEARCH_REINDEX_PROCESSES; bulk.build_segments)."""
        with self.store.rebuilding() as (ix, drain):
            processes = 1
            parallel = isinstance(self.store, FileStore) and self.processes != 1
            if parallel and not multiprocessing.current_process().daemon:
                docs = docs if isinstance(docs, list) else list(docs)
                processes = processes_for(self.processes, len(docs), self.DOCS_PER_PROCESS)
            if processes > 1:
                # Segments written in parallel by forked processes, one TOC (bulk.py).
                count = build_segments(ix, self._fields, docs, processes, self.timeout)
            else:
                # One writer, one segment, postings kept per term (bulk.py).
                count = 0
                writer = BulkWriter(ix, timeout=self.timeout)
                try:
                    for doc in docs:
                        writer.add_document(**self._fields(doc))
                        count += 1
                    writer.commit()
                except BaseException:
                    _abandon(writer)
                    raise
            for _round in range(5):  # what changed while building, until it settles
                keys = drain()
                if not keys:
                    break
                self._replay(ix, keys, catch_up)

            def final_replay():
                self._replay(ix, drain(), catch_up)

            self.store.swap(ix, final_replay)
        self._local.__dict__.clear()
        return count

    def _replay(self, ix, keys: set[str], catch_up) -> None:
        if not keys or catch_up is None:
            return
        docs, gone = catch_up(keys)
        writer = ix.writer(timeout=self.timeout)
        try:
            for doc_id in keys:
                writer.delete_by_term("id", doc_id)
            for doc_id in gone:
                writer.delete_by_term("parents", doc_id)
            for doc in docs:
                writer.add_document(**self._fields(doc))
            writer.commit()
        except BaseException:
            _abandon(writer)
            raise

    def clear(self) -> None:
        self.rebuild([])

    def needs_rebuild(self) -> bool:
        return self.store.outdated() or self.count() == 0

    # reading ---------------------------------------------------------------------------

    def _searcher(self):
        ix = self.store.current()
        local = self._local
        searcher = getattr(local, "searcher", None)
        if searcher is not None:
            if getattr(local, "ix", None) is ix and searcher.up_to_date():
                return searcher
            # Not searcher.refresh(): it reuses the readers of unchanged segments, and
            # misses deletions committed on them.
            searcher.close()
        fresh = ix.searcher()
        local.searcher, local.ix, local.term_sets = fresh, ix, {}
        return fresh

    def count(self) -> int:
        return self._searcher().doc_count()

    def documents(self) -> list[dict]:
        searcher = self._searcher()
        return sorted(
            (dict(fields) for fields in searcher.all_stored_fields()), key=lambda f: f["uid"]
        )

    # Filters and facets as set operations on document numbers, instead of Whoosh walking
    # the postings of "anyone" (most of the index) for every query. Segments never
    # change once written, so what is read from one is cached for as long as it lives:
    # after a commit only the new small segment is read. (Deletions made since are
    # harmless: the text matcher never yields a deleted document.)

    def _leaves(self, searcher) -> list[tuple[str, object, int, int]]:
        """(segment key, reader, first document number, size) of each segment."""
        local = self._local
        if getattr(local, "leaves_of", None) is not searcher:
            leaves = []
            for reader, offset in searcher.reader().leaf_readers():
                segment = reader.segment() if hasattr(reader, "segment") else None
                seg_key = segment.segment_id() if segment is not None else f"r{id(reader)}"
                leaves.append((seg_key, reader, offset, reader.doc_count_all()))
            local.leaves, local.leaves_of = leaves, searcher
            self._segments.keep_only({leaf[0] for leaf in leaves})
        return local.leaves

    def _leaf_values(self, leaf, fieldname: str) -> dict[str, frozenset[int]]:
        """Every value of a field in one segment, with its (local) documents."""
        seg_key, reader, _offset, _size = leaf

        def read():
            fieldobj = reader.schema[fieldname]
            values = {}
            for btext in reader.lexicon(fieldname):
                docs = frozenset(reader.postings(fieldname, btext).all_ids())
                if docs:
                    values[fieldobj.from_bytes(btext)] = docs
            return values

        return self._segments.get(seg_key, ("values", fieldname), read)

    def _leaf_docs(self, leaf, fieldname: str, value: str) -> frozenset[int]:
        seg_key, reader, _offset, _size = leaf
        if fieldname in FACET_FIELDS.values():
            return self._leaf_values(leaf, fieldname).get(value, frozenset())

        def read():
            try:
                return frozenset(reader.postings(fieldname, value).all_ids())
            except TermNotFound:
                return frozenset()

        return self._segments.get(seg_key, ("docs", fieldname, value), read)

    def _docs(self, searcher, fieldname: str, value: str) -> set[int]:
        docs: set[int] = set()
        for leaf in self._leaves(searcher):
            offset = leaf[2]
            docs.update(offset + d for d in self._leaf_docs(leaf, fieldname, value))
        return docs

    def _split(self, searcher, docs) -> list[tuple[tuple, set[int]]]:
        """Global document numbers as (segment, its local numbers)."""
        parts = []
        for leaf in self._leaves(searcher):
            offset, size = leaf[2], leaf[3]
            local = {d - offset for d in docs if offset <= d < offset + size}
            if local:
                parts.append((leaf, local))
        return parts

    def _facet_counts(self, searcher, fieldname: str, matched) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for leaf, local in self._split(searcher, matched):
            for value, docs in self._leaf_values(leaf, fieldname).items():
                n = len(docs & local) if len(docs) > len(local) else len(local & docs)
                if n:
                    counts[value] = counts.get(value, 0) + n
        return sorted(counts.items(), key=lambda vn: (-vn[1], vn[0]))

    def _leaf_dates(self, leaf) -> list[int]:
        seg_key, reader, _offset, size = leaf

        def read():
            try:
                column = reader.column_reader("date", translate=False)
            except (NotImplementedError, KeyError):  # no column (no dated document)
                return [0] * size
            return list(column)

        return self._segments.get(seg_key, ("dates",), read)

    def _in_range(self, searcher, docs, start, end) -> set[int]:
        low = datetime_to_long(_naive(start)) if start else None
        high = datetime_to_long(_naive(end)) if end else None
        kept = set()
        for leaf, local in self._split(searcher, docs):
            dates, offset = self._leaf_dates(leaf), leaf[2]
            kept.update(
                offset + d
                for d in local
                if dates[d]
                and (low is None or dates[d] >= low)
                and (high is None or dates[d] < high)
            )
        return kept

    def _allowed(self, searcher, spec: QuerySpec) -> set[int]:
        """The documents these principals may see that pass the filters (a `set`, which
        Whoosh takes as a filter; the cached one is never changed in place)."""
        cache = self._local.term_sets
        key = ("allowed", spec.principals, spec.types, tuple(sorted(spec.filters.items())))
        if key not in cache:
            allowed = set()
            for token in spec.principals:
                allowed |= self._docs(searcher, "acl", token)
            if spec.types:
                allowed &= set().union(*(self._docs(searcher, "type", name) for name in spec.types))
            for name, value in sorted(spec.filters.items()):
                if value and name in ("theme", "territory", "stage"):
                    allowed &= self._docs(searcher, name, value)
            if len(cache) > 256:  # many different searchers on one searcher: start over
                cache.clear()
            cache[key] = allowed
        allowed = cache[key]
        if spec.date_range:
            allowed = self._in_range(searcher, allowed, *spec.date_range)
        return allowed

    def _text_query(self, spec: QuerySpec):
        """Every word must be somewhere in the document (one posting list per word, in the
        `all` field: fast), and where it is — title, tags, text — adds to the score."""
        required, boosters = [], []
        for phrase in spec.phrases:
            stems = [t.text for t in FRENCH(phrase, mode="query")]
            if len(stems) > 1:
                required.append(wq.Phrase("all", stems))
                boosters.extend(wq.Phrase(name, stems, boost=BOOSTS[name]) for name in TEXT_FIELDS)
            elif stems:
                required.append(wq.Term("all", stems[0]))
                boosters.extend(self._boosters(stems[0]))
        words = list(spec.words)
        last = words.pop() if (spec.prefix and words) else None
        for word in words:
            for stem in (t.text for t in FRENCH(word, mode="query")):
                required.append(wq.Term("all", stem))
                boosters.extend(self._boosters(stem))
        if last is not None:
            stems = [t.text for t in FRENCH(last, mode="query")]
            folded = [t.text for t in FOLDED(last)]
            for stem in stems:
                boosters.extend(self._boosters(stem))
            for stem in stems[:-1]:
                required.append(wq.Term("all", stem))
            tail = folded[-1] if folded else ""
            options = [wq.Term("all", stems[-1])] if stems else []
            if len(tail) >= 3:  # the word being typed: any title or tag word it begins
                options.extend(
                    wq.Prefix(name, tail, boost=boost) for name, boost in PREFIX_BOOSTS.items()
                )
            if options:
                required.append(wq.Or(options))
        if not required:
            return None
        core = (
            required[0]
            if len(required) == 1
            else (wq.And(required) if spec.match_all else wq.Or(required))
        )
        return wq.AndMaybe(core, wq.Or(boosters)) if boosters else core

    @staticmethod
    def _boosters(stem: str) -> list:
        return [wq.Term(name, stem, boost=BOOSTS[name]) for name in TEXT_FIELDS]

    def query(self, spec: QuerySpec) -> ResultSet:
        if self.fast_path and not spec.phrases and spec.sort != "date":
            return self._fast_query(spec)
        text_query = self._text_query(spec)
        if text_query is None:
            return ResultSet([], 0, 1, spec.per_page, {}, searchable=False)
        searcher = self._searcher()
        allowed = self._allowed(searcher, spec)
        matched = None
        facets: dict[str, list[tuple[str, int]]] = {}
        if spec.facets or spec.date_facets:
            matched = allowed.intersection(searcher.docs_for_query(text_query))
            facets = self._facets(searcher, spec, matched)
        sortedby = FieldFacet("date", reverse=True) if spec.sort == "date" else None
        page = max(1, spec.page)
        results = searcher.search(
            text_query, limit=page * spec.per_page, filter=allowed, sortedby=sortedby
        )
        # Without facets, the total is what was collected (enough to tell "none" or "few").
        total = len(matched) if matched is not None else results.scored_length()
        results.fragmenter = _context_fragmenter()
        results.formatter = MarkFormatter()
        hits = []
        start = (page - 1) * spec.per_page
        for hit in results[start : start + spec.per_page]:
            hits.append(self._hit(hit.fields(), hit.score, _whoosh_marker(hit), spec.highlight))
        return ResultSet(hits, total, page, spec.per_page, facets)

    def _facets(self, searcher, spec: QuerySpec, matched) -> dict[str, list[tuple[str, int]]]:
        facets = {}
        for name in spec.facets:
            facets[name] = self._facet_counts(searcher, FACET_FIELDS[name], matched)
        if spec.date_facets:
            facets["date"] = [
                (key, len(self._in_range(searcher, matched, start, end)))
                for key, (start, end) in spec.date_facets.items()
            ]
        return facets

    def _fast_query(self, spec: QuerySpec) -> ResultSet:
        """Words ranked by relevance: fastpath.py (Whoosh's ranking, without its matchers)."""
        clauses, boosters, marks = fastpath.plan(spec)
        if not clauses:
            return ResultSet([], 0, 1, spec.per_page, {}, searchable=False)
        searcher = self._searcher()
        allowed = self._allowed(searcher, spec)
        local = self._local
        if getattr(local, "fast_of", None) is not searcher:
            local.fast, local.fast_of = fastpath.FastSearch(self, searcher), searcher
        fast = local.fast
        matched, parts = fast.run(clauses, allowed, spec.match_all)
        faceted = bool(spec.facets or spec.date_facets)
        facets = self._facets(searcher, spec, matched) if faceted else {}
        page = max(1, spec.page)
        best = fastpath.top(fast.scores(matched, parts, boosters), page * spec.per_page)
        total = len(matched) if faceted else len(best)
        marker = _words_marker(searcher.schema, marks)
        hits = [
            self._hit(searcher.stored_fields(doc), score, marker, spec.highlight)
            for score, doc in best[(page - 1) * spec.per_page :]
        ]
        return ResultSet(hits, total, page, spec.per_page, facets)

    def _hit(self, stored: dict, score, mark, highlight: bool) -> Hit:
        """`mark(field, text, whole, top)`: the text with the query's words marked."""
        title, body = stored.get("title", ""), stored.get("body", "")
        title_html = snippet = ""
        if highlight:
            title_html = mark("title", title, True, 1)
            # The text is matched through `all`: its words (and analysis) mark the text.
            snippet = mark("all", body[:HIGHLIGHT_CHARS], False, 2)
            if not snippet and stored.get("tags"):
                # Matched on a skill, a theme, a kind: show it, then how the text begins.
                tags = mark("tags", stored["tags"], True, 1)
                if tags:
                    start = plain_start(body, 160)
                    snippet = f"{tags} · {escape(start)}" if start else tags
        date = stored.get("date")
        return Hit(
            uid=stored["uid"],
            id=stored["id"],
            type=stored["type"],
            score=score or 0.0,
            title=title,
            title_html=Markup(title_html) if title_html else escape(title),
            snippet_html=Markup(snippet) if snippet else escape(plain_start(body)),
            subtitle=stored.get("subtitle", ""),
            themes=tuple((stored.get("theme") or "").split()),
            territory=stored.get("territory"),
            stages=tuple((stored.get("stage") or "").split()),
            date=date,
        )

    def corrections(self, words: list[str]) -> dict[str, str]:
        searcher = self._searcher()
        reader = searcher.reader()
        fixes = {}
        for word in words:
            lowered = word.lower()
            if len(lowered) < 4 or not lowered.isalpha():
                continue
            if reader.frequency("spell", lowered):
                continue
            best = None
            for maxdist in (1, 2):
                if maxdist == 2 and len(lowered) < 6:
                    break
                candidates = [
                    c
                    for c in reader.terms_within("spell", lowered, maxdist, prefix=1)
                    if fold(c) != fold(lowered)
                ]
                if candidates:
                    best = max(candidates, key=lambda c: (reader.frequency("spell", c), c))
                    break
            if best:
                fixes[word] = best
        return fixes


def _whoosh_marker(hit):
    results = hit.results

    def mark(field: str, text: str, whole: bool, top: int) -> str:
        results.fragmenter = WholeFragmenter() if whole else _context_fragmenter()
        return hit.highlights(field, text=text, top=top, minscore=1)

    return mark


def _words_marker(schema, words: dict[str, set[str]]):
    formatter = MarkFormatter()

    def mark(field: str, text: str, whole: bool, top: int) -> str:
        fragmenter = WholeFragmenter() if whole else _context_fragmenter()
        return highlight(
            text,
            words.get(field, ()),
            schema[field].analyzer,
            fragmenter,
            formatter,
            top=top,
            minscore=1,
            mode="index",
        )

    return mark


def _context_fragmenter():
    return ContextFragmenter(maxchars=220, surround=70)


class _SegmentCache:
    """What was read from each segment (segment names are unique), shared by the threads
    of the process; segments merged away are forgotten when a new searcher opens."""

    def __init__(self):
        self._data: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._postings = 0  # postings held in ("postings" / "docs", …) entries

    def get(self, seg_key: str, item: tuple, read):
        entries = self._data.get(seg_key)
        if entries is not None and item in entries:
            return entries[item]
        value = read()
        with self._lock:
            if item[0] in ("postings", "docs"):
                self._postings += len(value)
                if self._postings > fastpath.POSTINGS_BUDGET:  # start over (rare)
                    for cached in self._data.values():
                        for key in [k for k in cached if k[0] in ("postings", "docs")]:
                            del cached[key]
                    self._postings = len(value)
            self._data.setdefault(seg_key, {})[item] = value
        return value

    def keep_only(self, seg_keys: set[str]) -> None:
        with self._lock:
            for seg_key in list(self._data):
                if seg_key not in seg_keys:
                    del self._data[seg_key]


def _abandon(writer) -> None:
    """Cancel a writer whatever state a failure left it in: its lock must not outlive it
    (every later write would wait for it)."""
    try:
        writer.cancel()
    except Exception:  # already half-committed: release the lock ourselves
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            try:
                lock.release()
            except Exception:
                log.warning("search: could not release a failed writer's lock")


def _naive(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        from datetime import UTC

        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
