"""One-time form tokens: a form that moves money (or anything that must not happen twice)
carries a random token; the action claims it in the same transaction as its writes.

A double tap, a replayed POST or two tabs sending the same form: the first submission
does the action, every other one finds the token taken and shows what was done. The
claim is an INSERT under a unique constraint, so it holds across threads, processes and
hosts: the second INSERT waits for the first transaction, then fails. If the action
fails (a domain error rolls the request back), the token is freed with it and the form
can be sent again. Never a substitute for the guarded UPDATE of the action itself (two
people sending two different forms for the same promise): both are needed.

Usage in a view::

    form = TransferForm()                      # has `once = OnceField()`
    done = idempotency.already_done(form.once.data, scope, current_user)
    if done: return idempotency.show_done(done)
    with form_errors(form) as outcome:
        idempotency.claim(form.once.data, scope, current_user)
        ...the action...
        idempotency.record(form.once.data, scope, message, url)
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import flash, redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import HiddenField

from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.types import UTCDateTime, utcnow


def new_token() -> str:
    return secrets.token_urlsafe(18)


class FormSubmission(db.Model):
    """A one-time form token, claimed by the submission that acted on it, with what it did
    (shown again to whoever sends the same form later)."""

    __tablename__ = "form_submissions"
    __table_args__ = (UniqueConstraint("scope", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # what the form acts on ("funding.transfer:12"): one page may hold several forms
    # rendered with the same token (one per row), each its own action
    scope: Mapped[str] = mapped_column(String(120))
    token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    message: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlreadySubmitted(DomainError):
    """The token was claimed meanwhile by another submission of the same form."""

    default_message = _l("Ce formulaire a déjà été envoyé.")

    def __init__(self, submission: FormSubmission):
        super().__init__()
        self.submission = submission


class MissingToken(DomainError):
    default_message = _l("Ce formulaire a expiré : rechargez la page et recommencez.")


class OnceField(HiddenField):
    """The hidden one-time token of a form (a fresh one each time the form is rendered
    without submitted data)."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault("default", new_token)
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist):
        # a submitted form without its token has none (not a fresh default one)
        self.data = valuelist[0] if valuelist else ""


def _clean(token: str | None) -> str:
    token = (token or "").strip()
    if not token or len(token) > 64:
        raise MissingToken()
    return token


def already_done(token: str | None, scope: str, user) -> FormSubmission | None:
    """The earlier submission of this form by this user, if it was done (committed)."""
    token = (token or "").strip()
    if not token:
        return None
    found = db.session.scalar(
        select(FormSubmission).where(FormSubmission.scope == scope, FormSubmission.token == token)
    )
    if found is not None and found.user_id == getattr(user, "id", None):
        return found
    return None


def claim(token: str | None, scope: str, user) -> FormSubmission:
    """Claim the token for this action, inside the caller's transaction. Raises
    AlreadySubmitted (with the earlier submission) when another submission claimed it
    first; MissingToken when the form carried none."""
    token = _clean(token)
    row = FormSubmission(scope=scope, token=token, user_id=getattr(user, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        earlier = db.session.scalar(
            select(FormSubmission).where(
                FormSubmission.scope == scope, FormSubmission.token == token
            )
        )
        raise AlreadySubmitted(earlier) from None
    return row


def record(submission: FormSubmission, message: str, url: str | None = None) -> None:
    """What the action did, for the page shown to a later submission of the same form."""
    submission.message = message[:255]
    submission.url = (url or "")[:255] or None
    db.session.flush()


def show_done(submission: FormSubmission | None, fallback_url: str):
    """The answer to a form sent again: what the first submission did, no new action."""
    if submission is not None and submission.message:
        flash(
            _("Ce formulaire a déjà été envoyé : %(done)s", done=submission.message),
            "info",
        )
    else:
        flash(_("Ce formulaire a déjà été envoyé ; il n'a été pris en compte qu'une fois."), "info")
    target = (submission.url if submission is not None else None) or fallback_url
    return redirect(target, code=303)
