"""Chat fan-out: delivery latency of a channel message to 1 and to 200 clients in one room,
and across two server processes sharing Redis.

    .venv/bin/python bench/chat_fanout.py [--clients 200] [--messages 30] [--redis URL]

The real app (HTTP + Socket.IO, threading mode, Werkzeug threaded server) runs in its own
process on a free loopback port with a throwaway SQLite database. The receiving clients
(real python-socketio clients over websockets) run in separate worker processes, as
browsers would: in the first version of this bench they shared the server's process and
its GIL, and 200 clients decoding every frame in the server's own interpreter made up most
of the "9.6x" it reported. One member posts through `message:send` (stored, committed,
then emitted once to the room); each receiver records when `message:new` arrives
(CLOCK_MONOTONIC, shared by every process of the machine). Prints p50/p95 per room size
and the ratios.

With --redis (default: $TREMPLIN_TEST_REDIS_URL or $REDIS_URL when set) a second part
starts two server processes on the same Redis message queue: the sender talks to server A,
the receivers listen on server A (same process) then on server B (cross-process).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CLIENTS_PER_WORKER = 50


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def make_app(folder: str, redis_url: str | None):
    from tremplin import create_app

    return create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "bench-secret",
            "REDIS_URL": redis_url,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_OUTBOX_DIR": f"{folder}/outbox",
            "GROUPS_MESSAGES_PER_MINUTE": 100_000,
            "SEARCH_INDEX_IN_RAM": True,
            "SEARCH_INDEX_DIR": f"{folder}/index",
        }
    )


def build(folder: str, clients: int):
    from datetime import timedelta

    from werkzeug.security import generate_password_hash

    from tremplin.groups import groups as services
    from tremplin.groups.models import GroupMembership
    from tremplin.platform.extensions import db
    from tremplin.platform.models import User
    from tremplin.platform.types import utcnow

    app = make_app(folder, None)
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
            people[0], services.GroupFields(name="Banc d'essai", description="…", theme="numerique")
        )
        for user in people[1:]:
            db.session.add(GroupMembership(group=group, user=user, state="active", joined_at=old))
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [serializer.dumps({"_user_id": u.get_id(), "_fresh": True}) for u in people]
        channel_id = group.channels[0].id
    return cookies, channel_id


def serve(folder: str, redis_url: str | None, ports) -> None:
    """A server process: the app on a free port, until killed."""
    os.environ["FLASK_DEBUG"] = "0"
    from werkzeug.serving import make_server

    app = make_app(folder, redis_url)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    ports.put(server.server_port)
    server.serve_forever()


def connect(url: str, cookie: str, channel_id: int, sink=None):
    import socketio

    client = socketio.Client(reconnection=False)
    if sink is not None:
        client.on("message:new", lambda data: sink(data["id"], time.monotonic()))
    client.connect(
        url, headers={"Cookie": f"session={cookie}"}, transports=["websocket"], wait_timeout=20
    )
    answer = client.call("channel:join", {"channel_id": channel_id}, timeout=20)
    assert answer["ok"], answer
    return client


def receive(url: str, cookies: list[str], channel_id: int, pipe) -> None:
    """A worker process holding some receiving clients: 'ready', then on 'stop' sends
    back every (message id, arrival time)."""
    arrivals: list[tuple[int, float]] = []
    lock = threading.Lock()

    def sink(message_id: int, at: float) -> None:
        with lock:
            arrivals.append((message_id, at))

    clients = [connect(url, cookie, channel_id, sink) for cookie in cookies]
    pipe.send("ready")
    pipe.recv()  # stop
    with lock:
        pipe.send(list(arrivals))
    for client in clients:
        if client.eio.ws is not None:
            client.eio.ws.shutdown()
        client.eio.disconnect(abort=True)


def run(
    send_url: str,
    receive_url: str,
    cookies: list[str],
    channel_id: int,
    receivers: int,
    messages: int,
    pause: float,
) -> list[float]:
    """Latencies (ms) of every delivery of `messages` messages to `receivers` clients."""
    ctx = mp.get_context("spawn")
    workers = []
    batch = cookies[1 : receivers + 1]
    for start in range(0, len(batch), CLIENTS_PER_WORKER):
        here, there = ctx.Pipe()
        process = ctx.Process(
            target=receive,
            args=(receive_url, batch[start : start + CLIENTS_PER_WORKER], channel_id, there),
            daemon=True,
        )
        process.start()
        workers.append((process, here))
    for _process, pipe in workers:
        if not pipe.poll(120):
            raise SystemExit("receivers did not connect in time")
        pipe.recv()
    sender = connect(send_url, cookies[0], channel_id)
    sent: dict[int, float] = {}
    try:
        for n in range(messages):
            started = time.monotonic()
            answer = sender.call(
                "message:send", {"channel_id": channel_id, "body": f"Message {n}"}, timeout=20
            )
            sent[answer["id"]] = started
            time.sleep(pause)
    finally:
        if sender.eio.ws is not None:
            sender.eio.ws.shutdown()
        sender.eio.disconnect(abort=True)
    time.sleep(1.0)  # the last deliveries
    latencies: list[float] = []
    counts: dict[int, int] = {}
    for process, pipe in workers:
        pipe.send("stop")
        for message_id, at in pipe.recv():
            if message_id in sent:
                latencies.append((at - sent[message_id]) * 1000)
                counts[message_id] = counts.get(message_id, 0) + 1
        process.join(10)
    missing = [m for m in sent if counts.get(m, 0) < receivers]
    if missing:
        raise SystemExit(f"{len(missing)} message(s) not delivered to every receiver")
    return latencies


def measure(label, send_url, receive_url, cookies, channel_id, receivers, args):
    run(send_url, receive_url, cookies, channel_id, receivers, 3, args.pause)  # warm-up
    latencies = run(
        send_url, receive_url, cookies, channel_id, receivers, args.messages, args.pause
    )
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    print(
        f"{label:<34} {receivers:>4} client(s): p50 {p50:7.2f} ms   p95 {p95:7.2f} ms"
        f"   ({len(latencies)} deliveries)",
        flush=True,
    )
    return p50, p95


def start_server(ctx, folder, redis_url):
    ports = ctx.Queue()
    process = ctx.Process(target=serve, args=(folder, redis_url, ports), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{ports.get(timeout=60)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.25, help="seconds between messages")
    parser.add_argument(
        "--redis",
        default=os.environ.get("TREMPLIN_TEST_REDIS_URL") or os.environ.get("REDIS_URL"),
        help="Redis URL for the two-process part (omit to skip it)",
    )
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        cookies, channel_id = build(folder, args.clients)
        server, url = start_server(ctx, folder, None)
        try:
            one = measure("one process", url, url, cookies, channel_id, 1, args)
            many = measure("one process", url, url, cookies, channel_id, args.clients, args)
        finally:
            server.kill()
        print(
            f"ratio {args.clients}/1 clients: p50 x{many[0] / one[0]:.1f}   "
            f"p95 x{many[1] / one[1]:.1f}",
            flush=True,
        )
        if not args.redis:
            return 0
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        a, url_a = start_server(ctx, folder, args.redis)
        b, url_b = start_server(ctx, folder, args.redis)
        try:
            same = measure(
                "Redis, same process", url_a, url_a, cookies, channel_id, args.clients, args
            )
            cross = measure(
                "Redis, cross-process", url_a, url_b, cookies, channel_id, args.clients, args
            )
        finally:
            a.kill()
            b.kill()
        print(
            f"ratio cross-process/same-process: p50 x{cross[0] / same[0]:.2f}   "
            f"p95 x{cross[1] / same[1]:.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
