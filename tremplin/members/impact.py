"""What members' projects tell the impact dashboard: milestones confirmed by an organiser
(business plans, legal entities, returns to employment, prizes, collective projects) with the
declared-but-unconfirmed ones counted apart, and needs fulfilled. Registered as indicators
(platform/hooks.py); the organiser-only pages listing the records behind them live here too.

Territory and theme are the project's; projects belong to no group, so the group filter
does not apply. Counts only: never who declared what (that stays on the records pages).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, has_request_context, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tremplin.members import bp
from tremplin.members.labels import MILESTONE_LABELS
from tremplin.members.models import FULFILLED, Milestone, Need
from tremplin.members.projects import project_scope
from tremplin.platform.auth import organiser_required
from tremplin.platform.extensions import db
from tremplin.platform.figures import count_by_month, period_and_place
from tremplin.platform.hooks import Indicator, register_indicator

FILTERS = ("territory", "theme")
RECORDS_PER_PAGE = 50

# (kind, indicator key, label, definition, order) — the milestones the funders ask about.
COUNTED_MILESTONES = [
    (
        "business_plan",
        "business_plans",
        _l("Business plans rédigés"),
        _l(
            "Projets dont l’équipe a déclaré un business plan rédigé pendant la période, "
            "confirmé par un animateur ou une animatrice."
        ),
        10,
    ),
    (
        "legal_entity",
        "legal_entities",
        _l("Structures juridiques créées"),
        _l(
            "Entreprises, associations ou coopératives créées pendant la période (jalon déclaré "
            "par l’équipe et confirmé par un animateur ou une animatrice)."
        ),
        20,
    ),
    (
        "return_to_employment",
        "returns_to_employment",
        _l("Retours à l’emploi"),
        _l(
            "Porteurs et porteuses de projet revenus à l’emploi pendant la période (jalon "
            "confirmé par un animateur ou une animatrice)."
        ),
        30,
    ),
    (
        "prize",
        "prizes_won",
        _l("Prix et concours remportés"),
        _l(
            "Prix ou concours gagnés par un projet pendant la période (jalon confirmé par un "
            "animateur ou une animatrice ; un projet peut en gagner plusieurs)."
        ),
        40,
    ),
    (
        "collective_project",
        "collective_projects",
        _l("Projets collectifs lancés"),
        _l(
            "Projets portés à plusieurs membres du réseau lancés pendant la période (jalon "
            "confirmé par un animateur ou une animatrice)."
        ),
        50,
    ),
]


def _scope(stmt, territory: str | None, theme: str | None):
    return project_scope(stmt, Milestone.project_id, territory, theme)


def milestone_stmt(
    start: date,
    end: date,
    *,
    kind: str | None = None,
    confirmed: bool = True,
    territory: str | None = None,
    theme: str | None = None,
):
    """Milestones that occurred in [start, end), confirmed (or declared and not yet)."""
    stmt = select(Milestone).where(Milestone.occurred_on >= start, Milestone.occurred_on < end)
    stmt = stmt.where(
        Milestone.confirmed_at.is_not(None) if confirmed else Milestone.confirmed_at.is_(None)
    )
    if kind is not None:
        stmt = stmt.where(Milestone.kind == kind)
    return _scope(stmt, territory, theme)


def milestone_counts(
    start: date,
    end: date,
    *,
    confirmed: bool = True,
    territory: str | None = None,
    theme: str | None = None,
) -> dict[str, int]:
    """{kind: count} of milestones in [start, end), in one statement. Cached for the request:
    the dashboard asks for each kind, for the period and the one before."""
    key = ("members_milestones", start, end, confirmed, territory, theme)
    # per request (the WSGI environ), never longer: figures change between two renders
    cache = request.environ.setdefault("tremplin.impact_cache", {}) if has_request_context() else {}
    if key not in cache:
        stmt = _scope(
            select(Milestone.kind, func.count(Milestone.id))
            .where(
                Milestone.occurred_on >= start,
                Milestone.occurred_on < end,
                Milestone.confirmed_at.is_not(None)
                if confirmed
                else Milestone.confirmed_at.is_(None),
            )
            .group_by(Milestone.kind),
            territory,
            theme,
        )
        cache[key] = {kind: int(n) for kind, n in db.session.execute(stmt)}
    return cache[key]


def milestones_monthly(kind: str, start: date, end: date, *, territory=None, theme=None) -> dict:
    stmt = _scope(
        select(Milestone.occurred_on).where(
            Milestone.kind == kind,
            Milestone.confirmed_at.is_not(None),
            Milestone.occurred_on >= start,
            Milestone.occurred_on < end,
        ),
        territory,
        theme,
    )
    return count_by_month(db.session.scalars(stmt))


def _need_scope(stmt, start_at: datetime, end_at: datetime, territory, theme):
    stmt = stmt.where(
        Need.status == FULFILLED, Need.fulfilled_at >= start_at, Need.fulfilled_at < end_at
    )
    return project_scope(stmt, Need.project_id, territory, theme)


def needs_fulfilled(start_at: datetime, end_at: datetime, *, territory=None, theme=None) -> int:
    return int(
        db.session.scalar(
            _need_scope(select(func.count(Need.id)), start_at, end_at, territory, theme)
        )
        or 0
    )


def needs_fulfilled_monthly(
    start_at: datetime, end_at: datetime, *, territory=None, theme=None
) -> dict:
    return count_by_month(
        db.session.scalars(
            _need_scope(select(Need.fulfilled_at), start_at, end_at, territory, theme)
        )
    )


# --- indicators --------------------------------------------------------------------------


def _milestone_indicator(kind: str, key: str, label, definition, order: int) -> Indicator:
    def compute(filters) -> int:
        return milestone_counts(
            filters.start, filters.end, territory=filters.territory, theme=filters.theme
        ).get(kind, 0)

    def unconfirmed(filters) -> int:
        return milestone_counts(
            filters.start,
            filters.end,
            confirmed=False,
            territory=filters.territory,
            theme=filters.theme,
        ).get(kind, 0)

    def monthly(filters) -> dict:
        return milestones_monthly(
            kind, filters.start, filters.end, territory=filters.territory, theme=filters.theme
        )

    def records(filters) -> str:
        return url_for("members.impact_milestones", type=kind, **_record_args(filters))

    return Indicator(
        key=key,
        label=label,
        definition=definition,
        section="parcours",
        order=order,
        compute=compute,
        unconfirmed=unconfirmed,
        monthly=monthly,
        records=records,
        filters=FILTERS,
    )


def _record_args(filters) -> dict:
    args = filters.query_args()
    args.pop("groupe", None)
    return args


def register() -> None:
    for kind, key, label, definition, order in COUNTED_MILESTONES:
        register_indicator(_milestone_indicator(kind, key, label, definition, order))
    register_indicator(
        Indicator(
            key="needs_fulfilled",
            label=_l("Besoins des projets pourvus"),
            section="parcours",
            order=60,
            filters=FILTERS,
            compute=period_and_place(needs_fulfilled),
            monthly=period_and_place(needs_fulfilled_monthly),
            records=lambda f: url_for("members.impact_needs", **_record_args(f)),
            definition=_l(
                "Besoins (local, compétences, financement, contacts…) que l’équipe du "
                "projet a marqués comme pourvus pendant la période."
            ),
        )
    )


# --- the records behind the figures (organisers only) ------------------------------------


def _filters_or_400():
    from tremplin.platform import impact

    return impact.filters_or_400(request.args)


@bp.route("/impact/jalons")
@organiser_required
def impact_milestones():
    filters = _filters_or_400()
    kind = request.args.get("type") or None
    if kind is not None and kind not in MILESTONE_LABELS:
        abort(404)
    confirmed = request.args.get("etat", "confirmes") != "declares"
    stmt = (
        milestone_stmt(
            filters.start,
            filters.end,
            kind=kind,
            confirmed=confirmed,
            territory=filters.territory,
            theme=filters.theme,
        )
        .options(
            joinedload(Milestone.project),
            joinedload(Milestone.declared_by),
            joinedload(Milestone.confirmed_by),
        )
        .order_by(Milestone.occurred_on.desc(), Milestone.id.desc())
    )
    page = db.paginate(stmt, per_page=RECORDS_PER_PAGE, error_out=False)
    return render_template(
        "members/impact_milestones.html",
        page=page,
        filters=filters,
        kind=kind,
        confirmed=confirmed,
        record_args=_record_args(filters),
    )


@bp.route("/impact/besoins-pourvus")
@organiser_required
def impact_needs():
    filters = _filters_or_400()
    stmt = (
        _need_scope(
            select(Need), filters.start_at, filters.end_at, filters.territory, filters.theme
        )
        .options(joinedload(Need.project))
        .order_by(Need.fulfilled_at.desc(), Need.id.desc())
    )
    page = db.paginate(stmt, per_page=RECORDS_PER_PAGE, error_out=False)
    return render_template(
        "members/impact_needs.html", page=page, filters=filters, record_args=_record_args(filters)
    )
