"""The organisers' follow-up: porteurs waiting, mentor load, quiet pairings and the
reminder sent once, hours per period; settings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tremplin import mentoring
from tremplin.mentoring import pairings, reports
from tremplin.mentoring.services import paris_today
from tremplin.platform.extensions import db as _db
from tremplin.platform.models import Notification
from tremplin.platform.types import utcnow


def reminders_to(user) -> int:
    return (
        _db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.kind == "mentoring_reminders"
            )
        )
        or 0
    )


@pytest.fixture
def quiet_pair(make_member, make_pairing, make_session):
    pairing = make_pairing(
        make_member("Julien"),
        make_member("Inès"),
        started_on=paris_today() - timedelta(days=120),
        accepted_at=utcnow() - timedelta(days=120),
    )
    make_session(pairing, days_ago=50, minutes=60, created_at=utcnow() - timedelta(days=50))
    return pairing


@pytest.fixture
def lively_pair(make_member, make_pairing, make_session):
    pairing = make_pairing(
        make_member("Mamadou"),
        make_member("Moussa"),
        started_on=paris_today() - timedelta(days=120),
        accepted_at=utcnow() - timedelta(days=120),
    )
    make_session(pairing, days_ago=5)
    return pairing


def test_quiet_pairings_are_those_without_a_session_for_n_weeks(
    app, quiet_pair, lively_pair, make_pairing, make_member
):
    make_pairing(
        make_member(), make_member(), started_on=paris_today(), accepted_at=utcnow()
    )  # just started: not quiet yet
    assert [p.id for p in pairings.quiet_pairings(4)] == [quiet_pair.id]
    assert [p.id for p in pairings.quiet_pairings(8)] == []


def test_the_quiet_reminder_is_sent_once_even_if_the_job_runs_twice(
    app, quiet_pair, lively_pair, outbox
):
    from tremplin.platform.notifications import set_consents

    set_consents(quiet_pair.mentor, ["mentoring_reminders"])
    _db.session.commit()
    first = app.test_cli_runner().invoke(args=["mentoring", "remind-quiet"])
    second = app.test_cli_runner().invoke(args=["mentoring", "remind-quiet"])
    assert "1 binôme(s) relancé(s)" in first.output
    assert "0 binôme(s) relancé(s)" in second.output
    assert reminders_to(quiet_pair.mentor) == 1 and reminders_to(quiet_pair.porteur) == 1
    assert reminders_to(lively_pair.mentor) == 0
    mails = outbox.to(quiet_pair.mentor.email)
    assert len(mails) == 1 and "Aucune séance notée avec Inès" in mails[0].body_text


def test_a_new_quiet_spell_after_a_logged_session_gets_a_new_reminder(
    app, quiet_pair, make_session
):
    assert pairings.remind_quiet_pairings(4) == 1
    assert pairings.remind_quiet_pairings(4) == 0
    # They met once more, long ago, and logged it now: still quiet, reminded again once.
    make_session(quiet_pair, days_ago=40, minutes=30)
    assert pairings.remind_quiet_pairings(4) == 1
    assert pairings.remind_quiet_pairings(4) == 0
    assert reminders_to(quiet_pair.porteur) == 2


def test_an_organiser_reminds_a_quiet_pair_from_the_page_once(
    client, auth, make_organiser, quiet_pair
):
    auth.login_as(make_organiser("Claire"))
    page = client.get("/parrainage/animation")
    assert "Relancer le binôme" in page.text and "Julien – Inès" in page.text
    client.post(f"/parrainage/animation/binomes/{quiet_pair.id}/relancer", data={})
    client.post(f"/parrainage/animation/binomes/{quiet_pair.id}/relancer", data={})
    assert reminders_to(quiet_pair.mentor) == 1


def test_members_cannot_see_the_organisers_page(client, auth, make_member):
    auth.login_as(make_member())
    assert client.get("/parrainage/animation").status_code == 403


def test_the_organisers_page_shows_waiting_porteurs_and_mentor_load(
    client, auth, make_organiser, make_member, make_offer, make_request, make_pairing
):
    mentor = make_member("Fatou Sow")
    make_offer(mentor, max_mentees=1)
    make_pairing(mentor, make_member())
    make_request(make_member("Camille Fontaine"), created_at=utcnow() - timedelta(days=19))
    auth.login_as(make_organiser())
    page = client.get("/parrainage/animation")
    assert page.status_code == 200
    assert "Camille Fontaine" in page.text and "19 jours" in page.text
    assert "Fatou Sow" in page.text and "complet" in page.text


def test_the_organisers_page_has_a_fixed_number_of_statements(
    client,
    auth,
    make_organiser,
    make_member,
    make_offer,
    make_request,
    make_pairing,
    make_session,
    count_statements,
):
    auth.login_as(make_organiser())

    def add(n):
        for _ in range(n):
            mentor = make_member()
            make_offer(mentor, max_mentees=2)
            pairing = make_pairing(mentor, make_member())
            make_session(pairing, days_ago=40)
            make_request(make_member())

    add(2)
    client.get("/parrainage/animation")
    _db.session.expire_all()  # both pages start from what the database holds
    with count_statements() as few:
        client.get("/parrainage/animation")
    add(8)
    _db.session.expire_all()
    with count_statements() as many:
        assert client.get("/parrainage/animation").status_code == 200
    assert many.count == few.count


def test_hours_per_period_for_the_impact_dashboard(app, make_member, make_pairing, make_session):
    pairing = make_pairing(make_member(), make_member(), started_on=date(2025, 1, 6))
    proposed = make_pairing(
        make_member(), make_member(), state="proposed", started_on=date(2025, 1, 6)
    )
    from tremplin.mentoring.models import MentoringSession

    for held_on, minutes, p in (
        (date(2025, 1, 10), 90, pairing),
        (date(2025, 1, 31), 30, pairing),
        (date(2025, 3, 2), 60, pairing),
        (date(2025, 1, 12), 500, proposed),
    ):
        _db.session.add(
            MentoringSession(pairing_id=p.id, held_on=held_on, duration_minutes=minutes)
        )
    _db.session.commit()

    assert mentoring.hours_per_period(date(2025, 1, 1), date(2025, 3, 31)) == [
        (date(2025, 1, 1), 2.0),
        (date(2025, 2, 1), 0.0),
        (date(2025, 3, 1), 1.0),
    ]
    [quarter] = mentoring.figures_per_period(date(2025, 1, 1), date(2025, 3, 31), "quarter")
    assert quarter.minutes == 180 and quarter.sessions == 3 and quarter.pairings_started == 1
    assert mentoring.pairings_per_period(date(2025, 1, 1), date(2025, 1, 31)) == [
        (date(2025, 1, 1), 1, 0)
    ]
    totals = mentoring.mentoring_totals()
    assert totals.minutes == 180 and totals.pairings_active == 1


def test_period_boundaries():
    assert reports.period_start(date(2025, 5, 15), "quarter") == date(2025, 4, 1)
    assert reports.next_period(date(2025, 12, 1), "month") == date(2026, 1, 1)
    assert reports.period_start(date(2025, 5, 15), "week") == date(2025, 5, 12)


def test_organisers_change_the_settings(client, auth, make_organiser, make_member):
    from tremplin.mentoring.services import get_settings

    auth.login_as(make_organiser())
    response = client.post(
        "/parrainage/animation/reglages",
        data={"default_length_weeks": "20", "quiet_after_weeks": "3", "request_expiry_days": "10"},
    )
    assert response.status_code == 302
    _db.session.expire_all()
    settings = get_settings()
    assert (
        settings.default_length_weeks,
        settings.quiet_after_weeks,
        settings.request_expiry_days,
    ) == (20, 3, 10)
    auth.login_as(make_member())
    assert (
        client.post(
            "/parrainage/animation/reglages",
            data={
                "default_length_weeks": "20",
                "quiet_after_weeks": "3",
                "request_expiry_days": "10",
            },
        ).status_code
        == 403
    )


def test_the_impact_dashboard_indicators(
    app, make_member, make_project, make_pairing, make_session
):
    from types import SimpleNamespace

    from tremplin.mentoring import impact
    from tremplin.mentoring.models import MentoringSession
    from tremplin.platform.hooks import registry

    assert {"mentoring_hours", "pairings_started", "pairings_completed"} <= set(registry.indicators)
    porteur = make_member()
    project = make_project(porteur, departement="93", theme="cosmetique")
    pairing = make_pairing(
        make_member(), porteur, project_id=project.id, started_on=date(2025, 2, 3)
    )
    other = make_pairing(make_member(), make_member(), started_on=date(2025, 2, 10))
    for p, held_on, minutes in (
        (pairing, date(2025, 2, 5), 90),
        (other, date(2025, 2, 12), 60),
        (pairing, date(2025, 3, 1), 30),
    ):
        _db.session.add(
            MentoringSession(pairing_id=p.id, held_on=held_on, duration_minutes=minutes)
        )
    _db.session.commit()
    february = SimpleNamespace(
        start=date(2025, 2, 1), end=date(2025, 3, 1), territory=None, theme=None, group_id=None
    )
    assert impact.hours(february) == 2.5
    assert impact.pairings_started(february) == 2
    in_93 = SimpleNamespace(**{**vars(february), "territory": "93"})
    assert impact.hours(in_93) == 1.5 and impact.pairings_started(in_93) == 1
    assert impact.hours_monthly(february) == {date(2025, 2, 1): 2.5}
