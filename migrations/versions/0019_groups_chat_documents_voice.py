"""groups: documents and voice messages in chat (type, size, duration of an attachment)

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_type", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("size_bytes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.drop_column("duration_ms")
        batch_op.drop_column("size_bytes")
        batch_op.drop_column("content_type")
