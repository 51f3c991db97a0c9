"""Bursts of coverage: one row per «تغطية مكثفة» alert a topic got.

The detector (bot/delivery/bursts.py) reads the latest row of a topic to keep to at most one burst alert per
topic per cooldown; ``story_id`` is the alert's story (kind "burst") that rode the outbox.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bursts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("watchlist_id", sa.Integer(), sa.ForeignKey("watchlists.id"), nullable=False),
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id"), nullable=True),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
    )
    op.create_index("ix_bursts_watchlist_detected", "bursts", ["watchlist_id", "detected_at"])


def downgrade() -> None:
    op.drop_index("ix_bursts_watchlist_detected", table_name="bursts")
    op.drop_table("bursts")
