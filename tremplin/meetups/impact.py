"""What meetups tell the impact dashboard: participations, meetups held, speakers, the
share of attendees who became supporters, the hours and value of support delivered, and
the opportunities members won. Registered as indicators (platform/hooks.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Unpack

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, literal, select

from tremplin.meetups.checkin import MeetupScope, meetup_filters, scoped_count
from tremplin.meetups.models import Meetup, OpportunityApplication, Registration, Speaker
from tremplin.platform.extensions import db
from tremplin.platform.figures import in_period, sum_by_month
from tremplin.platform.hooks import Indicator, register_indicator


def _held(stmt):
    """Meetups that took place: published, with someone checked in."""
    attended = select(Registration.id).where(
        Registration.meetup_id == Meetup.id, Registration.checked_in_at.is_not(None)
    )
    return stmt.where(Meetup.state == "published", attended.exists())


def meetups_held(
    start: datetime | None = None, end: datetime | None = None, **scope: Unpack[MeetupScope]
) -> int:
    stmt = _held(select(func.count(Meetup.id)))
    return scoped_count(stmt, start, end, **scope)


def speakers_count(
    start: datetime | None = None, end: datetime | None = None, **scope: Unpack[MeetupScope]
) -> int:
    stmt = _held(select(func.count(Speaker.id)).join(Meetup, Meetup.id == Speaker.meetup_id))
    return scoped_count(stmt, start, end, **scope)


def _person_key():
    """Who a check-in is: the member, else the visitor's address, else the registration
    (a walk-in who left no address). A walk-in whose address was already registered checks
    that registration in (checkin.add_walk_in), so nobody is counted twice."""
    return func.coalesce(
        literal("u") + cast(Registration.user_id, String),
        literal("e") + func.lower(Registration.email),
        literal("r") + cast(Registration.id, String),
    )


def distinct_participants(
    start: datetime | None = None, end: datetime | None = None, **scope: Unpack[MeetupScope]
) -> int:
    stmt = (
        select(func.count(func.distinct(_person_key())))
        .join(Meetup, Meetup.id == Registration.meetup_id)
        .where(Registration.checked_in_at.is_not(None), Meetup.state == "published")
    )
    return scoped_count(stmt, start, end, **scope)


def applications_count(start: datetime | None = None, end: datetime | None = None) -> int:
    """Members who said they applied to an opportunity of the watch in [start, end) (those
    who later won included)."""
    stmt = select(func.count(OpportunityApplication.id))
    stmt = in_period(stmt, OpportunityApplication.created_at, start, end)
    return int(db.session.scalar(stmt) or 0)


# --- indicators --------------------------------------------------------------------------


def _args(filters) -> dict:
    return {"group_id": filters.group_id, "departement": filters.territory, "theme": filters.theme}


def _participations(filters) -> int:
    from tremplin.meetups.checkin import participations

    return participations(filters.start_at, filters.end_at, **_args(filters))


def _participations_monthly(filters) -> dict[date, int]:
    stmt = (
        select(Meetup.starts_at, func.sum(1 + Registration.guests_checked_in))
        .join(Registration, Registration.meetup_id == Meetup.id)
        .where(Registration.checked_in_at.is_not(None), Meetup.state == "published")
        .group_by(Meetup.id, Meetup.starts_at)
    )
    stmt = meetup_filters(
        stmt, filters.start_at, filters.end_at, filters.group_id, filters.territory, filters.theme
    )
    return sum_by_month(db.session.execute(stmt))


def _distinct(filters) -> int:
    return distinct_participants(filters.start_at, filters.end_at, **_args(filters))


def _applications(filters) -> int:
    return applications_count(filters.start_at, filters.end_at)


def _held_meetups_url(filters) -> str:
    """The meetups behind the participation figures: the administration's overview of past
    meetups, with the same period and filters."""
    return url_for("meetups.admin_overview", quand="passees", **filters.query_args())


def _fulfilled_support_csv(filters) -> str:
    """The support commitments behind the hours and values: the CSV export of those
    proposed in the period (last day inclusive) and delivered."""
    from datetime import timedelta

    return url_for(
        "meetups.export_commitments",
        debut=filters.start.isoformat(),
        fin=(filters.end - timedelta(days=1)).isoformat(),
        etat="fulfilled",
    )


def _meetups_held(filters) -> int:
    return meetups_held(filters.start_at, filters.end_at, **_args(filters))


def _speakers(filters) -> int:
    return speakers_count(filters.start_at, filters.end_at, **_args(filters))


def _conversion_percent(filters) -> int:
    from tremplin.meetups.commitments import conversion

    rate = conversion(filters.start_at, filters.end_at, group_id=filters.group_id)
    return rate.percent or 0


def _supporters(filters) -> int:
    from tremplin.meetups.commitments import conversion

    return conversion(filters.start_at, filters.end_at, group_id=filters.group_id).supporters


def _hours(filters) -> int:
    from tremplin.meetups.commitments import totals

    return totals(filters.start_at, filters.end_at).hours


def _value(filters) -> int:
    from tremplin.meetups.commitments import totals

    return totals(filters.start_at, filters.end_at).value_cents


def _wins(filters) -> int:
    from tremplin.meetups.opportunities import wins_count

    return wins_count(filters.start_at, filters.end_at)


# --- satisfaction (the survey after each meetup) -----------------------------------------


def _survey_results(filters):
    from tremplin.meetups.surveys import period_results

    return period_results(filters.start_at, filters.end_at, group_id=filters.group_id)


def _satisfaction_url(filters) -> str:
    return url_for("meetups.satisfaction", **filters.query_args())


def register() -> None:
    """Register this module's hooks (called from init_module)."""
    register_indicator(
        Indicator(
            key="participations",
            label=_l("Participations aux rencontres"),
            section="participation",
            order=10,
            compute=_participations,
            monthly=_participations_monthly,
            records=_held_meetups_url,
            definition=_l(
                "Personnes pointées à l’accueil des rencontres de la période, accompagnants "
                "compris ; une personne venue à trois rencontres compte trois fois."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="meetups_held",
            label=_l("Rencontres organisées"),
            section="participation",
            order=20,
            compute=_meetups_held,
            records=_held_meetups_url,
            definition=_l(
                "Rencontres publiées qui ont eu lieu pendant la période (au moins une "
                "personne pointée)."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="distinct_participants",
            label=_l("Personnes différentes venues"),
            section="participation",
            order=15,
            compute=_distinct,
            records=_held_meetups_url,
            definition=_l(
                "Personnes pointées à au moins une rencontre de la période, comptées une "
                "fois : un membre par son compte, un visiteur par son adresse e-mail (une "
                "personne venue sans inscription compte une fois) ; accompagnants non "
                "comptés."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="speakers",
            label=_l("Intervenants mobilisés"),
            section="participation",
            order=30,
            compute=_speakers,
            records=_held_meetups_url,
            definition=_l(
                "Intervenants (membres ou organisations) des rencontres tenues pendant la période."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="meetup_supporters",
            label=_l("Participants devenus soutiens"),
            section="participation",
            order=40,
            compute=_supporters,
            filters=("group",),
            records=_held_meetups_url,
            definition=_l(
                "Personnes pointées à une rencontre qui y ont proposé un soutien (argent, "
                "contacts, partenariat, compétences, local, temps, matériel), hors soutiens "
                "annulés."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="meetup_conversion",
            label=_l("Taux d’engagement des participants (%)"),
            section="participation",
            order=45,
            compute=_conversion_percent,
            filters=("group",),
            records=_held_meetups_url,
            definition=_l(
                "Part des personnes pointées aux rencontres de la période qui y ont proposé "
                "un soutien, en pourcentage."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="support_hours",
            label=_l("Heures de soutien bénévole réalisées"),
            section="accompagnement",
            order=60,
            unit="hours",
            compute=_hours,
            filters=(),
            records=_fulfilled_support_csv,
            definition=_l(
                "Heures de compétences et de temps des soutiens proposés pendant la période "
                "et confirmés comme réalisés par l’équipe du projet."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="support_value",
            label=_l("Valeur des soutiens en nature réalisés"),
            section="financement",
            order=60,
            unit="cents",
            compute=_value,
            filters=(),
            records=_fulfilled_support_csv,
            definition=_l(
                "Valeur estimée par les soutiens (local, matériel, compétences…) des soutiens "
                "en nature proposés pendant la période et confirmés comme réalisés."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="opportunity_applications",
            label=_l("Candidatures déposées (veille)"),
            section="parcours",
            order=65,
            compute=_applications,
            filters=(),
            records=lambda f: url_for("meetups.opportunities"),
            definition=_l(
                "Membres qui ont indiqué avoir candidaté à une opportunité de la veille "
                "(appel à projets, concours, financement…) pendant la période, retenus ou "
                "non."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="opportunity_wins",
            label=_l("Candidatures retenues (veille)"),
            section="parcours",
            order=70,
            compute=_wins,
            filters=(),
            records=lambda f: url_for("meetups.opportunities"),
            definition=_l(
                "Membres qui ont indiqué avoir été retenus à une opportunité de la veille "
                "(appel à projets, concours, financement…) pendant la période."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="meetup_satisfaction",
            label=_l("Participants satisfaits des rencontres (%)"),
            section="participation",
            order=50,
            compute=lambda f: _survey_results(f).satisfied_percent or 0,
            filters=("group",),
            records=_satisfaction_url,
            definition=_l(
                "Part des réponses au questionnaire envoyé après les rencontres de la période "
                "qui donnent 4 ou 5 sur 5 à la satisfaction d’ensemble, en pourcentage. Les "
                "réponses sont anonymes ; membres et visiteurs sans compte répondent."
            ),
        )
    )
    register_indicator(
        Indicator(
            key="meetup_survey_response_rate",
            label=_l("Taux de réponse au questionnaire de satisfaction (%)"),
            section="participation",
            order=52,
            compute=lambda f: _survey_results(f).response_rate or 0,
            filters=("group",),
            records=_satisfaction_url,
            definition=_l(
                "Réponses reçues divisées par les personnes invitées (pointées à l’accueil) "
                "des rencontres de la période dont le questionnaire a été envoyé, en "
                "pourcentage."
            ),
        )
    )
