"""Bulk ingest's CPU stages in worker processes, feeding the one writer (``raqib ingest --workers N``).

Reading and cleaning a file, its analysis (hashes, fingerprint, bands, search keys) and, on
speculation, the draft of a new story (topic matches, summary, event date) are more than half of an
article's CPU and need no database; they run in ``N`` processes, a chunk of files per task: ``N - 1``
worker processes and the writer itself, which analyzes a chunk no worker has begun whenever the one
it needs next is not ready (``AnalysisPool``: two busy processes on two cores, not three). The
calling process stays the one writer: it gets the results in input order (``Ready`` items, which
``Pipeline.process_many`` stores without analyzing again) and keeps every guarantee of one process:

- the same outcomes in the same order: a worker runs the pipeline's own ``analyze`` and ``_draft``;
- a bad file costs only itself: a file that cannot be read is skipped with the same log line as
  ``files.load_articles``; an article whose analysis raised in a worker goes to the writer as a plain
  ``Article``, whose own analysis then gives it its ``FAILED`` outcome; a chunk whose worker died is
  read and analyzed in the writer;
- watchlists changed mid-ingest: a draft carries the watchlists version it was matched with, and
  the writer redoes a stale one (``Pipeline._prepare`` and the write's version check).

What crosses the process boundary is kept small: an ``Analyzed`` (the cached normalized forms of the
text, several times the article's size) is pickled as its title and body only, which pickle shares
with the article's, and its forms are made again in the writer only if a rare path needs them.
Measured on SaudiNewsNet: ~13 KiB per article, ~0.1 ms of CPU to pickle it in the worker and ~0.25
ms to unpickle it in the writer (its executor thread), against ~6 ms of worker CPU per article.

Where the split's extra CPU goes, and what is done about it:

- drafts made on speculation for articles that turn out copies or other outlets' reports (~30% of
  SaudiNewsNet, ~2.3 ms each): none is made for an article stored already (``Settings.source_id``)
  nor for a repeat or silent near copy of an earlier file, whichever worker read it (``_Peers``:
  the workers share what each analyzed, ahead of the writer's read); other outlets' reports of an
  event (~10%) are still drafted: telling them needs the same-event decision (``bot.text.events``),
  the writer's costliest text stage, for every article;
- start-up: the writer builds and warms one worker's state (rules, watchlists, the text stages'
  tables) before it forks, and each worker takes it over; the shared heap is frozen for the
  collector (``gc.freeze``) while the workers live, so neither side copies its pages;
- stalls: the writer pulls nothing while it stores a batch, so ``WINDOW`` articles are kept in
  flight (``PoolStats.writer_wait`` counts what waits remain); the writer takes a chunk rather
  than wait for one;
- the end: the last chunks are smaller (``AnalysisPool._size``), and so are the writer's last
  batches (``stored``), which it stores once every article is analyzed, the workers idle.
"""

from __future__ import annotations

import contextlib
import copyreg
import fcntl
import gc
import itertools
import logging
import multiprocessing
import os
import pickle
import struct
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sized

from bot.article import Article, sanitize
from bot.pipeline import Analysis, Outcome, Pipeline, Ready
from bot.sources import files
from bot.text import dedup
from bot.text.analysis import Analyzed
from bot.text.boilerplate import Rules, load_rules
from bot.topics import TopicIndex
from storage import articles as article_store
from storage.db import make_engine, read_transaction, session_factory

log = logging.getLogger(__name__)

