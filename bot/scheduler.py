"""The long-running mode: APScheduler polls sources and drains the outbox until told to stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime, timedelta
from typing import Protocol, Sequence

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import bursts
from bot.app import App
from bot.delivery import DeliveryWorker
from bot.metrics import METRICS, MetricsServer, OutboxCollector
from bot.transports.base import Transport
from storage import sources as source_store
from storage.db import connection_problem, ping, transaction

log = logging.getLogger(__name__)

# Coalesced, one instance at a time; a run missed during downtime or a stall runs once, late.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


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

    def schedule(self) -> None:
        now = self.app.clock()
        for name, when in first_runs(self.app, now).items():
            cfg = next(c for c in self.app.config.sources if c.name == name)
            self.scheduler.add_job(
                self._poll, "interval", seconds=cfg.interval_s, next_run_time=when,
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

    def _bursts(self) -> None:
        """Queue «تغطية مكثفة» alerts for topics bursting now; a failure waits for the next check."""
        try:
            bursts.check(self.app.factory, self.app.config.bursts, self.app.clock())
        except Exception as exc:
            log.error("burst check failed: %s; the next check tries again", exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))

    def _poll(self, name: str) -> None:
        """Poll one file source; a failure is logged and the job lives on (the next tick polls again)."""
        try:
            METRICS.observe_report(self.app.poll_source(name))
        except Exception as exc:
            log.error("polling %s failed: %s; the next tick tries again", name, exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))

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
