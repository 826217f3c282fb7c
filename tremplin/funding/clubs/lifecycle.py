"""A club's lifecycle: forming → active (5 members at least, for a five-year investing
period renewable once) → *en gestion* (no more savings nor investments) → closed, when the
fund is shared out pro rata of what each member saved. Flushes, never commits.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tremplin.funding import ledger
from tremplin.funding.clubs import fund, notices
from tremplin.funding.clubs.clubs import (
    active_count,
    active_members,
    club_url,
    end_plans,
    lock,
    member_users,
)
from tremplin.funding.clubs.dates import add_years, paris_today
from tremplin.funding.clubs.errors import ClubError, NotEnoughMembers, WrongState
from tremplin.funding.clubs.models import (
    ACTIVE,
    CLOSED,
    FORMING,
    INV_ACTIVE,
    INVESTING_YEARS,
    MANAGING,
    MAX_RENEWALS,
    MIN_MEMBERS,
    VOTE_OPEN,
    ClubInvestment,
    ClubVote,
    DistributionLine,
    InvestorClub,
)
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.notifications import notify


def activate(club: InvestorClub, by) -> InvestorClub:
    lock(club)
    if club.state != FORMING:
        raise WrongState(_("Ce club est déjà actif."))
    count = active_count(club)
    if count < MIN_MEMBERS:
        raise NotEnoughMembers(
            _(
                "Un club ne peut devenir actif qu’avec au moins %(min)d "
                "membres : il en compte %(count)d.",
                min=MIN_MEMBERS,
                count=count,
            )
        )
    today = paris_today()
    club.state, club.activated_on = ACTIVE, today
    club.investing_ends_on = add_years(today, INVESTING_YEARS)
    db.session.flush()
    notices.tell_all(
        member_users(club),
        notices.MEMBERSHIP,
        _l(
            "Le club « %(club)s » est actif : l’épargne et les investissements commencent.",
            club=club.name,
        ),
        club_url(club),
        but=by,
    )
    return club


def renew_period(club: InvestorClub, by) -> InvestorClub:
    lock(club)
    if club.state != ACTIVE:
        raise WrongState(_("Seul un club actif peut renouveler sa période d’investissement."))
    if club.renewal_count >= MAX_RENEWALS:
        raise WrongState(_("La période d’investissement ne se renouvelle qu’une fois."))
    club.renewal_count += 1
    club.investing_ends_on = add_years(club.investing_ends_on or paris_today(), INVESTING_YEARS)
    db.session.flush()
    notices.tell_all(
        member_users(club),
        notices.MEMBERSHIP,
        _l(
            "La période d’investissement du club « %(club)s » est renouvelée jusqu’au %(date)s.",
            club=club.name,
            date=club.investing_ends_on.strftime("%d/%m/%Y"),
        ),
        club_url(club),
        but=by,
    )
    return club


def enter_management(club: InvestorClub, by=None, today: date | None = None) -> InvestorClub:
    """*En gestion*: no more savings nor investments; the club follows its projects."""
    from tremplin.funding.clubs.savings import cancel_card_savings

    lock(club)
    if club.state != ACTIVE:
        raise WrongState(_("Seul un club actif peut passer en gestion."))
    today = today or paris_today()
    club.state, club.managing_since = MANAGING, today
    db.session.flush()
    for found in active_members(club):
        end_plans(found, today, club)
    cancel_card_savings(club)
    notices.tell_all(
        member_users(club),
        notices.MEMBERSHIP,
        _l(
            "Le club « %(club)s » est en gestion : l’épargne s’arrête, le club "
            "suit ses projets jusqu’à sa clôture.",
            club=club.name,
        ),
        club_url(club),
        but=by,
    )
    return club


def close_club(club: InvestorClub, by) -> list[DistributionLine]:
    """Close the club: the fund's cash is shared out pro rata of what each saver paid,
    recorded as one ledger movement and a statement line per saver."""
    lock(club)
    if club.state != MANAGING:
        raise WrongState(_("Un club se clôture une fois en gestion."))
    active = (
        db.session.scalar(
            select(func.count(ClubInvestment.id)).where(
                ClubInvestment.club_id == club.id, ClubInvestment.state == INV_ACTIVE
            )
        )
        or 0
    )
    if active:
        raise WrongState(
            _(
                "Des investissements sont encore en portefeuille : enregistrez "
                "leur remboursement, leur cession ou leur perte avant de clôturer."
            )
        )
    if db.session.scalar(
        select(ClubVote.id).where(ClubVote.club_id == club.id, ClubVote.state == VOTE_OPEN).limit(1)
    ):
        raise WrongState(_("Un vote est encore ouvert : attendez sa clôture."))
    cash = fund.balance(club.id)
    paid = fund.contributions(club.id)
    lines = []
    if paid:
        parts = fund.pro_rata(cash, paid)
        legs = [(fund.fund_account(club.id), -cash)] + [
            (fund.saver_account(club.id, user_id), cents) for user_id, cents in parts.items()
        ]
        if cash:
            fund.post(
                club.id,
                f"club:{club.id}:distribution",
                fund.DISTRIBUTION,
                legs,
                subject=f"club:{club.id}",
                about=ledger.PostingRef(actor=by, memo="Répartition à la clôture"),
            )
        for user_id in sorted(parts):
            line = DistributionLine(
                club_id=club.id,
                user_id=user_id,
                contributed_cents=paid[user_id],
                amount_cents=parts[user_id],
            )
            db.session.add(line)
            lines.append(line)
    elif cash:
        raise ClubError(
            _(
                "Le fonds contient de l’argent mais aucune épargne n’est "
                "enregistrée : vérifiez la trésorerie avant de clôturer."
            )
        )
    club.state, club.closed_on = CLOSED, paris_today()
    db.session.flush()
    for line in lines:
        if line.user_id is not None:
            user = db.session.get(User, line.user_id)
            notify(
                user,
                notices.PORTFOLIO,
                _l(
                    "Le club « %(club)s » est clôturé : votre part de la répartition "
                    "est de %(amount)s.",
                    club=club.name,
                    amount=_euros(line.amount_cents),
                ),
                club_url(club, "clubs.distribution"),
            )
    return lines


def _euros(cents: int) -> str:
    from tremplin.platform.templating import euros

    return euros(cents, with_cents=True)


def periods_due_for_management(today: date | None = None) -> list[InvestorClub]:
    """Active clubs whose investing period is over (for `flask clubs tick`)."""
    today = today or paris_today()
    return list(
        db.session.scalars(
            select(InvestorClub).where(
                InvestorClub.state == ACTIVE,
                InvestorClub.investing_ends_on.is_not(None),
                InvestorClub.investing_ends_on <= today,
            )
        )
    )
