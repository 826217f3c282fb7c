"""The job runner's schedule and its report: every periodic job of the README is scheduled
at its cadence, runs safely twice (and twice at once), and `flask jobs status` and the
administration page show the queue, the last runs and the failures."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import select

from tremplin.platform import jobs
from tremplin.platform.jobs import JobStatus, job

# README "Periodic jobs" -> (job, cadence as crontab fields)
SCHEDULE = {
    "tremplin.platform.notifications.deliver_every_minute": "* * * * *",
    "tremplin.search.queue.sweep": "* * * * *",
    "tremplin.meetups.cli.remind_daily": "0 16 * * *",
    "tremplin.meetups.cli.digest_daily": "0 7 * * *",
    "tremplin.meetups.cli.forget_visitors_daily": "30 3 * * *",
    "tremplin.funding.cli.close_hourly": "5 * * * *",
    "tremplin.funding.cli.retry_hourly": "35 * * * *",
    "tremplin.funding.cli.refunds_hourly": "50 * * * *",
    "tremplin.funding.cli.remind_daily": "15 9 * * *",
    "tremplin.funding.cli.reconcile_daily": "0 4 * * *",
    "tremplin.funding.clubs.cli.tick_hourly": "10 * * * *",
    "tremplin.funding.clubs.cli.remind_daily": "0 9 * * *",
    "tremplin.funding.clubs.cli.sync_card_savings_daily": "0 5 * * *",
    "tremplin.mentoring.cli.remind_quiet_weekly": "0 10 * * 1",
    "tremplin.mentoring.cli.expire_hourly": "45 * * * *",
    "tremplin.api.webhooks.retry_webhooks": "* * * * *",
    "tremplin.platform.health.heartbeat": "* * * * *",
    "tremplin.platform.backup.daily_backup": "17 3 * * *",
}
# The daily backup writes archives: tests/ops covers it (retention, twice, restore).
RUN_HERE = sorted(set(SCHEDULE) - {"tremplin.platform.backup.daily_backup"})


def test_every_periodic_job_is_scheduled_at_its_cadence(app):
    scheduled = {
        name: jobs.describe_schedule(item.schedule)
        for name, item in jobs.registry.items()
        if item.schedule is not None
    }
    assert scheduled == SCHEDULE
    # Huey's scheduler finds them due at the right minutes.
    due = {task.name for task in jobs.huey.read_periodic(datetime(2026, 12, 3, 4, 5))}
    assert due == {
        "tremplin.platform.notifications.deliver_every_minute",
        "tremplin.search.queue.sweep",
        "tremplin.funding.cli.close_hourly",
        "tremplin.api.webhooks.retry_webhooks",
        "tremplin.platform.health.heartbeat",
    }
    due = {task.name for task in jobs.huey.read_periodic(datetime(2026, 12, 7, 10, 0))}  # Monday
    assert "tremplin.mentoring.cli.remind_quiet_weekly" in due
    assert "tremplin.meetups.cli.digest_daily" not in due


def test_every_periodic_job_runs_twice_and_twice_at_once(app, db, make_member):
    make_member("Awa")
    db.session.commit()
    names = RUN_HERE
    for name in names:
        jobs.registry[name].run_now()
        jobs.registry[name].run_now()
    errors = []

    def run(name):
        try:
            with app.app_context():
                jobs.registry[name].run_now()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append((name, exc))

    for name in names:
        threads = [threading.Thread(target=run, args=(name,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    statuses = {s.name: s for s in db.session.scalars(select(JobStatus))}
    assert set(statuses) == set(names)
    assert all(s.last_ok and s.runs == 4 for s in statuses.values()), [
        (s.name, s.last_error) for s in statuses.values() if not s.last_ok
    ]


@job(retries=0)
def _always_fails(reason: str) -> None:
    raise RuntimeError(reason)


def test_status_shows_queue_last_runs_and_failures(app, db, client, auth, make_member):
    jobs.registry["tremplin.funding.cli.close_hourly"].run_now()
    try:
        _always_fails.run_now("le serveur SMTP ne répond pas")
    except RuntimeError:
        pass
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exception is None, repr(result.exception)
    output = result.output
    assert "funding.cli.close_hourly [5 * * * *]" in output
    assert " ok " in output
    assert "en échec : 1" in output
    assert "le serveur SMTP ne répond pas" in output
    assert "E-mails en attente d’envoi : 0" in output

    admin = make_member("Admin", site_role="admin")
    organiser = make_member("Orga", site_role="organiser")
    auth.login_as(organiser)
    assert client.get("/administration/taches").status_code == 403
    auth.login_as(admin)
    page = client.get("/administration/taches")
    assert page.status_code == 200
    assert "Tâches de fond" in page.text
    assert "funding.cli.close_hourly" in page.text
    assert "le serveur SMTP ne répond pas" in page.text
    assert "mentoring.cli.expire_hourly" in page.text and "jamais" in page.text


def test_a_periodic_slot_is_claimed_once_on_the_embedded_sqlite_queue(tmp_path, monkeypatch):
    """Huey's SQLite storage takes no ttl: the claim still works once per slot (the
    embedded default's periodic jobs failed with NotImplementedError), and the claim of
    the slot an hour earlier is forgotten."""
    from huey import SqliteHuey

    from tremplin.platform import jobs

    queue = SqliteHuey("claims", filename=str(tmp_path / "jobs.sqlite3"))
    monkeypatch.setattr(jobs, "huey", queue)
    assert jobs._claim("periodic:digest:202612031500", ttl=3600) is True
    assert jobs._claim("periodic:digest:202612031500", ttl=3600) is False
    assert jobs._claim("periodic:digest:202612031600", ttl=3600) is True
    assert queue.get("periodic:digest:202612031500", peek=True) is None
