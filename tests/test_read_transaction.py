"""read_transaction: a check before a write never waits for, or holds up, another process's writes
on SQLite (the pipeline's duplicate and story look-ups run in one, beside a delivery worker that
must record its sends at once)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from storage.db import make_engine, read_transaction, session_factory, transaction, upgrade


@pytest.fixture
def locked_sqlite(tmp_path):
    """A migrated SQLite database whose write lock another connection holds; our engine does not
    wait for locks, so taking the write lock fails at once instead of after the busy timeout."""
    path = tmp_path / "r.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)

    @event.listens_for(engine, "connect")
    def _no_wait(dbapi_conn, _record) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=0")

    engine.dispose()  # new connections get the listener
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO chat_moves (old_address, new_address, moved_at) VALUES ('a', 'b', '2025-01-01')")
    yield session_factory(engine)
    writer.execute("ROLLBACK")
    writer.close()
    engine.dispose()


def test_a_read_transaction_reads_while_another_process_holds_the_write_lock(locked_sqlite):
    with read_transaction(locked_sqlite) as s:
        # The other process's uncommitted row is not visible; the read itself went through.
        assert s.execute(text("SELECT count(*) FROM chat_moves")).scalar() == 0


def test_a_write_transaction_still_takes_the_write_lock_at_begin(locked_sqlite):
    with pytest.raises(OperationalError, match="locked"):
        with transaction(locked_sqlite) as s:
            s.execute(text("SELECT 1"))


def test_read_and_write_transactions_work_on_both_databases(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        s.execute(text("INSERT INTO chat_moves (old_address, new_address, moved_at) "
                       "VALUES ('telegram:-1', 'telegram:-2', '2025-01-01')"))
    with read_transaction(factory) as s:
        assert s.execute(text("SELECT new_address FROM chat_moves")).scalar() == "telegram:-2"
    engine.dispose()
