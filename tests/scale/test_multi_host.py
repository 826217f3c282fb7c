"""Two hosts: two app processes, each with its own instance/ folder and no shared disk,
against one PostgreSQL, one Redis and one S3-compatible server (moto, on 127.0.0.1), as
README "Running on several hosts" describes.

- a project created on host 1 is found by search on host 2 (PostgreSQL full text);
- an avatar uploaded on host 1 is served by host 2 (object storage);
- a private club document is refused to a non-member on both hosts, sent to a member;
- a chat message sent on host 1 reaches a client on host 2 (Socket.IO over Redis);
- a periodic job runs once per minute across both hosts' consumers (Huey on Redis).

Skipped without PostgreSQL or Redis, except with CI=true, where it fails.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import create_engine, text

from tests.kit.app import CI, PG_URL, base_config, session_cookie_for
from tests.kit.factories_clubs import pdf_bytes
from tests.kit.factories_members import image_bytes
from tests.kit.live import drop, wait_for
from tests.kit.s3 import new_bucket, s3_client, s3_config
from tests.members.test_profiles import profile_post
from tests.scale.test_two_processes import REDIS_URL, ROOT, free_port, wait_healthy

pytestmark = pytest.mark.scale

PASSWORD = "une phrase de passe solide"


def start(port: int, env: dict, log: Path) -> subprocess.Popen:
    handle = open(log, "wb")  # noqa: SIM115  (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.scale.server", str(port)],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def logs(tmp_path: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in tmp_path.glob("*.log")
    )


def unavailable(message: str):
    if CI:
        pytest.fail(f"{message} (CI=true: the multi-host test must run)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def database():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except Exception as exc:  # noqa: BLE001
        unavailable(f"Redis does not answer at {REDIS_URL}: {exc}")
    admin_url = "postgresql+psycopg://" + PG_URL.split("://", 1)[1]
    name = f"{admin_url.rsplit('/', 1)[1]}_hosts"
    admin_url = admin_url.rsplit("/", 1)[0] + "/postgres"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:  # noqa: BLE001
        unavailable(f"PostgreSQL does not answer at {PG_URL}: {exc}")
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


class As:
    """Requests to one host as one member: a signed session cookie holding a CSRF token,
    as a browser that loaded a form would have."""

    def __init__(self, app, user_id: str, url: str):
        import hashlib

        from itsdangerous import URLSafeTimedSerializer

        raw = hashlib.sha1(os.urandom(32)).hexdigest()
        serializer = app.session_interface.get_signing_serializer(app)
        self.cookie = serializer.dumps({"_user_id": user_id, "_fresh": True, "csrf_token": raw})
        self.csrf = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
        self.url = url

    def get(self, path: str, **kwargs):
        return requests.get(
            self.url + path, headers={"Cookie": f"session={self.cookie}"}, timeout=10, **kwargs
        )

    def post(self, path: str, data: dict, **kwargs):
        return requests.post(
            self.url + path,
            data={**data, "csrf_token": self.csrf},
            headers={"Cookie": f"session={self.cookie}"},
            allow_redirects=False,
            timeout=10,
            **kwargs,
        )


def test_two_hosts_share_search_files_permissions_chat_and_jobs(database, s3_server, tmp_path):
    from tremplin import create_app
    from tremplin.funding.clubs import clubs as club_services
    from tremplin.funding.clubs import documents
    from tremplin.groups import groups as group_services
    from tremplin.platform.accounts import create_member
    from tremplin.platform.extensions import db

    bucket = new_bucket(s3_server)
    config = {
        **base_config(tmp_path / "setup", database),
        "REDIS_URL": REDIS_URL,
        **s3_config(s3_server, bucket),
        "SEARCH_INDEX_IN_RAM": False,
    }
    app = create_app(config)
    with app.test_request_context():
        db.create_all()
        db.session.execute(text("CREATE TABLE scale_probe (host text, slot text)"))
        claire = create_member("claire@exemple.fr", PASSWORD, "Claire", site_role="organiser")
        awa = create_member("awa@exemple.fr", PASSWORD, "Awa")
        outsider = create_member("dehors@exemple.fr", PASSWORD, "Dehors")
        group = group_services.create_group(
            claire,
            group_services.GroupFields(name="Restauration", description="…", theme="restauration"),
        )
        group_services.join(awa, group, accept_charter=True)
        channel_id = group.channels[0].id
        club = club_services.create_club(
            claire,
            name="Cigales du 11e",
            territory="Paris 11e",
            departement="75",
            declared_natural_person=True,
            description="Un club de quartier.",
            charter="Une personne, une voix.",
            is_public=False,
        )
        content = pdf_bytes("Procès-verbal")
        document = documents.store_document(
            io.BytesIO(content), club_id=club.id, uploaded_by=claire
        )
        db.session.commit()
        doc_url = f"/clubs/{club.id}/documents/{document.id}"
        cookies = {
            "claire": session_cookie_for(app, claire),
            "awa": session_cookie_for(app, awa),
        }
        people = {"claire": claire.get_id(), "awa": awa.get_id(), "outsider": outsider.get_id()}
        db.engine.dispose()

    env = {
        **os.environ,
        "DATABASE_URL": database.replace("+psycopg", ""),
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": config["SECRET_KEY"],
        "STORAGE_S3_BUCKET": bucket,
        "STORAGE_S3_ENDPOINT_URL": s3_server,
        "STORAGE_S3_REGION": config["STORAGE_S3_REGION"],
        "STORAGE_S3_ACCESS_KEY_ID": config["STORAGE_S3_ACCESS_KEY_ID"],
        "STORAGE_S3_SECRET_ACCESS_KEY": config["STORAGE_S3_SECRET_ACCESS_KEY"],
        "TREMPLIN_SCALE_JOBS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    for key in ("UPLOAD_DIR", "SEARCH_INDEX_DIR", "SEARCH_BACKEND"):
        env.pop(key, None)
    ports = [free_port(), free_port()]
    instances = [tmp_path / "host1" / "instance", tmp_path / "host2" / "instance"]
    processes = [
        start(
            port,
            {**env, "TREMPLIN_INSTANCE_PATH": str(folder), "TREMPLIN_HOST_NAME": name},
            tmp_path / f"{name}.log",
        )
        for port, folder, name in zip(ports, instances, ("host1", "host2"), strict=True)
    ]
    clients = []
    try:
        host1, host2 = (f"http://127.0.0.1:{port}" for port in ports)
        for url, process in zip((host1, host2), processes, strict=True):
            wait_healthy(url, process, timeout=60)

        # 1. A project created on host 1 is found by search on host 2.
        marker = uuid.uuid4().hex[:8]
        title = f"Conserverie solidaire {marker}"
        awa1 = As(app, people["awa"], host1)
        created = awa1.post(
            "/projets/nouveau",
            {
                "title": title,
                "pitch": "Des bocaux de légumes invendus.",
                "description": "Une conserverie de quartier.",
                "theme": "restauration",
                "stage": "developpement",
                "commune": "Paris 11e",
                "departement": "75",
                "visibility": "public",
            },
        )
        assert created.status_code == 302, created.text[:500]
        visitor2 = requests.Session()
        found = wait_for(
            lambda: marker in visitor2.get(host2 + "/recherche?q=conserverie", timeout=10).text,
            timeout=10,
        )
        assert found, f"the project created on host 1 is not found on host 2\n{logs(tmp_path)}"

        # 2. An avatar uploaded on host 1 is served by host 2 (nothing on either disk).
        uploaded = awa1.post(
            "/profil/modifier",
            profile_post(display_name="Awa"),
            files={"avatar": ("photo.png", image_bytes("PNG", size=(300, 300)), "image/png")},
        )
        assert uploaded.status_code == 302, uploaded.text[:500]
        listing = s3_client(s3_server).list_objects_v2(Bucket=bucket).get("Contents", [])
        avatars = [item["Key"] for item in listing if item["Key"].endswith(".webp")]
        assert len(avatars) == 1
        served = As(app, people["awa"], host2).get(f"/fichiers/{avatars[0]}")
        assert served.status_code == 200 and served.headers["Content-Type"] == "image/webp"
        assert served.content[:4] == b"RIFF"
        for folder in instances:
            assert not any(p.suffix == ".webp" for p in Path(folder).rglob("*"))

        # 3. A private club document: refused to a non-member on both hosts, sent to a member.
        for url in (host1, host2):
            refused = As(app, people["outsider"], url).get(doc_url)
            assert refused.status_code == 404 and content not in refused.content
            sent = As(app, people["claire"], url).get(doc_url)
            assert sent.status_code == 200 and sent.content == content

        # 4. A chat message sent on host 1 reaches a client on host 2.
        for name, url in (("claire", host1), ("awa", host2)):
            client = socketio.Client(reconnection=False)
            client.received = []
            client.on("*", lambda event, data=None, c=client: c.received.append((event, data)))
            client.connect(
                url,
                headers={"Cookie": f"session={cookies[name]}"},
                transports=["websocket"],
                wait_timeout=10,
            )
            assert client.call("channel:join", {"channel_id": channel_id}, timeout=10)["ok"]
            clients.append(client)
        sender, receiver = clients
        answer = sender.call(
            "message:send", {"channel_id": channel_id, "body": "Bonjour l’autre hôte"}, timeout=10
        )
        assert answer["ok"], answer
        assert wait_for(
            lambda: [
                d for e, d in receiver.received if e == "message:new" and d["id"] == answer["id"]
            ],
            timeout=10,
        )

        # 5. The periodic probe runs every minute on whichever host claims it: once a minute.
        engine = create_engine(database)
        try:

            def runs():
                with engine.connect() as conn:
                    return conn.execute(text("SELECT host, slot FROM scale_probe")).all()

            assert wait_for(lambda: len({slot for _host, slot in runs()}) >= 1, timeout=75)
            time.sleep(3)  # the other host's scheduler fired too: give its try time to land
            per_slot = Counter(slot for _host, slot in runs())
            assert per_slot and all(n == 1 for n in per_slot.values()), per_slot
        finally:
            engine.dispose()
    finally:
        for client in clients:
            drop(client)
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
