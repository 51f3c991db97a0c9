"""How each chat wants its alerts: digests, quiet hours, summary length, one alert per story or every report.

* ``chats``: ``timezone`` (IANA name; NULL = the configured zone), quiet hours as minutes after
  midnight in that zone (``quiet_start``, ``quiet_end``; NULL = none) and what they do
  (``quiet_mode``: "silent" = sent without sound, "hold" = held until the window ends), and
  ``summary_length`` ("short" = one sentence, "normal" = two or three).
* ``subscriptions``: ``mode`` (already there, "instant") may be "hourly" or "daily"; ``digest_at`` is the
  daily digest's minute of the day in the chat's zone; ``reports`` is "story" (one alert per story,
  edited as more outlets carry it, updates as replies) or "every" (every report of the story).
* ``deliveries``: new kinds "edit" (the alert re-drawn with the outlets that carry it now: at most one
  pending per chat and story, so edits coalesce), "report" (every-report subscriptions: one row per
  chat, story and article), "digest" (one row per chat and period: a crash or an outage neither loses
  nor doubles a digest) and "archive" (a new subscription's backlog, one silent message). Alert rows
  folded into a digest or an archive get the state "bundled" and ``bundle_id`` = that row's id; alerts
  of a digest subscription wait in the state "held" until their period closes. ``bundle_id`` has no
  foreign key: adding one would make SQLite rebuild the table and its partial indexes.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_DIGEST = sa.text("kind = 'digest'")
_EDIT = sa.text("kind = 'edit' AND state = 'pending'")
_REPORT = sa.text("kind = 'report'")


def upgrade() -> None:
    op.add_column("chats", sa.Column("timezone", sa.String(length=64), nullable=True))
    op.add_column("chats", sa.Column("quiet_start", sa.Integer(), nullable=True))
    op.add_column("chats", sa.Column("quiet_end", sa.Integer(), nullable=True))
    op.add_column("chats", sa.Column("quiet_mode", sa.String(length=10), nullable=False, server_default="silent"))
    op.add_column("chats", sa.Column("summary_length", sa.String(length=10), nullable=False,
                                     server_default="normal"))
    op.add_column("subscriptions", sa.Column("digest_at", sa.Integer(), nullable=True))
    op.add_column("subscriptions", sa.Column("reports", sa.String(length=10), nullable=False,
                                             server_default="story"))
    op.add_column("deliveries", sa.Column("bundle_id", sa.Integer(), nullable=True))
    op.add_column("deliveries", sa.Column("period", sa.String(length=40), nullable=True))
    op.create_index("ix_deliveries_bundle", "deliveries", ["bundle_id"])
    op.create_index("ix_deliveries_chat_state", "deliveries", ["chat_id", "state"])
    op.create_index("uq_delivery_digest", "deliveries", ["chat_id", "period"], unique=True,
                    sqlite_where=_DIGEST, postgresql_where=_DIGEST)
    op.create_index("uq_delivery_edit", "deliveries", ["chat_id", "story_id"], unique=True,
                    sqlite_where=_EDIT, postgresql_where=_EDIT)
    op.create_index("uq_delivery_report", "deliveries", ["chat_id", "story_id", "article_id"], unique=True,
                    sqlite_where=_REPORT, postgresql_where=_REPORT)


def downgrade() -> None:
    for name in ("uq_delivery_report", "uq_delivery_edit", "uq_delivery_digest", "ix_deliveries_chat_state",
                 "ix_deliveries_bundle"):
        op.drop_index(name, table_name="deliveries")
    op.execute("DELETE FROM deliveries WHERE kind IN ('edit', 'report', 'digest', 'archive')")
    op.execute("UPDATE deliveries SET state = 'pending' WHERE state IN ('held', 'bundled')")
    for table, column in (("deliveries", "period"), ("deliveries", "bundle_id"), ("subscriptions", "reports"),
                          ("subscriptions", "digest_at"), ("chats", "summary_length"), ("chats", "quiet_mode"),
                          ("chats", "quiet_end"), ("chats", "quiet_start"), ("chats", "timezone")):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
