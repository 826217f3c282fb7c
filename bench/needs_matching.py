"""How fast "who could help" answers as the network grows.

    .venv/bin/python bench/needs_matching.py                  # 500/100 then 5,000/1,000
    .venv/bin/python bench/needs_matching.py --sizes 500:100 5000:1000 10000:2000

For each size (members:open needs) builds a fresh SQLite database — members with skills,
languages and départements drawn at random (a tenth opted out, a tenth acting for an
organisation), projects and their open needs, accepted offers — then times, median of
several runs, over HTTP as a logged-in member: the team's "Qui peut aider ?" page, the
member's home page with "Vous pourriez aider", and the organisers' list of needs without an
answer; and counts the SQL statements of each. Prints the times and the ratio to the first
size, measured in the same run. Never part of the pass/fail suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tremplin import create_app  # noqa: E402
from tremplin.platform.extensions import db  # noqa: E402
from tremplin.platform.types import utcnow  # noqa: E402

SKILLS = [
    "Couture",
    "Comptabilité",
    "Menuiserie",
    "Graphisme",
    "Communication",
    "Juridique",
    "Cuisine",
    "Informatique",
    "Traduction",
    "Photographie",
    "Jardinage",
    "Vente",
]
LANGS = ["fr", "en", "ar", "wo", "bm", "es", "pt", "tr"]
DEPTS = ["75", "77", "78", "91", "92", "93", "94", "95", "69", "13"]
KINDS = ["local", "competences", "partenariat", "contacts", "financement"]
TITLES = {
    "local": "Un local de {n} m² pour l’atelier",
    "competences": "Besoin d’aide en {skill}",
    "partenariat": "Un partenaire pour la {skill}",
    "contacts": "Des contacts à la mairie pour la {skill}",
    "financement": "Financer le matériel de {skill}",
}


def build(members: int, needs: int, seed: int = 11):
    from tremplin.members.models import (
        HelpOffer,
        HelpPreference,
        Need,
        Profile,
        ProfileTag,
        Project,
        ProjectMember,
    )
    from tremplin.platform.models import User

    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "bench",
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
            "SEARCH_INDEX_IN_RAM": True,
            "MAIL_OUTBOX_DIR": str(folder / "outbox"),
            "UPLOAD_DIR": str(folder / "uploads"),
            "SEARCH_INDEX_DIR": str(folder / "index"),
        }
    )
    rng = random.Random(seed)
    with app.app_context():
        db.create_all()
        conn = db.session.connection()
        conn.execute(
            insert(User),
            [
                {
                    "id": i,
                    "email": f"m{i}@bench.local",
                    "display_name": f"Membre {i}",
                    "site_role": "organiser" if i == 1 else "member",
                    "locale": "fr",
                    "session_stamp": f"{i:032d}",
                    "failed_login_count": 0,
                }
                for i in range(1, members + 1)
            ],
        )
        conn.execute(
            insert(Profile),
            [
                {"user_id": i, "departement": rng.choice(DEPTS), "commune": "Ville"}
                for i in range(1, members + 1)
            ],
        )
        tags = []
        for i in range(1, members + 1):
            for skill in rng.sample(SKILLS, 2):
                tags.append({"user_id": i, "kind": "skill", "value": skill, "key": skill.lower()})
            for lang in {"fr", rng.choice(LANGS)}:
                tags.append({"user_id": i, "kind": "language", "value": lang, "key": lang})
        conn.execute(insert(ProfileTag), tags)
        conn.execute(
            insert(HelpPreference),
            [
                {
                    "user_id": i,
                    "opted_out": i % 10 == 0,
                    "availability": "available",
                    "organisation_kind": rng.choice(["bailleur", "financeur", "association"])
                    if i % 10 == 5
                    else None,
                }
                for i in range(2, members + 1)
            ],
        )
        projects = max(1, needs // 2)
        conn.execute(
            insert(Project),
            [
                {
                    "id": p,
                    "title": f"Projet {p}",
                    "pitch": "Un projet.",
                    "departement": rng.choice(DEPTS),
                    "stage": "emergence",
                    "visibility": "public",
                    "owner_id": 1 + p,
                }
                for p in range(1, projects + 1)
            ],
        )
        conn.execute(
            insert(ProjectMember),
            [
                {"project_id": p, "user_id": 1 + p, "role": "owner", "status": "accepted"}
                for p in range(1, projects + 1)
            ],
        )
        old = utcnow() - timedelta(days=30)
        rows = []
        for n in range(1, needs + 1):
            kind = rng.choice(KINDS)
            rows.append(
                {
                    "id": n,
                    "project_id": 1 + (n - 1) % projects,
                    "kind": kind,
                    "title": TITLES[kind].format(n=rng.randint(20, 300), skill=rng.choice(SKILLS)),
                    "description": "Merci d’avance !",
                    "status": "open",
                    "created_by_id": 2 + (n - 1) % projects,
                    "created_at": old,
                }
            )
        conn.execute(insert(Need), rows)
        conn.execute(
            insert(HelpOffer),
            [
                {
                    "need_id": n,
                    "helper_id": rng.randint(projects + 2, members),
                    "message": "Je peux aider.",
                    "status": "accepted",
                }
                for n in range(1, needs + 1, 3)
            ],
        )
        db.session.commit()
    return app


def timed(client, engine, path: str, runs: int) -> tuple[float, int]:
    statements = []

    def count(*_args):
        statements.append(1)

    client.get(path)  # warm up
    times = []
    for run in range(runs):
        if run == 0:
            event.listen(engine, "before_cursor_execute", count)
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if run == 0:
            event.remove(engine, "before_cursor_execute", count)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(times), len(statements)


def measure(members: int, needs: int, runs: int) -> dict:
    app = build(members, needs)
    results = {}
    with app.app_context():
        engine = db.engine
    # No app context is held across requests: each request has its own (and its user).
    for label, user_id, path in (
        ("team page", 2, "/besoins/1/qui-peut-aider"),
        ("home panel", members - 1, "/"),
        ("organisers' list", 1, "/animation/besoins-sans-reponse"),
    ):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = f"{user_id}:{user_id:032d}"
            session["_fresh"] = True
        results[label] = timed(client, engine, path, runs)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["500:100", "5000:1000"])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in s.split(":")) for s in args.sizes]
    table = {size: measure(*size, args.runs) for size in sizes}
    base = table[sizes[0]]
    print(f"{'members/needs':>14} | {'page':<17} | {'median':>9} | {'SQL':>4} | ratio")
    for size, results in table.items():
        for label, (ms, statements) in results.items():
            ratio = ms / base[label][0]
            print(
                f"{size[0]:>6}/{size[1]:<7} | {label:<17} | {ms:7.1f} ms | {statements:>4} | "
                f"×{ratio:.1f}"
            )


if __name__ == "__main__":
    main()
