"""Signals the funding module sends (blinker), after the rows are flushed."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: Campaign, once, when it is decided as succeeded
campaign_succeeded = _signals.signal("funding.campaign-succeeded")
# sender: Pledge; cents=amount received, key=the ledger transaction key (unique per payment)
pledge_collected = _signals.signal("funding.pledge-collected")
