"""The job runner for real: the server `make run` starts (gunicorn with threads, the
runner its child process), and a consumer killed in the middle of a batch.

The servers run in subprocesses on the test's database (SQLite file or PostgreSQL) with
their own instance folder; nothing is mocked."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import signal
import time
from pathlib import Path

import pytest
import requests
import socketio as socketio_client
from sqlalchemy import func, select

from tests.kit.app import session_cookie_for
from tests.kit.live import drop, wait_for
from tests.kit.processes import (
    BIN,
    ROOT,
    Process,
    alive,
    children,
    csrf_token,
    free_port,
    server_env,
    wait_http,
)
from tremplin.platform import notifications
from tremplin.platform.jobs_process import STARTED_MESSAGE
from tremplin.platform.models import OutboxEmail
from tremplin.search.queue import SearchQueueEntry

GOOD_PASSWORD = "la marmite bout sous le tilleul"


def start_make_run(app, tmp_path, name="server") -> tuple[Process, str, Path]:
    """The server as `make run` starts it (its gunicorn command, read from the Makefile)."""
    instance = tmp_path / "instance"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    makefile = (ROOT / "Makefile").read_text()
    command = re.search(r"^\tTREMPLIN_BIND=\S+ \$\(BIN\)/gunicorn (.+)$", makefile, re.M)
    assert command, "make run no longer starts gunicorn"
    server = Process(
        [str(BIN / "gunicorn"), *command.group(1).split()],
        server_env(app.config, instance, TREMPLIN_BIND=f"127.0.0.1:{port}", TREMPLIN_BASE_URL=url),
        tmp_path / f"{name}.log",
    )
    return server, url, instance


def runner_of(server: Process) -> int | None:
    """The job runner started by the server's master (`flask … jobs run`), if one runs."""
    found = [pid for pid, cmd in children(server.proc.pid).items() if cmd.endswith("jobs run")]
    assert len(found) <= 1, found
    return found[0] if found else None


def test_make_run_serves_like_production_and_mails_within_seconds(app, db, make_member, tmp_path):
    """`make run`'s server command: gunicorn with threads, no version banner, compressed
    and cacheable static files, Socket.IO over websockets, and the job runner beside the
    worker, in a process of its own: a new member's confirmation e-mail is in the outbox
    within 5 s of registering. Stopping the server stops the runner."""
    awa = make_member("Awa", email="awa@exemple.fr")
    db.session.commit()
    server, url, instance = start_make_run(app, tmp_path)
    port = int(url.rsplit(":", 1)[1])
    try:
        wait_http(f"{url}/healthz", server)
        assert wait_for(lambda: STARTED_MESSAGE in server.output()), server.output()
        # The master's children: one gunicorn worker (serving only), one runner.
        processes = children(server.proc.pid)
        runner = runner_of(server)
        assert runner is not None and len(processes) == 2, processes
        home = requests.get(url, headers={"Accept-Encoding": "gzip"})
        assert home.headers["Server"] == "Tremplin"  # no software, no version
        assert "Werkzeug" not in str(home.headers)
        assert home.headers.get("Content-Encoding") == "gzip"

        stylesheet = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', home.text).group(1)
        css = requests.get(url + stylesheet, headers={"Accept-Encoding": "gzip"}, stream=True)
        assert css.status_code == 200
        assert css.headers["Content-Encoding"] == "gzip"
        assert "max-age=31536000" in css.headers["Cache-Control"]
        raw = css.raw.read()
        assert len(raw) < int((ROOT / "static/css/app.css").stat().st_size) / 3
        assert gzip.decompress(raw) == (ROOT / "static/css/app.css").read_bytes()

        # A member who pauses between two actions reuses the connection: the server does
        # not close it under them (at 5 s of keep-alive, a request sent as it closed failed).
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/healthz")
        assert connection.getresponse().read()
        time.sleep(6.5)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
        connection.close()

        # Socket.IO through gunicorn's threads (websocket transport).
        client = socketio_client.Client(reconnection=False)
        received = []
        client.on("*", lambda event, data=None: received.append((event, data)))
        client.connect(
            url,
            headers={"Cookie": f"session={session_cookie_for(app, awa)}"},
            transports=["websocket"],
            wait_timeout=10,
        )
        assert wait_for(lambda: ("notifications:count", {"unread": 0}) in received)
        drop(client)

        browser = requests.Session()
        form = browser.get(f"{url}/inscription").text
        answer = browser.post(
            f"{url}/inscription",
            data={
                "csrf_token": csrf_token(form),
                "display_name": "Nadia Ferhat",
                "email": "nadia@exemple.fr",
                "password": GOOD_PASSWORD,
                "accept_charter": "y",
                "terms": terms_signature(form),
            },
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.text[:2000]
        registered = time.monotonic()
        outbox = instance / "outbox"

        def confirmation():
            for path in outbox.glob("*.eml") if outbox.exists() else ():
                text = path.read_text()
                if "nadia@exemple.fr" in text and "/confirmer/" in text.replace("=\n", ""):
                    return path
            return None

        assert wait_for(confirmation, timeout=5.0), server.output()
        assert time.monotonic() - registered <= 5.0

        # Stopping the server (SIGTERM to the master alone, as `make run`'s Ctrl-C or a
        # service manager would) stops the runner with it.
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=30)
        assert wait_for(lambda: not alive(runner), timeout=10), server.output()
    finally:
        server.stop()


