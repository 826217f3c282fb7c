"""A club's bank details cannot be swapped silently: the IBAN is checked (schwifty); once
savings exist a new IBAN waits for a second person (another officer of the club or an
organiser), then the members still paying by transfer are told and every step is logged.
And the club's Stripe Connect onboarding: card savings only with a connected account that
takes charges (or a registered intermediary)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tremplin.funding.clubs import savings
from tremplin.funding.clubs.models import TRESORIER, ClubMembership, InvestorClub
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db as _db
from tremplin.platform.models import AdminAction, Notification, User

OLD_IBAN = "FR7630006000011234567890189"
NEW_IBAN = "DE89370400440532013000"
FORM = {"account_holder": "Cigales du 11e", "iban": NEW_IBAN, "bic": "AGRIFRPP"}


def _membership(db, club, user) -> ClubMembership:
    return db.session.scalar(
        select(ClubMembership).where(
            ClubMembership.club_id == club.id, ClubMembership.user_id == user.id
        )
    )


@pytest.fixture
def saving_club(db, make_club, club_call):
    club = make_club()
    gerant, treasurer, saver = club.people[0], club.people[1], club.people[2]
    _membership(db, club, treasurer).role = TRESORIER
    club.iban, club.account_holder = OLD_IBAN, "Cigales"
    db.session.commit()
    club_call(savings.choose_plan, club, _membership(db, club, saver), 2_000)
    return club, gerant, treasurer, saver


def test_a_new_club_iban_needs_a_second_person_once_savings_exist(client, auth, db, saving_club):
    club, gerant, treasurer, saver = saving_club
    auth.login_as(gerant)
    assert client.post(f"/clubs/{club.id}/banque", data=FORM).status_code == 302
    db.session.expire_all()
    club = db.session.get(InvestorClub, club.id)
    assert (club.iban, club.pending_iban) == (OLD_IBAN, NEW_IBAN)
    assert "data-pending-iban" in client.get(f"/clubs/{club.id}/banque").text
    # the one who asked cannot confirm it
    client.post(f"/clubs/{club.id}/banque/iban/confirmer")
    db.session.expire_all()
    assert db.session.get(InvestorClub, club.id).iban == OLD_IBAN
    # nor can a plain member
    auth.login_as(saver)
    assert client.post(f"/clubs/{club.id}/banque/iban/confirmer").status_code == 403
    auth.login_as(treasurer)
    assert client.post(f"/clubs/{club.id}/banque/iban/confirmer").status_code == 302
    db.session.expire_all()
    club = db.session.get(InvestorClub, club.id)
    assert (club.iban, club.pending_iban) == (NEW_IBAN, None)
    told = db.session.scalars(select(Notification.text).where(Notification.user_id == saver.id))
    assert any("nouvel IBAN" in text and "3000" in text for text in told)
    logged = db.session.scalars(
        select(AdminAction.action)
        .where(AdminAction.action.like("club_iban%"))
        .order_by(AdminAction.id)
    ).all()
    assert logged == ["club_iban_requested", "club_iban_confirmed"]


def test_an_organiser_may_confirm_and_two_confirmations_at_once_apply_it_once(
    app, db, saving_club, make_organiser, club_call
):
    from tremplin.funding.clubs import bank

    club, gerant, treasurer, _saver = saving_club
    club_call(bank.update_bank_details, club, gerant, account_holder="C", iban=NEW_IBAN, bic="")
    organiser = make_organiser()
    results: list[str] = []

    def confirm(user_id):
        with app.test_request_context():
            try:
                bank.confirm_iban_change(
                    _db.session.get(InvestorClub, club.id), _db.session.get(User, user_id)
                )
                _db.session.commit()
                results.append("ok")
            except DomainError:
                _db.session.rollback()
                results.append("refused")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=confirm, args=(u,)) for u in (organiser.id, treasurer.id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["ok", "refused"]
    confirmed = db.session.scalars(
        select(AdminAction.id).where(AdminAction.action == "club_iban_confirmed")
    ).all()
    assert len(confirmed) == 1


def test_before_any_saving_the_iban_changes_at_once_and_is_checked(client, auth, db, make_club):
    club = make_club(members=4)
    auth.login_as(club.people[0])
    bad = client.post(
        f"/clubs/{club.id}/banque", data={**FORM, "iban": "FR7630006000011234567890188"}
    )
    assert bad.status_code == 400 and "chiffres de contrôle" in bad.text
    assert client.post(f"/clubs/{club.id}/banque", data=FORM).status_code == 302
    db.session.expire_all()
    assert db.session.get(InvestorClub, club.id).iban == NEW_IBAN
    auth.login_as(club.people[1])  # a plain member sees the RIB, cannot change it
    assert client.post(f"/clubs/{club.id}/banque", data=FORM).status_code == 403
    assert NEW_IBAN in client.get(f"/clubs/{club.id}/banque").text


@pytest.mark.parametrize(
    ("account", "charges", "intermediary", "takes"),
    [
        (None, False, False, False),
        ("acct_club", False, False, False),
        ("acct_club", True, False, True),
        (None, False, True, True),
    ],
)
def test_card_savings_need_the_clubs_own_account_with_charges_enabled(
    app, db, make_club, account, charges, intermediary, takes
):
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_offline",
        STRIPE_API_BASE="http://127.0.0.1:9",
        FUNDING_PLATFORM_IS_INTERMEDIARY=intermediary,
    )
    club = make_club()
    club.stripe_account_id, club.stripe_charges_enabled = account, charges
    assert savings.club_takes_cards(club) is takes
    if not takes:
        membership = _membership(db, club, club.people[1])
        with app.test_request_context():
            with pytest.raises(DomainError):
                savings.prepare_card_saving(club, membership, 2_000)


def test_the_club_onboarding_link_creates_the_clubs_account(
    app, client, auth, db, make_club, recording
):
    app.config.update(STRIPE_SECRET_KEY="sk_test_offline", STRIPE_API_BASE="http://127.0.0.1:9")
    club = make_club()
    auth.login_as(club.people[0])
    response = client.post(f"/clubs/{club.id}/banque/stripe")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://connect.stripe.com/")
    create, link = recording.calls
    assert create[:2] == ("POST", "/v1/accounts")
    assert create[2]["Idempotency-Key"] == f"tremplin-connect-club-{club.id}"
    assert create[3]["metadata[tremplin_club]"] == [str(club.id)]
    assert link[3]["return_url"][0].endswith(f"/clubs/{club.id}/banque/stripe/retour")
    assert link[3]["refresh_url"][0].endswith(f"/clubs/{club.id}/banque/stripe/relancer")
    recording.charges_enabled = True
    assert client.get(f"/clubs/{club.id}/banque/stripe/retour").status_code == 302
    db.session.expire_all()
    club = db.session.get(InvestorClub, club.id)
    assert (club.stripe_account_id, club.stripe_charges_enabled) == ("acct_1Tremplin", True)
    auth.login_as(club.people[2])  # a plain member
    assert client.post(f"/clubs/{club.id}/banque/stripe").status_code == 403
