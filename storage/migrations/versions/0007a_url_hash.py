"""Articles are unique by a hash of their URL and guid, not by the raw text.

PostgreSQL refuses a btree entry over ~2.7 KB, so a 5,000-character feed link (or a long Arabic
guid) could not be stored at all, and the failure stopped the whole ingest. The full URL and guid
stay in their columns; the unique constraints move to ``url_hash`` and ``(source_id, guid_hash)``
(sha256 hex of the UTF-8, as ``storage.models.text_key``). Existing rows are backfilled.

Revision ID: 0007a
Revises: 0006
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0007a"
down_revision = "0006"
branch_labels = None
depends_on = None

# 0001 created ``UNIQUE (url)`` without a name: PostgreSQL named it, SQLite did not. The batch
# naming convention gives SQLite's reflected constraint a name so it can be dropped.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_BATCH = 1000


def _key(value: str) -> str:
    # Frozen here on purpose: a migration must not change when the application code does.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _unique(bind, columns: list[str]) -> str | None:
    for uq in sa.inspect(bind).get_unique_constraints("articles"):
        if uq["column_names"] == columns:
            return uq["name"] or f"uq_articles_{columns[0]}"
    return None


def _backfill(bind) -> None:
    articles = sa.table(
        "articles", sa.column("id", sa.Integer), sa.column("url", sa.Text), sa.column("guid", sa.Text),
        sa.column("url_hash", sa.String), sa.column("guid_hash", sa.String),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(articles.c.id, articles.c.url, articles.c.guid)
            .where(articles.c.id > last).order_by(articles.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            articles.update().where(articles.c.id == sa.bindparam("b_id")).values(
                url_hash=sa.bindparam("b_url"), guid_hash=sa.bindparam("b_guid")
            ),
            [{"b_id": r.id, "b_url": _key(r.url), "b_guid": None if r.guid is None else _key(r.guid)} for r in rows],
        )
        last = rows[-1].id


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("url_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("guid_hash", sa.String(length=64), nullable=True))
    _backfill(bind)
    url_unique = _unique(bind, ["url"])
    guid_unique = _unique(bind, ["source_id", "guid"])
    with op.batch_alter_table("articles", naming_convention=_NAMING) as batch:
        batch.alter_column("url_hash", existing_type=sa.String(length=64), nullable=False)
        if url_unique is not None:
            batch.drop_constraint(url_unique, type_="unique")
        if guid_unique is not None:
            batch.drop_constraint(guid_unique, type_="unique")
        batch.create_unique_constraint("uq_articles_url_hash", ["url_hash"])
        batch.create_unique_constraint("uq_articles_source_guid_hash", ["source_id", "guid_hash"])


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_constraint("uq_articles_source_guid_hash", type_="unique")
        batch.drop_constraint("uq_articles_url_hash", type_="unique")
        batch.create_unique_constraint("uq_articles_source_guid", ["source_id", "guid"])
        batch.create_unique_constraint("articles_url_key", ["url"])
        batch.drop_column("guid_hash")
        batch.drop_column("url_hash")
