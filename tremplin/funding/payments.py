"""The one place that talks to the payment processor (Stripe). Nothing else imports `stripe`.

Every call that creates or moves something carries an idempotency key derived from our
own ids (the caller passes it), so a retried call never makes a second charge at Stripe.
Answers come back as small snapshots (`Intent`, `Setup`, `RefundInfo`), never as Stripe
objects: the rest of the code reads plain values. This module never touches the database.
Without `STRIPE_SECRET_KEY` the platform runs in promise mode and nothing here is called.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from tremplin.platform.errors import DomainError

log = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300
CURRENCY = "eur"

# Snapshot statuses (ours, stable whatever the API version says)
STARTED = "started"
AUTHORIZED = "requires_capture"
REQUIRES_ACTION = "requires_action"
PROCESSING = "processing"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"


class ProcessorUnavailable(DomainError):
    default_message = _l(
        "Le service de paiement ne répond pas pour l'instant. Rien n'a été "
        "débité ; réessayez dans quelques minutes."
    )


class CardRefused(DomainError):
    default_message = _l("Votre banque a refusé cette carte. Essayez une autre carte.")


class InvalidWebhook(Exception):
    """A webhook whose signature is missing, wrong or too old."""


@dataclass(frozen=True)
class Intent:
    """A PaymentIntent as we need it."""

    id: str
    status: str
    amount_cents: int
    amount_received_cents: int = 0
    customer: str | None = None
    payment_method: str | None = None
    client_secret: str | None = None
    charge_id: str | None = None
    fee_cents: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Setup:
    id: str
    status: str
    customer: str | None = None
    payment_method: str | None = None
    client_secret: str | None = None
    error_message: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundInfo:
    id: str
    amount_cents: int
    status: str
    payment_intent: str | None = None
    charge_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountInfo:
    id: str
    charges_enabled: bool = False
    details_submitted: bool = False


# --- configuration ------------------------------------------------------------------------


def is_enabled(app=None) -> bool:
    app = app or current_app
    return bool(app.config.get("STRIPE_SECRET_KEY"))


def publishable_key() -> str | None:
    return current_app.config.get("STRIPE_PUBLISHABLE_KEY")


def webhook_secret() -> str | None:
    return current_app.config.get("STRIPE_WEBHOOK_SECRET")


_clients: dict[tuple[str, str | None], stripe.StripeClient] = {}
_clients_lock = threading.Lock()


def client() -> stripe.StripeClient:
    cfg = current_app.config
    key = cfg.get("STRIPE_SECRET_KEY")
    if not key:
        raise ProcessorUnavailable()
    base = cfg.get("STRIPE_API_BASE")
    with _clients_lock:
        found = _clients.get((key, base))
        if found is None:
            found = stripe.StripeClient(
                key,
                base_addresses={"api": base} if base else None,
                # the client retries network failures itself, with the same idempotency key
                max_network_retries=int(cfg.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
                http_client=stripe.RequestsClient(timeout=float(cfg.get("STRIPE_TIMEOUT", 30))),
            )
            _clients[(key, base)] = found
    return found


def _options(idempotency_key: str | None = None, account: str | None = None) -> dict:
    options: dict[str, Any] = {}
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    if account:
        options["stripe_account"] = account
    return options


def _unavailable(exc: Exception) -> ProcessorUnavailable:
    log.warning("Stripe call failed: %s: %s", type(exc).__name__, exc)
    return ProcessorUnavailable()


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    try:
        return obj[name] if name in obj else default
    except (TypeError, KeyError):
        return getattr(obj, name, default)


def _plain(obj: Any) -> dict:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return dict(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return dict(obj)


# --- snapshots ---------------------------------------------------------------------------


def intent_from(obj: Any) -> Intent:
    """A snapshot of a PaymentIntent (a Stripe object, or the dict of a webhook payload)."""
    status = _get(obj, "status")
    error = _get(obj, "last_payment_error") or {}
    error_code = _get(error, "code")
    decline_code = _get(error, "decline_code")
    if status == "requires_payment_method":
        # The last try failed. "authentication_required" means the bank wants the backer
        # to confirm (off-session 3-D Secure); anything else is a decline.
        status = (
            REQUIRES_ACTION
            if error_code == "authentication_required"
            else (FAILED if error or _get(obj, "latest_charge") else REQUIRES_ACTION)
        )
    elif status in ("requires_action", "requires_confirmation"):
        status = REQUIRES_ACTION
    elif status not in (AUTHORIZED, SUCCEEDED, CANCELED, PROCESSING):
        status = PROCESSING
    charge = _get(obj, "latest_charge")
    charge_id = charge if isinstance(charge, str) else _get(charge, "id")
    fee = None
    if charge is not None and not isinstance(charge, str):
        transaction = _get(charge, "balance_transaction")
        if transaction is not None and not isinstance(transaction, str):
            fee = _get(transaction, "fee")
    payment_method = _get(obj, "payment_method") or _get(error, "payment_method")
    if payment_method is not None and not isinstance(payment_method, str):
        payment_method = _get(payment_method, "id")
    customer = _get(obj, "customer")
    if customer is not None and not isinstance(customer, str):
        customer = _get(customer, "id")
    return Intent(
        id=_get(obj, "id"),
        status=status,
        amount_cents=int(_get(obj, "amount") or 0),
        amount_received_cents=int(
            _get(obj, "amount_received")
            or (_get(obj, "amount") if _get(obj, "status") == "succeeded" else 0)
            or 0
        ),
        customer=customer,
        payment_method=payment_method,
        client_secret=_get(obj, "client_secret"),
        charge_id=charge_id,
        fee_cents=int(fee) if fee is not None else None,
        error_code=decline_code or error_code,
        error_message=_get(error, "message"),
        metadata={str(k): str(v) for k, v in _plain(_get(obj, "metadata")).items()},
    )


def setup_from(obj: Any) -> Setup:
    status = _get(obj, "status")
    error = _get(obj, "last_setup_error") or {}
    return Setup(
        id=_get(obj, "id"),
        status=status,
        customer=_get(obj, "customer"),
        payment_method=(
            _get(obj, "payment_method")
            if isinstance(_get(obj, "payment_method"), str | None)
            else _get(_get(obj, "payment_method"), "id")
        ),
        client_secret=_get(obj, "client_secret"),
        error_message=_get(error, "message"),
        metadata={str(k): str(v) for k, v in _plain(_get(obj, "metadata")).items()},
    )


def refund_from(obj: Any) -> RefundInfo:
    charge = _get(obj, "charge")
    return RefundInfo(
        id=_get(obj, "id"),
        amount_cents=int(_get(obj, "amount") or 0),
        status=_get(obj, "status") or "succeeded",
        payment_intent=_get(obj, "payment_intent"),
        charge_id=charge if isinstance(charge, str | None) else _get(charge, "id"),
        metadata={str(k): str(v) for k, v in _plain(_get(obj, "metadata")).items()},
    )


# --- customers and saved cards --------------------------------------------------------------


def create_customer(*, email: str | None, name: str, user_id: int, key: str) -> str:
    try:
        customer = client().v1.customers.create(
            {"email": email or None, "name": name, "metadata": {"tremplin_user": str(user_id)}},
            _options(key),
        )
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return customer.id


def create_setup_intent(*, customer: str, key: str, metadata: dict[str, str]) -> Setup:
    """A SetupIntent that saves a card for later off-session charges."""
    try:
        intent = client().v1.setup_intents.create(
            {
                "customer": customer,
                "usage": "off_session",
                "payment_method_types": ["card"],
                "metadata": metadata,
            },
            _options(key),
        )
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return setup_from(intent)


def retrieve_setup_intent(setup_intent_id: str) -> Setup:
    try:
        return setup_from(client().v1.setup_intents.retrieve(setup_intent_id))
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


# --- charges -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRef:
    """Who pays and where the money goes: the backer's Stripe customer and saved card and,
    with Stripe Connect, the project's own account (`destination`) and the platform's fee."""

    customer: str
    payment_method: str
    destination: str | None = None
    application_fee_cents: int | None = None


def payment_intent_params(
    *,
    amount_cents: int,
    payment: PaymentRef,
    metadata: dict[str, str],
    off_session: bool = True,
) -> dict[str, Any]:
    """The parameters of an authorisation: confirmed at once, captured separately (the money
    is only taken by `capture`, once our database knows the PaymentIntent). With Stripe
    Connect, a destination charge sends the money to the project's own account."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise ValueError("amount must be positive integer cents")
    destination = payment.destination
    params: dict[str, Any] = {
        "amount": amount_cents,
        "currency": CURRENCY,
        "customer": payment.customer,
        "payment_method": payment.payment_method,
        "confirm": True,
        "capture_method": "manual",
        "payment_method_types": ["card"],
        "metadata": metadata,
    }
    if off_session:
        params["off_session"] = True
    if destination:
        params["transfer_data"] = {"destination": destination}
        params["on_behalf_of"] = destination
        if payment.application_fee_cents:
            params["application_fee_amount"] = payment.application_fee_cents
    return params


