"""Who could help with a need, and which needs a member could help with — each suggestion
with the reasons that explain it ("compétence : comptabilité", "même département").

Reads only. A suggestion is made from what the person looking at it may see of each member
(`policies.can_see_field`, the members' one visibility rule), so a hidden field never
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
    PROFILE_FIELDS,
    UNAVAILABLE,
    HelpOffer,
    HelpPreference,
    Need,
    NeedInvitation,
    NeedSuggestionDismissal,
    Profile,
    ProfileTag,
    Project,
    ProjectMember,
)
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
    """Why a suggestion is made: a kind (skill, territory, organisation, language, history,
    available) and its values; `text` is the sentence, in the reader's language."""

    kind: str
    values: tuple = ()

    @property
    def text(self) -> Any:
        return _REASON_TEXTS[self.kind](*self.values)


_REASON_TEXTS = {
    "skill": lambda skills: _l("Compétence : %(skills)s", skills=", ".join(skills)),
    "language": lambda codes: _l(
        "Parle %(languages)s",
        languages=", ".join(str(LANGUAGE_LABELS[c]).lower() for c in codes),
    ),
    "organisation": lambda kind: _l("Organisation : %(kind)s", kind=ORGANISATION_LABELS[kind]),
    "history": lambda kind, count: _l(
        "A déjà aidé sur des besoins « %(kind)s » (%(count)s)",
        kind=NEED_KIND_LABELS.get(kind, kind),
        count=count,
    ),
    "territory": lambda code: _l("Même département (%(place)s)", place=departement_label(code)),
    "available": lambda: AVAILABILITY_LABELS[AVAILABLE],
}


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
    user: Any  # a User (or a loaded row with its id) — see `resolve_users`
    skills: dict[str, str] = field(default_factory=dict)  # index term -> the skill as typed
    departement: str | None = None
    languages: frozenset[str] = frozenset()
    organisation_kind: str | None = None
    availability: str = AVAILABLE
    history: dict[str, int] = field(default_factory=dict)  # need kind -> accepted offers


class Candidate:
    """A member as loaded for matching (plain columns, no ORM object): what the members'
    visibility rule (`policies.can_see_field`) reads of an owner and their profile."""

    is_deleted = False
    suspended_at = None

    def __init__(self, user_id: int, profile: CandidateProfile | None):
        self.id = user_id
        self.profile = profile


class CandidateProfile:
    def __init__(self, visibility: dict[str, str], departement, skills, languages):
        self._visibility = visibility
        self.departement = departement
        self.skills = skills
        self.languages = languages

    def visibility(self, name: str) -> str:
        return self._visibility.get(name) or PROFILE_FIELDS[name]


def _helper(viewer, user, preference: HelpPreference | None, history) -> Helper:
    """What `viewer` may see of `user` that can explain a suggestion: each field goes
    through the members' one visibility rule."""
    profile = getattr(user, "profile", None)

    def shown(name: str) -> bool:
        return profile is not None and policies.can_see_field(viewer, user, profile, name)

    skills: dict[str, str] = {}
    if shown("skills"):
        for skill in profile.skills:
            for term in _terms(skill):
                skills.setdefault(term, skill)
    return Helper(
        user=user,
        skills=skills,
        departement=profile.departement if shown("location") else None,
        languages=frozenset(profile.languages) if shown("languages") else frozenset(),
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
    matched: list[str] = []
    for term in words.terms & helper.skills.keys():
        skill = helper.skills[term]
        if skill not in matched:
            matched.append(skill)
    if matched:
        counted = tuple(sorted(matched)[:MAX_SKILLS_COUNTED])
        total += WEIGHTS["skill"] * len(counted)
        reasons.append(Reason("skill", (counted,)))
    spoken = words.languages & helper.languages
    if spoken:
        total += WEIGHTS["language"]
        reasons.append(Reason("language", (tuple(sorted(spoken)),)))
    if helper.organisation_kind and helper.organisation_kind in KIND_ORGANISATIONS.get(
        words.kind, ()
    ):
        total += WEIGHTS["organisation"]
        reasons.append(Reason("organisation", (helper.organisation_kind,)))
    helped = helper.history.get(words.kind, 0)
    if helped:
        total += WEIGHTS["history"] * min(helped, MAX_HISTORY_COUNTED)
        reasons.append(Reason("history", (words.kind, helped)))
    same_place = bool(words.departement and helper.departement == words.departement)
    if same_place and words.kind in TERRITORIAL_KINDS:
        total += WEIGHTS["territory_local"]
    elif same_place and total:
        total += WEIGHTS["territory"]
    if same_place and total:
        reasons.append(Reason("territory", (words.departement,)))
    if total and helper.availability == AVAILABLE:
        total += WEIGHTS["available"]
        reasons.append(Reason("available"))
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
        """Four statements whatever the size of the network: members with the profile
        columns the rule needs, their skill and language tags, their settings, and the
        offers of theirs that teams accepted."""
        visibility_columns = [Profile.skills_visibility, Profile.location_visibility]
        users_q = (
            select(User.id, Profile.user_id, Profile.departement, *visibility_columns)
            .add_columns(Profile.languages_visibility)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(User.deleted_at.is_(None), User.suspended_at.is_(None))
        )
        tags_q = select(ProfileTag.user_id, ProfileTag.kind, ProfileTag.value).where(
            ProfileTag.kind.in_(("skill", "language"))
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
            tags_q = tags_q.where(ProfileTag.user_id.in_(only))
            prefs_q = prefs_q.where(HelpPreference.user_id.in_(only))
            history_q = history_q.where(HelpOffer.helper_id.in_(only))
        tags: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"skill": [], "language": []})
        for user_id, kind, value in db.session.execute(tags_q.order_by(ProfileTag.id)):
            tags[user_id][kind].append(value)
        candidates = []
        for (
            user_id,
            has_profile,
            departement,
            skills_v,
            location_v,
            languages_v,
        ) in db.session.execute(users_q):
            profile = None
            if has_profile is not None:
                mine = tags.get(user_id, {"skill": [], "language": []})
                profile = CandidateProfile(
                    {"skills": skills_v, "location": location_v, "languages": languages_v},
                    departement,
                    mine["skill"],
                    mine["language"],
                )
            candidates.append(Candidate(user_id, profile))
        preferences = {p.user_id: p for p in db.session.scalars(prefs_q)}
        history: dict[int, dict[str, int]] = defaultdict(dict)
        for helper_id, kind, count in db.session.execute(history_q):
            history[helper_id][kind] = count
        return cls.build(viewer, candidates, preferences, history)

    @classmethod
    def build(cls, viewer, users, preferences: dict, history: dict) -> HelperPool:
        """The pool from loaded rows (no query): members who may be suggested, as `viewer`
        may see them."""
        # The rule is asked thousands of times: ask it of the user, not of a proxy to it.
        viewer = getattr(viewer, "_get_current_object", lambda: viewer)()
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


