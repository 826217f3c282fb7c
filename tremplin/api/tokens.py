"""Personal access tokens: created (the clear value is returned once and never stored),
listed, revoked, and resolved on each API call with a throttled last-used date."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from tremplin.api.models import SCOPES, ApiToken
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow

PREFIX = "trp_"
MAX_TOKENS = 20
# The last-used date is written at most this often per token (not on every call).
LAST_USED_GRANULARITY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """Tokens carry 256 random bits: a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the clear token (shown once)."""
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 80:
        raise DomainError(_("Donnez un nom au jeton (1 à 80 caractères)."), field="name")
    chosen = [s for s in SCOPES if s in set(scopes or ())]
    if not chosen or len(chosen) != len(set(scopes)):
        raise DomainError(_("Choisissez au moins une portée."), field="scopes")
    active = db.session.scalar(
        select(db.func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    )
    if active >= MAX_TOKENS:
        raise DomainError(
            _("Vous avez déjà %(n)d jetons actifs : révoquez-en un d'abord.", n=MAX_TOKENS)
        )
    clear = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=clear[:10],
        token_hash=token_hash(clear),
        scopes=" ".join(chosen),
    )
    db.session.add(token)
    db.session.flush()
    return token, clear


def tokens_of(user) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def revoke_token(user, token_id: int) -> bool:
    """Revoke one of the member's tokens (a conditional update: twice is harmless)."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def resolve(clear: str) -> ApiToken | None:
    """The active token behind a clear value whose owner may still act, or None."""
    if not clear.startswith(PREFIX) or len(clear) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(clear)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_GRANULARITY:
        db.session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token.id,
                (ApiToken.last_used_at.is_(None))
                | (ApiToken.last_used_at < now - LAST_USED_GRANULARITY),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        token.last_used_at = now
    return token


def erase_tokens_of(user) -> None:
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
