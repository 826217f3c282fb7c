"""The job runner: Huey, with SQLite storage under instance/ (embedded default) or Redis
when REDIS_URL is set.

    @job(retries=5, retry_delay=30)
    def deliver(delivery_id: int) -> None: ...   # runs in an app context, fresh session;
                                                 # its session is committed when it returns
    deliver.after_commit(delivery.id)   # queued when the outermost transaction commits
    deliver.enqueue(delivery.id)        # queued now (CLI, other jobs)

    @periodic(minute="*/5")             # crontab fields; once per schedule across hosts
    def tick() -> None: ...

Arguments are ids and plain values (they are pickled into the queue), never ORM objects.
Every job is safe to run twice: a consumer killed mid-job loses that job's run (Huey
removes a task from the queue when it starts it), so work that must never be lost is also
kept in the database and swept by a periodic job.

Modes (`JOBS_MODE`): "queue" (the default: Huey storage, run by a consumer) and "sync"
(tests: a job runs right after the commit, in a fresh app context and session, in the
thread that committed). `make run`'s gunicorn starts `flask jobs run` as a child process
beside its worker (`JOBS_EMBEDDED`, on unless REDIS_URL is set; jobs_process.py); in
scale-out `flask jobs run` is its own process. `start_embedded` (a consumer in this
process's threads) remains for test servers that are not gunicorn.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup
from huey import Huey, crontab
from huey.consumer import Consumer
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import Boolean, Integer, String, Text, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from tremplin.platform import jobs_process, transactions
from tremplin.platform.extensions import db
from tremplin.platform.types import UTCDateTime, utcnow

log = logging.getLogger(__name__)

huey = Huey("tremplin", results=False, utc=True, storage_class=MemoryStorage)
_bound: dict[str, Flask | None] = {"app": None}
registry: dict[str, Job] = {}


class JobStatus(db.Model):
    """What the runner last did with a job: every run of a periodic job, every failure of
    any job (successful runs of frequent jobs are not written: they would cost a write each)."""

    __tablename__ = "job_status"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_result: Mapped[str | None] = mapped_column(String(500))
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


def _record(name: str, started: datetime, value: Any = None, error: BaseException | None = None):
    """Write a job's outcome on a connection of its own (never in the job's transaction)."""
    now = utcnow()
    values: dict[str, Any] = {
        "last_started_at": started,
        "last_finished_at": now,
        "last_ok": error is None,
        "runs": JobStatus.runs + 1,
    }
    if error is None:
        values["last_result"] = None if value is None else str(value)[:500]
    else:
        values["failures"] = JobStatus.failures + 1
        values["last_failure_at"] = now
        values["last_error"] = f"{type(error).__name__}: {error}"[:4000]
    table = JobStatus.__table__
    try:
        for _attempt in range(2):
            with db.engine.begin() as conn:
                if conn.execute(update(table).where(table.c.name == name).values(values)).rowcount:
                    return
                try:
                    with conn.begin_nested():
                        row = {k: v for k, v in values.items() if k not in ("runs", "failures")}
                        conn.execute(
                            insert(table).values(
                                name=name, runs=1, failures=int(error is not None), **row
                            )
                        )
                    return
                except IntegrityError:
                    continue  # another thread inserted it first: update it
    except Exception:  # noqa: BLE001 - bookkeeping must never break the job
        log.exception("jobs: could not record the outcome of %s", name)


class Job:
    """A function run by the job runner (see the module docstring)."""

    def __init__(self, func: Callable[..., Any], *, retries: int, retry_delay: int, schedule=None):
        self.func = func
        self.name = f"{func.__module__}.{func.__qualname__}"
        self.retries = retries
        self.retry_delay = retry_delay
        self.schedule = schedule  # the crontab fields of a periodic job, else None
        self.__name__ = func.__name__
        self.__doc__ = func.__doc__
        settings = {"retries": retries, "retry_delay": retry_delay, "name": self.name}
        if schedule is None:
            self.task = huey.task(**settings)(self._execute)
        else:
            self.task = huey.periodic_task(crontab(**schedule), **settings)(self._execute_periodic)
        registry[self.name] = self

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Job {self.name}>"

    # queueing -----------------------------------------------------------------------------

    def after_commit(self, *args, **kwargs) -> None:
        """Queue the job once the current outermost transaction commits."""
        transactions.after_commit(db.session, self.enqueue, *args, **kwargs)

    def enqueue(self, *args, **kwargs) -> None:
        """Queue the job now (in "sync" mode: run it now, in a fresh app context)."""
        app = current_app._get_current_object() if has_app_context() else _bound["app"]
        if app is not None and app.config.get("JOBS_MODE") == "sync":
            self._run(app, args, kwargs)
        else:
            self.task(*args, **kwargs)

    def run_now(self, *args, **kwargs) -> Any:
        """Run the job in this thread, in a fresh app context and session (CLI, tests)."""
        app = current_app._get_current_object() if has_app_context() else _bound["app"]
        return self._run(app, args, kwargs)

    def _run(self, app: Flask, args: tuple, kwargs: dict) -> Any:
        started = utcnow()
        try:
            value = run_in_app(app, self.func, args, kwargs)
        except Exception as exc:
            with app.app_context():
                _record(self.name, started, error=exc)
            raise
        if self.schedule is not None:
            with app.app_context():
                _record(self.name, started, value)
        return value

    # executed by the consumer -------------------------------------------------------------

    def _execute(self, *args, **kwargs):
        app = _bound["app"]
        if app is None:
            raise RuntimeError("jobs: no application bound to the consumer")
        return self._run(app, args, kwargs)

    def _execute_periodic(self):
        # Each consumer's scheduler enqueues periodic jobs: the first one to claim this
        # minute's slot runs it (the key lives in the shared queue storage).
        slot = datetime.now(UTC).strftime("%Y%m%d%H%M")
        if not _claim(f"periodic:{self.name}:{slot}", ttl=3600):
            log.info("jobs: %s already ran for %s", self.name, slot)
            return None
        return self._execute()


def _claim(key: str, ttl: int) -> bool:
    """True for the first caller across hosts. On Redis a plain SET NX EX: Huey's
    put_if_empty with a ttl needs hash-field expiry (Redis 7.4+), and Debian 12 ships 7.0."""
    if isinstance(huey.storage, RedisStorage):
        return bool(huey.storage.conn.set(f"{huey.name}.claim.{key}", "1", nx=True, ex=ttl))
    # Huey's SQLite (and memory) storage takes no ttl: claim without one, and forget the
    # claim of the slot an hour earlier, so the key-value table stays small.
    claimed = huey.put_if_empty(key, "1")
    if claimed:
        name, _, slot = key.rpartition(":")
        try:
            earlier = datetime.strptime(slot, "%Y%m%d%H%M") - timedelta(seconds=ttl)
            huey.get(f"{name}:{earlier:%Y%m%d%H%M}", peek=False)
        except ValueError:
            pass
    return claimed


def run_in_app(app: Flask, func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """func(*args, **kwargs) in a fresh app context (so a fresh session), committed when it
    returns and rolled back if it raises."""
    with app.app_context(), app.test_request_context("/", base_url=app.config["TREMPLIN_BASE_URL"]):
        # A request context of its own, so jobs build absolute links as the site does.
        try:
            value = func(*args, **kwargs)
            db.session.commit()
            return value
        except BaseException:
            db.session.rollback()
            raise


_on_start: list[Job] = []


def on_consumer_start(item: Job) -> Job:
    """Queue this job whenever a consumer starts (to pick up what a stopped one left)."""
    _on_start.append(item)
    return item


def job(retries: int = 3, retry_delay: int = 10) -> Callable[[Callable[..., Any]], Job]:
    def decorator(func: Callable[..., Any]) -> Job:
        return Job(func, retries=retries, retry_delay=retry_delay)

    return decorator


def periodic(
    minute: str = "*",
    hour: str = "*",
    day: str = "*",
    month: str = "*",
    day_of_week: str = "*",
    retries: int = 0,
    retry_delay: int = 60,
) -> Callable[[Callable[..., Any]], Job]:
    schedule = {
        "minute": minute,
        "hour": hour,
        "day": day,
        "month": month,
        "day_of_week": day_of_week,
    }

    def decorator(func: Callable[..., Any]) -> Job:
        return Job(func, retries=retries, retry_delay=retry_delay, schedule=schedule)

    return decorator


# --- wiring ----------------------------------------------------------------------------------


def storage_for(app: Flask):
    """The queue storage the configuration asks for."""
    if app.config.get("REDIS_URL"):
        return RedisStorage(huey.name, url=app.config["REDIS_URL"], blocking=True, read_timeout=1)
    path = Path(app.config["JOBS_SQLITE_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteStorage(huey.name, filename=str(path), timeout=10)


def init_app(app: Flask) -> None:
    app.config.setdefault("JOBS_MODE", "sync" if app.testing else "queue")
    app.config.setdefault("JOBS_SQLITE_PATH", str(Path(app.instance_path) / "jobs.sqlite3"))
    app.config.setdefault("JOBS_WORKERS", 2)
    app.config.setdefault("JOBS_EMBEDDED", not app.config.get("REDIS_URL"))
    if app.config["JOBS_MODE"] == "queue":
        huey.storage = storage_for(app)
        _bound["app"] = app
    if jobs_cli.name not in app.cli.commands:
        app.cli.add_command(jobs_cli)


class _EmbeddedConsumer(Consumer):
    """A consumer inside another server's process: threads only, and it leaves the
    process's signal handlers to their owner (gunicorn)."""

    def _set_signal_handlers(self) -> None:
        pass


