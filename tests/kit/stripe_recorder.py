"""A stand-in for the `stripe` library's HTTP client (stripe.RequestsClient) that records
every request it would send and answers as Stripe would for Connect accounts and account
links (localstripe has no Connect). Our code runs for real; only the wire is replaced."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
import stripe


class RecordingHTTPClient(stripe.HTTPClient):
    """Stands in for stripe.RequestsClient: records each request and answers as Stripe
    would for accounts and account links."""

    name = "recording"
    calls: list[tuple[str, str, dict, dict]] = []
    charges_enabled = False

    def __init__(self, *args, timeout=None, **kwargs):
        super().__init__()

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlparse(url).path
        params = parse_qs(post_data or urlparse(url).query or "")
        type(self).calls.append((method.upper(), path, dict(headers or {}), params))
        if path == "/v1/accounts" and method.lower() == "post":
            body = {"id": "acct_1Tremplin", "object": "account", "charges_enabled": False}
        elif path.startswith("/v1/accounts/"):
            body = {
                "id": path.rsplit("/", 1)[-1],
                "object": "account",
                "charges_enabled": type(self).charges_enabled,
                "details_submitted": type(self).charges_enabled,
            }
        elif path == "/v1/account_links":
            body = {
                "object": "account_link",
                "url": "https://connect.stripe.com/setup/e/acct_1Tremplin/xyz",
                "expires_at": 1,
            }
        else:
            return json.dumps({"error": {"message": "unknown"}}), 404, {}
        return json.dumps(body), 200, {"request-id": "req_test"}

    def close(self):
        pass


@pytest.fixture
def recording(monkeypatch):
    """Record what the `stripe` library sends (`recording.calls`: method, path, headers,
    form parameters); `recording.charges_enabled` is what accounts answer."""
    from tremplin.funding import payments

    RecordingHTTPClient.calls = []
    RecordingHTTPClient.charges_enabled = False
    monkeypatch.setattr(stripe, "RequestsClient", RecordingHTTPClient)
    payments._clients.clear()
    yield RecordingHTTPClient
    payments._clients.clear()
