"""In-app notifications and the e-mail outbox.

`notify` stores a notification, pushes the new unread count to the member's room after
commit and, if the member consented to that kind of e-mail, queues one. Account e-mails
(confirmation, reset, security notices) are always sent. Nothing here sends mail inline:
the job runner delivers the outbox within seconds of the commit that queued a mail (and
sweeps it every minute for retries); `flask notify send` does the same by hand.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Iterable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from tremplin.platform.extensions import db
from tremplin.platform.hooks import registry
from tremplin.platform.jobs import job, on_consumer_start, periodic, register_backlog
from tremplin.platform.models import EmailConsent, Notification, OutboxEmail, User
from tremplin.platform.realtime import emit_after_commit, user_room
from tremplin.platform.types import utcnow

ACCOUNT_KIND = "account"


def absolute_url(path: str) -> str:
    if path.startswith("http://") or path.startswith("https://"):
        return path
    return current_app.config["TREMPLIN_BASE_URL"] + path


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def _push_unread_count(user_id: int) -> None:
    def payload():
        count = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        return {"unread": count or 0}

    emit_after_commit(db.session, "notifications:count", payload, room=user_room(user_id))


def has_consented(user: User, kind: str) -> bool:
    if kind == ACCOUNT_KIND:
        return True
    return any(c.kind == kind for c in user.email_consents)


def set_consents(user: User, kinds: Iterable[str]) -> None:
    wanted = set(kinds)
    for consent in list(user.email_consents):
        if consent.kind not in wanted:
            user.email_consents.remove(consent)
    have = {c.kind for c in user.email_consents}
    for kind in wanted - have:
        user.email_consents.append(EmailConsent(kind=kind))
    db.session.flush()


def notify(
    user: User | None,
    kind: str,
    text,
    url: str | None = None,
    *,
    subject=None,
    template: str | None = None,
    **email_context,
) -> Notification | None:
    """Tell a member something happened: the one helper every module uses.

    `text` and `subject` may be lazy strings (`lazy_gettext` with their parameters): they
    are rendered here in the RECIPIENT's language, never the sender's; plain strings are
    stored as they are. Stores the notification, pushes the unread count after commit, and
    queues an e-mail (rendered from `template`, else the kind's registered template, in the
    same language) when the member consented to `kind`. Nothing for a missing or deleted
    account. Never commits."""
    if user is None or user.is_deleted:
        return None
    with force_locale(user.locale or "fr"):
        message = str(text)
        subject_text = str(subject) if subject is not None else message
    notification = Notification(user_id=user.id, kind=kind, text=message, url=url)
    db.session.add(notification)
    db.session.flush()
    _push_unread_count(user.id)
    if has_consented(user, kind) and user.email:
        queue_email(
            user,
            subject_text,
            template or registry.email_templates.get(kind, "email/notification.txt"),
            kind=kind,
            text=message,
            url=absolute_url(url) if url else None,
            **email_context,
        )
    return notification


def mark_read(user: User, notification_ids: Iterable[int] | None = None) -> int:
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(list(notification_ids)))
    result = db.session.execute(stmt.values(read_at=utcnow()))
    _push_unread_count(user.id)
    return result.rowcount or 0


def queue_email(
    recipient: User | str, subject: str, template: str, *, kind: str, **context
) -> OutboxEmail | None:
    """Render an e-mail in the recipient's language and put it in the outbox."""
    user = recipient if isinstance(recipient, User) else None
    address = user.email if user else recipient
    if not address:
        return None
    if user is not None and not has_consented(user, kind):
        return None
    locale = user.locale if user else context.pop("locale", "fr")
    with force_locale(locale):
        body = render_template(template, user=user, **context)
        subject = str(subject)
    mail = OutboxEmail(
        to_address=address,
        subject=subject,
        body_text=body,
        kind=kind,
        user_id=user.id if user else None,
    )
    db.session.add(mail)
    db.session.flush()
    deliver.after_commit()
    return mail


def _build_message(mail: OutboxEmail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = mail.to_address
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="tremplin.local")
    for name, value in (mail.headers or {}).items():
        msg[name] = value
    msg.set_content(mail.body_text)
    return msg


def _send_smtp(messages: list[EmailMessage]) -> None:
    cfg = current_app.config
    if cfg["MAIL_USE_SSL"]:
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30)
        if cfg["MAIL_USE_TLS"]:
            server.starttls(context=ssl.create_default_context())
    with server:
        if cfg["MAIL_USERNAME"]:
            server.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        for message in messages:
            server.send_message(message)


def _write_file(mail: OutboxEmail, message: EmailMessage) -> None:
    # One file per mail, written whole or not at all, and never twice (a runner killed
    # after writing it but before recording the sending leaves it for the next one).
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{mail.created_at:%Y%m%d-%H%M%S}-{mail.id:06d}.eml"
    if (outbox / name).exists():
        return
    temporary = outbox / f".{name}.{os.getpid()}.part"
    temporary.write_bytes(bytes(message))
    temporary.replace(outbox / name)


def deliver_outbox(limit: int = 500) -> tuple[int, int]:
    """Send what waits in the outbox; safe to run twice or concurrently: a mail is claimed
    by one runner (a conditional UPDATE) before it is sent, so nobody receives it twice.
    A claim left by a runner that died before it could record the sending (killed in the
    middle of SMTP) is taken again after MAIL_CLAIM_TIMEOUT seconds. Commits after each
    mail (a job or a CLI command, never a request)."""
    sent = failed = 0
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config.get("MAIL_CLAIM_TIMEOUT", 600))
    claimable = (
        OutboxEmail.sent_at.is_(None),
        OutboxEmail.attempts < 5,
        (OutboxEmail.claimed_at.is_(None)) | (OutboxEmail.claimed_at < stale),
    )
    ids = db.session.scalars(
        select(OutboxEmail.id).where(*claimable).order_by(OutboxEmail.id).limit(limit)
    ).all()
    db.session.commit()
    for mail_id in ids:
        claimed = db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == mail_id, *claimable)
            .values(claimed_at=utcnow(), attempts=OutboxEmail.attempts + 1)
        ).rowcount
        db.session.commit()
        if not claimed:
            continue
        mail = db.session.get(OutboxEmail, mail_id)
        try:
            message = _build_message(mail)
            if current_app.config["MAIL_SERVER"]:
                _send_smtp([message])
            else:
                _write_file(mail, message)
            mail.sent_at = utcnow()
            sent += 1
        except Exception as exc:  # noqa: BLE001 - recorded and retried by the next run
            mail.claimed_at = None
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            failed += 1
        db.session.commit()
    return sent, failed


@on_consumer_start
@job(retries=0)
def deliver() -> str:
    """Deliver the outbox now (queued by every commit that queues a mail)."""
    sent, failed = deliver_outbox()
    return f"{sent} envoyé(s), {failed} en échec"


@periodic(minute="*")
def deliver_every_minute() -> str:
    """Every minute: retries of failed mail, and anything a stopped runner left."""
    return deliver()


def unsent_count() -> int:
    return (
        db.session.scalar(
            select(func.count(OutboxEmail.id)).where(
                OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < 5
            )
        )
        or 0
    )


def purge_read_notifications(older_than_days: int = 180) -> int:
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(
        Notification.__table__.delete().where(
            Notification.read_at.is_not(None), Notification.created_at < cutoff
        )
    )
    return result.rowcount or 0


register_backlog(_l("E-mails en attente d’envoi"), unsent_count)
