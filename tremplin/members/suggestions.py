"""Who could help with a need, and which needs a member could help with — each suggestion
with the reasons that explain it ("compétence : comptabilité", "même département").

Reads only. A suggestion is made from what the person looking at it may see of each member
(`people.visible_profile`, the members' one visibility rule), so a hidden field never
explains a suggestion; a member who chose "ne pas me suggérer", or who is unavailable, is
never suggested. Candidates are loaded once per page in a fixed number of statements and
indexed by skill word family, département, language and kind of organisation, so a need is
scored against the few members who share something with it, not against everyone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.members import policies
from tremplin.members.labels import AVAILABILITY_LABELS, NEED_KIND_LABELS, ORGANISATION_LABELS
from tremplin.members.models import (
    ACCEPTED,
    AVAILABLE,
    OFFER_ACCEPTED,
    OPEN,
    UNAVAILABLE,
    HelpOffer,
    HelpPreference,
    Need,
    NeedInvitation,
    NeedSuggestionDismissal,
    Profile,
    Project,
)
from tremplin.members.people import visible_profile
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import utcnow
from tremplin.platform.vocabulary import LANGUAGE_LABELS, departement_label

# The kinds of organisation that usually answer each kind of need.
KIND_ORGANISATIONS: dict[str, frozenset[str]] = {
    "local": frozenset({"bailleur", "collectivite"}),
    "financement": frozenset({"financeur"}),
    "partenariat": frozenset({"association", "entreprise", "collectivite"}),
    "contacts": frozenset({"collectivite", "association"}),
    "competences": frozenset({"entreprise", "independant"}),
    "mentorat": frozenset(),
}
# Needs met on the spot: being in the same département is a reason on its own.
TERRITORIAL_KINDS = frozenset({"local", "contacts", "partenariat"})

# A skill that meets the need's words weighs most; two at most are counted.
WEIGHTS = {
    "skill": 3.0,
    "territory": 1.0,
    "territory_local": 3.0,
    "organisation": 2.0,
    "language": 2.0,
    "history": 1.0,
    "available": 0.5,
}
MAX_SKILLS_COUNTED = 2
MAX_HISTORY_COUNTED = 2


@dataclass(frozen=True)
class Reason:
    kind: str  # skill, territory, organisation, language, history, available
    text: Any  # a lazy string, rendered in the reader's language


@dataclass
class Suggestion:
    """A member who could help with a need, as the viewer may see them."""

    user: User
    score: float
    reasons: list[Reason]
    invitation: NeedInvitation | None = None


@dataclass
class NeedMatch:
    """An open need a member could help with."""

    need: Need
    score: float
    reasons: list[Reason]


# --- words -------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _terms(text: str) -> frozenset[str]:
    from tremplin.search import word_family

    return frozenset(word_family(text))


@lru_cache(maxsize=1)
def _language_terms() -> tuple[tuple[str, frozenset[str]], ...]:
    """Each language's name as index terms, in French (the language needs are written in)."""
    from flask_babel import force_locale

    with force_locale("fr"):
        return tuple((code, _terms(str(label))) for code, label in LANGUAGE_LABELS.items())


@dataclass(frozen=True)
class NeedWords:
    kind: str
    departement: str | None
    terms: frozenset[str]
    languages: frozenset[str]


def need_words(need: Need) -> NeedWords:
    terms = _terms(f"{need.title}\n{need.description or ''}")
    languages = frozenset(
        code
        for code, words in _language_terms()
        if words and code != "fr" and words <= terms  # French goes without saying
    )
    return NeedWords(need.kind, need.project.departement, terms, languages)


# --- what a viewer may see of a candidate ----------------------------------------------


@dataclass
class Helper:
    user: User
    skills: dict[str, str] = field(default_factory=dict)  # index term -> the skill as typed
    departement: str | None = None
    languages: frozenset[str] = frozenset()
    organisation_kind: str | None = None
    availability: str = AVAILABLE
    history: dict[str, int] = field(default_factory=dict)  # need kind -> accepted offers


def _helper(viewer, user: User, preference: HelpPreference | None, history) -> Helper:
    view = visible_profile(viewer, user)
    skills: dict[str, str] = {}
    for skill in view.skills:
        for term in _terms(skill):
            skills.setdefault(term, skill)
    return Helper(
        user=user,
        skills=skills,
        departement=view.departement,
        languages=frozenset(view.languages),
        organisation_kind=preference.organisation_kind if preference else None,
        availability=preference.availability if preference else AVAILABLE,
        history=history,
    )


