"""The evening burst: N members in one room, behind one address, for a fixed duration.

    .venv/bin/python bench/evening.py [--users 60] [--duration 60]
    .venv/bin/python bench/evening.py --users 200 --duration 60 \\
        --database-url postgresql://postgres@127.0.0.1:5432/test_x --redis-url redis://127.0.0.1:6379/9 \\
        --web-processes 2

The real server, started the way `make run` starts it (`gunicorn -c gunicorn.conf.py
wsgi:app`, which starts the job runner beside its worker) on a fresh instance folder in a temporary
directory: SQLite by default. With --database-url (PostgreSQL) and --redis-url, a throwaway
database `<name>_bench` is created next to the one named (and dropped afterwards),
--web-processes gunicorn processes share it (Socket.IO through Redis) and the job runner is
its own process (`flask jobs run`), as in the README's scale-out.

The evening (generated, then served): one meetup tonight (every member registered, one
organiser at the door), next month's meetup, one group with its channel "ce-soir", one
project with needs and a campaign in promise mode. Locust, used as a library in headless
mode, drives N members from 127.0.0.1 (one address, like a venue's Wi-Fi): each logs in
(the real password hash), opens a Socket.IO connection (python-socketio client) and joins
the channel, then does the evening's mix: reads the channel, posts over Socket.IO and over
HTTP, RSVPs to next month, offers help on a need, pledges (promise mode), searches (the
instant box and the results page), looks at the meetup and campaign pages. The organiser
checks everybody in at the door. A probe reads `/healthz` twice a second in the same run.

Printed: requests/s, p50/p95/p99 per action, errors (any answer >= 500, a failed socket
ack, a transport error; refusals a member can cause — already registered — are counted
apart), `/healthz` p50/p95, the load average; then lost writes: every message and pledge a
member got a success for must be in the database, and the messages in the search index
within 5 s of the end. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

if __name__ == "__main__" and not {"--build", "--verify"} & set(sys.argv):
    from gevent import monkey  # the load side runs on gevent (Locust): patch first

    monkey.patch_all()

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PASSWORD = "une soirée au Tremplin, 2026"
ORGANISER = "porte@soiree.exemple.fr"
NEEDS = 12

# --- the evening's data (run in a subprocess: the load side is gevent-patched) -----------


def build(users: int, out: str) -> None:
    """Generate the evening in the database the environment points at."""
    sys.path.insert(0, str(ROOT))
    from datetime import timedelta

    from werkzeug.security import generate_password_hash

    from tremplin import create_app
    from tremplin.funding import campaigns as campaign_services
    from tremplin.funding.models import ProjectFundingSettings
    from tremplin.groups import groups as group_services
    from tremplin.groups.models import GroupMembership
    from tremplin.meetups.models import Meetup, MeetupProject, Registration
    from tremplin.members.models import Need, Project, ProjectMember
    from tremplin.platform.extensions import db
    from tremplin.platform.models import User
    from tremplin.platform.types import utcnow

    app = create_app()
    password_hash = generate_password_hash(PASSWORD, method="scrypt")  # as accounts.py does
    now = utcnow().replace(second=0, microsecond=0)
    long_ago = now - timedelta(days=400)
    with app.test_request_context():
        organiser = User(
            display_name="Nadia à la porte",
            email=ORGANISER,
            site_role="organiser",
            email_confirmed_at=long_ago,
            created_at=long_ago,
            password_hash=password_hash,
        )
        owner = User(
            display_name="Porteuse du projet",
            email="porteuse@soiree.exemple.fr",
            email_confirmed_at=long_ago,
            created_at=long_ago,
            password_hash=password_hash,
        )
        members = [
            User(
                display_name=f"Membre {i:03d}",
                email=f"membre{i:03d}@soiree.exemple.fr",
                email_confirmed_at=long_ago,
                created_at=long_ago,
                password_hash=password_hash,
            )
            for i in range(users)
        ]
        db.session.add_all([organiser, owner, *members])
        db.session.flush()
        group = group_services.create_group(
            organiser,
            group_services.GroupFields(
                name="Café Projets Montreuil",
                description="Le groupe des soirées mensuelles.",
                theme="environnement",
                visibility="public",
            ),
            charter="1. Bienveillance.",
        )
        channel = group_services.add_channel(group, "ce-soir")
        for user in [owner, *members]:
            db.session.add(
                GroupMembership(
                    group=group,
                    user=user,
                    role="member",
                    state="active",
                    accepted_charter_version=group.charter_version,
                    joined_at=long_ago,
                )
            )
        project = Project(
            owner_id=owner.id,
            title="La Recyclerie du Bas-Montreuil",
            pitch="Un atelier de réparation de vélos et d'objets.",
            description="Réparer plutôt que jeter.",
            theme="environnement",
            stage="emergence",
            commune="Montreuil",
            departement="93",
            visibility="public",
        )
        project.memberships.append(ProjectMember(user_id=owner.id, role="owner", status="accepted"))
        db.session.add(project)
        db.session.flush()
        needs = [
            Need(
                project_id=project.id,
                created_by_id=owner.id,
                kind="competences",
                title=f"Un coup de main n°{n + 1}",
                description="Pour l'atelier du samedi.",
            )
            for n in range(NEEDS)
        ]
        db.session.add_all(needs)
        settings = ProjectFundingSettings(
            project_id=project.id,
            account_holder="Association La Recyclerie",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPP",
        )
        db.session.add(settings)
        db.session.flush()
        campaign = campaign_services.create_campaign(
            project,
            owner,
            campaign_services.CampaignFields(
                title="Un atelier pour la Recyclerie",
                summary="Des établis et des outils.",
                description="Une **belle** collecte.",
                goal_cents=500_000,
                rule="keep",
                threshold_cents=None,
                deadline=(now + timedelta(days=30)).date(),
            ),
        )
        campaign_services.open_campaign(campaign, owner)
        meetups = []
        for title, starts in (
            ("Café Projets de ce soir", now + timedelta(minutes=30)),
            ("Café Projets du mois prochain", now + timedelta(days=30)),
        ):
            meetup = Meetup(
                title=title,
                description="Une soirée **conviviale**.",
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                venue_name="La Marbrerie",
                address="21 rue Alexis Lepère, 93100 Montreuil",
                departement="93",
                state="published",
                published_at=long_ago,
                group_id=group.id,
                created_by_id=organiser.id,
            )
            meetup.presented.append(MeetupProject(project_id=project.id, position=0))
            db.session.add(meetup)
            meetups.append(meetup)
        db.session.flush()
        registrations = []
        for user in members:
            registration = Registration(
                meetup_id=meetups[0].id,
                user_id=user.id,
                status="confirmed",
                confirmed_at=long_ago,
                link_nonce=os.urandom(16).hex(),
            )
            db.session.add(registration)
            registrations.append(registration)
        db.session.commit()
        evening = {
            "group": group.slug,
            "channel": channel.slug,
            "channel_id": channel.id,
            "tonight": meetups[0].id,
            "next_month": meetups[1].id,
            "project": project.id,
            "campaign": campaign.id,
            "needs": [need.id for need in needs],
            "members": [user.email for user in members],
            "registrations": [r.id for r in registrations],
        }
    Path(out).write_text(json.dumps(evening))


# --- after the run: lost writes --------------------------------------------------------


def verify(results: str) -> None:
    """Every acknowledged message and pledge in the database; the messages in the search
    index within 5 s. Prints one JSON line."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from tremplin import create_app
    from tremplin.funding.models import Pledge
    from tremplin.groups.models import Message
    from tremplin.platform.extensions import db
    from tremplin.search import make_backend

    acked = json.loads(Path(results).read_text())
    app = create_app()
    with app.app_context():
        messages = {m["id"]: m["body"] for m in acked["messages"]}
        stored = dict(
            db.session.execute(select(Message.id, Message.body).where(Message.id.in_(messages)))
            .tuples()
            .all()
        )
        missing_messages = sorted(i for i, body in messages.items() if stored.get(i) != body)
        pledges = {p["id"]: p["amount_cents"] for p in acked["pledges"]}
        stored_pledges = dict(
            db.session.execute(select(Pledge.id, Pledge.amount_cents).where(Pledge.id.in_(pledges)))
            .tuples()
            .all()
        )
        missing_pledges = sorted(i for i, a in pledges.items() if stored_pledges.get(i) != a)
        backend = make_backend(app.config)
        wanted = {f"message:{i}" for i in messages}
        started = time.monotonic()
        not_indexed = wanted
        while True:
            indexed = {d.get("uid") or d.get("id") for d in backend.documents()}
            not_indexed = wanted - indexed
            waited = time.monotonic() - started
            if not not_indexed or waited > 5:
                break
            time.sleep(0.2)
    print(
        json.dumps(
            {
                "messages": len(messages),
                "pledges": len(pledges),
                "missing_messages": missing_messages,
                "missing_pledges": missing_pledges,
                "not_indexed_after_5s": sorted(not_indexed),
                "index_wait_s": round(waited, 2),
            }
        )
    )


