"""Investments: only after an accepted vote, never above the fund nor the voted amount,
never en gestion; the stake warning; accompagnateurs; what comes back from projects."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.kit.factories_clubs import pdf_bytes
from tremplin.funding.clubs import fund, investments, lifecycle, portfolio
from tremplin.funding.clubs.errors import ClubError, FundTooLow, StakeNeedsConfirmation, WrongState
from tremplin.funding.clubs.models import ClubInvestment


def invest(club_call, club, application, *, convention=None, confirm_stake=False, **kwargs):
    values = {
        "amount_cents": application.amount_cents,
        "instrument": "parts_sociales",
        "legal_form": "sas",
        "companion_ids": [club.people[1].id],
    }
    values.update(kwargs)
    return club_call(
        investments.record_investment,
        club,
        club.people[0],
        application,
        investments.InvestmentFields(**values),
        convention=convention,
        confirm_stake=confirm_stake,
    )


@pytest.fixture
def funded_club(make_club, pay_in):
    """An active club whose five members each saved 400 € (2 000 € in the fund)."""

    def make(**rules):
        club = make_club(**rules)
        for person in club.people:
            pay_in(club, person, 40_000)
        return club

    return make


def test_an_accepted_application_becomes_an_investment_out_of_the_fund(
    db, funded_club, club_call, accepted_application
):
    club = funded_club()
    application = accepted_application(club, amount_cents=150_000)
    investment = invest(
        club_call,
        club,
        application,
        co_investors="France Active",
        companion_ids=[club.people[1].id, club.people[2].id],
    )
    assert fund.balance(club.id) == 50_000
    assert fund.outstanding([investment.id]) == {investment.id: 150_000}
    db.session.refresh(application)
    assert application.state == "funded"
    assert sorted(c.user_id for c in investment.companions) == sorted(
        [club.people[1].id, club.people[2].id]
    )


def test_an_investment_above_the_fund_balance_is_refused_and_nothing_changes(
    db, funded_club, club_call, accepted_application
):
    club = funded_club()
    application = accepted_application(club, amount_cents=250_000)
    with pytest.raises(FundTooLow) as refused:
        invest(club_call, club, application)
    assert "Le fonds disponible est de 2" in refused.value.message
    assert fund.balance(club.id) == 200_000
    assert db.session.scalar(select(func.count(ClubInvestment.id))) == 0
    db.session.refresh(application)
    assert application.state == "accepted"


def test_an_investment_never_exceeds_what_the_members_voted(
    db, funded_club, club_call, accepted_application
):
    club = funded_club()
    application = accepted_application(club, amount_cents=100_000)
    with pytest.raises(ClubError, match="ne peut pas dépasser"):
        invest(club_call, club, application, amount_cents=100_001)


def test_no_investment_without_an_accepted_vote(db, funded_club, club_call, make_application):
    club = funded_club()
    application = make_application(club, amount_cents=50_000)
    with pytest.raises(ClubError, match="acceptée par un vote"):
        invest(club_call, club, application)


def test_no_investment_while_en_gestion(db, funded_club, club_call, accepted_application):
    club = funded_club()
    application = accepted_application(club, amount_cents=50_000)
    club_call(lifecycle.enter_management, club, club.people[0])
    with pytest.raises(WrongState) as refused:
        invest(club_call, club, application)
    assert "en gestion" in refused.value.message
    assert fund.balance(club.id) == 200_000


@pytest.mark.parametrize(
    "legal_form, stake, warned",
    [
        ("sas", 2500, False),
        ("sas", 2501, True),
        ("sa", 3300, False),
        ("sa", 3400, True),
        ("scop", 9000, False),
        ("scic", 5100, False),
        ("association", 2600, True),
    ],
)
def test_a_stake_above_the_prudence_threshold_must_be_confirmed(
    db, funded_club, club_call, accepted_application, legal_form, stake, warned
):
    club = funded_club()
    application = accepted_application(club, amount_cents=50_000)
    assert investments.stake_warning(legal_form, stake) is warned
    if warned:
        with pytest.raises(StakeNeedsConfirmation) as refused:
            invest(club_call, club, application, legal_form=legal_form, stake_basis_points=stake)
        assert "seuil de prudence" in refused.value.message
        assert db.session.scalar(select(func.count(ClubInvestment.id))) == 0
    investment = invest(
        club_call,
        club,
        application,
        legal_form=legal_form,
        stake_basis_points=stake,
        confirm_stake=True,
    )
    assert investment.stake_basis_points == stake


def test_one_or_two_accompagnateurs_who_are_members(
    db, funded_club, club_call, make_member, accepted_application
):
    club = funded_club()
    application = accepted_application(club, amount_cents=50_000)
    with pytest.raises(ClubError, match="un ou deux membres"):
        invest(club_call, club, application, companion_ids=[])
    with pytest.raises(ClubError, match="un ou deux membres"):
        invest(club_call, club, application, companion_ids=[p.id for p in club.people[:3]])
    with pytest.raises(ClubError, match="membres du club"):
        invest(club_call, club, application, companion_ids=[make_member("Dehors").id])


def test_repayments_dividends_and_exits_come_back_to_the_fund(
    db, funded_club, club_call, accepted_application
):
    club = funded_club()
    first = invest(club_call, club, accepted_application(club, amount_cents=60_000))
    second = invest(club_call, club, accepted_application(club, amount_cents=40_000))
    third = invest(club_call, club, accepted_application(club, amount_cents=30_000))
    by = club.people[0]
    assert fund.balance(club.id) == 70_000
    club_call(
        portfolio.record_event,
        first,
        by,
        portfolio.EventFields(kind="repayment", amount_cents=20_000),
        token="a",
    )
    club_call(
        portfolio.record_event,
        first,
        by,
        portfolio.EventFields(kind="repayment", amount_cents=20_000),
        token="a",
    )
    assert fund.balance(club.id) == 90_000  # the same form sent twice counts once
    with pytest.raises(ClubError, match="ne peut pas dépasser"):
        club_call(
            portfolio.record_event,
            first,
            by,
            portfolio.EventFields(kind="repayment", amount_cents=40_001),
            token="b",
        )
    club_call(
        portfolio.record_event,
        first,
        by,
        portfolio.EventFields(kind="repayment", amount_cents=40_000),
        token="c",
    )
    db.session.refresh(first)
    assert first.state == "repaid"
    club_call(
        portfolio.record_event,
        second,
        by,
        portfolio.EventFields(kind="dividend", amount_cents=1_500),
        token="d",
    )
    club_call(
        portfolio.record_event,
        second,
        by,
        portfolio.EventFields(kind="exit", amount_cents=50_000),
        token="e",
    )
    club_call(
        portfolio.record_event,
        third,
        by,
        portfolio.EventFields(kind="write_off", amount_cents=0),
        token="f",
    )
    for item in (second, third):
        db.session.refresh(item)
    assert (second.state, third.state) == ("exited", "written_off")
    assert fund.outstanding([first.id, second.id, third.id]) == {
        first.id: 0,
        second.id: 0,
        third.id: 0,
    }
    assert fund.returned([second.id]) == {second.id: 1_500 + 10_000}  # dividend + capital gain
    assert fund.balance(club.id) == 70_000 + 60_000 + 1_500 + 50_000
    assert fund.scope_is_balanced(club.id)
    with pytest.raises(ClubError, match="plus en portefeuille"):
        club_call(
            portfolio.record_event,
            third,
            by,
            portfolio.EventFields(kind="repayment", amount_cents=1),
            token="g",
        )


def test_fees_are_paid_out_of_the_fund_never_beyond_it(db, funded_club, club_call):
    club = funded_club()
    club_call(
        portfolio.record_expense,
        club,
        club.people[0],
        amount_cents=2_400,
        label="Tenue de compte",
        token="t1",
    )
    assert fund.balance(club.id) == 197_600
    with pytest.raises(FundTooLow):
        club_call(
            portfolio.record_expense,
            club,
            club.people[0],
            amount_cents=197_601,
            label="Assurance",
            token="t2",
        )
    assert fund.balance(club.id) == 197_600


def test_the_signed_convention_is_kept_as_a_checked_pdf(
    db, client, auth, funded_club, club_call, accepted_application
):
    from werkzeug.datastructures import FileStorage

    club = funded_club()
    application = accepted_application(club, amount_cents=50_000)
    convention = FileStorage(io.BytesIO(pdf_bytes("Convention signée")), "convention.pdf")
    investment = invest(club_call, club, application, convention=convention)
    db.session.refresh(investment)
    assert (
        investment.convention is not None
        and investment.convention.content_type == "application/pdf"
    )
    auth.login_as(club.people[3])
    download = client.get(f"/clubs/{club.id}/documents/{investment.convention.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert "attachment" in download.headers["Content-Disposition"]


def test_recording_an_investment_over_http_with_the_stake_warning(
    db, client, auth, funded_club, accepted_application
):
    club = funded_club()
    application = accepted_application(club, amount_cents=50_000)
    auth.login_as(club.people[0])
    data = {
        "application_id": application.id,
        "amount": "500",
        "instrument": "parts_sociales",
        "legal_form": "sarl",
        "stake": "30",
        "companions": [club.people[1].id],
    }
    page = client.post(f"/clubs/{club.id}/investissements/nouveau", data=data)
    assert page.status_code == 400 and "Seuil de prudence dépassé" in page.text
    assert "30\u00a0%" in page.text and "25\u00a0%" in page.text
    assert db.session.scalar(select(func.count(ClubInvestment.id))) == 0
    done = client.post(
        f"/clubs/{club.id}/investissements/nouveau", data={**data, "confirm_stake": "y"}
    )
    assert done.status_code == 302
    investment = db.session.scalar(select(ClubInvestment))
    assert investment.stake_basis_points == 3000
    portfolio_page = client.get(f"/clubs/{club.id}/portefeuille")
    assert application.project.title in portfolio_page.text
