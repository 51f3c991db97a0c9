"""Band locks on PostgreSQL: a batch write takes a bounded number of locks, and still excludes the
writers whose bands it would have locked.

A batch of 100 real articles has thousands of band keys. Taken one advisory lock each, they filled
the server's shared lock table (~7,800 entries by default, shared by every session): the batch
failed on "out of shared memory", was rolled back (its story and article ids lost to the sequences)
and stored one article at a time. Whether it failed depended on the batch's texts and on what other
sessions held, so two ingests of the same files got other ids: ``bench/bench_ingest.py --workers 2``
printed "outcomes identical: NO" on PostgreSQL, its outcomes equal but for the ids.
"""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.pipeline import BATCH, NEW
from bot.sources.files import read_article_file
from storage import articles as article_store
from storage.db import make_engine, session_factory, transaction
from tests.conftest import bootstrapped_app


@pytest.fixture
def pg_app(tmp_path, pg_url):
    with bootstrapped_app(tmp_path, pg_url) as a:
        yield a


def _advisory_locks(session) -> int:
    return session.execute(text(
        "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory'"
    )).scalar_one()


def test_a_batch_write_holds_a_bounded_number_of_locks_and_loses_no_ids(pg_app, tmp_path, shared_data):
    archive = sorted((shared_data / "saudinewsnet").glob("*.zip"))[0]
    with zipfile.ZipFile(archive) as zf:
        items = json.loads(zf.read(zf.namelist()[0]))[:BATCH]
    folder = tmp_path / "news"
    folder.mkdir()
    for i, item in enumerate(items):
        content = f"{item['title']}\n{item['date_extracted'][:10]}\n{item['content']}\n"
        (folder / f"{i:04d}.txt").write_text(content, encoding="utf-8")
    held: list[int] = []  # advisory locks of each transaction, read just before it commits
    listener = lambda session: held.append(_advisory_locks(session))  # noqa: E731
    event.listen(pg_app.factory, "before_commit", listener)
    try:
        outcomes = pg_app.ingest_paths([folder]).outcomes
    finally:
        event.remove(pg_app.factory, "before_commit", listener)
    # What the batch's transaction would lock band by band: far more keys than the limit.
    keys = {k for path in sorted(folder.iterdir()) for k in pg_app.pipeline.analyze(read_article_file(path)).band_keys}
    assert len(keys) > 5 * article_store.BAND_LOCK_LIMIT
    assert len(outcomes) == BATCH and max(held) <= article_store.BAND_LOCK_LIMIT + 1, max(held)
    # The batch was stored whole, not rolled back and stored again: its new stories' ids follow on.
    new = [o.story_id for o in outcomes if o.status == NEW]
    assert new == list(range(new[0], new[0] + len(new)))


def test_a_batch_lock_excludes_band_locks_and_band_locks_exclude_it(pg_url):
    engine = make_engine(pg_url)
    factory = session_factory(engine)
    many = list(range(1, article_store.BAND_LOCK_LIMIT + 2))  # above the limit: one lock for all
    try:
        def blocked(keys: list[int]) -> bool:
            """Whether another transaction locking ``keys`` now has to wait."""
            try:
                with transaction(factory) as s:
                    s.execute(text("SET LOCAL lock_timeout = '200ms'"))
                    article_store.lock_bands(s, keys)
                return False
            except OperationalError as exc:
                assert "lock timeout" in str(exc)
                return True

        with transaction(factory) as holder:
            article_store.lock_bands(holder, many)
            assert _advisory_locks(holder) == 1
            assert blocked([10**9])  # a band of no article of the batch: it may join one of them
            assert blocked([-5, 7])
        with transaction(factory) as holder:
            article_store.lock_bands(holder, [1, 2, 3])
            assert blocked(many)
            assert blocked([3])
            assert not blocked([4, 5])  # other bands: writers of other stories do not wait
    finally:
        engine.dispose()
