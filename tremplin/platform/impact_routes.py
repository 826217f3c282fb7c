"""The impact dashboard (*tableau de bord d'impact*): organisers only."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request
from flask_login import current_user, login_required

from tremplin.platform import bp, impact, policies
from tremplin.platform.hooks import registry
from tremplin.platform.spreadsheets import csv_download
from tremplin.platform.vocabulary import DEPARTEMENTS, THEMES


def _require_organiser() -> None:
    if not policies.can_view_impact_dashboard(current_user):
        abort(403)


def _filters_or_error():
    try:
        return impact.parse_filters(request.args), None
    except impact.BadPeriod as exc:
        return None, exc


def _form_context(error=None):
    today = date.today()
    return {
        "args": request.args,
        "error": error,
        "periods": impact.PERIOD_KINDS,
        "years": list(range(today.year, today.year - 8, -1)),
        "groups": impact.group_choices(),
        "departements": DEPARTEMENTS,
        "themes": THEMES,
    }


@bp.route("/impact")
@login_required
def impact_dashboard():
    _require_organiser()
    filters, error = _filters_or_error()
    if error:
        return render_template(
            "platform/impact/dashboard.html", filters=None, **_form_context(error)
        ), 400
    rows = impact.compute_rows(filters)
    grouped = impact.sections(rows)
    # in the page's order (participation first), not the registry's
    charted = [
        row.indicator
        for _key, _label, members in grouped
        for row in members
        if row.indicator.monthly and row.applies
    ]
    chosen = (
        registry.indicators.get(request.args.get("courbe", ""))
        if request.args.get("courbe")
        else None
    )
    chart_indicator = chosen if chosen in charted else (charted[0] if charted else None)
    series = impact.monthly_series(chart_indicator, filters) if chart_indicator else []
    return render_template(
        "platform/impact/dashboard.html",
        filters=filters,
        sections=grouped,
        chart_indicator=chart_indicator,
        charted=charted,
        series=series,
        chart=impact.bar_chart(series, chart_indicator.unit) if chart_indicator else None,
        format_value=impact.format_value,
        **_form_context(),
    )


@bp.route("/impact/indicateurs.csv")
@login_required
def impact_csv():
    _require_organiser()
    filters, error = _filters_or_error()
    if error:
        abort(400)
    return csv_download(
        impact.rows_csv(impact.compute_rows(filters), filters),
        f"tremplin-impact-{filters.start.isoformat()}-{filters.end.isoformat()}.csv",
    )


@bp.route("/impact/mensuel.csv")
@login_required
def impact_monthly_csv():
    _require_organiser()
    filters, error = _filters_or_error()
    if error:
        abort(400)
    indicators = sorted(registry.indicators.values(), key=lambda i: (i.section, i.order))
    return csv_download(
        impact.monthly_csv(indicators, filters),
        f"tremplin-impact-mensuel-{filters.start.isoformat()}.csv",
    )


@bp.route("/impact/rapport-annuel/<int:year>")
@login_required
def impact_annual_report(year: int):
    _require_organiser()
    try:
        filters = impact.parse_filters(
            {**request.args.to_dict(), "periode": "annee", "annee": str(year)}
        )
    except impact.BadPeriod:
        abort(404)
    rows = impact.compute_rows(filters)
    charts = []
    for row in rows:
        if row.indicator.monthly and row.applies and row.value:
            series = impact.monthly_series(row.indicator, filters)
            charts.append(
                (row.indicator, series, impact.bar_chart(series, row.indicator.unit, 640, 200))
            )
    return render_template(
        "platform/impact/annual_report.html",
        filters=filters,
        year=year,
        sections=impact.sections(rows),
        charts=charts,
        format_value=impact.format_value,
    )
