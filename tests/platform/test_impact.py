"""The impact dashboard's frame: periods, comparison, filters, charts, CSV, report."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from werkzeug.datastructures import MultiDict

from tremplin.platform import impact


def at(year, month, day=15):
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
def organiser(auth, make_organiser):
    return auth.login_as(make_organiser("Claire", created_at=at(2020, 1)))


def test_periods_parse_and_compare_with_the_one_before(app):
    with app.test_request_context():
        f = impact.parse_filters(
            MultiDict({"periode": "mois", "mois": "2026-03"}), today=date(2026, 11, 1)
        )
        assert (f.start, f.end) == (date(2026, 3, 1), date(2026, 4, 1))
        assert (f.previous().start, f.previous().end) == (date(2026, 2, 1), date(2026, 3, 1))
        q = impact.parse_filters(
            {"periode": "trimestre", "trimestre": "2026-T1"}, today=date(2026, 11, 1)
        )
        assert (q.start, q.end, q.previous().start) == (
            date(2026, 1, 1),
            date(2026, 4, 1),
            date(2025, 10, 1),
        )
        c = impact.parse_filters(
            {"periode": "personnalise", "debut": "2026-01-10", "fin": "2026-01-19"},
            today=date(2026, 11, 1),
        )
        assert c.days == 10 and c.previous().start == date(2025, 12, 31)
        y = impact.parse_filters({}, today=date(2026, 11, 1))
        assert (y.start, y.end) == (date(2026, 1, 1), date(2027, 1, 1))
        # Local midnight in Paris, stored as UTC.
        assert y.start_at == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "args,field",
    [
        ({"periode": "personnalise", "debut": "2026-05-01", "fin": "2026-04-01"}, "fin"),
        ({"periode": "personnalise", "debut": "hier", "fin": "2026-04-01"}, "debut"),
        ({"periode": "mois", "mois": "2026-13"}, "periode"),
        ({"periode": "trimestre", "trimestre": "2026-T5"}, "periode"),
        ({"periode": "annee", "annee": "1850"}, "periode"),
        ({"periode": "personnalise", "debut": "2001-01-01", "fin": "2026-01-01"}, "periode"),
        ({"periode": "semaine"}, "periode"),
        ({"groupe": "999"}, "groupe"),
        ({"territoire": "999"}, "territoire"),
        ({"theme": "licornes"}, "theme"),
    ],
)
def test_absurd_periods_and_unknown_filters_get_a_clear_message(client, db, organiser, args, field):
    response = client.get("/impact", query_string=args)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    assert "Traceback" not in response.text


def test_only_organisers_see_the_dashboard_and_exports(client, auth, db, make_member):
    assert client.get("/impact").status_code == 302
    auth.login_as(make_member("Awa"))
    for path in (
        "/impact",
        "/impact/indicateurs.csv",
        "/impact/mensuel.csv",
        "/impact/rapport-annuel/2026",
    ):
        assert client.get(path).status_code == 403


def test_new_members_counted_per_period_with_comparison(client, db, organiser, make_member):
    for month in (1, 3, 3, 10):
        make_member(created_at=at(2025, month))
    make_member(created_at=at(2024, 6))
    make_member(created_at=at(2025, 5), confirmed=False)  # never confirmed: not counted
    page = client.get("/impact?periode=annee&annee=2025")
    assert page.status_code == 200
    assert "Nouveaux membres" in page.text
    csv_text = client.get("/impact/indicateurs.csv?periode=annee&annee=2025").data.decode(
        "utf-8-sig"
    )
    line = next(row for row in csv_text.splitlines() if row.startswith("Nouveaux membres"))
    cells = line.split(";")
    assert cells[3] == "4" and cells[5] == "1" and cells[6] == "3"


def test_monthly_chart_is_svg_with_a_table_fallback(client, db, organiser, make_member):
    make_member(created_at=at(2025, 3))
    make_member(created_at=at(2025, 3))
    page = client.get("/impact?periode=annee&annee=2025&courbe=new_members").text
    assert '<svg class="chart__svg"' in page and 'role="img"' in page
    assert '<title id="chart-new_members-title">' in page
    assert "Données du graphique" in page
    monthly = client.get("/impact/mensuel.csv?periode=annee&annee=2025").data.decode("utf-8-sig")
    header = monthly.splitlines()[0].split(";")
    row = next(line for line in monthly.splitlines() if line.startswith("Nouveaux membres")).split(
        ";"
    )
    assert header[2:] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert row[0] == "Nouveaux membres" and row[2 + 2] == "2"


def test_filters_that_do_not_apply_are_said_so(client, db, organiser):
    page = client.get("/impact?theme=cosmetique").text
    assert "Ce filtre ne s’applique pas à cet indicateur." in page


def test_csv_is_a_download_in_utf8_for_spreadsheets(client, db, organiser):
    response = client.get("/impact/indicateurs.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())


def test_annual_report_is_printable(client, db, organiser, make_member):
    make_member(created_at=at(2025, 4))
    page = client.get("/impact/rapport-annuel/2025")
    assert page.status_code == 200
    assert "Le réseau Tremplin en 2025" in page.text and "data-print" in page.text
    assert client.get("/impact/rapport-annuel/1800").status_code == 404


def test_dashboard_issues_a_bounded_number_of_statements(
    client, db, organiser, make_member, count_statements
):
    for _ in range(3):
        make_member(created_at=at(2025, 2))
    with count_statements() as few:
        client.get("/impact?periode=annee&annee=2025")
    for _ in range(40):
        make_member(created_at=at(2025, 7))
    with count_statements() as many:
        client.get("/impact?periode=annee&annee=2025")
    assert few.count == many.count
