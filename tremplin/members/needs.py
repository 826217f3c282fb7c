"""Needs and offers of help: a team says what its project needs; members outside the team
offer help, once per need; the team accepts or declines; acceptance puts the helper and the
team member who accepted in touch (*mise en relation*). Writes flush and never commit."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from tremplin.members import notices, policies, signals
from tremplin.members.feed import followers_of
from tremplin.members.models import (
    FULFILLED,
    NEED_KINDS,
    NEED_UNITS,
    OFFER_ACCEPTED,
    OFFER_DECLINED,
    OPEN,
    PENDING,
    WITHDRAWN,
    HelpOffer,
    Need,
    Project,
    ProjectMember,
)
from tremplin.members.projects import touch, with_person
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow

MAX_QUANTITY = {"eur": 10_000_000, "m2": 100_000, "hours": 100_000}


class InvalidNeed(DomainError):
    default_message = _l("Ce besoin contient une valeur non reconnue.")


class NeedFulfilled(DomainError):
    default_message = _l("Ce besoin est déjà pourvu : il n’attend plus de proposition.")


class AlreadyOffered(DomainError):
    default_message = _l("Vous avez déjà proposé votre aide pour ce besoin.")


class OwnNeed(DomainError):
    default_message = _l(
        "Vous faites partie de l’équipe de ce projet : vous ne pouvez pas "
        "répondre à ses propres besoins."
    )


class OfferClosed(DomainError):
    default_message = _l("Cette proposition a déjà reçu une réponse.")


@dataclass(frozen=True)
class NeedFields:
    """What a team writes about a need: its kind, a title, a description, and how much
    (`quantity` in `unit`: "eur", "m2" or "hours"), when it is countable."""

    kind: str
    title: str
    description: str | None = None
    quantity: int | None = None
    unit: str | None = None


def _clean(fields: NeedFields) -> dict:
    kind, title, quantity, unit = fields.kind, fields.title, fields.quantity, fields.unit
    if kind not in NEED_KINDS:
        raise InvalidNeed(field="kind")
    title = " ".join((title or "").split())
    if not 3 <= len(title) <= 140:
        raise InvalidNeed(_("Le titre doit faire entre 3 et 140 caractères."), field="title")
    values = {
        "kind": kind,
        "title": title,
        "description": (fields.description or "").strip() or None,
        "amount_cents": None,
        "quantity": None,
        "quantity_unit": None,
    }
    if quantity is not None:
        if unit not in NEED_UNITS:
            raise InvalidNeed(_("Précisez l’unité : euros, m² ou heures."), field="unit")
        if not 0 < quantity <= MAX_QUANTITY[unit]:
            raise InvalidNeed(
                _("La quantité doit être comprise entre 1 et %(max)d.", max=MAX_QUANTITY[unit]),
                field="quantity",
            )
        if unit == "eur":
            values["amount_cents"] = int(quantity) * 100
        else:
            values["quantity"], values["quantity_unit"] = int(quantity), unit
    return values


def create_need(project: Project, by: User, fields: NeedFields) -> Need:
    if not policies.can_edit_project(by, project):
        raise NotAllowed()
    need = Need(project=project, created_by_id=by.id, **_clean(fields))
    db.session.add(need)
    touch(project)
    db.session.flush()
    signals.need_created.send(need, by=by)
    _tell_followers(
        project,
        by,
        _l(
            "Nouveau besoin pour « %(project)s » : %(need)s", project=project.title, need=need.title
        ),
        url_for("members.need", need_id=need.id),
    )
    return need


def update_need(need: Need, by: User, fields: NeedFields) -> Need:
    if not policies.can_edit_project(by, need.project):
        raise NotAllowed()
    for name, value in _clean(fields).items():
        setattr(need, name, value)
    db.session.flush()
    signals.need_updated.send(need)
    return need


def set_fulfilled(need: Need, by: User, fulfilled: bool = True) -> Need:
    if not policies.can_edit_project(by, need.project):
        raise NotAllowed()
    need.status = FULFILLED if fulfilled else OPEN
    need.fulfilled_at = utcnow() if fulfilled else None
    touch(need.project)
    db.session.flush()
    signals.need_updated.send(need)
    return need


def _tell_followers(project: Project, actor: User, text, url: str) -> None:
    team = {m.user_id for m in project.memberships}
    for follower in followers_of(project=project, user=actor):
        if follower.id not in team and follower.id != actor.id:
            notify(follower, notices.FOLLOWED, text, url)


# --- offers of help ---------------------------------------------------------------------


def offer_help(need: Need, helper: User, message: str) -> HelpOffer:
    """Answer a need. Refused when the need is fulfilled, when the helper is on the team, or
    when they already answered it (the database's unique constraint settles races)."""
    if not getattr(helper, "is_authenticated", False):
        raise NotAllowed()
    if need.status != OPEN:
        raise NeedFulfilled()
    if policies.is_team_member(helper, need.project):
        raise OwnNeed()
    if any(o.helper_id == helper.id for o in need.offers):
        raise AlreadyOffered()
    if not policies.can_view_need(helper, need):
        raise NotAllowed()
    message = (message or "").strip()
    if not 10 <= len(message) <= 2000:
        raise DomainError(
            _("Votre message doit faire entre 10 et 2000 caractères."), field="message"
        )
    offer = HelpOffer(need_id=need.id, helper_id=helper.id, message=message)
    try:
        with db.session.begin_nested():
            db.session.add(offer)
            db.session.flush()
    except IntegrityError as exc:
        raise AlreadyOffered() from exc
    need.offers.append(offer)
    signals.help_offered.send(offer)
    url = url_for("members.need", need_id=need.id)
    for membership in need.project.team:
        notify(
            membership.user,
            notices.OFFERS,
            _l(
                "%(name)s propose son aide pour votre besoin « %(need)s ».",
                name=helper.public_name,
                need=need.title,
            ),
            url,
            template="email/members_offer.txt",
            helper_name=helper.public_name,
            need_title=need.title,
            project_title=need.project.title,
            message=message,
        )
    return offer


def respond_to_offer(offer: HelpOffer, by: User, accept: bool) -> HelpOffer:
    if not policies.can_edit_project(by, offer.need.project):
        raise NotAllowed()
    if offer.status != PENDING:
        raise OfferClosed()
    offer.status = OFFER_ACCEPTED if accept else OFFER_DECLINED
    offer.responded_by = by
    offer.responded_at = utcnow()
    db.session.flush()
    need, url = offer.need, url_for("members.need", need_id=offer.need_id)
    if accept:
        signals.offer_accepted.send(offer, by=by)
        notify(
            offer.helper,
            notices.OFFERS,
            _l(
                "Mise en relation : %(name)s a accepté votre aide pour « %(need)s ». "
                "Vous pouvez maintenant voir ses coordonnées.",
                name=by.public_name,
                need=need.title,
            ),
            url,
            template="email/members_contact.txt",
            other_name=by.public_name,
            need_title=need.title,
            project_title=need.project.title,
        )
        notify(
            by,
            notices.OFFERS,
            _l(
                "Mise en relation : vous pouvez maintenant voir les coordonnées de "
                "%(name)s pour « %(need)s ».",
                name=offer.helper.public_name,
                need=need.title,
            ),
            url,
            template="email/members_contact.txt",
            other_name=offer.helper.public_name,
            need_title=need.title,
            project_title=need.project.title,
        )
    else:
        notify(
            offer.helper,
            notices.OFFERS,
            _l(
                "L’équipe de « %(project)s » a décliné votre proposition pour "
                "« %(need)s ». Merci pour votre geste !",
                project=need.project.title,
                need=need.title,
            ),
            url,
        )
    return offer


def withdraw_offer(offer: HelpOffer, helper: User) -> HelpOffer:
    if not policies.can_withdraw_offer(helper, offer):
        raise OfferClosed()
    offer.status = WITHDRAWN
    offer.responded_at = utcnow()
    db.session.flush()
    return offer


# --- loading ----------------------------------------------------------------------------


def load_need_page(need_id: int) -> Need | None:
    """A need with its project's team and every offer, helpers and responders included."""
    return db.session.scalar(
        select(Need)
        .where(Need.id == need_id)
        .options(
            joinedload(Need.project)
            .selectinload(Project.memberships)
            .options(with_person(ProjectMember.user)),
            joinedload(Need.created_by),
            selectinload(Need.offers).options(
                with_person(HelpOffer.helper), with_person(HelpOffer.responded_by)
            ),
        )
    )


def get_offer(offer_id: int) -> HelpOffer | None:
    return db.session.scalar(
        select(HelpOffer)
        .where(HelpOffer.id == offer_id)
        .options(
            joinedload(HelpOffer.need).joinedload(Need.project).selectinload(Project.memberships)
        )
    )


def offers_by(user: User) -> list[HelpOffer]:
    """The offers a member made, newest first (their dashboard and their data export)."""
    return list(
        db.session.scalars(
            select(HelpOffer)
            .where(HelpOffer.helper_id == user.id)
            .options(joinedload(HelpOffer.need).joinedload(Need.project))
            .order_by(HelpOffer.created_at.desc())
        )
    )


def contact_between(viewer, other: User):
    """`other`'s contact details when an accepted offer put them in touch with `viewer`
    (either side), else None."""
    from sqlalchemy import and_, exists, or_

    from tremplin.members.people import contact_details

    if not getattr(viewer, "is_authenticated", False) or viewer.id == other.id or other.is_deleted:
        return None
    pair = or_(
        and_(HelpOffer.helper_id == viewer.id, HelpOffer.responded_by_id == other.id),
        and_(HelpOffer.helper_id == other.id, HelpOffer.responded_by_id == viewer.id),
    )
    linked = db.session.scalar(select(exists().where(pair, HelpOffer.status == OFFER_ACCEPTED)))
    return contact_details(other) if linked else None
