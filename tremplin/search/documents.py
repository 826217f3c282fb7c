"""The registry of searchable types: for each, how to turn a row into documents, which
model changes call for a refresh, who may see a hit (the owning module's own policy), and
where a hit leads.

Search never writes anything but its index, and knows no module: each module registers
its own types from its `search.py` when the application starts (`init_module`), with the
helpers below; a module that is absent simply has no type.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect as sa_inspect
from werkzeug.routing import BuildError

from tremplin.platform.text import plain_excerpt
from tremplin.search.backend import MAX_BODY, Document

log = logging.getLogger(__name__)

# Tokens of the `acl` field (what a searcher must hold one of). Per-object tokens are
# "group:<id>" (readers of a group), "conv:<id>" (participants), "user:<id>".
ANYONE, VISITORS, MEMBERS, ORGANISERS = "anyone", "visitors", "members", "organisers"
# session.info key: the groups a searcher may read, computed once per search.
READABLE_CACHE = "tremplin_search_readable_groups"


# --- what a watcher may ask for -------------------------------------------------------------


@dataclass(frozen=True)
class Cascade:
    """Refresh every object of `type_name` matching `criterion()` (a SQL condition on the
    type's model), resolved after the commit: e.g. the needs of a project that changed."""

    type_name: str
    criterion: Callable[[], Any] = field(compare=False)
    origin: str = ""  # with type_name, what makes two cascades the same one


@dataclass(frozen=True)
class Removal:
    """Remove the documents of `key` and every document it parents (a deleted channel's
    messages, which the database deletes without the ORM seeing them)."""

    key: str


Change = str | Cascade | Removal


@dataclass
class DocumentType:
    name: str
    label: Any  # lazy singular, e.g. "Projet"
    plural: Any  # lazy plural, for facets
    model: type
    build: Callable[[Any], list[Document]]
    can_view: Callable[[Any, Any], bool]
    url: Callable[[Any], str | None]
    # model class -> watcher(instance, state) -> changes; state is new / dirty / deleted
    watches: dict[type, Callable[[Any, str], Iterable[Change]]] = field(default_factory=dict)
    load_options: Callable[[], list] = list
    # the extra acl tokens a searcher holds for this type (the groups they can read…)
    principals: Callable[[Any], set[str]] | None = None
    # a display title computed from the loaded object (messages: "Message de …")
    display_title: Callable[[Any], str] | None = None
    order: int = 50


class Registry:
    def __init__(self):
        self.types: dict[str, DocumentType] = {}
        self._watchers: dict[type, list[Callable]] = {}
        self._tables: dict[str, type] = {}

    def register(self, doc_type: DocumentType) -> None:
        if doc_type.name in self.types:
            return
        self.types[doc_type.name] = doc_type
        watches = dict(doc_type.watches)
        watches.setdefault(doc_type.model, _identity(doc_type.name))
        for model, watcher in watches.items():
            self._watchers.setdefault(model, []).append(watcher)
            self._tables[model.__table__.name] = model

    def unregister(self, name: str) -> None:
        """Forget a type (tests register throwaway types)."""
        doc_type = self.types.pop(name, None)
        if doc_type is None:
            return
        self._watchers = {}
        self._tables = {}
        remaining = list(self.types.values())
        self.types = {}
        for other in remaining:
            self.register(other)

    def ordered(self) -> list[DocumentType]:
        return sorted(self.types.values(), key=lambda t: (t.order, t.name))

    def watchers_for(self, cls: type) -> list[Callable]:
        found = []
        for klass in cls.__mro__:
            found.extend(self._watchers.get(klass, ()))
        return found

    def model_for_table(self, table_name: str | None) -> type | None:
        return self._tables.get(table_name) if table_name else None


registry = Registry()


def key(type_name: str, object_id: int) -> str:
    return f"{type_name}:{object_id}"


def split_key(value: str) -> tuple[str, int] | None:
    type_name, _, raw = value.partition(":")
    try:
        return type_name, int(raw)
    except ValueError:
        return None


def _identity(type_name: str):
    def watcher(obj, state):
        object_id = column(obj, "id")
        return [key(type_name, object_id)] if object_id is not None else []

    return watcher


def column(obj, name: str):
    """A column value without loading anything (watchers run inside a flush); `obj` may
    also be a plain row of a bulk statement."""
    value = obj.__dict__.get(name)
    if value is None and name == "id":
        state = sa_inspect(obj, raiseerr=False)
        identity = state.identity if state is not None else None
        if identity:
            value = identity[0]
    return value


def changed(obj, *attributes: str) -> bool:
    """Whether any of these attributes changed in the flush being handled."""
    state = sa_inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def touched(obj, state: str, *attributes: str) -> bool:
    """New, changed by a bulk UPDATE (no history to read: assume everything), or one of
    these attributes changed in the flush."""
    return state in ("new", "bulk") or (state == "dirty" and changed(obj, *attributes))


def plain(text: str | None) -> str:
    """Markdown as plain text (the index holds words, snippets are escaped by us)."""
    if not text:
        return ""
    return html.unescape(plain_excerpt(text, MAX_BODY))


def safe_url(endpoint: str, **values) -> str | None:
    from flask import url_for

    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def join(*parts) -> str:
    return " · ".join(str(p) for p in parts if p)


class Audience:
    """A stand-in viewer: a visitor, or a signed-in member who is nobody in particular
    (no group, no project, not the owner). Documents are built for what such a viewer
    sees; the real searcher is checked again by the policy at query time."""

    def __init__(self, authenticated: bool):
        self.is_authenticated = authenticated
        self.is_anonymous = not authenticated
        self.is_active = True
        self.is_deleted = False
        self.is_organiser = False
        self.is_admin = False
        self.site_role = "member"
        self.suspended_at = None
        self.deleted_at = None
        self.id = None
        self.display_name = ""

    def get_id(self):
        return None


VISITOR = Audience(False)
SOME_MEMBER = Audience(True)


def theme_label(code: str | None) -> str:
    from tremplin.platform.vocabulary import THEME_LABELS

    return str(THEME_LABELS.get(code, "")) if code else ""


def departement_label(code: str | None) -> str:
    from tremplin.platform.vocabulary import departement_label as label

    return label(code)


# Labels of the "stage" facet: project stages belong to members, who register them.
STAGE_LABELS: dict[str, Any] = {}


def register_stage_labels(labels: dict[str, Any]) -> None:
    STAGE_LABELS.clear()
    STAGE_LABELS.update(labels)
