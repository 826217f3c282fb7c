"""localstripe, a Stripe-compatible server, started once per test run on 127.0.0.1 (its own
CLI listens on every interface, so it is started here with aiohttp directly).

The app talks to it with the real `stripe` client (STRIPE_API_BASE), the browser loads
its test Stripe.js from /js.stripe.com/v3/, and it delivers signed webhooks to the live
server once `localstripe.deliver_webhooks_to(url)` is called. Two test-only additions to
the server, both outside Stripe's API: `GET /_config/requests` returns the requests it
received (method, path, Idempotency-Key and Stripe-Account headers, body) so tests can
check what our code sends; and the store is not pickled to /tmp on every write.

Tests opt in with `@pytest.mark.stripe` (or `pytestmark = pytest.mark.stripe`): the app is
then built with Stripe keys pointing at localstripe, flushed before the test.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import time
import urllib.error
import urllib.request

import pytest

WEBHOOK_SECRET = "whsec_tremplin_tests"
SECRET_KEY = "sk_test_tremplin"
PUBLISHABLE_KEY = "pk_test_tremplin"


def _serve(port: int, webhook_delay: float) -> None:  # pragma: no cover - runs in the child
    import asyncio

    import localstripe.resources as resources
    import localstripe.server as server
    import localstripe.webhooks as webhooks
    from aiohttp import web

    resources.Store.dump_to_disk = lambda self: None
    journal: list[dict] = []

    class _Sleep:  # webhooks wait `webhook_delay` instead of a full second
        def __getattr__(self, name):
            return getattr(asyncio, name)

        @staticmethod
        async def sleep(_seconds):
            await asyncio.sleep(webhook_delay)

    webhooks.asyncio = _Sleep()

    @web.middleware
    async def record(request, handler):
        if request.path.startswith("/v1/"):
            body = await request.text()
            journal.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "idempotency_key": request.headers.get("Idempotency-Key"),
                    "stripe_account": request.headers.get("Stripe-Account"),
                    "body": body,
                }
            )
        return await handler(request)

    async def requests_log(request):
        return web.json_response(journal)

    async def forget(request):
        journal.clear()
        resources.store.clear()
        webhooks._webhooks.clear()
        return web.Response()

    server.app.middlewares.insert(0, record)
    server.app.router.add_get("/_config/requests", requests_log)
    server.app.router.add_delete("/_config/everything", forget)
    web.run_app(server.app, host="127.0.0.1", port=port, print=None, access_log=None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStripe:
    def __init__(self, url: str):
        self.url = url

    def _call(self, method: str, path: str, data: dict | None = None):
        body = None
        headers = {}
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return (
            json.loads(raw) if raw.strip().startswith(b"[") or raw.strip().startswith(b"{") else raw
        )

    def reset(self) -> None:
        """Empty the store, the request journal and the webhook endpoints."""
        self._call("DELETE", "/_config/everything")

    def deliver_webhooks_to(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        self._call("POST", "/_config/webhooks/tremplin", {"url": url, "secret": secret})

    def requests(self, path_prefix: str = "/v1/") -> list[dict]:
        return [
            r for r in self._call("GET", "/_config/requests") if r["path"].startswith(path_prefix)
        ]

    def get(self, path: str) -> dict:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {SECRET_KEY}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def post(self, path: str, data: dict) -> dict:
        from urllib.parse import urlencode

        request = urllib.request.Request(
            self.url + path,
            data=urlencode(data).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {SECRET_KEY}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return json.loads(exc.read())

    def payment_intents(self) -> list[dict]:
        found, after = [], None
        while True:
            page = self.get(
                "/v1/payment_intents?limit=100" + (f"&starting_after={after}" if after else "")
            )
            found += page["data"]
            if not page["has_more"]:
                return found
            after = page["data"][-1]["id"]

    def config(self) -> dict:
        return {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.url,
            "STRIPE_JS_URL": f"{self.url}/js.stripe.com/v3/",
            "STRIPE_MAX_NETWORK_RETRIES": 0,
            # localstripe has no Connect: card tests run as a deployment allowed to take
            # payments itself; the rule without it is tested in test_platform_holds_nothing
            "FUNDING_PLATFORM_IS_INTERMEDIARY": True,
        }


@pytest.fixture(scope="session")
def localstripe_server():
    port = _free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(port, 0.2), daemon=True, name="localstripe"
    )
    process.start()
    server = LocalStripe(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 20
    while True:
        try:
            server.reset()
            break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline or not process.is_alive():
                process.kill()
                pytest.fail("localstripe did not start")
            time.sleep(0.1)
    yield server
    process.terminate()
    process.join(timeout=5)


@pytest.fixture
def localstripe(localstripe_server):
    """localstripe, emptied for this test."""
    localstripe_server.reset()
    yield localstripe_server
    localstripe_server.reset()


def pytest_configure(config):
    config.addinivalue_line("markers", "stripe: the app runs in Stripe mode against localstripe")


@pytest.fixture
def app_config(app_config, request):
    """Stripe-mode tests (`@pytest.mark.stripe`) get keys pointing at localstripe."""
    if request.node.get_closest_marker("stripe"):
        server = request.getfixturevalue("localstripe")
        app_config.update(server.config())
    return app_config
