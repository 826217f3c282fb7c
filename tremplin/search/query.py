"""Answering a search: read what the person typed (leniently: no syntax can make it
fail), ask the backend for what the searcher's tokens allow, re-check every hit against
the owning module's policy, and dress the page (labels, facets, suggestions).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from tremplin.platform import policies as platform_policies
from tremplin.platform.extensions import db
from tremplin.platform.paging import PageNumbers
from tremplin.platform.types import utcnow
from tremplin.platform.vocabulary import DEPARTEMENT_LABELS, THEME_LABELS, departement_label
from tremplin.search.backend import Hit, QuerySpec
from tremplin.search.documents import (
    ANYONE,
    MEMBERS,
    ORGANISERS,
    READABLE_CACHE,
    VISITORS,
    registry,
)

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
MAX_PAGE = 50
PER_PAGE = 20
# Bare operators people type out of habit (Whoosh or web syntax): ignored, not searched.
OPERATORS = {"AND", "OR", "NOT", "ET", "OU", "SAUF"}
PHRASE = re.compile(r'"([^"]*)"|«([^»]*)»|“([^”]*)”')
SORTS = ("pertinence", "date")


@dataclass
class ParsedQuery:
    text: str
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases)


def parse(raw: str | None) -> ParsedQuery:
    """Words and "quoted phrases"; everything else (brackets, stars, colons, unbalanced
    quotes, control characters, boolean operators) is treated as a separator."""
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())[:MAX_QUERY_LENGTH]
    phrases: list[str] = []

    def take(match: re.Match) -> str:
        phrase = " ".join(next(g for g in match.groups() if g is not None).split())
        if phrase:
            phrases.append(phrase)
        return " "

    rest = PHRASE.sub(take, text)
    words = [w for w in rest.split() if w not in OPERATORS and any(ch.isalnum() for ch in w)]
    return ParsedQuery(text=text, words=words[:MAX_WORDS], phrases=phrases[:3])


# --- who is searching --------------------------------------------------------------------


def principals_for(user) -> frozenset[str]:
    """The acl tokens a searcher holds: the coarse pre-filter. Policies decide at the end."""
    db.session.info.pop(READABLE_CACHE, None)
    tokens = {ANYONE}
    if platform_policies.is_member(user):
        tokens |= {MEMBERS, f"user:{user.id}"}
        if platform_policies.is_organiser(user):
            tokens.add(ORGANISERS)
    else:
        tokens.add(VISITORS)
    for doc_type in registry.types.values():
        if doc_type.principals is not None:
            tokens |= doc_type.principals(user)
    return frozenset(tokens)


# --- the answer ----------------------------------------------------------------------------


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Facet:
    name: str
    label: Any
    options: list[FacetOption]


@dataclass
class ResultItem:
    type_name: str
    type_label: Any
    url: str | None
    title_html: Markup
    title: str
    snippet_html: Markup
    subtitle: str
    meta: list[str]
    date: Any
    obj: Any = None


@dataclass
class SearchResults(PageNumbers):
    query: str
    items: list[ResultItem] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE
    facets: list[Facet] = field(default_factory=list)
    sort: str = "pertinence"
    suggestion: str | None = None  # "did you mean"
    corrected_from: str | None = None  # shown results are for `query`, not this
    any_word: bool = False  # no result had every word: results with at least one
    too_short: bool = False
    filters: dict[str, Any] = field(default_factory=dict)
    max_pages = MAX_PAGE  # not a field: PageNumbers reads it


def periods() -> dict[str, tuple[Any, Any, Any]]:
    now = utcnow()
    return {
        "a-venir": (_l("À venir"), now, None),
        "7-jours": (_l("7 derniers jours"), now - timedelta(days=7), now),
        "30-jours": (_l("30 derniers jours"), now - timedelta(days=30), now),
        "12-mois": (_l("12 derniers mois"), now - timedelta(days=365), now),
    }


def stage_labels() -> dict[str, Any]:
    from tremplin.search.documents import STAGE_LABELS

    return dict(STAGE_LABELS)


def clean_filters(types=(), theme=None, territory=None, stage=None, period=None) -> dict:
    """Keep the filters that name something that exists; drop the rest silently."""
    return {
        "types": tuple(t for t in dict.fromkeys(types or ()) if t in registry.types),
        "theme": theme if theme in THEME_LABELS else None,
        "territory": territory if territory in DEPARTEMENT_LABELS else None,
        "stage": stage if stage in stage_labels() else None,
        "period": period if period in periods() else None,
    }


@dataclass(frozen=True)
class SearchOptions:
    """What the searcher chose beside the words: the filters (types, theme, territory,
    stage, period; unknown values are dropped), the order ("pertinence" or "date"), and
    whether a misspelt query that finds nothing may be answered by its correction."""

    types: tuple[str, ...] | list[str] = ()
    theme: str | None = None
    territory: str | None = None
    stage: str | None = None
    period: str | None = None
    sort: str = "pertinence"
    correct: bool = True


def search(
    user,
    text: str | None,
    options: SearchOptions | None = None,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    instant: bool = False,
) -> SearchResults:
    """Search everything `user` (a member, or anonymous) may see. Never raises on what
    was typed: an empty or unusable query answers with `too_short`. When nothing matches
    a misspelt query, the corrected one answers (`corrected_from`) unless
    `options.correct` is False; when little matches, a better spelling is suggested
    (`suggestion`)."""
    options = options or SearchOptions()
    parsed = parse(text)
    filters = clean_filters(
        options.types, options.theme, options.territory, options.stage, options.period
    )
    sort = options.sort if options.sort in SORTS else "pertinence"
    page = min(max(1, int(page or 1)), MAX_PAGE)
    results = SearchResults(
        query=parsed.text, page=page, per_page=per_page, sort=sort, filters=filters
    )
    if parsed.is_empty:
        results.too_short = bool(parsed.text)
        return results
    backend = current_app.extensions["search"].backend
    all_periods = periods()
    spec = QuerySpec(
        words=parsed.words,
        phrases=parsed.phrases,
        principals=principals_for(user),
        types=filters["types"],
        filters={k: filters[k] for k in ("theme", "territory", "stage") if filters[k]},
        date_range=all_periods[filters["period"]][1:] if filters["period"] else None,
        sort="date" if sort == "date" else "relevance",
        page=page,
        per_page=per_page,
        prefix=instant,
        facets=() if instant else ("type", "theme", "territory", "stage"),
        date_facets={} if instant else {k: v[1:] for k, v in all_periods.items()},
        highlight=not instant,
    )
    found = backend.query(spec)
    if not found.searchable:
        results.too_short = True
        return results
    if found.total < 3 and options.correct:
        corrected = _corrected(backend, parsed, spec)
        if corrected is not None:
            text_fixed, spec_fixed, found_fixed = corrected
            if found.total == 0:
                results.corrected_from, results.query = parsed.text, text_fixed
                spec, found = spec_fixed, found_fixed
            elif found_fixed.total > found.total:
                results.suggestion = text_fixed
    if found.total == 0 and len(parsed.words) + len(parsed.phrases) > 1:
        spec.match_all = False
        found = backend.query(spec)
        results.any_word = found.total > 0
    results.total = found.total
    results.items = _checked(user, found.hits)
    if not instant:
        results.facets = _facets(found.facets, filters)
    return results


def _corrected(backend, parsed: ParsedQuery, spec: QuerySpec):
    """A corrected query that finds more, with the searcher's own filters: a suggestion
    never reveals a word only found in what the searcher may not see."""
    fixes = backend.corrections(parsed.words)
    if not fixes:
        return None
    words = [fixes.get(w, w) for w in parsed.words]
    fixed = replace(spec, words=words)
    found = backend.query(fixed)
    if found.total == 0:
        return None
    text = parsed.text
    for wrong, right in fixes.items():
        text = re.sub(rf"(?<!\w){re.escape(wrong)}(?!\w)", right, text)
    return text, fixed, found


def _checked(user, hits: list[Hit]) -> list[ResultItem]:
    """Every hit goes through its module's view policy; stale hits are dropped from
    the page and from the index."""
    by_type: dict[str, set[int]] = {}
    for hit in hits:
        type_name, _sep, raw = hit.id.partition(":")
        if type_name in registry.types and raw.isdigit():
            by_type.setdefault(type_name, set()).add(int(raw))
    loaded: dict[str, dict[int, Any]] = {}
    for type_name, ids in by_type.items():
        doc_type = registry.types[type_name]
        loaded[type_name] = {
            obj.id: obj
            for obj in db.session.scalars(
                select(doc_type.model)
                .where(doc_type.model.id.in_(ids))
                .options(*doc_type.load_options())
            )
        }
    items, stale = [], set()
    themes, stages = THEME_LABELS, stage_labels()
    for hit in hits:
        type_name, _sep, raw = hit.id.partition(":")
        doc_type = registry.types.get(type_name)
        obj = loaded.get(type_name, {}).get(int(raw)) if raw.isdigit() else None
        if doc_type is None or obj is None:
            stale.add(hit.id)
            continue
        if not doc_type.can_view(user, obj):
            continue
        title = hit.title
        title_html = hit.title_html
        if doc_type.display_title is not None:
            title = doc_type.display_title(obj)
            title_html = escape(title)
        meta = [str(themes[t]) for t in hit.themes if t in themes][:2]
        if hit.territory:
            meta.append(departement_label(hit.territory))
        meta.extend(str(stages[s]) for s in hit.stages if s in stages)
        items.append(
            ResultItem(
                type_name=type_name,
                type_label=doc_type.label,
                url=doc_type.url(obj),
                title_html=title_html,
                title=title,
                snippet_html=hit.snippet_html,
                subtitle=hit.subtitle,
                meta=meta,
                date=hit.date,
                obj=obj,
            )
        )
    if stale:
        current_app.extensions["search"].indexer.refresh(stale)
    return items


def _facets(counts: dict[str, list[tuple[str, int]]], filters: dict) -> list[Facet]:
    facets = []
    type_counts = dict(counts.get("type", ()))
    facets.append(
        Facet(
            "type",
            _l("Type"),
            [
                FacetOption(t.name, str(t.plural), type_counts[t.name], t.name in filters["types"])
                for t in registry.ordered()
                if type_counts.get(t.name)
            ],
        )
    )
    facets.append(
        Facet(
            "theme",
            _l("Thème"),
            [
                FacetOption(code, str(THEME_LABELS[code]), n, code == filters["theme"])
                for code, n in counts.get("theme", ())
                if code in THEME_LABELS
            ],
        )
    )
    facets.append(
        Facet(
            "territory",
            _l("Territoire"),
            [
                FacetOption(code, departement_label(code), n, code == filters["territory"])
                for code, n in counts.get("territory", ())
                if code in DEPARTEMENT_LABELS
            ][:20],
        )
    )
    stages = stage_labels()
    stage_counts = dict(counts.get("stage", ()))
    facets.append(
        Facet(
            "stage",
            _l("Étape du projet"),
            [
                FacetOption(code, str(label), stage_counts[code], code == filters["stage"])
                for code, label in stages.items()
                if stage_counts.get(code)
            ],
        )
    )
    date_counts = dict(counts.get("date", ()))
    facets.append(
        Facet(
            "period",
            _l("Date"),
            [
                FacetOption(code, str(label), date_counts[code], code == filters["period"])
                for code, (label, _start, _end) in periods().items()
                if date_counts.get(code)
            ],
        )
    )
    return [f for f in facets if f.options]
