"""Outgoing webhooks: organisers and partners subscribe an https endpoint to some events;
each event becomes one delivery per subscription (a unique delivery id, never two for the
same event), signed like Stripe's (`Tremplin-Signature: t=<unix time>,v1=<hex HMAC-SHA256
of "<t>.<body>">`), posted by the job runner after the commit (never in the request),
retried with exponential backoff by a periodic sweep, logged, and redeliverable by hand.

An event reaches a subscription only if its owner may see what it is about — the module's
own view policy — and the payload carries only what that owner could read on the site.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tremplin.api.models import (
    DELIVERED,
    EVENTS,
    FAILED,
    PENDING,
    WebhookDelivery,
    WebhookSubscription,
)
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.jobs import job, periodic
from tremplin.platform.types import utcnow

SIGNATURE_HEADER = "Tremplin-Signature"
MAX_SUBSCRIPTIONS = 20
LEASE = timedelta(minutes=2)  # an attempt in flight; another runner leaves it alone


# --- subscriptions -------------------------------------------------------------------------


class BadTarget(DomainError):
    field = "url"


def check_target(url: str) -> None:
    """Only http(s) URLs of public hosts: never this site, never a private, loopback or
    link-local address (unless the operator allows private targets, as tests do)."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadTarget(_("Indiquez une adresse http:// ou https:// complète."))
    if parts.username or parts.password:
        raise BadTarget(_("L'adresse ne doit pas contenir d'identifiants."))
    own = urlsplit(current_app.config.get("TREMPLIN_BASE_URL") or "")
    if (
        own.hostname
        and parts.hostname.lower() == own.hostname.lower()
        and (parts.port or 0) == (own.port or 0)
    ):
        raise BadTarget(_("Un webhook ne peut pas viser Tremplin lui-même."))
    if current_app.config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"):
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise BadTarget(_("Ce nom de domaine est introuvable.")) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise BadTarget(_("Cette adresse mène à un réseau privé : elle est refusée."))


def create_subscription(owner, url: str, events: list[str], description: str = ""):
    url = (url or "").strip()
    if len(url) > 500:
        raise BadTarget(_("Cette adresse est trop longue (500 caractères au plus)."))
    check_target(url)
    chosen = [e for e in EVENTS if e in set(events or ())]
    if not chosen or len(chosen) != len(set(events)):
        raise DomainError(_("Choisissez au moins un événement."), field="events")
    count = db.session.scalar(
        select(db.func.count(WebhookSubscription.id)).where(
            WebhookSubscription.owner_id == owner.id, WebhookSubscription.disabled_at.is_(None)
        )
    )
    if count >= MAX_SUBSCRIPTIONS:
        raise DomainError(_("Vous avez déjà %(n)d webhooks actifs.", n=MAX_SUBSCRIPTIONS))
    subscription = WebhookSubscription(
        owner_id=owner.id,
        url=url,
        secret="whsec_" + secrets.token_hex(24),
        events=" ".join(chosen),
        description=" ".join((description or "").split())[:200] or None,
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription


def disable_subscription(subscription) -> bool:
    result = db.session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription.id, WebhookSubscription.disabled_at.is_(None))
        .values(disabled_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def subscriptions_of(owner) -> list[WebhookSubscription]:
    return list(
        db.session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.owner_id == owner.id)
            .order_by(WebhookSubscription.disabled_at.is_not(None), WebhookSubscription.id.desc())
        )
    )


def recent_deliveries(subscription, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# --- events --------------------------------------------------------------------------------


def record_event(event: str, key: str, may_see, payload) -> list[int]:
    """One delivery per active subscription to `event` whose owner `may_see(owner)`;
    `payload(owner)` is what that owner receives. The (subscription, key) pair is unique:
    an event recorded twice is delivered once. Returns the new deliveries' ids."""
    subscriptions = db.session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.disabled_at.is_(None),
            WebhookSubscription.events.contains(event),
        )
    ).all()
    created = []
    for subscription in subscriptions:
        owner = subscription.owner
        if event not in subscription.event_list or not owner.is_active or not may_see(owner):
            continue
        delivery = WebhookDelivery(
            delivery_id=str(uuid.uuid4()),
            subscription_id=subscription.id,
            event=event,
            event_key=key[:120],
            payload=payload(subscription.owner),
        )
        try:
            with db.session.begin_nested():
                db.session.add(delivery)
                db.session.flush()
        except IntegrityError:
            continue  # already recorded for this subscription
        created.append(delivery.id)
        deliver_job.after_commit(delivery.id)
    return created


