"""Scale-out: two app processes share Socket.IO rooms through Redis and one PostgreSQL
database. A message sent to one process reaches a client connected to the other.

Runs against a dedicated database (`tremplin_scale`, created and dropped here) and a
dedicated Redis database. Without PostgreSQL or Redis the test is skipped — except with
CI=true, where it fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import socketio
from sqlalchemy import create_engine, text

from tests.kit.app import CI, PG_URL, base_config, session_cookie_for
from tests.kit.live import drop, wait_for

pytestmark = pytest.mark.scale

REDIS_URL = os.environ.get("TREMPLIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
DATABASE = "tremplin_scale"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def unavailable(message: str):
    if CI:
        pytest.fail(f"{message} (CI=true: the scale test must run)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def services():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        unavailable(f"Redis does not answer at {REDIS_URL}: {exc}")
    admin_url = "postgresql+psycopg://" + PG_URL.split("://", 1)[1]
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    except Exception as exc:  # noqa: BLE001
        unavailable(f"PostgreSQL does not answer at {PG_URL}: {exc}")
    url = admin_url.rsplit("/", 1)[0] + f"/{DATABASE}"
    yield url, REDIS_URL
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
    admin.dispose()


def start(port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.scale.server", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"app process exited: {process.stdout.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not start")


def test_a_message_sent_to_one_process_reaches_a_client_on_the_other(services, tmp_path):
    database_url, redis_url = services
    from tremplin import create_app
    from tremplin.groups import groups as group_services
    from tremplin.platform.accounts import create_member
    from tremplin.platform.extensions import db

    config = {**base_config(tmp_path, database_url), "REDIS_URL": redis_url}
    app = create_app(config)
    with app.test_request_context():
        db.create_all()
        claire = create_member(
            "claire@exemple.fr", "une phrase de passe solide", "Claire", site_role="organiser"
        )
        awa = create_member("awa@exemple.fr", "une phrase de passe solide", "Awa")
        group = group_services.create_group(
            claire,
            group_services.GroupFields(name="Restauration", description="…", theme="restauration"),
        )
        group_services.join(awa, group, accept_charter=True)
        channel_id = group.channels[0].id
        db.session.commit()
        cookies = {"claire": session_cookie_for(app, claire), "awa": session_cookie_for(app, awa)}
        db.engine.dispose()

    env = {
        **os.environ,
        "DATABASE_URL": database_url.replace("+psycopg", ""),
        "REDIS_URL": redis_url,
        "SECRET_KEY": config["SECRET_KEY"],
        "PYTHONUNBUFFERED": "1",
    }
    ports = [free_port(), free_port()]
    processes = [start(port, env) for port in ports]
    clients = []
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, processes, strict=True):
            wait_healthy(url, process)
        for name, url in (("claire", urls[0]), ("awa", urls[1])):
            client = socketio.Client(reconnection=False)
            client.received = []
            client.on("*", lambda event, data=None, c=client: c.received.append((event, data)))
            client.connect(
                url,
                headers={"Cookie": f"session={cookies[name]}"},
                transports=["websocket"],
                wait_timeout=5,
            )
            assert client.call("channel:join", {"channel_id": channel_id}, timeout=5)["ok"]
            clients.append(client)
        sender, receiver = clients

        started = time.perf_counter()
        answer = sender.call(
            "message:send",
            {"channel_id": channel_id, "body": "Bonjour depuis le process 1"},
            timeout=5,
        )
        assert answer["ok"], answer
        got = wait_for(
            lambda: [
                d for e, d in receiver.received if e == "message:new" and d["id"] == answer["id"]
            ],
            timeout=5,
        )
        elapsed = time.perf_counter() - started
        assert got and got[0]["body"] == "Bonjour depuis le process 1"
        assert elapsed < 2, f"cross-process delivery took {elapsed:.3f}s"

        # The other way round, and the stored history is the same on both processes.
        back = receiver.call(
            "message:send", {"channel_id": channel_id, "body": "Reçu, process 2"}, timeout=5
        )
        assert wait_for(
            lambda: [d for e, d in sender.received if e == "message:new" and d["id"] == back["id"]]
        )
        history = sender.call("history", {"channel_id": channel_id}, timeout=5)["messages"]
        assert [m["body"] for m in history] == ["Bonjour depuis le process 1", "Reçu, process 2"]
    finally:
        for client in clients:
            drop(client)
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
