"""Search latency: Whoosh (the embedded default) and PostgreSQL full text (the multi-host
backend), as the site runs them, against SQLite FTS5, on the same generated French
corpus, in the same run.

    .venv/bin/python bench/search.py                 # 50,000 documents, 200 queries a kind
    .venv/bin/python bench/search.py --docs 20000 --queries 100 --seed 7
    .venv/bin/python bench/search.py --pg-url ''     # without PostgreSQL

PostgreSQL: a database of its own (`<name>_bench` beside the --pg-url one, default
TREMPLIN_TEST_PG_URL's), created and dropped by the bench.

The corpus is generated from the French word lists below (no download): documents of the
site's types (members, projects, needs, groups, meetups, opportunities, messages) with a
Zipf-like word frequency, accented words, themes, départements, dates and acl tokens.
Whoosh indexes it through `WhooshBackend` (French stemming, accent folding, the site's
schema) in a directory, like production; FTS5 gets the same title/tags/body columns with
the `unicode61 remove_diacritics 2` tokenizer (accent folding, no French stemmer: FTS5
has none built in) and an `acl` column.

Each query kind is timed on both, with the acl filter of a member in three groups:
  and     two words that must both match, top 20 by relevance (BM25, column weights)
  or      three words, any of them (broad), top 20
  prefix  the instant box: a word and the beginning of another, top 8
  page    the results page: `and` plus facet counts (type, theme, territory) and snippets
Prints p50/p95 in milliseconds and each backend's ratio to FTS5. Never part of the suite.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tremplin.search.backend import (  # noqa: E402
    SCHEMA_VERSION,
    Document,
    QuerySpec,
    WhooshBackend,
    fold,
    make_schema,
)
from tremplin.search.storage import FileStore  # noqa: E402

NOUNS = """projet besoin local atelier boutique épicerie cantine restaurant café marché jardin
ferme potager verger récolte légume fruit pain boulangerie fromagerie savon cosmétique crème
parfum huile couture tissu vêtement friperie ressourcerie recyclage réparation vélo cargo
livraison quartier commune ville village territoire région association coopérative
entreprise structure société collectif réseau groupe rencontre réunion soirée table
proposition soutien promesse collecte financement subvention prêt épargne investissement
club cigale fonds capital budget comptabilité trésorerie bilan devis facture emploi
insertion formation apprentissage compétence savoir métier artisan artisane bénévole
bénévolat salarié salariée porteur porteuse parrain marraine mentor tutorat binôme séance
école enfant jeunesse famille parent femme entrepreneuse culture musique théâtre danse
peinture fresque festival spectacle tourisme voyage hébergement gîte habitat logement
tiers-lieu espace bureau salle cuisine four machine outil matériel équipement camionnette
énergie solaire déchet compost tri emballage vrac circuit producteur paysan paysanne
agriculture élevage miel abeille ruche apiculture numérique site application logiciel
données plateforme communication graphisme photo vidéo réseau social presse article
opportunité appel candidature concours prix jury dossier partenaire partenariat contact
mairie département conseil fondation banque mutuelle assurance statut charte règlement
vote décision procès-verbal assemblée sécurité santé handicap accessibilité solidarité
économie écologie environnement climat biodiversité eau forêt afrique sénégal mali""".split()
VERBS = """chercher trouver proposer ouvrir lancer créer développer financer accompagner
former partager réparer recycler cuisiner vendre acheter livrer cultiver produire
transformer organiser animer accueillir rencontrer présenter discuter voter décider
soutenir aider embaucher recruter louer rénover aménager installer tester améliorer""".split()
ADJECTIVES = """solidaire social sociale local locale durable écologique éthique bio naturel
naturelle artisanal artisanale coopératif coopérative collectif collective partagé
partagée urbain urbaine rural rurale numérique accessible inclusif inclusive gratuit
gratuite nouveau nouvelle petit petite grand grande premier première mensuel mensuelle
ouvert ouverte responsable innovant innovante équitable populaire culturel culturelle""".split()
FILLER = """le la les un une des du de et à au aux en dans sur pour avec par nous vous ils
elles notre votre nos vos ce cette qui que est sont a ont plus très aussi bien""".split()
THEMES = [
    "restauration",
    "numerique",
    "cosmetique",
    "entreprendre-au-feminin",
    "textile",
    "environnement",
    "commerce-equitable",
    "services-a-la-personne",
    "culture",
    "tourisme-solidaire",
    "education-populaire",
    "france-afrique",
    "agriculture",
    "habitat-tiers-lieux",
    "insertion",
]
DEPARTEMENTS = [
    "75",
    "77",
    "78",
    "91",
    "92",
    "93",
    "94",
    "95",
    "13",
    "69",
    "59",
    "33",
    "31",
    "44",
    "67",
    "34",
    "35",
    "06",
    "38",
    "974",
]
STAGES = ["idee", "emergence", "developpement", "essaimage"]
TYPES = [
    ("message", 0.55),
    ("member", 0.12),
    ("project", 0.14),
    ("need", 0.10),
    ("meetup", 0.03),
    ("opportunity", 0.03),
    ("group", 0.01),
    ("campaign", 0.02),
]
MEMBER_GROUPS = ["group:1", "group:2", "group:3"]


class Words:
    """Zipf-like draws: a few words very common, most rare."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.content = NOUNS + VERBS + ADJECTIVES
        rng.shuffle(self.content)
        self.weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(self.content))]

    def some(self, n: int) -> list[str]:
        return self.rng.choices(self.content, weights=self.weights, k=n)

    def text(self, n: int) -> str:
        words = []
        for word in self.some(n):
            if self.rng.random() < 0.45:
                words.append(self.rng.choice(FILLER))
            words.append(word)
        return " ".join(words).capitalize() + "."


