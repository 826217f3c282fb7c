"""Which mentors fit a request, ranked, with the reasons said in words.

A mentor is proposed only while available and with a free place. The score adds points
for each need that matches a skill, the project's sector, each shared language (a shared
language other than French counts extra: it is what many porteurs look for), the same
département (or distance mentoring when both accept it) and free places. Each point
comes with its reason, so the porteur sees *why* a mentor is suggested.

The page answers with a fixed number of statements whatever the number of mentors: one
for the porteur's current requests and pairings, one for the eligible offers with their
load, one for the tags that answer the request, two for the page shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import and_, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from tremplin.mentoring.labels import SKILL_LABELS
from tremplin.mentoring.models import (
    DEPARTEMENT,
    IN_PERSON,
    LANGUAGE,
    LOAD_STATES,
    ONLINE,
    PENDING,
    SECTOR,
    SKILL,
    MentoringRequest,
    MentorOffer,
    MentorOfferTag,
    Pairing,
)
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.paging import PageNumbers
from tremplin.platform.vocabulary import LANGUAGE_LABELS, THEME_LABELS

# A matching need outweighs everything else a mentor can offer together (sector,
# languages, territory, free places: 22 points at most), so a mentor answering more of the
# porteur's needs always ranks first; the rest orders mentors answering as many needs.
# (With the sector at 8 against 10 per need, one need and the sector beat two needs.)
POINTS = {
    "need": 30,  # per need matching one of the mentor's skills
    "sector": 6,  # the mentor knows the project's sector
    "language": 2,  # per shared language (three at most)
    "rare_language": 2,  # once, when a shared language is not French
    "territory": 5,  # same département, and the mentor meets in person
    "distance": 2,  # otherwise: both accept distance mentoring
    "place": 1,  # per free place (three at most): spreads the load
}
MAX_LANGUAGES = 3
MAX_PLACES = 3
PER_PAGE = 10


@dataclass(frozen=True)
class Wanted:
    """What a request looks for, as codes."""

    needs: tuple[str, ...]
    languages: tuple[str, ...] = ("fr",)
    departement: str | None = None
    sector: str | None = None
    format: str = "both"

    @classmethod
    def of(cls, request: MentoringRequest) -> Wanted:
        return cls(
            needs=tuple(request.needs or ()),
            languages=tuple(request.languages or ()),
            departement=request.departement,
            sector=request.sector,
            format=request.format,
        )

    @property
    def max_points(self) -> int:
        best = POINTS["need"] * len(self.needs) + POINTS["territory"]
        best += POINTS["place"] * MAX_PLACES
        best += POINTS["language"] * min(len(self.languages), MAX_LANGUAGES)
        if any(code != "fr" for code in self.languages):
            best += POINTS["rare_language"]
        if self.sector:
            best += POINTS["sector"]
        return max(best, 1)


@dataclass
class Candidate:
    """An eligible mentor, with only the tags of theirs that answer the request."""

    offer_id: int
    user_id: int
    format: str
    max_mentees: int
    load: int
    skills: set[str] = field(default_factory=set)
    sectors: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)
    departements: set[str] = field(default_factory=set)

    @property
    def free_places(self) -> int:
        return max(self.max_mentees - self.load, 0)

    def add_tag(self, kind: str, code: str) -> None:
        {
            SKILL: self.skills,
            SECTOR: self.sectors,
            LANGUAGE: self.languages,
            DEPARTEMENT: self.departements,
        }[kind].add(code)


@dataclass(frozen=True)
class Reason:
    """One reason a mentor is suggested, and the points it is worth."""

    kind: str
    points: int
    codes: tuple[str, ...] = ()
    count: int = 0

    @property
    def text(self) -> str:
        if self.kind == "needs":
            return ngettext(
                "%(num)d de vos besoins correspond à ses compétences",
                "%(num)d de vos besoins correspondent à ses compétences",
                self.count,
            )
        if self.kind == "sector":
            return _(
                "connaît votre secteur (%(sector)s)",
                sector=THEME_LABELS.get(self.codes[0], self.codes[0]),
            )
        if self.kind == "languages":
            locale = get_locale() or "fr"
            names = [str(LANGUAGE_LABELS.get(code, code)) for code in self.codes]
            if str(locale).startswith("fr"):
                names = [name[:1].lower() + name[1:] for name in names]
            return _("parle %(languages)s", languages=format_list(names, locale=locale))
        if self.kind == "territory":
            return _("même département")
        if self.kind == "distance":
            return _("accompagne à distance")
        if self.kind == "places":
            return ngettext("%(num)d place libre", "%(num)d places libres", self.count)
        return self.kind

    @property
    def detail(self) -> str:
        """The matching needs, named (shown under the reason)."""
        if self.kind == "needs":
            return ", ".join(str(SKILL_LABELS.get(code, code)) for code in self.codes)
        return ""


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    points: int
    reasons: tuple[Reason, ...]

    def sort_key(self):
        c = self.candidate
        return (-self.points, -c.free_places, c.load, c.offer_id)


def score(wanted: Wanted, candidate: Candidate) -> Scored:
    """Points and reasons of one candidate (pure: no database, no request)."""
    reasons: list[Reason] = []
    matched = tuple(code for code in wanted.needs if code in candidate.skills)
    if matched:
        reasons.append(Reason("needs", POINTS["need"] * len(matched), matched, len(matched)))
    if wanted.sector and wanted.sector in candidate.sectors:
        reasons.append(Reason("sector", POINTS["sector"], (wanted.sector,)))
    shared = [code for code in wanted.languages if code in candidate.languages]
    if shared:
        shared.sort(key=lambda code: (code == "fr", wanted.languages.index(code)))
        points = POINTS["language"] * min(len(shared), MAX_LANGUAGES)
        if any(code != "fr" for code in shared):
            points += POINTS["rare_language"]
        reasons.append(Reason("languages", points, tuple(shared), len(shared)))
    meets_in_person = candidate.format != ONLINE and wanted.format != ONLINE
    if wanted.departement and wanted.departement in candidate.departements and meets_in_person:
        reasons.append(Reason("territory", POINTS["territory"], (wanted.departement,)))
    elif candidate.format != IN_PERSON and wanted.format != IN_PERSON:
        reasons.append(Reason("distance", POINTS["distance"]))
    places = candidate.free_places
    if places > 0:
        reasons.append(Reason("places", POINTS["place"] * min(places, MAX_PLACES), count=places))
    return Scored(candidate, sum(r.points for r in reasons), tuple(reasons))


def rank(wanted: Wanted, candidates) -> list[Scored]:
    """Best first; ties go to the mentor with more free places, then the less loaded."""
    return sorted((score(wanted, c) for c in candidates if c.free_places > 0), key=Scored.sort_key)


# --- reading candidates ---------------------------------------------------------------


def _load_subquery():
    return (
        select(Pairing.mentor_id.label("mentor_id"), func.count(Pairing.id).label("load"))
        .where(Pairing.state.in_(LOAD_STATES))
        .group_by(Pairing.mentor_id)
        .subquery()
    )


def candidates(wanted: Wanted, exclude_user_ids=()) -> list[Candidate]:
    """Eligible mentors (available, active account, a free place), in two statements."""
    loads = _load_subquery()
    load = func.coalesce(loads.c.load, 0)
    stmt = (
        select(
            MentorOffer.id, MentorOffer.user_id, MentorOffer.format, MentorOffer.max_mentees, load
        )
        .join(User, User.id == MentorOffer.user_id)
        .outerjoin(loads, loads.c.mentor_id == MentorOffer.user_id)
        .where(
            MentorOffer.is_available.is_(True),
            User.deleted_at.is_(None),
            User.suspended_at.is_(None),
            load < MentorOffer.max_mentees,
        )
    )
    excluded = [uid for uid in exclude_user_ids if uid is not None]
    if excluded:
        stmt = stmt.where(MentorOffer.user_id.not_in(excluded))
    found = {
        offer_id: Candidate(offer_id, user_id, fmt, max_mentees, int(n))
        for offer_id, user_id, fmt, max_mentees, n in db.session.execute(stmt)
    }
    wanted_tags = [
        (SKILL, wanted.needs),
        (LANGUAGE, wanted.languages),
        (SECTOR, (wanted.sector,) if wanted.sector else ()),
        (DEPARTEMENT, (wanted.departement,) if wanted.departement else ()),
    ]
    conditions = [
        and_(MentorOfferTag.kind == kind, MentorOfferTag.code.in_(codes))
        for kind, codes in wanted_tags
        if codes
    ]
    if found and conditions:
        rows = db.session.execute(
            select(MentorOfferTag.offer_id, MentorOfferTag.kind, MentorOfferTag.code)
            .join(MentorOffer, MentorOffer.id == MentorOfferTag.offer_id)
            .where(MentorOffer.is_available.is_(True), or_(*conditions))
        )
        for offer_id, kind, code in rows:
            candidate = found.get(offer_id)
            if candidate is not None:
                candidate.add_tag(kind, code)
    return list(found.values())


def porteur_ties(porteur_id: int) -> tuple[set[int], set[int]]:
    """(mentors the porteur already asked and waits on, mentors already paired with them),
    in one statement."""
    rows = db.session.execute(
        union_all(
            select(MentoringRequest.mentor_id, literal("pending")).where(
                MentoringRequest.porteur_id == porteur_id, MentoringRequest.state == PENDING
            ),
            select(Pairing.mentor_id, literal("paired")).where(
                Pairing.porteur_id == porteur_id, Pairing.state.in_(LOAD_STATES)
            ),
        )
    )
    pending, paired = set(), set()
    for mentor_id, kind in rows:
        (pending if kind == "pending" else paired).add(mentor_id)
    return pending, paired


def rank_request(request: MentoringRequest) -> tuple[list[Scored], set[int]]:
    """Every eligible mentor for the request, best first, and those already asked."""
    pending, paired = porteur_ties(request.porteur_id)
    wanted = Wanted.of(request)
    ranked = rank(wanted, candidates(wanted, exclude_user_ids={request.porteur_id, *paired}))
    return ranked, pending


# --- the page -------------------------------------------------------------------------


@dataclass
class Suggestion:
    offer: MentorOffer
    points: int
    percent: int
    reasons: tuple[Reason, ...]
    free_places: int
    already_asked: bool

    @property
    def mentor(self) -> User:
        return self.offer.user


@dataclass
class Suggestions(PageNumbers):
    items: list[Suggestion]
    total: int
    page: int
    per_page: int


def suggest(request: MentoringRequest, page: int = 1, per_page: int = PER_PAGE) -> Suggestions:
    """One page of suggestions for a request, ready to show (offers, their mentor and
    profile, all their tags), in a fixed number of statements."""
    ranked, pending = rank_request(request)
    total = len(ranked)
    page = max(1, min(page, max((total + per_page - 1) // per_page, 1)))
    shown = ranked[(page - 1) * per_page : page * per_page]
    offers = {}
    if shown:
        offers = {
            offer.id: offer
            for offer in db.session.scalars(
                select(MentorOffer)
                .where(MentorOffer.id.in_([s.candidate.offer_id for s in shown]))
                .options(
                    joinedload(MentorOffer.user).joinedload(User.profile),
                    selectinload(MentorOffer.tags),
                )
            )
        }
    best = Wanted.of(request).max_points
    items = [
        Suggestion(
            offer=offers[s.candidate.offer_id],
            points=s.points,
            percent=min(100, round(100 * s.points / best)),
            reasons=s.reasons,
            free_places=s.candidate.free_places,
            already_asked=s.candidate.user_id in pending,
        )
        for s in shown
        if s.candidate.offer_id in offers
    ]
    return Suggestions(items=items, total=total, page=page, per_page=per_page)
