"""Investments: an application the members accepted by vote becomes an investment —
instrument, amount (never more than the fund holds, nor than what was voted), the stake
in the company (with a prudence warning above 25 %, 33 % for an SA, none for a
cooperative), co-investors, one or two members who follow the project (*accompagnateurs*)
and the signed convention. Flushes, never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tremplin.funding import ledger
from tremplin.funding.clubs import documents, fund, labels, notices
from tremplin.funding.clubs.clubs import lock, member_users
from tremplin.funding.clubs.dates import paris_today
from tremplin.funding.clubs.errors import (
    ClubError,
    FundTooLow,
    StakeNeedsConfirmation,
    WrongState,
)
from tremplin.funding.clubs.models import (
    ACCEPTED,
    ACTIVE,
    CAPITAL_SHARES,
    COOPERATIVE_FORMS,
    FORMING,
    FUNDED,
    INSTRUMENTS,
    LEGAL_FORMS,
    MANAGING,
    MEMBER_ACTIVE,
    ClubApplication,
    ClubInvestment,
    ClubMembership,
    InvestmentCompanion,
    InvestorClub,
)
from tremplin.platform.extensions import db
from tremplin.platform.templating import euros


def stake_threshold(legal_form: str) -> int | None:
    """The stake (basis points) above which the club is warned: none for a cooperative
    (one member, one vote there too), 33 % for an SA, 25 % otherwise."""
    if legal_form in COOPERATIVE_FORMS:
        return None
    return 3300 if legal_form == "sa" else 2500


def stake_warning(legal_form: str, stake_basis_points: int | None) -> bool:
    threshold = stake_threshold(legal_form)
    return (
        stake_basis_points is not None and threshold is not None and stake_basis_points > threshold
    )


def investment_url(investment: ClubInvestment) -> str:
    return url_for("clubs.investment", club_id=investment.club_id, investment_id=investment.id)


def _check_investing(club: InvestorClub) -> None:
    if club.state == MANAGING:
        raise WrongState(
            _(
                "Le club est en gestion : il ne fait plus de nouvel investissement, "
                "il suit ses projets."
            )
        )
    if club.state == FORMING:
        raise WrongState(_("Le club doit être actif (5 membres au moins) pour investir."))
    if club.state != ACTIVE:
        raise WrongState(_("Ce club ne peut plus investir."))


@dataclass(frozen=True)
class InvestmentFields:
    """What the gérant records of an investment: the amount, the instrument, the company's
    legal form, the stake (capital shares only, in basis points), the co-investors, the one
    or two members who follow the project (`companion_ids`) and the date (None: today)."""

    amount_cents: int
    instrument: str
    legal_form: str
    stake_basis_points: int | None = None
    co_investors: str | None = None
    companion_ids: Sequence[int] = ()
    invested_on: date | None = None


def record_investment(
    club: InvestorClub,
    by,
    application: ClubApplication,
    fields: InvestmentFields,
    *,
    convention=None,
    confirm_stake: bool = False,
) -> ClubInvestment:
    amount_cents, instrument, legal_form = (
        fields.amount_cents,
        fields.instrument,
        fields.legal_form,
    )
    stake_basis_points, co_investors = fields.stake_basis_points, fields.co_investors
    lock(club)
    _check_investing(club)
    if application is None or application.club_id != club.id:
        raise ClubError(_("Choisissez la candidature acceptée que cet investissement concrétise."))
    db.session.refresh(application)
    if application.state != ACCEPTED:
        raise ClubError(
            _("Seule une candidature acceptée par un vote des membres devient un investissement.")
        )
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ClubError(_("Indiquez le montant investi."), field="amount")
    if amount_cents > application.amount_cents:
        raise ClubError(
            _(
                "Les membres ont voté %(voted)s : l’investissement ne peut pas "
                "dépasser ce montant.",
                voted=euros(application.amount_cents),
            ),
            field="amount",
        )
    available = fund.balance(club.id)
    if amount_cents > available:
        raise FundTooLow(
            _(
                "Le fonds disponible est de %(available)s : impossible d’investir %(amount)s.",
                available=euros(available),
                amount=euros(amount_cents),
            ),
            field="amount",
        )
    if instrument not in INSTRUMENTS:
        raise ClubError(_("Choisissez l’instrument."), field="instrument")
    if legal_form not in LEGAL_FORMS:
        raise ClubError(_("Choisissez la forme juridique de l’entreprise."), field="legal_form")
    if instrument != CAPITAL_SHARES:
        stake_basis_points = None  # only capital shares give a stake
    if stake_basis_points is not None and not 0 <= stake_basis_points <= 10_000:
        raise ClubError(_("La participation est un pourcentage entre 0 et 100."), field="stake")
    if stake_warning(legal_form, stake_basis_points) and not confirm_stake:
        raise StakeNeedsConfirmation(
            _(
                "Avec %(stake)s du capital, le club dépasserait le seuil de prudence de "
                "%(threshold)s pour une %(form)s : il pèserait trop lourd dans les décisions du "
                "projet. Confirmez en cochant la case si c’est bien voulu.",
                stake=labels.percent(stake_basis_points),
                threshold=labels.percent(stake_threshold(legal_form)),
                form=labels.LEGAL_FORMS[legal_form],
            )
        )
    companions = _companions(club, fields.companion_ids)
    investment = ClubInvestment(
        club_id=club.id,
        application_id=application.id,
        project_id=application.project_id,
        instrument=instrument,
        amount_cents=amount_cents,
        legal_form=legal_form,
        stake_basis_points=stake_basis_points,
        co_investors=(co_investors or "").strip()[:255] or None,
        invested_on=fields.invested_on or paris_today(),
        created_by_id=by.id,
        ledger_key=f"club:{club.id}:investment:{application.id}",
    )
    investment.companions = [InvestmentCompanion(user_id=m.user_id) for m in companions]
    db.session.add(investment)
    db.session.flush()
    fund.post(
        club.id,
        investment.ledger_key,
        fund.INVESTMENT,
        [
            (fund.fund_account(club.id), -amount_cents),
            (fund.investee_account(investment.id), amount_cents),
        ],
        subject=f"club_investment:{investment.id}",
        about=ledger.PostingRef(
            actor=by, memo=f"{labels.INSTRUMENTS[instrument]} — {application.project.title}"[:255]
        ),
    )
    application.state = FUNDED
    if convention is not None and getattr(convention, "filename", ""):
        attach_convention(investment, by, convention)
    db.session.flush()
    notices.tell_all(
        member_users(club),
        notices.PORTFOLIO,
        _l(
            "Le club « %(club)s » a investi %(amount)s dans « %(project)s ».",
            club=club.name,
            amount=euros(amount_cents),
            project=application.project.title,
        ),
        investment_url(investment),
        but=by,
    )
    return investment


def _companions(club: InvestorClub, ids) -> list[ClubMembership]:
    wanted = list(dict.fromkeys(int(i) for i in ids if i))
    if not 1 <= len(wanted) <= 2:
        raise ClubError(
            _("Choisissez un ou deux membres qui suivront le projet (accompagnateurs)."),
            field="companions",
        )
    found = db.session.scalars(
        select(ClubMembership).where(
            ClubMembership.club_id == club.id,
            ClubMembership.user_id.in_(wanted),
            ClubMembership.state == MEMBER_ACTIVE,
        )
    ).all()
    if len(found) != len(wanted):
        raise ClubError(_("Les accompagnateurs sont des membres du club."), field="companions")
    return list(found)


def attach_convention(investment: ClubInvestment, by, file) -> None:
    document = documents.store_document(
        file,
        club_id=investment.club_id,
        uploaded_by=by,
        investment_id=investment.id,
        field="convention",
    )
    investment.convention_id = document.id
    db.session.flush()


def accepted_applications(club: InvestorClub) -> list[ClubApplication]:
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(ClubApplication)
            .where(ClubApplication.club_id == club.id, ClubApplication.state == ACCEPTED)
            .options(joinedload(ClubApplication.project))
            .order_by(ClubApplication.decided_at)
        )
    )
