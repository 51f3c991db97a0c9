"""Story updates: an article that adds a development to a story is delivered as an update.

``deliveries.kind`` is "alert" (the story's first alert, still unique per chat and story) or
"update" (unique per chat, story and the updating ``article_id``); ``articles.summary`` holds an
update's own summary, shown in its alert.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ALERT = sa.text("kind = 'alert'")
_UPDATE = sa.text("kind = 'update'")


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("summary", sa.Text(), nullable=True))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=10), nullable=False, server_default="alert"))
        batch.add_column(sa.Column("article_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_deliveries_article_id", "articles", ["article_id"], ["id"])
        batch.drop_constraint("uq_delivery_chat_story", type_="unique")
    op.create_index("uq_delivery_alert", "deliveries", ["chat_id", "story_id"], unique=True,
                    sqlite_where=_ALERT, postgresql_where=_ALERT)
    op.create_index("uq_delivery_update", "deliveries", ["chat_id", "story_id", "article_id"], unique=True,
                    sqlite_where=_UPDATE, postgresql_where=_UPDATE)


def downgrade() -> None:
    op.drop_index("uq_delivery_update", table_name="deliveries")
    op.drop_index("uq_delivery_alert", table_name="deliveries")
    op.execute("DELETE FROM deliveries WHERE kind = 'update'")
    with op.batch_alter_table("deliveries") as batch:
        batch.create_unique_constraint("uq_delivery_chat_story", ["chat_id", "story_id"])
        batch.drop_constraint("fk_deliveries_article_id", type_="foreignkey")
        batch.drop_column("article_id")
        batch.drop_column("kind")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("summary")
