"""Search: one French search box over the whole network, permission-aware.

Other modules never call search to index anything: it listens to the database (session
events) and registers, for each module the application runs, how to turn its rows into
documents and which of its policies decides who sees a hit. The one function others may
call is `search()`. Search never shows a hit its module's policy refuses.

Rooms: documents.py (the interface modules register their documents with), indexing.py
(session events), queue.py (the durable index queue), backend.py (the interface, Whoosh),
pg.py and pg_schema.py (PostgreSQL), analysis.py and lexicon.py (French text), query.py,
storage.py; forms.py, routes.py, cli.py.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from tremplin.platform.hooks import on_account_deleted
from tremplin.search.backend import Document, SearchBackend, WhooshBackend
from tremplin.search.documents import (
    ANYONE,
    MEMBERS,
    ORGANISERS,
    READABLE_CACHE,
    SOME_MEMBER,
    VISITOR,
    VISITORS,
    Cascade,
    Change,
    DocumentType,
    Removal,
    changed,
    column,
    departement_label,
    join,
    key,
    plain,
    register_stage_labels,
    registry,
    safe_url,
    theme_label,
    touched,
)
from tremplin.search.query import SearchOptions, SearchResults, search

bp = Blueprint("search", __name__)

__all__ = [
    "bp",
    "init_module",
    "search",
    "SearchOptions",
    "SearchResults",
    "register_type",
    "DocumentType",
    "Document",
    "Cascade",
    "Removal",
    "SearchBackend",
    "service",
    "word_family",
    # what a module's search.py uses to describe its documents
    "ANYONE",
    "MEMBERS",
    "ORGANISERS",
    "READABLE_CACHE",
    "SOME_MEMBER",
    "VISITOR",
    "VISITORS",
    "Change",
    "changed",
    "column",
    "departement_label",
    "join",
    "key",
    "plain",
    "register_stage_labels",
    "registry",
    "safe_url",
    "theme_label",
    "touched",
]


class SearchService:
    """The application's search: a backend and the indexer that keeps it current."""

    def __init__(self, app: Flask, backend: SearchBackend | None = None):
        from tremplin.search.indexing import Indexer

        self.backend = backend or make_backend(app.config)
        self.indexer = Indexer(app, self.backend)


def backend_name(config) -> str:
    """`SEARCH_BACKEND` ("whoosh" or "postgresql") when set; else PostgreSQL full text
    when the database is PostgreSQL (every host shares it), Whoosh otherwise."""
    chosen = (config.get("SEARCH_BACKEND") or "").strip().lower()
    if chosen in ("whoosh", "postgresql"):
        return chosen
    if chosen:
        raise ValueError(f"SEARCH_BACKEND must be whoosh or postgresql, not {chosen!r}")
    uri = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    return "postgresql" if uri.startswith(("postgresql", "postgres:")) else "whoosh"


def make_backend(config) -> SearchBackend:
    if backend_name(config) == "postgresql":
        from tremplin.search.pg import PostgresBackend

        return PostgresBackend.from_config(config)
    return WhooshBackend.from_config(config)


def register_type(doc_type: DocumentType) -> None:
    """Make a new kind of object searchable (each module calls it from its own
    `search.py`, in its `init_module`)."""
    registry.register(doc_type)


def word_family(text: str) -> set[str]:
    """The index terms of `text` under the French analysis search uses (accents folded,
    stemmed, word families joined): two texts share a word family when these sets meet.
    Other modules match words with it (e.g. a need's words and a member's skills)."""
    from tremplin.search.analysis import FRENCH

    return {token.text for token in FRENCH(text or "")}


def service() -> SearchService:
    from flask import current_app

    return current_app.extensions["search"]


def _forget_member(user) -> None:
    """The erased account leaves the index with the commit that erases it (the session
    events see the change too; this says it outright)."""
    from tremplin.platform.extensions import db
    from tremplin.search.documents import key
    from tremplin.search.indexing import PENDING

    db.session.info.setdefault(PENDING, set()).add(key("member", user.id))


def init_module(app: Flask) -> None:
    from tremplin.search import cli, indexing, routes  # noqa: F401  (routes attach to bp)

    indexing.listen()
    on_account_deleted(_forget_member)
    app.extensions["search"] = SearchService(app)
    cli.init_app(app)
