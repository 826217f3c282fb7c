"""Crash safety of the embedded default: writers against the web server and the job runner
(one process, as `make run` serves), killed with SIGKILL at random moments, restarted.

After every restart: `PRAGMA integrity_check` is ok, every write that was acknowledged
(a registration answered 302, a ledger movement printed after its commit) is there, every
ledger movement balances. At the end the runner drains its queue: every job still queued
runs, and none runs twice. Bounded: four rounds of a few seconds each.
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.kit.app import CI
from tests.kit.live import wait_for

ROUNDS = 4
ROOT = Path(__file__).resolve().parents[2]
OUTCOMES: Counter = Counter()  # what the writers saw, for the failure message
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, folder: Path):
        self.folder = folder
        self.ledger_keys: list[str] = []

    def start(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        env.pop("DATABASE_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ops.crash_server", str(self.port), str(self.folder)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        assert wait_for(self._answers, timeout=90, interval=0.2), "the server did not start"
        # the first render of a page compiles its templates: not part of the writers' time
        requests.get(self.url + "/inscription", timeout=60).raise_for_status()

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("LEDGER "):
                self.ledger_keys.append(line.split()[1])

    def _answers(self) -> bool:
        try:
            return requests.get(self.url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.reader.join(timeout=5)


def register_writer(server: Server, stop: threading.Event, acked: list[str], name: str):
    http = requests.Session()
    n = 0
    while not stop.is_set():
        n += 1
        email = f"{name}-{time.time_ns()}-{n}@crash.example"
        try:
            page = http.get(server.url + "/inscription", timeout=30)
            token = CSRF.search(page.text).group(1)
            answer = http.post(
                server.url + "/inscription",
                data={
                    "csrf_token": token,
                    "display_name": f"Membre {n}",
                    "email": email,
                    "password": "des galets roulent sous la lune rousse",
                    "accept_charter": "y",
                    "terms": terms_signature(page.text),
                },
                allow_redirects=False,
                timeout=30,
            )
        except (requests.RequestException, AttributeError) as exc:
            OUTCOMES[type(exc).__name__] += 1
            if server.process.poll() is not None or stop.is_set():
                return  # the server died: this writer's round is over
            continue
        OUTCOMES[(answer.status_code, answer.headers.get("Location"))] += 1
        if answer.status_code == 302 and "/verifiez-vos-emails" in answer.headers["Location"]:
            acked.append(email)  # answered after the commit: it must survive anything


def check_database(folder: Path, acked: list[str], ledger_keys: list[str]) -> dict:
    # What was acknowledged before the database is read: with the last server still
    # writing, a key printed after our read (and appended to the live list meanwhile)
    # would look lost.
    acked, ledger_keys = list(acked), list(ledger_keys)
    connection = sqlite3.connect(folder / "tremplin.sqlite3")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        emails = {row[0] for row in connection.execute("SELECT email FROM users")}
        missing = [e for e in acked if e not in emails]
        assert not missing, f"{len(missing)} acknowledged registrations lost"
        keys = {row[0] for row in connection.execute("SELECT key FROM ledger_transactions")}
        lost = [k for k in ledger_keys if k not in keys]
        assert not lost, f"{len(lost)} committed ledger movements lost"
        unbalanced = connection.execute(
            "SELECT t.key FROM ledger_transactions t JOIN ledger_entries e "
            "ON e.transaction_id = t.id GROUP BY t.id HAVING SUM(e.amount_cents) != 0 "
            "OR COUNT(*) != 2"
        ).fetchall()
        assert unbalanced == []
        total = connection.execute("SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_entries")
        assert total.fetchone()[0] == 0
        return {"users": len(emails), "movements": len(keys)}
    finally:
        connection.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_at_random_moments_loses_no_committed_write(tmp_path):
    rng = random.Random(os.environ.get("CRASH_SEED") or time.time_ns())
    server = Server(tmp_path)
    acked: list[str] = []
    started = time.monotonic()
    for round_ in range(ROUNDS):
        server.start()
        stop = threading.Event()
        writers = [
            threading.Thread(target=register_writer, args=(server, stop, acked, f"w{round_}{i}"))
            for i in range(4)
        ]
        for writer in writers:
            writer.start()
        time.sleep(rng.uniform(4.0, 8.0))  # a random moment in the middle of the writes
        server.kill()
        stop.set()
        for writer in writers:
            writer.join(timeout=10)
        check_database(tmp_path, acked, server.ledger_keys)
    assert acked and server.ledger_keys, f"the writers wrote nothing: {OUTCOMES}"

    server.start()  # the last restart: the runner drains what was queued before the kills
    try:

        def queue_empty() -> bool:
            connection = sqlite3.connect(tmp_path / "jobs.sqlite3")
            try:
                return connection.execute("SELECT COUNT(*) FROM task").fetchone()[0] == 0
            finally:
                connection.close()

        assert wait_for(queue_empty, timeout=30), "queued jobs did not run after the restart"
        counts = check_database(tmp_path, acked, server.ledger_keys)
        connection = sqlite3.connect(tmp_path / "tremplin.sqlite3")
        runs = connection.execute(
            "SELECT user_id, COUNT(*) FROM crash_job_runs GROUP BY user_id"
        ).fetchall()
        connection.close()
        assert all(n == 1 for _user, n in runs), "a job ran twice"
        ran = len(runs)
        print(
            f"\ncrash: {ROUNDS} SIGKILLs, {len(acked)} acknowledged registrations, "
            f"{len(server.ledger_keys)} ledger movements, all present; {counts}; "
            f"welcome jobs run once: {ran} of {counts['users']} "
            f"({counts['users'] - ran} lost with the process that had started them or "
            f"had committed but not yet queued them); {time.monotonic() - started:.0f} s"
        )
        # A job queued before a kill survives it (Huey's SQLite queue is durable); only a
        # job the killed process had already started, or had not yet queued, can be lost.
        assert counts["users"] - ran <= ROUNDS * 4
    finally:
        server.kill()
    if CI:
        assert time.monotonic() - started < 300


def terms_signature(form: str) -> str:
    """The signature of the legal texts the registration form shows (none when no text is
    published yet)."""
    found = re.search(r'name="terms" value="([^"]*)"', form)
    return found.group(1) if found else ""
