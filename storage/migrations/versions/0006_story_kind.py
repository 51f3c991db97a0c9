"""Stories get a kind: news, or a notice of raqib's own carried by the outbox.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=10), nullable=False, server_default="news"))


def downgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.drop_column("kind")
