"""search index: normalized article text (SQLite FTS5 / PostgreSQL tsvector) and its vocabulary

Revision ID: 0003
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

import storage.models

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.create_table(
        "search_docs",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("published_at", storage.models.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_search_docs_story", "search_docs", ["story_id"])
    term = sa.Text(collation="C") if pg else sa.Text()
    op.create_table("search_terms", sa.Column("term", term, primary_key=True))
    if pg:
        op.execute("ALTER TABLE search_docs ADD COLUMN tsv tsvector NOT NULL DEFAULT ''::tsvector")
        op.execute("CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv)")
    else:
        # Contentless: the text lives in articles; the index keeps only postings (half the size).
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(text, content='', tokenize='ascii')")
    _backfill(bind)


def _backfill(bind) -> None:
    """Index articles stored before this revision, so search covers the whole archive."""
    from bot.search import index_keys  # the one definition of search keys; lazy: storage imports no bot code
    from storage import search

    rows = bind.execute(
        sa.text("SELECT id, story_id, source_id, title, body, published_at FROM articles ORDER BY id")
    ).fetchall()
    for row in rows:
        published = search._parse_dt(row.published_at)  # SQLite hands raw text back to text()
        search.index_article(bind, row.id, row.story_id, row.source_id, published, index_keys(row.title, row.body))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_terms")
    op.drop_index("ix_search_docs_story", table_name="search_docs")
    op.drop_table("search_docs")
