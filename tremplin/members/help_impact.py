"""How fast the network answers a need: the median time from a need being posted to its
first offer of help, and to its being fulfilled — two indicators of the impact dashboard,
with the records behind them (organisers only)."""

from __future__ import annotations

from datetime import datetime
from statistics import median

from flask import abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tremplin.members import bp
from tremplin.members.impact import _filters_or_400, _record_args
from tremplin.members.models import FULFILLED, HelpOffer, Need
from tremplin.members.projects import project_scope
from tremplin.platform.auth import organiser_required
from tremplin.platform.extensions import db
from tremplin.platform.figures import period_and_place
from tremplin.platform.hooks import Indicator, register_indicator

FILTERS = ("territory", "theme")
RECORDS_PER_PAGE = 50


def _first_offers():
    return (
        select(HelpOffer.need_id, func.min(HelpOffer.created_at).label("first_offer_at"))
        .group_by(HelpOffer.need_id)
        .subquery()
    )


def _hours(pairs) -> float:
    """The median of (later - earlier) in hours, one decimal; 0 with nothing to measure."""
    delays = [(later - earlier).total_seconds() / 3600 for earlier, later in pairs]
    return round(median(delays), 1) if delays else 0


def first_offer_stmt(start_at: datetime, end_at: datetime, territory=None, theme=None):
    """Needs whose first offer of help came during the period, with that first offer."""
    first = _first_offers()
    stmt = (
        select(Need, first.c.first_offer_at)
        .join(first, first.c.need_id == Need.id)
        .where(first.c.first_offer_at >= start_at, first.c.first_offer_at < end_at)
    )
    return project_scope(stmt, Need.project_id, territory, theme)


def fulfilled_stmt(start_at: datetime, end_at: datetime, territory=None, theme=None):
    stmt = select(Need).where(
        Need.status == FULFILLED, Need.fulfilled_at >= start_at, Need.fulfilled_at < end_at
    )
    return project_scope(stmt, Need.project_id, territory, theme)


def hours_to_first_offer(start_at, end_at, *, territory=None, theme=None) -> float:
    rows = db.session.execute(first_offer_stmt(start_at, end_at, territory, theme)).all()
    return _hours((need.created_at, first_at) for need, first_at in rows)


def hours_to_fulfilled(start_at, end_at, *, territory=None, theme=None) -> float:
    needs = db.session.scalars(fulfilled_stmt(start_at, end_at, territory, theme)).all()
    return _hours((need.created_at, need.fulfilled_at) for need in needs)


def register() -> None:
    register_indicator(
        Indicator(
            key="need_hours_to_first_offer",
            label=_l("Délai médian avant la première proposition d’aide"),
            section="parcours",
            order=61,
            unit="hours",
            filters=FILTERS,
            compute=period_and_place(hours_to_first_offer),
            records=lambda f: url_for("members.impact_need_delays", **_record_args(f)),
            definition=_l(
                "Pour les besoins qui ont reçu leur première proposition d’aide pendant la "
                "période : la médiane, en heures, du temps écoulé entre la publication du "
                "besoin et cette première proposition."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="need_hours_to_fulfilled",
            label=_l("Délai médian pour pourvoir un besoin"),
            section="parcours",
            order=62,
            unit="hours",
            filters=FILTERS,
            compute=period_and_place(hours_to_fulfilled),
            records=lambda f: url_for(
                "members.impact_need_delays", etape="pourvu", **_record_args(f)
            ),
            definition=_l(
                "Pour les besoins marqués comme pourvus pendant la période : la médiane, en "
                "heures, du temps écoulé entre la publication du besoin et ce moment."
            ),
        )
    )


@bp.route("/impact/delais-des-besoins")
@organiser_required
def impact_need_delays():
    filters = _filters_or_400()
    step = request.args.get("etape", "premiere-proposition")
    if step not in ("premiere-proposition", "pourvu"):
        abort(404)
    if step == "pourvu":
        stmt = fulfilled_stmt(filters.start_at, filters.end_at, filters.territory, filters.theme)
        stmt = stmt.add_columns(Need.fulfilled_at).order_by(Need.fulfilled_at.desc())
    else:
        stmt = first_offer_stmt(filters.start_at, filters.end_at, filters.territory, filters.theme)
        stmt = stmt.order_by(Need.created_at.desc())
    stmt = stmt.options(joinedload(Need.project)).limit(RECORDS_PER_PAGE * 10)
    rows = [
        (need, at, (at - need.created_at).total_seconds() / 3600)
        for need, at in db.session.execute(stmt)
    ]
    return render_template(
        "members/impact_need_delays.html",
        rows=rows,
        step=step,
        filters=filters,
        record_args=_record_args(filters),
    )