# --- the load (Locust, gevent) ---------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def run_load(opts, hosts: list[str], evening: dict, results_file: str) -> dict:
    import gevent
    import socketio
    from locust import FastHttpUser, User, between, constant, events, task
    from locust.env import Environment
    from locust.exception import StopUser

    acked = {"messages": [], "pledges": []}
    refusals: dict[str, int] = {}
    emails = list(evening["members"])
    random.shuffle(emails)
    host_cycle = iter(range(10**9))

    def pick_host() -> str:
        return hosts[next(host_cycle) % len(hosts)]

    def fire(env, name: str, started: float, exc: Exception | None, kind: str = "WS"):
        env.events.request.fire(
            request_type=kind,
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=exc,
            context={},
        )

    class Visitor(FastHttpUser):
        abstract = True
        network_timeout = 60.0
        connection_timeout = 60.0

        def login(self, email: str) -> None:
            page = self.client.get("/connexion", name="login page")
            token = self.csrf(page.text)
            with self.client.post(
                "/connexion",
                data={"csrf_token": token, "email": email, "password": PASSWORD},
                name="login",
                allow_redirects=False,
                catch_response=True,
            ) as answer:
                if answer.status_code != 302:
                    answer.failure(f"login refused: {answer.status_code}")
                    raise StopUser  # this member can do nothing else
            self.token = self.csrf(self.client.get("/", name="dashboard").text)

        def csrf(self, html: str) -> str:
            found = CSRF.search(html or "")
            return (found.group(1) or found.group(2)) if found else ""

        def post_form(self, url: str, name: str, data: dict, **kwargs):
            return self.client.post(
                url,
                data={"csrf_token": self.token, **data},
                name=name,
                allow_redirects=False,
                **kwargs,
            )

    class Member(Visitor):
        wait_time = between(opts.think_min, opts.think_max)

        sio = None

        def on_start(self):
            self.host = pick_host()
            self.client.base_url = self.host
            self.email = emails.pop() if emails else None
            if self.email is None:
                raise StopUser
            self.sent = 0
            self.rsvp = False
            self.pledged = None
            self.needs = list(evening["needs"])
            random.shuffle(self.needs)
            self.login(self.email)
            self.connect_socket()

        def on_stop(self):
            if self.sio is not None:
                # never wait on it: a socket stuck in a read would hold the end of the run
                gevent.spawn(self.sio.disconnect)

        def cookie_header(self) -> str:
            return "; ".join(f"{c.name}={c.value}" for c in self.client.cookiejar)

        def connect_socket(self) -> None:
            started = time.perf_counter()
            sio = socketio.Client(reconnection=False)
            try:
                sio.connect(
                    self.host,
                    headers={"Cookie": self.cookie_header()},
                    transports=["websocket"],
                    wait_timeout=30,
                )
                ack = sio.call("channel:join", {"channel_id": evening["channel_id"]}, timeout=30)
                if not (ack or {}).get("ok"):
                    raise RuntimeError(f"channel:join refused: {ack}")
            except Exception as exc:  # noqa: BLE001 - recorded as a failed event
                fire(self.environment, "socket connect+join", started, exc)
                gevent.spawn(sio.disconnect)
                return
            fire(self.environment, "socket connect+join", started, None)
            self.sio = sio

        def body(self) -> str:
            self.sent += 1
            return f"{self.email.split('@')[0]} dit bonjour n°{self.sent} ({os.urandom(3).hex()})"

        @task(6)
        def read_channel(self):
            self.client.get(
                f"/groupes/{evening['group']}/salons/{evening['channel']}", name="read channel"
            )

        @task(4)
        def post_socket(self):
            if self.sio is None:
                self.connect_socket()
                if self.sio is None:
                    return
            body = self.body()
            started = time.perf_counter()
            try:
                ack = self.sio.call(
                    "message:send",
                    {"channel_id": evening["channel_id"], "body": body},
                    timeout=30,
                )
                if not (ack or {}).get("ok"):
                    raise RuntimeError(f"message:send refused: {(ack or {}).get('error')}")
            except Exception as exc:  # noqa: BLE001 - recorded as a failed event
                fire(self.environment, "post (socket)", started, exc)
                return
            fire(self.environment, "post (socket)", started, None)
            acked["messages"].append({"id": ack["id"], "body": body})

        @task(1)
        def post_http(self):
            body = self.body()
            url = f"/groupes/{evening['group']}/salons/{evening['channel']}"
            with self.post_form(url, "post (HTTP)", {"body": body}, catch_response=True) as answer:
                found = re.search(r"#m(\d+)$", answer.headers.get("Location") or "")
                if answer.status_code == 302 and found:
                    acked["messages"].append({"id": int(found.group(1)), "body": body})
                elif answer.status_code < 500:
                    answer.failure(f"post refused: {answer.status_code}")

        @task(1)
        def rsvp_next_month(self):
            meetup = evening["next_month"]
            if self.rsvp:
                self.post_form(f"/rencontres/{meetup}/desinscription", "RSVP (cancel)", {})
            else:
                self.post_form(f"/rencontres/{meetup}/inscription", "RSVP", {"guests": "0"})
            self.rsvp = not self.rsvp

        @task(1)
        def offer_help(self):
            if not self.needs:
                self.client.get(f"/besoins/{evening['needs'][0]}", name="need page")
                return
            need = self.needs.pop()
            self.client.get(f"/besoins/{need}", name="need page")
            with self.post_form(
                f"/besoins/{need}",
                "offer help",
                {"message": "Je répare des vélos le samedi, je peux venir aider."},
                catch_response=True,
            ) as answer:
                if answer.status_code == 429:
                    refusals["offer help: 429 (per-account limit)"] = (
                        refusals.get("offer help: 429 (per-account limit)", 0) + 1
                    )
                    answer.success()

        @task(1)
        def pledge(self):
            campaign = evening["campaign"]
            self.client.get(f"/collectes/{campaign}", name="campaign page")
            if self.pledged is not None:
                self.client.get(f"/collectes/promesses/{self.pledged}", name="my pledge")
                return
            amount = random.choice([10, 20, 30, 50])
            with self.post_form(
                f"/collectes/{campaign}/soutenir",
                "pledge",
                {"amount": str(amount), "reward_id": "", "understood": "y"},
                catch_response=True,
            ) as answer:
                found = re.search(r"/promesses/(\d+)", answer.headers.get("Location") or "")
                if answer.status_code == 302 and found:
                    self.pledged = int(found.group(1))
                    acked["pledges"].append({"id": self.pledged, "amount_cents": amount * 100})
                elif answer.status_code < 500:
                    answer.failure(f"pledge refused: {answer.status_code}")

        @task(2)
        def search(self):
            word = random.choice(["velo", "recyclerie", "atelier", "bonjour", "montreuil"])
            for n in range(2, len(word) + 1, 2):
                self.client.get(f"/recherche/suggestions?q={word[:n]}", name="search (instant box)")
            self.client.get(f"/recherche?q={word}", name="search (results page)")

        @task(1)
        def meetup_page(self):
            self.client.get(f"/rencontres/{evening['tonight']}", name="meetup page")

        @task(1)
        def dashboard(self):
            self.client.get("/", name="dashboard")

    class Door(Visitor):
        """The organiser at the door, checking members in as they arrive."""

        fixed_count = 1
        wait_time = constant(opts.door_pace)

        def on_start(self):
            self.client.base_url = hosts[0]
            self.queue = list(evening["registrations"])
            self.login(ORGANISER)

        @task
        def check_in(self):
            meetup = evening["tonight"]
            if not self.queue:
                self.client.get(f"/rencontres/{meetup}/accueil", name="door page")
                return
            registration = self.queue.pop(0)
            self.client.post(
                f"/rencontres/{meetup}/accueil/{registration}",
                data={"csrf_token": self.token, "guests": "0"},
                headers={"Accept": "application/json"},
                name="check in (door)",
            )

    class Probe(FastHttpUser):
        """`/healthz` twice a second, in the same run: the server's floor under this load."""

        fixed_count = 1
        wait_time = constant(0.5)

        def on_start(self):
            self.client.base_url = hosts[0]

        @task
        def healthz(self):
            self.client.get("/healthz", name="/healthz")

    for cls in (Member, Door, Probe):
        cls.host = hosts[0]
    env = Environment(user_classes=[Member, Door, Probe], events=events)
    runner = env.create_local_runner()
    spawn_rate = opts.spawn_rate or max(1.0, opts.users / 10)
    runner.start(opts.users + 2, spawn_rate=spawn_rate)
    started = time.monotonic()
    ramp = (opts.users + 2) / spawn_rate
    gevent.spawn_later(opts.duration + ramp, runner.quit)
    loads = []

    def sample_load():
        while True:
            loads.append(os.getloadavg()[0])
            gevent.sleep(5)

    sampler = gevent.spawn(sample_load)
    runner.greenlet.join(timeout=opts.duration + ramp + 90)
    sampler.kill()
    elapsed = time.monotonic() - started
    Path(results_file).write_text(json.dumps(acked))
    _ = User  # (imported for the reader: Member and Door are Locust users)
    return {
        "stats": env.stats,
        "elapsed": elapsed,
        "ramp": ramp,
        "refusals": refusals,
        "load": loads,
        "acked": {k: len(v) for k, v in acked.items()},
    }


