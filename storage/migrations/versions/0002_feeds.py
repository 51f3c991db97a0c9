"""feeds: per-source topics, admin chat, options, last status, soft removal

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
import storage.models


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("topics", sa.Text(), nullable=True))
        batch.add_column(sa.Column("admin_chat", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("options", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_status", sa.Text(), nullable=True))
        batch.add_column(sa.Column("removed_at", storage.models.UTCDateTime(), nullable=True))
    op.create_index("ix_sources_kind_next_check", "sources", ["kind", "next_check_at"])


def downgrade() -> None:
    op.drop_index("ix_sources_kind_next_check", table_name="sources")
    with op.batch_alter_table("sources") as batch:
        for column in ("removed_at", "last_status", "options", "admin_chat", "topics"):
            batch.drop_column(column)
