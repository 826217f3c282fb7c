"""Web Push: a member opts a device in; a mention reaches a push endpoint served here,
which decrypts the notification with the subscription's private key and reads it; an
endpoint answering 410 loses its subscription."""

from __future__ import annotations

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from tremplin.groups.models import PushSubscription


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def push_service():
    """A push endpoint on 127.0.0.1: /ok/... answers 201, /gone/... answers 410."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(410 if self.path.startswith("/gone") else 201)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.received = received
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


def device():
    """A browser's subscription keys: its P-256 key pair and auth secret."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return private, b64(public), os.urandom(16)


def test_a_mention_is_pushed_encrypted_to_the_members_device_and_gone_devices_are_removed(
    app, client, auth, db, make_group, make_member, make_organiser, push_service, tmp_path
):
    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "vapid.pem")
    claire = make_organiser("Claire Dubois")
    awa, karim = make_member("Awa Diallo"), make_member("Karim Benali", locale="en")
    group = make_group("Restauration", organiser=claire, members=[awa, karim])
    private, p256dh, secret = device()
    auth.login_as(karim)
    key = client.get("/groupes/push/cle").get_json()["key"]
    assert len(base64.urlsafe_b64decode(key + "==")) == 65  # an uncompressed P-256 point
    for path in ("/ok/karim-phone", "/gone/karim-old-tablet"):
        answer = client.post(
            "/groupes/push/abonnement",
            data={"endpoint": push_service.url + path, "p256dh": p256dh, "auth": b64(secret)},
        )
        assert answer.get_json() == {"ok": True}
    bad = client.post("/groupes/push/abonnement", data={"endpoint": "javascript:x", "p256dh": "a"})
    assert bad.status_code == 400

    auth.login_as(awa)
    client.post(f"/groupes/{group.slug}/salons/accueil", data={"body": "@Karim Benali salut !"})

    delivered = [r for r in push_service.received if r[0] == "/ok/karim-phone"]
    assert len(delivered) == 1
    _path, headers, body = delivered[0]
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].lower().startswith("vapid t=")
    payload = json.loads(
        http_ece.decrypt(body, private_key=private, auth_secret=secret, version="aes128gcm")
    )
    assert payload["body"] == "Awa Diallo mentioned you in #Accueil"  # his language
    assert payload["url"].startswith(f"/groupes/{group.slug}/salons/accueil#m")
    endpoints = db.session.scalars(select(PushSubscription.endpoint)).all()
    assert endpoints == [push_service.url + "/ok/karim-phone"]  # 410: removed

    auth.login_as(karim)
    client.post("/groupes/push/desabonnement", data={"endpoint": endpoints[0]})
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0


def test_push_subscription_needs_a_signed_in_member_and_csrf(client):
    assert client.post("/groupes/push/abonnement", data={"endpoint": "x"}).status_code in (
        302,
        401,
    )
