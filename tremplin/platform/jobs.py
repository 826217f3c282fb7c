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
thread that committed). `make run` starts a consumer inside the web process
(`JOBS_EMBEDDED`, on unless REDIS_URL is set); in scale-out `flask jobs run` is its own
process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.consumer import Consumer
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from tremplin.platform import transactions
from tremplin.platform.extensions import db

log = logging.getLogger(__name__)

huey = Huey("tremplin", results=False, utc=True, storage_class=MemoryStorage)
_bound: dict[str, Flask | None] = {"app": None}
registry: dict[str, Job] = {}


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
            run_in_app(app, self.func, args, kwargs)
        else:
            self.task(*args, **kwargs)

    def run_now(self, *args, **kwargs) -> Any:
        """Run the job in this thread, in a fresh app context and session (CLI, tests)."""
        app = current_app._get_current_object() if has_app_context() else _bound["app"]
        return run_in_app(app, self.func, args, kwargs)

    # executed by the consumer -------------------------------------------------------------

    def _execute(self, *args, **kwargs):
        app = _bound["app"]
        if app is None:
            raise RuntimeError("jobs: no application bound to the consumer")
        return run_in_app(app, self.func, args, kwargs)

    def _execute_periodic(self):
        # Each consumer's scheduler enqueues periodic jobs: the first one to claim this
        # minute's slot runs it (the key lives in the shared queue storage).
        slot = datetime.now(UTC).strftime("%Y%m%d%H%M")
        if not huey.put_if_empty(f"periodic:{self.name}:{slot}", "1", ttl=3600):
            log.info("jobs: %s already ran for %s", self.name, slot)
            return None
        return self._execute()


def run_in_app(app: Flask, func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """func(*args, **kwargs) in a fresh app context (so a fresh session), committed when it
    returns and rolled back if it raises."""
    with app.app_context():
        try:
            value = func(*args, **kwargs)
            db.session.commit()
            return value
        except BaseException:
            db.session.rollback()
            raise


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
