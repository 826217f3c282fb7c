"""Factories for the investor clubs: a club with its members (through the services, so the
conversation and roles are real), savings paid into the fund, an application from a
project, and the `club_call` helper that runs a service as a request would (services build
URLs for notifications) and commits."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from tremplin.platform.extensions import db as _db

_counter = itertools.count(1)


@pytest.fixture
def club_call(app):
    """club_call(service, *args, **kwargs) -> its result, run inside a request context and
    committed (a DomainError rolls back and propagates)."""
    from tremplin.platform.errors import DomainError

    def call(service, *args, **kwargs):
        with app.test_request_context():
            try:
                result = service(*args, **kwargs)
                _db.session.commit()
            except DomainError:
                _db.session.rollback()
                raise
        return result

    return call


@pytest.fixture
def make_club(app, make_member, club_call):
    """make_club(name=..., gerant=..., members=n or [users], active=True, **rules) -> club.

    The gérant founds it; the others join (by invitation, accepted); with `active` the
    club is activated (it then needs 5 members in all). `club.people` lists the members'
    users, gérant first."""
    from tremplin.funding.clubs import clubs as services
    from tremplin.funding.clubs import lifecycle
    from tremplin.funding.clubs.models import InvestorClub

    def make(
        name: str | None = None,
        *,
        gerant=None,
        members=4,
        active: bool = True,
        is_public: bool = False,
        **rules,
    ):
        n = next(_counter)
        gerant = gerant or make_member(f"Gérante {n}")
        others = (
            members
            if isinstance(members, list | tuple)
            else [make_member(f"Membre {n}.{i}") for i in range(members)]
        )
        club = club_call(
            services.create_club,
            gerant,
            name=name or f"Cigales {n}",
            territory="Paris 11e",
            departement="75",
            declared_natural_person=True,
            description="Un club de quartier.",
            charter="Une personne, une voix.",
            is_public=is_public,
            **rules,
        )
        for user in others:
            club = _db.session.get(InvestorClub, club.id)
            club_call(services.invite, club, gerant, user)
            club_call(
                services.accept_invitation,
                _db.session.get(InvestorClub, club.id),
                user,
                declared_natural_person=True,
            )
        club = _db.session.get(InvestorClub, club.id)
        if active:
            club_call(lifecycle.activate, club, gerant)
        club = _db.session.get(InvestorClub, club.id)
        club.people = [gerant, *others]
        return club

    return make


@pytest.fixture
def membership_of(app):
    from sqlalchemy import select

    from tremplin.funding.clubs.models import ClubMembership

    def find(club, user):
        return _db.session.scalar(
            select(ClubMembership).where(
                ClubMembership.club_id == club.id, ClubMembership.user_id == user.id
            )
        )

    return find


@pytest.fixture
def pay_in(app, club_call, membership_of):
    """pay_in(club, user, cents, month=date(...), by=...) -> SavingsPayment, recorded by
    `by` (default: the club's gérant, acting treasurer while none is designated)."""
    from tremplin.funding.clubs import savings
    from tremplin.funding.clubs.dates import month_start, paris_today

    def pay(club, user, cents: int, month: date | None = None, by=None):
        by = by or club.people[0]
        return club_call(
            savings.record_payment,
            club,
            by,
            membership_of(club, user),
            savings.SavingFields(amount_cents=cents, for_month=month or month_start(paris_today())),
        )

    return pay


@pytest.fixture
def make_application(app, make_member, make_project, club_call):
    """make_application(club, owner=..., project=..., amount_cents=...) -> ClubApplication
    submitted by the project's owner."""
    from tremplin.funding.clubs import applications

    def make(
        club,
        *,
        owner=None,
        project=None,
        amount_cents: int = 150_000,
        instrument: str = "parts_sociales",
        files=(),
    ):
        if project is None:
            owner = owner or make_member(f"Porteuse {next(_counter)}")
            project = make_project(owner, title=f"Atelier {next(_counter)}")
        return club_call(
            applications.submit,
            club,
            project.owner,
            project,
            applications.ApplicationFields(
                amount_cents=amount_cents,
                instrument=instrument,
                plan="Acheter deux machines et embaucher une couturière en insertion.",
            ),
            files=files,
        )

    return make


@pytest.fixture
def accepted_application(app, make_application, club_call):
    """accepted_application(club, **kwargs) -> an application accepted by a unanimous
    vote of the club's members (the vote closed, the minutes written)."""
    from tremplin.funding.clubs import votes
    from tremplin.funding.clubs.models import ClubApplication, InvestorClub

    def make(club, **kwargs):
        application = make_application(club, **kwargs)
        club_obj = _db.session.get(InvestorClub, club.id)
        vote = club_call(
            votes.open_vote,
            club_obj,
            club.people[0],
            votes.VoteFields(
                kind="application",
                title="",
                application=_db.session.get(ClubApplication, application.id),
            ),
        )
        for user in club.people:
            club_call(votes.cast, vote, user, "pour")
        club_call(votes.close_vote, vote)
        return _db.session.get(ClubApplication, application.id)

    return make


def pdf_bytes(text: str = "Convention", extra: bytes = b"") -> bytes:
    """A small valid PDF (for upload tests)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R " + extra + b">>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out