def resolve_users(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Replace the loaded rows of the suggestions shown by the members themselves (with
    their profile, for names and pictures): two statements for the whole page."""
    wanted = {s.user.id for s in suggestions if not isinstance(s.user, User)}
    if wanted:
        users = {
            u.id: u
            for u in db.session.scalars(
                select(User).where(User.id.in_(wanted)).options(selectinload(User.profile))
            )
        }
        for suggestion in suggestions:
            suggestion.user = users.get(suggestion.user.id, suggestion.user)
    return suggestions


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
    suggestions = resolve_users(pool.for_need(need, exclude=excluded_for(need), limit=limit))
    invitations = {
        i.invitee_id: i
        for i in db.session.scalars(select(NeedInvitation).where(NeedInvitation.need_id == need.id))
    }
    for suggestion in suggestions:
        suggestion.invitation = invitations.get(suggestion.user.id)
    return suggestions


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
    answered = select(HelpOffer.need_id).where(HelpOffer.helper_id == user.id)
    dismissed = select(NeedSuggestionDismissal.need_id).where(
        NeedSuggestionDismissal.user_id == user.id
    )
    own = select(ProjectMember.project_id).where(
        ProjectMember.user_id == user.id, ProjectMember.status == ACCEPTED
    )
    stmt = (
        select(Need)
        .join(Project, Project.id == Need.project_id)
        .where(
            Need.status == OPEN,
            Need.id.not_in(answered),
            Need.id.not_in(dismissed),
            Need.project_id.not_in(own),
            Project.owner_id != user.id,
        )
        .options(joinedload(Need.project))
    )
    matches = []
    for need in db.session.scalars(stmt):
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


def unanswered_needs(
    viewer, *, days: int, per_need: int = 3, limit: int = 50
) -> list[tuple[Need, list]]:
    """The `limit` oldest open needs with no offer at all `days` after they were posted,
    each with its best matches: the list an organiser brings to the next evening."""
    cutoff = utcnow() - timedelta(days=days)
    offered = select(HelpOffer.need_id)
    needs = [
        need
        for need in db.session.scalars(
            select(Need)
            .where(Need.status == OPEN, Need.created_at <= cutoff, Need.id.not_in(offered))
            .options(
                joinedload(Need.project).selectinload(Project.memberships),
                selectinload(Need.offers),
            )
            .order_by(Need.created_at, Need.id)
            .limit(limit)
        ).unique()
        if policies.can_view_need(viewer, need)
    ]
    pool = HelperPool.load(viewer)
    rows = [(n, pool.for_need(n, exclude=excluded_for(n), limit=per_need)) for n in needs]
    resolve_users([s for _need, found in rows for s in found])
    return rows


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
