"""`flask clubs remind` and `flask clubs tick`: late savings flagged, the end of the
gérant's term reminded, votes closed and ended periods put en gestion — each reminder sent
once, however often the job runs."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from tremplin.funding.clubs import savings, votes
from tremplin.funding.clubs.dates import add_months, month_start, paris_today
from tremplin.funding.clubs.models import ClubMembership, ClubVote, InvestorClub
from tremplin.platform.models import Notification
from tremplin.platform.types import utcnow


def notes(db, user, contains: str) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.text.contains(contains)
        )
    )


def test_remind_flags_late_savings_once_even_when_run_twice(
    db, app, make_club, club_call, membership_of
):
    club = make_club(payment_day=1)
    saver = club.people[1]
    plan = club_call(savings.choose_plan, club, membership_of(club, saver), 2_000)
    plan.starts_on = add_months(month_start(paris_today()), -2)  # two months already due
    db.session.commit()
    late = 2 + (paris_today().day > 11)  # this month too, once 10 days past the 1st
    runner = app.test_cli_runner()
    first = runner.invoke(args=["clubs", "remind"])
    assert first.exit_code == 0, first.output
    assert f"{late} épargne(s) en retard" in first.output and "1 récapitulatif(s)" in first.output
    assert notes(db, saver, "n’a pas encore été reçue") == late
    assert notes(db, club.people[0], "mois d’épargne en retard") == 1  # the acting treasurer
    second = runner.invoke(args=["clubs", "remind"])
    assert "0 épargne(s) en retard" in second.output and "0 récapitulatif(s)" in second.output
    assert notes(db, saver, "n’a pas encore été reçue") == late


def test_remind_warns_of_the_end_of_the_gerants_term_once(db, app, make_club, membership_of):
    club = make_club()
    gerant = membership_of(club, club.people[0])
    gerant.term_ends_on = paris_today() + timedelta(days=20)
    db.session.commit()
    runner = app.test_cli_runner()
    assert "1 fin(s) de mandat" in runner.invoke(args=["clubs", "remind"]).output
    assert "0 fin(s) de mandat" in runner.invoke(args=["clubs", "remind"]).output
    for person in club.people:
        assert notes(db, person, "mandat de gérant") == 1
    # a renewed term (a new end date) is reminded again when its time comes
    db.session.get(ClubMembership, gerant.id).term_ends_on = paris_today() + timedelta(days=10)
    db.session.commit()
    assert "1 fin(s) de mandat" in runner.invoke(args=["clubs", "remind"]).output


def test_remind_tells_members_who_have_not_voted_before_the_close(db, app, make_club, club_call):
    club = make_club()
    vote = club_call(
        votes.open_vote, club, club.people[0], votes.VoteFields(kind="motion", title="Sortie")
    )
    club_call(votes.cast, vote, club.people[1], "pour")
    db.session.get(ClubVote, vote.id).closes_at = vote.opens_at + timedelta(hours=20)
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["clubs", "remind"]).output
    assert "4 rappel(s) de vote" in output
    assert notes(db, club.people[1], "Dernier rappel") == 0


def test_tick_closes_votes_and_puts_ended_clubs_en_gestion(db, app, make_club, club_call):
    club = make_club()
    vote = club_call(
        votes.open_vote, club, club.people[0], votes.VoteFields(kind="motion", title="Sortie")
    )
    db.session.get(ClubVote, vote.id).closes_at = utcnow() - timedelta(seconds=1)
    db.session.get(InvestorClub, club.id).investing_ends_on = date.today() - timedelta(days=1)
    db.session.commit()
    runner = app.test_cli_runner()
    output = runner.invoke(args=["clubs", "tick"]).output
    assert "1 vote(s) clos, 1 club(s) passé(s) en gestion" in output
    assert "0 vote(s) clos, 0 club(s)" in runner.invoke(args=["clubs", "tick"]).output
    db.session.expire_all()
    assert db.session.get(InvestorClub, club.id).state == "managing"
    assert db.session.get(ClubVote, vote.id).result == "no_quorum"