def score(helper: Helper, words: NeedWords) -> tuple[float, list[Reason]]:
    """How well `helper` fits the need, and why. Zero when nothing specific fits: being
    available, or living in the same département for a need that is not met on the spot,
    adds to a reason but is none by itself."""
    total = 0.0
    reasons: list[Reason] = []
    matched = []
    for term, skill in helper.skills.items():
        if term in words.terms and skill not in matched:
            matched.append(skill)
    if matched:
        counted = matched[:MAX_SKILLS_COUNTED]
        total += WEIGHTS["skill"] * len(counted)
        reasons.append(Reason("skill", _l("Compétence : %(skills)s", skills=", ".join(counted))))
    if words.languages & helper.languages:
        names = ", ".join(
            str(LANGUAGE_LABELS[c]).lower() for c in sorted(words.languages & helper.languages)
        )
        total += WEIGHTS["language"]
        reasons.append(Reason("language", _l("Parle %(languages)s", languages=names)))
    organisations = KIND_ORGANISATIONS.get(words.kind, frozenset())
    if helper.organisation_kind and helper.organisation_kind in organisations:
        total += WEIGHTS["organisation"]
        reasons.append(
            Reason(
                "organisation",
                _l("Organisation : %(kind)s", kind=ORGANISATION_LABELS[helper.organisation_kind]),
            )
        )
    helped = min(helper.history.get(words.kind, 0), MAX_HISTORY_COUNTED)
    if helped:
        total += WEIGHTS["history"] * helped
        reasons.append(
            Reason(
                "history",
                _l(
                    "A déjà aidé sur des besoins « %(kind)s » (%(count)s)",
                    kind=NEED_KIND_LABELS.get(words.kind, words.kind),
                    count=helper.history.get(words.kind, 0),
                ),
            )
        )
    same_place = bool(words.departement and helper.departement == words.departement)
    if same_place and words.kind in TERRITORIAL_KINDS:
        total += WEIGHTS["territory_local"]
    elif same_place and total:
        total += WEIGHTS["territory"]
    if same_place and total:
        reasons.append(
            Reason(
                "territory",
                _l("Même département (%(place)s)", place=departement_label(words.departement)),
            )
        )
    if total and helper.availability == AVAILABLE:
        total += WEIGHTS["available"]
        reasons.append(Reason("available", AVAILABILITY_LABELS[AVAILABLE]))
    return total, reasons


def may_be_suggested(preference: HelpPreference | None) -> bool:
    """Never a member who chose "ne pas me suggérer", nor one who is unavailable."""
    return preference is None or not (
        preference.opted_out or preference.availability == UNAVAILABLE
    )


def _order(item) -> tuple:
    return (-item.score, getattr(getattr(item, "user", None), "id", 0))


class HelperPool:
    """Every member who may be suggested, as `viewer` may see them, indexed by what a
    need can share with them. Loaded in a fixed number of statements."""

    def __init__(self, viewer, helpers: list[Helper]):
        self.viewer = viewer
        self.helpers = {h.user.id: h for h in helpers}
        self.by_term: dict[str, set[int]] = defaultdict(set)
        self.by_place: dict[str, set[int]] = defaultdict(set)
        self.by_language: dict[str, set[int]] = defaultdict(set)
        self.by_organisation: dict[str, set[int]] = defaultdict(set)
        self.by_history: dict[str, set[int]] = defaultdict(set)
        for h in helpers:
            for term in h.skills:
                self.by_term[term].add(h.user.id)
            if h.departement:
                self.by_place[h.departement].add(h.user.id)
            for code in h.languages:
                self.by_language[code].add(h.user.id)
            if h.organisation_kind:
                self.by_organisation[h.organisation_kind].add(h.user.id)
            for kind in h.history:
                self.by_history[kind].add(h.user.id)

    @classmethod
    def load(cls, viewer, only: set[int] | None = None) -> HelperPool:
        users_q = (
            select(User)
            .where(User.deleted_at.is_(None), User.suspended_at.is_(None))
            .options(selectinload(User.profile).selectinload(Profile.tags))
        )
        prefs_q = select(HelpPreference)
        history_q = (
            select(HelpOffer.helper_id, Need.kind, func.count())
            .join(Need, Need.id == HelpOffer.need_id)
            .where(HelpOffer.status == OFFER_ACCEPTED)
            .group_by(HelpOffer.helper_id, Need.kind)
        )
        if only is not None:
            users_q = users_q.where(User.id.in_(only))
            prefs_q = prefs_q.where(HelpPreference.user_id.in_(only))
            history_q = history_q.where(HelpOffer.helper_id.in_(only))
        preferences = {p.user_id: p for p in db.session.scalars(prefs_q)}
        history: dict[int, dict[str, int]] = defaultdict(dict)
        for helper_id, kind, count in db.session.execute(history_q):
            history[helper_id][kind] = count
        return cls.build(viewer, db.session.scalars(users_q), preferences, history)

    @classmethod
    def build(cls, viewer, users, preferences: dict, history: dict) -> HelperPool:
        """The pool from loaded rows (no query): members who may be suggested, as `viewer`
        may see them."""
        helpers = []
        for user in users:
            preference = preferences.get(user.id)
            if not may_be_suggested(preference):
                continue
            if not policies.can_view_profile(viewer, user):
                continue
            helpers.append(_helper(viewer, user, preference, history.get(user.id, {})))
        return cls(viewer, helpers)

    def candidates(self, words: NeedWords) -> set[int]:
        found: set[int] = set()
        for term in words.terms:
            found |= self.by_term.get(term, set())
        for code in words.languages:
            found |= self.by_language.get(code, set())
        for kind in KIND_ORGANISATIONS.get(words.kind, ()):
            found |= self.by_organisation.get(kind, set())
        found |= self.by_history.get(words.kind, set())
        if words.departement and words.kind in TERRITORIAL_KINDS:
            found |= self.by_place.get(words.departement, set())
        return found

    def for_need(self, need: Need, *, exclude: set[int] = frozenset(), limit: int = 20):
        words = need_words(need)
        suggestions = []
        for user_id in self.candidates(words) - set(exclude):
            helper = self.helpers[user_id]
            points, reasons = score(helper, words)
            if points > 0:
                suggestions.append(Suggestion(helper.user, points, reasons))
        suggestions.sort(key=_order)
        return suggestions[:limit]


