"""Labels and small helpers funding's templates share (statuses, rules, days left)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from tremplin.funding import campaigns
from tremplin.funding.forms import RULE_SHORT_LABELS

CAMPAIGN_STATUS_LABELS = {
    "draft": _l("En préparation"),
    "open": _l("En cours"),
    "succeeded": _l("Réussie"),
    "failed": _l("Objectif non atteint"),
    "closed": _l("Clôturée"),
}

PLEDGE_STATUS_LABELS = {
    "pending": _l("Carte à enregistrer"),
    "active": _l("Promesse en cours"),
    "cancelled": _l("Annulée"),
    "released": _l("Libérée (objectif non atteint)"),
    "due": _l("À régler"),
    "requires_action": _l("Paiement à confirmer"),
    "declined": _l("Paiement refusé, nouvel essai prévu"),
    "unpaid": _l("Non réglée"),
    "collected": _l("Reçue"),
    "refunded": _l("Remboursée"),
}

PLEDGE_STATUS_TONES = {
    "pending": "warning",
    "active": "muted",
    "cancelled": "muted",
    "released": "muted",
    "due": "warning",
    "requires_action": "warning",
    "declined": "error",
    "unpaid": "error",
    "collected": "success",
    "refunded": "muted",
}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        funding_rule_label=lambda rule: RULE_SHORT_LABELS.get(rule, rule),
        funding_campaign_status=lambda status: CAMPAIGN_STATUS_LABELS.get(status, status),
        funding_pledge_status=lambda status: PLEDGE_STATUS_LABELS.get(status, status),
        funding_pledge_tone=lambda status: PLEDGE_STATUS_TONES.get(status, "muted"),
        funding_days_left=campaigns.days_left,
    )
