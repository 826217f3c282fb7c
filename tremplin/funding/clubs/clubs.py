"""A club and its members: founding, the règlement intérieur, invitations and requests
approved by the gérant, leaving, roles (changed by vote, see votes.py). The lifecycle
(active, en gestion, closed) is in lifecycle.py.

Every change that depends on a count (members, money) first takes the club's write lock
(`lock`), so two approvals at once never make a 21st member. Flushes, never commits.

Over 500 lines: membership and roles share the club lock and the member counts; the lock
itself is in locking.py. Splitting roles out is open work (#20).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tremplin.funding.clubs import notices
from tremplin.funding.clubs.dates import paris_today
from tremplin.funding.clubs.errors import (
    ClubError,
    ClubFull,
    MembershipError,
    WrongState,
)
from tremplin.funding.clubs.locking import lock  # noqa: F401  (part of the clubs' interface)
from tremplin.funding.clubs.models import (
    ACTIVE,
    CLOSED,
    DECLINED,
    FORMING,
    GERANT,
    GERANT_TERM_DAYS,
    INVITED,
    LEFT,
    MAJORITIES,
    MAX_MEMBERS,
    MEMBER,
    MEMBER_ACTIVE,
    OFFICES,
    REQUESTED,
    ClubMembership,
    InvestorClub,
    SavingsPlan,
)
from tremplin.platform.extensions import db
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow


def club_url(club: InvestorClub, endpoint: str = "clubs.dashboard", **values) -> str:
    return url_for(endpoint, club_id=club.id, **values)


def active_count(club: InvestorClub) -> int:
    return (
        db.session.scalar(
            select(func.count(ClubMembership.id)).where(
                ClubMembership.club_id == club.id, ClubMembership.state == MEMBER_ACTIVE
            )
        )
        or 0
    )


def active_members(club: InvestorClub) -> list[ClubMembership]:
    return list(
        db.session.scalars(
            select(ClubMembership)
            .where(ClubMembership.club_id == club.id, ClubMembership.state == MEMBER_ACTIVE)
            .options(joinedload(ClubMembership.user))
            .order_by(ClubMembership.id)
        )
    )


def member_users(club: InvestorClub) -> list:
    return [m.user for m in active_members(club)]


def office_holders(club: InvestorClub, *roles: str) -> list:
    return [m.user for m in active_members(club) if m.role in roles]


def _membership(club: InvestorClub, user) -> ClubMembership | None:
    return db.session.scalar(
        select(ClubMembership).where(
            ClubMembership.club_id == club.id, ClubMembership.user_id == user.id
        )
    )


# --- founding and the rules -------------------------------------------------------------

RULE_FIELDS = (
    "quorum_percent",
    "majority",
    "abstention_counts",
    "voting_days",
    "is_secret_ballot",
    "min_saving_cents",
    "max_saving_cents",
    "yearly_cap_cents",
    "payment_day",
)
CARD_FIELDS = ("name", "territory", "departement", "theme", "description", "charter", "is_public")


def check_rules(values: dict) -> None:
    """The règlement intérieur must make sense (and fit the Cigales bounds)."""
    quorum = values["quorum_percent"]
    if not 0 <= quorum <= 100:
        raise ClubError(
            _("Le quorum est un pourcentage des membres, entre 0 et 100."), field="quorum_percent"
        )
    if values["majority"] not in MAJORITIES:
        raise ClubError(_("Choisissez une règle de majorité."), field="majority")
    if not 1 <= values["voting_days"] <= 60:
        raise ClubError(_("Un vote dure entre 1 et 60 jours."), field="voting_days")
    low, high, cap = (
        values["min_saving_cents"],
        values["max_saving_cents"],
        values["yearly_cap_cents"],
    )
    if low <= 0:
        raise ClubError(
            _("L’épargne mensuelle minimale doit être positive."), field="min_saving_cents"
        )
    if high < low:
        raise ClubError(
            _("Le maximum mensuel doit être au moins égal au minimum."), field="max_saving_cents"
        )
    if cap < high or cap < low * 12:
        raise ClubError(
            _(
                "Le plafond annuel doit permettre au moins douze versements "
                "minimaux et un versement maximal."
            ),
            field="yearly_cap_cents",
        )
    if not 1 <= values["payment_day"] <= 28:
        raise ClubError(
            _("Le jour de versement est compris entre le 1er et le 28 du mois."),
            field="payment_day",
        )


def _clean_stripe_account(value: str | None) -> str | None:
    account = (value or "").strip() or None
    if account is not None and (
        not account.startswith("acct_") or len(account) > 64 or not account[5:].isalnum()
    ):
        raise ClubError(
            _("Un compte Stripe Connect commence par « acct_ »."), field="stripe_account_id"
        )
    return account


def _clean_card(values: dict) -> dict:
    name = (values.get("name") or "").strip()
    territory = (values.get("territory") or "").strip()
    if len(name) < 3:
        raise ClubError(_("Donnez un nom au club (3 caractères au moins)."), field="name")
    if not territory:
        raise ClubError(
            _("Indiquez le territoire du club (commune ou quartier)."), field="territory"
        )
    cleaned = dict(values)
    cleaned.update(
        name=name[:120],
        territory=territory[:120],
        description=(values.get("description") or "").strip() or None,
        charter=(values.get("charter") or "").strip() or None,
        departement=values.get("departement") or None,
        theme=values.get("theme") or None,
    )
    return cleaned


def create_club(founder, *, declared_natural_person: bool, **values) -> InvestorClub:
    """A new club, forming, with its founder as gérant (one-year term) and its private
    conversation opened."""
    if not declared_natural_person:
        raise MembershipError(
            _(
                "Un club d’investisseurs réunit des personnes physiques : "
                "confirmez que vous adhérez en votre nom propre."
            ),
            field="natural_person",
        )
    card = _clean_card({k: values.get(k) for k in CARD_FIELDS})
    rules = {k: values[k] for k in RULE_FIELDS if k in values}
    defaults = {
        "quorum_percent": 50,
        "majority": "simple",
        "abstention_counts": False,
        "voting_days": 7,
        "is_secret_ballot": True,
        "min_saving_cents": 750,
        "max_saving_cents": 45_000,
        "yearly_cap_cents": 550_000,
        "payment_day": 5,
    }
    rules = {**defaults, **{k: v for k, v in rules.items() if v is not None}}
    check_rules(rules)
    today = paris_today()
    club = InvestorClub(founded_on=today, state=FORMING, created_by_id=founder.id, **card, **rules)
    db.session.add(club)
    db.session.flush()
    db.session.add(
        ClubMembership(
            club=club,
            user=founder,
            state=MEMBER_ACTIVE,
            role=GERANT,
            role_since=today,
            term_ends_on=today + timedelta(days=GERANT_TERM_DAYS),
            joined_at=utcnow(),
            declared_natural_person_at=utcnow(),
        )
    )
    db.session.flush()
    ensure_conversation(club, [founder])
    return club


def update_club(club: InvestorClub, by, **values) -> InvestorClub:
    if club.state == CLOSED:
        raise WrongState()
    card = _clean_card({k: values.get(k, getattr(club, k)) for k in CARD_FIELDS})
    rules = {k: values.get(k, getattr(club, k)) for k in RULE_FIELDS}
    check_rules(rules)
    if "stripe_account_id" in values:
        account = _clean_stripe_account(values["stripe_account_id"])
        if account != club.stripe_account_id:
            club.stripe_charges_enabled = False  # until Stripe says so (connect.py)
        club.stripe_account_id = account
    for name, value in {**card, **rules}.items():
        setattr(club, name, value)
    db.session.flush()
    return club


def ensure_conversation(club: InvestorClub, users=None):
    """The club's private conversation (the groups' chat): its participants are the
    club's active members, and nobody else."""
    from tremplin.groups import open_conversation

    users = users if users is not None else member_users(club)
    conversation = open_conversation(list(users), title=club.name, kind="club", owner=club)
    club.conversation_id = conversation.id
    db.session.flush()
    return conversation


