"""Stripe Connect onboarding for a project (campaign settings) or an investor club (club
rules): the platform never holds backers' or savers' money, so card payments go to the
owner's own connected account.

`start_onboarding` creates the connected account once (Account.create, idempotency key from
our own row) and returns a fresh Account Link (AccountLink.create) to Stripe's hosted
onboarding; its return and refresh URLs come back to us. `refresh_status` asks Stripe
whether the account may take charges (`charges_enabled`) and stores it: card mode needs
it (`campaigns.takes_cards`, `savings.club_takes_cards`), otherwise promise mode.
The `account.updated` webhook refreshes the flag as well. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from tremplin.funding import payments
from tremplin.funding.models import ProjectFundingSettings
from tremplin.platform.extensions import db

# other owners of connected accounts (investor clubs) register how to update theirs:
# listener(account_id, charges_enabled) -> number of rows updated
ACCOUNT_LISTENERS: list[Callable[[str, bool], int]] = []


def project_row(project_id: int) -> ProjectFundingSettings:
    row = db.session.get(ProjectFundingSettings, project_id)
    if row is None:
        row = ProjectFundingSettings(project_id=project_id)
        db.session.add(row)
    return row


def start_onboarding(
    row, kind: str, *, name: str, email: str | None, refresh_url: str, return_url: str
) -> str:
    """The URL of Stripe's onboarding for the connected account of `row` (a project's
    funding settings, kind "project", or a club, kind "club"), created first if needed.
    `row` has `stripe_account_id` and `stripe_charges_enabled`."""
    owner_id = row.project_id if kind == "project" else row.id
    if not row.stripe_account_id:
        account = payments.create_connected_account(
            email=email,
            name=name,
            key=f"tremplin-connect-{kind}-{owner_id}",
            metadata={f"tremplin_{kind}": str(owner_id)},
        )
        row.stripe_account_id = account.id
        row.stripe_charges_enabled = account.charges_enabled
        db.session.flush()
    return payments.onboarding_link(
        row.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )


def refresh_status(row) -> bool:
    """Ask Stripe whether the connected account may take charges now; store and return it."""
    if not row.stripe_account_id:
        row.stripe_charges_enabled = False
        return False
    account = payments.retrieve_account(row.stripe_account_id)
    row.stripe_charges_enabled = account.charges_enabled
    db.session.flush()
    return row.stripe_charges_enabled


def account_updated(event, now) -> str:
    """Webhook `account.updated`: the flag follows what Stripe says of the account."""
    account = payments.account_from(event["data"]["object"])
    found = 0
    for row in db.session.scalars(
        select(ProjectFundingSettings).where(ProjectFundingSettings.stripe_account_id == account.id)
    ):
        row.stripe_charges_enabled = account.charges_enabled
        found += 1
    for listener in ACCOUNT_LISTENERS:
        found += listener(account.id, account.charges_enabled)
    db.session.flush()
    return "applied" if found else "ignored"
