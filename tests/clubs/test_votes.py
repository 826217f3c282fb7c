"""Votes: one member, one vote, whatever they saved; secret or open as the rules say;
quorum and majority from the rules copied at the opening; a result computed once, at the
close; minutes written and kept."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tremplin.funding.clubs import clubs as club_services
from tremplin.funding.clubs import votes
from tremplin.funding.clubs.errors import (
    AlreadyVoted,
    NotAMember,
    NotAnElector,
    VoteClosed,
    VoteError,
)
from tremplin.funding.clubs.models import (
    ADOPTED,
    MAJORITIES,
    NO_QUORUM,
    NOT_ADOPTED,
    ClubBallot,
    ClubMinutes,
    ClubVote,
)
from tremplin.platform.types import utcnow

NEEDED = {
    "simple": (Fraction(1, 2), False),
    "two_thirds": (Fraction(2, 3), True),
    "three_quarters": (Fraction(3, 4), True),
    "unanimity": (Fraction(1), True),
}


def oracle(electors, ballots, quorum_percent, majority, abstention_counts):
    """The rule, written again with fractions: a second opinion on `votes.outcome`."""
    taking_part = [b for b in ballots if b is not None]
    if not taking_part or Fraction(len(taking_part), electors) < Fraction(quorum_percent, 100):
        return NO_QUORUM
    counted = [b for b in taking_part if b != "abstention" or abstention_counts]
    if not counted:
        return NOT_ADOPTED
    share = Fraction(sum(1 for b in counted if b == "pour"), len(counted))
    threshold, inclusive = NEEDED[majority]
    return ADOPTED if (share >= threshold if inclusive else share > threshold) else NOT_ADOPTED


ballots_strategy = st.integers(1, 20).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.sampled_from([None, "pour", "contre", "abstention"]), min_size=n, max_size=n),
    )
)


@settings(max_examples=2000, deadline=None)
@given(ballots_strategy, st.integers(0, 100), st.sampled_from(MAJORITIES), st.booleans())
def test_the_outcome_follows_quorum_and_majority_for_any_ballots(
    electors_and_ballots, quorum, majority, abstention_counts
):
    electors, ballots = electors_and_ballots
    result = votes.outcome(
        electors=electors,
        for_count=ballots.count("pour"),
        against_count=ballots.count("contre"),
        abstain_count=ballots.count("abstention"),
        rules=votes.VoteRules(
            quorum_percent=quorum, majority=majority, abstention_counts=abstention_counts
        ),
    )
    assert result == oracle(electors, ballots, quorum, majority, abstention_counts)


@pytest.mark.parametrize(
    "electors, pour, contre, abst, quorum, majority, counts, expected",
    [
        (10, 3, 1, 0, 50, "simple", False, NO_QUORUM),  # 4 of 10 took part
        (10, 3, 2, 0, 50, "simple", False, ADOPTED),  # quorum exactly reached
        (10, 3, 3, 0, 50, "simple", False, NOT_ADOPTED),  # a tie is not a majority
        (10, 3, 2, 2, 50, "simple", True, NOT_ADOPTED),  # counted abstentions weigh "contre"
        (10, 3, 2, 2, 50, "simple", False, ADOPTED),
        (9, 6, 3, 0, 50, "two_thirds", False, ADOPTED),  # exactly two thirds
        (9, 5, 3, 0, 50, "two_thirds", False, NOT_ADOPTED),
        (8, 6, 2, 0, 50, "three_quarters", False, ADOPTED),
        (5, 4, 0, 1, 100, "unanimity", False, ADOPTED),  # abstention does not break unanimity
        (5, 4, 0, 1, 100, "unanimity", True, NOT_ADOPTED),
        (5, 0, 0, 3, 50, "simple", False, NOT_ADOPTED),  # only abstentions: nothing decided
        (5, 0, 0, 0, 0, "simple", False, NO_QUORUM),  # nobody voted, even with no quorum
    ],
)
def test_quorum_and_majority_combinations(
    electors, pour, contre, abst, quorum, majority, counts, expected
):
    assert (
        votes.outcome(
            electors=electors,
            for_count=pour,
            against_count=contre,
            abstain_count=abst,
            rules=votes.VoteRules(
                quorum_percent=quorum, majority=majority, abstention_counts=counts
            ),
        )
        == expected
    )


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from([None, "pour", "contre", "abstention"]), min_size=1, max_size=6),
    st.sampled_from([0, 34, 50, 67, 100]),
    st.sampled_from(MAJORITIES),
    st.booleans(),
    st.booleans(),
)
def test_votes_cast_through_the_club_give_the_rules_result(
    db, make_club, club_call, ballots, quorum, majority, abstention_counts, secret
):
    club = make_club(
        members=len(ballots) - 1,
        active=False,
        quorum_percent=quorum,
        majority=majority,
        abstention_counts=abstention_counts,
        is_secret_ballot=secret,
    )
    vote = club_call(
        votes.open_vote,
        club,
        club.people[0],
        votes.VoteFields(kind="motion", title="Adopter la charte"),
    )
    for user, choice in zip(club.people, ballots, strict=True):
        if choice is not None:
            club_call(votes.cast, vote, user, choice)
    club_call(votes.close_vote, vote, utcnow() + timedelta(days=8))
    db.session.refresh(vote)
    assert vote.result == oracle(len(ballots), ballots, quorum, majority, abstention_counts)
    assert (vote.for_count, vote.against_count, vote.abstain_count) == (
        ballots.count("pour"),
        ballots.count("contre"),
        ballots.count("abstention"),
    )


def test_one_member_one_vote_whatever_they_saved(db, make_club, club_call, pay_in):
    club = make_club(members=4)
    rich, modest = club.people[1], club.people[2]
    pay_in(club, rich, 45_000)
    pay_in(club, modest, 750)
    vote = club_call(
        votes.open_vote,
        club,
        club.people[0],
        votes.VoteFields(kind="motion", title="Changer de banque"),
    )
    club_call(votes.cast, vote, rich, "pour")
    club_call(votes.cast, vote, modest, "contre")
    with pytest.raises(AlreadyVoted) as refused:
        club_call(votes.cast, vote, rich, "pour")
    assert "un membre, une voix" in refused.value.message
    assert db.session.scalar(select(func.count(ClubBallot.id))) == 2
    club_call(votes.close_vote, vote, utcnow() + timedelta(days=8))
    db.session.refresh(vote)
    assert (vote.for_count, vote.against_count) == (1, 1)  # 450 € weighs what 7,50 € weighs


def test_a_non_member_cannot_vote(db, make_club, make_member, club_call):
    club = make_club()
    vote = club_call(
        votes.open_vote, club, club.people[0], votes.VoteFields(kind="motion", title="Sortie")
    )
    with pytest.raises(NotAMember):
        club_call(votes.cast, vote, make_member("Curieux"), "pour")
    assert db.session.scalar(select(func.count(ClubBallot.id))) == 0


def test_a_member_who_joined_after_the_opening_does_not_vote(db, make_club, make_member, club_call):
    club = make_club()
    vote = club_call(
        votes.open_vote, club, club.people[0], votes.VoteFields(kind="motion", title="Sortie")
    )
    late = make_member("Arrivée tard")
    club_call(club_services.invite, club, club.people[0], late)
    club_call(club_services.accept_invitation, club, late, declared_natural_person=True)
    with pytest.raises(NotAnElector):
        club_call(votes.cast, vote, late, "pour")


def test_a_vote_after_the_window_is_refused(db, make_club, club_call):
    club = make_club()
    vote = club_call(
        votes.open_vote, club, club.people[0], votes.VoteFields(kind="motion", title="Sortie")
    )
    with pytest.raises(VoteClosed) as refused:
        club_call(
            votes.cast, vote, club.people[1], "pour", now=vote.closes_at + timedelta(seconds=1)
        )
    assert "clos" in refused.value.message
    assert db.session.scalar(select(func.count(ClubBallot.id))) == 0


def test_a_bad_choice_is_refused(db, make_club, club_call):
    club = make_club()
    vote = club_call(
        votes.open_vote, club, club.people[0], votes.VoteFields(kind="motion", title="Sortie")
    )
    with pytest.raises(VoteError):
        club_call(votes.cast, vote, club.people[1], "peut-être")


def test_secret_ballots_keep_no_trace_of_who_voted_what(db, make_club, club_call):
    club = make_club(is_secret_ballot=True)
    vote = club_call(
        votes.open_vote, club, club.people[0], votes.VoteFields(kind="motion", title="Sortie")
    )
    club_call(votes.cast, vote, club.people[1], "contre")
    ballot = db.session.scalar(select(ClubBallot))
    assert ballot.voter_id is None and ballot.cast_at is None
    club_call(votes.close_vote, vote, utcnow() + timedelta(days=8))
    minutes = db.session.scalar(select(ClubMinutes))
    assert club.people[1].display_name in minutes.body  # took part: that is public…
    assert "Détail des votes" not in minutes.body  # …how they voted is not


def test_open_ballots_are_named_in_the_minutes(db, make_club, club_call):
    club = make_club(is_secret_ballot=False)
    vote = club_call(
        votes.open_vote, club, club.people[0], votes.VoteFields(kind="motion", title="Sortie")
    )
    club_call(votes.cast, vote, club.people[1], "contre")
    assert db.session.scalar(select(ClubBallot)).voter_id == club.people[1].id
    club_call(votes.close_vote, vote, utcnow() + timedelta(days=8))
    body = db.session.scalar(select(ClubMinutes)).body
    assert f"- {club.people[1].display_name} : contre" in body


def test_the_result_is_computed_at_the_close_and_never_changes(db, make_club, club_call):
    from tremplin.funding.clubs.models import InvestorClub

    club = make_club(quorum_percent=50)
    vote = club_call(
        votes.open_vote, club, club.people[0], votes.VoteFields(kind="motion", title="Sortie")
    )
    for user in club.people[:3]:
        club_call(votes.cast, vote, user, "pour")
    # changing the rules during the vote changes nothing: they were copied at the opening
    db.session.get(InvestorClub, club.id).quorum_percent = 100
    db.session.commit()
    assert vote.result is None  # nothing is decided before the close
    assert club_call(votes.close_vote, vote, utcnow() + timedelta(days=8)) is True
    db.session.refresh(vote)
    assert (vote.result, vote.quorum_percent) == (ADOPTED, 50)
    assert club_call(votes.close_vote, vote, utcnow() + timedelta(days=9)) is False  # closes once
    with pytest.raises(VoteClosed):
        club_call(votes.cast, vote, club.people[4], "contre")
    db.session.refresh(vote)
    assert (vote.result, vote.for_count, vote.against_count) == (ADOPTED, 3, 0)
    assert db.session.scalar(select(func.count(ClubMinutes.id))) == 1


def test_a_vote_closes_early_once_every_elector_has_voted(db, make_club, club_call):
    club = make_club()
    vote = club_call(
        votes.open_vote, club, club.people[0], votes.VoteFields(kind="motion", title="Sortie")
    )
    for user in club.people[:-1]:
        club_call(votes.cast, vote, user, "pour")
    assert club_call(votes.close_vote, vote) is False  # one elector left, window not over
    club_call(votes.cast, vote, club.people[-1], "contre")
    assert club_call(votes.close_vote, vote) is True


def test_minutes_record_participants_result_and_decision_and_are_kept_unchanged(
    db, make_club, club_call
):
    import hashlib

    club = make_club()
    vote = club_call(
        votes.open_vote,
        club,
        club.people[0],
        votes.VoteFields(
            kind="motion",
            title="Adhérer à la fédération des Cigales",
            motion="Cotisation de 30 € par an.",
        ),
    )
    club_call(votes.cast, vote, club.people[0], "pour")
    club_call(votes.cast, vote, club.people[1], "pour")
    club_call(votes.cast, vote, club.people[2], "abstention")
    club_call(votes.close_vote, vote, utcnow() + timedelta(days=8))
    minutes = db.session.scalar(select(ClubMinutes))
    assert minutes.number == 1 and minutes.vote_id == vote.id
    for expected in (
        "procès-verbal n° 1",
        "Adhérer à la fédération des Cigales",
        "Cotisation de 30 € par an.",
        "Ont pris part au vote (3 sur 5)",
        "2 pour, 0 contre, 1 abstention(s) — adoptée",
        "La décision est adoptée.",
        club.people[3].display_name,
    ):
        assert expected in minutes.body
    assert minutes.digest == hashlib.sha256(minutes.body.encode()).hexdigest()
    minutes.body = "Réécrit après coup"
    with pytest.raises(ValueError, match="immutable"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(ValueError, match="kept"):
        db.session.delete(db.session.scalar(select(ClubMinutes)))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(ClubMinutes)).body.startswith("**Club")


def test_a_role_vote_names_the_treasurer_and_a_gerant_vote_starts_a_one_year_term(
    db, make_club, club_call, membership_of
):
    club = make_club()
    jean, nadia = club.people[1], club.people[2]

    def elect(user, role):
        vote = club_call(
            votes.open_vote,
            club,
            club.people[0],
            votes.VoteFields(
                kind="role", title="", role=role, candidate_membership=membership_of(club, user)
            ),
        )
        for voter in club.people:
            club_call(votes.cast, vote, voter, "pour")
        club_call(votes.close_vote, vote)
        return vote

    elect(jean, "tresorier")
    assert membership_of(club, jean).role == "tresorier"
    elect(nadia, "gerant")
    new, old = membership_of(club, nadia), membership_of(club, club.people[0])
    assert (new.role, old.role) == ("gerant", "membre")
    assert (new.term_ends_on - new.role_since).days == 365
    elect(nadia, "tresorier")  # the gérante becomes treasurer: the gérance is left vacant
    assert membership_of(club, jean).role == "membre"


def test_an_application_vote_without_quorum_leaves_the_application_to_vote_again(
    db, make_club, make_application, club_call
):
    club = make_club(quorum_percent=60)
    application = make_application(club)
    vote = club_call(
        votes.open_vote,
        club,
        club.people[0],
        votes.VoteFields(kind="application", title="", application=application),
    )
    db.session.refresh(application)
    assert application.state == "under_vote"
    club_call(votes.cast, vote, club.people[1], "pour")
    club_call(votes.close_vote, vote, utcnow() + timedelta(days=8))
    db.session.refresh(application)
    assert application.state == "submitted"
    again = club_call(
        votes.open_vote,
        club,
        club.people[0],
        votes.VoteFields(kind="application", title="", application=application),
    )
    assert again.id != vote.id


def test_applicants_are_told_the_decision(db, make_club, accepted_application):
    from tremplin.platform.models import Notification

    club = make_club()
    application = accepted_application(club)
    assert application.state == "accepted"
    texts = db.session.scalars(
        select(Notification.text).where(Notification.user_id == application.project.owner_id)
    ).all()
    assert any("a accepté la candidature" in t for t in texts)
    assert db.session.scalar(select(ClubVote.result)) == ADOPTED


def test_a_member_on_the_applying_projects_team_stands_aside(
    db, client, auth, make_club, make_project, make_application, club_call
):
    """Conflict of interest: a member who carries the applying project neither votes nor
    counts in the quorum, is told why, and the minutes name them."""
    club = make_club(quorum_percent=100)
    insider = club.people[2]
    project = make_project(insider, title="Épicerie des Quatre Chemins")
    application = make_application(club, project=project)
    vote = club_call(
        votes.open_vote,
        club,
        club.people[0],
        votes.VoteFields(kind="application", title="", application=application),
    )
    assert vote.electors_count == len(club.people) - 1
    assert insider.id not in {e.user_id for e in vote.electors}
    with pytest.raises(NotAnElector, match="conflit d’intérêts"):
        club_call(votes.cast, vote, insider, "pour")
    auth.login_as(insider)
    page = client.get(f"/clubs/{club.id}/votes/{vote.id}")
    assert "pour éviter tout conflit d’intérêts" in page.text and 'name="choice"' not in page.text
    # everybody else votes: the quorum of 100 % is reached without the insider
    for user in club.people:
        if user.id != insider.id:
            club_call(votes.cast, vote, user, "pour")
    assert club_call(votes.close_vote, vote) is True  # every elector has voted
    db.session.expire_all()
    closed = db.session.get(ClubVote, vote.id)
    assert closed.state == "closed" and closed.result == ADOPTED
    minutes = db.session.scalar(select(ClubMinutes).where(ClubMinutes.vote_id == vote.id))
    assert "conflit d’intérêts" in minutes.body and insider.public_name in minutes.body
