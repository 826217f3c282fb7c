"""A club's life: founded by its gérant, 5 to 20 members who join by invitation or by a
request the gérant approves, active from 5, renewable once, en gestion, closed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tremplin.funding.clubs import clubs as services
from tremplin.funding.clubs import lifecycle
from tremplin.funding.clubs.errors import ClubFull, MembershipError, NotEnoughMembers, WrongState
from tremplin.funding.clubs.models import (
    ACTIVE,
    CLOSED,
    FORMING,
    GERANT,
    MANAGING,
    MEMBER_ACTIVE,
    ClubMembership,
    InvestorClub,
)


def count_members(db, club) -> int:
    return db.session.scalar(
        select(func.count(ClubMembership.id)).where(
            ClubMembership.club_id == club.id, ClubMembership.state == MEMBER_ACTIVE
        )
    )


def test_founder_becomes_gerant_for_one_year_and_the_club_forms(db, make_member, club_call):
    lucie = make_member("Lucie")
    club = club_call(
        services.create_club,
        lucie,
        name="Cigales de la Roquette",
        territory="Paris 11e",
        declared_natural_person=True,
    )
    assert club.state == FORMING
    gerant = db.session.scalar(select(ClubMembership).where(ClubMembership.club_id == club.id))
    assert (gerant.user_id, gerant.role, gerant.state) == (lucie.id, GERANT, MEMBER_ACTIVE)
    assert (gerant.term_ends_on - gerant.role_since).days == 365
    # default rules: the Cigales bounds
    assert (club.min_saving_cents, club.max_saving_cents, club.yearly_cap_cents) == (
        750,
        45_000,
        550_000,
    )
    assert club.conversation_id is not None


def test_a_club_is_founded_by_a_natural_person_only(db, make_member, club_call):
    with pytest.raises(MembershipError) as refused:
        club_call(
            services.create_club,
            make_member(),
            name="Club",
            territory="Lyon",
            declared_natural_person=False,
        )
    assert "personnes physiques" in refused.value.message
    assert db.session.scalar(select(func.count(InvestorClub.id))) == 0


def test_a_club_cannot_become_active_below_five_members(db, make_club, club_call):
    club = make_club(members=3, active=False)
    with pytest.raises(NotEnoughMembers) as refused:
        club_call(lifecycle.activate, club, club.people[0])
    assert (
        "au moins 5 membres" in refused.value.message and "il en compte 4" in refused.value.message
    )
    db.session.refresh(club)
    assert club.state == FORMING and club.activated_on is None


def test_with_five_members_the_club_becomes_active_for_five_years(db, make_club, club_call):
    club = make_club(members=4, active=False)
    club_call(lifecycle.activate, club, club.people[0])
    db.session.refresh(club)
    assert club.state == ACTIVE
    assert club.investing_ends_on.year - club.activated_on.year == 5


def test_a_21st_member_is_refused_with_the_suggestion_to_found_a_new_club(
    db, make_club, make_member, club_call, membership_of
):
    club = make_club(members=19)
    assert count_members(db, club) == 20
    newcomer = make_member("Vingt-et-unième")
    with pytest.raises(ClubFull) as refused:
        club_call(services.invite, club, club.people[0], newcomer)
    assert (
        "20 membres" in refused.value.message and "fonder un nouveau club" in refused.value.message
    )
    assert membership_of(club, newcomer) is None
    # a request, even made before the club filled up, is refused at approval too
    db.session.get(InvestorClub, club.id).is_public = True
    db.session.commit()
    with pytest.raises(ClubFull):
        club_call(services.request_to_join, club, newcomer, declared_natural_person=True)
    assert count_members(db, club) == 20


def test_a_request_approved_when_the_club_is_already_full_is_refused(
    db, make_club, make_member, club_call, membership_of
):
    club = make_club(members=18, is_public=True)
    late, last = make_member("En retard"), make_member("Dernière")
    request = club_call(services.request_to_join, club, late, declared_natural_person=True)
    invitation = club_call(services.invite, club, club.people[0], last)
    club_call(services.accept_invitation, club, last, declared_natural_person=True)
    with pytest.raises(ClubFull):
        club_call(services.approve_request, club, club.people[0], request)
    assert membership_of(club, late).state == "requested"
    assert count_members(db, club) == 20
    assert invitation.state == MEMBER_ACTIVE


def test_joining_by_request_needs_the_gerants_approval(
    db, make_club, make_member, club_call, membership_of, outbox
):
    club = make_club(members=4, is_public=True)
    nadia = make_member("Nadia")
    with pytest.raises(MembershipError):
        club_call(services.request_to_join, club, nadia, declared_natural_person=False)
    club_call(
        services.request_to_join,
        club,
        nadia,
        declared_natural_person=True,
        message="J’habite le quartier.",
    )
    assert membership_of(club, nadia).state == "requested"
    club_call(services.approve_request, club, club.people[0], membership_of(club, nadia))
    assert membership_of(club, nadia).state == MEMBER_ACTIVE
    from tremplin.groups import can_read_conversation, conversation_for

    assert can_read_conversation(nadia, conversation_for(club))


def test_an_invitation_is_accepted_by_the_invitee_only_as_a_natural_person(
    db, make_club, make_member, club_call, membership_of
):
    club = make_club(members=4)
    omar = make_member("Omar")
    club_call(services.invite, club, club.people[0], omar)
    with pytest.raises(MembershipError):
        club_call(services.accept_invitation, club, omar, declared_natural_person=False)
    assert membership_of(club, omar).state == "invited"
    club_call(services.accept_invitation, club, omar, declared_natural_person=True)
    assert membership_of(club, omar).state == MEMBER_ACTIVE


def test_the_gerant_cannot_leave_before_a_vote_names_someone_else(db, make_club, club_call):
    club = make_club()
    with pytest.raises(MembershipError):
        club_call(services.leave, club, club.people[0])


def test_a_member_who_leaves_keeps_their_share_but_not_their_access(
    db, make_club, club_call, pay_in, membership_of
):
    from tremplin.funding.clubs import fund
    from tremplin.groups import can_read_conversation, conversation_for

    club = make_club()
    leaver = club.people[2]
    pay_in(club, leaver, 2_000)
    club_call(services.leave, club, leaver)
    assert membership_of(club, leaver).state == "left"
    assert fund.contributions(club.id)[leaver.id] == 2_000
    assert not can_read_conversation(leaver, conversation_for(club))


def test_the_investing_period_is_renewable_once(db, make_club, club_call):
    club = make_club()
    first_end = club.investing_ends_on
    club_call(lifecycle.renew_period, club, club.people[0])
    db.session.refresh(club)
    assert club.investing_ends_on.year == first_end.year + 5 and club.renewal_count == 1
    with pytest.raises(WrongState) as refused:
        club_call(lifecycle.renew_period, club, club.people[0])
    assert "qu’une fois" in refused.value.message
    db.session.refresh(club)
    assert club.investing_ends_on.year == first_end.year + 5


def test_lifecycle_moves_forward_only(db, make_club, club_call):
    club = make_club(members=4, active=False)
    with pytest.raises(WrongState):  # forming → en gestion skips "active"
        club_call(lifecycle.enter_management, club, club.people[0])
    with pytest.raises(WrongState):
        club_call(lifecycle.close_club, club, club.people[0])
    club_call(lifecycle.activate, club, club.people[0])
    with pytest.raises(WrongState):
        club_call(lifecycle.activate, club, club.people[0])
    with pytest.raises(WrongState):
        club_call(lifecycle.close_club, club, club.people[0])
    club_call(lifecycle.enter_management, club, club.people[0])
    db.session.refresh(club)
    assert club.state == MANAGING and club.managing_since is not None
    with pytest.raises(WrongState):
        club_call(lifecycle.renew_period, club, club.people[0])
    club_call(lifecycle.close_club, club, club.people[0])
    db.session.refresh(club)
    assert club.state == CLOSED
    with pytest.raises(WrongState):
        club_call(lifecycle.enter_management, club, club.people[0])


def test_closing_distributes_the_fund_pro_rata_to_the_cent(db, make_club, club_call, pay_in):
    from tremplin.funding import ledger
    from tremplin.funding.clubs import fund
    from tremplin.funding.clubs.models import DistributionLine

    club = make_club(members=4)
    a, b, c = club.people[1:4]
    pay_in(club, a, 1_000)
    pay_in(club, b, 2_000)
    pay_in(club, c, 3_333)
    club_call(lifecycle.enter_management, club, club.people[0])
    club_call(lifecycle.close_club, club, club.people[0])
    lines = {
        line.user_id: line.amount_cents for line in db.session.scalars(select(DistributionLine))
    }
    assert lines == {a.id: 1_000, b.id: 2_000, c.id: 3_333}
    assert fund.balance(club.id) == 0
    assert ledger.balance(fund.saver_account(club.id, c.id)) == 0  # the saver got it all back
    assert fund.scope_is_balanced(club.id)


def test_the_distribution_statement_is_shown_to_members(
    db, client, auth, make_club, club_call, pay_in
):
    club = make_club()
    pay_in(club, club.people[1], 1_000)
    pay_in(club, club.people[2], 2_000)
    club_call(lifecycle.enter_management, club, club.people[0])
    auth.login_as(club.people[1])
    preview = client.get(f"/clubs/{club.id}/repartition").text
    assert "Répartition prévisionnelle" in preview
    club_call(lifecycle.close_club, club, club.people[0])
    statement = client.get(f"/clubs/{club.id}/repartition").text.replace("\u202f", " ")
    assert "Relevé de répartition à la clôture" in statement
    assert "33,33 %" in statement and "66,67 %" in statement and "30,00" in statement


def test_impact_figures_count_club_investments(
    db, app, make_club, pay_in, club_call, accepted_application
):
    from datetime import timedelta

    from tremplin.funding.clubs import (
        club_invested_amount,
        club_investments_per_period,
        club_totals,
        investments,
    )
    from tremplin.funding.clubs.dates import paris_today

    club = make_club()
    for person in club.people:
        pay_in(club, person, 10_000)
    for cents in (12_000, 8_000):
        application = accepted_application(club, amount_cents=cents)
        club_call(
            investments.record_investment,
            club,
            club.people[0],
            application,
            investments.InvestmentFields(
                amount_cents=cents,
                instrument="pret_honneur",
                legal_form="ei",
                companion_ids=[club.people[1].id],
            ),
        )
    today = paris_today()
    figures = club_investments_per_period(today.replace(day=1), today + timedelta(days=1))
    assert [(f.investments_count, f.invested_cents, f.projects_count) for f in figures] == [
        (2, 20_000, 2)
    ]
    assert club_invested_amount() == 20_000
    assert club_invested_amount(territory="13") == 0  # the projects are in Seine-Saint-Denis
    totals = club_totals()
    assert (
        totals["active_clubs"],
        totals["members"],
        totals["saved_cents"],
        totals["invested_cents"],
        totals["projects_backed"],
    ) == (1, 5, 50_000, 20_000, 2)
