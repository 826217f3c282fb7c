"""Mentoring factories: offers, requests, pairings and sessions, built straight into the
database (committed), with defaults a test overrides only where it matters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tremplin.mentoring.models import (
    DEPARTEMENT,
    LANGUAGE,
    OPEN,
    P_ACTIVE,
    SECTOR,
    SKILL,
    MentoringRequest,
    MentoringSession,
    MentorOffer,
    MentorOfferTag,
    Pairing,
)
from tremplin.mentoring.services import paris_today
from tremplin.platform.extensions import db as _db
from tremplin.platform.types import utcnow


@pytest.fixture
def make_offer(make_member):
    """make_offer(user=None, skills=[...], languages=[...], departements=[...], sectors=[...],
    format="both", max_mentees=2, is_available=True) -> MentorOffer."""

    def make(
        user=None,
        *,
        skills=("financement",),
        sectors=(),
        languages=("fr",),
        departements=("75",),
        format="both",
        max_mentees=2,
        is_available=True,
        hours_per_month=4,
        presentation=None,
        commit=True,
    ) -> MentorOffer:
        user = user or make_member()
        offer = MentorOffer(
            user_id=user.id,
            format=format,
            max_mentees=max_mentees,
            is_available=is_available,
            hours_per_month=hours_per_month,
            presentation=presentation,
        )
        for kind, codes in (
            (SKILL, skills),
            (SECTOR, sectors),
            (LANGUAGE, languages),
            (DEPARTEMENT, departements),
        ):
            offer.tags.extend(MentorOfferTag(kind=kind, code=code) for code in codes)
        _db.session.add(offer)
        if commit:
            _db.session.commit()
        else:
            _db.session.flush()
        return offer

    return make


@pytest.fixture
def make_request(make_member):
    """make_request(porteur=None, needs=[...], state="open", mentor=None, **columns)."""

    def make(
        porteur=None,
        *,
        needs=("financement",),
        languages=("fr",),
        departement="75",
        sector=None,
        format="both",
        state=OPEN,
        mentor=None,
        goals="Lancer mon activité.",
        commit=True,
        **columns,
    ) -> MentoringRequest:
        porteur = porteur or make_member()
        request = MentoringRequest(
            porteur_id=porteur.id,
            needs=list(needs),
            languages=list(languages),
            departement=departement,
            sector=sector,
            format=format,
            state=state,
            goals=goals,
            mentor_id=mentor.id if mentor else None,
            **columns,
        )
        if state == "pending":
            request.sent_at = request.sent_at or utcnow()
            request.expires_at = request.expires_at or utcnow() + timedelta(days=14)
        _db.session.add(request)
        if commit:
            _db.session.commit()
        else:
            _db.session.flush()
        return request

    return make


@pytest.fixture
def make_pairing(make_member):
    """make_pairing(mentor=None, porteur=None, state="active", started_on=...) -> Pairing."""

    def make(
        mentor=None,
        porteur=None,
        *,
        state=P_ACTIVE,
        started_on=None,
        accepted_at=None,
        commit=True,
        **columns,
    ) -> Pairing:
        mentor = mentor or make_member("Marraine")
        porteur = porteur or make_member("Porteuse")
        started_on = started_on or paris_today() - timedelta(days=30)
        pairing = Pairing(
            mentor_id=mentor.id,
            porteur_id=porteur.id,
            state=state,
            started_on=started_on,
            planned_end_on=started_on + timedelta(weeks=26),
            accepted_at=accepted_at
            if accepted_at is not None
            else (None if state == "proposed" else utcnow() - timedelta(days=30)),
            **columns,
        )
        _db.session.add(pairing)
        if commit:
            _db.session.commit()
        else:
            _db.session.flush()
        return pairing

    return make


@pytest.fixture
def make_session(app):
    """make_session(pairing, days_ago=1, minutes=60, notes=...) -> MentoringSession."""

    def make(
        pairing, *, days_ago=1, minutes=60, notes=None, next_steps=None, created_at=None
    ) -> MentoringSession:
        session = MentoringSession(
            pairing_id=pairing.id,
            held_on=paris_today() - timedelta(days=days_ago),
            duration_minutes=minutes,
            notes=notes,
            next_steps=next_steps,
            logged_by_id=pairing.mentor_id,
            created_at=created_at or utcnow(),
        )
        _db.session.add(session)
        _db.session.commit()
        return session

    return make
