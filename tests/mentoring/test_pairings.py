"""Pairings: the state machine, goals, the session log and what it refuses, hours totals
and closing feedback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tremplin.mentoring import pairings, services
from tremplin.mentoring.models import MentoringSession
from tremplin.mentoring.services import paris_today
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db as _db


@pytest.fixture
def pair(make_member, make_offer, make_pairing):
    mentor, porteur = make_member("Fatou Sow"), make_member("Awa Diallo")
    make_offer(mentor, max_mentees=2)
    return make_pairing(mentor, porteur)


# --- the state machine ----------------------------------------------------------------------


def test_a_pairing_goes_from_proposed_to_active_paused_and_completed(
    app, make_member, make_organiser, make_offer
):
    mentor, porteur = make_member("Fatou"), make_member("Awa")
    make_offer(mentor)
    pairing = pairings.propose_pairing(make_organiser(), mentor=mentor, porteur=porteur)
    assert pairing.state == "proposed"
    with pytest.raises(DomainError):
        pairings.pause_pairing(mentor, pairing)  # not active yet
    with pytest.raises(DomainError):
        pairings.accept_pairing(porteur, pairing)  # the mentor accepts, not the porteur
    pairings.accept_pairing(mentor, pairing)
    assert pairing.state == "active" and pairing.accepted_at is not None
    pairings.pause_pairing(porteur, pairing)
    assert pairing.state == "paused"
    with pytest.raises(DomainError):
        pairings.pause_pairing(porteur, pairing)
    pairings.resume_pairing(mentor, pairing)
    assert pairing.state == "active"
    pairings.complete_pairing(porteur, pairing)
    assert pairing.state == "completed" and pairing.completed_at is not None
    for move in (
        pairings.pause_pairing,
        pairings.resume_pairing,
        pairings.complete_pairing,
        pairings.accept_pairing,
    ):
        with pytest.raises(DomainError):
            move(mentor, pairing)


def test_a_declined_proposal_puts_the_request_back_in_the_pool(
    app, make_member, make_organiser, make_offer, make_request
):
    mentor, porteur = make_member("Fatou"), make_member("Awa")
    make_offer(mentor)
    request = make_request(porteur)
    pairing = pairings.propose_pairing(
        make_organiser(), mentor=mentor, porteur=porteur, request=request
    )
    pairings.decline_pairing(porteur, pairing, "Je préfère quelqu’un à Lyon.")
    assert pairing.state == "declined" and pairing.decline_message.startswith("Je préfère")
    assert request.state == "open" and request.mentor_id is None
    with pytest.raises(DomainError):
        pairings.accept_pairing(mentor, pairing)


def test_accepting_a_proposal_over_capacity_is_refused(
    app, make_member, make_organiser, make_offer, make_pairing
):
    mentor = make_member("Fatou")
    make_offer(mentor, max_mentees=1)
    organiser = make_organiser()
    proposal = make_pairing(mentor, make_member(), state="proposed")
    # Her one place is held by the proposal: a second one cannot even be proposed.
    with pytest.raises(services.CapacityReached):
        pairings.propose_pairing(organiser, mentor=mentor, porteur=make_member())
    _db.session.rollback()
    # Another pairing got in meanwhile (e.g. reactivated): accepting would exceed her places.
    make_pairing(mentor, make_member(), state="active")
    with pytest.raises(services.CapacityReached):
        pairings.accept_pairing(mentor, proposal)


def test_organisers_can_close_but_not_run_a_pairing(app, pair, make_organiser):
    organiser = make_organiser()
    with pytest.raises(DomainError):
        pairings.pause_pairing(organiser, pair)
    with pytest.raises(DomainError):
        pairings.log_session(organiser, pair, held_on=paris_today(), duration_minutes=60)
    pairings.complete_pairing(organiser, pair)
    assert pair.state == "completed"


# --- sessions ---------------------------------------------------------------------------------


def test_the_pair_logs_sessions_and_hours_add_up(app, pair):
    today = paris_today()
    pairings.log_session(
        pair.mentor,
        pair,
        held_on=today - timedelta(days=7),
        duration_minutes=90,
        notes="Plan de financement.",
    )
    pairings.log_session(
        pair.porteur, pair, held_on=today, duration_minutes=45, next_steps="Appeler la banque."
    )
    pairings.log_session(pair.porteur, pair, held_on=today, duration_minutes=24 * 60)
    totals = pairings.total_minutes([pair.id])
    assert totals == {pair.id: 90 + 45 + 1440}
    figures = pairings.figures([pair.id])[pair.id]
    assert figures.sessions == 3 and figures.last_held_on == today
    assert pairings.mentor_minutes(pair.mentor_id) == 1575


@pytest.mark.parametrize(
    "minutes, message",
    [(-30, "positive"), (0, "positive"), (24 * 60 + 1, "24 heures"), (None, "positive")],
)
def test_a_session_with_a_wrong_duration_is_refused(app, pair, minutes, message):
    with pytest.raises(pairings.InvalidSession, match=message) as error:
        pairings.log_session(pair.mentor, pair, held_on=paris_today(), duration_minutes=minutes)
    assert error.value.field == "duration"


def test_a_session_in_the_future_or_before_the_pairing_is_refused(app, pair):
    with pytest.raises(pairings.InvalidSession, match="futur"):
        pairings.log_session(
            pair.mentor, pair, held_on=paris_today() + timedelta(days=1), duration_minutes=60
        )
    with pytest.raises(pairings.InvalidSession, match="avant"):
        pairings.log_session(
            pair.mentor, pair, held_on=pair.started_on - timedelta(days=1), duration_minutes=60
        )


def test_the_database_refuses_a_wrong_duration_too(app, pair):
    from sqlalchemy.exc import IntegrityError

    _db.session.add(
        MentoringSession(pairing_id=pair.id, held_on=paris_today(), duration_minutes=-5)
    )
    with pytest.raises(IntegrityError):
        _db.session.flush()
    _db.session.rollback()


def test_only_the_pair_logs_sessions(app, pair, make_member):
    with pytest.raises(DomainError, match="Seules les deux personnes"):
        pairings.log_session(
            make_member("Intrus"), pair, held_on=paris_today(), duration_minutes=60
        )
    pairings.complete_pairing(pair.mentor, pair)
    with pytest.raises(DomainError):
        pairings.log_session(pair.mentor, pair, held_on=paris_today(), duration_minutes=60)


def test_the_partner_is_told_of_a_new_session(app, pair):
    from sqlalchemy import select

    from tremplin.platform.models import Notification

    pairings.log_session(pair.mentor, pair, held_on=paris_today(), duration_minutes=60)
    texts = _db.session.scalars(
        select(Notification.text).where(Notification.user_id == pair.porteur_id)
    ).all()
    assert any("Fatou Sow a noté une séance" in t for t in texts)


def test_logging_a_session_over_http_reads_durations_as_people_write_them(client, auth, pair):
    auth.login_as(pair.porteur)
    response = client.post(
        f"/parrainage/binomes/{pair.id}/seances",
        data={"held_on": paris_today().isoformat(), "duration": "1 h 30", "notes": "Très utile."},
    )
    assert response.status_code == 302
    page = client.get(f"/parrainage/binomes/{pair.id}")
    assert "1\u00a0h\u00a030" in page.text and "Très utile." in page.text

    refused = client.post(
        f"/parrainage/binomes/{pair.id}/seances",
        data={"held_on": paris_today().isoformat(), "duration": "-1 h"},
    )
    assert refused.status_code == 422 and "La durée doit être positive" in refused.text
    too_long = client.post(
        f"/parrainage/binomes/{pair.id}/seances",
        data={"held_on": paris_today().isoformat(), "duration": "25 h"},
    )
    assert too_long.status_code == 422 and "24 heures" in too_long.text
    future = client.post(
        f"/parrainage/binomes/{pair.id}/seances",
        data={"held_on": (paris_today() + timedelta(days=2)).isoformat(), "duration": "1h"},
    )
    assert future.status_code == 422 and "dans le futur" in future.text
    assert pairings.total_minutes([pair.id]) == {pair.id: 90}


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("90", 90),
        ("90 min", 90),
        ("1 h 30", 90),
        ("1h30", 90),
        ("1,5 h", 90),
        ("1:30", 90),
        ("2 h", 120),
        ("45 min", 45),
        ("-30", -30),
        ("−1 h", -60),
        ("beaucoup", None),
        ("", None),
    ],
)
def test_durations_are_read_the_way_people_write_them(text, minutes):
    from tremplin.mentoring.forms import parse_duration

    assert parse_duration(text) == minutes


# --- goals and feedback ---------------------------------------------------------------------


def test_goals_carry_their_progress(app, pair):
    goal = pairings.add_goal(pair.porteur, pair, "Boucler le prévisionnel")
    pairings.set_goal_progress(pair.mentor, goal, 60)
    assert goal.progress == 60 and goal.achieved_at is None
    pairings.set_goal_progress(pair.mentor, goal, 100)
    assert goal.achieved_at is not None
    with pytest.raises(DomainError):
        pairings.set_goal_progress(pair.mentor, goal, 120)


def test_both_sides_give_closing_feedback_once_the_pairing_is_over(app, pair):
    with pytest.raises(DomainError, match="une fois le binôme terminé"):
        pairings.give_feedback(pair.porteur, pair, rating=5, comment="Super.")
    pairings.complete_pairing(pair.mentor, pair)
    pairings.give_feedback(pair.porteur, pair, rating=5, comment="Merci Fatou !")
    pairings.give_feedback(pair.mentor, pair, rating=None, comment="Une belle rencontre.")
    assert sorted(f.side for f in pair.feedback) == ["mentor", "porteur"]
    with pytest.raises(DomainError, match="déjà donné"):
        pairings.give_feedback(pair.porteur, pair, rating=4, comment="Encore.")


def test_the_pairing_page_walks_through_feedback(client, auth, pair):
    auth.login_as(pair.mentor)
    done = client.post(f"/parrainage/binomes/{pair.id}/terminer", data={})
    assert done.status_code == 302 and done.headers["Location"].endswith("/bilan")
    sent = client.post(
        f"/parrainage/binomes/{pair.id}/bilan",
        data={"rating": "5", "comment": "Une belle rencontre."},
    )
    assert sent.status_code == 302
    auth.login_as(pair.porteur)
    page = client.get(f"/parrainage/binomes/{pair.id}")
    assert "Une belle rencontre." in page.text and "Donner mon bilan" in page.text
