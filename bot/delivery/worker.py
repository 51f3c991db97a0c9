"""The delivery worker: drains the outbox through the transports, one recorded fact per send.

Each claimed row goes decide → send → record: the decide stages (``bot.delivery.decide.STAGES``:
mute, edit target, digest, quiet hours, short summary) turn it into a verdict (skip, hold, defer)
or the alert to send; the transport sends it; the outcome is recorded in the outbox.

What a failure costs an alert:

- network errors, timeouts, 5xx, 429 and unknown exceptions are the platform's fault, not the
  alert's: the row backs off (exponential with jitter, at most ``backoff_max``) and is tried again,
  however long the outage lasts;
- a permanent answer gives it up at once: 403 / chat gone (the chat is deactivated and its backlog
  dropped), 400 rejected content (``Undeliverable``);
- a row that has kept failing for longer than ``give_up_after_hours`` since it was queued is given up.

Whenever alerts are given up the owners get one notice through the outbox (coalesced while it waits).
A claim is a lease: a heartbeat renews it while the batch is in hand, every mark checks that the
row is still ours, and a mark the database refused (locked, connection lost) is retried rather
than dropped, so a sent alert is not left to be re-claimed and sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Awaitable, Callable, Mapping, Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.decide import Defer, Hold, Skip, decide
from bot.delivery.decide import first_sentence, quiet_until  # noqa: F401 - their home before the stages
from handlers.texts import error_text
from bot.article import utcnow
from bot.transports.base import ChatGone, ChatMoved, FloodWait, RetryLater, Transport, Undeliverable
from storage import chats as chat_store
from storage import outbox
from storage.db import transaction

log = logging.getLogger(__name__)

# Waits between tries of a mark the database refused: about three minutes in all, during which the
# heartbeat keeps the row leased to us.
MARK_RETRY_DELAYS: tuple[float, ...] = (0.2, 0.5, 1, 2, 4, 8, 15, 30, 30, 30, 30, 30)


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0  # given up: a permanent answer, or too old (see ``given_up``)
    dropped: int = 0
    skipped: int = 0  # muted subscriptions, edits of alerts that never went out: recorded, not sent
    held: int = 0  # digest subscriptions' rows, held for their period's digest
    deferred: int = 0  # put back until the chat's quiet hours end
    given_up: int = 0  # of ``failed``: expired after give_up_after_hours
    lease_lost: int = 0  # marks refused because another worker holds the row now
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures back off, and when an alert that keeps failing is given up.

    There is no attempt limit: a transient failure never ends an alert, only its age does.
    """

    base_s: float = 5.0
    max_s: float = 3600.0
    give_up_after_s: float = 24 * 3600.0

    def delay(self, attempts: int) -> float:
        """Exponential backoff with jitter, so a recovering API is not hit by a synchronized wave."""
        exponent = min(max(0, attempts - 1), 60)  # a days-long outage must not overflow the float
        raw = min(self.max_s, self.base_s * (2.0**exponent))
        return raw * random.uniform(0.8, 1.0)


def give_up_text(summary: outbox.GiveUpSummary) -> tuple[str, str]:
    """The owners' notice (Arabic, like the feed notices): how many, since when, how to re-queue."""
    oldest = summary.oldest.strftime("%Y-%m-%d %H:%M UTC")
    error = (summary.last_error or "").strip()[:300]
    headline = f"⚠️ تعذر توصيل {summary.count} من التنبيهات"
    body = (
        f"تخلى رقيب عن {summary.count} من التنبيهات بعد محاولات فاشلة، أقدمها منذ {oldest}. "
        f"آخر خطأ: {error_text('ar', error)} "  # in words; `raqib outbox list` shows the raw error
        "يعيدها المشرف إلى الطابور بالأمر raqib outbox retry --failed"
    )
    return headline, body


