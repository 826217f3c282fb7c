"""search: PostgreSQL full-text index (schema `search`, unaccent, pg_trgm)

On PostgreSQL: the `search` schema with its documents and words tables, GIN indexes, the
`french_unaccent` and `simple_unaccent` text search configurations and the unaccent and
pg_trgm extensions (see tremplin/search/pg_schema.py). On SQLite: nothing (Whoosh).

Revision ID: 0010
Revises: 0009

Create Date: 2026-12-03 13:50:00

"""

from alembic import op

from tremplin.search import pg_schema

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'

branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        pg_schema.create(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        pg_schema.drop(bind)