def authorize(
    *,
    amount_cents: int,
    payment: PaymentRef,
    key: str,
    metadata: dict[str, str],
    off_session: bool = True,
) -> Intent:
    """Ask the bank to authorise a charge on a saved card. Declines and "authentication
    required" come back as a snapshot (status failed / requires_action), not an error."""
    params = payment_intent_params(
        amount_cents=amount_cents, payment=payment, metadata=metadata, off_session=off_session
    )
    api = client().v1
    try:
        return intent_from(api.payment_intents.create(params, _options(key)))
    except stripe.CardError as exc:
        return _intent_after_card_error(exc, amount_cents)
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def _intent_after_card_error(exc: stripe.CardError, amount_cents: int) -> Intent:
    """Stripe answers a refused off-session payment with a card error that carries the
    PaymentIntent (some test servers only name the charge): find it and snapshot it."""
    error = exc.error
    intent = _get(error, "payment_intent")
    try:
        if intent is not None:
            snapshot = intent_from(intent)
        else:
            charge_id = _get(error, "charge")
            if not charge_id:
                raise ProcessorUnavailable()
            charge = client().v1.charges.retrieve(charge_id)
            snapshot = retrieve_payment_intent(charge.payment_intent)
    except stripe.StripeError as inner:
        raise _unavailable(inner) from inner
    code = exc.code or _get(error, "code")
    status = REQUIRES_ACTION if code == "authentication_required" else FAILED
    if snapshot.status in (SUCCEEDED, AUTHORIZED):  # cannot happen, but never lose a charge
        return snapshot
    return Intent(
        **{
            **snapshot.__dict__,
            "status": status,
            "error_code": _get(error, "decline_code") or code,
            "error_message": str(exc.user_message or exc)[:255],
            "amount_cents": snapshot.amount_cents or amount_cents,
        }
    )