# Files per task: large enough that a task's overhead (pickling, a watchlists version check) is
# small beside its ~6 ms of CPU per article, small enough that the workers start at once and the
# writer never waits long for the next result.
CHUNK = 25
# The last chunks are smaller (``AnalysisPool._size``): at most what is left over this many shares
# per process, and at least ``MIN_CHUNK`` files.
TAIL_SHARES = 2
MIN_CHUNK = 4
# The last articles are stored in smaller batches (``stored``).
TAIL_ARTICLES = 200
TAIL_BATCH = 20
# Tasks in flight per worker: the next one is queued before a worker finishes its current one.
AHEAD = 3
# Articles analyzed ahead of the writer, at least: the writer pulls nothing while it stores a batch
# (``pipeline.BATCH`` articles, ~0.4 s of CPU), so the workers must hold more than one batch of
# work or they sit idle while it writes (measured: a window of 150 articles left them idle part of
# every batch). Results wait in the writer, ~14 KiB each: 400 articles are ~6 MB.
WINDOW = 400
# Articles of the other workers (and its own) a worker remembers (``_Peers``), per generation (two
# kept, ~40 MB a worker at most): most copies of SaudiNewsNet are within a thousand files of the
# report they copy.
PEERS = 5_000
# Earlier articles sharing a band with an article whose relation to it is weighed (``_Peers.joins``),
# the latest first: a stock phrase shared by hundreds of reports costs no more than this.
PEER_CANDIDATES = 40
# An analysis' band keys begin with the full text's and the lead's (``Pipeline.analyze``).
_COPY_BANDS = dedup.BANDS + dedup.LEAD_BANDS
# Relations whose article joins a story silently: it needs no draft (an update needs its summary).
_SILENT = frozenset({dedup.COPY, dedup.CONTAINED})
_FRAME = struct.Struct("<I")


def _reduce_analyzed(analyzed: Analyzed) -> tuple[type[Analyzed], tuple[str, str]]:
    """An ``Analyzed`` crosses as its text alone: its forms are derived, remade lazily on use."""
    return Analyzed, (analyzed.title, analyzed.body)


copyreg.pickle(Analyzed, _reduce_analyzed)


@dataclass(frozen=True)
class Settings:
    """What a worker needs to read, clean and analyze files as the writer would."""

    database_url: str  # the watchlists (read only) for the speculative drafts
    source: str
    max_bytes: int
    boilerplate_files: tuple[Path, ...] = ()
    speculate: bool = True  # make each article's new-story draft in the worker
    same_event: bool = True  # the writer pipeline's: the event profile is made only if it is used
    # The source's row: a file whose URL, guid or text is stored already is a duplicate, which the
    # writer stores without a draft, so none is made for it (None: every article is drafted).
    source_id: int | None = None


@dataclass(frozen=True)
class Skipped:
    """A file that is not an article we can read, and why (logged by the writer, no outcome)."""

    path: str
    reason: str


# --- in the worker process -------------------------------------------------------------------

_worker: _Worker | None = None
# Built and warmed in the writer before it forks (``AnalysisPool``): a forked worker takes it over
# instead of loading rules, watchlists and the text stages' tables once more.
_template: _Worker | None = None

# An article that takes every text stage's first-use path (tables loaded, patterns compiled): a
# news report with a date, a figure and a dozen content words.
_SAMPLE_TITLE = "وزير الخارجية يلتقي نظيره الروسي في الرياض لبحث التعاون الاقتصادي"
_SAMPLE_BODY = (
    "الرياض - التقى وزير الخارجية اليوم الأحد 12 مارس 2017 نظيره الروسي في الرياض، وبحث الجانبان "
    "العلاقات الثنائية وسبل تعزيز التعاون الاقتصادي والتجاري بين البلدين، وارتفع حجم التبادل "
    "التجاري إلى 5 مليارات دولار خلال العام الماضي بحسب وكالة الأنباء.\n"
    "وقال الوزير في مؤتمر صحفي إن البلدين اتفقا على مواصلة التشاور بشأن القضايا الإقليمية والدولية."
)


