"""The fund and the shares: pro-rata splits that add up to the cent, and a ledger where
the fund balance, the savers' shares and every movement always reconcile."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tremplin.funding import ledger
from tremplin.funding.clubs import fund, portfolio
from tremplin.funding.clubs.fund import pro_rata

weights = st.dictionaries(
    st.integers(1, 10_000), st.integers(0, 55_000_000), min_size=1, max_size=20
)


@settings(max_examples=1500, deadline=None)
@given(st.integers(0, 10**10), weights)
def test_a_pro_rata_split_adds_up_to_the_total_and_each_part_is_within_a_cent(total, shares):
    parts = pro_rata(total, shares)
    assert sum(parts.values()) == total
    assert set(parts) == set(shares)
    basis = sum(shares.values())
    for key, weight in shares.items():
        exact = Fraction(total * weight, basis) if basis else Fraction(total, len(shares))
        assert exact - 1 < parts[key] < exact + 1  # floor or floor + 1 of the exact part
        assert parts[key] >= 0


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**8), weights)
def test_a_split_is_deterministic_and_ignores_the_order_of_members(total, shares):
    reordered = dict(reversed(list(shares.items())))
    assert pro_rata(total, shares) == pro_rata(total, reordered)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**8), weights, st.integers(2, 5))
def test_scaling_everyones_savings_changes_nobodys_part(total, shares, factor):
    scaled = {k: v * factor for k, v in shares.items()}
    assert pro_rata(total, shares) == pro_rata(total, scaled)


def test_left_over_cents_go_to_the_largest_remainders_then_to_the_earliest_member():
    assert pro_rata(100, {1: 1, 2: 1, 3: 1}) == {1: 34, 2: 33, 3: 33}
    assert pro_rata(10, {7: 1, 3: 2}) == {3: 7, 7: 3}  # 6.67 → 7, 3.33 → 3
    assert pro_rata(1, {5: 0, 2: 0}) == {2: 1, 5: 0}  # nobody saved: an equal split
    assert pro_rata(0, {1: 10}) == {1: 0}


def test_bad_splits_are_refused():
    with pytest.raises(ValueError):
        pro_rata(-1, {1: 1})
    with pytest.raises(ValueError):
        pro_rata(5, {})
    with pytest.raises(ValueError):
        pro_rata(10, {1: -5})


operations = st.lists(
    st.tuples(
        st.sampled_from(["save", "save", "save", "expense", "dividend", "repay"]),
        st.integers(0, 4),
        st.integers(750, 45_000),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations)
def test_the_fund_and_every_members_share_reconcile_to_the_cent(
    db, make_club, pay_in, club_call, accepted_application, ops
):
    from tremplin.funding.clubs import investments

    club = make_club()
    months: dict[int, int] = {}
    for index, person in enumerate(club.people):
        pay_in(club, person, 5_000 + index * 1_111, month=date(2024, 1, 1))
    application = accepted_application(club, amount_cents=8_000)
    investment = club_call(
        investments.record_investment,
        club,
        club.people[0],
        application,
        investments.InvestmentFields(
            amount_cents=8_000,
            instrument="compte_courant",
            legal_form="sas",
            companion_ids=[club.people[1].id],
        ),
    )
    expected_cash = sum(5_000 + i * 1_111 for i in range(5)) - 8_000
    for n, (kind, who, cents) in enumerate(ops):
        if kind == "save":
            months[who] = months.get(who, 0) + 1
            pay_in(club, club.people[who], cents, month=date(2024, 1 + months[who], 1))
            expected_cash += cents
        elif kind == "expense" and cents <= expected_cash:
            club_call(
                portfolio.record_expense,
                club,
                club.people[0],
                amount_cents=cents,
                label="Frais bancaires",
                token=f"e{n}",
            )
            expected_cash -= cents
        elif kind == "dividend" and investment.state == "active":
            club_call(
                portfolio.record_event,
                investment,
                club.people[0],
                portfolio.EventFields(kind="dividend", amount_cents=cents),
                token=f"d{n}",
            )
            expected_cash += cents
        elif kind == "repay" and investment.state == "active":
            left = fund.outstanding([investment.id])[investment.id]
            amount = min(cents, left)
            club_call(
                portfolio.record_event,
                investment,
                club.people[0],
                portfolio.EventFields(kind="repayment", amount_cents=amount),
                token=f"r{n}",
            )
            expected_cash += amount
            db.session.refresh(investment)
    position = fund.position(club.id, [investment.id])
    assert position.cash_cents == expected_cash == fund.balance(club.id)
    assert sum(s.cash_cents for s in position.shares.values()) == position.cash_cents
    assert sum(s.portfolio_cents for s in position.shares.values()) == position.portfolio_cents
    assert sum(s.fraction for s in position.shares.values()) == 1
    assert position.contributed_cents == -sum(
        ledger.balance(fund.saver_account(club.id, p.id)) for p in club.people
    )
    assert fund.scope_is_balanced(club.id)
    assert ledger.unbalanced_transactions() == []


def test_members_download_the_funds_whole_statement_with_a_running_balance(
    db, client, auth, make_club, make_member, pay_in, club_call
):
    import csv
    import io

    from tremplin.funding.clubs import portfolio

    club = make_club()
    pay_in(club, club.people[1], 2_050, month=date(2024, 1, 1))
    pay_in(club, club.people[2], 3_000, month=date(2024, 1, 1))
    club_call(
        portfolio.record_expense,
        club,
        club.people[0],
        amount_cents=1_225,
        label="=Frais bancaires",
        token="frais-1",
    )
    auth.login_as(club.people[3])
    response = client.get(f"/clubs/{club.id}/tresorerie/releve.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Date",
        "Mouvement",
        "Détail",
        "Référence",
        "Entrée (€)",
        "Sortie (€)",
        "Solde (€)",
    ]
    assert [(r[1], r[4], r[5], r[6]) for r in rows[1:]] == [
        ("Épargne versée", "20,50", "", "20,50"),
        ("Épargne versée", "30,00", "", "50,50"),
        ("Frais", "", "12,25", "38,25"),
    ]
    assert rows[3][2].startswith("'=")  # a memo is never a spreadsheet formula
    assert (
        f"/clubs/{club.id}/tresorerie/releve.csv" in client.get(f"/clubs/{club.id}/tresorerie").text
    )
    # not for anyone outside the club
    auth.login_as(make_member("Curieuse"))
    assert client.get(f"/clubs/{club.id}/tresorerie/releve.csv").status_code == 404
