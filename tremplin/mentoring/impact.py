"""What mentoring tells the impact dashboard (section "Accompagnement"): tutoring hours,
pairings formed and completed. Registered as indicators (platform/hooks.py); dates and
durations only, never notes.

Territory and theme are those of the project a pairing is about; pairings belong to no
group, so the group filter does not apply.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tremplin.mentoring.models import COUNTED_STATES, P_COMPLETED, MentoringSession, Pairing
from tremplin.mentoring.reports import _project_filter, figures_per_period
from tremplin.platform.extensions import db

PARIS = ZoneInfo("Europe/Paris")
FILTERS = ("territory", "theme")


def _scope(stmt, filters):
    return _project_filter(
        stmt, getattr(filters, "territory", None), getattr(filters, "theme", None)
    )


def hours(filters) -> float:
    """Hours of sessions held from `filters.start` (inclusive) to `filters.end` (exclusive)."""
    minutes = db.session.scalar(
        _scope(
            select(func.coalesce(func.sum(MentoringSession.duration_minutes), 0))
            .join(Pairing, Pairing.id == MentoringSession.pairing_id)
            .where(
                MentoringSession.held_on >= filters.start,
                MentoringSession.held_on < filters.end,
                Pairing.state.in_(COUNTED_STATES),
            ),
            filters,
        )
    )
    return round(int(minutes or 0) / 60, 1)


def hours_monthly(filters) -> dict:
    return {
        f.start: f.hours
        for f in figures_per_period(
            filters.start,
            filters.end - timedelta(days=1),
            "month",
            departement=getattr(filters, "territory", None),
            theme=getattr(filters, "theme", None),
        )
    }


def pairings_started(filters) -> int:
    return int(
        db.session.scalar(
            _scope(
                select(func.count(Pairing.id)).where(
                    Pairing.state.in_(COUNTED_STATES),
                    Pairing.started_on >= filters.start,
                    Pairing.started_on < filters.end,
                ),
                filters,
            )
        )
        or 0
    )


def pairings_completed(filters) -> int:
    start = datetime.combine(filters.start, time.min, PARIS).astimezone(UTC)
    end = datetime.combine(filters.end, time.min, PARIS).astimezone(UTC)
    return int(
        db.session.scalar(
            _scope(
                select(func.count(Pairing.id)).where(
                    Pairing.state == P_COMPLETED,
                    Pairing.completed_at >= start,
                    Pairing.completed_at < end,
                ),
                filters,
            )
        )
        or 0
    )


def _records(_filters) -> str:
    from flask import url_for

    return url_for("mentoring.organisers")  # the organisers' page: pairings, hours, alerts


def register() -> None:
    from tremplin.platform import hooks

    hooks.register_indicator(
        hooks.Indicator(
            key="mentoring_hours",
            label=_l("Heures de tutorat"),
            section="accompagnement",
            unit="hours",
            order=10,
            compute=hours,
            monthly=hours_monthly,
            filters=FILTERS,
            records=_records,
            definition=_l(
                "Durée des séances de parrainage tenues pendant la période, notées par "
                "les binômes (en cours, en pause ou terminés)."
            ),
        )
    )
    hooks.register_indicator(
        hooks.Indicator(
            key="pairings_started",
            label=_l("Binômes formés"),
            section="accompagnement",
            order=20,
            compute=pairings_started,
            filters=FILTERS,
            records=_records,
            definition=_l("Binômes de parrainage acceptés dont le début tombe dans la période."),
        )
    )
    hooks.register_indicator(
        hooks.Indicator(
            key="pairings_completed",
            label=_l("Binômes menés à terme"),
            section="accompagnement",
            order=30,
            compute=pairings_completed,
            filters=FILTERS,
            records=_records,
            definition=_l("Binômes de parrainage terminés pendant la période."),
        )
    )
