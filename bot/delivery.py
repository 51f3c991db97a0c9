"""The delivery worker: drains the outbox through the transports, one recorded fact per send."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Mapping

from sqlalchemy.orm import Session, sessionmaker

from bot.alerts import Alert
from bot.article import utcnow
from bot.transports.base import ChatGone, ChatMoved, FloodWait, RetryLater, Transport, Undeliverable
from storage import chats as chat_store
from storage import outbox
from storage.db import transaction

log = logging.getLogger(__name__)


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_s: float = 5.0
    max_s: float = 3600.0

    def delay(self, attempts: int) -> float:
        """Exponential backoff with jitter, so a recovering API is not hit by a synchronized wave."""
        raw = min(self.max_s, self.base_s * (2 ** max(0, attempts - 1)))
        return raw * random.uniform(0.8, 1.0)


def alert_from_job(job: outbox.DeliveryJob) -> Alert:
    return Alert(
        chat=job.chat,
        thread_id=job.thread_id,
        language=job.language,
        topic=job.topic,
        topic_name=job.topic_name,
        story_id=job.story_id,
        headline=job.headline,
        summary=job.summary,
        url=job.url,
        source=job.source,
        published=job.published_at,
        matched=tuple(job.matched),
    )


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
    ) -> None:
        self._factory = factory
        self._transports = dict(transports)
        self._policy = policy
        self._lease_s = lease_s
        self._batch = batch
        self._clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._stopping = False
        self._gone: set[int] = set()

    def request_stop(self) -> None:
        """Finish the batch in hand, claim no more: the shutdown path."""
        self._stopping = True

    async def drain(self, max_rounds: int | None = None) -> DrainReport:
        """Send everything due now; stop when a claim comes back empty."""
        report = DrainReport()
        rounds = 0
        while (max_rounds is None or rounds < max_rounds) and not self._stopping:
            rounds += 1
            jobs = await asyncio.to_thread(self._claim)
            if not jobs:
                break
            await self._send_all(jobs, report)
        return report

    def _claim(self) -> list[outbox.DeliveryJob]:
        with transaction(self._factory) as s:
            return outbox.claim(s, list(self._transports), self.worker_id, self._clock(), self._lease_s, self._batch)

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
                await self._send_one(transport, job, report)

        await asyncio.gather(*(one(job) for job in jobs))

    async def _send_one(self, transport: Transport, job: outbox.DeliveryJob, report: DrainReport) -> None:
        if job.chat_id in self._gone:
            return  # its row was dropped with the chat's backlog when the chat went away
        try:
            message_id = await transport.send(alert_from_job(job))
        except FloodWait as exc:
            await self._record(self._retry, job, str(exc), exc.retry_after, False)
            report.retried += 1
        except RetryLater as exc:
            if job.attempts + 1 >= self._policy.max_attempts:
                await self._record(self._fail, job, f"gave up after {job.attempts + 1} attempts: {exc}")
                report.failed += 1
            else:
                await self._record(self._retry, job, str(exc), exc.retry_after, True)
                report.retried += 1
        except ChatGone as exc:
            self._gone.add(job.chat_id)
            await self._record(self._chat_gone, job, str(exc))
            report.dropped += 1
        except ChatMoved as exc:
            await self._record(self._chat_moved, job, exc.new_address)
            report.retried += 1
        except Undeliverable as exc:
            await self._record(self._fail, job, f"rejected: {exc}")
            report.failed += 1
        except Exception as exc:  # an unknown failure is treated as transient, never as sent
            log.exception("delivery %s to %s failed unexpectedly", job.delivery_id, job.chat)
            report.errors.append(f"{job.chat}: {exc!r}")
            if job.attempts + 1 >= self._policy.max_attempts:
                await self._record(self._fail, job, f"gave up: {exc!r}")
                report.failed += 1
            else:
                await self._record(self._retry, job, repr(exc), None, True)
                report.retried += 1
        else:
            # Recorded at once, in its own transaction: a crash after this line cannot resend it.
            await self._record(self._sent, job, message_id)
            report.sent += 1

    async def _record(self, fn: Callable[..., None], job: outbox.DeliveryJob, *args: object) -> None:
        await asyncio.to_thread(fn, job, *args)

    def _sent(self, job: outbox.DeliveryJob, message_id: str) -> None:
        with transaction(self._factory) as s:
            outbox.mark_sent(s, job.delivery_id, message_id, self._clock())

    def _retry(self, job: outbox.DeliveryJob, error: str, retry_after: float | None, counted: bool) -> None:
        attempts = job.attempts + (1 if counted else 0)
        wait = retry_after if retry_after is not None else self._policy.delay(attempts)
        with transaction(self._factory) as s:
            outbox.mark_retry(s, job.delivery_id, error, self._clock() + timedelta(seconds=wait), counted)

    def _fail(self, job: outbox.DeliveryJob, error: str) -> None:
        log.warning("delivery %s to %s failed for good: %s", job.delivery_id, job.chat, error)
        with transaction(self._factory) as s:
            outbox.mark_failed(s, job.delivery_id, error)

    def _chat_gone(self, job: outbox.DeliveryJob, reason: str) -> None:
        log.warning("chat %s is gone (%s); its deliveries stop", job.chat, reason)
        with transaction(self._factory) as s:
            chat_store.deactivate_chat(s, job.chat_id, reason)
            outbox.drop_chat_backlog(s, job.chat_id, reason)

    def _chat_moved(self, job: outbox.DeliveryJob, new_address: str) -> None:
        log.info("chat %s moved to %s", job.chat, new_address)
        with transaction(self._factory) as s:
            chat_store.move_chat(s, job.chat_id, new_address)
            outbox.mark_retry(s, job.delivery_id, f"moved to {new_address}", self._clock(), False)

    async def release(self) -> int:
        """Return unsent claims to the queue at shutdown, so another worker takes them at once."""

        def _release() -> int:
            with transaction(self._factory) as s:
                return outbox.release(s, self.worker_id)

        return await asyncio.to_thread(_release)
