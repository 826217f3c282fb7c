"""Signals the members module sends (blinker). Other modules (search, funding, the impact
dashboard) listen instead of reaching into our services.

Every signal is sent by a service after its rows are flushed (not yet committed); the
sender is the object concerned, keyword arguments say who acted.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

profile_updated = _signals.signal("members.profile-updated")  # sender: Profile
project_created = _signals.signal("members.project-created")  # sender: Project; by=User
project_updated = _signals.signal("members.project-updated")  # sender: Project; by=User
team_changed = _signals.signal("members.team-changed")  # sender: Project; user=User
need_created = _signals.signal("members.need-created")  # sender: Need; by=User
need_updated = _signals.signal("members.need-updated")  # sender: Need (status may change)
help_offered = _signals.signal("members.help-offered")  # sender: HelpOffer
offer_accepted = _signals.signal("members.offer-accepted")  # sender: HelpOffer; by=User
journal_posted = _signals.signal("members.journal-posted")  # sender: JournalEntry
milestone_declared = _signals.signal("members.milestone-declared")  # sender: Milestone
milestone_confirmed = _signals.signal("members.milestone-confirmed")  # sender: Milestone; by=User
member_erased = _signals.signal("members.member-erased")  # sender: user id (int)
