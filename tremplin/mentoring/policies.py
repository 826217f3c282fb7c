"""Who may see or do what in mentoring. Pure functions of loaded objects (they never
query); routes and services call these same functions, so each rule is written once.

The one rule that matters most: session notes and next steps belong to the pair. An
organiser sees dates, durations and states of every pairing, never its notes.
"""

from __future__ import annotations

from tremplin.mentoring.models import (
    COUNTED_STATES,
    DECLINED,
    LOAD_STATES,
    OPEN,
    P_ACTIVE,
    P_COMPLETED,
    P_PAUSED,
    P_PROPOSED,
    PENDING,
    MentoringRequest,
    MentoringSession,
    Pairing,
)
from tremplin.platform.policies import is_member, is_organiser, is_self

# --- offers ---------------------------------------------------------------------------


def can_offer_mentoring(user) -> bool:
    """Any member may offer their time as a mentor."""
    return is_member(user)


# --- requests -------------------------------------------------------------------------


def can_request_mentor(user) -> bool:
    return is_member(user)


def can_view_request(user, request: MentoringRequest) -> bool:
    return (
        is_self(user, request.porteur_id) or is_self(user, request.mentor_id) or is_organiser(user)
    )


def can_see_suggestions(user, request: MentoringRequest) -> bool:
    """The ranked mentors: the porteur while looking for one, organisers to propose."""
    if request.state not in (OPEN, PENDING, DECLINED):
        return False
    return is_self(user, request.porteur_id) or is_organiser(user)


def can_send_request(user, request: MentoringRequest) -> bool:
    """A request in the pool is sent to a mentor; a declined one is sent again, to another."""
    return is_self(user, request.porteur_id) and request.state in (OPEN, DECLINED)


def can_answer_request(user, request: MentoringRequest) -> bool:
    return request.state == PENDING and is_self(user, request.mentor_id)


def can_withdraw_request(user, request: MentoringRequest) -> bool:
    return is_self(user, request.porteur_id) and request.state in (OPEN, PENDING)


# --- pairings -------------------------------------------------------------------------


def is_in_pair(user, pairing: Pairing) -> bool:
    return is_self(user, pairing.mentor_id) or is_self(user, pairing.porteur_id)


def can_propose_pairing(user) -> bool:
    return is_organiser(user)


def can_view_pairing(user, pairing: Pairing) -> bool:
    """The pair and organisers (who see dates, durations and states only)."""
    return is_in_pair(user, pairing) or is_organiser(user)


def can_read_notes(user, pairing: Pairing) -> bool:
    """Session notes and next steps: the pair, and nobody else — organisers included."""
    return is_in_pair(user, pairing)


def can_read_session_notes(user, session: MentoringSession) -> bool:
    return can_read_notes(user, session.pairing)


def can_accept_pairing(user, pairing: Pairing) -> bool:
    return pairing.state == P_PROPOSED and is_self(user, pairing.mentor_id)


def can_decline_pairing(user, pairing: Pairing) -> bool:
    return pairing.state == P_PROPOSED and is_in_pair(user, pairing)


def can_pause_pairing(user, pairing: Pairing) -> bool:
    return pairing.state == P_ACTIVE and is_in_pair(user, pairing)


def can_resume_pairing(user, pairing: Pairing) -> bool:
    return pairing.state == P_PAUSED and is_in_pair(user, pairing)


def can_complete_pairing(user, pairing: Pairing) -> bool:
    return pairing.state in (P_ACTIVE, P_PAUSED) and (
        is_in_pair(user, pairing) or is_organiser(user)
    )


def can_log_session(user, pairing: Pairing) -> bool:
    return pairing.state in (P_ACTIVE, P_PAUSED) and is_in_pair(user, pairing)


def can_delete_session(user, session: MentoringSession) -> bool:
    return can_log_session(user, session.pairing)


def can_edit_goals(user, pairing: Pairing) -> bool:
    return pairing.state in LOAD_STATES and is_in_pair(user, pairing)


def can_open_conversation(user, pairing: Pairing) -> bool:
    return pairing.state in COUNTED_STATES and is_in_pair(user, pairing)


def can_give_feedback(user, pairing: Pairing) -> bool:
    return (
        pairing.state == P_COMPLETED
        and is_in_pair(user, pairing)
        and not any(f.author_id == user.id for f in pairing.feedback)
    )


def can_read_feedback(user, pairing: Pairing) -> bool:
    return can_view_pairing(user, pairing)


# --- certificate and organisers -----------------------------------------------------------


def can_view_certificate(user, mentor) -> bool:
    """The mentor's own attestation; organisers issue it for any mentor."""
    return is_self(user, getattr(mentor, "id", None)) or is_organiser(user)


def can_view_organiser_page(user) -> bool:
    return is_organiser(user)


def can_remind_pairing(user, pairing: Pairing) -> bool:
    return is_organiser(user) and pairing.state == P_ACTIVE


def can_change_settings(user) -> bool:
    return is_organiser(user)
