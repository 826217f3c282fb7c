"""The API's pages: personal access tokens (a section of the account page), webhook
subscriptions with their delivery log, and the documentation page rendered on the server
from the OpenAPI document (no third-party script: the CSP forbids it)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tremplin.api import bp, policies, tokens, webhooks
from tremplin.api.forms import EVENT_LABELS, SCOPE_LABELS, SubscriptionForm, TokenForm
from tremplin.api.models import WebhookDelivery, WebhookSubscription
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.types import stamp


def register_hooks() -> None:
    from tremplin.platform.hooks import (
        DashboardPanel,
        data_exporter,
        on_account_deleted,
        register_account_section,
    )

    register_account_section(DashboardPanel("api/_account_tokens.html", _tokens_section, order=80))
    on_account_deleted(_erase)
    data_exporter(_export)


def _erase(user) -> None:
    """A deleted account's tokens stop working and its webhooks stop receiving."""
    tokens.erase_tokens_of(user)
    for subscription in webhooks.subscriptions_of(user):
        webhooks.disable_subscription(subscription)


def _export(user) -> dict:
    return {
        "api_tokens": [
            {
                "name": t.name,
                "scopes": t.scope_list,
                "created_at": t.created_at.isoformat(),
                "last_used_at": stamp(t.last_used_at),
                "revoked_at": stamp(t.revoked_at),
            }
            for t in tokens.tokens_of(user)
        ],
        "webhooks": [
            {"url": s.url, "events": s.event_list, "created_at": s.created_at.isoformat()}
            for s in webhooks.subscriptions_of(user)
        ],
    }


def _tokens_section(user) -> dict | None:
    if not policies.can_manage_tokens(user):
        return None
    return {
        "tokens": tokens.tokens_of(user),
        "form": TokenForm(prefix="tok"),
        "empty_form": EmptyForm(),
        "scope_labels": SCOPE_LABELS,
    }


# --- tokens --------------------------------------------------------------------------------


@bp.route("/compte/jetons", methods=["POST"])
@login_required
def create_token():
    if not policies.can_manage_tokens(current_user):
        abort(403)
    form = TokenForm(prefix="tok")
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            token, clear = tokens.create_token(current_user, form.name.data, form.scopes.data)
        if outcome.ok:
            # Shown on this answer only: never stored in clear, never in the session.
            response = current_app.make_response(
                render_template(
                    "api/token_created.html", token=token, clear=clear, scope_labels=SCOPE_LABELS
                )
            )
            response.headers["Cache-Control"] = "no-store"
            return response
    flash(
        _(
            "Le jeton n'a pas été créé : %(errors)s",
            errors=" ".join(str(e) for errors in form.errors.values() for e in errors)
            or " ".join(form.form_errors),
        ),
        "error",
    )
    return redirect(url_for("platform.account_settings", _anchor="jetons"))


@bp.route("/compte/jetons/<int:token_id>/revoquer", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if tokens.revoke_token(current_user, token_id):
        flash(_("Le jeton est révoqué : il ne fonctionne plus."), "success")
    return redirect(url_for("platform.account_settings", _anchor="jetons"))


# --- webhooks ------------------------------------------------------------------------------


@bp.route("/compte/webhooks", methods=["GET", "POST"])
@login_required
def subscriptions():
    if not policies.can_subscribe_webhooks(current_user):
        abort(403)
    form = SubscriptionForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            subscription = webhooks.create_subscription(
                current_user, form.url.data, form.events.data, form.description.data
            )
        if outcome.ok:
            flash(
                _("Webhook enregistré. Gardez son secret pour vérifier les signatures."), "success"
            )
            return redirect(url_for("api.subscription", subscription_id=subscription.id))
    return render_template(
        "api/subscriptions.html",
        form=form,
        subscriptions=webhooks.subscriptions_of(current_user),
        event_labels=EVENT_LABELS,
        empty_form=EmptyForm(),
    )


def _own_subscription(subscription_id: int) -> WebhookSubscription:
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    if not policies.can_manage_subscription(current_user, subscription):
        abort(404)
    return subscription


@bp.route("/compte/webhooks/<int:subscription_id>")
@login_required
def subscription(subscription_id: int):
    subscription = _own_subscription(subscription_id)
    return render_template(
        "api/subscription.html",
        subscription=subscription,
        deliveries=webhooks.recent_deliveries(subscription),
        event_labels=EVENT_LABELS,
        empty_form=EmptyForm(),
    )


@bp.route("/compte/webhooks/<int:subscription_id>/desactiver", methods=["POST"])
@login_required
def disable_subscription(subscription_id: int):
    subscription = _own_subscription(subscription_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if webhooks.disable_subscription(subscription):
        flash(_("Webhook désactivé : plus rien ne lui sera envoyé."), "success")
    return redirect(url_for("api.subscriptions"))


@bp.route("/compte/webhooks/livraisons/<int:delivery_pk>/renvoyer", methods=["POST"])
@login_required
def redeliver(delivery_pk: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_pk)
    subscription = _own_subscription(delivery.subscription_id)
    if not EmptyForm().validate_on_submit() or subscription.disabled_at is not None:
        abort(400)
    webhooks.redeliver(delivery)
    flash(_("La livraison est relancée."), "success")
    return redirect(url_for("api.subscription", subscription_id=subscription.id))


# --- documentation -------------------------------------------------------------------------


@bp.route("/api")
@bp.route("/api/v1/docs")
def documentation():
    """The API's reference, rendered from the same OpenAPI document clients download."""
    spec = current_app.extensions["tremplin-api"].spec.to_dict()
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                operations.append((path, method.upper(), op))
    return render_template(
        "api/docs.html",
        spec=spec,
        operations=operations,
        scope_labels=SCOPE_LABELS,
        event_labels=EVENT_LABELS,
    )
