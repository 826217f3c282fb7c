"""A live server running the real app (HTTP + Socket.IO) on a free loopback port, and
real python-socketio clients logged in as members."""

from __future__ import annotations

import threading

import pytest
import socketio as socketio_client
from werkzeug.serving import make_server

from tests.kit.app import session_cookie_for


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    app.config["TREMPLIN_BASE_URL"] = "http://127.0.0.1"  # replaced below with the real port
    server = LiveServer(app).start()
    app.config["TREMPLIN_BASE_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture
def socket_client(app, live_server):
    """socket_client(user) -> a connected python-socketio Client (None: anonymous).
    Every client records the events it receives in `client.received` (name, data)."""
    clients = []

    def connect(user=None, wait: bool = True, cookie: str | None = None):
        client = socketio_client.Client(reconnection=False)
        client.received = []
        client.on("*", lambda event, data=None: client.received.append((event, data)))
        headers = {}
        if user is not None or cookie is not None:
            cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
            headers["Cookie"] = f"{cookie_name}={cookie or session_cookie_for(app, user)}"
        client.connect(
            live_server.url, headers=headers, transports=["websocket"], wait=wait, wait_timeout=5
        )
        clients.append(client)
        return client

    connect.cookie_for = lambda user: session_cookie_for(app, user)
    yield connect
    for client in clients:
        drop(client)


def drop(client) -> None:
    """Cut a client's connection at once, as a network failure would. (A polite
    `disconnect()` waits up to 3 s for the server's websocket close frame.)"""
    if client.eio.ws is not None:
        client.eio.ws.shutdown()
    if client.connected or client.eio.state == "connected":
        client.eio.disconnect(abort=True)


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll until predicate() is truthy (for events that cross threads); returns its value."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
