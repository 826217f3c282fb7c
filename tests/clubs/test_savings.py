"""Monthly savings: a plan within the club's bounds, a schedule of expected payments, late
months flagged, payments recorded by the treasurer — refused over the caps or twice for a
month — and each member's contributions and share."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tremplin.funding import ledger
from tremplin.funding.clubs import fund, lifecycle, savings
from tremplin.funding.clubs.errors import ClubError, SavingOutOfBounds, WrongState
from tremplin.funding.clubs.models import SavingsPayment, SavingsPlan
from tremplin.platform.idempotency import new_token


def payments_count(db) -> int:
    return db.session.scalar(select(func.count(SavingsPayment.id)))


@pytest.mark.parametrize(
    "cents, message", [(700, "entre 7,50"), (45_100, "et 450"), (0, "entre 7,50")]
)
def test_a_monthly_saving_outside_the_clubs_bounds_is_refused(
    db, make_club, club_call, membership_of, cents, message
):
    club = make_club()
    member = membership_of(club, club.people[1])
    with pytest.raises(SavingOutOfBounds) as refused:
        club_call(savings.choose_plan, club, member, cents)
    assert message in refused.value.message
    assert db.session.scalar(select(func.count(SavingsPlan.id))) == 0


def test_twelve_months_over_the_yearly_cap_are_refused(db, make_club, club_call, membership_of):
    club = make_club(max_saving_cents=60_000, yearly_cap_cents=550_000)
    member = membership_of(club, club.people[1])
    with pytest.raises(SavingOutOfBounds) as refused:
        club_call(savings.choose_plan, club, member, 50_000)
    assert "plafond annuel" in refused.value.message
    club_call(savings.choose_plan, club, member, 45_000)  # 5 400 € a year fits


def test_a_plan_starts_with_the_first_month_not_yet_due_and_past_months_keep_their_amount(
    db, make_club, club_call, membership_of
):
    club = make_club(payment_day=5)
    member = membership_of(club, club.people[1])
    plan = club_call(savings.choose_plan, club, member, 2_000, today=date(2026, 3, 10))
    assert plan.starts_on == date(2026, 4, 1)  # March's payment day has passed
    again = club_call(savings.choose_plan, club, member, 3_000, today=date(2026, 3, 20))
    assert again.id == plan.id and again.monthly_cents == 3_000  # not due yet: simply changed
    later = club_call(savings.choose_plan, club, member, 1_500, today=date(2026, 6, 2))
    plans = db.session.scalars(select(SavingsPlan).order_by(SavingsPlan.id)).all()
    assert [(p.monthly_cents, p.starts_on, p.ends_on) for p in plans] == [
        (3_000, date(2026, 4, 1), date(2026, 6, 1)),
        (1_500, date(2026, 6, 1), None),
    ]
    assert later.id == plans[1].id


def test_the_schedule_flags_late_months(db, make_club, club_call, membership_of, pay_in):
    club = make_club(payment_day=5)
    member = membership_of(club, club.people[1])
    plan = club_call(savings.choose_plan, club, member, 2_000, today=date(2026, 1, 2))
    pay_in(club, club.people[1], 2_000, month=date(2026, 1, 1))
    lines = savings.schedule_from(
        club,
        [plan],
        list(db.session.scalars(select(SavingsPayment))),
        today=date(2026, 3, 12),
        grace_days=10,
    )
    assert [(line.month, line.status) for line in lines] == [
        (date(2026, 1, 1), "paid"),
        (date(2026, 2, 1), "late"),
        (date(2026, 3, 1), "due"),
        (date(2026, 4, 1), "upcoming"),
    ]
    assert lines[1].missing_cents == 2_000
    late = savings.schedule_from(club, [plan], [], today=date(2026, 3, 16), grace_days=10)
    assert [line.status for line in late][:3] == ["late", "late", "late"]


def test_the_treasurer_records_a_transfer_into_the_fund(db, make_club, pay_in, outbox):
    club = make_club()
    saver = club.people[1]
    payment = pay_in(club, saver, 2_500)
    assert fund.balance(club.id) == 2_500
    assert ledger.balance(fund.saver_account(club.id, saver.id)) == -2_500
    assert payment.ledger_key.startswith(f"club:{club.id}:saving:")
    assert fund.scope_is_balanced(club.id)


def test_a_second_payment_for_the_same_month_is_refused_and_nothing_changes(db, make_club, pay_in):
    club = make_club()
    pay_in(club, club.people[1], 2_000, month=date(2026, 1, 1))
    with pytest.raises(ClubError) as refused:
        pay_in(club, club.people[1], 2_000, month=date(2026, 1, 1))
    assert "déjà enregistré" in refused.value.message
    assert fund.balance(club.id) == 2_000 and payments_count(db) == 1


def test_over_cap_savings_are_refused_and_nothing_changes(db, make_club, pay_in):
    club = make_club()
    saver = club.people[1]
    for month in range(1, 13):  # twelve maximal months: 5 400 €, under the 5 500 € cap
        pay_in(club, saver, 45_000, month=date(2025, month, 1))
    with pytest.raises(SavingOutOfBounds) as refused:
        pay_in(club, saver, 45_001, month=date(2026, 1, 1))
    assert "versement mensuel maximal" in refused.value.message
    assert fund.balance(club.id) == 540_000 and payments_count(db) == 12


def test_the_yearly_cap_counts_every_payment_of_the_calendar_year(db, make_club, pay_in, club_call):
    club = make_club(max_saving_cents=300_000, yearly_cap_cents=550_000, min_saving_cents=750)
    saver = club.people[1]
    pay_in(club, saver, 300_000, month=date(2025, 1, 1))
    with pytest.raises(SavingOutOfBounds) as refused:
        pay_in(club, saver, 250_001, month=date(2025, 2, 1))
    assert "5\u202f500" in refused.value.message or "5 500" in refused.value.message
    pay_in(club, saver, 250_000, month=date(2025, 2, 1))
    pay_in(club, saver, 300_000, month=date(2026, 1, 1))  # a new year, a new cap
    assert fund.balance(club.id) == 850_000


def test_a_cancelled_payment_is_reversed_never_deleted(db, make_club, pay_in, club_call):
    club = make_club()
    payment = pay_in(club, club.people[1], 2_000)
    club_call(
        savings.cancel_payment, club, club.people[0], payment, "Virement rejeté par la banque"
    )
    assert fund.balance(club.id) == 0
    assert fund.contributions(club.id) == {}
    db.session.refresh(payment)
    assert payment.cancelled_at is not None and payments_count(db) == 1
    pay_in(club, club.people[1], 2_000)  # the month can be paid again
    assert fund.balance(club.id) == 2_000
    with pytest.raises(ClubError):
        club_call(savings.cancel_payment, club, club.people[0], payment, "encore")


def test_no_savings_once_the_club_is_en_gestion(db, make_club, club_call, membership_of, pay_in):
    club = make_club()
    member = membership_of(club, club.people[1])
    club_call(savings.choose_plan, club, member, 2_000)
    club_call(lifecycle.enter_management, club, club.people[0])
    assert savings.current_plan(member) is None  # the schedule stops
    with pytest.raises(WrongState) as refused:
        pay_in(club, club.people[1], 2_000)
    assert "ne reçoit plus d’épargne" in refused.value.message
    with pytest.raises(WrongState):
        club_call(savings.choose_plan, club, member, 2_000)
    assert fund.balance(club.id) == 0


def test_each_member_sees_their_contributions_and_share(db, client, auth, make_club, pay_in):
    club = make_club()
    a, b = club.people[1], club.people[2]
    pay_in(club, a, 1_000)
    pay_in(club, b, 3_000)
    auth.login_as(a)
    page = client.get(f"/clubs/{club.id}/epargne")
    assert page.status_code == 200
    text = page.text.replace("\u202f", " ").replace("\u00a0", " ")
    assert "25,00 %" in text and "10,00 €" in text  # my 10 € of 40 €: a quarter of the club
    auth.login_as(b)
    text = client.get(f"/clubs/{club.id}/epargne").text
    assert "75,00 %" in text


def test_choosing_a_saving_over_http_with_a_bad_amount_shows_the_bounds(
    db, client, auth, make_club
):
    club = make_club()
    auth.login_as(club.people[1])
    page = client.post(f"/clubs/{club.id}/epargne", data={"monthly": "500"})
    assert page.status_code == 400
    assert "Choisissez une épargne mensuelle entre 7,50" in page.text.replace("\u00a0", " ")
    assert db.session.scalar(select(func.count(SavingsPlan.id))) == 0
    page = client.post(f"/clubs/{club.id}/epargne", data={"monthly": "20"}, follow_redirects=True)
    assert "20 € par mois" in page.text.replace("\u00a0", " ")


def test_only_the_treasurer_records_payments(db, client, auth, make_club, club_call, membership_of):
    from tremplin.funding.clubs import votes

    club = make_club()
    treasurer = club.people[1]
    vote = club_call(
        votes.open_vote,
        club,
        club.people[0],
        votes.VoteFields(
            kind="role",
            title="",
            role="tresorier",
            candidate_membership=membership_of(club, treasurer),
        ),
    )
    for user in club.people:
        club_call(votes.cast, vote, user, "pour")
    club_call(votes.close_vote, vote)
    data = {
        "membership_id": membership_of(club, club.people[2]).id,
        "amount": "20",
        "for_month": date.today().strftime("%Y-%m"),
        "once": new_token(),
    }
    auth.login_as(club.people[0])  # the gérant, now that a treasurer is designated
    assert client.post(f"/clubs/{club.id}/tresorerie/versements", data=data).status_code == 403
    auth.login_as(treasurer)
    response = client.post(f"/clubs/{club.id}/tresorerie/versements", data=data)
    assert response.status_code == 302
    assert fund.balance(club.id) == 2_000
    over = client.post(
        f"/clubs/{club.id}/tresorerie/versements",
        data={**data, "amount": "600", "for_month": "2025-01", "once": new_token()},
    )
    assert over.status_code == 400 and "versement mensuel maximal" in over.text
    assert fund.balance(club.id) == 2_000
