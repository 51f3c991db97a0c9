"""A file source's claim, apart from its next check: ``sources.claimed_until``.

A `raqib run` that wins a file source's poll (``storage.sources.claim_source``) holds it until
``claimed_until``, renewed while the poll runs and cleared when the poll records its outcome.
``next_check_at`` says when the source is due; ``claimed_until`` says whether a process is polling
it now, which `raqib run --once` (it polls every source, due or not) must know to leave a source
another process holds alone. NULL: nobody holds it.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("claimed_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("claimed_until")