def retrieve_payment_intent(payment_intent_id: str) -> Intent:
    try:
        return intent_from(
            client().v1.payment_intents.retrieve(
                payment_intent_id, {"expand": ["latest_charge.balance_transaction"]}
            )
        )
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def capture(payment_intent_id: str, *, key: str) -> Intent:
    """Take the money an authorisation holds. Capturing twice is refused by Stripe, so a
    runner that died after capturing finds the PaymentIntent succeeded instead."""
    try:
        client().v1.payment_intents.capture(payment_intent_id, {}, _options(key))
    except stripe.InvalidRequestError as exc:
        # already captured (a run that died after capturing), or no longer capturable (an
        # expired authorisation): either way, what Stripe holds now is the answer
        log.info("capture of %s refused (%s): reading it instead", payment_intent_id, exc)
        return retrieve_payment_intent(payment_intent_id)
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return retrieve_payment_intent(payment_intent_id)


def cancel(payment_intent_id: str, *, key: str) -> Intent:
    """Release an authorisation or abandon a PaymentIntent that will not be completed."""
    try:
        return intent_from(client().v1.payment_intents.cancel(payment_intent_id, {}, _options(key)))
    except stripe.InvalidRequestError:
        return retrieve_payment_intent(payment_intent_id)
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def list_payment_intents(limit: int = 100) -> Iterator[Intent]:
    """Every PaymentIntent of the account, newest first (for reconciliation)."""
    try:
        page = client().v1.payment_intents.list({"limit": limit})
        for item in page.auto_paging_iter():
            yield intent_from(item)
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