def test_the_runner_is_restarted_if_it_dies_and_never_outlives_the_server(app, db, tmp_path):
    """A runner that dies is started again by the server (and does its work: a mail
    queued afterwards is delivered); a server killed outright (SIGKILL, no chance to stop
    anything) leaves no runner behind."""
    server, url, instance = start_make_run(app, tmp_path)
    try:
        wait_http(f"{url}/healthz", server)
        assert wait_for(lambda: runner_of(server) is not None)
        first = runner_of(server)
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: runner_of(server) not in (None, first), timeout=15)
        second = runner_of(server)

        browser = requests.Session()
        form = browser.get(f"{url}/inscription").text
        answer = browser.post(
            f"{url}/inscription",
            data={
                "csrf_token": csrf_token(form),
                "display_name": "Nadia Ferhat",
                "email": "nadia@exemple.fr",
                "password": GOOD_PASSWORD,
                "accept_charter": "y",
                "terms": terms_signature(form),
            },
            allow_redirects=False,
        )
        assert answer.status_code == 302
        outbox = instance / "outbox"
        assert wait_for(
            lambda: (
                outbox.exists()
                and any("nadia@exemple.fr" in p.read_text() for p in outbox.glob("*.eml"))
            ),
            timeout=15,
        ), server.output()

        server.proc.send_signal(signal.SIGKILL)  # the master only
        server.proc.wait(timeout=10)
        assert wait_for(lambda: not alive(second), timeout=10), server.output()
    finally:
        server.stop()


@pytest.fixture
def queued_app_config(app_config, tmp_path):
    """An app that puts jobs in a real queue (SQLite, under its own instance folder), with
    a file index, for a consumer started in another process."""
    instance = tmp_path / "instance"
    app_config.update(
        JOBS_MODE="queue",
        JOBS_SQLITE_PATH=str(instance / "jobs.sqlite3"),
        SEARCH_INDEX_IN_RAM=False,
        SEARCH_INDEX_DIR=str(instance / "search-index"),
        MAIL_OUTBOX_DIR=str(instance / "outbox"),
    )
    return app_config


def test_a_consumer_killed_mid_batch_loses_no_index_update_and_sends_no_mail_twice(
    queued_app_config, app, db, make_member, tmp_path
):
    members = [make_member(f"Membre {i}", email=f"m{i}@exemple.fr") for i in range(120)]
    with app.test_request_context():
        for member in members[:30]:
            notifications.queue_email(
                member, "Bienvenue", "email/notification.txt", kind="account", text="x", url=None
            )
    db.session.commit()
    queued = db.session.scalar(select(func.count(SearchQueueEntry.id)))
    assert queued >= 120  # stored with the transaction, waiting for the runner
    db.session.rollback()

    instance = tmp_path / "instance"
    env = server_env(app.config, instance, SEARCH_QUEUE_BATCH="4", MAIL_CLAIM_TIMEOUT="1")
    command = [str(BIN / "flask"), "--app", "wsgi", "jobs", "run", "--workers", "2"]

    def left() -> int:
        count = db.session.scalar(select(func.count(SearchQueueEntry.id)))
        db.session.rollback()
        return count

    first = Process(command, env, tmp_path / "runner1.log")
    try:
        assert wait_for(lambda: 0 < left() < queued, timeout=60, interval=0.01), first.output()
        first.signal(signal.SIGKILL)  # in the middle of the batches
        first.proc.wait(timeout=10)
    finally:
        first.stop()
    killed_with = left()
    assert killed_with > 0

    time.sleep(1.5)  # a mail claimed by the killed runner becomes claimable again
    second = Process(command, env, tmp_path / "runner2.log")
    try:

        def done():
            unsent = db.session.scalar(
                select(func.count(OutboxEmail.id)).where(OutboxEmail.sent_at.is_(None))
            )
            db.session.rollback()
            return left() == 0 and unsent == 0

        assert wait_for(done, timeout=90, interval=0.2), second.output()
    finally:
        second.stop()

    # Every document the database calls for is in the index, and nothing else.
    service = app.extensions["search"]
    with app.test_request_context():
        expected = {doc.uid for doc in service.indexer.all_documents()}
    indexed = {fields["uid"] for fields in service.backend.documents()}
    assert expected and indexed == expected
    # Each mail delivered exactly once: one file per mail, no partial file.
    files = sorted((instance / "outbox").glob("*.eml"))
    assert len(files) == 30
    assert not list((instance / "outbox").glob(".*.part"))
    assert {f.name.rsplit("-", 1)[1] for f in files} == {
        f"{mail.id:06d}.eml" for mail in db.session.scalars(select(OutboxEmail))
    }


def terms_signature(form: str) -> str:
    """The signature of the legal texts the registration form shows (none when no text is
    published yet)."""
    found = re.search(r'name="terms" value="([^"]*)"', form)
    return found.group(1) if found else ""
