"""`make test`: the whole suite on SQLite and, at the same time, the database tests again
on PostgreSQL (two pytest runs side by side, each with its own xdist workers: one waits
on Chromium, servers and subprocesses while the other computes; their databases, ports
and Redis indexes do not overlap). The PostgreSQL run's output follows the SQLite run's.

With CI=true a missing PostgreSQL, Redis or Chromium is a failure (the fixtures fail
instead of skipping); without it, what is missing is skipped and said so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

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


def start(args: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pytest", *args]
    print("+", " ".join(cmd), flush=True)
    return subprocess.Popen(cmd, env=env, **kwargs)


def main() -> int:
    ci = os.environ.get("CI", "").lower() == "true"
    # Two workers per run by default (pytest-xdist; each has its own databases, live
    # server and Stripe server); TREMPLIN_TEST_WORKERS=0 runs each in one process.
    workers = os.environ.get("TREMPLIN_TEST_WORKERS", "2")
    extra = (["-n", workers] if workers != "0" else []) + sys.argv[1:]
    env = dict(os.environ)
    postgres = postgres_answers()
    pg_run = pg_log = None
    if postgres:
        pg_log = tempfile.TemporaryFile(mode="w+")
        pg_run = start(
            ["-q", "-m", "db and not browser and not scale", *extra],
            {**env, "TREMPLIN_TEST_DATABASE": "postgresql"},
            stdout=pg_log,
            stderr=subprocess.STDOUT,
        )
    status = start(["-q", *extra], {**env, "TREMPLIN_TEST_DATABASE": "sqlite"}).wait()
    if pg_run is not None:
        pg_status = pg_run.wait()
        pg_log.seek(0)
        print("\n--- the database tests on PostgreSQL ---", flush=True)
        sys.stdout.write(pg_log.read())
        sys.stdout.flush()
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
