"""PostgreSQL search: the vocabulary's range lookup as a function planned without JIT.

A query word's keys are read from ``search_terms`` with one range seek per stem spelling behind
every proclitic (``storage.search.terms_in_ranges``): up to a thousand ranges for one word. The
planner cannot see the bounds, takes each range for 0.5% of the vocabulary, and prices the lookup
past ``jit_optimize_above_cost`` once the vocabulary is large (a store of 30k articles): JIT then
compiles the statement, ~200 ms of CPU for a lookup that runs in 15. A function with its own
``SET jit = off`` keeps the setting to its query (the statement calling it is priced as one
function call), whatever the server's configuration. SQLite: nothing (its lookup is its own).

Revision ID: 0018_pgsearch
Revises: 0017_writer
"""

from alembic import op

revision = "0018_pgsearch"
down_revision = "0017_writer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Each range once, at most ``n`` keys each (binary order: a primary-key range seek); tables
    # are found on the caller's search_path, as the caller's own statements find them.
    op.execute(
        "CREATE FUNCTION search_terms_in_ranges(los text[], his text[], n integer) RETURNS SETOF text "
        "LANGUAGE sql STABLE SET jit = off AS $$ "
        "SELECT DISTINCT t.term FROM unnest(los, his) AS r(lo, hi) CROSS JOIN LATERAL "
        "(SELECT term FROM search_terms WHERE term >= r.lo COLLATE \"C\" AND term < r.hi COLLATE \"C\" "
        "ORDER BY term LIMIT n) AS t $$"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION search_terms_in_ranges(text[], text[], integer)")
