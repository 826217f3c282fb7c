"""The impact dashboard: periods, filters and figures computed by the modules' indicators.

Modules register `Indicator`s (platform/hooks.py); this file only parses what the
organiser asked for, calls the indicators for the period and the one before, and shapes
tables, monthly series and SVG bar charts. It never reads a module's tables itself.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.figures import count_by_month
from tremplin.platform.hooks import Indicator, register_indicator, registry
from tremplin.platform.models import User
from tremplin.platform.spreadsheets import csv_text, euros
from tremplin.platform.vocabulary import DEPARTEMENT_LABELS, THEME_LABELS

PARIS = ZoneInfo("Europe/Paris")
EARLIEST = date(2000, 1, 1)
MAX_DAYS = 366 * 10

SECTIONS = [
    ("participation", _l("Participation aux rencontres")),
    ("parcours", _l("Parcours des porteurs de projet")),
    ("financement", _l("Financement")),
    ("accompagnement", _l("Accompagnement")),
    ("network", _l("Vie du réseau")),
]
PERIOD_KINDS = ("mois", "trimestre", "annee", "personnalise")


class BadPeriod(DomainError):
    default_message = _l("Cette période n'est pas valable.")


@dataclass(frozen=True)
class ImpactFilters:
    """What the organiser asked for. `start` is inclusive, `end` exclusive (local dates)."""

    start: date
    end: date
    kind: str = "annee"
    group_id: int | None = None
    territory: str | None = None
    theme: str | None = None

    @property
    def start_at(self) -> datetime:
        """The period's start as an aware UTC datetime (midnight in Paris)."""
        return datetime.combine(self.start, time.min, PARIS).astimezone(UTC)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time.min, PARIS).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> ImpactFilters:
        if self.kind == "mois":
            start = _add_months(self.start, -1)
            return replace(self, start=start, end=self.start)
        if self.kind == "trimestre":
            return replace(self, start=_add_months(self.start, -3), end=self.start)
        if self.kind == "annee":
            return replace(self, start=self.start.replace(year=self.start.year - 1), end=self.start)
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start)

    def months(self) -> list[date]:
        first = self.start.replace(day=1)
        months = []
        while first < self.end:
            months.append(first)
            first = _add_months(first, 1)
        return months

    def label(self) -> str:
        from flask_babel import format_date

        last = self.end - timedelta(days=1)
        if self.kind == "mois":
            return format_date(self.start, "MMMM y")
        if self.kind == "trimestre":
            return _("%(q)se trimestre %(y)d", q=(self.start.month - 1) // 3 + 1, y=self.start.year)
        if self.kind == "annee":
            return str(self.start.year)
        return _(
            "du %(a)s au %(b)s",
            a=format_date(self.start, "d MMM y"),
            b=format_date(last, "d MMM y"),
        )

    def query_args(self) -> dict:
        args = {
            "periode": "personnalise",
            "debut": self.start.isoformat(),
            "fin": (self.end - timedelta(days=1)).isoformat(),
        }
        if self.kind == "annee":
            args = {"periode": "annee", "annee": self.start.year}
        elif self.kind == "mois":
            args = {"periode": "mois", "mois": self.start.strftime("%Y-%m")}
        elif self.kind == "trimestre":
            args = {
                "periode": "trimestre",
                "trimestre": f"{self.start.year}-T{(self.start.month - 1) // 3 + 1}",
            }
        if self.group_id:
            args["groupe"] = self.group_id
        if self.territory:
            args["territoire"] = self.territory
        if self.theme:
            args["theme"] = self.theme
        return args


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _parse_date(value: str | None, what: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise BadPeriod(
            _("La date de %(what)s n'est pas une date valable (AAAA-MM-JJ).", what=what),
            field="debut" if what == _("début") else "fin",
        ) from None


def parse_filters(args, today: date | None = None) -> ImpactFilters:
    """Read the dashboard's query string. Raises BadPeriod with a message for people."""
    today = today or datetime.now(PARIS).date()
    kind = args.get("periode") or "annee"
    if kind not in PERIOD_KINDS:
        raise BadPeriod(_("Type de période inconnu."), field="periode")
    try:
        if kind == "annee":
            year = int(args.get("annee") or today.year)
            start, end = date(year, 1, 1), date(year + 1, 1, 1)
        elif kind == "mois":
            raw = args.get("mois") or today.strftime("%Y-%m")
            year, month = (int(part) for part in raw.split("-"))
            start = date(year, month, 1)
            end = _add_months(start, 1)
        elif kind == "trimestre":
            raw = args.get("trimestre") or f"{today.year}-T{(today.month - 1) // 3 + 1}"
            year_text, quarter_text = raw.upper().split("-T")
            year, quarter = int(year_text), int(quarter_text)
            if quarter not in (1, 2, 3, 4):
                raise ValueError
            start = date(year, 3 * (quarter - 1) + 1, 1)
            end = _add_months(start, 3)
        else:
            start = _parse_date(args.get("debut"), _("début"))
            last = _parse_date(args.get("fin"), _("fin"))
            if last < start:
                raise BadPeriod(_("La fin de la période est avant son début."), field="fin")
            end = last + timedelta(days=1)
    except BadPeriod:
        raise
    except (ValueError, TypeError, OverflowError):
        raise BadPeriod(_("Cette période n'est pas valable."), field="periode") from None
    if start < EARLIEST or end > date(today.year + 2, 1, 1):
        raise BadPeriod(_("Choisissez une période entre 2000 et l'an prochain."), field="periode")
    if (end - start).days > MAX_DAYS:
        raise BadPeriod(_("Une période ne peut pas dépasser dix ans."), field="periode")

    group_id = args.get("groupe") or None
    if group_id is not None:
        if not str(group_id).isdigit() or int(group_id) not in dict(group_choices()):
            raise BadPeriod(_("Ce groupe n'existe pas."), field="groupe")
        group_id = int(group_id)
    territory = args.get("territoire") or None
    if territory is not None and territory not in DEPARTEMENT_LABELS:
        raise BadPeriod(_("Territoire inconnu."), field="territoire")
    theme = args.get("theme") or None
    if theme is not None and theme not in THEME_LABELS:
        raise BadPeriod(_("Thème inconnu."), field="theme")
    return ImpactFilters(
        start=start, end=end, kind=kind, group_id=group_id, territory=territory, theme=theme
    )


def filters_or_400(args) -> ImpactFilters:
    """`parse_filters` for the pages behind the figures: a period that is not one answers
    400 with what is wrong."""
    try:
        return parse_filters(args)
    except BadPeriod as exc:
        abort(400, description=exc.message)


def group_choices() -> list[tuple[int, str]]:
    provider = registry.impact_group_choices
    return provider() if provider else []


@dataclass
class Row:
    indicator: Indicator
    value: int
    previous: int
    unconfirmed: int | None
    records_url: str | None
    applies: bool  # False when a chosen filter does not apply to this indicator

    @property
    def change(self) -> int:
        return self.value - self.previous

    @property
    def change_percent(self) -> int | None:
        if not self.previous:
            return None
        return round(100 * (self.value - self.previous) / self.previous)


def _applies(indicator: Indicator, filters: ImpactFilters) -> bool:
    asked = {"group": filters.group_id, "territory": filters.territory, "theme": filters.theme}
    return all(name in indicator.filters for name, value in asked.items() if value)


def compute_rows(filters: ImpactFilters) -> list[Row]:
    previous = filters.previous()
    rows = []
    for indicator in sorted(registry.indicators.values(), key=lambda i: (i.section, i.order)):
        applies = _applies(indicator, filters)
        rows.append(
            Row(
                indicator=indicator,
                value=indicator.compute(filters) if applies else 0,
                previous=indicator.compute(previous) if applies else 0,
                unconfirmed=indicator.unconfirmed(filters)
                if (applies and indicator.unconfirmed)
                else None,
                records_url=indicator.records(filters) if indicator.records else None,
                applies=applies,
            )
        )
    return rows


def sections(rows: list[Row]) -> list[tuple[str, object, list[Row]]]:
    grouped = []
    for key, label in SECTIONS:
        members = [row for row in rows if row.indicator.section == key]
        if members:
            grouped.append((key, label, members))
    return grouped


def monthly_series(indicator: Indicator, filters: ImpactFilters) -> list[tuple[date, int]]:
    if indicator.monthly is None or not _applies(indicator, filters):
        return []
    values = indicator.monthly(filters)
    return [(month, int(values.get(month, 0))) for month in filters.months()]


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    text: str


def bar_chart(series: list[tuple[date, int]], unit: str, width: int = 720, height: int = 240):
    """Geometry of an SVG bar chart (the template draws it; no JavaScript needed)."""
    from flask_babel import format_date

    if not series:
        return None
    top = max(value for _m, value in series) or 1
    left, bottom, pad_top = 44, 28, 16
    plot_w, plot_h = width - left - 8, height - bottom - pad_top
    step = plot_w / len(series)
    bars = []
    for index, (month, value) in enumerate(series):
        bar_h = plot_h * value / top
        bars.append(
            Bar(
                x=round(left + index * step + step * 0.15, 1),
                y=round(pad_top + plot_h - bar_h, 1),
                width=round(step * 0.7, 1),
                height=round(bar_h, 1),
                label=format_date(month, "MMM y" if len(series) > 12 else "MMM"),
                value=value,
                text=format_value(value, unit),
            )
        )
    ticks = [
        (
            round(pad_top + plot_h - plot_h * f, 1),
            format_value(
                round(top * f, 1) if unit == "hours" else round(top * f), unit, short=True
            ),
        )
        for f in (0, 0.5, 1)
    ]
    return {
        "bars": bars,
        "ticks": ticks,
        "width": width,
        "height": height,
        "left": left,
        "baseline": pad_top + plot_h,
        "label_every": max(1, len(series) // 12),
    }


def format_value(value: int, unit: str, short: bool = False) -> str:
    from tremplin.platform.templating import duration, euros, number

    if unit == "cents":
        if short and value >= 100_000:
            return f"{value / 100_000:.0f}\u00a0k€"
        return euros(value, with_cents=False)
    if unit == "hours":
        return duration(value * 60)
    return number(value)


def rows_csv(rows: list[Row], filters: ImpactFilters) -> str:
    return csv_text(
        [
            _("Indicateur"),
            _("Définition"),
            _("Période"),
            _("Valeur"),
            _("Unité"),
            _("Période précédente"),
            _("Évolution"),
            _("Déclarés non confirmés"),
        ],
        (
            [
                str(row.indicator.label),
                str(row.indicator.definition),
                filters.label(),
                _csv_value(row.value, row.indicator.unit) if row.applies else "",
                _unit_label(row.indicator.unit),
                _csv_value(row.previous, row.indicator.unit) if row.applies else "",
                row.change if row.applies else "",
                row.unconfirmed if row.unconfirmed is not None else "",
            ]
            for row in rows
        ),
    )


def monthly_csv(indicators: list[Indicator], filters: ImpactFilters) -> str:
    months = filters.months()
    rows = []
    for indicator in indicators:
        series = dict(monthly_series(indicator, filters))
        if series:
            rows.append(
                [str(indicator.label), _unit_label(indicator.unit)]
                + [_csv_value(series.get(m, 0), indicator.unit) for m in months]
            )
    return csv_text([_("Indicateur"), _("Unité")] + [m.strftime("%Y-%m") for m in months], rows)


def _csv_value(value: int, unit: str) -> str:
    return euros(value) if unit == "cents" else str(value)


def _unit_label(unit: str) -> str:
    return {"cents": _("euros"), "hours": _("heures")}.get(unit, _("nombre"))


# --- the platform's own indicator ----------------------------------------------------


def _new_members(filters: ImpactFilters) -> int:
    return (
        db.session.scalar(
            select(func.count(User.id)).where(
                User.created_at >= filters.start_at,
                User.created_at < filters.end_at,
                User.email_confirmed_at.is_not(None),
            )
        )
        or 0
    )


def _new_members_monthly(filters: ImpactFilters) -> dict:
    rows = db.session.execute(
        select(User.created_at).where(
            User.created_at >= filters.start_at,
            User.created_at < filters.end_at,
            User.email_confirmed_at.is_not(None),
        )
    ).scalars()
    return count_by_month(rows)


register_indicator(
    Indicator(
        key="new_members",
        label=_l("Nouveaux membres"),
        section="network",
        order=90,
        definition=_l("Comptes créés et confirmés pendant la période."),
        compute=_new_members,
        monthly=_new_members_monthly,
        filters=(),
        records=lambda f: url_for("platform.admin_members"),
    )
)
