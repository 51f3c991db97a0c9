"""`raqib ingest --workers N`: the text stages in worker processes, one writer, the same outcomes.

Real SaudiNewsNet articles (read from the shared data, written to a temporary folder), ingested
once with one process and once with two workers into two fresh databases: every outcome (status,
story, topics, alerts queued, detail) must be the same, in the same order. Then what may go wrong
in a worker: an article whose analysis raises, a worker that dies, watchlists changed mid-ingest.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import zipfile
from pathlib import Path
from typing import Iterable, Iterator

import pytest

from bot.app import GC_THRESHOLD, App
from bot.cli.main import main
from bot.config import load_config
from bot.pipeline import BATCH, DUPLICATE, FAILED, JOINED, NEW, Pipeline
from bot.sources import analysis_pool, files
from bot.sources.files import iter_article_files, load_articles, read_article_file
from bot.text import dedup
from storage import articles as article_store
from storage import watchlists as watchlist_store
from storage.db import transaction
from tests.conftest import POSTGRES_URL, Clock, private_pg_schema, write_config

ARTICLES = 160  # seven chunks of 25: both workers busy, several chunks ahead of the writer


@pytest.fixture(scope="module")
def news(tmp_path_factory, shared_data) -> Path:
    """A folder of real articles as `raqib ingest` finds them, with a copy (an exact duplicate
    under another name) and a file that is not an article (skipped, no outcome)."""
    folder = tmp_path_factory.mktemp("news")
    archive = sorted((shared_data / "saudinewsnet").glob("*.zip"))[0]
    with zipfile.ZipFile(archive) as zf:
        items = json.loads(zf.read(zf.namelist()[0]))[:ARTICLES]
    for i, item in enumerate(items):
        text = f"{item['title']}\n{item['date_extracted'][:10]}\n{item['content']}\n"
        (folder / f"{i:04d}.txt").write_text(text, encoding="utf-8")
    (folder / "0100_copy.txt").write_bytes((folder / "0007.txt").read_bytes())
    (folder / "0050_binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    return folder


@contextlib.contextmanager
def _database(db_url: str, folder: Path) -> Iterator[str]:
    """A second fresh database of the same kind as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{folder / 'second.db'}"
        return
    assert POSTGRES_URL
    with private_pg_schema(POSTGRES_URL) as url:
        yield url


def _app(folder: Path, url: str) -> App:
    folder.mkdir(exist_ok=True)
    app = App(load_config(write_config(folder, url), env={}), clock=Clock())
    app.bootstrap()
    return app


def _key(outcomes) -> list[tuple]:
    return [(o.status, o.url, o.story_id, o.topics, o.queued, o.detail) for o in outcomes]


def _source(app: App) -> int:
    with transaction(app.factory) as s:
        return app._source_row(s, "files", "test")


def test_two_workers_store_what_one_process_does(tmp_path, db_url, news):
    one = _app(tmp_path / "one", db_url)
    try:
        expected = one.ingest_paths([news]).outcomes
    finally:
        one.close()
    with _database(db_url, tmp_path) as url:
        app = _app(tmp_path / "two", url)
        try:
            stats = analysis_pool.PoolStats()
            got = app.ingest_paths([news], workers=2, stats=stats).outcomes
        finally:
            app.close()
    assert stats.chunks >= 7 and stats.fallback_chunks == 0 and stats.worker_cpu > 0  # the workers did it
    assert len(expected) == ARTICLES + 1  # the binary file was skipped, the copy was not
    assert _key(got) == _key(expected)
    statuses = [o.status for o in got]
    assert statuses.count(DUPLICATE) >= 1 and statuses.count(NEW) > ARTICLES // 2 and FAILED not in statuses


def _fork_pool(app: App, workers: int = 2) -> analysis_pool.AnalysisPool:
    """A pool whose workers are forked now: what the test patched before is what they run."""
    settings = analysis_pool.Settings(app.config.database_url, "files", app.config.max_file_bytes)
    return analysis_pool.AnalysisPool(settings, workers, rules=app.boilerplate, start_method="fork")


def _one_process(app: App, paths: Iterable[Path]) -> list:
    items = load_articles(paths, source="files", max_bytes=app.config.max_file_bytes, rules=app.boilerplate)
    return list(app.pipeline.process_many(_source(app), items))


def _one_and_two(tmp_path: Path, news: Path) -> tuple[list, list, analysis_pool.AnalysisPool]:
    """The folder stored by one process and, in another database, through a pool of two workers
    forked now (what the test patched before is what they run): both outcome lists and the pool."""
    paths = iter_article_files([news])
    one = _app(tmp_path / "one", f"sqlite:///{tmp_path / 'one.db'}")
    two = _app(tmp_path / "two", f"sqlite:///{tmp_path / 'two.db'}")
    try:
        expected = _one_process(one, paths)
        with _fork_pool(two) as pool:
            got = list(two.pipeline.process_many(_source(two), pool.articles(paths)))
    finally:
        one.close()
        two.close()
    return expected, got, pool


