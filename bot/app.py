"""Wiring: one object that holds the database, the pipeline and the delivery worker for a config."""

from __future__ import annotations

import gc
import logging
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.article import utcnow
from bot.config import Config
from bot.topics import TopicIndex, seed_watchlists
from bot.transports.discord_address import webhook_address
from storage import chats as chat_store
from storage import sources as source_store
from storage import watchlists as watchlist_store
from storage.db import make_engine, read_transaction, session_factory, transaction, upgrade

# The pipeline (date and event-date parsers, summaries), the feed poller (feed and page parsers,
# httpx) and the delivery worker are imported where they are first used: `raqib watchlists`,
# `stories` and `search` need none of them and start in a fraction of the time (issue 14).
if TYPE_CHECKING:
    from bot.text.boilerplate import Rules as BoilerplateRules
    from bot.delivery.worker import DeliveryWorker
    from bot.sources.feed_poller import FeedPoller
    from bot.pipeline import Pipeline, PollReport
    from bot.transports.base import Transport
    from handlers.services import Services

log = logging.getLogger(__name__)

CLI_SOURCE = "files"
# A file source's poll with at least this many files runs its text stages in worker processes
# (``[general] ingest_workers`` > 1): ~2,000 articles are ~10 s of text stages on one core, which
# two workers halve for ~2 s of start-up.
POLL_POOL_FILES = 2000
# The collector's thresholds in a long-running process or a bulk ingest (``App.tuned_collector``):
# the text stages make many short-lived containers (word lists, shingle sets), and a young
# generation of 700 (Python's default) ran ~1,000 passes per 3,000 SaudiNewsNet articles, each
# walking the batch's live analyses again; 50,000 runs a few (measured: the collector's CPU 0.26 ->
# 0.03 ms per article with the start-up heap frozen, the same peak memory).
GC_THRESHOLD = (50_000, 10, 10)


