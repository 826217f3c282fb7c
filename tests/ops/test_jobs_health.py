"""/healthz/ready follows the job runner: 503 when its consumer is stopped, 200 again as
soon as one runs; and the runner takes the daily backup with its retention."""

from __future__ import annotations

import time

import pytest

from tests.kit.live import wait_for
from tremplin.platform import backup, health, jobs


@pytest.fixture
def queued(app, tmp_path):
    """The app with a real Huey queue (SQLite storage, as `make run` has it)."""
    storage, bound = jobs.huey.storage, jobs._bound["app"]
    app.config.update(
        JOBS_MODE="queue",
        JOBS_SQLITE_PATH=str(tmp_path / "jobs.sqlite3"),
        HEALTH_HEARTBEAT_MAX_AGE=2,
    )
    jobs.init_app(app)
    consumers = []

    def start():
        consumer = jobs.consumer_for(app, embedded=True, workers=1)
        consumer.start()
        consumers.append(consumer)
        return consumer

    yield start
    for consumer in consumers:
        consumer.stop(graceful=True)
    jobs.huey.storage, jobs._bound["app"] = storage, bound


def _status(client):
    response = client.get("/healthz/ready")
    return response.status_code, response.get_json()


def test_ready_follows_the_job_runner(client, queued):
    consumer = queued()
    assert wait_for(lambda: _status(client)[0] == 200, timeout=15), _status(client)
    assert _status(client)[1]["checks"]["jobs"]["ok"]

    consumer.stop(graceful=True)
    time.sleep(2.5)  # longer than HEALTH_HEARTBEAT_MAX_AGE
    status, body = _status(client)
    assert status == 503
    assert body["reason"].startswith("jobs: job runner: no heartbeat for")
    time.sleep(1)
    assert _status(client)[0] == 503  # still stopped: still not ready

    queued()  # the runner comes back: the probe queued meanwhile is answered at once
    started = time.monotonic()
    assert wait_for(lambda: _status(client)[0] == 200, timeout=15), _status(client)
    assert time.monotonic() - started < 10


def test_no_runner_at_all_is_not_ready(client, queued):
    status, body = _status(client)
    assert status == 503 and body["reason"] == "jobs: job runner: no heartbeat yet"


def test_the_runner_takes_the_daily_backup_and_applies_retention(app, make_member, tmp_path):
    app.config.update(BACKUP_DIR=str(tmp_path / "backups"), BACKUP_SECRET_FILES=[])
    app.config.update(BACKUP_KEEP_DAILY=1, BACKUP_KEEP_WEEKLY=1)
    make_member()
    assert backup.daily_backup.schedule == {
        "minute": "17",
        "hour": "3",
        "day": "*",
        "month": "*",
        "day_of_week": "*",
    }
    assert health.heartbeat.schedule["minute"] == "*"
    backup.daily_backup.run_now()
    time.sleep(1.1)  # archives are named to the second
    backup.daily_backup.run_now()
    left = backup.list_backups(app)
    assert len(left) == 1  # the day's newest; the first one was pruned
    with pytest.raises(backup.BackupError):
        backup.read_archive(tmp_path / "nothing.tar.gz", tmp_path)
    assert backup.read_archive(left[0].path, tmp_path / "check")["format"] == backup.FORMAT
