"""API factories: personal access tokens, and a webhook receiver listening on loopback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tremplin.platform.extensions import db as _db


@pytest.fixture
def make_token(app):
    """make_token(user, scopes=("read",)) -> the clear token (the row is committed)."""
    from tremplin.api import tokens

    def make(user, scopes=("read",), name="Tableur"):
        _token, clear = tokens.create_token(user, name, list(scopes))
        _db.session.commit()
        return clear

    return make


@pytest.fixture
def bearer():
    """bearer(token) -> the headers of an API call with that token."""
    return lambda token, **extra: {"Authorization": f"Bearer {token}", **extra}


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records what it receives and answers with the
    next status of `statuses` (then 200)."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(
                    {"headers": dict(self.headers), "body": body, "json": json.loads(body)}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver(app):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True  # the receiver is on loopback
    receiver = Receiver()
    yield receiver
    receiver.stop()
