"""/healthz stays cheap; /healthz/ready answers 503 with the reason when something the
instance needs is missing: database, Redis, disk space, a recent backup (and the job
runner's heartbeat: test_jobs_health.py)."""

from __future__ import annotations

import os
from datetime import timedelta

from tests.kit.app import base_config
from tremplin import create_app
from tremplin.platform import backup
from tremplin.platform.types import utcnow


def _ready(client):
    response = client.get("/healthz/ready")
    return response.status_code, response.get_json()


def test_liveness_is_cheap_and_ok(client, count_statements):
    with count_statements() as counted:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert counted.count <= 1


def test_ready_on_a_sound_new_instance(client):
    status, body = _ready(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert {"database", "disk", "backup"} <= set(body["checks"])
    assert "redis" not in body["checks"]  # not configured
    assert body["checks"]["backup"]["detail"] == "no backup yet (new instance)"


def test_no_recent_backup_is_not_ready_until_one_is_made(app, db, client, make_member, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    app.config["BACKUP_SECRET_FILES"] = []
    make_member(created_at=utcnow() - timedelta(days=3))  # data older than a day, never saved
    status, body = _ready(client)
    assert status == 503
    assert body["reason"] == "backup: no backup yet"
    path = backup.create_backup(app)
    assert _ready(client)[0] == 200
    old = utcnow() - timedelta(hours=30)
    path.rename(path.with_name(f"tremplin-{old.strftime(backup.TIME_FORMAT)}.tar.gz"))
    status, body = _ready(client)
    assert status == 503 and body["reason"] == "backup: last backup 30 h old"
    app.config["BACKUP_MAX_AGE_HOURS"] = 0  # backups made otherwise: the check is off
    status, body = _ready(client)
    assert status == 200 and "backup" not in body["checks"]


def test_a_full_disk_is_not_ready(app, client):
    app.config["HEALTH_MIN_FREE_MB"] = 10**12  # more than any disk has
    status, body = _ready(client)
    assert status == 503
    assert body["reason"].startswith("disk: disk almost full:")
    assert body["checks"]["database"]["ok"]


def test_redis_is_checked_when_configured(app, client):
    app.config["REDIS_URL"] = os.environ.get("TREMPLIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")
    status, body = _ready(client)
    assert status == 200 and body["checks"]["redis"]["ok"], body
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    status, body = _ready(client)
    assert status == 503 and body["reason"] == "redis: redis unreachable: ConnectionError"


def test_an_unreachable_database_is_a_503_not_a_500(app, tmp_path):
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'missing' / 'nowhere' / 'x.db'}")
    with app.test_request_context():
        broken = create_app(config)
    response = broken.test_client().get("/healthz/ready")
    assert response.status_code == 503
    assert response.get_json()["reason"].startswith("database: database unreachable")