class App:
    def __init__(self, config: Config, clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.clock = clock
        self.engine: Engine = make_engine(config.database_url)
        self.factory: sessionmaker[Session] = session_factory(self.engine)
        self.topics = TopicIndex()
        self._pipeline: Pipeline | None = None
        self._boilerplate: BoilerplateRules | None = None

    @property
    def pipeline(self) -> Pipeline:
        """Built on first use: only the commands that ingest need it (and its parsers)."""
        if self._pipeline is None:
            from bot.pipeline import Pipeline

            self._pipeline = Pipeline(
                self.factory, dedup_window=timedelta(days=self.config.dedup_window_days), clock=self.clock,
                topics=self.topics, same_event=self.config.same_event,
            )
        return self._pipeline

    def close(self) -> None:
        self.engine.dispose()

    def bootstrap(self) -> None:
        """Schema, default watchlists, configured sources and subscriptions: safe to repeat, and safe
        for workers started together (a migration lock, and every row created at most once)."""
        upgrade(self.engine)
        now = self.clock()
        with transaction(self.factory) as s:
            added = seed_watchlists(s, self.config.watchlists_file, now)
            if added:
                log.info("stored default watchlists: %s", ", ".join(added))
            for src in self.config.sources:
                source_store.ensure_source(s, src.name, "files", str(src.path), src.interval_s, now)
            if self.config.feeds.sources:
                from bot.sources.feed_poller import register_config_feeds

                register_config_feeds(s, self.config.feeds, now)
            for sub in self.config.subscriptions:
                address = webhook_address(s, sub.chat, now)  # a webhook URL: its token stored apart
                live = chat_store.resolve_address(s, address)
                if live != address:  # subscribe() follows the move; the operator should too
                    log.warning("config names %s, which moved to %s; update the config", address, live)
                for topic in sub.topics:
                    row = watchlist_store.get_watchlist(s, topic)
                    if row is None:
                        log.warning("config subscription %s → %s: no such watchlist", address, topic)
                        continue
                    chat_store.subscribe(s, address, row.id, now)

    @contextmanager
    def tuned_collector(self) -> Iterator[None]:
        """The garbage collector set for a process that ingests much (``raqib ingest``, ``raqib run``).

        What start-up loaded (modules, the text stages' tables, the compiled watchlists, the
        boilerplate rules; loaded here if not yet) lives as long as the process: frozen
        (``gc.freeze``), a full pass no longer walks it (measured on SaudiNewsNet: the full passes'
        CPU 0.42 -> 0.11 ms per article), and ``GC_THRESHOLD`` makes the young passes rare. Undone
        on exit (unfrozen unless something else had frozen first, thresholds restored): a process
        that makes many apps (the tests) keeps collecting what each left."""
        self.pipeline, self.boilerplate  # noqa: B018 - loaded now, to be frozen with the rest
        with read_transaction(self.factory) as session:
            self.topics.refresh(session)
        thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLD)
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            if not frozen:
                gc.unfreeze()

    @property
    def boilerplate(self) -> BoilerplateRules:
        if self._boilerplate is None:
            from bot.text.boilerplate import load_rules

            self._boilerplate = load_rules(self.config.boilerplate_files)
        return self._boilerplate

    def feed_poller(self, **kw) -> FeedPoller:
        """A feed poller for this config; create it inside the event loop that will use it."""
        from bot.sources.feed_poller import FeedPoller

        return FeedPoller(self.factory, self.pipeline, self.config.feeds, clock=self.clock, rules=self.boilerplate, **kw)

    def chat_services(self, backlog: int, command_rate: float, command_burst: int) -> Services:
        """What chat commands get, the same on every platform (only limits differ per platform)."""
        from handlers.services import Services
        from handlers.throttle import Throttle

        return Services(
            factory=self.factory,
            timezone=self.config.timezone,
            topics=self.topics,
            clock=self.clock,
            backlog=backlog,
            throttle=Throttle(command_rate, command_burst),
            feeds=self.feed_poller(),
        )

    def worker(self, transports: dict[str, Transport]) -> DeliveryWorker:
        from bot.delivery.worker import DeliveryWorker, RetryPolicy

        policy = RetryPolicy(
            self.config.backoff_base_s, self.config.backoff_max_s, self.config.give_up_after_hours * 3600
        )
        return DeliveryWorker(
            self.factory,
            transports,
            policy,
            lease_s=self.config.lease_s,
            batch=self.config.delivery_batch,
            clock=self.clock,
            owners=self.owner_chats(),
            zone=self.config.timezone,  # chats without a zone of their own: quiet hours, digest periods
        )

    def owner_chats(self) -> list[str]:
        """Where raqib's own notices go: each Telegram owner's private chat (its id is the user's),
        and each Discord owner's direct messages (``discord-dm:USER_ID``) when a Discord bot token
        is set: without a bot nothing could open them, and the rows would wait for ever."""
        chats = [f"telegram:{owner}" for owner in sorted(self.config.telegram.owners)]
        if self.config.discord_token:
            chats += [f"discord-dm:{owner}" for owner in sorted(self.config.discord.owners)]
        return chats

    def ingest_paths(
        self, paths: Iterable[Path], source: str = CLI_SOURCE, progress=None, workers: int = 1, stats=None,
        start_method: str | None = None,
    ) -> PollReport:
        """Run files through the pipeline; ``progress`` wraps the file list (a progress bar).

        ``workers`` > 1: files are read, cleaned and analyzed in that many processes, this one
        among them (``bot.sources.analysis_pool``) and the only writer; the outcomes are the same.
        ``stats``: a ``PoolStats`` to fill with the workers' CPU (the bench); ``start_method``: how
        the workers start (``multiprocessing``; default: forked, for a process with one thread)."""
        from bot.pipeline import PollReport
        from bot.sources.files import iter_article_files, load_articles

        files = iter_article_files(paths)
        with transaction(self.factory) as s:
            location = ", ".join(str(p) for p in paths) if source == CLI_SOURCE else None
            src = self._source_row(s, source, location)
        report = PollReport(source)
        pool = None
        if workers > 1:
            from bot.sources import analysis_pool

            # No more workers than chunks of files to give them; an in-memory database has no
            # watchlists a worker could read.
            workers = min(workers, -(-len(files) // analysis_pool.CHUNK))
            if workers > 1 and self.engine.url.database not in (None, "", ":memory:"):
                pipeline = self.pipeline  # loaded before the workers start, so they inherit it
                settings = analysis_pool.Settings(
                    self.config.database_url, source, self.config.max_file_bytes, self.config.boilerplate_files,
                    same_event=pipeline.same_event, source_id=src,
                )
                # Started before the progress bar (a thread of its own).
                pool = analysis_pool.AnalysisPool(settings, workers, rules=self.boilerplate, stats=stats,
                                                  start_method=start_method)
        try:
            iterable = progress(files) if progress else files
            if pool is not None:
                outcomes = analysis_pool.stored(self.pipeline, src, pool.articles(iterable), len(files))
            else:
                articles = load_articles(iterable, source=source, max_bytes=self.config.max_file_bytes, rules=self.boilerplate)
                outcomes = self.pipeline.process_many(src, articles)
            for outcome in outcomes:
                report.outcomes.append(outcome)
        finally:
            if pool is not None:
                pool.close()
        return report

    def _source_row(self, s: Session, name: str, location: str | None) -> int:
        for cfg in self.config.sources:
            if cfg.name == name:
                return source_store.ensure_source(s, name, "files", str(cfg.path), cfg.interval_s, self.clock()).id
        return source_store.ensure_source(s, name, "files", location or "-", 0, self.clock()).id

    def _poll_workers(self, folder: Path) -> dict:
        """A file source's poll with many files runs the text stages in ``[general] ingest_workers``
        processes, as ``raqib ingest`` does. Started from a fork server: ``raqib run`` runs other
        threads, which a fork must not copy. Fewer files than ``POLL_POOL_FILES`` are not worth its
        start (~2 s of CPU); a folder polled again costs its workers only reading and analysis (no
        drafts for files stored already: ``analysis_pool.Settings.source_id``)."""
        workers = self.config.ingest_workers
        if workers < 2:
            return {}
        from bot.sources import analysis_pool
        from bot.sources.files import iter_article_files

        if len(iter_article_files([folder])) < POLL_POOL_FILES:
            return {}
        return {"workers": workers, "start_method": analysis_pool.threaded_start_method()}

    def poll_source(self, name: str) -> PollReport:
        """Poll one configured file source and record how it went, whatever happened."""
        from bot.pipeline import FAILED, PollReport

        cfg = next(c for c in self.config.sources if c.name == name)
        now = self.clock()
        try:
            if not cfg.path.is_dir():
                raise FileNotFoundError(f"source folder not found: {cfg.path}")
            report = self.ingest_paths([cfg.path], source=name, **self._poll_workers(cfg.path))
            failed = [o for o in report.outcomes if o.status == FAILED]
            # The other files were stored; the source's status says which one was not, and why.
            error = f"{len(failed)} file(s) not stored; first: {failed[0].url}: {failed[0].detail}"[:500] if failed else None
        except Exception as exc:  # one broken source must not stop the others
            log.exception("polling %s failed", name)
            report, error = PollReport(name, error=str(exc)), str(exc)
        with transaction(self.factory) as s:
            src = self._source_row(s, name, None)
            source_store.record_poll(s, src, now, now + timedelta(seconds=cfg.interval_s), error)
        return report

    def poll_all(self) -> Iterator[PollReport]:
        """`raqib run --once`: poll every configured file source now, due or not, each through the
        same claim as the scheduler's polls (``storage.sources.claim_source``), so a source another
        process polls at this moment (a `raqib run`, another `--once`) is skipped, and logged."""
        from bot.sources.claims import ClaimKeeper

        lease = timedelta(seconds=self.config.source_lease_s)
        for cfg in self.config.sources:
            with transaction(self.factory) as s:
                claim = source_store.claim_source(s, cfg.name, self.clock(), lease, due_only=False)
            if claim is not None and not claim.won:
                until = f" until {claim.held_until.isoformat(timespec='seconds')}" if claim.held_until else ""
                log.warning("%s: another process is polling it (claimed%s); skipped", cfg.name, until,
                            extra={"source_name": cfg.name})
                continue
            with ClaimKeeper(self.factory, self.clock, claim, lease):
                report = self.poll_source(cfg.name)
            yield report
