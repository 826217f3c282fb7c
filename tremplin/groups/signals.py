"""Signals the groups module sends (blinker), after the rows are flushed."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: GroupMembership that just became active (joined, request approved, invitation accepted)
member_joined = _signals.signal("groups.member-joined")
