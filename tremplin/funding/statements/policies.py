"""Who may import statements and confirm matches: whoever records the transfers by hand."""

from __future__ import annotations

import tremplin.funding.clubs.policies as club_policies
from tremplin.funding import policies as funding_policies


def can_reconcile_campaign(user, campaign) -> bool:
    """The project's team (the campaign's treasurer)."""
    return funding_policies.can_manage_campaign(user, campaign)


def can_reconcile_club(user, club) -> bool:
    """The club's trésorier (or the gérant while none is designated)."""
    return club_policies.can_keep_accounts(user, club)