def corpus(size: int, seed: int) -> list[Document]:
    rng = random.Random(seed)
    words = Words(rng)
    names, weights = zip(*TYPES, strict=True)
    start = datetime(2023, 1, 1)
    docs = []
    for n in range(size):
        kind = rng.choices(names, weights=weights)[0]
        acl = rng.choices(["anyone", "members", "group:{}", "conv:{}"], weights=[40, 30, 25, 5])[0]
        if kind == "message":
            acl = rng.choice(["group:{}", "group:{}", "conv:{}"])
        acl = acl.format(rng.randint(1, 60))
        docs.append(
            Document(
                id=f"{kind}:{n}",
                type=kind,
                acl=(acl,),
                title="" if kind == "message" else words.text(rng.randint(2, 7)).rstrip("."),
                tags=" ".join(words.some(rng.randint(1, 5))),
                body=" ".join(words.text(rng.randint(8, 18)) for _ in range(rng.randint(1, 6))),
                themes=tuple(rng.sample(THEMES, rng.randint(0, 2))),
                territory=rng.choice(DEPARTEMENTS) if rng.random() < 0.7 else None,
                stages=(rng.choice(STAGES),) if kind in ("project", "need") else (),
                date=start + timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60)),
            )
        )
    return docs


def queries(kind: str, count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = Words(rng)
    out = []
    for _ in range(count):
        if kind in ("and", "page"):
            out.append(words.some(2))
        elif kind == "or":
            out.append(words.some(3))
        else:  # prefix: a whole word, then 3 to 5 first letters of another
            first, second = words.some(2)
            out.append([first, second[: rng.randint(3, 5)]])
    return out


# --- Whoosh ----------------------------------------------------------------------------------

PRINCIPALS = frozenset({"anyone", "members", "user:1", *MEMBER_GROUPS, "conv:7"})


def whoosh_index(folder: Path, docs: list[Document], processes: int = 1) -> WhooshBackend:
    backend = WhooshBackend(FileStore(folder, make_schema, SCHEMA_VERSION), processes=processes)
    backend.rebuild(docs, None)
    return backend


def backend_runner(backend, kind: str):
    def run(words: list[str]) -> int:
        spec = QuerySpec(words=words, principals=PRINCIPALS, per_page=20, highlight=False)
        if kind == "or":
            spec.match_all = False
        elif kind == "prefix":
            spec.prefix, spec.per_page = True, 8
        elif kind == "page":
            spec.facets, spec.highlight = ("type", "theme", "territory"), True
        return len(backend.query(spec).hits)

    return run


# --- PostgreSQL full text --------------------------------------------------------------------


def pg_database(url: str):
    """A fresh database beside `url`'s, and a function that drops it."""
    from sqlalchemy import create_engine, text

    url = "postgresql+psycopg://" + url.split("://", 1)[1]
    base, name = url.rsplit("/", 1)
    name = f"{name}_bench"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine = create_engine(f"{base}/{name}")

    def drop():
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return engine, drop


def pg_index(engine, docs: list[Document]):
    from tremplin.search.pg import PostgresBackend

    backend = PostgresBackend(engine)
    backend.rebuild(iter(docs), None)
    return backend


# --- SQLite FTS5 -----------------------------------------------------------------------------


def fts_index(path: Path, docs: list[Document]) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, tags, body, type UNINDEXED, acl UNINDEXED,"
        " theme UNINDEXED, territory UNINDEXED, tokenize='unicode61 remove_diacritics 2')"
    )
    with conn:
        conn.executemany(
            "INSERT INTO docs (rowid, title, tags, body, type, acl, theme, territory) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    n + 1,
                    d.title,
                    d.tags,
                    d.body,
                    d.type,
                    d.acl[0],
                    " ".join(d.themes),
                    d.territory or "",
                )
                for n, d in enumerate(docs)
            ],
        )
    conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    return conn


