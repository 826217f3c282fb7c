"""Chat fan-out: delivery latency of a channel message to 1 and to 200 clients in one room.

    .venv/bin/python bench/chat_fanout.py [--clients 200] [--messages 30]

Starts the real app (HTTP + Socket.IO, threading mode, Werkzeug threaded server) on a free
loopback port with a throwaway SQLite database, connects real python-socketio clients
over websockets, has one member post through `message:send` (stored, committed, then
emitted) and measures, per receiving client, the time from the send to the `message:new`
event. Prints p50/p95 for each room size and the ratio between them.

Clients and server share this process (and its GIL), so the figures are an upper bound of
what separate browsers would see. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import socketio  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from tremplin import create_app  # noqa: E402
from tremplin.platform.extensions import db  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def build(folder: str, clients: int):
    from datetime import timedelta

    from tremplin.groups import groups as services
    from tremplin.groups.models import GroupMembership
    from tremplin.platform.models import User
    from tremplin.platform.types import utcnow

    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "bench-secret",
            "REDIS_URL": None,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_OUTBOX_DIR": f"{folder}/outbox",
            "GROUPS_MESSAGES_PER_MINUTE": 100_000,
            "SEARCH_INDEX_IN_RAM": True,
            "SEARCH_INDEX_DIR": f"{folder}/index",
        }
    )
    password = generate_password_hash("bench", method="pbkdf2:sha256:1000")
    old = utcnow() - timedelta(days=365)
    with app.test_request_context():
        db.create_all()
        people = [
            User(
                email=f"m{n}@bench.local",
                display_name=f"Membre {n}",
                password_hash=password,
                email_confirmed_at=old,
                created_at=old,
                site_role="organiser" if n == 0 else "member",
            )
            for n in range(clients + 1)
        ]
        db.session.add_all(people)
        db.session.flush()
        group = services.create_group(
            people[0], name="Banc d'essai", description="…", theme="numerique"
        )
        for user in people[1:]:
            db.session.add(GroupMembership(group=group, user=user, state="active", joined_at=old))
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [serializer.dumps({"_user_id": u.get_id(), "_fresh": True}) for u in people]
        channel_id = group.channels[0].id
    return app, cookies, channel_id


def connect(url: str, cookie: str, channel_id: int, sink=None) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    if sink is not None:
        client.on("message:new", lambda data: sink(data["id"], time.perf_counter()))
    client.connect(
        url, headers={"Cookie": f"session={cookie}"}, transports=["websocket"], wait_timeout=10
    )
    answer = client.call("channel:join", {"channel_id": channel_id}, timeout=10)
    assert answer["ok"], answer
    return client


def run(
    url: str, cookies: list[str], channel_id: int, receivers: int, messages: int, pause: float
) -> list[float]:
    received: dict[int, list[float]] = {}
    lock = threading.Lock()

    def sink(message_id: int, at: float) -> None:
        with lock:
            received.setdefault(message_id, []).append(at)

    clients = []
    for cookie in cookies[1 : receivers + 1]:
        clients.append(connect(url, cookie, channel_id, sink))
    sender = connect(url, cookies[0], channel_id)
    latencies: list[float] = []
    try:
        for n in range(messages):
            started = time.perf_counter()
            answer = sender.call(
                "message:send", {"channel_id": channel_id, "body": f"Message {n}"}, timeout=10
            )
            message_id = answer["id"]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with lock:
                    if len(received.get(message_id, ())) >= receivers:
                        break
                time.sleep(0.0005)
            with lock:
                arrivals = received.get(message_id, [])
            if len(arrivals) < receivers:
                raise SystemExit(f"message {n}: {len(arrivals)}/{receivers} deliveries")
            latencies.extend((at - started) * 1000 for at in arrivals)
            time.sleep(pause)
    finally:
        for client in [*clients, sender]:
            if client.eio.ws is not None:
                client.eio.ws.shutdown()
            client.eio.disconnect(abort=True)
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between messages")
    args = parser.parse_args()
    os.environ.setdefault("FLASK_DEBUG", "0")
    with tempfile.TemporaryDirectory() as folder:
        app, cookies, channel_id = build(folder, args.clients)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        results = {}
        for receivers in (1, args.clients):
            run(url, cookies, channel_id, receivers, 3, args.pause)  # warm-up
            latencies = run(url, cookies, channel_id, receivers, args.messages, args.pause)
            results[receivers] = (statistics.median(latencies), percentile(latencies, 0.95))
            print(
                f"{receivers:>4} client(s) in the room: p50 {results[receivers][0]:7.2f} ms   "
                f"p95 {results[receivers][1]:7.2f} ms   ({len(latencies)} deliveries)",
                flush=True,
            )
        server.shutdown()
        one, many = results[1], results[args.clients]
        print(f"ratio {args.clients}/1: p50 x{many[0] / one[0]:.1f}   p95 x{many[1] / one[1]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