_embedded: dict[str, Consumer | None] = {"consumer": None}
_embedded_lock = threading.Lock()


def consumer_for(app: Flask, *, embedded: bool, workers: int | None = None) -> Consumer:
    init_app(app)
    if app.config["JOBS_MODE"] != "queue":
        raise RuntimeError("jobs: a consumer needs JOBS_MODE=queue")
    _bound["app"] = app
    for item in _on_start:
        item.task()
    cls = _EmbeddedConsumer if embedded else Consumer
    return cls(
        huey,
        workers=workers or app.config["JOBS_WORKERS"],
        worker_type="thread",
        periodic=True,
        initial_delay=0.05,
        backoff=1.5,
        max_delay=0.5,  # an idle worker looks at the queue twice a second (SQLite polls)
        scheduler_interval=1,
        check_worker_health=False,
    )


def start_embedded(app: Flask) -> Consumer | None:
    """Start a consumer in this process's threads (`make run`), once."""
    with _embedded_lock:
        if _embedded["consumer"] is None:
            consumer = consumer_for(app, embedded=True)
            consumer.start()
            _embedded["consumer"] = consumer
            log.info("jobs: embedded consumer started (%s)", type(huey.storage).__name__)
        return _embedded["consumer"]


def stop_embedded() -> None:
    with _embedded_lock:
        consumer, _embedded["consumer"] = _embedded["consumer"], None
    if consumer is not None:
        consumer.stop(graceful=True)


