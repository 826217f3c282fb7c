"""The PostgreSQL search schema: its own `search` schema (outside the models' metadata,
so SQLite and the model comparisons never see it), created by migration 0010 and, where
no migration ran (tests, `db.create_all()`), by the backend on first use.

- `search.documents`: one row per document variant; `terms` is the weighted French
  vector (title A, skills and tags B, text D) and `words` the unstemmed title and tag
  words the instant box matches prefixes of; GIN indexes on both and on `parents` (none on `acl`: see DOCUMENT_INDEXES).
- `search.words`: the vocabulary "did you mean" draws on (words with their accents, and
  how many documents hold each), with a pg_trgm index.
- `search.french_unaccent`: the `french` configuration with `unaccent` before the
  stemmer; `search.simple_unaccent` the same without stemming.
"""

from __future__ import annotations

SCHEMA = "search"
FRENCH_CONFIG = "search.french_unaccent"
SIMPLE_CONFIG = "search.simple_unaccent"

# The two tables, as templates: a rebuild fills fresh copies (`{table}` = search.*_new),
# then builds their indexes once (a GIN index filled row by row keeps a long pending list
# the planner walks away from) and swaps them in.
DOCUMENTS = [
    """CREATE TABLE IF NOT EXISTS {table} (
        uid text NOT NULL,
        id text NOT NULL,
        type text NOT NULL,
        title text NOT NULL DEFAULT '',
        tags text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        subtitle text NOT NULL DEFAULT '',
        acl text[] NOT NULL,
        parents text[] NOT NULL DEFAULT '{{}}',
        themes text[] NOT NULL DEFAULT '{{}}',
        territory text,
        stages text[] NOT NULL DEFAULT '{{}}',
        date timestamp without time zone,
        boost real NOT NULL DEFAULT 1,
        terms tsvector NOT NULL,
        words tsvector NOT NULL,
        CONSTRAINT {prefix}_pkey PRIMARY KEY (uid)
    )""",
]
DOCUMENT_INDEXES = [
    "CREATE INDEX IF NOT EXISTS {prefix}_id ON {table} (id)",
    "CREATE INDEX IF NOT EXISTS {prefix}_terms ON {table} USING gin (terms)",
    "CREATE INDEX IF NOT EXISTS {prefix}_words ON {table} USING gin (words)",
    "CREATE INDEX IF NOT EXISTS {prefix}_parents ON {table} USING gin (parents)",
]
# No index on `acl`: every searcher holds "anyone" (half the documents or more), so the
# planner's bitmap of it costs more than checking the rows the words matched.
DOCUMENTS += DOCUMENT_INDEXES
WORDS = [
    """CREATE TABLE IF NOT EXISTS {table} (
        word text NOT NULL,
        docs integer NOT NULL,
        CONSTRAINT {prefix}_pkey PRIMARY KEY (word)
    )""",
]
WORD_INDEXES = [
    """CREATE INDEX IF NOT EXISTS {prefix}_trigrams ON {table}
        USING gin (word gin_trgm_ops)""",
]
WORDS += WORD_INDEXES

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
    *(statement.format(table="search.documents", prefix="documents") for statement in DOCUMENTS),
    *(statement.format(table="search.words", prefix="words") for statement in WORDS),
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


def fresh_tables(connection) -> None:
    """Empty copies of both tables, without their secondary indexes, for a rebuild."""
    from sqlalchemy import text

    connection.execute(text("SET LOCAL search_path TO search, public"))
    for name in ("documents", "words"):
        connection.execute(text(f"DROP TABLE IF EXISTS search.{name}_new"))
    connection.execute(
        text(DOCUMENTS[0].format(table="search.documents_new", prefix="documents_new"))
    )
    connection.execute(text(WORDS[0].format(table="search.words_new", prefix="words_new")))
    connection.execute(text("SET LOCAL search_path TO DEFAULT"))


def swap_tables(connection) -> None:
    """Index the filled copies, then put them in place of the live tables (the live ones
    are locked only for the renames, at the end of the rebuild's transaction)."""
    from sqlalchemy import text

    connection.execute(text("SET LOCAL search_path TO search, public"))
    # More memory for the index builds of this transaction (GIN builds sort in it).
    connection.execute(text("SET LOCAL maintenance_work_mem = '128MB'"))
    for name, indexes in (("documents", DOCUMENT_INDEXES), ("words", WORD_INDEXES)):
        for statement in indexes:
            connection.execute(
                text(statement.format(table=f"search.{name}_new", prefix=f"{name}_new"))
            )
    for name, indexes in (("documents", DOCUMENT_INDEXES), ("words", WORD_INDEXES)):
        connection.execute(text(f"DROP TABLE search.{name}"))
        connection.execute(text(f"ALTER TABLE search.{name}_new RENAME TO {name}"))
        connection.execute(
            text(f"ALTER TABLE search.{name} RENAME CONSTRAINT {name}_new_pkey TO {name}_pkey")
        )
        for statement in indexes:
            suffix = statement.split(" ON ")[0].rsplit("_", 1)[1]
            connection.execute(
                text(f"ALTER INDEX search.{name}_new_{suffix} RENAME TO {name}_{suffix}")
            )
    connection.execute(text("SET LOCAL search_path TO DEFAULT"))


def drop(connection) -> None:
    from sqlalchemy import text

    for statement in DROP:
        connection.execute(text(statement))