class _Peers:
    """What every worker analyzed, for every other: an article that repeats an earlier one (its
    URL, guid or text) or is a near copy of one (``dedup.relation``: a copy, or contained in it)
    will join it or be a duplicate, so no draft is made for it on speculation (~30% of articles;
    a draft is ~2/3 of a worker's CPU per article). The writer alone decides: a guess wrong either
    way only moves a draft's CPU (a copy that turns out template news is drafted by the writer).

    The workers share an append-only file (one frame per chunk, appended under a lock): a worker
    publishes its chunk's keys as soon as it is analyzed and reads the others' before it drafts,
    so it sees every article analyzed before its chunk but the ones of the chunks in flight. The
    writer's read could not tell it (it stores ``WINDOW`` articles behind), nor its own files alone
    (``N`` workers each get one chunk in ``N``). ~1 KiB per article, the file removed at close.

    Every worker indexes every article, so the index is kept cheap (measured: ~0.03 ms per article
    and worker): the full text's and the lead's bands only (a copy shares them; the paragraphs'
    bands find the updates, which are drafted anyway), the first article holding a band only, and
    two generations of ``PEERS`` articles, the older dropped whole."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._offset = 0
        # Key (URL, guid, body hash; band) → position in the input of the first article holding
        # it; position → fingerprint bytes. The current generation first, then the older.
        self._new: tuple[dict, dict] = ({}, {})
        self._old: tuple[dict, dict] = ({}, {})

    @staticmethod
    def keys(analysis: Analysis) -> list:
        article = analysis.article
        keys: list = [("url", article.url), ("body", analysis.body_hash)]
        if article.guid:
            keys.append(("guid", article.guid))
        return keys

    def publish(self, analyzed: list[tuple[int, Analysis]]) -> None:
        """This worker's articles (position, analysis), for the others and for itself."""
        records = [(n, self.keys(a), a.band_keys[:_COPY_BANDS], a.fingerprint.to_bytes() if a.band_keys else b"")
                   for n, a in analyzed]
        if self.path is None:
            self._add(records)
            return
        data = pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)
        data = _FRAME.pack(len(data)) + data
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.write(fd, data) != len(data):
                    raise OSError("short write")
            finally:
                os.close(fd)  # the lock with it
        except OSError:
            self._stop()
            self._add(records)

    def catch_up(self) -> None:
        """Every chunk published since the last call (whole frames: written under the lock)."""
        if self.path is None:
            return
        try:
            with open(self.path, "rb") as f:
                fcntl.flock(f, fcntl.LOCK_SH)
                f.seek(self._offset)
                data = f.read()
            view, at = memoryview(data), 0
            while at < len(data):
                (size,) = _FRAME.unpack_from(view, at)
                self._add(pickle.loads(view[at + _FRAME.size:at + _FRAME.size + size]))
                at += _FRAME.size + size
            self._offset += len(data)
        except Exception:  # a frame cut by a worker killed as it wrote, the disk full: hints only
            self._stop()

    def _stop(self) -> None:
        """Share no more (this worker then knows its own files only): the writer decides anyway."""
        log.warning("analysis worker %d stops sharing what it analyzed", os.getpid(), exc_info=True)
        self.path = None

    def _add(self, records: list[tuple[int, list, list[int], bytes]]) -> None:
        if len(self._new[1]) >= PEERS:
            self._old, self._new = self._new, ({}, {})
        first, prints = self._new
        for n, keys, bands, fingerprint in records:
            for key in keys + bands:
                if first.setdefault(key, n) > n:  # published out of order: the earlier holds it
                    first[key] = n
            prints[n] = fingerprint

    def _first(self, key: object, n: int) -> int:
        return min(self._new[0].get(key, n), self._old[0].get(key, n))

    def joins(self, n: int, analysis: Analysis) -> bool:
        """Whether the article at position ``n`` repeats or silently copies an earlier one."""
        if any(self._first(key, n) < n for key in self.keys(analysis)):
            return True
        found = {m for m in (self._first(band, n) for band in analysis.band_keys[:_COPY_BANDS]) if m < n}
        fingerprint = analysis.fingerprint
        for m in sorted(found, reverse=True)[:PEER_CANDIDATES]:
            stored = self._new[1].get(m) or self._old[1].get(m)
            if stored and dedup.relation(fingerprint, dedup.Fingerprint.from_bytes(stored)) in _SILENT:
                return True
        return False