def _conversation_join(club: InvestorClub, user) -> None:
    ensure_conversation(club, [user])


def _conversation_leave(club: InvestorClub, user) -> None:
    from tremplin.groups import conversation_for, remove_participant

    conversation = conversation_for(club)
    if conversation is not None:
        remove_participant(conversation, user)


# --- joining and leaving ----------------------------------------------------------------


def _check_recruiting(club: InvestorClub) -> None:
    if club.state not in (FORMING, ACTIVE):
        raise WrongState(_("Ce club n’accueille plus de nouveaux membres."))


def _check_room(club: InvestorClub) -> None:
    if active_count(club) >= MAX_MEMBERS:
        raise ClubFull()


def _check_natural_person(declared: bool) -> None:
    if not declared:
        raise MembershipError(
            _(
                "Seules les personnes physiques peuvent être membres d’un "
                "club : cochez la case pour le confirmer."
            ),
            field="natural_person",
        )


def invite(club: InvestorClub, by, invitee, message: str | None = None) -> ClubMembership:
    lock(club)
    _check_recruiting(club)
    found = _membership(club, invitee)
    if found is not None and found.state == MEMBER_ACTIVE:
        raise MembershipError(
            _("%(name)s est déjà membre du club.", name=invitee.public_name), field="email"
        )
    if found is not None and found.state == INVITED:
        raise MembershipError(
            _("%(name)s a déjà reçu une invitation.", name=invitee.public_name), field="email"
        )
    if found is not None and found.state == REQUESTED:
        raise MembershipError(
            _(
                "%(name)s a déjà demandé à rejoindre le club : acceptez sa demande.",
                name=invitee.public_name,
            ),
            field="email",
        )
    _check_room(club)
    if found is None:
        found = ClubMembership(club=club, user=invitee)
        db.session.add(found)
    found.state, found.role, found.invited_by_id = INVITED, MEMBER, by.id
    found.message = (message or "").strip() or None
    found.created_at, found.left_at = utcnow(), None
    db.session.flush()
    notify(
        invitee,
        notices.MEMBERSHIP,
        _l(
            "%(name)s vous invite à rejoindre le club d’investisseurs « %(club)s ».",
            name=by.display_name,
            club=club.name,
        ),
        url_for("clubs.invitation", club_id=club.id),
    )
    return found


