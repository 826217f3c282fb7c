"""`make test`: the whole suite on SQLite, then the database tests again on PostgreSQL.

With CI=true a missing PostgreSQL, Redis or Chromium is a failure (the fixtures fail
instead of skipping); without it, what is missing is skipped and said so.
"""

from __future__ import annotations

import os
import subprocess
import sys

PG_URL = os.environ.get("TREMPLIN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            conn.execute("select 1")
        return True
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL does not answer at {PG_URL}: {exc}", file=sys.stderr)
        return False


def pytest(args: list[str], env: dict[str, str]) -> int:
    cmd = [sys.executable, "-m", "pytest", *args]
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, env=env)


def main() -> int:
    ci = os.environ.get("CI", "").lower() == "true"
    # Two workers by default (pytest-xdist; each has its own databases, live server and
    # Stripe server); TREMPLIN_TEST_WORKERS=0 runs in one process.
    workers = os.environ.get("TREMPLIN_TEST_WORKERS", "2")
    extra = (["-n", workers] if workers != "0" else []) + sys.argv[1:]
    env = dict(os.environ)
    status = pytest(["-q", *extra], {**env, "TREMPLIN_TEST_DATABASE": "sqlite"})
    if postgres_answers():
        pg_status = pytest(
            ["-q", "-m", "db and not browser and not scale", *extra],
            {**env, "TREMPLIN_TEST_DATABASE": "postgresql"},
        )
        if pg_status == 5:  # no database test selected: nothing to prove, nothing failed
            pg_status = 0
        status = status or pg_status
    elif ci:
        print("CI=true and PostgreSQL is missing: failing.", file=sys.stderr)
        status = status or 1
    else:
        print("PostgreSQL not available: database tests ran on SQLite only.", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
