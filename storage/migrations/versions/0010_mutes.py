"""Mutes: a chat silences one watchlist until a time (the alert's «كتم ساعة» / «كتم يوم» buttons).

While a mute holds, that subscription's alerts are recorded in the outbox as ``skipped`` with the
reason, never sent and never silently dropped.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mutes",
        sa.Column("chat_id", sa.Integer(), sa.ForeignKey("chats.id"), primary_key=True),
        sa.Column("watchlist_id", sa.Integer(), sa.ForeignKey("watchlists.id"), primary_key=True),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mutes")
