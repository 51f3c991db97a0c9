"""Deliveries learn when they were given up (failed_at): the owners' notice counts the alerts given
up since the previous notice, and ``raqib outbox`` shows when.

Revision ID: 0007c
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0007c"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("failed_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("failed_at")
