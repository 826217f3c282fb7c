"""Errors someone sees: one log line per request, the last server errors on an
administrators' page, and Sentry reports without personal data."""

from __future__ import annotations

import gzip
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tremplin.platform import observability


def _lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "tremplin.request"]


def test_one_structured_line_per_request(client, auth, make_member, caplog):
    caplog.set_level(logging.INFO, logger="tremplin.request")
    response = client.get("/projets")
    member = auth.login_as(make_member())
    client.get("/notifications/12345")  # a 404 for a member
    lines = _lines(caplog)
    assert len(lines) == 2
    first, second = lines
    assert first["route"] == "/projets" and first["status"] == 200
    assert first["user_id"] is None and first["method"] == "GET"
    assert first["duration_ms"] >= 0
    assert first["request_id"] == response.headers["X-Request-ID"]
    assert second["route"] == "/notifications/<int:notification_id>"  # the rule, not the id
    assert second["status"] == 404 and second["user_id"] == member.id
    assert set(first) == {"request_id", "user_id", "method", "route", "status", "duration_ms"}


def test_the_log_line_costs_no_query(client, auth, make_member, count_statements, caplog):
    """The line is written after the commit expired the member: the id comes from the
    identity map, not from a second SELECT of the member (once per request)."""
    caplog.set_level(logging.INFO, logger="tremplin.request")
    member = auth.login_as(make_member())
    client.get("/notifications")
    with count_statements() as counter:
        assert client.get("/notifications").status_code == 200
    loads = [s for s in counter.statements if s.lstrip().startswith("SELECT users.id")]
    assert len(loads) == 1  # Flask-Login's, at the start of the request
    assert _lines(caplog)[-1]["user_id"] == member.id


def test_a_proxy_request_id_is_kept_and_a_strange_one_replaced(client):
    sent = "abcd1234-proxy.id"
    assert client.get("/", headers={"X-Request-ID": sent}).headers["X-Request-ID"] == sent
    strange = client.get("/", headers={"X-Request-ID": 'a b"<script>'}).headers["X-Request-ID"]
    assert strange != 'a b"<script>' and len(strange) == 32


@pytest.fixture
def failing_route(app):
    def explode(n: int):
        raise RuntimeError("la passerelle a répondu n'importe quoi")

    app.add_url_rule("/test-panne/<int:n>", "test_failure", explode)
    return "/test-panne/7"


def test_server_errors_are_kept_for_administrators(
    app, client, auth, make_member, failing_route, caplog
):
    caplog.set_level(logging.INFO, logger="tremplin.request")
    member = auth.login_as(make_member())
    response = client.get(failing_route)
    assert response.status_code == 500
    assert "la passerelle" not in response.text  # never shown to the visitor
    line = _lines(caplog)[-1]
    assert line["status"] == 500 and line["user_id"] == member.id
    errors = observability.recent_errors()
    assert len(errors) == 1
    error = errors[0]
    assert error.error_type == "builtins.RuntimeError"
    assert error.route == "/test-panne/<int:n>" and error.user_id == member.id
    assert error.request_id == line["request_id"]
    assert "test_observability.py" in error.location and "in explode" in error.location

    assert client.get("/administration/exploitation").status_code == 403  # a member
    auth.login_as(make_member(site_role="organiser"))
    assert client.get("/administration/exploitation").status_code == 403  # admins only
    auth.login_as(make_member(site_role="admin"))
    page = client.get("/administration/exploitation")
    assert page.status_code == 200
    assert "builtins.RuntimeError" in page.text and "/test-panne/&lt;int:n&gt;" in page.text
    assert "Aucune sauvegarde" in page.text  # and the missing backup is said
    assert line["request_id"] in page.text


def test_only_the_newest_errors_are_kept(app, client, failing_route, monkeypatch):
    monkeypatch.setattr(observability, "KEEP_ERRORS", 3)
    for _ in range(5):
        client.get(failing_route)
    assert len(observability.recent_errors()) == 3


class _Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        _Collector.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    _Collector.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_port}/1"
    import sentry_sdk

    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: reporting off again for the rest of the run
    observability._sentry["on"] = False
    server.shutdown()


def test_sentry_reports_errors_without_personal_data(
    app, client, make_member, failing_route, sentry_server
):
    import sentry_sdk

    app.config["SENTRY_DSN"] = sentry_server
    assert observability.init_sentry(app)
    member = make_member(display_name="Nadia Ferhat", email="nadia.ferhat@exemple.fr")
    client.post(
        "/connexion",
        data={"email": member.email, "password": "un cheval bleu mange des crêpes"},
    )
    response = client.get(
        failing_route + "?email=nadia.ferhat@exemple.fr",
        headers={"Authorization": "Bearer secret-token", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    sent = b"".join(_Collector.received).decode("utf-8", "replace")
    assert "RuntimeError" in sent and "la passerelle" in sent  # the error is reported
    assert f'"id":{member.id}' in sent.replace(" ", "") or f'"id":"{member.id}"' in sent
    for private in [
        "nadia.ferhat@exemple.fr",
        "Nadia Ferhat",
        "secret-token",
        "203.0.113.9",
        "session=",
        '127.0.0.1"',
    ]:
        assert private not in sent, private


def test_scrub_event_removes_what_identifies_a_person():
    event = {
        "request": {
            "url": "http://x/y",
            "cookies": {"session": "abc"},
            "data": {"password": "x"},
            "query_string": "email=a@b.c",
            "headers": {"Cookie": "s=1", "User-Agent": "UA", "Authorization": "Bearer t"},
            "env": {"REMOTE_ADDR": "1.2.3.4"},
        },
        "user": {"id": 5, "email": "a@b.c", "ip_address": "1.2.3.4", "username": "Awa"},
        "exception": {"values": [{"stacktrace": {"frames": [{"vars": {"pw": "x"}}]}}]},
        "breadcrumbs": {"values": [{"message": "login a@b.c"}]},
    }
    scrubbed = observability.scrub_event(event)
    assert scrubbed["request"] == {"url": "http://x/y", "headers": {"User-Agent": "UA"}}
    assert scrubbed["user"] == {"id": 5}
    assert "vars" not in scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert "breadcrumbs" not in scrubbed
