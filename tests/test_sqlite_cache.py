"""SQLite's page cache holds a batch write's dirty pages (issue 13: per-article ingest CPU must not
grow with the archive). With SQLite's default 2 MiB cache, a transaction dirtying more pages than
that spills them to the WAL before it commits, and reads them back: work that grows as the B-trees
outgrow the cache."""

from __future__ import annotations

import os

from sqlalchemy import text

from storage.db import SQLITE_CACHE_KIB, make_engine


def test_every_sqlite_connection_gets_the_larger_page_cache(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    finally:
        engine.dispose()


def test_a_write_of_several_mib_does_not_spill_to_the_wal_before_it_commits(tmp_path):
    path = tmp_path / "s.db"
    engine = make_engine(f"sqlite:///{path}")
    wal = tmp_path / "s.db-wal"
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)"))
        with engine.begin() as conn:
            # ~8 MiB of new pages, four times SQLite's default cache: spilled mid-transaction there.
            conn.execute(text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8000) "
                "INSERT INTO t (k, v) SELECT i, randomblob(1000) FROM n"))
            before_commit = wal.stat().st_size if wal.exists() else 0
        after_commit = wal.stat().st_size
    finally:
        engine.dispose()
    assert before_commit < 1 << 20, f"{before_commit} bytes spilled to the WAL before the commit"
    assert after_commit > 6 << 20  # the pages did go to the WAL, at the commit