# --- delivery ------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, now=None) -> bool:
    """What a receiver does (and the tests): check the HMAC and the timestamp's age."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff(attempts: int) -> timedelta:
    base = current_app.config["WEBHOOK_RETRY_BASE_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def deliver(delivery_pk: int, now=None) -> str | None:
    """Post one delivery once. Safe twice: the attempt is claimed with a conditional
    update, so two runners never post the same attempt. Commits its own work. Returns the
    new status, or None when there was nothing to do. (`now` lets the retry sweep and
    tests move time.)"""
    now = now or utcnow()
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_pk,
            WebhookDelivery.status == PENDING,
            (WebhookDelivery.next_attempt_at.is_(None)) | (WebhookDelivery.next_attempt_at <= now),
        )
        .values(next_attempt_at=now + LEASE, attempts=WebhookDelivery.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    delivery = db.session.get(WebhookDelivery, delivery_pk)
    db.session.refresh(delivery)
    subscription = delivery.subscription
    if subscription.disabled_at is not None:
        delivery.status, delivery.next_attempt_at = FAILED, None
        delivery.last_error = "subscription disabled"
        db.session.commit()
        return FAILED
    body = json.dumps(
        {
            "id": delivery.delivery_id,
            "event": delivery.event,
            "created_at": delivery.created_at.isoformat(),
            "data": delivery.payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    status_code, error = None, None
    try:
        check_target(subscription.url)
        response = requests.post(
            subscription.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Tremplin-Webhooks/1",
                "Tremplin-Event": delivery.event,
                "Tremplin-Delivery": delivery.delivery_id,
                SIGNATURE_HEADER: sign(subscription.secret, int(time.time()), body),
            },
            timeout=(3, current_app.config["WEBHOOK_TIMEOUT"]),
            allow_redirects=False,
        )
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except DomainError as exc:
        error = exc.message
    except requests.RequestException as exc:
        error = type(exc).__name__
    delivery.last_status_code = status_code
    delivery.last_error = error
    if error is None:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DELIVERED, utcnow(), None
    elif delivery.attempts >= current_app.config["WEBHOOK_MAX_ATTEMPTS"]:
        delivery.status, delivery.next_attempt_at = FAILED, None
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    db.session.commit()
    return delivery.status


def retry_due(now=None, limit: int = 200) -> int:
    """Post every pending delivery whose retry time has come (the periodic job)."""
    now = now or utcnow()
    ids = db.session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    ).all()
    db.session.commit()
    return sum(1 for pk in ids if deliver(pk, now=now) is not None)


def redeliver(delivery) -> None:
    """Send a delivery again (same delivery id, so the receiver can recognise it)."""
    delivery.status = PENDING
    delivery.next_attempt_at = None
    delivery.attempts = 0
    db.session.flush()
    deliver_job.after_commit(delivery.id)


# --- the job runner ------------------------------------------------------------------------


@job(retries=0)  # retries are ours: backoff per delivery, kept in the database
def deliver_job(delivery_pk: int) -> None:
    deliver(delivery_pk)


@periodic(minute="*")
def retry_webhooks() -> None:
    """Every minute: post the deliveries whose retry time has come."""
    retry_due()


# --- what each event says ------------------------------------------------------------------


def _meetup_data(meetup) -> dict:
    from tremplin.meetups import registration_counts

    counts = registration_counts([meetup.id])[meetup.id]
    return {
        "meetup": {
            "id": meetup.id,
            "title": meetup.title,
            "starts_at": meetup.starts_at.isoformat(),
            "ends_at": meetup.ends_at.isoformat(),
            "seats_taken": counts.confirmed,
            "waiting": counts.waiting,
            "capacity": meetup.capacity,
            "url": _abs("meetups.meetup", meetup_id=meetup.id),
        }
    }


def _abs(endpoint: str, **values) -> str:
    from tremplin.platform.notifications import absolute_url

    return absolute_url(url_for(endpoint, **values))


def _on_meetup_published(meetup, **_kw) -> None:
    from tremplin import meetups

    record_event(
        "meetup.published",
        f"meetup:{meetup.id}",
        lambda owner: meetups.can_view_meetup(owner, meetup),
        lambda owner: _meetup_data(meetup),
    )


def _on_registration(registration, **_kw) -> None:
    from tremplin import meetups

    meetup = registration.meetup

    def payload(owner) -> dict:
        data = _meetup_data(meetup)
        data["registration"] = {"id": registration.id, "status": registration.status}
        if meetups.can_see_registrations(owner, meetup):  # the organisers' list
            user = registration.user
            data["registration"]["name"] = str(user.public_name) if user else registration.name
            data["registration"]["guests"] = registration.guests
        return data

    stamp = registration.confirmed_at or registration.waitlisted_at or utcnow()
    record_event(
        "registration.created",
        f"registration:{registration.id}:{stamp.timestamp():.0f}",
        lambda owner: meetups.can_view_meetup(owner, meetup),
        payload,
    )


def _campaign_data(campaign) -> dict:
    from tremplin.funding import campaign_totals

    totals = campaign_totals([campaign.id])[campaign.id]
    return {
        "campaign": {
            "id": campaign.id,
            "title": campaign.title,
            "status": campaign.status,
            "goal_cents": campaign.goal_cents,
            "pledged_cents": totals.pledged_cents,
            "backers_count": totals.backers_count,
            "url": _abs("funding.campaign", campaign_id=campaign.id),
        }
    }


def _on_campaign_succeeded(campaign, **_kw) -> None:
    from tremplin import funding

    record_event(
        "campaign.succeeded",
        f"campaign:{campaign.id}",
        lambda owner: funding.can_view_campaign(owner, campaign),
        lambda owner: _campaign_data(campaign),
    )


def _on_pledge_collected(pledge, cents: int = 0, key: str = "", **_kw) -> None:
    from tremplin import funding

    campaign = pledge.campaign

    def payload(owner) -> dict:
        data = _campaign_data(campaign)
        data["payment"] = {"pledge_id": pledge.id}
        if not pledge.is_amount_hidden:  # the backer chose to show it
            data["payment"]["amount_cents"] = cents
        return data

    record_event(
        "pledge.collected",
        f"payment:{key}",
        lambda owner: funding.can_view_campaign(owner, campaign),
        payload,
    )


def _on_member_joined(membership, **_kw) -> None:
    from tremplin import groups

    group = membership.group

    def payload(owner) -> dict:
        counts = groups.member_counts([group.id])
        return {
            "group": {
                "id": group.id,
                "slug": group.slug,
                "name": group.name,
                "member_count": counts.get(group.id, 0),
                "url": _abs("groups.group", slug=group.slug),
            }
        }

    record_event(
        "member.joined",
        f"membership:{membership.id}:{membership.joined_at.timestamp() if membership.joined_at else 0:.0f}",
        lambda owner: (not group.is_private) or groups.can_read_group(owner, group),
        payload,
    )


_connected = False


def connect_signals() -> None:
    """Listen to the modules' signals (once per process)."""
    global _connected
    if _connected:
        return
    _connected = True
    from tremplin import funding, groups, meetups

    meetups.signals.meetup_published.connect(_on_meetup_published, weak=False)
    meetups.signals.registration_created.connect(_on_registration, weak=False)
    funding.signals.campaign_succeeded.connect(_on_campaign_succeeded, weak=False)
    funding.signals.pledge_collected.connect(_on_pledge_collected, weak=False)
    groups.signals.member_joined.connect(_on_member_joined, weak=False)
