"""Why an article joined a known story: ``article_joins`` (issue 12, «لماذا؟» on a grown story).

One row per article stored into an existing story: which stored article it was matched to and how
(a copy, a text contained in it, an update of it, or another outlet's report of the same event in
its own words), with, for the same event, the evidence the decision weighed (JSON: score and bar,
hours apart, shared rare names and figures, headline likeness). Written in the transaction that
stores the article; read by the «لماذا؟» button, /explain and ``raqib explain --story``.

Revision ID: 0017_why
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_why"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_joins",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("joined_article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("article_joins")
