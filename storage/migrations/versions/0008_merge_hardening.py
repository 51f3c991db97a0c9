"""Merge the parallel branches (url hash, chat moves, delivery, watchlist scopes, event precision).

Revision ID: 0008
Revises: 0007a, 0007b, 0007c, 0007d, 0007e
"""

revision = "0008"
down_revision = ("0007a", "0007b", "0007c", "0007d", "0007e")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