def test_an_article_whose_analysis_raises_fails_alone_as_with_one_process(tmp_path, news, monkeypatch):
    bad = read_article_file(news / "0031.txt").title
    real = Pipeline.analyze

    def analyze(self, article):
        if article.title == bad:
            raise ValueError("a hostile article")
        return real(self, article)

    monkeypatch.setattr(Pipeline, "analyze", analyze)
    expected, got, pool = _one_and_two(tmp_path, news)
    failed = [o for o in got if o.status == FAILED]
    assert [o.url for o in failed] == [str(news / "0031.txt")] and "a hostile article" in failed[0].detail
    assert _key(got) == _key(expected)


def test_an_article_a_worker_could_not_analyze_is_analyzed_by_the_writer(tmp_path, news, monkeypatch):
    writer = os.getpid()
    real = Pipeline.analyze

    def analyze(self, article):
        if os.getpid() != writer and article.url.endswith("0031.txt"):
            raise MemoryError("only in the worker")
        return real(self, article)

    monkeypatch.setattr(Pipeline, "analyze", analyze)
    expected, got, pool = _one_and_two(tmp_path, news)
    assert FAILED not in {o.status for o in got}
    assert _key(got) == _key(expected)


def test_files_of_a_worker_that_died_are_read_by_the_writer(tmp_path, news, monkeypatch, caplog):
    writer = os.getpid()
    real = files.read_article_file

    def read(path, **kw):
        # A worker's second file: the first chunk is always a worker's (the writer analyzes only
        # chunks behind it, ``AnalysisPool._land``).
        if os.getpid() != writer and Path(path).name == "0001.txt":
            os._exit(3)  # killed mid-chunk (out of memory, a signal)
        return real(path, **kw)

    monkeypatch.setattr(files, "read_article_file", read)
    expected, got, pool = _one_and_two(tmp_path, news)
    assert pool.stats.fallback_chunks >= 1
    assert "reading them in the writer" in caplog.text
    assert _key(got) == _key(expected)


def test_a_worker_dying_while_the_writer_analyzes_chunks_itself_costs_no_file_and_no_hang(tmp_path, news, monkeypatch):
    """The worker is slow, then dies: meanwhile the writer has taken later chunks (it would
    otherwise wait). Taking them once cancelled their tasks in the pool, and a cancelled task still
    pending when the worker died broke ``ProcessPoolExecutor``'s clean-up: the remaining futures
    never resolved and the ingest waited forever. Now every file is stored, as by one process."""
    import threading
    import time

    writer = os.getpid()
    real = files.read_article_file

    def read(path, **kw):
        if os.getpid() != writer:
            time.sleep(0.05)  # slow: the writer takes the chunks behind the first
            if Path(path).name == "0003.txt":
                os._exit(3)
        return real(path, **kw)

    monkeypatch.setattr(files, "read_article_file", read)
    result: list = []
    runner = threading.Thread(target=lambda: result.append(_one_and_two(tmp_path, news)), daemon=True)
    runner.start()
    runner.join(600)  # a liveness guard, not a timing: the run takes seconds, a hang forever
    assert not runner.is_alive(), "the ingest hung after the worker died"
    expected, got, pool = result[0]
    assert pool.stats.fallback_chunks >= 1 and pool.stats.writer_chunks >= 1
    assert _key(got) == _key(expected)


def test_chunks_the_writer_analyzed_itself_store_what_one_process_does(tmp_path, news, monkeypatch):
    """A slow worker: the writer analyzes (and drafts) the chunks it would wait for, and the
    outcomes are still those of one process, in order."""
    import time

    writer = os.getpid()
    real = files.read_article_file

    def read(path, **kw):
        if os.getpid() != writer:
            time.sleep(0.02)
        return real(path, **kw)

    monkeypatch.setattr(files, "read_article_file", read)
    expected, got, pool = _one_and_two(tmp_path, news)
    stats = pool.stats
    assert stats.writer_chunks > 0 and stats.chunks > stats.writer_chunks and stats.fallback_chunks == 0
    assert _key(got) == _key(expected)


