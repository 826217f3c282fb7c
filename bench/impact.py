"""How fast the impact dashboard answers on a network of 5,000 members and 3 years of activity.

    .venv/bin/python bench/impact.py                   # SQLite, 5,000 members, 3 years
    .venv/bin/python bench/impact.py --members 20000 --runs 5
    .venv/bin/python bench/impact.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Builds a throwaway database with bulk inserts — members, groups, projects with milestones
(most confirmed) and needs, weekly meetups with registrations, check-ins, walk-ins and
speakers, opportunity applications, mentoring pairings and sessions, campaigns with
payments and refunds in the ledger — then renders /impact as an organiser for each filter
(none, group, territory, theme; month, quarter, year, custom) and prints the median time,
the SQL statements per render and the ratio to an empty network's render measured in the
same run. Never part of the pass/fail suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tremplin import create_app  # noqa: E402
from tremplin.platform.extensions import db  # noqa: E402

THEMES = [
    "restauration",
    "numerique",
    "cosmetique",
    "textile",
    "environnement",
    "commerce-equitable",
    "culture",
    "insertion",
]
DEPTS = ["75", "77", "78", "91", "92", "93", "94", "95"]
KINDS = [
    "business_plan",
    "legal_entity",
    "first_funding",
    "prize",
    "return_to_employment",
    "collective_project",
]
YEARS = 3


def make_app(url: str):
    return create_app(
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


def build(url: str, members: int, seed: int = 11):
    """A fresh schema; with `members` > 0, a network with three years of activity."""
    from tremplin.funding.models import (
        Campaign,
        LedgerAccount,
        LedgerEntry,
        LedgerTransaction,
        Pledge,
    )
    from tremplin.groups.models import Group
    from tremplin.meetups.models import (
        Meetup,
        Opportunity,
        OpportunityApplication,
        Registration,
        Speaker,
    )
    from tremplin.members.models import Milestone, Need, Project
    from tremplin.mentoring.models import MentoringSession, Pairing
    from tremplin.platform.models import User

    app = make_app(url)
    rng = random.Random(seed)
    today = date.today()
    first_day = today - timedelta(days=365 * YEARS)
    days = (today - first_day).days

    def moment(day_offset: int, hour: int = 19) -> datetime:
        return datetime.combine(
            first_day + timedelta(days=day_offset), datetime.min.time(), UTC
        ).replace(hour=hour)

    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.drop_all()
        db.create_all()
        conn = db.session.connection()
        conn.execute(
            insert(User),
            [
                {
                    "id": i,
                    "email": f"p{i}@bench.example.org",
                    "display_name": f"Personne {i}",
                    "site_role": "organiser" if i == 1 else "member",
                    "locale": "fr",
                    "session_stamp": f"{i:032d}",
                    "failed_login_count": 0,
                    "created_at": moment(rng.randrange(days), 10),
                    "email_confirmed_at": moment(0, 9),
                }
                for i in range(1, max(members, 1) + 1)
            ],
        )
        counts = {"members": members}
        if members:
            groups = 20
            conn.execute(
                insert(Group),
                [
                    {
                        "id": g,
                        "slug": f"groupe-{g}",
                        "name": f"Groupe {g:02d}",
                        "theme": THEMES[g % len(THEMES)],
                        "description": "",
                        "visibility": "public",
                    }
                    for g in range(1, groups + 1)
                ],
            )
            projects = members // 4
            conn.execute(
                insert(Project),
                [
                    {
                        "id": p,
                        "title": f"Projet {p}",
                        "pitch": "Un projet.",
                        "owner_id": rng.randint(2, members),
                        "theme": rng.choice(THEMES),
                        "departement": rng.choice(DEPTS),
                        "stage": "emergence",
                        "visibility": "public",
                    }
                    for p in range(1, projects + 1)
                ],
            )
            milestones = [
                {
                    "project_id": rng.randint(1, projects),
                    "kind": rng.choice(KINDS),
                    "occurred_on": first_day + timedelta(days=rng.randrange(days)),
                    "declared_by_id": rng.randint(2, members),
                    "declared_at": moment(rng.randrange(days)),
                    "confirmed_by_id": 1 if rng.random() < 0.7 else None,
                }
                for _ in range(projects * 2)
            ]
            for m in milestones:
                m["confirmed_at"] = m["declared_at"] if m["confirmed_by_id"] else None
            conn.execute(insert(Milestone), milestones)
            needs = []
            for _ in range(projects * 2):
                fulfilled = rng.random() < 0.4
                needs.append(
                    {
                        "project_id": rng.randint(1, projects),
                        "kind": "local",
                        "title": "Un local",
                        "created_by_id": rng.randint(2, members),
                        "status": "fulfilled" if fulfilled else "open",
                        "fulfilled_at": moment(rng.randrange(days), 15) if fulfilled else None,
                    }
                )
            conn.execute(insert(Need), needs)
            # Two meetups a week, each with ~40 registrations of which three quarters come.
            meetup_days = list(range(0, days, 3))
            conn.execute(
                insert(Meetup),
                [
                    {
                        "id": n,
                        "title": f"Rencontre {n}",
                        "description": "",
                        "state": "published",
                        "group_id": rng.choice([None, rng.randint(1, groups)]),
                        "theme": rng.choice(THEMES),
                        "departement": rng.choice(DEPTS),
                        "starts_at": moment(d),
                        "ends_at": moment(d, 22),
                        "published_at": moment(d, 8),
                    }
                    for n, d in enumerate(meetup_days, start=1)
                ],
            )
            registrations, speakers = [], []
            for n in range(1, len(meetup_days) + 1):
                start = moment(meetup_days[n - 1])
                for user_id in rng.sample(range(2, members + 1), 36):
                    came = rng.random() < 0.75
                    registrations.append(
                        {
                            "meetup_id": n,
                            "user_id": user_id,
                            "name": None,
                            "email": None,
                            "guests": 0,
                            "status": "confirmed",
                            "is_walk_in": False,
                            "checked_in_at": start if came else None,
                            "guests_checked_in": 0,
                        }
                    )
                for v in range(4):  # visitors and walk-ins
                    registrations.append(
                        {
                            "meetup_id": n,
                            "user_id": None,
                            "name": f"Visiteur {n}-{v}",
                            "email": f"v{rng.randint(1, members)}@visiteurs.example.org"
                            if v < 3
                            else None,
                            "guests": 1 if v == 0 else 0,
                            "status": "confirmed",
                            "is_walk_in": v == 3,
                            "checked_in_at": start,
                            "guests_checked_in": 1 if v == 0 else 0,
                        }
                    )
                speakers += [
                    {"meetup_id": n, "name": f"Intervenant {n}-{s}", "position": s}
                    for s in range(2)
                ]
            conn.execute(insert(Registration), registrations)
            conn.execute(insert(Speaker), speakers)
            conn.execute(
                insert(Opportunity),
                [
                    {"id": o, "title": f"Appel {o}", "kind": "appel_a_projets", "description": ""}
                    for o in range(1, 61)
                ],
            )
            applications = []
            for user_id in rng.sample(range(2, members + 1), members // 5):
                won = rng.random() < 0.2
                applications.append(
                    {
                        "opportunity_id": rng.randint(1, 60),
                        "user_id": user_id,
                        "status": "won" if won else "applied",
                        "created_at": moment(rng.randrange(days)),
                        "won_at": moment(rng.randrange(days)) if won else None,
                    }
                )
            conn.execute(insert(OpportunityApplication), applications)
            pairings = members // 10
            conn.execute(
                insert(Pairing),
                [
                    {
                        "id": i,
                        "mentor_id": rng.randint(2, members),
                        "porteur_id": rng.randint(2, members),
                        "project_id": rng.randint(1, projects),
                        "state": "active",
                        "started_on": first_day + timedelta(days=rng.randrange(days)),
                        "planned_end_on": today + timedelta(days=90),
                    }
                    for i in range(1, pairings + 1)
                ],
            )
            conn.execute(
                insert(MentoringSession),
                [
                    {
                        "pairing_id": rng.randint(1, pairings),
                        "duration_minutes": 60,
                        "held_on": first_day + timedelta(days=rng.randrange(days)),
                    }
                    for _ in range(pairings * 6)
                ],
            )
            # Campaigns with payments and a few refunds, in the ledger.
            campaigns = projects // 10
            conn.execute(
                insert(Campaign),
                [
                    {
                        "id": c,
                        "project_id": c,
                        "title": f"Collecte {c}",
                        "summary": "Pour démarrer.",
                        "goal_cents": 500_000,
                        "status": "succeeded",
                        "outcome": "succeeded",
                        "deadline_at": moment(rng.randrange(days)),
                        "ended_at": moment(rng.randrange(days)),
                    }
                    for c in range(1, campaigns + 1)
                ],
            )
            conn.execute(
                insert(LedgerAccount),
                [{"id": c, "kind": "campaign", "ref": str(c)} for c in range(1, campaigns + 1)]
                + [{"id": campaigns + 1, "kind": "backer", "ref": "0"}],
            )
            pledges, transactions, entries = [], [], []
            for t in range(1, campaigns * 20 + 1):
                campaign = rng.randint(1, campaigns)
                amount = rng.choice([1_000, 2_000, 5_000, 10_000])
                refund = t % 25 == 0
                at = moment(rng.randrange(days), 12)
                pledges.append(
                    {
                        "id": t,
                        "campaign_id": campaign,
                        "amount_cents": amount,
                        "backer_id": rng.randint(2, members),
                        "status": "refunded" if refund else "collected",
                        "collected_at": at,
                    }
                )
                transactions.append(
                    {
                        "id": t,
                        "key": f"charge:{t}",
                        "kind": "refund" if refund else "transfer",
                        "occurred_at": at,
                    }
                )
                sign = -1 if refund else 1
                entries += [
                    {"transaction_id": t, "account_id": campaign, "amount_cents": sign * amount},
                    {
                        "transaction_id": t,
                        "account_id": campaigns + 1,
                        "amount_cents": -sign * amount,
                    },
                ]
            conn.execute(insert(Pledge), pledges)
            conn.execute(insert(LedgerTransaction), transactions)
            conn.execute(insert(LedgerEntry), entries)
            counts.update(
                projects=projects,
                milestones=len(milestones),
                needs=len(needs),
                meetups=len(meetup_days),
                registrations=len(registrations),
                applications=len(applications),
                pairings=pairings,
                campaigns=campaigns,
                pledges=len(pledges),
            )
        db.session.commit()
    return app, counts


def median_ms(func, runs: int) -> float:
    func()  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def filters(today: date) -> list[tuple[str, dict]]:
    last_year = today.year - 1
    return [
        ("no filter (year)", {"periode": "annee", "annee": last_year}),
        ("group", {"periode": "annee", "annee": last_year, "groupe": 3}),
        ("territory", {"periode": "annee", "annee": last_year, "territoire": "93"}),
        ("theme", {"periode": "annee", "annee": last_year, "theme": "cosmetique"}),
        ("month", {"periode": "mois", "mois": f"{last_year}-06"}),
        ("quarter", {"periode": "trimestre", "trimestre": f"{last_year}-T2"}),
        (
            "custom (3 years)",
            {
                "periode": "personnalise",
                "debut": (today - timedelta(days=3 * 365)).isoformat(),
                "fin": today.isoformat(),
            },
        ),
        ("CSV export (year)", {"periode": "annee", "annee": last_year, "_csv": True}),
    ]


def measure(app, cases, runs: int) -> dict[str, tuple[float, int]]:
    from tremplin.platform.models import User

    results = {}
    with app.app_context():
        organiser = db.session.get(User, 1)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = organiser.get_id(), True
        for label, args in cases:
            args = dict(args)
            path = "/impact/indicateurs.csv" if args.pop("_csv", False) else "/impact"

            def page(path=path, args=args, label=label):
                response = client.get(path, query_string=args)
                assert response.status_code == 200, (label, response.status_code)

            elapsed = median_ms(page, runs)
            statements = []

            def count(conn, cursor, statement, *rest, statements=statements):
                if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
                    statements.append(statement)

            event.listen(db.engine, "before_cursor_execute", count)
            page()
            event.remove(db.engine, "before_cursor_execute", count)
            results[label] = (elapsed, len(statements))
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: a throwaway SQLite file (a PostgreSQL database is emptied first)",
    )
    args = parser.parse_args()
    cases = filters(date.today())
    with tempfile.TemporaryDirectory() as folder:
        empty_url = args.database_url or f"sqlite:///{Path(folder) / 'empty.sqlite3'}"
        app, _counts = build(empty_url, 0)
        baseline = measure(app, cases[:1], args.runs)["no filter (year)"]
        full_url = args.database_url or f"sqlite:///{Path(folder) / 'network.sqlite3'}"
        started = time.perf_counter()
        app, counts = build(full_url, args.members)
        seeded_s = time.perf_counter() - started
        results = measure(app, cases, args.runs)
    backend = (args.database_url or "sqlite").split(":", 1)[0]
    print(
        f"Impact dashboard ({backend}, median of {args.runs} renders, seeded in {seeded_s:.1f} s)"
    )
    print("network: " + ", ".join(f"{v:,} {k}".replace(",", " ") for k, v in counts.items()))
    print(f"baseline (empty network, year): {baseline[0]:.1f} ms, {baseline[1]} SQL statements")
    print(f"{'filter':<20} {'time':>10} {'SQL':>5} {'× empty':>8}")
    for label, (elapsed, statements) in results.items():
        print(f"{label:<20} {elapsed:>8.1f}ms {statements:>5} {elapsed / baseline[0]:>7.1f}x")


if __name__ == "__main__":
    main()
