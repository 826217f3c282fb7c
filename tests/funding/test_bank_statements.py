"""Bank statement import: OFX (SGML and XML), CAMT.053 (.02 and .08) and CSV files built
here in the banks' formats are read, stored once per line, their credits matched to open
promises and club savings by reference and amount, and confirmed through the guarded
transfer services: a line is never matched twice (threads with their own sessions, and
real HTTP with the one-time token), a promise is never overpaid, a bad file gets a French
error next to the field and writes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.kit import bank_files
from tests.kit.concurrent_forms import browser, post_at_once, read_form
from tremplin.funding import ledger, reconcile
from tremplin.funding.clubs.models import SavingsPayment
from tremplin.funding.models import BankTransfer, Pledge
from tremplin.funding.statements import parsers, services
from tremplin.funding.statements.models import StatementImport, StatementLine
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db as _db
from tremplin.platform.models import User

DAY = date.today() - timedelta(days=3)


def upload(client, url: str, data: bytes, filename: str = "releve.ofx", **mapping):
    return client.post(
        url,
        data={"statement": (io.BytesIO(data), filename), **mapping},
        content_type="multipart/form-data",
    )


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)))


def fresh(db, pledge) -> Pledge:
    db.session.expire_all()
    return db.session.get(Pledge, pledge.id)


def books_agree(db):
    db.session.expire_all()
    assert ledger.unbalanced_transactions() == []
    assert reconcile.check_pledges() == []


@pytest.fixture
def promises(db, make_campaign, make_pledge, make_member):
    """A keep-what-you-raise campaign in promise mode with three due promises."""
    campaign = make_campaign(goal=100_000, rule="keep")
    made = [
        make_pledge(campaign, make_member(name), amount=amount)
        for name, amount in (("Awa Diallo", 5_000), ("Jean Morel", 3_000), ("Lina Haddad", 7_500))
    ]
    db.session.commit()
    assert {p.status for p in made} == {"due"}
    return campaign, made


def spaced(reference: str) -> str:
    """As a bank prints it: cut by spaces."""
    return f"{reference[:3]} {reference[3:9]} {reference[9:]}"


# --- reading the files ----------------------------------------------------------------------


TXS = [
    (DAY, "50.00", "VIR SEPA MME DIALLO TRP 000001 95 merci", "F1"),
    (DAY, "-12.30", "CB BOULANGERIE", "F2"),
    (DAY, "1234.56", "VIR GRAND DON", "F3"),
]


@pytest.mark.parametrize(
    "build",
    [
        bank_files.ofx_sgml,
        bank_files.ofx_xml,
        bank_files.camt053,
        lambda txs: bank_files.camt053(txs, "08"),
        bank_files.french_csv,
        lambda txs: bank_files.french_csv(txs, split_columns=True),
    ],
    ids=["ofx-sgml", "ofx-xml", "camt-02", "camt-08", "csv", "csv-debit-credit"],
)
def test_every_format_reads_the_same_lines(build):
    parsed = parsers.parse(build(TXS))
    assert [(line.booked_on, line.amount_cents) for line in parsed.lines] == [
        (DAY, 5_000),
        (DAY, -1_230),
        (DAY, 123_456),
    ]
    assert services.references_in(parsed.lines[0].label) == [("TRP", 1)]
    keys = [line.key for line in parsed.lines]
    assert len(set(keys)) == 3 and keys == [line.key for line in parsers.parse(build(TXS)).lines]
    if parsed.file_format in ("ofx", "camt"):
        assert keys == ["ref:F1", "ref:F2", "ref:F3"]


def test_camt_skips_pending_entries_and_splits_batches():
    data = bank_files.camt053(TXS[:1], pending=[(DAY, "99.00", "EN ATTENTE", "P1")])
    assert [line.amount_cents for line in parsers.parse(data).lines] == [5_000]
    batch = data.replace(
        b"</TxDtls></NtryDtls>",
        b'<Amt Ccy="EUR">20.00</Amt></TxDtls><TxDtls><Amt Ccy="EUR">30.00</Amt>'
        b"<RmtInf><Ustrd>TRP00000295</Ustrd></RmtInf></TxDtls></NtryDtls>",
    )
    lines = parsers.parse(batch).lines
    assert [(line.amount_cents, line.key) for line in lines] == [
        (2_000, "ref:F1/1"),
        (3_000, "ref:F1/2"),
    ]
    assert "TRP00000295" in lines[1].label


def test_csv_mapping_by_name_or_number_and_french_amounts():
    data = (
        "Relevé du compte;FR76…\n\nJour;Opération;Somme;Autre\n"
        "05/11/2026;VIR TRP00000197;1 234,56;x\n06/11/2026;PRLV EDF;-45,10;y\n"
        "total;;1 189,46;\n"
    ).encode("cp1252")
    by_name = parsers.parse(data, parsers.Mapping(date="Jour", amount="Somme", label="opération"))
    by_number = parsers.parse(data, parsers.Mapping(date="1", amount="3", label="2"))
    for parsed in (by_name, by_number):
        assert [(line.booked_on, line.amount_cents) for line in parsed.lines] == [
            (date(2026, 11, 5), 123_456),
            (date(2026, 11, 6), -4_510),
        ]
        assert parsed.skipped >= 1  # the total row
    with pytest.raises(parsers.StatementError) as error:
        parsers.parse(data, parsers.Mapping(date="Jour", label="Opération"))
    assert (
        error.value.field == "amount_column" and "Jour ; Opération ; Somme" in error.value.message
    )
    with pytest.raises(parsers.StatementError) as error:
        parsers.parse(data, parsers.Mapping(date="Quand", amount="Somme", label="Opération"))
    assert error.value.field == "date_column" and "Quand" in error.value.message
    assert parsers.parse_amount("1.234,56 €") == 123_456
    assert parsers.parse_amount("+50.5") == 5_050
    assert parsers.parse_amount("12,345") is None


def test_identical_lines_in_one_csv_stay_two_lines_and_keep_their_keys():
    txs = [(DAY, "20.00", "VIR COTISATION", None)] * 2
    first = parsers.parse(bank_files.french_csv(txs)).lines
    assert len(first) == 2 and first[0].key != first[1].key
    assert [line.key for line in parsers.parse(bank_files.french_csv(txs)).lines] == [
        line.key for line in first
    ]


# --- import and matching over HTTP --------------------------------------------------------------


def test_ofx_statement_imported_matched_and_confirmed_in_one_click(client, auth, db, promises):
    campaign, (awa, jean, lina) = promises
    auth.login_as(campaign.project.owner)
    url = f"/collectes/{campaign.id}/releves"
    data = bank_files.ofx_sgml(
        [
            (DAY, "50.00", f"VIR SEPA DIALLO {spaced(awa.reference)}", "A1"),
            (DAY, "30.00", "VIR SEPA J MOREL COLLECTE", "A2"),  # amount only: Jean
            (DAY, "40.00", f"VIR LINA {lina.reference}", "A3"),  # partial
            (DAY, "17.00", "VIR INCONNU", "A4"),
            (DAY, "-9.90", "FRAIS TENUE DE COMPTE", "A5"),
        ]
    )
    response = upload(client, url, data)
    assert response.status_code == 303
    page = client.get(url)
    assert "5 lignes lues, 5 nouvelles" in page.text
    assert "Confirmer les 3 rapprochements proposés" in page.text
    assert awa.reference in page.text and "Paiement partiel" in page.text
    assert "montant seul" in page.text and "1 débit" in page.text
    # the page of the campaign links here
    assert url in client.get(f"/collectes/{campaign.id}/gestion").text

    form = read_page_form(page.text, f"{url}/tout")
    response = client.post(f"{url}/tout", data=form)
    assert response.status_code == 303
    assert "3 virements rapprochés" in client.get(url).text
    assert (fresh(db, awa).status, fresh(db, awa).collected_cents) == ("collected", 5_000)
    assert (fresh(db, jean).status, fresh(db, jean).collected_cents) == ("collected", 3_000)
    assert (fresh(db, lina).status, fresh(db, lina).collected_cents) == ("due", 4_000)
    assert count(db, BankTransfer) == 3
    books_agree(db)

    # the same statement again adds nothing and matches nothing twice
    assert upload(client, url, data).status_code == 303
    assert "5 lignes lues, 0 nouvelle" in client.get(url).text
    assert count(db, StatementLine) == 5 and count(db, BankTransfer) == 3
    # the same form sent again is answered with what it did, nothing more
    again = client.post(f"{url}/tout", data=form, follow_redirects=True)
    assert "déjà été envoyé" in again.text
    assert count(db, BankTransfer) == 3
    matched = db.session.scalars(select(StatementLine).where(StatementLine.status == "matched"))
    assert len({line.transfer_id for line in matched}) == 3


def read_page_form(html: str, action: str) -> dict:
    import re
    from html import unescape

    match = re.search(
        r'<form[^>]*action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', html, re.S
    )
    assert match, action
    fields = {}
    for tag in re.findall(r"<input[^>]*>", match.group(1)):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) != "csrf_token":  # the test client adds its own
            fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


def test_camt_statement_matched_to_one_promise_then_to_nothing_more(client, auth, db, promises):
    campaign, (awa, _jean, _lina) = promises
    auth.login_as(campaign.project.owner)
    url = f"/collectes/{campaign.id}/releves"
    data = bank_files.camt053([(DAY, "50.00", f"Promesse {awa.reference}", "CAMT-1")], "08")
    assert upload(client, url, data, "releve.xml").status_code == 303
    line = db.session.scalar(select(StatementLine))
    assert (line.amount_cents, line.line_key, line.status) == (5_000, "ref:CAMT-1", "open")
    form = read_page_form(client.get(url).text, f"{url}/lignes/{line.id}")
    assert form["target"] == f"p:{awa.id}"
    assert client.post(f"{url}/lignes/{line.id}", data=form).status_code == 303
    assert fresh(db, awa).status == "collected"
    # a new form (a new token) for the same line: refused, the line is already matched
    form["once"] = "another-token"
    response = client.post(f"{url}/lignes/{line.id}", data=form, follow_redirects=True)
    assert "déjà rapprochée" in response.text
    assert count(db, BankTransfer) == 1
    books_agree(db)


def test_csv_with_mapping_through_the_form(client, auth, db, promises):
    campaign, (awa, _jean, _lina) = promises
    auth.login_as(campaign.project.owner)
    url = f"/collectes/{campaign.id}/releves"
    data = f"Jour;Quoi;Somme\n{DAY:%d/%m/%Y};VIR {awa.reference};50,00\n".encode("cp1252")
    response = upload(client, url, data, "export.csv")
    assert response.status_code == 422
    assert "Colonnes trouvées : Jour ; Quoi ; Somme" in response.text
    assert 'id="date_column-error"' in response.text and "error-summary" in response.text
    assert count(db, StatementImport) == 0
    response = upload(
        client, url, data, "export.csv", date_column="Jour", amount_column="3", label_column="Quoi"
    )
    assert response.status_code == 303
    line = db.session.scalar(select(StatementLine))
    assert (line.booked_on, line.amount_cents) == (DAY, 5_000)
    assert services.propose(services.project_account(campaign), [line])[line.id].pledge.id == awa.id


def test_overpayment_is_shown_not_confirmed_and_the_promise_is_not_overpaid(
    app, client, auth, db, promises
):
    campaign, (awa, _jean, _lina) = promises
    owner = campaign.project.owner
    auth.login_as(owner)
    url = f"/collectes/{campaign.id}/releves"
    upload(client, url, bank_files.ofx_xml([(DAY, "80.00", f"VIR {awa.reference}", "X1")]))
    page = client.get(url)
    assert "dépasse ce qui reste dû" in page.text
    assert f'action="{url}/tout"' not in page.text
    line = db.session.scalar(select(StatementLine))
    with app.test_request_context():
        with pytest.raises(DomainError) as error:
            services.confirm_target(services.project_account(campaign), line, owner, f"p:{awa.id}")
        assert "reste dû" in error.value.message
        db.session.rollback()
    assert fresh(db, awa).collected_cents == 0
    assert db.session.get(StatementLine, line.id).status == "open"


def test_lines_matched_by_hand_dismissed_and_taken_back(client, auth, db, promises):
    campaign, (awa, _jean, lina) = promises
    auth.login_as(campaign.project.owner)
    url = f"/collectes/{campaign.id}/releves"
    upload(
        client,
        url,
        bank_files.camt053(
            [(DAY, "75.00", "VIR L HADDAD", "H1"), (DAY, "5.00", "VIR REMBOURSEMENT", "H2")]
        ),
        "releve.xml",
    )
    by_hand, stray = db.session.scalars(select(StatementLine).order_by(StatementLine.line_key))
    page = client.get(url).text
    form = read_page_form(page, f"{url}/lignes/{by_hand.id}/main")
    assert f'value="p:{lina.id}"' in page
    form["target"] = f"p:{lina.id}"
    assert client.post(f"{url}/lignes/{by_hand.id}/main", data=form).status_code == 303
    assert fresh(db, lina).status == "collected"
    assert client.post(f"{url}/lignes/{stray.id}/ecarter", data={}).status_code == 303
    assert db.session.get(StatementLine, stray.id).status == "dismissed"
    assert "Lignes écartées" in client.get(url).text
    assert client.post(f"{url}/lignes/{stray.id}/reprendre", data={}).status_code == 303
    db.session.expire_all()
    assert db.session.get(StatementLine, stray.id).status == "open"
    # a target outside this project is refused
    other = read_page_form(client.get(url).text, f"{url}/lignes/{stray.id}/main")
    other["target"] = "p:999999"
    response = client.post(f"{url}/lignes/{stray.id}/main", data=other, follow_redirects=True)
    assert "Choisissez à quoi correspond ce virement" in response.text
    assert fresh(db, awa).collected_cents == 0


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"%PDF-1.7 fake", "releve.pdf", "Les relevés PDF ne peuvent pas être lus"),
        (b"<?xml version='1.0'?><rss></rss>", "releve.xml", "pas un relevé de compte CAMT.053"),
        (b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BROKEN>", "releve.ofx", "OFX est illisible"),
        (b"", "vide.csv", "Le fichier est vide"),
        (b"PK\x03\x04\x00\x00binary", "releve.xlsx", "tableur"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>',
            "bombe.xml",
            "XML est illisible",
        ),
    ],
)
def test_bad_files_get_a_french_error_next_to_the_field_and_write_nothing(
    client, auth, db, promises, content, filename, message
):
    campaign, _made = promises
    auth.login_as(campaign.project.owner)
    response = upload(client, f"/collectes/{campaign.id}/releves", content, filename)
    assert response.status_code == 422
    assert message in response.text
    assert 'id="statement-error"' in response.text
    assert count(db, StatementImport) == 0 and count(db, StatementLine) == 0


def test_a_file_over_the_size_limit_is_refused(app, client, auth, db, promises):
    campaign, _made = promises
    app.config["FUNDING_STATEMENT_MAX_BYTES"] = 1_000
    auth.login_as(campaign.project.owner)
    big = bank_files.camt053([(DAY, "1.00", f"VIR {i}", f"R{i}") for i in range(20)])
    response = upload(client, f"/collectes/{campaign.id}/releves", big, "releve.xml")
    assert response.status_code == 422 and "Le fichier dépasse" in response.text
    assert count(db, StatementLine) == 0


def test_a_long_statement_shows_the_latest_lines_and_confirms_only_those(
    app, client, auth, db, promises
):
    campaign, (awa, jean, lina) = promises
    app.config["FUNDING_STATEMENT_LINES_SHOWN"] = 2
    auth.login_as(campaign.project.owner)
    url = f"/collectes/{campaign.id}/releves"
    txs = [
        (DAY - timedelta(days=2), "75.00", f"VIR {lina.reference}", "L1"),
        (DAY - timedelta(days=1), "30.00", f"VIR {jean.reference}", "L2"),
        (DAY, "50.00", f"VIR {awa.reference}", "L3"),
    ]
    upload(client, url, bank_files.ofx_xml(txs))
    page = client.get(url).text
    assert "Les 2 plus récents sont affichés" in page
    assert "Confirmer les 2 rapprochements proposés" in page
    client.post(f"{url}/tout", data=read_page_form(page, f"{url}/tout"))
    assert [fresh(db, p).status for p in (awa, jean, lina)] == ["collected", "collected", "due"]
    page = client.get(url).text
    assert "plus récents sont affichés" not in page and lina.reference in page


def test_only_the_treasurer_reaches_the_statements(client, auth, db, promises, make_member):
    campaign, _made = promises
    url = f"/collectes/{campaign.id}/releves"
    assert client.get(url).status_code in (302, 401)
    auth.login_as(make_member("Curieuse"))
    assert client.get(url).status_code == 403
    data = bank_files.ofx_sgml(TXS)
    assert upload(client, url, data).status_code == 403
    assert client.post(f"{url}/tout", data={"pairs": "1=p:1", "once": "x"}).status_code == 403
    assert count(db, StatementLine) == 0


# --- club savings -----------------------------------------------------------------------------


def test_club_treasurer_imports_and_confirms_savings(
    client, auth, db, make_club, membership_of, club_call
):
    from tremplin.funding.clubs import savings
    from tremplin.funding.clubs.dates import month_start, paris_today

    club = make_club()
    gerant, saver, other = club.people[0], club.people[1], club.people[2]
    mine = membership_of(club, saver)
    club_call(savings.choose_plan, club, mine, 2_000)
    club_call(savings.choose_plan, club, membership_of(club, other), 3_500)
    reference = services.saving_reference(mine.id)
    url = f"/clubs/{club.id}/tresorerie/releves"
    auth.login_as(saver)  # the member is given the reference to put on her transfers
    assert reference in client.get(f"/clubs/{club.id}/epargne").text
    auth.login_as(other)  # a member, not the treasurer
    assert client.get(url).status_code == 403
    auth.login_as(gerant)  # acting treasurer: no trésorier designated
    assert url in client.get(f"/clubs/{club.id}/tresorerie").text
    data = bank_files.camt053(
        [
            (paris_today(), "20.00", f"EPARGNE {spaced(reference)}", "C1"),
            (paris_today(), "35.00", "VIREMENT PERMANENT", "C2"),  # amount only
        ]
    )
    assert upload(client, url, data, "releve.xml").status_code == 303
    page = client.get(url).text
    assert "Confirmer les 2 rapprochements proposés" in page
    form = read_page_form(page, f"{url}/tout")
    assert client.post(f"{url}/tout", data=form).status_code == 303
    payments = db.session.scalars(
        select(SavingsPayment).order_by(SavingsPayment.membership_id)
    ).all()
    assert [(p.membership_id, p.amount_cents) for p in payments] == [
        (mine.id, 2_000),
        (membership_of(club, other).id, 3_500),
    ]
    assert payments[0].for_month <= month_start(paris_today())
    assert payments[0].ledger_key.startswith(f"club:{club.id}:statement-line:")
    assert upload(client, url, data, "releve.xml").status_code == 303
    assert count(db, SavingsPayment) == 2
    assert ledger.unbalanced_transactions() == []


# --- concurrency ------------------------------------------------------------------------------


def _imported(db, campaign, owner, txs):
    from flask import current_app

    with current_app.test_request_context():
        services.import_statement(
            services.project_account(campaign), owner, bank_files.ofx_sgml(txs), "r.ofx", None
        )
        db.session.commit()
    return db.session.scalars(select(StatementLine).order_by(StatementLine.id)).all()


@pytest.mark.parametrize("times", [2, 5])
def test_two_treasurers_confirming_one_line_in_threads_record_one_transfer(
    app, db, promises, make_member, times
):
    campaign, (awa, _jean, _lina) = promises
    owner = campaign.project.owner
    [line] = _imported(db, campaign, owner, [(DAY, "20.00", f"VIR {awa.reference}", "T1")])
    ids = {"line": line.id, "owner": owner.id, "campaign": campaign.id, "pledge": awa.id}
    barrier = threading.Barrier(times)
    outcomes: list[str] = []

    def confirm():
        with app.test_request_context():
            try:
                from tremplin.funding.models import Campaign

                row = _db.session.get(StatementLine, ids["line"])
                account = services.project_account(_db.session.get(Campaign, ids["campaign"]))
                by = _db.session.get(User, ids["owner"])
                barrier.wait(timeout=30)
                services.confirm_target(account, row, by, f"p:{ids['pledge']}")
                _db.session.commit()
                outcomes.append("done")
            except DomainError as error:
                _db.session.rollback()
                outcomes.append(error.message)
            except Exception as error:  # a crash is a bug
                _db.session.rollback()
                outcomes.append(f"crash {error!r}")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=confirm) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert outcomes.count("done") == 1, outcomes
    assert all("déjà" in o for o in outcomes if o != "done"), outcomes
    assert count(db, BankTransfer) == 1
    assert fresh(db, awa).collected_cents == 2_000
    books_agree(db)


@pytest.mark.parametrize("same_token", [True, False], ids=["double-tap", "two-tabs"])
def test_confirms_sent_at_once_over_http_record_one_transfer(
    app, db, live_server, promises, same_token
):
    campaign, (awa, _jean, _lina) = promises
    owner = campaign.project.owner
    [line] = _imported(db, campaign, owner, [(DAY, "50.00", f"VIR {awa.reference}", "H1")])
    treasurer = browser(app, live_server, owner)
    page = f"/collectes/{campaign.id}/releves"
    one = f"{page}/lignes/{line.id}"
    every = f"{page}/tout"
    if same_token:
        form = read_form(treasurer, page, one)
        form["target"] = f"p:{awa.id}"
        statuses = post_at_once(treasurer, one, form, 4)
    else:  # each its own page and token, per line and "all" mixed
        forms, actions = [], []
        for action in (one, every, one, every):
            form = read_form(treasurer, page, action)
            if action == one:
                form["target"] = f"p:{awa.id}"
            forms.append(form)
            actions.append(action)
        statuses = _post_each_at_once(treasurer, list(zip(actions, forms, strict=True)))
    assert 500 not in statuses, statuses
    assert count(db, BankTransfer) == 1
    assert (fresh(db, awa).collected_cents, fresh(db, awa).status) == (5_000, "collected")
    db.session.expire_all()
    assert db.session.get(StatementLine, line.id).transfer_id is not None
    books_agree(db)


def _post_each_at_once(session, pairs) -> list[int]:
    import requests

    barrier = threading.Barrier(len(pairs))
    statuses: list[int] = []
    cookies = session.cookies.get_dict()

    def send(action, data):
        with requests.Session() as own:
            own.cookies.update(cookies)
            barrier.wait(timeout=30)
            response = own.post(session.base + action, data=data, allow_redirects=False, timeout=60)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_the_same_statement_imported_at_once_twice_stores_each_line_once(app, db, promises):
    campaign, (awa, _jean, _lina) = promises
    owner_id, campaign_id = campaign.project.owner.id, campaign.id
    data = bank_files.french_csv(
        [(DAY, "50.00", f"VIR {awa.reference}", None), (DAY, "20.00", "VIR X", None)]
    )
    barrier = threading.Barrier(3)
    crashes: list[str] = []

    def run():
        with app.test_request_context():
            try:
                from tremplin.funding.models import Campaign

                account = services.project_account(_db.session.get(Campaign, campaign_id))
                barrier.wait(timeout=30)
                services.import_statement(
                    account, _db.session.get(User, owner_id), data, "r.csv", None
                )
                _db.session.commit()
            except Exception as error:  # the unique key is caught line by line: none
                _db.session.rollback()
                crashes.append(repr(error))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert crashes == []
    assert count(db, StatementLine) == 2


def test_club_lines_confirmed_at_once_in_threads_pay_a_month_once(
    app, db, make_club, membership_of, club_call, pay_in
):
    """Two statement lines for the same member confirmed to the same month from two
    threads, and the same line twice: one savings payment, the others refused."""
    from tremplin.funding.clubs import savings
    from tremplin.funding.clubs.dates import add_months, month_start, paris_today
    from tremplin.funding.clubs.models import InvestorClub

    club = make_club()
    saver = club.people[1]
    mine = membership_of(club, saver)
    club_call(savings.choose_plan, club, mine, 2_000)
    this_month = month_start(paris_today())
    pay_in(club, saver, 2_000, this_month)  # this month is paid: the next one is proposed
    reference = services.saving_reference(mine.id)
    with app.test_request_context():
        services.import_statement(
            services.club_account(club),
            club.people[0],
            bank_files.camt053(
                [
                    (paris_today(), "20.00", f"EPARGNE {reference}", "K1"),
                    (paris_today(), "20.00", f"EPARGNE BIS {reference}", "K2"),
                ]
            ),
            "r.xml",
            None,
        )
        db.session.commit()
        first, second = db.session.scalars(select(StatementLine).order_by(StatementLine.id))
        club = db.session.get(InvestorClub, club.id)
        proposals = services.propose(services.club_account(club), [first, second], club=club)
        # never a month already paid, never one month for two lines
        assert proposals[first.id].month == add_months(this_month, 1)
        assert proposals[second.id].ok is False and proposals[second.id].month is None
    target = f"m:{mine.id}:{add_months(this_month, 1):%Y-%m}"
    ids = {"club": club.id, "gerant": club.people[0].id}
    jobs = [first.id, first.id, second.id]
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []

    def confirm(line_id):
        with app.test_request_context():
            try:
                row = _db.session.get(StatementLine, line_id)
                the_club = _db.session.get(InvestorClub, ids["club"])
                by = _db.session.get(User, ids["gerant"])
                barrier.wait(timeout=30)
                services.confirm_target(
                    services.club_account(the_club), row, by, target, club=the_club
                )
                _db.session.commit()
                outcomes.append("done")
            except DomainError as error:
                _db.session.rollback()
                outcomes.append(error.message)
            except Exception as error:  # a crash is a bug
                _db.session.rollback()
                outcomes.append(f"crash {error!r}")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=confirm, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert outcomes.count("done") == 1, outcomes
    assert not any(o.startswith("crash") for o in outcomes), outcomes
    db.session.expire_all()
    live = db.session.scalars(
        select(SavingsPayment).where(
            SavingsPayment.membership_id == mine.id, SavingsPayment.cancelled_at.is_(None)
        )
    ).all()
    assert sorted(p.for_month for p in live) == [this_month, add_months(this_month, 1)]
    assert ledger.unbalanced_transactions() == []
