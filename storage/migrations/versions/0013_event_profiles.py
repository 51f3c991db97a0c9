"""Same-event profiles: what bot.text.events needs of a stored article, and the index that finds them.

* ``event_profiles``: one row per article that started a story or joined one as another outlet's
  report of the same event (copies add nothing and get none): ``profile`` is
  ``bot.text.events.EventProfile.to_json()`` (a few hundred bytes), computed before the write.
* ``event_keys``: the profile's few highest-weighted terms, hashed (``EventProfile.keys()``), with
  the article's publication time. Candidates for a new article are the articles sharing a key in
  the window, found through the (key, published_at) primary key: an index lookup, never a scan of
  every profile in 48 h. The story is read from ``articles`` at lookup time, so it is never stale.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_profiles",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("published_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
    )
    op.create_table(
        "event_keys",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("published_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("key", "published_at", "article_id", name="pk_event_keys"),
    )
    # Deleting an article (cascade) must not scan the key table.
    op.create_index("ix_event_keys_article", "event_keys", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_event_keys_article", table_name="event_keys")
    op.drop_table("event_keys")
    op.drop_table("event_profiles")
