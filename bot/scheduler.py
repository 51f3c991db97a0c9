"""The long-running mode: APScheduler polls sources and drains the outbox until told to stop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from datetime import datetime, timedelta
from typing import Protocol, Sequence

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery import bursts, digests
from bot.app import App
from bot.delivery.worker import DeliveryWorker
from bot.metrics import METRICS, MetricsServer, OutboxCollector
from bot.sources.claims import ClaimKeeper
from bot.transports.base import Transport
from storage import sources as source_store
from storage.db import connection_problem, ping, transaction

log = logging.getLogger(__name__)

# How often `raqib run` drops the same-event keys of old articles (Pipeline.prune_events).
PRUNE_EVERY_S = 3600.0

# Coalesced, one instance at a time; a run missed during downtime or a stall runs once, late.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
# A runner that lost a source looks again no sooner than this (the winner may still be committing).
RECHECK_S = 1.0


def first_runs(app: App, now: datetime) -> dict[str, datetime]:
    """When each source is due: its stored next_check_at, or now if that passed while we were down."""
    with transaction(app.factory) as s:
        stored = {src.name: src.next_check_at for src in source_store.list_sources(s)}
    return {cfg.name: max(now, stored.get(cfg.name) or now) for cfg in app.config.sources}


class Companion(Protocol):
    """Something that lives as long as the runner, e.g. the Telegram bot's polling."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Runner:
    def __init__(self, app: App, transports: dict[str, Transport], companions: Sequence[Companion] = ()) -> None:
        self.app = app
        self.companions = list(companions)
        # Every send is timed and counted for /metrics and /status (bot/metrics.py).
        self.worker: DeliveryWorker = app.worker({k: METRICS.metered(v) for k, v in transports.items()})
        self.metrics_server: MetricsServer | None = None
        self.scheduler = AsyncIOScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
        self.stop_event = asyncio.Event()
        self._drains: set[asyncio.Task] = set()
        self.feeds = None  # the FeedPoller, created in run() inside the event loop
        self._outbox_collector: OutboxCollector | None = None
        # A file source won by this runner stays its own this long past the last renewal ([run]
        # source_lease); a live poll renews every third of it, so only a runner that died (or lost the
        # database) lets another take the source.
        self.source_lease = timedelta(seconds=app.config.source_lease_s)

    def schedule(self) -> None:
        now = self.app.clock()
        for name, when in first_runs(self.app, now).items():
            cfg = next(c for c in self.app.config.sources if c.name == name)
            self.scheduler.add_job(
                self._poll_job, "interval", seconds=cfg.interval_s, next_run_time=when,
                args=[name], id=f"poll:{name}", name=f"poll {name}",
            )
        if self.feeds is not None:
            self.scheduler.add_job(
                self._feed_tick, "interval", seconds=self.app.config.feeds.tick_s,
                next_run_time=now + timedelta(seconds=1), id="feeds", name="poll due feeds",
            )
        self.scheduler.add_job(
            self._drain, "interval", seconds=self.app.config.delivery_interval_s,
            next_run_time=now + timedelta(seconds=1), id="deliver", name="drain outbox",
        )
        self.scheduler.add_job(
            self._bursts, "interval", seconds=bursts.CHECK_EVERY_S,
            next_run_time=now + timedelta(seconds=bursts.CHECK_EVERY_S), id="bursts", name="look for bursts",
        )
        self.scheduler.add_job(
            self._digests, "interval", seconds=digests.CHECK_EVERY_S,
            next_run_time=now + timedelta(seconds=digests.CHECK_EVERY_S), id="digests", name="close digest periods",
        )
        self.scheduler.add_job(
            self._prune_events, "interval", seconds=PRUNE_EVERY_S,
            next_run_time=now + timedelta(seconds=PRUNE_EVERY_S), id="prune", name="prune old event keys",
        )

    def _prune_events(self) -> None:
        """Drop the same-event keys no new article can reach any more; a failure waits for the next run."""
        try:
            removed = self.app.pipeline.prune_events()
            if removed:
                log.info("pruned %d old event key(s)", removed)
        except Exception as exc:
            log.error("event key prune failed: %s; the next run tries again", exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))

    def _digests(self) -> None:
        """Turn each closed period's held alerts into its digest row; a failure waits for the next run."""
        try:
            digests.run(self.app.factory, self.app.clock())
        except Exception as exc:
            log.error("digest run failed: %s; the next run tries again", exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))

    def _bursts(self) -> None:
        """Queue «تغطية مكثفة» alerts for topics bursting now; a failure waits for the next check."""
        try:
            bursts.check(self.app.factory, self.app.config.bursts, self.app.clock())
        except Exception as exc:
            log.error("burst check failed: %s; the next check tries again", exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))

    async def _poll_job(self, name: str) -> None:
        """The scheduled poll, in a thread but tracked like a drain: a stop waits for a running poll
        to finish instead of cancelling its future (which logged a traceback at every such stop)."""
        task = asyncio.current_task()
        assert task is not None
        self._drains.add(task)
        try:
            await asyncio.to_thread(self._poll, name)
        finally:
            self._drains.discard(task)

    def _poll(self, name: str) -> None:
        """Poll one file source if this runner wins it (several `raqib run` share one database),
        then sleep until it is due again; a failure is logged and the job lives on."""
        try:
            with transaction(self.app.factory) as s:
                claim = source_store.claim_source(s, name, self.app.clock(), self.source_lease)
            if claim is not None and not claim.won:
                log.debug("%s is not due or another runner polls it; looking again at %s", name, claim.next_check_at)
                self._wake(name, claim.next_check_at)
                return
            who = {"source_name": name, "worker_pid": os.getpid()}  # which runner polled, in the logs
            log.info("polling %s (pid %d won it)", name, os.getpid(), extra=who)
            with ClaimKeeper(self.app.factory, self.app.clock, claim, self.source_lease):
                report = self.app.poll_source(name)
            METRICS.observe_report(report)
            log.info("polled %s (pid %d): %d new of %d file(s)%s", name, os.getpid(), report.count("new"),
                     len(report.outcomes), f"; {report.error}" if report.error else "", extra=who)
            with transaction(self.app.factory) as s:
                due = source_store.next_check(s, name)
            self._wake(name, due)
        except Exception as exc:
            log.error("polling %s failed: %s; the next tick tries again", name, exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))

    def _wake(self, name: str, when: datetime | None) -> None:
        """Run the source's job next when it is due by the database, which the winning runner set:
        every runner then races for it at that moment instead of on its own phase of the interval."""
        job_id = f"poll:{name}"
        if when is None or self.scheduler.get_job(job_id) is None:
            return  # the interval trigger stands
        self.scheduler.modify_job(job_id, next_run_time=max(when, self.app.clock() + timedelta(seconds=RECHECK_S)))

    async def _feed_tick(self) -> None:
        """Poll the feeds that are due; each records its own outcome, so one failure stops nothing."""
        assert self.feeds is not None
        task = asyncio.current_task()
        assert task is not None
        self._drains.add(task)
        try:
            reports = await self.feeds.tick()
            for report in reports:
                METRICS.observe_report(report)
            if reports:
                log.info("feeds: %d polled, %d failed", len(reports), sum(1 for r in reports if r.error))
        except Exception:
            log.exception("feed tick failed")
        finally:
            self._drains.discard(task)

    async def _drain(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._drains.add(task)
        try:
            report = await self.worker.drain()
            if report.sent or report.failed or report.retried:
                log.info("outbox: %d sent, %d retried, %d failed", report.sent, report.retried, report.failed)
        except Exception as exc:  # the job must live on: the next tick drains again
            log.error("outbox drain failed: %s; the next drain tries again", exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))
        finally:
            self._drains.discard(task)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.stop_event.set)
            except (NotImplementedError, RuntimeError):
                pass
        await self._start_companions()
        self.feeds = self.app.feed_poller()
        self.schedule()
        self.scheduler.start()
        try:
            self._serve_metrics()  # inside the try: a taken port still stops everything cleanly
            log.info("raqib running: %d source(s); Ctrl-C stops", len(self.app.config.sources))
            await self.stop_event.wait()
        finally:
            await self.shutdown()

    def _serve_metrics(self) -> None:
        """/metrics and /healthz when [metrics] port is set (off by default)."""
        port = self.app.config.metrics_port
        if not port:
            return
        from storage import outbox as outbox_store

        def counts() -> dict[str, int]:
            with transaction(self.app.factory) as s:
                return outbox_store.counts(s)

        if self._outbox_collector is None:
            self._outbox_collector = OutboxCollector(counts)
            METRICS.registry.register(self._outbox_collector)
        self.metrics_server = MetricsServer(self.app.config.metrics_listen, port, METRICS.registry, self.healthy).start()

    def healthy(self) -> tuple[bool, str]:
        """/healthz: the scheduler runs and the database answers."""
        if self.stop_event.is_set() or not self.scheduler.running:
            return False, "stopping"
        try:
            ping(self.app.engine)
        except Exception as exc:
            return False, connection_problem(self.app.config.database_url, exc)
        return True, "ok"

    async def shutdown(self) -> None:
        """Stop taking new work, let running polls and sends finish, hand back unsent claims."""
        if self.metrics_server is not None:
            self.metrics_server.stop()
            self.metrics_server = None
        if self._outbox_collector is not None:
            METRICS.registry.unregister(self._outbox_collector)
            self._outbox_collector = None
        self.scheduler.pause()
        self.worker.request_stop()
        # Before the scheduler shuts down: its asyncio executor would cancel a drain mid-send.
        if self._drains:
            await asyncio.gather(*self._drains, return_exceptions=True)
        await asyncio.to_thread(self.scheduler.shutdown, True)
        released = await self.worker.release()
        if self.feeds is not None:
            await self.feeds.aclose()
        for companion in reversed(self.companions):  # after the drains: they send through it
            await companion.stop()
        log.info("stopped cleanly; %d claimed alert(s) returned to the outbox", released)

    async def _start_companions(self) -> None:
        started: list[Companion] = []
        try:
            for companion in self.companions:
                await companion.start()
                started.append(companion)
        except BaseException:
            for companion in reversed(started):
                await companion.stop()
            raise
