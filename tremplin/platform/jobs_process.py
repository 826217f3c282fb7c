"""The job runner as a child process of the web server (`make run`).

gunicorn's master starts `flask jobs run` beside its worker (gunicorn.conf.py,
`when_ready`), restarts it if it dies, and stops it when the server stops. The web process
then only serves requests: indexing messages in Whoosh, sending mail and the periodic jobs
run in another process, so they never hold the web process's GIL. The two share the
queue (SQLite under instance/, Huey) and the database.

If the master dies without stopping it (SIGKILL), the runner notices it has a new parent
and stops on its own (`watch_parent`): no orphan keeps running. Standard library only: the
master imports this module, and should not load the application.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

PARENT_ENV = "TREMPLIN_JOBS_PARENT_PID"
STARTED_MESSAGE = "jobs: runner process started beside the web server"


class RunnerProcess:
    """`flask --app <app> jobs run`, supervised from a thread of the calling process.

    gunicorn's master also reaps any child of its own (`os.waitpid(-1)`): it may collect
    the runner's exit status before this thread does; either way the thread sees the
    runner gone and starts a new one.

    The master forks its workers from its main thread while this thread may be starting
    the runner: a worker forked then would inherit the pipe through which Popen learns
    that the runner has started (closed by the runner's exec, never by a worker that does
    not exec), and Popen would wait until that worker exits. So a fork waits for a start
    in progress to finish (`os.register_at_fork`)."""

    def __init__(self, app: str, log, *, command: list[str] | None = None):
        self.command = command or [sys.executable, "-m", "flask", "--app", app, "jobs", "run"]
        self.log = log
        self.restarts = 0
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._spawning = threading.Lock()  # held while Popen starts the runner
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="jobs-runner", daemon=True)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None else None

    def start(self) -> RunnerProcess:
        os.register_at_fork(
            before=self._spawning.acquire,
            after_in_parent=self._spawning.release,
            after_in_child=self._spawning.release,
        )
        self._thread.start()
        return self

    def _spawn(self) -> subprocess.Popen | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            env = {**os.environ, PARENT_ENV: str(os.getpid())}
            with self._spawning:  # no fork of the master meanwhile (see the class)
                self._proc = subprocess.Popen(self.command, env=env)  # noqa: S603
            return self._proc

    def _supervise(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                proc = self._spawn()
            except OSError as exc:
                self.log.error("jobs: could not start the runner: %s", exc)
                proc = None
            if proc is not None:
                self.log.info("jobs: runner process %s started", proc.pid)
                code = proc.wait()
                if self._stopping.is_set():
                    break
                self.log.warning("jobs: runner process %s stopped (%s)", proc.pid, code)
            if time.monotonic() - started > 60:
                delay = 1.0  # it ran a while: restart at once
            self.restarts += 1
            self._stopping.wait(delay)
            delay = min(delay * 2, 30.0)  # it keeps failing: do not spin

    def stop(self, timeout: float = 10.0) -> None:
        """Stop supervising, and stop the runner gracefully (it finishes the job in hand),
        killing it after `timeout` seconds."""
        with self._lock:
            self._stopping.set()
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Huey's graceful stop
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def watch_parent(stop: Callable[[], None], interval: float = 1.0) -> threading.Thread | None:
    """In the runner started by `RunnerProcess`: call `stop()` once the process that
    started it is gone (the runner has been handed to another parent)."""
    expected = os.environ.get(PARENT_ENV)
    if not expected or not expected.isdigit():
        return None
    parent = int(expected)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        stop()

    thread = threading.Thread(target=watch, name="jobs-parent-watch", daemon=True)
    thread.start()
    return thread