class _Worker:
    """One worker's state, built once: boilerplate rules, watchlists matcher, a pipeline for its
    CPU stages (it never writes)."""

    def __init__(self, settings: Settings, rules: Rules | None = None, peers: str | None = None) -> None:
        self.settings = settings
        self.peers = _Peers(peers)
        self.rules = rules if rules is not None else load_rules(settings.boilerplate_files)
        self.engine = make_engine(settings.database_url)
        self.factory = session_factory(self.engine)
        self.topics = TopicIndex()
        self.pipeline = Pipeline(self.factory, topics=self.topics, same_event=settings.same_event)

    def warm(self) -> None:
        """Every stage once, on a sample: what each would load on first use (the watchlists'
        matcher, IDF and lexicon tables, compiled patterns) is then loaded in the writer, before
        it forks, and shared by every worker instead of loaded by each (~0.3 s of CPU a worker)."""
        from datetime import datetime, timezone

        with read_transaction(self.factory) as session:
            self.topics.refresh(session)
        sample = Article("warm-up", "warm-up", _SAMPLE_TITLE, _SAMPLE_BODY,
                         datetime(2017, 3, 12, tzinfo=timezone.utc))
        try:
            self._ready(sample)
        except Exception:  # a warm-up only: a real article meets the same error where it is handled
            log.debug("analysis pool warm-up failed", exc_info=True)
        self.peers = _Peers(None)

    def forked(self, peers: str | None) -> _Worker:
        """This (the writer's warmed template) as a forked worker's own: the database connections
        the writer opened are left to it (SQLAlchemy's rule after a fork), the rest is shared."""
        self.engine.dispose(close=False)
        self.peers = _Peers(peers)
        return self

    def run(self, paths: list[str], start: int = 0, draft: bool = True) -> list[Ready | Article | Skipped]:
        """The articles of ``paths``, the files at ``start`` and after in the input; ``draft``: with
        their drafts made on speculation (``Settings.speculate``), else for the others' hints only."""
        settings = self.settings
        out: list[Ready | Article | Skipped] = []
        for path in paths:
            try:
                article = files.read_article_file(
                    Path(path), source=settings.source, max_bytes=settings.max_bytes, rules=self.rules
                )
            except files.SkippedFile as exc:
                out.append(Skipped(path, exc.reason))
                continue
            except Exception as exc:  # as files.load_articles: a parser's bug on one file
                out.append(Skipped(path, f"unexpected {type(exc).__name__}: {str(exc)[:200]}"))
                continue
            out.append(self._analyzed(article))
        if settings.speculate and draft:
            self._speculate(out, start)
        elif settings.speculate:
            self.peers.publish([(start + n, item.analysis) for n, item in enumerate(out) if isinstance(item, Ready)])
        return out

    def _analyzed(self, article: Article) -> Ready | Article:
        try:
            return Ready(self.pipeline.analyze(sanitize(article)))
        except Exception:  # the writer analyzes it again and gives it its FAILED outcome
            return article

    def _speculate(self, items: list[Ready | Article | Skipped], start: int) -> None:
        """Each article's new-story draft, made on speculation, except for the ones that will not
        start a story: a draft costs more than half of a worker's CPU per article, and the writer
        needs none for an article stored already, nor (``_Peers``) for a repeat or near copy of an
        article before it in the input, whichever worker analyzed it."""
        ready = [(start + n, n, item) for n, item in enumerate(items) if isinstance(item, Ready)]
        peers = self.peers
        peers.publish([(at, item.analysis) for at, _, item in ready])
        stored: list[str | None] = [None] * len(ready)
        # Once per chunk: a watchlist changed since is seen by the next chunk's drafts.
        with read_transaction(self.factory) as session:
            self.topics.refresh(session)
            if self.settings.source_id is not None and ready:
                stored = article_store.exact_duplicates(session, self.settings.source_id, [
                    (r.analysis.article.url, r.analysis.article.guid, r.analysis.body_hash) for _, _, r in ready
                ])
        peers.catch_up()
        for (at, n, item), dup in zip(ready, stored):
            analysis = item.analysis
            if dup is not None or peers.joins(at, analysis):
                continue
            try:
                items[n] = Ready(analysis, self.pipeline._draft(analysis.article, analysis.text))
            except Exception:  # made again in the writer, if it is a new story, and failed there
                pass

    def _ready(self, article: Article) -> Ready | Article:
        """One article as ``run`` makes it (the warm-up's path)."""
        items: list[Ready | Article | Skipped] = [self._analyzed(article)]
        if self.settings.speculate:
            self._speculate(items, 0)
        return items[0]


def _init(settings: Settings, peers: str | None) -> None:
    global _worker
    template = _template
    if template is not None and template.settings == settings:
        _worker = template.forked(peers)
    else:
        _worker = _Worker(settings, peers=peers)


def _started() -> None:
    """A no-op task: submitting it starts the workers."""


