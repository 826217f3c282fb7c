"""The PostgreSQL full-text backend: the same `index / remove / query` interface as
Whoosh, for sites that run on several hosts (every host reads and writes one index, in
the database they share).

Text goes through the French analysis of `analysis.french_text` first (inclusive writing
and word families fold as in Whoosh), then the `search.french_unaccent` configuration
(accents folded, Snowball French stemming). Ranking is `ts_rank` with the title weighing
most, then tags and skills, then the text; snippets come from `ts_headline`; the word
being typed matches title and tag words by prefix; facets are counted in the query;
"did you mean" reads `search.words` through pg_trgm. It filters on the `acl` tokens it is
given, like Whoosh: the caller re-checks every hit against the module's policy.

Writers hold a shared advisory lock and one lock per object id (two updates of one
object queue up); a rebuild holds the exclusive lock for its single transaction, so it
replaces everything at its commit and the updates that waited apply after it.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from markupsafe import Markup, escape
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from tremplin.search import pg_schema
from tremplin.search.analysis import (
    MAX_BODY,
    SPELLING,
    TOKEN_PATTERN,
    fold,
    folded_terms,
    french_terms,
    french_text,
    plain_start,
)
from tremplin.search.backend import Document, Hit, QuerySpec, ResultSet, _naive

log = logging.getLogger(__name__)

FRENCH = pg_schema.FRENCH_CONFIG
SIMPLE = pg_schema.SIMPLE_CONFIG
LOCK_KEY = 7_316_001  # the advisory lock writers share and a rebuild takes alone
VERSION = "tremplin-search 1"  # bump with a change of what rows hold: `needs_rebuild`
HIGHLIGHT_CHARS = 5000
# ts_headline marks matches with these (never in indexed text: removed from it first);
# the snippet is escaped, then they become <mark>.
OPEN, CLOSE = "\ue000", "\ue001"
HEADLINE = f'StartSel={OPEN}, StopSel={CLOSE}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
HEADLINE_ALL = f"StartSel={OPEN}, StopSel={CLOSE}, HighlightAll=true"
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D (text), C, B (tags), A (title)


def _clean(value: str) -> str:
    return (value or "").replace(OPEN, "").replace(CLOSE, "").replace("\x00", "")


def _unmarked(value: str) -> str:
    return value.replace(OPEN, "").replace(CLOSE, "")


def _marked(value: str | None) -> str:
    """ts_headline's output on escaped text, its marks made <mark> (and if anything else
    looks like markup, which escaped text cannot hold, nothing is marked)."""
    if not value:
        return ""
    if "<" in value or ">" in value:
        return str(escape(_unmarked(value)))
    return value.replace(OPEN, "<mark>").replace(CLOSE, "</mark>")


def spelling_words(*texts: str) -> set[str]:
    words: set[str] = set()
    for value in texts:
        for word in TOKEN_PATTERN.findall(value or ""):
            terms, stopped = SPELLING.terms(word)  # cached per word
            if not stopped:
                words.update(t for t in terms if t.isalpha())
    return words


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (limit + 1) once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


class PostgresBackend:
    def __init__(self, engine: Engine | Callable[[], Engine], *, timeout: float = 10.0):
        self._engine = engine
        self.timeout = timeout
        self._local = threading.local()
        self._ready = False

    @classmethod
    def from_config(cls, config) -> PostgresBackend:
        def engine():
            from tremplin.platform.extensions import db

            return db.engine

        return cls(engine, timeout=float(config.get("SEARCH_WRITE_TIMEOUT", 10.0)))

    @property
    def engine(self) -> Engine:
        return self._engine() if callable(self._engine) else self._engine

    def ensure_schema(self) -> None:
        if self._ready:
            return
        with self.engine.begin() as conn:
            present = conn.execute(
                text(
                    "SELECT to_regclass('search.documents') IS NOT NULL AND "
                    "to_regclass('search.words') IS NOT NULL AND EXISTS (SELECT 1 FROM "
                    "pg_ts_config WHERE cfgname = 'french_unaccent')"
                )
            ).scalar()
            if not present:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY + 1})
                pg_schema.create(conn)
        self._ready = True

    # connections -----------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        self.ensure_schema()
        with self.engine.connect() as conn:
            yield conn
            conn.rollback()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Several index/remove calls in one transaction."""
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        self.ensure_schema()
        with self.engine.connect() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{int(self.timeout * 1000)}ms'"))
            conn.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": LOCK_KEY})
            self._local.conn = conn
            try:
                yield
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            finally:
                self._local.conn = None

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self.batch():
            yield self._local.conn

    # writing ---------------------------------------------------------------------------

    @staticmethod
    def _lock_ids(conn: Connection, ids: Iterable[str]) -> None:
        conn.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtextextended(i, 0)) "
                "FROM unnest(CAST(:ids AS text[])) AS i ORDER BY i"
            ),
            {"ids": sorted(set(ids))},
        )

    @staticmethod
    def _row(doc: Document) -> dict:
        body = _clean(doc.body or "")[:MAX_BODY]
        title, tags = _clean(doc.title or ""), _clean(doc.tags or "")
        return {
            "uid": doc.uid,
            "id": doc.id,
            "type": doc.type,
            "title": title,
            "tags": tags,
            "body": body,
            "subtitle": doc.subtitle or "",
            "acl": sorted(set(doc.acl)),
            "parents": sorted(set(doc.parents)),
            "themes": sorted(set(doc.themes)),
            "territory": doc.territory or None,
            "stages": sorted(set(doc.stages)),
            "date": _naive(doc.date),
            "boost": float(doc.boost),
            "title_f": french_text(title),
            "tags_f": french_text(tags),
            "body_f": french_text(body),
        }

    INSERT_INTO = f"""INSERT INTO {{table}} (uid, id, type, title, tags, body, subtitle, acl,
            parents, themes, territory, stages, date, boost, terms, words)
        VALUES (:uid, :id, :type, :title, :tags, :body, :subtitle, :acl, :parents, :themes,
            :territory, :stages, :date, :boost,
            setweight(to_tsvector('{FRENCH}', :title_f), 'A')
              || setweight(to_tsvector('{FRENCH}', :tags_f), 'B')
              || setweight(to_tsvector('{FRENCH}', :body_f), 'D'),
            setweight(to_tsvector('{SIMPLE}', :title), 'A')
              || setweight(to_tsvector('{SIMPLE}', :tags), 'B'))
        ON CONFLICT (uid) DO UPDATE SET id = excluded.id, type = excluded.type,
            title = excluded.title, tags = excluded.tags, body = excluded.body,
            subtitle = excluded.subtitle, acl = excluded.acl, parents = excluded.parents,
            themes = excluded.themes, territory = excluded.territory,
            stages = excluded.stages, date = excluded.date, boost = excluded.boost,
            terms = excluded.terms, words = excluded.words"""
    INSERT = text(INSERT_INTO.format(table="search.documents"))
    INSERT_NEW = text(INSERT_INTO.format(table="search.documents_new"))

    @staticmethod
    def _count_words(conn: Connection, delta: Counter, table: str = "search.words") -> None:
        changes = sorted((w, n) for w, n in delta.items() if n)
        if not changes:
            return
        conn.execute(
            text(
                f"INSERT INTO {table} AS t (word, docs) SELECT w, n FROM "
                "unnest(CAST(:w AS text[]), CAST(:n AS integer[])) AS d(w, n) ORDER BY w "
                "ON CONFLICT (word) DO UPDATE SET docs = t.docs + excluded.docs"
            ),
            {"w": [w for w, _n in changes], "n": [n for _w, n in changes]},
        )
        conn.execute(text(f"DELETE FROM {table} WHERE docs <= 0"))

    @staticmethod
    def _words_of(rows) -> Counter:
        counts: Counter = Counter()
        for row in rows:
            counts.update(spelling_words(row.title, row.tags, row.body))
        return counts

    def index(self, docs: Iterable[Document]) -> None:
        docs = list(docs)
        if not docs:
            return
        with self._writing() as conn:
            ids = {doc.id for doc in docs}
            self._lock_ids(conn, ids)
            old = conn.execute(
                text(
                    "DELETE FROM search.documents WHERE id = ANY(CAST(:ids AS text[])) "
                    "RETURNING title, tags, body"
                ),
                {"ids": sorted(ids)},
            ).all()
            rows = [self._row(doc) for doc in docs]
            conn.execute(self.INSERT, rows)
            delta = self._words_of(_Row(r["title"], r["tags"], r["body"]) for r in rows)
            delta.subtract(self._words_of(old))
            self._count_words(conn, delta)

    def remove(self, doc_ids: Iterable[str], *, with_children: bool = False) -> None:
        doc_ids = sorted(set(doc_ids))
        if not doc_ids:
            return
        with self._writing() as conn:
            self._lock_ids(conn, doc_ids)
            where = "id = ANY(CAST(:ids AS text[]))"
            if with_children:
                where += " OR parents && CAST(:ids AS text[])"
            old = conn.execute(
                text(f"DELETE FROM search.documents WHERE {where} RETURNING title, tags, body"),
                {"ids": doc_ids},
            ).all()
            delta = Counter()
            delta.subtract(self._words_of(old))
            self._count_words(conn, delta)

    def rebuild(self, docs: Iterable[Document], catch_up=None) -> int:
        """Replace everything in one transaction, holding the writers' lock alone: what
        is committed meanwhile waits, then applies on top (`catch_up` is not needed)."""
        self.ensure_schema()
        count = 0
        words: Counter = Counter()
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            # Fresh tables, indexed once filled, swapped in at the commit (pg_schema.py).
            pg_schema.fresh_tables(conn)
            chunk: list[dict] = []
            for doc in docs:
                row = self._row(doc)
                chunk.append(row)
                words.update(spelling_words(row["title"], row["tags"], row["body"]))
                count += 1
                if len(chunk) >= 500:
                    conn.execute(self.INSERT_NEW, chunk)
                    chunk = []
            if chunk:
                conn.execute(self.INSERT_NEW, chunk)
            self._count_words(conn, words, table="search.words_new")
            pg_schema.swap_tables(conn)
            conn.execute(text(f"COMMENT ON TABLE search.documents IS '{VERSION}'"))
            conn.commit()
        with self.engine.begin() as conn:
            conn.execute(text("ANALYZE search.documents"))
            conn.execute(text("ANALYZE search.words"))
        return count

    def clear(self) -> None:
        self.rebuild([])

    # reading ---------------------------------------------------------------------------

    def count(self) -> int:
        with self._reading() as conn:
            return conn.execute(text("SELECT count(*) FROM search.documents")).scalar()

    def needs_rebuild(self) -> bool:
        with self._reading() as conn:
            version = conn.execute(
                text("SELECT obj_description('search.documents'::regclass, 'pg_class')")
            ).scalar()
            empty = not conn.execute(
                text("SELECT EXISTS (SELECT 1 FROM search.documents)")
            ).scalar()
        return empty or version != VERSION

    def documents(self) -> list[dict]:
        with self._reading() as conn:
            rows = conn.execute(
                text(
                    "SELECT uid, id, type, title, body, tags, acl, parents, themes, territory,"
                    " stages, date, subtitle FROM search.documents ORDER BY uid"
                )
            ).all()
        return [
            {
                "uid": r.uid,
                "id": r.id,
                "type": r.type,
                "title": r.title,
                "body": r.body,
                "tags": r.tags,
                "acl": " ".join(sorted(r.acl)),
                "parents": " ".join(sorted(r.parents)),
                "theme": " ".join(sorted(r.themes)),
                "territory": r.territory,
                "stage": " ".join(sorted(r.stages)),
                "date": r.date,
                "subtitle": r.subtitle,
            }
            for r in rows
        ]

    def _tsquery(self, spec: QuerySpec, params: dict) -> tuple[str, str, list[str]] | None:
        """(SQL of the text condition, SQL of the rank, tsqueries to mark in snippets) for
        what was typed, or None when nothing in it can be looked for (stop words only).
        Snippets mark the words as typed too: ts_headline reads the text as written, where
        "boulangerie" is not yet the family's "boulanger"."""
        required: list[str] = []
        marks: list[str] = []
        for n, phrase in enumerate(spec.phrases):
            if not _content(phrase):
                continue
            params[f"ph{n}"] = french_text(phrase)
            required.append(f"phraseto_tsquery('{FRENCH}', :ph{n})")
            params[f"rph{n}"] = phrase
            marks += [required[-1], f"phraseto_tsquery('{FRENCH}', :rph{n})"]
        words = list(spec.words)
        last = words.pop() if (spec.prefix and words) else None
        for n, word in enumerate(words):
            if not _content(word):
                continue
            params[f"w{n}"] = french_text(word)
            required.append(f"plainto_tsquery('{FRENCH}', :w{n})")
            params[f"rw{n}"] = word
            marks += [required[-1], f"plainto_tsquery('{FRENCH}', :rw{n})"]
        core = (" && " if spec.match_all else " || ").join(required) if required else None
        if last is None:
            if core is None:
                return None
            return (
                f"d.terms @@ ({core})",
                f"ts_rank('{RANK_WEIGHTS}', d.terms, ({core}))",
                marks,
            )
        # The word being typed: a whole word of the text, or the beginning of a title or
        # tag word; the other words as usual.
        last_sql = prefix_sql = None
        if _content(last):
            params["last"] = french_text(last)
            last_sql = f"plainto_tsquery('{FRENCH}', :last)"
            marks.append(last_sql)
        folded = folded_terms(last)[0]
        tail = "".join(ch for ch in (folded[-1] if folded else "") if ch.isalnum())
        if len(tail) >= 3:
            params["tail"] = f"{tail}:*"
            prefix_sql = f"to_tsquery('{SIMPLE}', :tail)"
        if core is None and last_sql is None and prefix_sql is None:
            return None
        full = " && ".join(x for x in (core, last_sql) if x)
        options = []
        if last_sql is not None or (core and prefix_sql is None):
            options.append(f"d.terms @@ ({full})")
        if prefix_sql is not None:
            options.append(
                f"(d.words @@ {prefix_sql}" + (f" AND d.terms @@ ({core}))" if core else ")")
            )
        condition = "(" + " OR ".join(options) + ")"
        ranks = []
        if full:
            ranks.append(f"ts_rank('{RANK_WEIGHTS}', d.terms, ({full}))")
        if prefix_sql is not None:
            ranks.append(f"ts_rank('{RANK_WEIGHTS}', d.words, {prefix_sql})")
        return condition, " + ".join(ranks), marks

    @staticmethod
    def _filters(spec: QuerySpec, params: dict) -> list[str]:
        where = ["d.acl && CAST(:principals AS text[])"]
        params["principals"] = sorted(spec.principals)
        if spec.types:
            where.append("d.type = ANY(CAST(:types AS text[]))")
            params["types"] = list(spec.types)
        for name, value in sorted(spec.filters.items()):
            if not value:
                continue
            if name == "theme":
                where.append("d.themes @> CAST(:theme AS text[])")
                params["theme"] = [value]
            elif name == "stage":
                where.append("d.stages @> CAST(:stage AS text[])")
                params["stage"] = [value]
            elif name == "territory":
                where.append("d.territory = :territory")
                params["territory"] = value
        if spec.date_range:
            start, end = spec.date_range
            if start:
                where.append("d.date >= :date_start")
                params["date_start"] = _naive(start)
            if end:
                where.append("d.date < :date_end")
                params["date_end"] = _naive(end)
        return where

    def query(self, spec: QuerySpec) -> ResultSet:
        params: dict = {}
        built = self._tsquery(spec, params)
        if built is None:
            return ResultSet([], 0, 1, spec.per_page, {}, searchable=False)
        condition, rank, marked = built
        where = " AND ".join([condition, *self._filters(spec, params)])
        page = max(1, spec.page)
        params["limit"], params["offset"] = spec.per_page, (page - 1) * spec.per_page
        order = (
            "d.date DESC NULLS LAST, score DESC, d.uid"
            if spec.sort == "date"
            else "score DESC, d.date DESC NULLS LAST, d.uid"
        )
        faceted = bool(spec.facets or spec.date_facets)
        marks = ""
        if spec.highlight:
            # Snippets of the page's hits only, in the same statement (highlighted as
            # escaped text: ts_headline drops what looks like markup).
            marks = (
                f", ts_headline('{FRENCH}', p.title_e, q, '{HEADLINE_ALL}') AS title_m, "
                f"ts_headline('{FRENCH}', p.body_e, q, :headline) AS body_m, "
                f"ts_headline('{FRENCH}', p.tags_e, q, '{HEADLINE_ALL}') AS tags_m "
                f"FROM page p, ({_headline_query(marked)}) AS qq(q)"
            )
            params["headline"] = HEADLINE
        else:
            marks = " FROM page p"
        with self._reading() as conn:
            rows = conn.execute(
                text(
                    "WITH page AS (SELECT d.uid, d.id, d.type, d.title, d.tags, d.body, "
                    "d.subtitle, d.themes, d.territory, d.stages, d.date, "
                    f"({rank}) * d.boost AS score, "
                    "replace(replace(replace(d.title, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
                    " AS title_e, replace(replace(replace(left(d.body, "
                    f"{HIGHLIGHT_CHARS}), '&', '&amp;'), '<', '&lt;'), '>', '&gt;') AS body_e, "
                    "replace(replace(replace(d.tags, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
                    f" AS tags_e FROM search.documents d WHERE {where} ORDER BY {order} "
                    f"LIMIT :limit OFFSET :offset) SELECT p.*{marks} "
                    f"ORDER BY {order.replace('d.', 'p.')}"
                ),
                params,
            ).all()
            # Without facets, the total is what was collected, as Whoosh reports it
            # (enough to tell "none" or "few"; no count of every match to pay for).
            total = (page - 1) * spec.per_page + len(rows)
            facets: dict[str, list[tuple[str, int]]] = {}
            if faceted:
                facets, total = self._facet_counts(conn, spec, where, params)
            elif not rows and page > 1:
                total = conn.execute(
                    text(f"SELECT count(*) FROM search.documents d WHERE {where}"), params
                ).scalar()
        hits = [self._hit(row, spec.highlight) for row in rows]
        return ResultSet(hits, total, page, spec.per_page, facets)

    def _facet_counts(self, conn, spec: QuerySpec, where: str, params: dict):
        parts = ["SELECT 'total' AS facet, NULL AS value, count(*) AS n FROM m"]
        if "type" in spec.facets:
            parts.append("SELECT 'type', type, count(*) FROM m GROUP BY type")
        if "theme" in spec.facets:
            parts.append("SELECT 'theme', t, count(*) FROM m, unnest(m.themes) t GROUP BY t")
        if "territory" in spec.facets:
            parts.append(
                "SELECT 'territory', territory, count(*) FROM m "
                "WHERE territory IS NOT NULL GROUP BY territory"
            )
        if "stage" in spec.facets:
            parts.append("SELECT 'stage', s, count(*) FROM m, unnest(m.stages) s GROUP BY s")
        for n, (start, end) in enumerate(spec.date_facets.values()):
            conditions = ["date IS NOT NULL"]
            if start:
                conditions.append(f"date >= :f{n}_start")
                params[f"f{n}_start"] = _naive(start)
            if end:
                conditions.append(f"date < :f{n}_end")
                params[f"f{n}_end"] = _naive(end)
            parts.append(f"SELECT 'date', '{n}', count(*) FROM m WHERE {' AND '.join(conditions)}")
        rows = conn.execute(
            text(
                "WITH m AS MATERIALIZED (SELECT d.type, d.themes, d.territory, d.stages, d.date "
                f"FROM search.documents d WHERE {where}) " + " UNION ALL ".join(parts)
            ),
            params,
        ).all()
        facets: dict[str, list[tuple[str, int]]] = {name: [] for name in spec.facets}
        date_keys = list(spec.date_facets)
        total = 0
        dates = []
        for facet, value, n in rows:
            if facet == "total":
                total = n
            elif facet == "date":
                dates.append((date_keys[int(value)], n))
            elif n:
                facets[facet].append((value, n))
        for name in facets:
            facets[name].sort(key=lambda vn: (-vn[1], vn[0]))
        if spec.date_facets:
            facets["date"] = dates
        return facets, total

    def _hit(self, row, highlight: bool) -> Hit:
        title_html = snippet = ""
        if highlight:
            if OPEN in (row.title_m or ""):
                title_html = _marked(row.title_m)
            if OPEN in (row.body_m or ""):
                snippet = _marked(row.body_m)
                shown = _unmarked(row.body_m)
                if not row.body_e.startswith(shown[:20]):
                    snippet = "… " + snippet
                if len(shown) < len(row.body_e.rstrip()):
                    snippet += " …"
            elif OPEN in (row.tags_m or ""):
                start = plain_start(row.body, 160)
                tags = _marked(row.tags_m)
                snippet = f"{tags} · {escape(start)}" if start else tags
        return Hit(
            uid=row.uid,
            id=row.id,
            type=row.type,
            score=float(row.score or 0.0),
            title=row.title,
            title_html=Markup(title_html) if title_html else escape(row.title),
            snippet_html=Markup(snippet) if snippet else escape(plain_start(row.body)),
            subtitle=row.subtitle,
            themes=tuple(row.themes),
            territory=row.territory,
            stages=tuple(row.stages),
            date=row.date,
        )

    def corrections(self, words: list[str]) -> dict[str, str]:
        fixes: dict[str, str] = {}
        wanted = [w for w in words if len(w) >= 4 and w.isalpha()]
        if not wanted:
            return fixes
        with self._reading() as conn:
            conn.execute(text("SET LOCAL search_path TO search, public"))
            conn.execute(text("SET LOCAL pg_trgm.similarity_threshold = 0.2"))
            known = set(
                conn.execute(
                    text("SELECT word FROM search.words WHERE word = ANY(CAST(:w AS text[]))"),
                    {"w": [w.lower() for w in wanted]},
                ).scalars()
            )
            for word in wanted:
                lowered = word.lower()
                if lowered in known:
                    continue
                candidates = conn.execute(
                    text(
                        "SELECT word, docs FROM search.words WHERE word % :w "
                        "AND left(word, 1) = left(:w, 1) ORDER BY similarity(word, :w) DESC "
                        "LIMIT 50"
                    ),
                    {"w": lowered},
                ).all()
                best = None
                for maxdist in (1, 2):
                    if maxdist == 2 and len(lowered) < 6:
                        break
                    close = [
                        (docs, c)
                        for c, docs in candidates
                        if fold(c) != fold(lowered)
                        and edit_distance(c, lowered, maxdist) <= maxdist
                    ]
                    if close:
                        best = max(close)[1]
                        break
                if best:
                    fixes[word] = best
        return fixes


class _Row:
    def __init__(self, title: str, tags: str, body: str):
        self.title, self.tags, self.body = title, tags, body


def _content(value: str) -> bool:
    """Whether a word or phrase holds anything but stop words."""
    return any(not french_terms(match.group())[1] for match in TOKEN_PATTERN.finditer(value or ""))


def _headline_query(parts: list[str]) -> str:
    """One tsquery of every word to mark."""
    if not parts:
        return "SELECT ''::tsquery"
    return "SELECT " + " || ".join(parts)
