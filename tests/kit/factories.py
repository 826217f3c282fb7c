"""Factory fixtures: each returns a callable that builds one object with sensible defaults.

Modules add their own factories in tests/kit/factories_<module>.py (listed in conftest).
"""

from __future__ import annotations

import itertools

import pytest
from werkzeug.security import generate_password_hash

from tremplin.platform.extensions import db as _db
from tremplin.platform.models import User
from tremplin.platform.types import utcnow

DEFAULT_PASSWORD = "un cheval bleu mange des crêpes"
_HASH = generate_password_hash(DEFAULT_PASSWORD, method="scrypt")  # hashed once per run
_counter = itertools.count(1)


@pytest.fixture
def make_member(app):
    """make_member(display_name=..., email=..., site_role="member", confirmed=True)."""

    def make(
        display_name: str | None = None,
        email: str | None = None,
        *,
        site_role: str = "member",
        confirmed: bool = True,
        locale: str = "fr",
        password: str | None = None,
        **fields,
    ) -> User:
        n = next(_counter)
        user = User(
            display_name=display_name or f"Membre {n}",
            email=(email or f"membre{n}@exemple.fr").lower(),
            site_role=site_role,
            locale=locale,
            email_confirmed_at=utcnow() if confirmed else None,
            password_hash=generate_password_hash(password) if password else _HASH,
            **fields,
        )
        _db.session.add(user)
        _db.session.commit()
        return user

    return make


@pytest.fixture
def make_organiser(make_member):
    def make(display_name: str | None = None, **kwargs) -> User:
        return make_member(display_name or "Animatrice", site_role="organiser", **kwargs)

    return make


@pytest.fixture
def outbox(app):
    """The e-mails queued so far (OutboxEmail rows), newest last; `outbox.to(addr)` filters."""
    from sqlalchemy import select

    from tremplin.platform.models import OutboxEmail

    class Outbox:
        def all(self):
            return _db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()

        def to(self, address: str):
            return [m for m in self.all() if m.to_address == address.lower()]

        def last_link(self, address: str, marker: str) -> str:
            """The last URL containing `marker` in a mail to `address`, as a path."""
            import re

            for mail in reversed(self.to(address)):
                for url in re.findall(r"https?://\S+", mail.body_text):
                    if marker in url:
                        return "/" + url.split("://", 1)[1].split("/", 1)[1]
            raise AssertionError(f"no link with {marker!r} sent to {address}")

    return Outbox()
