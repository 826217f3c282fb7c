"""Who a rate limit counts: the thing attacked (an account, an e-mail address being tried)
rather than the client's address alone, which a whole room shares behind one NAT."""

from __future__ import annotations

import hashlib

from flask import request
from flask_limiter.util import get_remote_address
from flask_login import current_user


def client_ip() -> str:
    return f"ip:{get_remote_address()}"


def account_or_ip() -> str:
    """The member's account when logged in, else the client's address."""
    if current_user.is_authenticated:
        return f"account:{current_user.get_id()}"
    return client_ip()


def target(field: str):
    """A key on the value of `field` (form field, else URL part), e.g. the e-mail address a
    login tries, so guessing one account's password is limited from any number of
    addresses; the client's address when the field is empty."""

    def key() -> str:
        value = request.form.get(field) or (request.view_args or {}).get(field) or ""
        value = value.strip().lower()
        if not value:
            return client_ip()
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        return f"{field}:{digest}"

    key.__name__ = f"target_{field}"
    return key