def test_a_watchlist_added_mid_ingest_is_matched_as_with_one_process(tmp_path, news, monkeypatch):
    """Drafts made by the workers before the change carry the old watchlists version: the writer
    makes them again, and every article stored after the change is matched against the new one."""
    paths = iter_article_files([news])
    # Pulled while the writer gathers its second batch (its first is stored): the workers have
    # already drafted the articles of several chunks ahead with the old watchlists.
    change_at = BATCH + 20

    def changing(app: App, items: Iterable) -> Iterator:
        for i, item in enumerate(items):
            if i == change_at:
                with transaction(app.factory) as s:
                    watchlist_store.seed_watchlist(
                        s, "riyadh", "الرياض", {"all": [["الرياض"]]}, "test", app.clock()
                    )
            yield item

    one = _app(tmp_path / "one", f"sqlite:///{tmp_path / 'one.db'}")
    two = _app(tmp_path / "two", f"sqlite:///{tmp_path / 'two.db'}")
    try:
        items = load_articles(paths, source="files", max_bytes=one.config.max_file_bytes, rules=one.boilerplate)
        expected = list(one.pipeline.process_many(_source(one), changing(one, items)))
        with _fork_pool(two) as pool:
            redone = []
            real = Pipeline._draft

            def draft(self, article, analyzed=None):  # in the writer only: the workers were forked
                if self is two.pipeline:  # not the writer's own chunks' drafts (``AnalysisPool._analyze_here``)
                    redone.append(article.url)
                return real(self, article, analyzed)

            monkeypatch.setattr(Pipeline, "_draft", draft)
            got = list(two.pipeline.process_many(_source(two), changing(two, pool.articles(paths))))
    finally:
        one.close()
        two.close()
    riyadh = [i for i, o in enumerate(expected) if "riyadh" in o.topics]
    assert riyadh and min(riyadh) >= BATCH  # the change is real: the second batch matches it
    assert redone  # stale drafts were made again in the writer
    assert _key(got) == _key(expected)


# --- the command: --workers, the config key, the exit status ---------------------------------


def _small_folder(tmp_path: Path, news: Path, n: int = 60) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for f in sorted(news.glob("0*.txt"))[:n]:
        (folder / f.name).write_bytes(f.read_bytes())
    return folder


def test_raqib_ingest_with_workers_exits_0_when_all_were_stored_or_duplicates(tmp_path, db_url, news, capsys, monkeypatch):
    started = []
    real = analysis_pool.AnalysisPool.__init__

    def init(self, settings, workers, **kw):
        started.append(workers)
        real(self, settings, workers, **kw)

    monkeypatch.setattr(analysis_pool.AnalysisPool, "__init__", init)
    folder = _small_folder(tmp_path, news)
    config = str(write_config(tmp_path, db_url))
    assert main(["ingest", str(folder), "--config", config, "--workers", "2"]) == 0
    assert started == [2]
    err = capsys.readouterr().err
    assert "not stored" not in err and "new stories" in err
    # The same files again, with the workers from the config: every one a duplicate, still 0.
    monkeypatch.setenv("RAQIB_GENERAL_INGEST_WORKERS", "2")
    assert main(["ingest", str(folder), "--config", config]) == 0
    assert started == [2, 2]
    assert "59 duplicates" in capsys.readouterr().err  # 60 files, the binary one skipped
    assert main(["ingest", str(folder), "--config", config, "--workers", "0"]) == 2


