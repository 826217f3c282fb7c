"""Who may hold tokens and webhooks. Events themselves are filtered by each module's view
policy for the subscription's owner (webhooks.py)."""

from __future__ import annotations

from tremplin.platform.policies import is_member


def can_manage_tokens(user) -> bool:
    return is_member(user)


def can_subscribe_webhooks(user) -> bool:
    """Organisers and partners (a partner organisation holds a member account): anyone may
    subscribe, and receives only what their account may see."""
    return is_member(user)


def can_manage_subscription(user, subscription) -> bool:
    return is_member(user) and subscription.owner_id == user.id
