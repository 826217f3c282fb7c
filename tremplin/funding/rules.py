"""The rules of funding that campaigns, pledges, charging, receipts and notices all read:
whether a campaign takes pledges, what a pledge amount may be, a project's funding
settings. A leaf: it imports none of those services, so they never import each other back.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from tremplin.funding.errors import InvalidAmount
from tremplin.funding.models import (
    OPEN,
    Campaign,
    ProjectFundingSettings,
)
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_DURATION_DAYS = 45
MAX_DURATION_DAYS = 90
MIN_PLEDGE_CENTS = 100


MIN_PLEDGE_CENTS = 100


def max_pledge_cents() -> int:
    return int(current_app.config.get("FUNDING_MAX_PLEDGE_CENTS", 10_000_000))


def check_amount(
    cents: object,
    *,
    minimum: int = MIN_PLEDGE_CENTS,
    maximum: int | None = None,
    field: str = "amount",
) -> int:
    """A money amount from outside: whole positive cents within bounds, or InvalidAmount."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise InvalidAmount(field=field)
    if cents < minimum:
        raise InvalidAmount(
            _("Le montant minimum est de %(min)s.", min=_euros(minimum)), field=field
        )
    if maximum is not None and cents > maximum:
        raise InvalidAmount(
            _("Le montant maximum est de %(max)s.", max=_euros(maximum)), field=field
        )
    return cents


def _euros(cents: int) -> str:
    from tremplin.platform.templating import euros

    return euros(cents)


def accepts_pledges(campaign: Campaign, now: datetime | None = None) -> bool:
    return campaign.status == OPEN and (now or utcnow()) < campaign.deadline_at


def settings_for(project_id: int) -> ProjectFundingSettings:
    found = db.session.get(ProjectFundingSettings, project_id)
    return found or ProjectFundingSettings(project_id=project_id, is_general_interest=False)