@pytest.mark.parametrize("workers", ["1", "2"])
def test_raqib_ingest_runs_with_the_collector_tuned_and_restores_it(tmp_path, news, monkeypatch, workers):
    """The start-up heap frozen and the young generation larger while the files are stored (the
    analysis pool freezes and unfreezes on its own inside), all of it undone after: a process
    running many ingests (this one) keeps collecting what each left."""
    seen = []
    real = App.ingest_paths

    def ingest(self, *args, **kw):
        # The watchlists compiled and the text stages loaded before the freeze: frozen with it.
        seen.append((gc.get_threshold(), gc.get_freeze_count() > 0, self.topics.version is not None))
        return real(self, *args, **kw)

    monkeypatch.setattr(App, "ingest_paths", ingest)
    before = gc.get_threshold(), gc.get_freeze_count()
    config = str(write_config(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}"))
    assert main(["ingest", str(_small_folder(tmp_path, news)), "--config", config, "--workers", workers]) == 0
    assert seen == [(GC_THRESHOLD, True, True)]
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_the_collector_left_frozen_by_another_stays_frozen(tmp_path):
    app = _app(tmp_path / "app", f"sqlite:///{tmp_path / 'raqib.db'}")
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with app.tuned_collector():
            assert gc.get_threshold() == GC_THRESHOLD
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
        app.close()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_raqib_ingest_exits_1_naming_the_articles_it_could_not_store(tmp_path, news, capsys, monkeypatch, workers):
    folder = _small_folder(tmp_path, news)
    refused = read_article_file(folder / "0012.txt").title
    real_add = article_store.add_article

    def picky_add(session, story_id, new):  # the writer's store refuses one article
        if new.title == refused:
            raise ValueError("value too long for the column")
        return real_add(session, story_id, new)

    monkeypatch.setattr(article_store, "add_article", picky_add)
    config = str(write_config(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}"))
    assert main(["ingest", str(folder), "--config", config, "--workers", workers]) == 1
    err = capsys.readouterr().err
    assert "1 not stored" in err
    assert f"not stored: {folder / '0012.txt'}: ValueError: value too long for the column" in err


# --- what the workers leave out, and the scheduler's polls -----------------------------------


def test_workers_make_no_drafts_for_files_stored_already(tmp_path, news, monkeypatch):
    """The same folder again: every file is a duplicate, which the writer stores without a draft,
    so the workers make none (a draft is most of a worker's CPU); outcomes as with one process."""
    # The workers' drafts only: the chunks the writer would analyze itself have none.
    monkeypatch.setattr(analysis_pool.AnalysisPool, "writer_analyzes", False)
    paths = iter_article_files([news])
    one = _app(tmp_path / "one", f"sqlite:///{tmp_path / 'one.db'}")
    two = _app(tmp_path / "two", f"sqlite:///{tmp_path / 'two.db'}")
    try:
        first_one = _one_process(one, paths)
        again_one = _one_process(one, paths)
        src = _source(two)
        settings = analysis_pool.Settings(two.config.database_url, "files", two.config.max_file_bytes,
                                          source_id=src)
        with analysis_pool.AnalysisPool(settings, 2, rules=two.boilerplate, start_method="fork") as pool:
            items = list(pool.articles(paths))
            first_two = list(two.pipeline.process_many(src, items))
            # Undrafted: the repeats and the silent near copies of an earlier file, whichever worker
            # read it (the two workers take turns at the chunks), and nothing else on these files.
            undrafted = {n for n, item in enumerate(items) if item.draft is None}
            silent = {n for n, o in enumerate(first_two)
                      if o.status == DUPLICATE or (o.status == JOINED and o.relation in (dedup.COPY, dedup.CONTAINED))}
            assert undrafted == silent and any(first_two[n].status == JOINED for n in silent)
            items = list(pool.articles(paths))
            again_two = list(two.pipeline.process_many(src, items))
    finally:
        one.close()
        two.close()
    assert all(item.draft is None for item in items)  # the second pass: no draft made at all
    assert {o.status for o in again_two} == {DUPLICATE}
    assert _key(first_two) == _key(first_one) and _key(again_two) == _key(again_one)


@pytest.mark.enable_socket  # the fork server's local (AF_UNIX) socket; no network is reached
def test_a_poll_of_a_folder_with_many_files_runs_its_text_stages_in_the_workers(tmp_path, news, monkeypatch):
    """``raqib run`` polls a file source with ``[general] ingest_workers`` processes when it holds
    many files, started from a fork server (the scheduler runs threads, which a fork must not
    copy), with the outcomes of a poll by one process."""
    from bot import app as app_module

    monkeypatch.setattr(app_module, "POLL_POOL_FILES", 100)
    started: list[tuple[int, str | None]] = []
    real = analysis_pool.AnalysisPool.__init__

    def init(self, settings, workers, **kw):
        started.append((workers, kw.get("start_method")))
        real(self, settings, workers, **kw)

    monkeypatch.setattr(analysis_pool.AnalysisPool, "__init__", init)
    source = f'[[sources]]\nname = "inbox"\npath = "{news}"\ninterval = 300\n'
    reports = []
    for name, workers in (("one", "1"), ("two", "2")):
        folder = tmp_path / name
        folder.mkdir()
        config = load_config(write_config(folder, f"sqlite:///{folder / 'raqib.db'}", extra=source),
                             env={"RAQIB_GENERAL_INGEST_WORKERS": workers})
        app = App(config, clock=Clock())
        app.bootstrap()
        try:
            reports.append(app.poll_source("inbox"))
        finally:
            app.close()
    assert started == [(2, analysis_pool.threaded_start_method())]
    one, two = reports
    assert one.error is None and two.error is None
    assert len(two.outcomes) == ARTICLES + 1 and _key(two.outcomes) == _key(one.outcomes)


def test_a_poll_of_a_few_files_stays_in_one_process(tmp_path, news, monkeypatch):
    started = []
    monkeypatch.setattr(analysis_pool.AnalysisPool, "__init__", lambda *a, **k: started.append(a))
    folder = _small_folder(tmp_path, news, 30)
    config = load_config(write_config(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}",
                                      extra=f'[[sources]]\nname = "inbox"\npath = "{folder}"\ninterval = 300\n'),
                         env={"RAQIB_GENERAL_INGEST_WORKERS": "2"})
    app = App(config, clock=Clock())
    app.bootstrap()
    try:
        report = app.poll_source("inbox")
    finally:
        app.close()
    assert not started and report.error is None and len(report.outcomes) == 30
