"""The analysis pool's own mechanics (``bot.sources.analysis_pool``): what a forked worker inherits
instead of making again, how far the workers run ahead of the writer, the writer's collector after
the fork. The outcomes themselves are compared with one process in tests/test_ingest_workers.py."""

from __future__ import annotations

import gc
import json
import os
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.app import App
from bot.config import load_config
from bot.article import Article
from bot.pipeline import BATCH, Analysis, Pipeline, Ready
from bot.sources import analysis_pool
from bot.sources.files import iter_article_files
from tests.conftest import Clock, write_config

FILES = 120


@pytest.fixture(scope="module")
def folder(tmp_path_factory, shared_data) -> Path:
    out = tmp_path_factory.mktemp("pool_news")
    archive = sorted((shared_data / "saudinewsnet").glob("*.zip"))[0]
    with zipfile.ZipFile(archive) as zf:
        items = json.loads(zf.read(zf.namelist()[0]))[:FILES]
    for i, item in enumerate(items):
        (out / f"{i:04d}.txt").write_text(f"{item['title']}\n{item['date_extracted'][:10]}\n{item['content']}\n",
                                          encoding="utf-8")
    return out


@pytest.fixture
def app(tmp_path) -> App:
    app = App(load_config(write_config(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}"), env={}), clock=Clock())
    app.bootstrap()
    yield app
    app.close()


def _settings(app: App) -> analysis_pool.Settings:
    return analysis_pool.Settings(app.config.database_url, "files", app.config.max_file_bytes)


def test_forked_workers_take_over_the_writers_warmed_state(app, folder, monkeypatch):
    """Rules, watchlists and the text stages' tables are made once, in the writer, before the fork:
    a worker that loaded its rules again would die here, and its chunks be read by the writer."""
    writer = os.getpid()
    real = analysis_pool.load_rules

    def load_rules(files=()):
        if os.getpid() != writer:
            os._exit(3)
        return real(files)

    monkeypatch.setattr(analysis_pool, "load_rules", load_rules)
    monkeypatch.setattr(analysis_pool.AnalysisPool, "writer_analyzes", False)  # the workers' only
    stats = analysis_pool.PoolStats()
    with analysis_pool.AnalysisPool(_settings(app), 2, stats=stats, start_method="fork") as pool:
        items = list(pool.articles(iter_article_files([folder])))
    assert stats.fallback_chunks == 0 and stats.writer_chunks == 0 and stats.chunks >= -(-FILES // analysis_pool.CHUNK)
    assert len(items) == FILES and all(isinstance(i, Ready) for i in items)
    assert sum(i.draft is not None for i in items) > FILES // 2  # drafted with the inherited watchlists
    assert analysis_pool._template is None  # no module-level copy once the workers are forked


def test_the_writers_heap_is_frozen_while_its_forked_workers_share_it(app):
    before = gc.get_freeze_count()
    with analysis_pool.AnalysisPool(_settings(app), 2, start_method="fork"):
        assert gc.get_freeze_count() > before  # neither side copies the shared pages for the collector
    assert gc.get_freeze_count() == before  # and collected as usual once the workers are gone


def test_a_pool_closing_leaves_the_process_s_own_freeze_in_place(app):
    """``raqib run`` freezes its start-up heap (``App.tuned_collector``) for its whole life; a poll's
    pool that unfroze everything on closing would have the collector walk it again after the first
    large poll."""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with analysis_pool.AnalysisPool(_settings(app), 2, start_method="fork"):
            pass
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


def test_the_workers_run_more_than_a_batch_of_articles_ahead_of_the_writer(app, folder, monkeypatch):
    """The writer pulls nothing while it stores a batch: more than a batch of work must be given to
    the workers, or they sit idle while it writes; and not all of it, so that the writer has chunks
    to take rather than wait."""
    submitted: list[int] = []
    paths = iter_article_files([folder]) * 5  # a long input (the same files again: no database read)
    with analysis_pool.AnalysisPool(_settings(app), 2, start_method="fork") as pool:
        real = pool._pool.submit
        monkeypatch.setattr(pool._pool, "submit", lambda fn, files, start: (submitted.append(len(files)), real(fn, files, start))[1])
        articles = pool.articles(paths)
        next(articles)  # the writer has taken one article
        assert BATCH < sum(submitted) < analysis_pool.WINDOW
        rest = list(articles)
    assert len(rest) == len(paths) - 1


def test_two_workers_are_one_process_beside_the_writer_which_takes_what_it_would_wait_for(app, folder, monkeypatch):
    """``--workers 2`` on two cores: one worker process and the writer, which analyzes a chunk no
    worker has begun whenever the next it needs is not ready; the first chunk is always a worker's."""
    writer = os.getpid()
    real = analysis_pool.files.read_article_file

    def read(path, **kw):
        if os.getpid() != writer:
            time.sleep(0.01)  # a worker behind the writer
        return real(path, **kw)

    monkeypatch.setattr(analysis_pool.files, "read_article_file", read)
    stats = analysis_pool.PoolStats()
    paths = iter_article_files([folder])
    with analysis_pool.AnalysisPool(_settings(app), 2, chunk=10, stats=stats, start_method="fork") as pool:
        items = list(pool.articles(paths))
    assert stats.processes == 1 and len({b.pid for b in stats.busy}) == 2
    assert stats.busy[0].pid != writer  # the first chunk
    assert stats.writer_chunks > 0 and stats.writer_cpu > 0 and stats.worker_cpu > 0
    # The writer's chunks come without drafts (it drafts the new stories as it stores them), the
    # workers' with theirs.
    assert any(i.draft is None for i in items) and any(i.draft is not None for i in items)
    assert stats.chunks == len(stats.busy) and stats.fallback_chunks == 0
    assert [i.analysis.article.url for i in items] == [str(p) for p in paths]  # in input order
    assert 0 <= stats.worker_idle() < stats.closed - stats.forked


def test_the_last_chunks_are_smaller_so_no_process_is_left_alone_with_a_long_one(app, folder, monkeypatch):
    sizes: list[int] = []
    paths = iter_article_files([folder])
    with analysis_pool.AnalysisPool(_settings(app), 2, start_method="fork") as pool:
        real = pool._chunk
        monkeypatch.setattr(pool, "_chunk", lambda batch: (sizes.append(len(batch)), real(batch))[1])
        assert len(list(pool.articles(paths))) == FILES
        assert sizes[0] == analysis_pool.CHUNK and sorted(sizes, reverse=True) == sizes and sum(sizes) == FILES
        assert sizes[-2] == analysis_pool.MIN_CHUNK and sizes[-1] <= analysis_pool.MIN_CHUNK
        sizes.clear()
        assert len(list(pool.articles(iter(paths)))) == FILES  # files not counted beforehand: one size
        assert set(sizes[:-1]) == {analysis_pool.CHUNK}


def _analysis(pipeline: Pipeline, url: str, title: str, body: str) -> Analysis:
    return pipeline.analyze(Article("files", url, title, body, datetime(2017, 3, 12, tzinfo=timezone.utc)))


def test_each_worker_sees_what_the_others_analyzed_before_its_files(folder, tmp_path, monkeypatch):
    """A repeat or near copy of an earlier file needs no draft, whichever worker read the earlier
    one (``_Peers``: a file the workers share); a later file, or an unrelated one, is drafted."""
    pipeline = Pipeline(None)
    texts = [p.read_text(encoding="utf-8").split("\n", 2) for p in sorted(folder.glob("*.txt"))[:3]]
    report, other, third = (_analysis(pipeline, f"u{n}", t[0], t[2]) for n, t in enumerate(texts))
    copy = _analysis(pipeline, "copy", "عنوان آخر", texts[0][2] + " وكانت الوكالة قد ذكرت ذلك أمس.")
    repeat = _analysis(pipeline, "u1", "عنوان", "نص آخر قصير")  # the URL of ``other`` again
    shared = str(tmp_path / "peers")
    a, b = analysis_pool._Peers(shared), analysis_pool._Peers(shared)
    a.publish([(0, report), (1, other)])
    b.publish([(4, copy), (5, repeat)])
    b.catch_up()
    assert b.joins(4, copy) and b.joins(5, repeat)  # the earlier files were worker a's
    a.catch_up()
    assert not a.joins(0, report) and not a.joins(1, other)  # the copy comes after them
    # An unrelated file is drafted; and the oldest generation is forgotten whole.
    monkeypatch.setattr(analysis_pool, "PEERS", 2)
    a.publish([(6, third)])
    b.catch_up()
    assert not b.joins(6, third)
    assert b.joins(9, copy)  # the copy at 4, in the older generation
    b.publish([(7, _analysis(pipeline, "u7", "x", "y"))])
    b.publish([(8, _analysis(pipeline, "u8", "y", "z"))])
    b.catch_up()
    assert not b.joins(9, copy)  # positions 0 to 5 are gone with their generation


def test_a_worker_stops_sharing_on_a_cut_frame_and_keeps_its_own_files(folder, tmp_path):
    """A frame cut short (a worker killed as it wrote) costs the others only their hints."""
    pipeline = Pipeline(None)
    title, _, body = sorted(folder.glob("*.txt"))[0].read_text(encoding="utf-8").split("\n", 2)
    shared = tmp_path / "peers"
    shared.write_bytes(b"")
    peers = analysis_pool._Peers(str(shared))
    with shared.open("ab") as f:
        f.write(analysis_pool._FRAME.pack(1000) + b"cut")
    peers.catch_up()
    assert peers.path is None
    peers.publish([(0, _analysis(pipeline, "u0", title, body))])
    assert peers.joins(1, _analysis(pipeline, "u0", "عنوان", "نص"))  # its own file, still known


def test_the_last_articles_are_stored_in_small_batches():
    """The last batch is stored once every article is analyzed, the workers idle: it is kept small.
    Fewer articles than files (files skipped): the small batches start earlier, still in order."""
    calls: list[tuple[int, int]] = []

    class Writer:
        def process_many(self, source_id, items, batch=100):
            items = list(items)
            calls.append((len(items), batch))
            return iter(items)

    assert list(analysis_pool.stored(Writer(), 1, iter(range(450)), 450)) == list(range(450))
    assert calls == [(450 - analysis_pool.TAIL_ARTICLES, 100), (analysis_pool.TAIL_ARTICLES, analysis_pool.TAIL_BATCH)]
    calls.clear()
    assert list(analysis_pool.stored(Writer(), 1, iter(range(40)), 50)) == list(range(40))
    assert calls == [(0, 100), (40, analysis_pool.TAIL_BATCH)]
