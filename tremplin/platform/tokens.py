"""Signed, expiring links for e-mail confirmation and password reset."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


@dataclass
class TokenResult:
    status: str  # "ok", "expired", "invalid"
    data: Any = None


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"tremplin:{purpose}")


def fingerprint(value: str | None) -> str:
    """A short digest of a secret-bearing value (never the value itself in a link)."""
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


def make_token(purpose: str, data: Any) -> str:
    return _serializer(purpose).dumps(data)


def read_token(purpose: str, token: str, max_age: int) -> TokenResult:
    try:
        return TokenResult("ok", _serializer(purpose).loads(token, max_age=max_age))
    except SignatureExpired as exc:
        payload = None
        try:
            payload = _serializer(purpose).loads_unsafe(token)[1]
        except Exception:  # noqa: BLE001 - a damaged token is just invalid
            payload = None
        del exc
        return TokenResult("expired", payload)
    except BadSignature:
        return TokenResult("invalid")
