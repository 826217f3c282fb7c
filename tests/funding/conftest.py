"""Helpers for funding tests that talk to the webhook endpoint without localstripe: a Stripe
configuration that points nowhere (any call to Stripe would fail loudly) and a signer that
builds webhook calls the way Stripe does (HMAC-SHA256 of "timestamp.payload")."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time

import pytest

OFFLINE_SECRET = "whsec_offline_tests"
_events = itertools.count(1)


OFFLINE_CONFIG = {
    "STRIPE_SECRET_KEY": "sk_test_offline",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_offline",
    "STRIPE_WEBHOOK_SECRET": OFFLINE_SECRET,
    "STRIPE_API_BASE": "http://127.0.0.1:9",
    "STRIPE_MAX_NETWORK_RETRIES": 0,
    "STRIPE_TIMEOUT": 2,
    "FUNDING_PLATFORM_IS_INTERMEDIARY": True,
}


def pytest_configure(config):
    config.addinivalue_line("markers", "offline_stripe: Stripe mode with no Stripe server at all")


@pytest.fixture
def app_config(app_config, request):
    """`@pytest.mark.offline_stripe`: Stripe mode whose server address points nowhere, for
    tests that feed events to the webhook and must prove no call to Stripe is needed."""
    if request.node.get_closest_marker("offline_stripe"):
        app_config.update(OFFLINE_CONFIG)
    # The search index follows every commit; when its (Whoosh, in RAM) writer fails it can
    # keep its lock and make every later commit wait 10 s. Funding tests commit a lot:
    # do not let that wait dominate them (search failures are logged, never raised).
    app_config.setdefault("SEARCH_WRITE_TIMEOUT", 0.05)
    return app_config


def sign(payload: bytes, secret: str = OFFLINE_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(kind: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{next(_events)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
        "api_version": "2024-06-20",
    }


def intent_object(
    intent_id: str,
    status: str,
    amount: int,
    *,
    pledge_id: int | None = None,
    error_code: str | None = None,
    fee: int | None = None,
) -> dict:
    obj = {
        "id": intent_id,
        "object": "payment_intent",
        "status": status,
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": "eur",
        "metadata": {"tremplin_pledge": str(pledge_id)} if pledge_id else {},
        "latest_charge": None,
        "last_payment_error": None,
    }
    if status == "succeeded":
        obj["latest_charge"] = {
            "id": f"ch_{intent_id}",
            "balance_transaction": {"id": f"txn_{intent_id}", "fee": fee or 0},
        }
    if status == "requires_payment_method":
        obj["last_payment_error"] = {"code": error_code or "card_declined", "message": "Refusée"}
        obj["latest_charge"] = f"ch_{intent_id}"
    return obj


def post_event(
    client,
    payload: dict,
    *,
    secret: str = OFFLINE_SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
):
    body = json.dumps(payload).encode()
    header = signature if signature is not None else sign(body, secret, timestamp)
    return client.post(
        "/funding/stripe/webhook",
        data=body,
        csrf=False,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