def _work(paths: list[str], start: int) -> tuple[list[Ready | Article | Skipped], float, Busy]:
    """One chunk (the files at ``start`` in the input), in order, the worker CPU it took (seconds)
    and when this process was busy with it (for the bench's timeline)."""
    assert _worker is not None, "worker not initialized"
    return _timed(_worker, paths, start)


def _timed(
    worker: _Worker, paths: list[str], start: int, draft: bool = True
) -> tuple[list[Ready | Article | Skipped], float, Busy]:
    began, cpu = time.monotonic(), time.process_time()
    out = worker.run(paths, start, draft)
    return out, time.process_time() - cpu, Busy(os.getpid(), began, time.monotonic())


# --- in the writer process ----------------------------------------------------------------------


def stored(pipeline: Pipeline, source_id: int, articles: Iterable[Ready | Article], files: int) -> Iterator[Outcome]:
    """``pipeline.process_many`` over a pool's ``articles`` (of ``files`` files at most), its last
    ``TAIL_ARTICLES`` in batches of ``TAIL_BATCH``: the writer stores its last batch once every
    article is analyzed, alone, the workers idle (a ``BATCH`` of 100 is ~6% of a run of 3000 on
    two cores); a smaller last batch shortens it. The outcomes do not depend on the batches."""
    articles = iter(articles)
    yield from pipeline.process_many(source_id, itertools.islice(articles, max(0, files - TAIL_ARTICLES)))
    yield from pipeline.process_many(source_id, articles, batch=TAIL_BATCH)


@dataclass(frozen=True)
class Busy:
    """A process busy with a chunk (or, the writer, waiting for one) from ``began`` to ``ended``
    (``time.monotonic``: one clock for every process of the machine)."""

    pid: int
    began: float
    ended: float


@dataclass
class PoolStats:
    """Where the pool's time went, for the bench: the CPU of the chunks (start-up excluded), which
    process analyzed them, and when each process was busy or waiting (its timeline)."""

    worker_cpu: float = 0.0
    chunks: int = 0
    fallback_chunks: int = 0
    # Chunks the writer analyzed itself, rather than wait for a worker, and their CPU.
    writer_chunks: int = 0
    writer_cpu: float = 0.0
    # Wall seconds the writer waited for a chunk's results (its workers behind it, or the machine busy).
    writer_wait: float = 0.0
    processes: int = 0  # worker processes started
    # time.monotonic() when the pool was made, when its workers were started, when it closed.
    opened: float = 0.0
    forked: float = 0.0
    closed: float = 0.0
    busy: list[Busy] = field(default_factory=list)  # chunks, in the workers and in the writer
    waits: list[Busy] = field(default_factory=list)  # the writer's waits for a worker's chunk

    def worker_idle(self) -> float:
        """Wall seconds the worker processes had no chunk to work on, from their start to the
        pool's close (their start-up and their waits for the writer's next chunks)."""
        own = os.getpid()
        work = sum(b.ended - b.began for b in self.busy if b.pid != own)
        return max(0.0, self.processes * (self.closed - self.forked) - work)


def _start_method() -> str:
    """Fork where there is fork: the writer has every module loaded and its rules compiled, so a
    forked worker starts in milliseconds, where a fresh interpreter imports for ~1.5 s of CPU.
    ``raqib ingest`` makes its pool before the progress bar's thread starts. A process running
    other threads (``raqib run``: its event loop, the delivery worker's) must not fork: a lock
    another thread holds at that moment stays held in the child for ever; it asks for
    ``FORKSERVER``."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def threaded_start_method() -> str:
    """How a process running other threads starts its workers: from a fork server (which imports
    this module once, then forks a worker per request), else a fresh interpreter each."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


@dataclass
class _Chunk:
    """Files of one task: their position in the input, and their results to come (``future``:
    None until the chunk is given to the workers or taken by the writer)."""

    paths: list[str]
    start: int
    future: Future | None = None
    mine: bool = False  # analyzed by the writer


