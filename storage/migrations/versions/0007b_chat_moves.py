"""Chat moves: a chat's old address → its new one (a Telegram group that became a supergroup), a
fact that bootstrap and subscription changes follow so that the old id is never re-created.

Chats retired earlier as "migrated to ADDRESS" get their move recorded; a chat that was simply
renamed to its new address left no trace of the old one, so there is nothing to backfill for it.

Revision ID: 0007b
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0007b"
down_revision = "0006"
branch_labels = None
depends_on = None

_PREFIX = "migrated to "


def upgrade() -> None:
    moves = op.create_table(
        "chat_moves",
        sa.Column("old_address", sa.String(length=300), nullable=False),
        sa.Column("new_address", sa.String(length=300), nullable=False),
        sa.Column("moved_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("old_address"),
    )
    chats = sa.table(
        "chats", sa.column("address", sa.String), sa.column("inactive_reason", sa.Text),
        sa.column("created_at", UTCDateTime()),
    )
    bind = op.get_bind()
    retired = bind.execute(
        sa.select(chats.c.address, chats.c.inactive_reason, chats.c.created_at)
        .where(chats.c.inactive_reason.like(f"{_PREFIX}%"))
    ).all()
    rows = [
        {"old_address": address, "new_address": reason[len(_PREFIX):].strip(), "moved_at": created_at}
        for address, reason, created_at in retired
        if reason[len(_PREFIX):].strip() not in ("", address)
    ]
    if rows:
        op.bulk_insert(moves, rows)


def downgrade() -> None:
    op.drop_table("chat_moves")