class DeliveryWorker:
    def __init__(
        self,
        factory: sessionmaker[Session],
        transports: Mapping[str, Transport],
        policy: RetryPolicy,
        *,
        lease_s: int = 120,
        batch: int = 50,
        clock: Callable[[], datetime] = utcnow,
        worker_id: str | None = None,
        owners: Sequence[str] = (),
        heartbeat_s: float | None = None,
        mark_delays: Sequence[float] = MARK_RETRY_DELAYS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        zone: tzinfo = timezone.utc,
    ) -> None:
        """``owners``: chat addresses told when alerts are given up. ``heartbeat_s`` (default a
        third of the lease): how often held leases are renewed while a batch is in hand.
        ``zone``: the configured zone, for chats that set none (quiet hours, digest periods)."""
        self._factory = factory
        self._transports = dict(transports)
        self._policy = policy
        self._lease_s = lease_s
        self._batch = batch
        self._clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._owners = list(owners)
        self._heartbeat_s = heartbeat_s if heartbeat_s is not None else max(0.05, lease_s / 3)
        self._mark_delays = tuple(mark_delays)
        self._sleep = sleep
        self._tz = zone
        self._stopping = False
        self._gone: set[int] = set()
        self._seen_unknown: set[type] = set()

    def request_stop(self) -> None:
        """Finish the batch in hand, claim no more: the shutdown path."""
        self._stopping = True

    async def drain(self, max_rounds: int | None = None) -> DrainReport:
        """Send everything due now; stop when a claim comes back empty. Never raises for a
        database or transport failure: the next drain tries again."""
        report = DrainReport()
        rounds = 0
        while (max_rounds is None or rounds < max_rounds) and not self._stopping:
            rounds += 1
            try:
                jobs = await asyncio.to_thread(self._claim, report)
            except SQLAlchemyError as exc:
                log.warning("outbox claim failed (%s); the next drain tries again", _short(exc))
                report.errors.append(f"claim: {_short(exc)}")
                break
            if not jobs:
                break
            heartbeat = asyncio.create_task(self._heartbeat())
            try:
                await self._send_all(jobs, report)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
        return report

    def _claim(self, report: DrainReport) -> list[outbox.DeliveryJob]:
        now = self._clock()
        with transaction(self._factory) as s:
            if self._policy.give_up_after_s > 0:
                cutoff = now - timedelta(seconds=self._policy.give_up_after_s)
                given_up = outbox.expire(s, cutoff, now)
                if given_up:
                    log.warning(
                        "gave up %d alert(s) still failing %g h after they were queued",
                        len(given_up), self._policy.give_up_after_s / 3600,
                    )
                    report.failed += len(given_up)
                    report.given_up += len(given_up)
                    outbox.queue_give_up_notice(s, self._owners, now, give_up_text, given_up[0].watchlist_id)
            return outbox.claim(s, list(self._transports), self.worker_id, now, self._lease_s, self._batch)

    def renew_leases(self) -> int:
        """Extend the lease of every row this worker holds (the heartbeat calls it)."""
        with transaction(self._factory) as s:
            return outbox.renew(s, self.worker_id, self._clock(), self._lease_s)

    async def _heartbeat(self) -> None:
        """While a batch is in hand (a slow send, a flood wait, a locked database), keep its leases."""
        while True:
            await asyncio.sleep(self._heartbeat_s)
            try:
                await asyncio.to_thread(self.renew_leases)
            except SQLAlchemyError as exc:
                log.warning("renewing the outbox leases of %s failed: %s", self.worker_id, _short(exc))

    async def _send_all(self, jobs: list[outbox.DeliveryJob], report: DrainReport) -> None:
        by_platform: dict[str, list[outbox.DeliveryJob]] = {}
        for job in jobs:
            by_platform.setdefault(job.platform, []).append(job)
        await asyncio.gather(*(self._send_platform(p, js, report) for p, js in by_platform.items()))

    async def _send_platform(self, platform: str, jobs: list[outbox.DeliveryJob], report: DrainReport) -> None:
        transport = self._transports[platform]
        gate = asyncio.Semaphore(max(1, transport.concurrency))

        async def one(job: outbox.DeliveryJob) -> None:
            async with gate:
                try:
                    await self._send_one(transport, job, report)
                except Exception as exc:  # a bug in recording must not take the other sends down
                    log.exception("delivery %s to %s: unexpected error", job.delivery_id, job.chat)
                    report.errors.append(f"{job.chat}: {exc!r}")

        await asyncio.gather(*(one(job) for job in jobs))

    async def _send_one(self, transport: Transport, job: outbox.DeliveryJob, report: DrainReport) -> None:
        if job.chat_id in self._gone:
            return  # its row was dropped with the chat's backlog when the chat went away
        # Decide (bot/delivery/decide.py: mute, edit target, digest, quiet hours, short summary),
        # then send, then record.
        outcome = decide(job, self._clock(), self._tz)
        if isinstance(outcome, Skip):
            await self._record(report, "skip", self._skipped, job, outcome.reason)
            report.skipped += 1
            return
        if isinstance(outcome, Hold):
            await self._record(report, "hold", self._held, job, outcome.period, outcome.closes)
            report.held += 1
            return
        if isinstance(outcome, Defer):
            await self._record(report, "deferral", self._deferred, job, outcome.until)
            report.deferred += 1
            return
        alert = outcome
        try:
            if job.kind == outbox.EDIT:
                message_id = await transport.edit(alert)
            else:
                message_id = await transport.send(alert)
        except FloodWait as exc:
            await self._record(report, "retry", self._retry, job, str(exc), exc.retry_after, False)
            report.retried += 1
        except RetryLater as exc:  # the platform's fault: back off, however long it lasts
            await self._record(report, "retry", self._retry, job, str(exc), exc.retry_after, True)
            report.retried += 1
        except ChatGone as exc:
            self._gone.add(job.chat_id)
            await self._record(report, "chat gone", self._chat_gone, job, str(exc))
            report.dropped += 1
        except ChatMoved as exc:
            await self._record(report, "chat moved", self._chat_moved, job, exc.new_address)
            report.retried += 1
        except Undeliverable as exc:
            if job.kind == outbox.EDIT:  # the alert's message is gone: nothing to re-draw, nothing lost
                await self._record(report, "skip", self._skipped, job, f"no edit: {exc}")
                report.skipped += 1
                return
            await self._record(report, "failure", self._fail, job, f"rejected: {exc}")
            report.failed += 1
        except Exception as exc:  # unknown: treated as transient, never as sent, never as the end
            first = type(exc) not in self._seen_unknown  # the traceback once per kind, not per alert
            self._seen_unknown.add(type(exc))
            log.warning("delivery %s to %s failed unexpectedly: %r; retrying later", job.delivery_id, job.chat, exc,
                        exc_info=first)
            report.errors.append(f"{job.chat}: {exc!r}")
            await self._record(report, "retry", self._retry, job, repr(exc), None, True)
            report.retried += 1
        else:
            # Recorded at once, in its own transaction: a crash after this line cannot resend it.
            await self._record(report, "send", self._sent, job, message_id)
            report.sent += 1

    async def _record(
        self, report: DrainReport, what: str, fn: Callable[..., bool], job: outbox.DeliveryJob, *args: object
    ) -> None:
        """Write the outcome; a database that refuses (locked, connection lost) is asked again
        with a bounded backoff instead of the outcome being dropped."""
        delays = iter(self._mark_delays)
        tries = 0
        while True:
            tries += 1
            try:
                ours = await asyncio.to_thread(fn, job, *args)
            except SQLAlchemyError as exc:
                delay = next(delays, None)
                if delay is None:
                    log.error(
                        "could not record the %s of delivery %s to %s after %d tries (%s); its lease will "
                        "run out and it may be sent again", what, job.delivery_id, job.chat, tries, _short(exc),
                    )
                    report.errors.append(f"{job.chat}: {what} not recorded: {_short(exc)}")
                    return
                log.warning(
                    "recording the %s of delivery %s failed (%s); trying again in %gs",
                    what, job.delivery_id, _short(exc), delay,
                )
                await self._sleep(delay)
                continue
            if ours is False:
                log.warning(
                    "delivery %s to %s: lease lost before its %s was recorded; another worker holds it now",
                    job.delivery_id, job.chat, what,
                )
                report.lease_lost += 1
            return

    def _sent(self, job: outbox.DeliveryJob, message_id: str) -> bool:
        with transaction(self._factory) as s:
            return outbox.mark_sent(s, job.delivery_id, self.worker_id, message_id, self._clock())

    def _skipped(self, job: outbox.DeliveryJob, reason: str) -> bool:
        with transaction(self._factory) as s:
            return outbox.mark_skipped(s, job.delivery_id, self.worker_id, reason, self._clock())

    def _held(self, job: outbox.DeliveryJob, period: str, closes: datetime) -> bool:
        with transaction(self._factory) as s:
            return outbox.mark_held(s, job.delivery_id, self.worker_id, period, closes)

    def _deferred(self, job: outbox.DeliveryJob, until: datetime) -> bool:
        with transaction(self._factory) as s:
            return outbox.mark_deferred(s, job.delivery_id, self.worker_id, until)

    def _retry(self, job: outbox.DeliveryJob, error: str, retry_after: float | None, counted: bool) -> bool:
        attempts = job.attempts + (1 if counted else 0)
        wait = retry_after if retry_after is not None else self._policy.delay(attempts)
        with transaction(self._factory) as s:
            return outbox.mark_retry(
                s, job.delivery_id, self.worker_id, error, self._clock() + timedelta(seconds=wait), counted
            )

    def _fail(self, job: outbox.DeliveryJob, error: str) -> bool:
        log.warning("delivery %s to %s failed for good: %s", job.delivery_id, job.chat, error)
        now = self._clock()
        with transaction(self._factory) as s:
            ours = outbox.mark_failed(s, job.delivery_id, self.worker_id, error, now)
            if ours:
                outbox.queue_give_up_notice(s, self._owners, now, give_up_text, None)
            return ours

    def _chat_gone(self, job: outbox.DeliveryJob, reason: str) -> bool:
        log.warning("chat %s is gone (%s); its deliveries stop", job.chat, reason)
        with transaction(self._factory) as s:
            chat_store.deactivate_chat(s, job.chat_id, reason)
            outbox.drop_chat_backlog(s, job.chat_id, reason)
        return True

    def _chat_moved(self, job: outbox.DeliveryJob, new_address: str) -> bool:
        log.info("chat %s moved to %s", job.chat, new_address)
        with transaction(self._factory) as s:
            dropped = chat_store.move_chat(s, job.chat_id, new_address, self._clock())
            if job.delivery_id in dropped:
                return True  # the new chat holds this story already: this copy is dead, not retried
            return outbox.mark_retry(
                s, job.delivery_id, self.worker_id, f"moved to {new_address}", self._clock(), False
            )

    async def release(self) -> int:
        """Return unsent claims to the queue at shutdown, so another worker takes them at once."""

        def _release() -> int:
            with transaction(self._factory) as s:
                return outbox.release(s, self.worker_id)

        return await asyncio.to_thread(_release)


def _short(exc: BaseException) -> str:
    """An exception in one line: SQLAlchemy's messages carry the whole statement."""
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