class AnalysisPool:
    """``workers`` processes reading, cleaning and analyzing files for one writer (this process),
    the writer one of them: ``workers - 1`` worker processes, and the writer itself, which analyzes
    a chunk whenever the one it needs next is not ready, rather than wait for it (``_land``).

    Why not ``workers`` worker processes beside the writer: the writer stores ~0.45 of an article's
    CPU and the workers analyze ~0.6; ``N`` workers and the writer are ``N + 1`` busy processes on
    ``N`` cores, and the writer pulls its articles a batch at a time, so the workers got their work
    in bursts, ran ahead, then all idled together while it stored a batch (on 2 cores, one core
    idle part of every batch, and at the end a ``WINDOW`` of articles the writer stored alone). With
    one worker fewer, the workers are the slower side: they never run out of chunks, the writer
    takes the excess, and both finish together (the last chunks made small: ``_size``).

    Create it before any other thread starts (a progress bar's): its workers start at once."""

    writer_analyzes = True  # False: the writer waits for the workers (tests of the workers' own work)

    def __init__(
        self, settings: Settings, workers: int, *, rules: Rules | None = None, chunk: int = CHUNK,
        start_method: str | None = None, stats: PoolStats | None = None,
    ) -> None:
        context = multiprocessing.get_context(start_method or _start_method())
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload([__name__])  # the text stages imported once, by the server
        self.settings, self.workers, self.chunk = settings, workers, chunk
        self.processes = max(1, workers - 1)  # the writer analyzes too
        self.rules = rules  # the writer's rules (the same files): for the files of a worker that died
        self.stats = stats if stats is not None else PoolStats()
        self.stats.processes, self.stats.opened = self.processes, time.monotonic()
        self._position = 0  # files given out so far (``articles``)
        # Chunks in flight: enough for ``WINDOW`` articles (``_give`` hands half to the workers).
        self.ahead = max(AHEAD * self.processes, -(-WINDOW // chunk))
        # The writer's own worker state, for the chunks it analyzes itself (``_analyze_here``).
        self._local: _Worker | None = None
        global _template
        self._frozen = context.get_start_method() == "fork"
        # Frozen already (``App.tuned_collector`` of ``raqib run``/``ingest``): that freeze is the
        # process's, so closing the pool must not undo it.
        self._unfreeze = self._frozen and not gc.get_freeze_count()
        if self._frozen:
            # The workers' state made once, here, and inherited by each (see ``_Worker.warm``).
            _template = _Worker(settings, rules)
            _template.warm()
            # What the writer holds now is shared with the forked workers; frozen, the collector
            # never writes to it, so neither side copies those pages (copy-on-write) as it runs.
            # Garbage is collected first: frozen, it would stay for the process's life.
            gc.collect()
            gc.freeze()
        # The workers' shared file of what each analyzed (``_Peers``), removed when the pool closes.
        handle, self._peers = tempfile.mkstemp(prefix="raqib-peers-")
        os.close(handle)
        try:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=context, initializer=_init,
                                             initargs=(settings, self._peers))
            self._pool.submit(_started)  # forks every worker now (ProcessPoolExecutor does on first use)
            self.stats.forked = time.monotonic()
        except BaseException:
            os.unlink(self._peers)
            raise
        finally:
            if self._frozen:
                _template.engine.dispose()  # the writer's connections: the workers open their own
                self._local, _template = _template, None  # the writer keeps it for its own chunks
                self._local.peers = _Peers(self._peers)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.stats.closed = time.monotonic()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._peers)
        if self._local is not None:
            self._local.engine.dispose()
            self._local = None
        if self._frozen:
            self._frozen = False
            if self._unfreeze:
                gc.unfreeze()  # what the writer held at the fork is collected as usual again

    def __enter__(self) -> AnalysisPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def articles(self, paths: Iterable[Path]) -> Iterator[Ready | Article]:
        """The articles of ``paths`` (files, as ``files.iter_article_files`` lists them), analyzed,
        in input order; ``self.ahead`` chunks in flight."""
        left = len(paths) if isinstance(paths, Sized) else None  # files not yet given out
        window: deque[_Chunk] = deque()
        batch: list[str] = []
        size = self._size(left)
        for path in paths:
            batch.append(str(path))
            if len(batch) >= size:
                window.append(self._chunk(batch))
                self._give(window)
                if left is not None:
                    left -= len(batch)
                batch, size = [], self._size(left)
                if len(window) > self.ahead:
                    yield from self._land(window)
        if batch:
            window.append(self._chunk(batch))
        while window:
            self._give(window)
            yield from self._land(window)

    def _size(self, left: int | None) -> int:
        """The next chunk's files: ``self.chunk``, and less toward the end of the input (a share of
        the ``left`` files per process), so that no process is left with a long chunk while the
        others have nothing more to do (guided scheduling)."""
        if left is None:
            return self.chunk
        return max(min(self.chunk, MIN_CHUNK), min(self.chunk, left // (TAIL_SHARES * self.workers)))

    def _chunk(self, paths: list[str]) -> _Chunk:
        start = self._position
        self._position += len(paths)
        return _Chunk(paths, start)

    def _give(self, window: deque[_Chunk]) -> None:
        """Give the workers the window's next chunks, in order, until half of the window (at least
        one chunk per worker) is theirs and unfinished: ~200 articles of a long input, more than
        the batch the writer stores between two pulls, so they never idle while it writes. The
        rest stay here, for the workers later or for the writer, which takes one rather than wait
        (a small poll's too). Taking one needs no cancelling in the pool: a cancelled task still
        pending when a worker dies breaks ``ProcessPoolExecutor``'s clean-up (setting the error on
        its future raises in the manager thread; the other futures never resolve, the writer
        waiting forever)."""
        limit = max(self.processes, len(window) // 2)
        busy = sum(1 for chunk in window if chunk.future is not None and not chunk.mine and not chunk.future.done())
        for chunk in window:
            if busy >= limit:
                return
            if chunk.future is None:
                try:
                    chunk.future = self._pool.submit(_work, chunk.paths, chunk.start)
                except Exception as exc:  # the pool broke (a worker died): ``_results`` reads the files here
                    chunk.future = Future()
                    chunk.future.set_exception(exc)
                busy += 1

    def _land(self, window: deque[_Chunk]) -> Iterator[Ready | Article]:
        """The first chunk's articles (``_give`` has given it to the workers). While it is not
        ready, the writer analyzes the next chunk not given to them, rather than wait."""
        first = window[0]
        while self.writer_analyzes and not first.future.done():
            mine = next((chunk for chunk in window if chunk.future is None), None)
            if mine is None:
                break
            self._analyze_here(mine)
        window.popleft()
        yield from self._results(first)

    def _analyze_here(self, chunk: _Chunk) -> None:
        chunk.future, chunk.mine = Future(), True
        try:
            if self._local is None:  # no fork (a fork server): the writer's state made on first use
                self._local = _Worker(self.settings, self.rules, self._peers)
            # No draft on speculation: the writer makes the drafts of the new stories only, as it
            # stores them (a speculative draft is wasted on a report of a known event).
            chunk.future.set_result(_timed(self._local, chunk.paths, chunk.start, draft=False))
        except Exception as exc:  # its files are then read as those of a worker that died
            chunk.future.set_exception(exc)

    def _results(self, chunk: _Chunk) -> Iterator[Ready | Article]:
        settings, stats = self.settings, self.stats
        try:
            waited = time.monotonic()
            try:
                items, cpu, busy = chunk.future.result()
            finally:
                now = time.monotonic()
                stats.writer_wait += now - waited
                stats.waits.append(Busy(os.getpid(), waited, now))
        except Exception as exc:  # a worker died (killed, out of memory): its files are read here
            log.warning("analysis worker failed on %d files (%s: %s); reading them in the writer",
                        len(chunk.paths), type(exc).__name__, str(exc)[:200])
            stats.fallback_chunks += 1
            if self.rules is None:
                self.rules = load_rules(settings.boilerplate_files)
            yield from files.load_articles(
                [Path(p) for p in chunk.paths], source=settings.source, max_bytes=settings.max_bytes,
                rules=self.rules,
            )
            return
        stats.chunks += 1
        stats.busy.append(busy)
        if busy.pid == os.getpid():
            stats.writer_cpu += cpu
            stats.writer_chunks += 1
        else:
            stats.worker_cpu += cpu
        for item in items:
            if isinstance(item, Skipped):
                files.log.warning("skipped %s: %s", item.path, item.reason)
            else:
                yield item
