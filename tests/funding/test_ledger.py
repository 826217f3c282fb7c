"""The double-entry ledger: movements balance, keys make recording idempotent, balances are
sums of entries; and the small money helpers (amounts typed by people, French words,
transfer references, IBANs)."""

from __future__ import annotations

import pytest

from tremplin.funding import ledger
from tremplin.funding.errors import InvalidCampaign
from tremplin.funding.forms import parse_euros
from tremplin.funding.ledger import LedgerError
from tremplin.funding.pledges import transfer_reference
from tremplin.funding.project_settings import checked_iban
from tremplin.funding.receipts import amount_in_words, number_in_words

CLUB = ledger.ref("club", 3)
MEMBER = ledger.ref("member", 7)
INVESTMENT = ledger.ref("investment", "sahel-saveurs")


def test_a_movement_must_balance_and_be_whole_cents(db):
    with pytest.raises(LedgerError):
        ledger.post("k1", "saving", [(MEMBER, -100), (CLUB, 99)])
    with pytest.raises(LedgerError):
        ledger.post("k2", "saving", [(MEMBER, -1.5), (CLUB, 1.5)])
    with pytest.raises(LedgerError):
        ledger.post("k3", "saving", [(MEMBER, -100)])
    with pytest.raises(LedgerError):
        ledger.transfer("k4", "saving", MEMBER, CLUB, -5)
    with pytest.raises(LedgerError):
        ledger.transfer("k5", "saving", MEMBER, CLUB, True)
    assert ledger.total_of_all_entries() == 0


def test_the_same_key_records_once_and_balances_are_sums(db):
    """Generic on purpose: an investor club's fund uses the same ledger."""
    _txn, created = ledger.transfer(
        "saving:7:2026-01", "saving", MEMBER, CLUB, 2_000, scope="club:3"
    )
    assert created
    _again, created = ledger.transfer(
        "saving:7:2026-01", "saving", MEMBER, CLUB, 2_000, scope="club:3"
    )
    assert not created
    ledger.transfer("saving:7:2026-02", "saving", MEMBER, CLUB, 2_000, scope="club:3")
    ledger.post("investment:1", "investment", [(CLUB, -3_000), (INVESTMENT, 3_000)], scope="club:3")
    db.session.commit()
    assert ledger.balance(CLUB) == 1_000
    assert ledger.balance(MEMBER) == -4_000
    assert ledger.balance(CLUB, kinds=["saving"]) == 4_000
    assert ledger.balances("club", [3, 4]) == {"3": 1_000, "4": 0}
    assert [amount for _t, amount in ledger.movements(CLUB)] == [-3_000, 2_000, 2_000]
    assert ledger.unbalanced_transactions() == []
    assert ledger.total_of_all_entries() == 0


@pytest.mark.parametrize(
    "text, cents",
    [
        ("25", 2_500),
        ("25,5", 2_550),
        ("25,50", 2_550),
        ("25.50", 2_550),
        ("1 234,56", 123_456),
        ("1\u00a0000", 100_000),
        ("12 €", 1_200),
        ("0,01", 1),
        ("", None),
    ],
)
def test_amounts_typed_by_people(text, cents):
    assert parse_euros(text) == cents


@pytest.mark.parametrize(
    "text", ["-5", "12,345", "1e3", "NaN", "inf", "douze", "1,2,3", "0x10", "12.3.4"]
)
def test_amounts_that_are_not_whole_cents_are_refused(text):
    with pytest.raises(ValueError):
        parse_euros(text)


@pytest.mark.parametrize(
    "n, words",
    [
        (0, "zéro"),
        (1, "un"),
        (21, "vingt et un"),
        (71, "soixante et onze"),
        (80, "quatre-vingts"),
        (81, "quatre-vingt-un"),
        (91, "quatre-vingt-onze"),
        (100, "cent"),
        (200, "deux cents"),
        (280, "deux cent quatre-vingts"),
        (1_000, "mille"),
        (2_000, "deux mille"),
        (80_000, "quatre-vingt mille"),
        (1_000_000, "un million"),
        (2_500_000, "deux millions cinq cent mille"),
    ],
)
def test_numbers_in_french_words(n, words):
    assert number_in_words(n) == words


def test_amount_in_words_for_receipts():
    assert amount_in_words(5_000) == "cinquante euros"
    assert amount_in_words(101) == "un euro et un centime"
    assert (
        amount_in_words(123_456) == "mille deux cent trente-quatre euros et cinquante-six centimes"
    )


def test_transfer_reference_has_a_check_that_catches_typos():
    reference = transfer_reference(123)
    assert reference.startswith("TRP000123")
    assert int(reference[3:]) % 97 == 1
    assert int(transfer_reference(124)[3:]) % 97 == 1 and transfer_reference(124) != reference


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
        ("de89370400440532013000", "DE89370400440532013000"),
        ("", None),
        ("FR7630006000011234567890188", "chiffres de contrôle"),
        ("XX7630006000011234567890189", "code pays"),
        ("FR763000600001123456789018", "longueur"),
        ("not an iban", "IBAN"),
    ],
)
def test_iban_checked_for_country_length_and_check_digits(app, raw, expected):
    with app.test_request_context():
        if expected is None or expected.startswith(("FR76", "DE89")):
            assert checked_iban(raw) == expected
        else:
            with pytest.raises(InvalidCampaign, match=expected) as caught:
                checked_iban(raw)
            assert caught.value.field == "iban"
