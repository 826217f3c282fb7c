"""Web Push for mentions, private messages and replies: opt-in per device, VAPID keys
generated into instance/ on first use (like the SECRET_KEY), delivered by the job runner
(never in a request). A subscription the push service answers 404/410 is removed.
Never commits (the job's session is committed by the runner)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask_babel import gettext as _
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, select

from tremplin.groups.models import PushSubscription
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.jobs import job
from tremplin.platform.models import Notification, User

PUSHED_KINDS = ("groups_mention", "groups_conversation", "groups_reply")


def _key_file() -> Path:
    configured = current_app.config.get("VAPID_PRIVATE_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "vapid.pem"


def vapid() -> Vapid02:
    """The site's VAPID key pair, generated on first use and kept under instance/."""
    path = _key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Vapid02()
        key.generate_keys()
        temporary = path.with_suffix(f".{os.getpid()}.part")
        key.save_key(str(temporary))
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)  # first writer wins; another process reads its key
        except FileExistsError:
            pass
        temporary.unlink(missing_ok=True)
    return Vapid02.from_file(str(path))


def application_server_key() -> str:
    """The public key browsers need to subscribe (base64url, uncompressed point)."""
    raw = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def subscribe(user: User, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    endpoint = (endpoint or "").strip()
    if urlsplit(endpoint).scheme not in ("https", "http") or len(endpoint) > 1000:
        raise DomainError(_("Cet abonnement aux notifications n’est pas valide."))
    if not p256dh or not auth or len(p256dh) > 200 or len(auth) > 100:
        raise DomainError(_("Cet abonnement aux notifications n’est pas valide."))
    existing = db.session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )
    if existing is None:
        existing = PushSubscription(user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        db.session.add(existing)
    else:  # the same browser, maybe another member now: it follows the last one
        existing.user_id, existing.p256dh, existing.auth = user.id, p256dh, auth
    db.session.flush()
    return existing


def unsubscribe(user: User, endpoint: str) -> None:
    db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == user.id, PushSubscription.endpoint == endpoint
        )
    )


def push_notification(notification: Notification | None) -> None:
    """Queue a push for this stored notice (after the commit, dropped on rollback)."""
    if notification is not None and notification.kind in PUSHED_KINDS:
        deliver_push.after_commit(notification.id)


@job(retries=3, retry_delay=30)
def deliver_push(notification_id: int) -> None:
    """Send the notice to every device of its member; safe twice (a device may show the
    same notice twice at worst, under the same tag, which replaces it)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.read_at is not None:
        return
    payload = json.dumps(
        {
            "title": "Tremplin",
            "body": notification.text,
            "url": notification.url or "/",
            "tag": f"notification-{notification.id}",
        }
    )
    claims = {"sub": current_app.config.get("VAPID_SUBJECT") or "mailto:contact@tremplin.local"}
    key = vapid()
    subscriptions = db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == notification.user_id)
    ).all()
    for subscription in subscriptions:
        info = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        try:
            webpush(info, payload, vapid_private_key=key, vapid_claims=dict(claims), timeout=10)
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):  # the browser unsubscribed or the device is gone
                db.session.delete(subscription)
            else:
                raise