# --- refunds -------------------------------------------------------------------------------


def refund(
    payment_intent_id: str,
    amount_cents: int,
    *,
    key: str,
    metadata: dict[str, str],
    connected: bool = False,
) -> RefundInfo:
    """Give back `amount_cents` of a captured payment. For a destination charge, the
    transfer to the project's account is reversed in proportion."""
    params: dict[str, Any] = {
        "payment_intent": payment_intent_id,
        "amount": amount_cents,
        "metadata": metadata,
    }
    if connected:
        params["reverse_transfer"] = True
    try:
        return refund_from(client().v1.refunds.create(params, _options(key)))
    except stripe.InvalidRequestError as exc:
        raise DomainError(_l("Le service de paiement a refusé ce remboursement.")) from exc
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def list_refunds(payment_intent_id: str) -> list[RefundInfo]:
    try:
        page = client().v1.refunds.list({"payment_intent": payment_intent_id, "limit": 100})
        return [refund_from(item) for item in page.auto_paging_iter()]
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


# --- webhooks -------------------------------------------------------------------------------


def verify_webhook(
    payload: bytes, signature_header: str | None, secret: str | None = None
) -> dict[str, Any]:
    """The event of a webhook whose signature is right and less than 300 s old, as a
    plain dict; raises InvalidWebhook otherwise."""
    secret = secret or webhook_secret()
    if not secret:
        raise InvalidWebhook("no webhook secret configured")
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature_header, secret, WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook(str(exc)) from exc
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidWebhook("payload is not JSON") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or "type" not in event:
        raise InvalidWebhook("payload is not an event")
    return event


# --- subscriptions (investor clubs' monthly savings) ------------------------------------
@dataclass(frozen=True)
class InvoiceInfo:
    id: str
    status: str
    subscription: str | None
    amount_paid_cents: int


@dataclass(frozen=True)
class SubscriptionInfo:
    id: str
    status: str
    latest_invoice: InvoiceInfo | None


def invoice_from(obj) -> InvoiceInfo:
    get = _get
    subscription = get(obj, "subscription")
    if subscription is not None and not isinstance(subscription, str):
        subscription = get(subscription, "id")
    return InvoiceInfo(
        id=get(obj, "id"),
        status=get(obj, "status") or "",
        subscription=subscription,
        amount_paid_cents=int(get(obj, "amount_paid") or 0),
    )


