"""Support commitments (*soutiens*): typed, quantified, followed from the promise to the
delivery — *proposée → acceptée → en cours → réalisée* (or *annulée*) — with the share of
attendees who committed at each meetup and the CSV the association's accounts need.

A money commitment is a promise. When the funding module offers
`pledge_from_commitment(commitment)` and the project has an open campaign, the promise is
handed to it; otherwise it stays a promise recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import selectinload

from tremplin.meetups import notices, policies, signals
from tremplin.meetups.models import (
    ABANDONED,
    ACCEPTED,
    COMMITMENT_KINDS,
    FULFILLED,
    IN_PROGRESS,
    OPEN_COMMITMENT_STATES,
    PROPOSED,
    CommitmentEvent,
    Meetup,
    Registration,
    SupportCommitment,
)
from tremplin.members.models import Project
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.figures import in_period
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.spreadsheets import cell, csv_text, euros
from tremplin.platform.types import utcnow

KIND_LABELS = {
    "money": _l("Argent (promesse de don ou de prêt)"),
    "contacts": _l("Liste de contacts"),
    "partnership": _l("Partenariat"),
    "skills": _l("Compétences"),
    "premises": _l("Local"),
    "time": _l("Temps bénévole"),
    "equipment": _l("Matériel"),
}
KIND_SHORT = {
    "money": _l("Argent"),
    "contacts": _l("Contacts"),
    "partnership": _l("Partenariat"),
    "skills": _l("Compétences"),
    "premises": _l("Local"),
    "time": _l("Temps"),
    "equipment": _l("Matériel"),
}
STATE_LABELS = {
    PROPOSED: _l("Proposé"),
    ACCEPTED: _l("Accepté"),
    IN_PROGRESS: _l("En cours"),
    FULFILLED: _l("Réalisé"),
    ABANDONED: _l("Annulé"),
}
UNIT_LABELS = {"eur": "€", "hours": _l("heures"), "m2": "m²", "contacts": _l("contacts")}

# What each kind is counted in, and the bounds past which a figure is surely a typo.
KIND_UNITS = {
    "money": "eur",
    "skills": "hours",
    "time": "hours",
    "premises": "m2",
    "contacts": "contacts",
    "partnership": None,
    "equipment": None,
}
LIMITS = {"hours": 2000, "m2": 20_000, "contacts": 5000}
MAX_AMOUNT_CENTS = 1_000_000 * 100

TRANSITIONS = {
    PROPOSED: {ACCEPTED, ABANDONED},
    ACCEPTED: {IN_PROGRESS, FULFILLED, ABANDONED},
    IN_PROGRESS: {FULFILLED, ABANDONED},
    FULFILLED: set(),
    ABANDONED: set(),
}


class BadQuantity(DomainError):
    field = "quantity"


class WrongState(DomainError):
    pass


@dataclass
class Offer:
    """What a supporter typed. `amount_cents`: the money promised, or for support in kind
    the value they estimate (optional, for the accounts)."""

    kind: str
    description: str
    quantity: int | None = None
    amount_cents: int | None = None


def _validate(offer: Offer) -> tuple[str | None, int | None, int | None]:
    if offer.kind not in COMMITMENT_KINDS:
        raise DomainError(_("Choisissez un type de soutien de la liste."), field="kind")
    description = (offer.description or "").strip()
    if len(description) < 3:
        raise DomainError(_("Décrivez votre soutien en quelques mots."), field="description")
    if len(description) > 2000:
        raise DomainError(
            _("La description tient en 2 000 caractères au plus."), field="description"
        )
    unit = KIND_UNITS[offer.kind]
    quantity, amount = offer.quantity, offer.amount_cents
    if amount is not None:
        if amount < 0:
            raise BadQuantity(_("Un montant ne peut pas être négatif."), field="amount")
        if amount > MAX_AMOUNT_CENTS:
            raise BadQuantity(
                _("Ce montant dépasse un million d'euros : vérifiez-le."), field="amount"
            )
    if offer.kind == "money":
        if not amount:
            raise BadQuantity(_("Indiquez le montant promis, en euros."), field="amount")
        return "eur", None, amount
    if quantity is not None:
        if unit is None:
            quantity = None  # a partnership or equipment is not counted in units
        elif quantity <= 0:
            raise BadQuantity(_("Indiquez une quantité positive (ou laissez le champ vide)."))
        elif quantity > LIMITS[unit]:
            raise BadQuantity(
                _(
                    "%(q)d %(unit)s, c'est beaucoup : au plus %(max)d. Vérifiez la quantité.",
                    q=quantity,
                    unit=UNIT_LABELS[unit],
                    max=LIMITS[unit],
                )
            )
    if unit in ("hours", "m2") and quantity is None:
        raise BadQuantity(_("Indiquez combien (%(unit)s).", unit=UNIT_LABELS[unit]))
    return (unit if quantity is not None else None), quantity, amount or None


def _log(
    commitment: SupportCommitment, state: str, actor: User | None, note: str | None = None
) -> None:
    commitment.events.append(
        CommitmentEvent(state=state, actor_id=actor.id if actor else None, note=note)
    )


def commit_support(
    project: Project,
    offer: Offer,
    *,
    supporter: User | None = None,
    registration: Registration | None = None,
    meetup: Meetup | None = None,
) -> SupportCommitment:
    """A member (or a visitor through their registration) commits to a project."""
    if supporter is not None:
        if not policies.can_commit_support(supporter, project):
            raise NotAllowed(
                _("Les membres de l'équipe ne s'engagent pas pour leur propre projet.")
            )
    elif registration is None or not policies.can_commit_as_visitor(registration):
        raise NotAllowed(_("Confirmez d'abord votre inscription pour proposer un soutien."))
    if meetup is None and registration is not None:
        meetup = registration.meetup
    if meetup is not None and meetup.state == "cancelled":
        raise DomainError(_("Cette rencontre est annulée."))
    unit, quantity, amount = _validate(offer)
    commitment = SupportCommitment(
        project=project,
        project_id=project.id,
        meetup=meetup,
        supporter=supporter,
        registration=registration if supporter is None else None,
        kind=offer.kind,
        description=offer.description.strip(),
        quantity=quantity,
        unit=unit,
        amount_cents=amount,
        state=PROPOSED,
    )
    db.session.add(commitment)
    _log(commitment, PROPOSED, supporter)
    db.session.flush()
    if offer.kind == "money":
        _hand_to_funding(commitment)
    _tell_team(
        commitment,
        _(
            "%(who)s propose un soutien à %(project)s : %(kind)s.",
            who=commitment.supporter_name,
            project=project.title,
            kind=KIND_SHORT[commitment.kind],
        ),
    )
    signals.commitment_created.send(commitment)
    return commitment


def _hand_to_funding(commitment: SupportCommitment) -> None:
    """A member's money promise joins the project's open campaign when the funding module
    runs one (idempotent on the commitment). Otherwise — no campaign, a visitor, funding
    refusing it (own project, amount out of bounds…) — it stays a promise recorded here."""
    if commitment.supporter is None:
        return
    import tremplin.funding as funding

    if funding.open_campaign_for_project(commitment.project_id) is None:
        return
    try:
        with db.session.begin_nested():
            pledge = funding.pledge_from_commitment(
                f"commitment-{commitment.id}",
                commitment.supporter,
                commitment.project_id,
                commitment.amount_cents,
                message=commitment.description[:500],
            )
    except DomainError as exc:
        current_app.logger.info(
            "meetups: commitment %s stays a promise (%s)", commitment.id, exc.message
        )
        return
    commitment.pledge_id = getattr(pledge, "id", None)
    db.session.flush()


def team_of(project_id: int) -> list[User]:
    from tremplin.members.models import ACCEPTED as TEAM_ACCEPTED
    from tremplin.members.models import ProjectMember

    return list(
        db.session.scalars(
            select(User)
            .join(ProjectMember, ProjectMember.user_id == User.id)
            .where(ProjectMember.project_id == project_id, ProjectMember.status == TEAM_ACCEPTED)
            .options(selectinload(User.email_consents))
        )
    )


def _tell_team(commitment: SupportCommitment, text: str) -> None:
    with notices.url_context():
        url = url_for("meetups.project_commitments", project_id=commitment.project_id)
        for member in team_of(commitment.project_id):
            notify(member, notices.KIND_COMMITMENTS, text, url)


def _tell_supporter(commitment: SupportCommitment, text: str) -> None:
    if commitment.supporter is not None:
        with notices.url_context():
            notify(
                commitment.supporter,
                notices.KIND_COMMITMENTS,
                text,
                url_for("meetups.my_commitments"),
            )
    elif commitment.registration is not None:
        notices.tell(commitment.registration, notices.KIND_COMMITMENTS, text)


def _move(commitment: SupportCommitment, state: str, actor: User, note: str | None = None) -> None:
    if state not in TRANSITIONS[commitment.state]:
        raise WrongState(
            _(
                "Ce soutien est « %(now)s » : il ne peut pas passer à « %(next)s ».",
                now=STATE_LABELS[commitment.state],
                next=STATE_LABELS[state],
            )
        )
    now = utcnow()
    commitment.state = state
    commitment.state_changed_at = now
    if state == ACCEPTED:
        commitment.accepted_at = now
    elif state == FULFILLED:
        commitment.fulfilled_at = now
    elif state == ABANDONED:
        commitment.cancelled_at = now
        commitment.cancel_reason = note
        if commitment.pledge_id is not None:
            import tremplin.funding as funding

            funding.withdraw_commitment_pledge(f"commitment-{commitment.id}")
    _log(commitment, state, actor, note)
    db.session.flush()
    signals.commitment_changed.send(commitment, state=state, by=actor)


def accept(actor: User, commitment: SupportCommitment) -> None:
    if not policies.can_accept_commitment(actor, commitment):
        _refuse(actor, commitment, ACCEPTED)
    _move(commitment, ACCEPTED, actor)
    _tell_supporter(
        commitment,
        _(
            "%(project)s a accepté votre soutien (%(kind)s). Merci !",
            project=commitment.project.title,
            kind=KIND_SHORT[commitment.kind],
        ),
    )


def start(actor: User, commitment: SupportCommitment) -> None:
    if not policies.can_start_commitment(actor, commitment):
        _refuse(actor, commitment, IN_PROGRESS)
    _move(commitment, IN_PROGRESS, actor)


def confirm_delivery(actor: User, commitment: SupportCommitment) -> None:
    if not policies.can_confirm_delivery(actor, commitment):
        _refuse(actor, commitment, FULFILLED)
    _move(commitment, FULFILLED, actor)
    _tell_supporter(
        commitment,
        _(
            "%(project)s confirme que votre soutien est réalisé. Merci pour ce coup de pouce !",
            project=commitment.project.title,
        ),
    )


def cancel(actor: User, commitment: SupportCommitment, reason: str = "") -> None:
    if not policies.can_cancel_commitment(actor, commitment):
        _refuse(actor, commitment, ABANDONED)
    reason = (reason or "").strip()[:500] or None
    by_supporter = policies.is_supporter(actor, commitment)
    _move(commitment, ABANDONED, actor, reason)
    if by_supporter:
        _tell_team(
            commitment,
            _(
                "%(who)s a retiré son soutien (%(kind)s) à %(project)s.",
                who=commitment.supporter_name,
                kind=KIND_SHORT[commitment.kind],
                project=commitment.project.title,
            ),
        )
    else:
        _tell_supporter(
            commitment,
            _(
                "%(project)s a décliné votre soutien (%(kind)s).",
                project=commitment.project.title,
                kind=KIND_SHORT[commitment.kind],
            ),
        )


def _refuse(actor: User, commitment: SupportCommitment, target: str):
    allowed_somewhere = policies.is_supporter(
        actor, commitment
    ) or policies.can_see_project_commitments(actor, commitment.project)
    if allowed_somewhere and target not in TRANSITIONS[commitment.state]:
        raise WrongState(
            _(
                "Ce soutien est « %(now)s » : il ne peut pas passer à « %(next)s ».",
                now=STATE_LABELS[commitment.state],
                next=STATE_LABELS[target],
            )
        )
    raise NotAllowed()


# --- reading -----------------------------------------------------------------------------


def _options():
    return (
        selectinload(SupportCommitment.project),
        selectinload(SupportCommitment.supporter),
        selectinload(SupportCommitment.registration),
        selectinload(SupportCommitment.meetup),
    )


def for_project(project_id: int) -> list[SupportCommitment]:
    return list(
        db.session.scalars(
            select(SupportCommitment)
            .where(SupportCommitment.project_id == project_id)
            .options(*_options(), selectinload(SupportCommitment.events))
            .order_by(SupportCommitment.created_at.desc(), SupportCommitment.id.desc())
        )
    )


def by_evening(
    commitments: list[SupportCommitment],
) -> list[tuple[Meetup | None, list[SupportCommitment]]]:
    """Commitments grouped by the meetup they were made at, latest evening first; those
    made outside a meetup last."""
    groups: dict[int | None, list[SupportCommitment]] = {}
    meetups: dict[int | None, Meetup | None] = {None: None}
    for c in commitments:
        groups.setdefault(c.meetup_id, []).append(c)
        meetups[c.meetup_id] = c.meetup
    order = sorted(
        (k for k in groups if k is not None),
        key=lambda k: meetups[k].starts_at,
        reverse=True,
    )
    if None in groups:
        order.append(None)
    return [(meetups[k], groups[k]) for k in order]


def for_supporter(user: User) -> list[SupportCommitment]:
    return list(
        db.session.scalars(
            select(SupportCommitment)
            .where(SupportCommitment.supporter_id == user.id)
            .options(*_options())
            .order_by(SupportCommitment.created_at.desc())
        )
    )


def for_registration(registration: Registration) -> list[SupportCommitment]:
    return list(
        db.session.scalars(
            select(SupportCommitment)
            .where(SupportCommitment.registration_id == registration.id)
            .options(*_options())
            .order_by(SupportCommitment.created_at.desc())
        )
    )


def for_meetup(meetup: Meetup) -> list[SupportCommitment]:
    return list(
        db.session.scalars(
            select(SupportCommitment)
            .where(SupportCommitment.meetup_id == meetup.id)
            .options(*_options())
            .order_by(SupportCommitment.created_at)
        )
    )


@dataclass(frozen=True)
class Rate:
    attendees: int  # people checked in, guests included
    supporters: int  # of them, those who committed at least one support (not cancelled)

    @property
    def percent(self) -> int | None:
        if not self.attendees:
            return None
        return round(100 * self.supporters / self.attendees)


def _supporters_stmt(meetup_ids):
    """Checked-in registrations with a live commitment made at that same meetup (by the
    member, or the visitor through their registration)."""
    committed = select(SupportCommitment.id).where(
        SupportCommitment.meetup_id == Registration.meetup_id,
        SupportCommitment.state != ABANDONED,
        or_(
            SupportCommitment.registration_id == Registration.id,
            (SupportCommitment.supporter_id == Registration.user_id)
            & Registration.user_id.is_not(None),
        ),
    )
    return (
        select(Registration.meetup_id, func.count(distinct(Registration.id)))
        .where(
            Registration.meetup_id.in_(meetup_ids),
            Registration.checked_in_at.is_not(None),
            committed.exists(),
        )
        .group_by(Registration.meetup_id)
    )


def rates_for(meetup_ids: list[int]) -> dict[int, Rate]:
    """The share of attendees who committed, per meetup (two statements)."""
    if not meetup_ids:
        return {}
    from tremplin.meetups.registrations import counts_for

    counts = counts_for(meetup_ids)
    supporters = dict(db.session.execute(_supporters_stmt(meetup_ids)).all())
    return {mid: Rate(counts[mid].checked_in, int(supporters.get(mid, 0))) for mid in meetup_ids}


def commitment_rate(meetup: Meetup) -> Rate:
    return rates_for([meetup.id])[meetup.id]


def published_meetup_ids(
    start: datetime | None = None, end: datetime | None = None, *, group_id: int | None = None
) -> list[int]:
    """Published meetups starting in [start, end) (of one group if given)."""
    stmt = select(Meetup.id).where(Meetup.state == "published")
    stmt = in_period(stmt, Meetup.starts_at, start, end)
    if group_id is not None:
        stmt = stmt.where(Meetup.group_id == group_id)
    return list(db.session.scalars(stmt))


def conversion(
    start: datetime | None = None, end: datetime | None = None, *, group_id: int | None = None
) -> Rate:
    """Attendee-to-supporter conversion over a period (meetups starting in [start, end))."""
    rates = rates_for(published_meetup_ids(start, end, group_id=group_id))
    return Rate(sum(r.attendees for r in rates.values()), sum(r.supporters for r in rates.values()))


def open_commitments() -> list[SupportCommitment]:
    return list(
        db.session.scalars(
            select(SupportCommitment)
            .where(SupportCommitment.state.in_(OPEN_COMMITMENT_STATES))
            .options(*_options())
        )
    )


# --- export for the accounts -------------------------------------------------------------

CSV_HEADER = [
    "id",
    "date",
    "projet",
    "soutien",
    "type",
    "état",
    "quantité",
    "unité",
    "heures",
    "m²",
    "montant ou valeur (€)",
    "rencontre",
    "réalisé le",
]


def export_csv(
    start: datetime | None = None, end: datetime | None = None, *, state: str | None = None
) -> str:
    """Hours, surfaces and values, one line per commitment, for the association's accounts
    (semicolon-separated, decimal comma, with a BOM so spreadsheets read the accents)."""
    stmt = (
        select(SupportCommitment)
        .options(*_options())
        .order_by(SupportCommitment.created_at, SupportCommitment.id)
    )
    stmt = in_period(stmt, SupportCommitment.created_at, start, end)
    if state:
        stmt = stmt.where(SupportCommitment.state == state)
    from tremplin.platform.templating import local_date

    return csv_text(
        CSV_HEADER,
        (
            [
                c.id,
                local_date(c.created_at, "yyyy-MM-dd"),
                cell(c.project.title),
                cell(c.supporter_name),
                str(KIND_SHORT[c.kind]),
                str(STATE_LABELS[c.state]),
                c.quantity if c.quantity is not None else "",
                str(UNIT_LABELS.get(c.unit, "")) if c.unit else "",
                c.quantity if c.unit == "hours" else "",
                c.quantity if c.unit == "m2" else "",
                euros(c.amount_cents) if c.amount_cents else "",
                cell(c.meetup.title) if c.meetup else "",
                local_date(c.fulfilled_at, "yyyy-MM-dd") if c.fulfilled_at else "",
            ]
            for c in db.session.scalars(stmt)
        ),
    )


@dataclass(frozen=True)
class Totals:
    hours: int
    value_cents: int
    money_cents: int
    count: int


def totals(
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    states: tuple[str, ...] = (FULFILLED,),
) -> Totals:
    """Hours, in-kind value and money over commitments created in [start, end)."""
    stmt = select(
        func.coalesce(
            func.sum(func.coalesce(SupportCommitment.quantity, 0)).filter(
                SupportCommitment.unit == "hours"
            ),
            0,
        ),
        func.coalesce(
            func.sum(SupportCommitment.amount_cents).filter(SupportCommitment.kind != "money"), 0
        ),
        func.coalesce(
            func.sum(SupportCommitment.amount_cents).filter(SupportCommitment.kind == "money"), 0
        ),
        func.count(SupportCommitment.id),
    ).where(SupportCommitment.state.in_(states))
    stmt = in_period(stmt, SupportCommitment.created_at, start, end)
    hours, value, money, count = db.session.execute(stmt).one()
    return Totals(int(hours), int(value), int(money), int(count))
