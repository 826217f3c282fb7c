"""Factories for the meetups module: meetups with their agenda, projects and speakers,
registrations (members, visitors, walk-ins, checked in or not), commitments and
opportunities. Rows are built directly with sensible defaults and committed."""

from __future__ import annotations

import itertools
import secrets
from datetime import date, timedelta

import pytest

from tremplin.platform.extensions import db as _db
from tremplin.platform.types import utcnow

_counter = itertools.count(1)


@pytest.fixture
def make_meetup(app, make_organiser):
    """make_meetup(title=..., organiser=..., starts_in=timedelta(days=7), hours=2.5,
    group=None, capacity=None, state="published", projects=[...], agenda=[(15, "Accueil")],
    speakers=[("Nom", "Organisation")], **columns) -> Meetup."""
    from tremplin.meetups.models import AgendaItem, Meetup, MeetupProject, Speaker

    def make(
        title: str | None = None,
        *,
        organiser=None,
        starts_in=timedelta(days=7),
        hours: float = 2.5,
        group=None,
        capacity=None,
        state: str = "published",
        projects=(),
        agenda=(),
        speakers=(),
        **columns,
    ):
        n = next(_counter)
        organiser = organiser or (None if group else make_organiser(f"Animatrice {n}"))
        starts = (utcnow() + starts_in).replace(second=0, microsecond=0)
        values = {
            "title": title or f"Café Projets n°{n}",
            "description": "Une soirée **conviviale**.",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=hours),
            "venue_name": "Mairie du 3e",
            "address": "2 rue Eugène Spuller, 75003 Paris",
            "departement": "75",
            "capacity": capacity,
            "state": state,
            "published_at": utcnow() if state == "published" else None,
        }
        values.update(columns)
        meetup = Meetup(
            **values,
            group_id=group.id if group else None,
            created_by_id=organiser.id if organiser else None,
        )
        for position, (minutes, item) in enumerate(agenda):
            meetup.agenda.append(
                AgendaItem(position=position, title=item, duration_minutes=minutes)
            )
        for position, project in enumerate(projects):
            meetup.presented.append(MeetupProject(project_id=project.id, position=position))
        for position, (name, organisation) in enumerate(speakers):
            meetup.speakers.append(Speaker(name=name, organisation=organisation, position=position))
        _db.session.add(meetup)
        _db.session.commit()
        return meetup

    return make


@pytest.fixture
def register(app):
    """register(meetup, user=None, *, name=..., email=..., guests=0, status="confirmed",
    checked_in=False, walk_in=False) -> Registration (a visitor when `user` is None)."""
    from tremplin.meetups.models import Registration

    def make(
        meetup,
        user=None,
        *,
        name: str | None = None,
        email: str | None = None,
        guests: int = 0,
        status: str = "confirmed",
        checked_in: bool = False,
        walk_in: bool = False,
        **columns,
    ):
        n = next(_counter)
        registration = Registration(
            meetup_id=meetup.id,
            user_id=user.id if user else None,
            name=None if user else (name or f"Visiteur {n}"),
            email=None if user else (email or f"visiteur{n}@exemple.fr"),
            guests=guests,
            status=status,
            is_walk_in=walk_in,
            link_nonce=secrets.token_hex(16),
            confirmed_at=utcnow() if status == "confirmed" else None,
            waitlisted_at=utcnow() if status == "waiting" else None,
            checked_in_at=utcnow() if checked_in else None,
            guests_checked_in=guests if checked_in else 0,
            **columns,
        )
        _db.session.add(registration)
        _db.session.commit()
        return registration

    return make


@pytest.fixture
def make_commitment(app):
    """make_commitment(project, supporter, kind="skills", quantity=10, state="proposed",
    meetup=None, **columns) -> SupportCommitment."""
    from tremplin.meetups.commitments import KIND_UNITS
    from tremplin.meetups.models import SupportCommitment

    def make(
        project,
        supporter=None,
        *,
        kind: str = "skills",
        description: str = "Un coup de main.",
        quantity: int | None = 10,
        amount_cents: int | None = None,
        state: str = "proposed",
        meetup=None,
        registration=None,
        **columns,
    ):
        commitment = SupportCommitment(
            project_id=project.id,
            supporter_id=supporter.id if supporter else None,
            registration_id=registration.id if registration else None,
            meetup_id=meetup.id if meetup else None,
            kind=kind,
            description=description,
            quantity=None if kind == "money" else quantity,
            unit="eur" if kind == "money" else (KIND_UNITS[kind] if quantity else None),
            amount_cents=amount_cents,
            state=state,
            **columns,
        )
        _db.session.add(commitment)
        _db.session.commit()
        return commitment

    return make


@pytest.fixture
def make_opportunity(app, make_organiser):
    """make_opportunity(title=..., themes=["cosmetique"], deadline=date, kind=..., **columns)."""
    from tremplin.meetups.models import Opportunity, OpportunityTheme

    def make(
        title: str | None = None,
        *,
        themes=("cosmetique",),
        kind: str = "appel_a_projets",
        deadline: date | None = None,
        posted_by=None,
        **columns,
    ):
        n = next(_counter)
        posted_by = posted_by or make_organiser(f"Veilleuse {n}")
        values = {
            "title": title or f"Appel à projets n°{n}",
            "kind": kind,
            "description": "Pour les projets de l’ESS.",
            "organisation": "Fondation Exemple",
            "deadline": deadline or (date.today() + timedelta(days=30)),
            "stages": [],
        }
        values.update(columns)
        opportunity = Opportunity(**values, posted_by_id=posted_by.id)
        opportunity.theme_rows = [OpportunityTheme(theme=t) for t in themes]
        _db.session.add(opportunity)
        _db.session.commit()
        return opportunity

    return make