def fts_expression(words: list[str], kind: str) -> str:
    terms = [f'"{fold(w)}"' for w in words]
    if kind == "prefix":
        terms[-1] = terms[-1] + "*"
    return (" OR " if kind == "or" else " AND ").join(terms)


def fts_runner(conn: sqlite3.Connection, kind: str):
    acl = ",".join("?" * len(PRINCIPALS))
    principals = sorted(PRINCIPALS)
    limit = 8 if kind == "prefix" else 20
    top = (
        f"SELECT rowid, title FROM docs WHERE docs MATCH ? AND acl IN ({acl}) "
        f"ORDER BY bm25(docs, 6.0, 3.0, 1.0) LIMIT {limit}"
    )
    page = (
        f"SELECT rowid, highlight(docs, 0, '<mark>', '</mark>'), "
        f"snippet(docs, 2, '<mark>', '</mark>', ' … ', 24) FROM docs "
        f"WHERE docs MATCH ? AND acl IN ({acl}) ORDER BY bm25(docs, 6.0, 3.0, 1.0) LIMIT 20"
    )
    facet = (
        f"SELECT {{col}}, count(*) FROM docs WHERE docs MATCH ? AND acl IN ({acl}) GROUP BY {{col}}"
    )

    def run(words: list[str]) -> int:
        expression = fts_expression(words, kind)
        if kind != "page":
            return len(conn.execute(top, [expression, *principals]).fetchall())
        rows = conn.execute(page, [expression, *principals]).fetchall()
        for col in ("type", "theme", "territory"):
            conn.execute(facet.format(col=col), [expression, *principals]).fetchall()
        return len(rows)

    return run


# --- measuring -------------------------------------------------------------------------------


