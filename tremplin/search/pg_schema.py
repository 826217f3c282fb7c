"""The PostgreSQL search schema: its own `search` schema (outside the models' metadata,
so SQLite and the model comparisons never see it), created by migration 0010 and, where
no migration ran (tests, `db.create_all()`), by the backend on first use.

- `search.documents`: one row per document variant; `terms` is the weighted French
  vector (title A, skills and tags B, text D) and `words` the unstemmed title and tag
  words the instant box matches prefixes of; GIN indexes on both and on `acl`/`parents`.
- `search.words`: the vocabulary "did you mean" draws on (words with their accents, and
  how many documents hold each), with a pg_trgm index.
- `search.french_unaccent`: the `french` configuration with `unaccent` before the
  stemmer; `search.simple_unaccent` the same without stemming.
"""

from __future__ import annotations

SCHEMA = "search"
FRENCH_CONFIG = "search.french_unaccent"
SIMPLE_CONFIG = "search.simple_unaccent"

CREATE = [
    "CREATE SCHEMA IF NOT EXISTS search",
    "CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA search",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA search",
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config c JOIN pg_namespace n
                       ON n.oid = c.cfgnamespace
                       WHERE n.nspname = 'search' AND c.cfgname = 'french_unaccent') THEN
            CREATE TEXT SEARCH CONFIGURATION search.french_unaccent (COPY = pg_catalog.french);
            ALTER TEXT SEARCH CONFIGURATION search.french_unaccent
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config c JOIN pg_namespace n
                       ON n.oid = c.cfgnamespace
                       WHERE n.nspname = 'search' AND c.cfgname = 'simple_unaccent') THEN
            CREATE TEXT SEARCH CONFIGURATION search.simple_unaccent (COPY = pg_catalog.simple);
            ALTER TEXT SEARCH CONFIGURATION search.simple_unaccent
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
        END IF;
    END $$""",
    """CREATE TABLE IF NOT EXISTS search.documents (
        uid text PRIMARY KEY,
        id text NOT NULL,
        type text NOT NULL,
        title text NOT NULL DEFAULT '',
        tags text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        subtitle text NOT NULL DEFAULT '',
        acl text[] NOT NULL,
        parents text[] NOT NULL DEFAULT '{}',
        themes text[] NOT NULL DEFAULT '{}',
        territory text,
        stages text[] NOT NULL DEFAULT '{}',
        date timestamp without time zone,
        boost real NOT NULL DEFAULT 1,
        terms tsvector NOT NULL,
        words tsvector NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS documents_id ON search.documents (id)",
    "CREATE INDEX IF NOT EXISTS documents_terms ON search.documents USING gin (terms)",
    "CREATE INDEX IF NOT EXISTS documents_words ON search.documents USING gin (words)",
    "CREATE INDEX IF NOT EXISTS documents_acl ON search.documents USING gin (acl)",
    "CREATE INDEX IF NOT EXISTS documents_parents ON search.documents USING gin (parents)",
    """CREATE TABLE IF NOT EXISTS search.words (
        word text PRIMARY KEY,
        docs integer NOT NULL
    )""",
    """CREATE INDEX IF NOT EXISTS words_trigrams ON search.words
        USING gin (word gin_trgm_ops)""",
]

DROP = ["DROP SCHEMA IF EXISTS search CASCADE"]


def create(connection) -> None:
    """Create what is missing (idempotent; `connection` is a SQLAlchemy connection)."""
    from sqlalchemy import text

    # The extensions may already live in another schema (public): found either way.
    connection.execute(text("SET LOCAL search_path TO search, public"))
    for statement in CREATE:
        connection.execute(text(statement))
    # Back to the default at once: migrations run in one transaction, and the tables of
    # the revisions after this one belong in public, not in the search schema.
    connection.execute(text("SET LOCAL search_path TO DEFAULT"))


def drop(connection) -> None:
    from sqlalchemy import text

    for statement in DROP:
        connection.execute(text(statement))
