"""Health that tells the truth.

`/healthz` is the load balancer's cheap liveness probe (the process answers, the database
too). `/healthz/ready` checks what the instance needs to do its work and answers 503 with
the failing check's reason when one fails:

- database: a `SELECT 1`;
- redis (when REDIS_URL is set): a PING within a second;
- jobs: the job runner's heartbeat is recent (the runner records one every minute, and a
  readiness probe that finds it stale queues an immediate one, so a runner that comes
  back is seen at once);
- disk: at least HEALTH_MIN_FREE_MB free where the instance writes (database, uploads);
- backup: the newest archive is younger than BACKUP_MAX_AGE_HOURS (0 turns the check off;
  an instance with no backup yet fails only once its first account is older than that).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app, jsonify
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tremplin.platform import backup, bp, jobs
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        db.session.execute(select(1))
    except Exception as exc:  # any failure is the answer, never a 500
        db.session.rollback()
        return Check(False, f"database unreachable: {exc.__class__.__name__}")
    return Check(True, "ok")


def check_redis() -> Check | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
        client.close()
    except Exception as exc:
        return Check(False, f"redis unreachable: {exc.__class__.__name__}")
    return Check(True, "ok")


def _watched_folders(app: Flask) -> list[Path]:
    folders = [Path(app.instance_path), Path(app.config["UPLOAD_DIR"])]
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.drivername.startswith("sqlite") and url.database:
        folders.append(Path(url.database).parent)
    found = []
    for folder in folders:
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # a folder not created yet lives on its parent's disk
        found.append(folder)
    return found


def check_disk() -> Check:
    minimum = current_app.config["HEALTH_MIN_FREE_MB"]
    for folder in _watched_folders(current_app):
        free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
        if free_mb < minimum:
            return Check(False, f"disk almost full: {free_mb} MB free under {folder}")
    return Check(True, "ok")


def check_backup() -> Check | None:
    hours = current_app.config["BACKUP_MAX_AGE_HOURS"]
    if not hours:
        return None
    limit = timedelta(hours=hours)
    backups = backup.list_backups()
    if backups:
        age = backups[0].age
        if age > limit:
            return Check(False, f"last backup {age.total_seconds() / 3600:.0f} h old")
        return Check(True, f"last backup {age.total_seconds() / 3600:.1f} h old")
    from tremplin.platform.models import User

    try:
        first = db.session.scalar(select(func.min(User.created_at)))
    except Exception:  # the database check says why
        db.session.rollback()
        return None
    if first is not None and utcnow() - first > limit:
        return Check(False, "no backup yet")
    return Check(True, "no backup yet (new instance)")


# --- the job runner's heartbeat ------------------------------------------------------------
# Kept in the runner's own storage (SQLite under instance/, or Redis), which every host
# shares: the runner writes it every minute, and on demand when a probe finds it stale.
HEARTBEAT_KEY = "tremplin:heartbeat"
PROBE_KEY = "tremplin:heartbeat-probe"


def _beat() -> None:
    jobs.huey.put(HEARTBEAT_KEY, time.time())


@jobs.periodic(minute="*")
def heartbeat() -> None:
    """Every minute: the runner is alive."""
    _beat()


@jobs.job(retries=0)
def heartbeat_probe() -> None:
    """Queued by a readiness check that found the heartbeat stale: a runner that comes
    back answers it at once, without waiting for the next minute."""
    _beat()


def heartbeat_age() -> float | None:
    beat = jobs.huey.get(HEARTBEAT_KEY, peek=True)
    return None if beat is None else max(0.0, time.time() - float(beat))


def check_jobs() -> Check | None:
    if current_app.config.get("JOBS_MODE") != "queue":
        return None  # jobs run inline (tests): there is no runner to wait for
    limit = current_app.config["HEALTH_HEARTBEAT_MAX_AGE"]
    try:
        age = heartbeat_age()
        if age is None or age > limit:
            probed = jobs.huey.get(PROBE_KEY, peek=True)  # at most one probe per period
            if probed is None or time.time() - float(probed) > limit:
                jobs.huey.put(PROBE_KEY, time.time())
                heartbeat_probe.enqueue()
    except Exception as exc:
        return Check(False, f"job runner storage unreachable: {exc.__class__.__name__}")
    if age is None:
        return Check(False, "job runner: no heartbeat yet")
    if age > limit:
        return Check(False, f"job runner: no heartbeat for {age:.0f} s")
    return Check(True, f"heartbeat {age:.0f} s ago")


CHECKS: dict[str, Callable[[], Check | None]] = {
    "database": check_database,
    "redis": check_redis,
    "jobs": check_jobs,
    "disk": check_disk,
    "backup": check_backup,
}


def readiness() -> tuple[bool, dict[str, dict]]:
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        outcome = check()
        if outcome is not None:
            results[name] = {
                "ok": outcome.ok,
                "detail": outcome.detail,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
    return all(r["ok"] for r in results.values()), results


@bp.route("/healthz")
def health():
    """Liveness for the load balancer: the process and its database answer."""
    db.session.execute(select(1))
    return jsonify(status="ok")


@bp.route("/healthz/ready")
def health_ready():
    ok, results = readiness()
    failing = [f"{name}: {r['detail']}" for name, r in results.items() if not r["ok"]]
    body = {"status": "ok" if ok else "fail", "checks": results}
    if failing:
        body["reason"] = "; ".join(failing)
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
