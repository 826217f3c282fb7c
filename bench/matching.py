"""How fast the mentor suggestions answer as the network grows.

    .venv/bin/python bench/matching.py                       # SQLite, 200 and 2,000 mentors
    .venv/bin/python bench/matching.py --mentors 200 2000 5000
    .venv/bin/python bench/matching.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

For each size: builds a fresh database with that many mentor offers (skills, sectors,
languages, départements drawn at random, a third of the places taken), then times
`matching.suggest()` and the whole suggestions page (HTTP, logged in) — the median of
several runs — and counts the SQL statements of the page. Prints the times and the ratio
to the smallest size. Never part of the pass/fail suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import event, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tremplin import create_app  # noqa: E402
from tremplin.platform.extensions import db  # noqa: E402

SKILLS = [
    "business-plan",
    "financement",
    "gestion",
    "juridique",
    "administratif",
    "marketing",
    "commercial",
    "numerique",
    "rh",
    "international",
    "local",
    "reseau",
    "pitch",
    "ess",
]
THEMES = [
    "restauration",
    "numerique",
    "cosmetique",
    "textile",
    "environnement",
    "commerce-equitable",
    "culture",
    "france-afrique",
    "agriculture",
    "insertion",
]
LANGS = ["fr", "en", "ar", "wo", "bm", "ff", "snk", "es", "pt", "tr"]
DEPTS = ["75", "77", "78", "91", "92", "93", "94", "95", "69", "13", "33", "59"]


def build(url: str, mentors: int, seed: int = 7):
    from tremplin.mentoring.models import (
        MentoringRequest,
        MentorOffer,
        MentorOfferTag,
        Pairing,
    )
    from tremplin.platform.models import User

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
            "SEARCH_INDEX_IN_RAM": True,
            "MAIL_OUTBOX_DIR": tempfile.mkdtemp(),
            "UPLOAD_DIR": tempfile.mkdtemp(),
            "SEARCH_INDEX_DIR": tempfile.mkdtemp(),
        }
    )
    rng = random.Random(seed)
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.drop_all()
        db.create_all()
        conn = db.session.connection()
        people = 2 * mentors + 1
        conn.execute(
            insert(User),
            [
                {
                    "id": i,
                    "email": f"p{i}@bench.local",
                    "display_name": f"Personne {i}",
                    "site_role": "member",
                    "locale": "fr",
                    "session_stamp": f"{i:032d}",
                    "failed_login_count": 0,
                }
                for i in range(1, people + 1)
            ],
        )
        porteur_id = people
        conn.execute(
            insert(MentorOffer),
            [
                {
                    "id": i,
                    "user_id": i,
                    "format": rng.choice(["both", "online", "in_person"]),
                    "hours_per_month": 4,
                    "max_mentees": rng.randint(1, 3),
                    "is_available": rng.random() > 0.1,
                    "presentation": "Bénévole.",
                }
                for i in range(1, mentors + 1)
            ],
        )
        tags = []
        for i in range(1, mentors + 1):
            for kind, pool, k in (
                ("skill", SKILLS, 4),
                ("sector", THEMES, 2),
                ("language", LANGS, 2),
                ("departement", DEPTS, 2),
            ):
                codes = set(rng.sample(pool, k))
                if kind == "language":
                    codes.add("fr")
                tags += [{"offer_id": i, "kind": kind, "code": c} for c in codes]
        conn.execute(insert(MentorOfferTag), tags)
        today = date.today()
        conn.execute(
            insert(Pairing),
            [
                {
                    "mentor_id": i,
                    "porteur_id": mentors + i,
                    "state": "active",
                    "started_on": today - timedelta(days=30),
                    "planned_end_on": today,
                }
                for i in range(1, mentors + 1, 3)
            ],
        )
        conn.execute(
            insert(MentoringRequest),
            [
                {
                    "id": 1,
                    "porteur_id": porteur_id,
                    "state": "open",
                    "goals": "Ouvrir la boutique.",
                    "needs": ["financement", "gestion", "business-plan"],
                    "languages": ["fr", "wo"],
                    "departement": "93",
                    "sector": "cosmetique",
                    "format": "both",
                    "expired_count": 0,
                }
            ],
        )
        db.session.commit()
    return app, porteur_id


def median_ms(func, runs: int) -> float:
    func()  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(url: str, mentors: int, runs: int) -> dict:
    from tremplin.mentoring import matching
    from tremplin.mentoring.models import MentoringRequest
    from tremplin.platform.models import User

    app, porteur_id = build(url, mentors)
    with app.app_context():
        with app.test_request_context("/"):
            request = db.session.get(MentoringRequest, 1)
            suggest_ms = median_ms(lambda: matching.suggest(request), runs)
            eligible = matching.suggest(request).total
        porteur = db.session.get(User, porteur_id)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = porteur.get_id(), True
        statements = []

        def count(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
                statements.append(statement)

        def page():
            response = client.get("/parrainage/demandes/1/suggestions")
            assert response.status_code == 200, response.status_code

        page_ms = median_ms(page, runs)
        event.listen(db.engine, "before_cursor_execute", count)
        page()
        event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
        db.engine.dispose()
    return {
        "mentors": mentors,
        "eligible": eligible,
        "suggest_ms": suggest_ms,
        "page_ms": page_ms,
        "statements": len(statements),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentors", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: a throwaway SQLite file (a PostgreSQL database is emptied first)",
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for n in args.mentors:
            url = args.database_url or f"sqlite:///{Path(folder) / f'bench-{n}.sqlite3'}"
            results.append(measure(url, n, args.runs))
    backend = (args.database_url or "sqlite").split(":", 1)[0]
    base = results[0]
    print(f"Mentor suggestions ({backend}, median of {args.runs} runs)")
    print(
        f"{'mentors':>8} {'eligible':>9} {'suggest()':>11} {'page':>10} {'SQL':>5} "
        f"{'× suggest':>10} {'× page':>8}"
    )
    for r in results:
        print(
            f"{r['mentors']:>8} {r['eligible']:>9} {r['suggest_ms']:>9.1f}ms "
            f"{r['page_ms']:>8.1f}ms {r['statements']:>5} "
            f"{r['suggest_ms'] / base['suggest_ms']:>9.1f}x {r['page_ms'] / base['page_ms']:>7.1f}x"
        )


if __name__ == "__main__":
    main()
