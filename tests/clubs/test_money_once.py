"""Club money that cannot double: the treasurer's forms — a saving received, fees paid (the
manual adjustment of the fund), a repayment or an exit from a project — sent 2, 3 and 10
times at once over real HTTP record one movement (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.clubs.test_investments import invest
from tests.kit.concurrent_forms import browser, post_at_once, read_form
from tremplin.funding.clubs import fund
from tremplin.funding.clubs.models import PortfolioEvent, SavingsPayment
from tremplin.funding.models import LedgerTransaction


def _rows(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("times", [2, 3, 10])
def test_the_same_saving_form_sent_at_once_records_one_payment(
    app, db, live_server, make_club, membership_of, times
):
    club = make_club()
    gerant = browser(app, live_server, club.people[0])
    page, action = f"/clubs/{club.id}/tresorerie", f"/clubs/{club.id}/tresorerie/versements"
    form = read_form(gerant, page, action)
    assert form["once"]
    form.update(
        {
            "membership_id": str(membership_of(club, club.people[2]).id),
            "amount": "20",
            "for_month": date.today().strftime("%Y-%m"),
        }
    )
    statuses = post_at_once(gerant, action, form, times)
    assert 500 not in statuses and statuses.count(302) == 1, statuses
    assert _rows(db, SavingsPayment) == 1
    assert fund.balance(club.id) == 2_000
    assert fund.scope_is_balanced(club.id)
    again = gerant.post(live_server.url + action, data=form)
    assert "déjà été envoyé" in again.text and "20,00" in again.text


@pytest.mark.parametrize("times", [2, 3, 10])
def test_the_same_expense_form_sent_at_once_records_one_expense(
    app, db, live_server, make_club, pay_in, times
):
    club = make_club()
    pay_in(club, club.people[1], 10_000)
    gerant = browser(app, live_server, club.people[0])
    page, action = f"/clubs/{club.id}/tresorerie", f"/clubs/{club.id}/tresorerie/frais"
    form = read_form(gerant, page, action)
    form.update({"label": "Tenue de compte", "amount": "12", "paid_on": date.today().isoformat()})
    statuses = post_at_once(gerant, action, form, times)
    assert 500 not in statuses, statuses
    expenses = db.session.scalar(
        select(func.count(LedgerTransaction.id)).where(LedgerTransaction.key.like("%:expense:%"))
    )
    assert expenses == 1
    assert fund.balance(club.id) == 10_000 - 1_200
    assert fund.scope_is_balanced(club.id)


@pytest.mark.parametrize("kind", ["repayment", "exit"])
@pytest.mark.parametrize("times", [2, 3, 10])
def test_the_same_repayment_or_exit_form_sent_at_once_counts_once(
    app, db, live_server, make_club, pay_in, club_call, accepted_application, kind, times
):
    club = make_club()
    for person in club.people:
        pay_in(club, person, 40_000)
    item = invest(club_call, club, accepted_application(club, amount_cents=60_000))
    gerant = browser(app, live_server, club.people[0])
    page = f"/clubs/{club.id}/investissements/{item.id}"
    action = f"{page}/mouvements"
    form = read_form(gerant, page, action)
    form.update({"kind": kind, "amount": "200", "occurred_on": date.today().isoformat()})
    statuses = post_at_once(gerant, action, form, times)
    assert 500 not in statuses, statuses
    assert _rows(db, PortfolioEvent) == 1
    assert fund.balance(club.id) == 200_000 - 60_000 + 20_000
    assert fund.scope_is_balanced(club.id)
