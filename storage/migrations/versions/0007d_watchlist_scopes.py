"""Watchlist scopes and the audit trail: every existing watchlist becomes global, slugs are unique
per scope, watchlist edits learn the chat and the before/after rules, and feed and subscription
changes get their own audit table. Existing rows (watchlists, subscriptions, edits) are kept.

Revision ID: 0007d
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007d"
down_revision = "0006"
branch_labels = None
depends_on = None

# 0001 created ``UNIQUE (slug)`` without a name: PostgreSQL named it, SQLite did not. The batch
# naming convention gives SQLite's reflected constraint a name so it can be dropped.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _slug_constraint(bind) -> str | None:
    for uq in sa.inspect(bind).get_unique_constraints("watchlists"):
        if uq["column_names"] == ["slug"]:
            return uq["name"] or "uq_watchlists_slug"
    return None


def upgrade() -> None:
    bind = op.get_bind()
    old_unique = _slug_constraint(bind)
    with op.batch_alter_table("watchlists", naming_convention=_NAMING) as batch:
        batch.add_column(sa.Column("scope", sa.String(length=300), nullable=False, server_default="global"))
        if old_unique is not None:
            batch.drop_constraint(old_unique, type_="unique")
        batch.create_unique_constraint("uq_watchlists_scope_slug", ["scope", "slug"])
        batch.create_index("ix_watchlists_scope", ["scope"], unique=False)
    with op.batch_alter_table("watchlist_edits") as batch:
        batch.add_column(sa.Column("chat", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("before", sa.Text(), nullable=True))
        batch.add_column(sa.Column("after", sa.Text(), nullable=True))
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("chat", sa.String(length=300), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_events_kind", "audit_events", ["kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_events_kind", table_name="audit_events")
    op.drop_table("audit_events")
    with op.batch_alter_table("watchlist_edits") as batch:
        batch.drop_column("after")
        batch.drop_column("before")
        batch.drop_column("chat")
    with op.batch_alter_table("watchlists") as batch:
        batch.drop_index("ix_watchlists_scope")
        batch.drop_constraint("uq_watchlists_scope_slug", type_="unique")
        batch.create_unique_constraint("watchlists_slug_key", ["slug"])
        batch.drop_column("scope")