def _team_ids(project: Project) -> set[int]:
    return {m.user_id for m in project.memberships if m.status == ACCEPTED} | {project.owner_id}


def excluded_for(need: Need) -> set[int]:
    """Who is never suggested for a need: its team, and those who already offered."""
    return _team_ids(need.project) | {o.helper_id for o in need.offers}


def load_need(need_id: int) -> Need | None:
    return db.session.scalar(
        select(Need)
        .where(Need.id == need_id)
        .options(
            joinedload(Need.project).selectinload(Project.memberships),
            selectinload(Need.offers),
        )
    )


def suggestions_for_need(viewer, need: Need, *, limit: int = 20) -> list[Suggestion]:
    """Members who could help with `need`, best first, as `viewer` may see them, each with
    the invitation already sent to them (if any)."""
    pool = HelperPool.load(viewer)
    suggestions = pool.for_need(need, exclude=excluded_for(need), limit=limit)
    invitations = {
        i.invitee_id: i
        for i in db.session.scalars(select(NeedInvitation).where(NeedInvitation.need_id == need.id))
    }
    for suggestion in suggestions:
        suggestion.invitation = invitations.get(suggestion.user.id)
    return suggestions


def _open_needs():
    return (
        select(Need)
        .where(Need.status == OPEN)
        .options(
            joinedload(Need.project).selectinload(Project.memberships),
            selectinload(Need.offers),
        )
        .order_by(Need.created_at.desc(), Need.id.desc())
    )


def needs_for_member(user, *, limit: int = 5) -> list[NeedMatch]:
    """Open needs `user` could help with (what they show of themselves to the project's
    team: their members-level profile), except their own projects', those they answered
    or set aside. Nothing for a member who opted out or is unavailable."""
    if not getattr(user, "is_authenticated", False):
        return []
    team_viewer = _TeamViewer()
    pool = HelperPool.load(team_viewer, only={user.id})
    helper = pool.helpers.get(user.id)
    if helper is None:
        return []
    dismissed = set(
        db.session.scalars(
            select(NeedSuggestionDismissal.need_id).where(
                NeedSuggestionDismissal.user_id == user.id
            )
        )
    )
    matches = []
    for need in db.session.scalars(_open_needs()).unique():
        if need.id in dismissed or user.id in excluded_for(need):
            continue
        if not policies.can_view_need(user, need):
            continue
        points, reasons = score(helper, need_words(need))
        if points > 0:
            matches.append(NeedMatch(need, points, reasons))
    matches.sort(key=lambda m: (-m.score, -m.need.id))
    return matches[:limit]


class _TeamViewer:
    """A signed-in member who is nobody in particular: what a project team sees of a
    candidate (members-level fields), never the candidate's private ones."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_deleted = False
    is_organiser = False
    is_admin = False
    site_role = "member"
    suspended_at = None
    deleted_at = None
    id = None


def unanswered_needs(viewer, *, days: int, per_need: int = 3) -> list[tuple[Need, list]]:
    """Open needs with no offer at all `days` after they were posted, oldest first, each
    with its best matches: the list an organiser brings to the next evening."""
    cutoff = utcnow() - timedelta(days=days)
    needs = [
        need
        for need in db.session.scalars(_open_needs().where(Need.created_at <= cutoff)).unique()
        if not need.offers and policies.can_view_need(viewer, need)
    ]
    needs.sort(key=lambda n: (n.created_at, n.id))
    pool = HelperPool.load(viewer)
    return [(n, pool.for_need(n, exclude=excluded_for(n), limit=per_need)) for n in needs]


def invitation_for(user, need: Need) -> NeedInvitation | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(NeedInvitation)
        .where(NeedInvitation.need_id == need.id, NeedInvitation.invitee_id == user.id)
        .options(joinedload(NeedInvitation.invited_by))
    )


def team_member_ids(project: Project) -> set[int]:
    return _team_ids(project)


def preference_of(user) -> HelpPreference | None:
    return db.session.get(HelpPreference, user.id)
