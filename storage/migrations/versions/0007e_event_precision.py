"""Stories keep the precision of their event date (day, week, month, year): a year-only date is
shown as "2025", not as 2025-01-01.

Revision ID: 0007e
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007e"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("event_precision", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.drop_column("event_precision")