def monthly_plan(club_id: int, amount_cents: int, club_name: str) -> str:
    """The plan "this club, this amount, every month" (created once, found afterwards)."""
    plan_id = f"tremplin-club-{club_id}-{amount_cents}"
    api = client().v1
    try:
        return api.plans.retrieve(plan_id).id
    except stripe.InvalidRequestError:
        pass
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    try:
        return api.plans.create(
            {
                "id": plan_id,
                "amount": amount_cents,
                "currency": CURRENCY,
                "interval": "month",
                "product": {"name": f"Épargne — {club_name}"[:250]},
                "metadata": {"tremplin_club": str(club_id)},
            }
        ).id
    except stripe.InvalidRequestError:  # created meanwhile
        return api.plans.retrieve(plan_id).id
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def set_default_card(customer: str, payment_method: str) -> None:
    try:
        client().v1.customers.update(
            customer, {"invoice_settings": {"default_payment_method": payment_method}}
        )
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def subscription_params(
    *, customer: str, plan_id: str, metadata: dict[str, str], destination: str | None = None
) -> dict[str, Any]:
    """A monthly plan-based subscription; with Stripe Connect each invoice's money goes to
    the destination account (a club's own), never stays with the platform."""
    params: dict[str, Any] = {
        "customer": customer,
        "items": [{"plan": plan_id}],
        "metadata": metadata,
    }
    if destination:
        params["transfer_data"] = {"destination": destination}
        params["on_behalf_of"] = destination
    return params


def subscribe(
    *,
    customer: str,
    plan_id: str,
    key: str,
    metadata: dict[str, str],
    destination: str | None = None,
) -> SubscriptionInfo:
    try:
        sub = client().v1.subscriptions.create(
            subscription_params(
                customer=customer, plan_id=plan_id, metadata=metadata, destination=destination
            ),
            _options(key),
        )
    except stripe.CardError as exc:
        raise CardRefused() from exc
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    latest = _get(sub, "latest_invoice")
    if isinstance(latest, str):
        latest = retrieve_invoice(latest)
    elif latest is not None:
        latest = invoice_from(latest)
    return SubscriptionInfo(id=sub.id, status=_get(sub, "status") or "", latest_invoice=latest)


def retrieve_invoice(invoice_id: str) -> InvoiceInfo:
    try:
        return invoice_from(client().v1.invoices.retrieve(invoice_id))
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def paid_invoices(subscription_id: str) -> list[InvoiceInfo]:
    try:
        page = client().v1.invoices.list({"subscription": subscription_id, "limit": 100})
        return [
            info
            for info in (invoice_from(item) for item in page.auto_paging_iter())
            if info.status == "paid"
        ]
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def cancel_subscription(subscription_id: str) -> None:
    try:
        client().v1.subscriptions.cancel(subscription_id)
    except stripe.InvalidRequestError:
        return  # already cancelled
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


# --- Stripe Connect: the project's or club's own account -------------------------------------


def connected_account_params(*, email: str | None, name: str, metadata: dict[str, str]) -> dict:
    """An Express connected account in France that takes card payments (destination
    charges need `card_payments` and `transfers`)."""
    params: dict[str, Any] = {
        "type": "express",
        "country": "FR",
        "default_currency": CURRENCY,
        "capabilities": {
            "card_payments": {"requested": True},
            "transfers": {"requested": True},
        },
        "business_profile": {"name": name[:100]},
        "metadata": metadata,
    }
    if email:
        params["email"] = email
    return params


def account_from(obj: Any) -> AccountInfo:
    return AccountInfo(
        id=_get(obj, "id"),
        charges_enabled=bool(_get(obj, "charges_enabled", False)),
        details_submitted=bool(_get(obj, "details_submitted", False)),
    )


def create_connected_account(
    *, email: str | None, name: str, key: str, metadata: dict[str, str]
) -> AccountInfo:
    """Create the connected account (Stripe's Account.create); the idempotency key comes
    from our own row, so a retry never makes a second account."""
    params = connected_account_params(email=email, name=name, metadata=metadata)
    try:
        return account_from(client().v1.accounts.create(params, _options(key)))
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def retrieve_account(account_id: str) -> AccountInfo:
    try:
        return account_from(client().v1.accounts.retrieve(account_id))
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def onboarding_link(account_id: str, *, refresh_url: str, return_url: str) -> str:
    """A one-time Account Link (AccountLink.create) to Stripe's hosted onboarding; it
    expires within minutes, so it is made on each click and never stored."""
    params = {
        "account": account_id,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "type": "account_onboarding",
    }
    try:
        return _get(client().v1.account_links.create(params), "url")
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