# --- the servers -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer /healthz in {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def bench_database(url: str) -> tuple[str, str, str]:
    """(admin URL, bench database name, bench URL) next to the database named by `url`."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    bench_name = f"{name}_bench"
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, bench_name, urlunsplit(parts._replace(path=f"/{bench_name}"))


def pg_admin(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(statement)


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def report(opts, outcome: dict, verified: dict, mode: str) -> int:
    stats = outcome["stats"]
    rows = []
    errors = 0
    for (name, method), entry in sorted(stats.entries.items(), key=lambda kv: kv[0][0]):
        errors += entry.num_failures if name != "/healthz" else 0
        rows.append(
            (
                f"{method} {name}",
                entry.num_requests,
                entry.num_failures,
                entry.get_response_time_percentile(0.5),
                entry.get_response_time_percentile(0.95),
                entry.get_response_time_percentile(0.99),
                entry.max_response_time,
            )
        )
    total = stats.total
    busy = [r for r in rows if "/healthz" not in r[0]]
    worst_p95 = max((r[4] for r in busy), default=0)
    health = stats.entries.get(("/healthz", "GET"))
    load = outcome["load"]
    print()
    print(
        f"Evening: {opts.users} members, {opts.duration} s (+{outcome['ramp']:.0f} s arrival), {mode}"
    )
    print(
        f"{'action':38} {'count':>6} {'fail':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  (ms)"
    )
    for name, count, fails, p50, p95, p99, top in rows:
        print(f"{name:38} {count:6d} {fails:5d} {p50:7.0f} {p95:7.0f} {p99:7.0f} {top:7.0f}")
    print(
        f"{'all':38} {total.num_requests:6d} {total.num_failures:5d} "
        f"{total.get_response_time_percentile(0.5):7.0f} "
        f"{total.get_response_time_percentile(0.95):7.0f} "
        f"{total.get_response_time_percentile(0.99):7.0f} {total.max_response_time:7.0f}"
    )
    print(f"throughput: {total.num_requests / outcome['elapsed']:.1f} requests+events/s")
    if health is not None:
        print(
            "/healthz in the same run: "
            f"p50 {health.get_response_time_percentile(0.5):.0f} ms, "
            f"p95 {health.get_response_time_percentile(0.95):.0f} ms, "
            f"failures {health.num_failures}"
        )
    print(f"errors: {errors}; worst action p95: {worst_p95:.0f} ms")
    for error in list(stats.errors.values())[:10]:
        print(f"  {error.occurrences} × {error.method} {error.name}: {error.error}"[:300])
    for what, count in outcome["refusals"].items():
        print(f"refused by design: {count} × {what}")
    if load:
        print(
            f"load average (1 min) during the run: mean {sum(load) / len(load):.2f}, max {max(load):.2f}"
        )
    lost = len(verified["missing_messages"]) + len(verified["missing_pledges"])
    print(
        f"lost writes: {lost} (acknowledged: {verified['messages']} messages, "
        f"{verified['pledges']} pledges); not in the search index after 5 s: "
        f"{len(verified['not_indexed_after_5s'])} (all indexed after {verified['index_wait_s']} s)"
    )
    return 1 if errors or lost or verified["not_indexed_after_5s"] else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--duration", type=int, default=60, help="seconds, after the arrivals")
    parser.add_argument("--spawn-rate", type=float, default=0, help="arrivals/s (users/10)")
    parser.add_argument("--think-min", type=float, default=2.0)
    parser.add_argument("--think-max", type=float, default=6.0)
    parser.add_argument("--door-pace", type=float, default=1.0, help="s between check-ins")
    parser.add_argument("--database-url", help="PostgreSQL: a <name>_bench database is used")
    parser.add_argument("--redis-url")
    parser.add_argument("--web-processes", type=int, default=1)
    parser.add_argument(
        "--threads", type=int, default=0, help="TREMPLIN_THREADS (default: the app's)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--verify", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.build:
        build(opts.users, opts.build)
        return 0
    if opts.verify:
        verify(opts.verify)
        return 0
    if opts.web_processes > 1 and not (opts.database_url and opts.redis_url):
        parser.error("--web-processes > 1 needs --database-url and --redis-url")

    folder = Path(tempfile.mkdtemp(prefix="tremplin-evening-"))
    env = {
        **os.environ,
        "TREMPLIN_INSTANCE_PATH": str(folder / "instance"),
        "SECRET_KEY": "bench-evening-secret",
        "TREMPLIN_LOG_LEVEL": "warning",
        "FLASK_APP": "wsgi",
        "PYTHONPATH": str(ROOT),
        "BACKUP_DAILY": "0",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "TREMPLIN_ACCESS_LOG", "JOBS_EMBEDDED"):
        env.pop(name, None)
    if opts.threads:
        env["TREMPLIN_THREADS"] = str(opts.threads)
    admin = bench_name = None
    if opts.database_url:
        admin, bench_name, url = bench_database(opts.database_url)
        pg_admin(admin, f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        pg_admin(admin, f'CREATE DATABASE "{bench_name}"')
        env["DATABASE_URL"] = url
    if opts.redis_url:
        flush_redis(opts.redis_url)
        env["REDIS_URL"] = opts.redis_url
    mode = (
        f"PostgreSQL + Redis, {opts.web_processes} web process(es) + `flask jobs run`"
        if opts.database_url
        else "embedded default (SQLite, one gunicorn worker, job runner beside it)"
    )
    processes: list[subprocess.Popen] = []
    logs = []
    code = 1
    try:
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        subprocess.run(
            [*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
        )
        evening_file = folder / "evening.json"
        subprocess.run(
            [sys.executable, __file__, "--users", str(opts.users), "--build", str(evening_file)],
            env=env,
            cwd=ROOT,
            check=True,
        )
        subprocess.run(
            [*flask, "search", "reindex", "--if-empty"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        evening = json.loads(evening_file.read_text())
        ports = [free_port() for _ in range(opts.web_processes)]
        hosts = [f"http://127.0.0.1:{port}" for port in ports]
        # The site's address, and the ones a browser's Origin may carry (one per process here,
        # where a load balancer would give them one address).
        env["TREMPLIN_BASE_URL"] = hosts[0]
        env["SOCKETIO_CORS_ORIGINS"] = ",".join(hosts)
        for n, port in enumerate(ports):
            log = open(folder / f"web{n}.log", "w")  # noqa: SIM115 - closed in finally
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                    env={**env, "TREMPLIN_BIND": f"127.0.0.1:{port}"},
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        if opts.redis_url:
            log = open(folder / "jobs.log", "w")  # noqa: SIM115
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [*flask, "jobs", "run"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
                )
            )
        for host, process in zip(hosts, processes, strict=False):
            wait_healthy(host, process)
        print(f"servers: {', '.join(hosts)} (pids {[p.pid for p in processes]}); folder {folder}")
        results_file = folder / "acked.json"
        outcome = run_load(opts, hosts, evening, str(results_file))
        checked = subprocess.run(
            [sys.executable, __file__, "--verify", str(results_file)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        verified = json.loads(checked.stdout.strip().splitlines()[-1])
        code = report(opts, outcome, verified, mode)
        for log in logs:
            log.flush()
        server_errors = sum(
            (folder / f"web{n}.log").read_text().count("Traceback")
            for n in range(opts.web_processes)
        )
        print(f"tracebacks in the server logs: {server_errors}")
    finally:
        for process in processes:
            stop(process)
        for log in logs:
            log.close()
        if admin and bench_name:
            pg_admin(admin, f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        if opts.redis_url:
            flush_redis(opts.redis_url)
        if opts.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