# --- what the runner is doing (`flask jobs status`, the administration page) -----------------

backlogs: list[tuple[Any, Callable[[], int]]] = []


def register_backlog(label: Any, count: Callable[[], int]) -> None:
    """Something waiting in the database for the runner (mail to send, index updates)."""
    backlogs.append((label, count))


def describe_schedule(schedule: dict[str, str]) -> str:
    return " ".join(schedule[k] for k in ("minute", "hour", "day", "month", "day_of_week"))


def status_report() -> dict[str, Any]:
    """Queue depth, backlogs, each periodic job's last run, and failing jobs."""
    try:
        queued: int | None = huey.pending_count()
        scheduled: int | None = huey.scheduled_count()
    except Exception:  # noqa: BLE001 - the queue store is away: say so, do not fail
        queued = scheduled = None
    statuses = {s.name: s for s in db.session.scalars(select(JobStatus))}
    periodic_jobs = [
        (j, describe_schedule(j.schedule), statuses.get(j.name))
        for j in sorted(registry.values(), key=lambda j: j.name)
        if j.schedule is not None
    ]
    failing = [
        s
        for s in sorted(statuses.values(), key=lambda s: s.last_failure_at or s.last_started_at)
        if s.failures and s.last_ok is False
    ]
    return {
        "mode": current_app.config.get("JOBS_MODE"),
        "storage": type(huey.storage).__name__,
        "queued": queued,
        "scheduled": scheduled,
        "backlogs": [(label, count()) for label, count in backlogs],
        "periodic": periodic_jobs,
        "failing": failing,
    }


jobs_cli = AppGroup("jobs", help="Tâches de fond : exécuteur, état.")


@jobs_cli.command("run")
@click.option("--workers", type=click.IntRange(1, 32), default=None)
def run_command(workers: int | None) -> None:
    """Run the job runner's consumer (`make run`: gunicorn starts it; scale-out: run it)."""
    app = current_app._get_current_object()
    app.config["JOBS_MODE"] = "queue"
    consumer = consumer_for(app, embedded=False, workers=workers)
    # Started by the web server (`make run`, jobs_process.py): stop with it, even if it
    # dies without saying so (a graceful stop, as on Ctrl-C).
    if jobs_process.watch_parent(lambda: os.kill(os.getpid(), signal.SIGINT)):
        log.info("%s (%s)", jobs_process.STARTED_MESSAGE, type(huey.storage).__name__)
    consumer.run()


@jobs_cli.command("status")
def status_command() -> None:
    """Queue depth, backlogs, periodic jobs' last runs, failures."""
    report = status_report()
    click.echo(f"mode {report['mode']}, file {report['storage']}")
    click.echo(f"en file : {report['queued']}, programmées : {report['scheduled']}")
    for label, count in report["backlogs"]:
        click.echo(f"{label} : {count}")
    click.echo("tâches périodiques :")
    for item, schedule, status in report["periodic"]:
        if status is None:
            last = "jamais lancée"
        else:
            outcome = "ok" if status.last_ok else "ÉCHEC"
            last = f"{status.last_finished_at:%Y-%m-%d %H:%M} UTC {outcome} {status.last_result or status.last_error or ''}"
        click.echo(f"  {item.name} [{schedule}] {last}")
    click.echo(f"en échec : {len(report['failing'])}")
    for status in report["failing"]:
        click.echo(f"  {status.name} ({status.failures}) {status.last_error}")
