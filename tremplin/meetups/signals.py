"""Signals the meetups module sends (blinker): funding, search and the impact dashboard
listen instead of reaching into our services. Sent after the rows are flushed."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

commitment_created = _signals.signal("meetups.commitment-created")  # sender: SupportCommitment
# sender: SupportCommitment; state=new state, by=User who moved it
commitment_changed = _signals.signal("meetups.commitment-changed")
# sender: Meetup; by=User who published it
meetup_published = _signals.signal("meetups.meetup-published")
# sender: Registration, once it holds a seat or a place on the waiting list (member or visitor)
registration_created = _signals.signal("meetups.registration-created")
