"""Votes: the gérant puts a decision (an application, a role, any motion) to the members
for the window the rules set; one member, one vote, whatever they saved; secret or open as
the rules say. At the close the result is computed once from the rules copied at the
opening, frozen with the counts, and the minutes (*procès-verbal*) are written.

Races are settled by the vote's row: casting and closing both start with a conditional
UPDATE of it, so a ballot is either counted or refused, never stored after the count.
Flushes, never commits.

Over 500 lines: the ballot, the close and the minutes share the guarded updates that keep
a vote and its close from crossing (see cast()); they are one state machine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from tremplin.funding.clubs import labels, notices
from tremplin.funding.clubs.clubs import active_members, assign_role, lock, member_users
from tremplin.funding.clubs.dates import paris_today
from tremplin.funding.clubs.errors import (
    AlreadyVoted,
    NotAMember,
    NotAnElector,
    VoteClosed,
    VoteError,
    WrongState,
)
from tremplin.funding.clubs.models import (
    ABSTAIN,
    ACCEPTED,
    ACTIVE,
    ADOPTED,
    AGAINST,
    CHOICES,
    CLOSED,
    FOR,
    MEMBER_ACTIVE,
    NO_QUORUM,
    NOT_ADOPTED,
    OFFICES,
    ON_APPLICATION,
    ON_MOTION,
    ON_ROLE,
    REJECTED,
    SIMPLE,
    SUBMITTED,
    THREE_QUARTERS,
    TWO_THIRDS,
    UNANIMITY,
    UNDER_VOTE,
    VOTE_CLOSED,
    VOTE_OPEN,
    ClubApplication,
    ClubBallot,
    ClubElector,
    ClubMembership,
    ClubMinutes,
    ClubVote,
    InvestorClub,
)
from tremplin.platform.extensions import db
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow


@dataclass(frozen=True)
class VoteRules:
    """The rules a vote is decided by, copied from the club's at the opening: the quorum
    (percent of the electors), the majority, and whether abstentions count."""

    quorum_percent: int
    majority: str
    abstention_counts: bool


def outcome(
    *,
    electors: int,
    for_count: int,
    against_count: int,
    abstain_count: int,
    rules: VoteRules,
) -> str:
    """The result of a vote under a club's rules.

    Quorum: at least `quorum_percent` % of the electors took part (any ballot, abstention
    included), and at least one did. Majority, over the votes that count (pour + contre,
    plus the abstentions when the rules count them, which then weigh like a "contre"):
    simple = more than half; two thirds / three quarters = at least that share; unanimity =
    every vote that counts is "pour". Integer arithmetic only."""
    quorum_percent, majority = rules.quorum_percent, rules.majority
    abstention_counts = rules.abstention_counts
    participants = for_count + against_count + abstain_count
    if participants == 0 or participants * 100 < quorum_percent * electors:
        return NO_QUORUM
    basis = for_count + against_count + (abstain_count if abstention_counts else 0)
    if basis == 0:
        return NOT_ADOPTED
    if majority == SIMPLE:
        adopted = 2 * for_count > basis
    elif majority == TWO_THIRDS:
        adopted = 3 * for_count >= 2 * basis
    elif majority == THREE_QUARTERS:
        adopted = 4 * for_count >= 3 * basis
    elif majority == UNANIMITY:
        adopted = for_count == basis
    else:
        raise ValueError(f"unknown majority {majority!r}")
    return ADOPTED if adopted else NOT_ADOPTED


def vote_url(vote: ClubVote) -> str:
    return url_for("clubs.vote", club_id=vote.club_id, vote_id=vote.id)


# --- opening ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteFields:
    """What the gérant puts to the vote: its kind, a title (written for a motion, made up
    for the others when empty) and the motion's text; for an application, the application;
    for a role, the role and the member proposed."""

    kind: str
    title: str = ""
    motion: str | None = None
    application: ClubApplication | None = None
    role: str | None = None
    candidate_membership: ClubMembership | None = None


def open_vote(
    club: InvestorClub, by, fields: VoteFields, *, now: datetime | None = None
) -> ClubVote:
    kind, title, motion = fields.kind, fields.title, fields.motion
    application, role = fields.application, fields.role
    candidate_membership = fields.candidate_membership
    lock(club)
    now = now or utcnow()
    if club.state == CLOSED:
        raise WrongState()
    title = (title or "").strip()
    if kind == ON_APPLICATION:
        if club.state != ACTIVE:
            raise WrongState(_("Seul un club actif vote sur des candidatures."))
        if application is None or application.club_id != club.id:
            raise VoteError(_("Choisissez la candidature soumise au vote."), field="application_id")
        db.session.refresh(application)
        if application.state != SUBMITTED:
            raise VoteError(
                _("Cette candidature est déjà au vote ou a déjà reçu une réponse."),
                field="application_id",
            )
        title = title or _(
            "Investir dans « %(project)s » (%(amount)s)",
            project=application.project.title,
            amount=_money(application.amount_cents),
        )
        application.state = UNDER_VOTE
    elif kind == ON_ROLE:
        if role not in OFFICES:
            raise VoteError(_("Choisissez le rôle soumis au vote."), field="role")
        if (
            candidate_membership is None
            or candidate_membership.club_id != club.id
            or candidate_membership.state != MEMBER_ACTIVE
        ):
            raise VoteError(_("Choisissez un membre actif du club."), field="candidate_id")
        title = title or _(
            "Désigner %(name)s comme %(role)s",
            name=candidate_membership.user.display_name,
            role=str(labels.ROLES[role]).lower(),
        )
    elif kind == ON_MOTION:
        if not title:
            raise VoteError(_("Écrivez la décision soumise au vote."), field="title")
    else:
        raise VoteError()
    electors = active_members(club)
    if kind == ON_APPLICATION:
        # Conflict of interest: who carries the applying project does not vote on it (nor
        # count in the quorum); the minutes say who stood aside and why.
        electors = [m for m in electors if not conflicted(m.user, application)]
    vote = ClubVote(
        club_id=club.id,
        kind=kind,
        title=title[:200],
        motion=(motion or "").strip() or None,
        application_id=application.id if application is not None else None,
        role=role if kind == ON_ROLE else None,
        candidate_id=candidate_membership.user_id if kind == ON_ROLE else None,
        opened_by_id=by.id,
        opens_at=now,
        closes_at=now + timedelta(days=club.voting_days),
        is_secret=club.is_secret_ballot,
        quorum_percent=club.quorum_percent,
        majority=club.majority,
        abstention_counts=club.abstention_counts,
        electors_count=len(electors),
        state=VOTE_OPEN,
    )
    vote.electors = [ClubElector(user_id=m.user_id) for m in electors]
    db.session.add(vote)
    db.session.flush()
    notices.tell_all(
        [m.user for m in electors],
        notices.VOTES,
        _l(
            "Vote ouvert dans le club « %(club)s » : %(title)s. Votez avant le %(date)s.",
            club=club.name,
            title=vote.title,
            date=format_datetime(vote.closes_at, "d MMMM 'à' HH:mm"),
        ),
        vote_url(vote),
    )
    return vote


def conflicted(user, application: ClubApplication | None) -> bool:
    """A member on the team of the project that applies."""
    from tremplin.members import is_project_team_member

    return (
        application is not None
        and user is not None
        and is_project_team_member(user, application.project)
    )


def stands_aside(user, vote: ClubVote) -> bool:
    """Kept out of this vote by a conflict of interest (see `conflicted`)."""
    return vote.kind == ON_APPLICATION and conflicted(user, vote.application)


def _money(cents: int) -> str:
    from tremplin.platform.templating import euros

    return euros(cents)


# --- casting ------------------------------------------------------------------------------


def cast(vote: ClubVote, user, choice: str, now: datetime | None = None) -> ClubBallot:
    """One ballot. Refused: an unknown choice, after the window, by a non-member, by a
    member who joined after the opening, and a second time."""
    now = now or utcnow()
    if choice not in CHOICES:
        raise VoteError(_("Choisissez pour, contre ou abstention."), field="choice")
    # the vote's row first: a cast and a close never cross
    open_now = db.session.execute(
        update(ClubVote)
        .where(ClubVote.id == vote.id, ClubVote.state == VOTE_OPEN, ClubVote.closes_at > now)
        .values(electors_count=ClubVote.electors_count)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not open_now:
        raise VoteClosed()
    club = db.session.get(InvestorClub, vote.club_id)
    member = db.session.scalar(
        select(ClubMembership).where(
            ClubMembership.club_id == club.id,
            ClubMembership.user_id == getattr(user, "id", None),
            ClubMembership.state == MEMBER_ACTIVE,
        )
    )
    if member is None:
        raise NotAMember(_("Seuls les membres du club peuvent voter."))
    elector = db.session.scalar(
        select(ClubElector).where(ClubElector.vote_id == vote.id, ClubElector.user_id == user.id)
    )
    if elector is None:
        if stands_aside(user, vote):
            raise NotAnElector(
                _(
                    "Vous faites partie de l’équipe de ce projet : pour éviter "
                    "tout conflit d’intérêts, vous ne votez pas sur sa "
                    "candidature."
                )
            )
        raise NotAnElector()
    marked = db.session.execute(
        update(ClubElector)
        .where(ClubElector.id == elector.id, ClubElector.has_voted.is_(False))
        .values(has_voted=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not marked:
        raise AlreadyVoted()
    ballot = ClubBallot(
        vote_id=vote.id,
        choice=choice,
        voter_id=None if vote.is_secret else user.id,
        cast_at=None if vote.is_secret else now,
    )
    db.session.add(ballot)
    db.session.flush()
    db.session.expire(elector)
    return ballot


def has_voted(vote: ClubVote, user) -> bool:
    return any(e.user_id == getattr(user, "id", None) and e.has_voted for e in vote.electors)


def turnout(vote: ClubVote) -> int:
    return sum(1 for e in vote.electors if e.has_voted)


# --- closing ------------------------------------------------------------------------------


def close_vote(vote: ClubVote, now: datetime | None = None, *, force_complete: bool = True) -> bool:
    """Close a vote whose window is over (or, with `force_complete`, in which every
    elector has voted): count, decide, write the minutes, apply the decision. Returns
    True if this call closed it (a vote closes once)."""
    now = now or utcnow()
    remaining = (
        select(func.count(ClubElector.id))
        .where(ClubElector.vote_id == vote.id, ClubElector.has_voted.is_(False))
        .scalar_subquery()
    )
    condition = ClubVote.closes_at <= now
    if force_complete:
        condition = condition | (remaining == 0)
    moved = db.session.execute(
        update(ClubVote)
        .where(ClubVote.id == vote.id, ClubVote.state == VOTE_OPEN, condition)
        .values(state=VOTE_CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        return False
    db.session.refresh(vote)
    counts = dict(
        db.session.execute(
            select(ClubBallot.choice, func.count(ClubBallot.id))
            .where(ClubBallot.vote_id == vote.id)
            .group_by(ClubBallot.choice)
        ).all()
    )
    vote.for_count = int(counts.get(FOR, 0))
    vote.against_count = int(counts.get(AGAINST, 0))
    vote.abstain_count = int(counts.get(ABSTAIN, 0))
    vote.result = outcome(
        electors=vote.electors_count,
        for_count=vote.for_count,
        against_count=vote.against_count,
        abstain_count=vote.abstain_count,
        rules=VoteRules(
            quorum_percent=vote.quorum_percent,
            majority=vote.majority,
            abstention_counts=vote.abstention_counts,
        ),
    )
    db.session.flush()
    club = lock(db.session.get(InvestorClub, vote.club_id))
    decision = _apply(club, vote, now)
    write_minutes(club, vote, decision)
    notices.tell_all(
        member_users(club),
        notices.VOTES,
        _l(
            "Vote clos dans le club « %(club)s » : %(title)s — %(result)s.",
            club=club.name,
            title=vote.title,
            result=labels.RESULTS[vote.result],
        ),
        vote_url(vote),
    )
    return True


def _apply(club: InvestorClub, vote: ClubVote, now: datetime) -> str:
    """Carry out the decision; returns the sentence the minutes record (in French)."""
    adopted = vote.result == ADOPTED
    with force_locale("fr"):
        if vote.kind == ON_APPLICATION and vote.application is not None:
            application = vote.application
            if adopted:
                application.state, application.decided_at = ACCEPTED, now
                text = _(
                    "La candidature est acceptée : le club peut investir jusqu’à "
                    "%(amount)s dans le projet.",
                    amount=_money(application.amount_cents),
                )
            elif vote.result == NO_QUORUM:
                application.state = SUBMITTED
                text = _(
                    "Faute de quorum, aucune décision n’est prise ; la candidature peut "
                    "être soumise à un nouveau vote."
                )
            else:
                application.state, application.decided_at = REJECTED, now
                text = _("La candidature n’est pas retenue.")
            _tell_applicants(club, application, vote)
        elif vote.kind == ON_ROLE:
            member = db.session.scalar(
                select(ClubMembership).where(
                    ClubMembership.club_id == club.id, ClubMembership.user_id == vote.candidate_id
                )
            )
            role = str(labels.ROLES[vote.role]).lower()
            if not adopted:
                text = _("Les rôles du club restent inchangés.")
            elif member is None or member.state != MEMBER_ACTIVE:
                text = _(
                    "Décision adoptée mais non appliquée : la personne désignée n’est plus "
                    "membre du club."
                )
            else:
                assign_role(club, member, vote.role, paris_today(now))
                text = _(
                    "%(name)s est désigné·e %(role)s à compter du %(date)s.",
                    name=member.user.display_name,
                    role=role,
                    date=paris_today(now).strftime("%d/%m/%Y"),
                )
                if vote.role == "gerant":
                    text += " " + _(
                        "Son mandat d’un an court jusqu’au %(date)s.",
                        date=member.term_ends_on.strftime("%d/%m/%Y"),
                    )
        else:
            text = (
                _("La décision est adoptée.")
                if adopted
                else (
                    _("Faute de quorum, aucune décision n’est prise.")
                    if vote.result == NO_QUORUM
                    else _("La décision n’est pas adoptée.")
                )
            )
    db.session.flush()
    return text


def _tell_applicants(club: InvestorClub, application: ClubApplication, vote: ClubVote) -> None:
    from tremplin.members.models import ACCEPTED as TEAM_ACCEPTED
    from tremplin.members.models import ProjectMember

    team = db.session.scalars(
        select(ProjectMember)
        .where(
            ProjectMember.project_id == application.project_id,
            ProjectMember.status == TEAM_ACCEPTED,
        )
        .options(joinedload(ProjectMember.user))
    ).all()
    text = {
        ACCEPTED: _l(
            "Bonne nouvelle : le club « %(club)s » a accepté la candidature de « %(project)s ».",
            club=club.name,
            project=application.project.title,
        ),
        REJECTED: _l(
            "Le club « %(club)s » n’a pas retenu la candidature de « %(project)s ».",
            club=club.name,
            project=application.project.title,
        ),
    }.get(application.state)
    if text is None:
        return
    url = url_for("clubs.application", club_id=club.id, application_id=application.id)
    for member in team:
        notify(member.user, notices.APPLICATIONS, text, url)


def write_minutes(club: InvestorClub, vote: ClubVote, decision: str) -> ClubMinutes:
    """The procès-verbal of a closed vote, in French (it is the club's record), numbered
    in the club's sequence and sealed with a SHA-256 digest of its text."""
    electors = db.session.scalars(
        select(ClubElector)
        .where(ClubElector.vote_id == vote.id)
        .options(joinedload(ClubElector.user))
        .order_by(ClubElector.id)
    ).all()
    ballots = []
    if not vote.is_secret:
        ballots = db.session.scalars(
            select(ClubBallot)
            .where(ClubBallot.vote_id == vote.id)
            .options(joinedload(ClubBallot.voter))
            .order_by(ClubBallot.id)
        ).all()
    club.minutes_count += 1
    number = club.minutes_count
    with force_locale("fr"):

        def when(value):
            return format_datetime(value, "d MMMM y 'à' HH:mm")

        voters = [e.user.public_name for e in electors if e.has_voted]
        absent = [e.user.public_name for e in electors if not e.has_voted]
        lines = [
            _(
                "**Club d’investisseurs « %(club)s »** — procès-verbal n° %(n)d",
                club=club.name,
                n=number,
            ),
            "",
            _("**Objet du vote :** %(title)s", title=vote.title),
        ]
        if vote.motion:
            lines += ["", vote.motion]
        lines += [
            "",
            _(
                "Vote %(kind)s ouvert le %(opened)s par %(by)s, clos le %(closed)s.",
                kind=_("à bulletin secret") if vote.is_secret else _("nominatif (à main levée)"),
                opened=when(vote.opens_at),
                by=vote.opened_by.public_name if vote.opened_by else _("la gérance"),
                closed=when(vote.closed_at),
            ),
            _(
                "Règles appliquées (règlement intérieur au jour de l’ouverture) : quorum de "
                "%(q)d %% des %(n)d membres inscrits ; %(majority)s ; abstentions %(abst)s.",
                q=vote.quorum_percent,
                n=vote.electors_count,
                majority=str(labels.MAJORITIES[vote.majority]).lower(),
                abst=_("comptées comme suffrages")
                if vote.abstention_counts
                else _("non comptées dans les suffrages"),
            ),
            "",
            _(
                "**Ont pris part au vote (%(n)d sur %(total)d) :** %(names)s",
                n=len(voters),
                total=vote.electors_count,
                names=", ".join(voters) or _("personne"),
            ),
            _(
                "**N’ont pas pris part au vote :** %(names)s",
                names=", ".join(absent) or _("personne"),
            ),
            "",
            _(
                "**Résultat :** %(for)d pour, %(against)d contre, %(abst)d abstention(s) — %(result)s.",
                **{
                    "for": vote.for_count,
                    "against": vote.against_count,
                    "abst": vote.abstain_count,
                    "result": str(labels.RESULTS[vote.result]).lower(),
                },
            ),
        ]
        aside = [m.user.public_name for m in active_members(club) if stands_aside(m.user, vote)]
        if aside:
            lines += [
                "",
                _(
                    "**Se sont tenus à l’écart du vote (équipe du projet candidat, "
                    "conflit d’intérêts) :** %(names)s",
                    names=", ".join(aside),
                ),
            ]
        if ballots:
            lines += ["", _("**Détail des votes :**")]
            lines += [
                f"- {b.voter.public_name if b.voter else _('Membre supprimé')} : "
                f"{str(labels.CHOICES[b.choice]).lower()}"
                for b in ballots
            ]
        lines += ["", _("**Décision :** %(text)s", text=decision)]
        body = "\n".join(lines)
        title = _("PV n° %(n)d — %(title)s", n=number, title=vote.title)
    minutes = ClubMinutes(
        club_id=club.id,
        vote_id=vote.id,
        number=number,
        title=title[:200],
        body=body,
        result=vote.result,
        digest=hashlib.sha256(body.encode()).hexdigest(),
        created_at=vote.closed_at or utcnow(),
    )
    db.session.add(minutes)
    db.session.flush()
    return minutes


def close_due_votes(club: InvestorClub | None = None, now: datetime | None = None) -> int:
    """Close every vote whose window is over (one club, or all: `flask clubs tick`)."""
    now = now or utcnow()
    stmt = select(ClubVote).where(ClubVote.state == VOTE_OPEN, ClubVote.closes_at <= now)
    if club is not None:
        stmt = stmt.where(ClubVote.club_id == club.id)
    closed = 0
    for vote in db.session.scalars(stmt.order_by(ClubVote.id)).all():
        closed += close_vote(vote, now)
    return closed


def votes_of(club: InvestorClub) -> list[ClubVote]:
    return list(
        db.session.scalars(
            select(ClubVote)
            .where(ClubVote.club_id == club.id)
            .options(selectinload(ClubVote.electors), joinedload(ClubVote.application))
            .order_by(ClubVote.state.desc(), ClubVote.opens_at.desc(), ClubVote.id.desc())
        )
    )


def waiting_for(user, club_ids) -> int:
    """Open votes in these clubs where this member has not voted yet."""
    if not club_ids:
        return 0
    return (
        db.session.scalar(
            select(func.count(ClubElector.id))
            .join(ClubVote, ClubVote.id == ClubElector.vote_id)
            .where(
                ClubVote.club_id.in_(list(club_ids)),
                ClubVote.state == VOTE_OPEN,
                ClubVote.closes_at > utcnow(),
                ClubElector.user_id == user.id,
                ClubElector.has_voted.is_(False),
            )
        )
        or 0
    )