def request_to_join(
    club: InvestorClub, user, *, declared_natural_person: bool, message: str | None = None
) -> ClubMembership:
    _check_natural_person(declared_natural_person)
    lock(club)
    _check_recruiting(club)
    found = _membership(club, user)
    if found is not None and found.state in (MEMBER_ACTIVE, REQUESTED, INVITED):
        raise MembershipError(_("Vous êtes déjà membre, invité·e ou en attente de réponse."))
    _check_room(club)
    if found is None:
        found = ClubMembership(club=club, user=user)
        db.session.add(found)
    found.state, found.role, found.invited_by_id = REQUESTED, MEMBER, None
    found.message = (message or "").strip()[:2000] or None
    found.declared_natural_person_at, found.created_at, found.left_at = utcnow(), utcnow(), None
    db.session.flush()
    notices.tell_all(
        office_holders(club, GERANT, "co_gerant"),
        notices.MEMBERSHIP,
        _l(
            "%(name)s demande à rejoindre le club « %(club)s ».",
            name=user.display_name,
            club=club.name,
        ),
        club_url(club, "clubs.members"),
    )
    return found


def _activate_membership(club: InvestorClub, found: ClubMembership) -> None:
    found.state, found.role, found.joined_at, found.left_at = MEMBER_ACTIVE, MEMBER, utcnow(), None
    db.session.flush()
    _conversation_join(club, found.user)


def accept_invitation(club: InvestorClub, user, *, declared_natural_person: bool) -> ClubMembership:
    _check_natural_person(declared_natural_person)
    lock(club)
    found = _membership(club, user)
    if found is None or found.state != INVITED:
        raise MembershipError(_("Cette invitation n’existe plus."))
    _check_recruiting(club)
    _check_room(club)
    found.declared_natural_person_at = utcnow()
    _activate_membership(club, found)
    notices.tell_all(
        office_holders(club, GERANT, "co_gerant"),
        notices.MEMBERSHIP,
        _l("%(name)s a rejoint le club « %(club)s ».", name=user.display_name, club=club.name),
        club_url(club, "clubs.members"),
        but=user,
    )
    return found


def decline_invitation(club: InvestorClub, user) -> ClubMembership:
    found = _membership(club, user)
    if found is None or found.state != INVITED:
        raise MembershipError(_("Cette invitation n’existe plus."))
    found.state = DECLINED
    db.session.flush()
    return found