def timed(run, batch: list[list[str]]) -> tuple[list[float], int]:
    for words in batch[:10]:  # warm caches
        run(words)
    times, found = [], 0
    for words in batch:
        started = time.perf_counter()
        found += run(words)
        times.append((time.perf_counter() - started) * 1000)
    return times, found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("TREMPLIN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL server (a database <name>_bench is created beside it); '' to skip",
    )
    parser.add_argument(
        "--processes",
        default="1,2",
        help="Whoosh rebuilds to time, by number of processes (the queries use the last)",
    )
    args = parser.parse_args()

    print(f"Corpus: {args.docs} French documents (seed {args.seed}) …", flush=True)
    print("Load average at the start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    docs = corpus(args.docs, args.seed)
    words = sum(len((d.title + " " + d.tags + " " + d.body).split()) for d in docs)
    print(f"  {words:,} words, {len(set(d.type for d in docs))} types".replace(",", " "))
    pg = None
    if args.pg_url:
        try:
            engine, drop_pg = pg_database(args.pg_url)
        except Exception as exc:  # noqa: BLE001
            print(f"PostgreSQL left out: {exc}")
        else:
            started = time.perf_counter()
            pg = pg_index(engine, docs)
            pg_build = time.perf_counter() - started
            print(f"  PostgreSQL indexed in {pg_build:.1f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="tremplin-bench-search-") as tmp:
        for processes in [int(n) for n in args.processes.split(",")]:
            folder = Path(tmp) / f"whoosh-{processes}"
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            started, cpu = time.perf_counter(), time.process_time()
            backend = whoosh_index(folder, docs, processes)
            whoosh_build = time.perf_counter() - started
            whoosh_cpu = time.process_time() - cpu
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            child_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
            segments = len(backend.store.current()._segments())
            print(
                f"  Whoosh reindex, {processes} process(es), {segments} segment(s): "
                f"{whoosh_build:.1f} s wall, CPU {whoosh_cpu:.1f} s in this process"
                + (f" + {child_cpu:.1f} s in {processes - 1} child(ren)" if processes > 1 else "")
                + " (the longest of these is about what an idle machine's wall time would be)",
                flush=True,
            )
        started = time.perf_counter()
        conn = fts_index(Path(tmp) / "fts.sqlite3", docs)
        fts_build = time.perf_counter() - started
        whoosh_size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        fts_size = (Path(tmp) / "fts.sqlite3").stat().st_size
        print(
            f"Indexing: Whoosh {whoosh_build:.1f} s ({whoosh_size / 2**20:.0f} MiB), "
            + (f"PostgreSQL {pg_build:.1f} s, " if pg else "")
            + f"FTS5 {fts_build:.1f} s ({fts_size / 2**20:.0f} MiB)"
        )
        print(
            f"\n{'kind':<8}{'Whoosh p50':>12}{'p95':>9}{'PG p50':>9}{'p95':>9}{'FTS5 p50':>10}"
            f"{'p95':>8}{'W/F p95':>9}{'PG/F p95':>10}   hits W/PG/F"
        )
        for kind in ("and", "or", "prefix", "page"):
            batch = queries(kind, args.queries, args.seed + len(kind))
            w_times, w_found = timed(backend_runner(backend, kind), batch)
            if pg:
                p_times, p_found = timed(backend_runner(pg, kind), batch)
            else:
                p_times, p_found = [float("nan")], 0
            f_times, f_found = timed(fts_runner(conn, kind), batch)
            w50, w95 = percentile(w_times, 0.5), percentile(w_times, 0.95)
            p50, p95 = percentile(p_times, 0.5), percentile(p_times, 0.95)
            f50, f95 = percentile(f_times, 0.5), percentile(f_times, 0.95)
            print(
                f"{kind:<8}{w50:>10.1f}ms{w95:>7.1f}ms{p50:>7.1f}ms{p95:>7.1f}ms"
                f"{f50:>8.2f}ms{f95:>6.2f}ms{w95 / f95:>8.1f}x{p95 / f95:>9.1f}x"
                f"   {w_found}/{p_found}/{f_found}",
                flush=True,
            )
        # The first search after a commit opens a new searcher and rebuilds its cached
        # filter sets (acl, facets): what a query pays right after someone writes.
        after_write = []
        page_run = backend_runner(backend, "page")
        for n, words in enumerate(queries("page", 20, args.seed + 99)):
            backend.index(
                [
                    Document(
                        id=f"project:new{n}",
                        type="project",
                        title="Nouveau",
                        body="écrit pendant le banc",
                        date=datetime(2025, 1, 1),
                    )
                ]
            )
            started = time.perf_counter()
            page_run(words)
            after_write.append((time.perf_counter() - started) * 1000)
        print(
            f"{'after a write (page)':<8} p50 {percentile(after_write, 0.5):.1f} ms, "
            f"p95 {percentile(after_write, 0.95):.1f} ms (new searcher, caches rebuilt)"
        )
        print(
            "\nWhoosh: French stemming + accent folding + acl filter (the site's query); "
            "FTS5: accent folding only. Means: "
            f"{statistics.mean(w_times):.1f} ms vs {statistics.mean(f_times):.2f} ms "
            "on the results page."
        )
        conn.close()
    print("Load average at the end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    if pg:
        drop_pg()
    return 0


if __name__ == "__main__":
    sys.exit(main())