def approve_request(club: InvestorClub, by, found: ClubMembership) -> ClubMembership:
    lock(club)
    db.session.refresh(found)
    if found.club_id != club.id or found.state != REQUESTED:
        raise MembershipError(_("Cette demande a déjà reçu une réponse."))
    _check_recruiting(club)
    _check_room(club)
    _activate_membership(club, found)
    notify(
        found.user,
        notices.MEMBERSHIP,
        _l(
            "Bienvenue ! Votre demande d’adhésion au club « %(club)s » est acceptée.",
            club=club.name,
        ),
        club_url(club),
    )
    return found


def refuse_request(club: InvestorClub, by, found: ClubMembership) -> ClubMembership:
    if found.club_id != club.id or found.state != REQUESTED:
        raise MembershipError(_("Cette demande a déjà reçu une réponse."))
    found.state = DECLINED
    db.session.flush()
    notify(
        found.user,
        notices.MEMBERSHIP,
        _l("Le club « %(club)s » n’a pas retenu votre demande d’adhésion.", club=club.name),
        url_for("clubs.index"),
    )
    return found


def leave(club: InvestorClub, user) -> ClubMembership:
    """A member leaves. Their savings stay in the fund and keep their share of it (they
    get it back at the distribution); the gérant hands over by a vote first."""
    lock(club)
    found = _membership(club, user)
    if found is None or found.state != MEMBER_ACTIVE:
        raise MembershipError(_("Vous n’êtes pas membre de ce club."))
    if found.role == GERANT:
        raise MembershipError(
            _(
                "Le ou la gérant·e ne peut pas partir avant qu’un vote ait "
                "désigné quelqu’un d’autre."
            )
        )
    if club.state == CLOSED:
        raise WrongState()
    found.state, found.role, found.role_since, found.term_ends_on = LEFT, MEMBER, None, None
    found.left_at = utcnow()
    end_plans(found, paris_today(), club)
    db.session.flush()
    _conversation_leave(club, user)
    notices.tell_all(
        office_holders(club, GERANT, "co_gerant"),
        notices.MEMBERSHIP,
        _l("%(name)s a quitté le club « %(club)s ».", name=user.display_name, club=club.name),
        club_url(club, "clubs.members"),
    )
    return found


def end_plans(found: ClubMembership, today: date, club: InvestorClub) -> None:
    """Stop a member's savings from the first month not yet due."""
    from tremplin.funding.clubs.savings import first_month_not_due, stop_plan

    end = first_month_not_due(club, today)
    for plan in db.session.scalars(
        select(SavingsPlan).where(
            SavingsPlan.membership_id == found.id, SavingsPlan.ends_on.is_(None)
        )
    ):
        stop_plan(plan, end)


# --- roles (applied when a role vote is adopted) ------------------------------------------


def assign_role(club: InvestorClub, found: ClubMembership, role: str, today: date) -> None:
    """`found` takes the office; whoever held it goes back to being a member, and the
    office `found` held (if any) is left vacant. A gérant's term is one year."""
    if role not in OFFICES:
        raise ClubError(_("Ce rôle n’existe pas."))
    for holder in db.session.scalars(
        select(ClubMembership).where(
            ClubMembership.club_id == club.id,
            ClubMembership.role == role,
            ClubMembership.id != found.id,
        )
    ):
        holder.role, holder.role_since, holder.term_ends_on = MEMBER, None, None
    db.session.flush()  # the unique office index sees the vacancy before the new holder
    was_same = found.role == role
    found.role = role
    found.role_since = found.role_since if was_same and found.role_since else today
    found.term_ends_on = today + timedelta(days=GERANT_TERM_DAYS) if role == GERANT else None
    db.session.flush()


def clubs_of(user) -> list[InvestorClub]:
    """The clubs this member belongs to (active membership), newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(InvestorClub)
            .join(ClubMembership, ClubMembership.club_id == InvestorClub.id)
            .where(ClubMembership.user_id == user.id, ClubMembership.state == MEMBER_ACTIVE)
            .order_by(InvestorClub.created_at.desc())
        )
    )


def pending_invitations(user) -> list[ClubMembership]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(ClubMembership)
            .where(ClubMembership.user_id == user.id, ClubMembership.state == INVITED)
            .options(joinedload(ClubMembership.club))
        )
    )
