"""Polling feed sources: conditional GET, body hash, backoff, politeness, and the pipeline behind.

One ``tick`` claims the feeds that are due and polls them with bounded concurrency overall and per
host. A poll records exactly one outcome on the source (success with the next check, or a failure
with exponential backoff); after ``max_failures`` failures in a row the source is disabled and its
admin chat and the chats subscribed to its topics get one notice through the outbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import threading
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from bot.article import Article, utcnow
from bot.text.boilerplate import Rules, load_rules
from bot.config import FeedsConfig
from bot.sources.fetch import FetchError, FetchPolicy, SafeFetcher
from bot.pipeline import FAILED, NEW, Outcome, Pipeline, PollReport
from bot.sources.feeds import (
    FeedError,
    FeedItem,
    extract_article,
    extract_page,
    parse_feed,
    requested_delay,
    to_article,
)
from handlers.texts import counted, error_text
from storage import feeds as feed_store
from storage.db import create_once, transaction
from storage.feeds import FeedRow

log = logging.getLogger(__name__)

ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"
RETRY_STATUSES = (429, 503)


@dataclass
class FeedReport(PollReport):
    """A poll report plus what only feeds have: the HTTP outcome, whether the body was parsed."""

    status: str = ""
    parsed: bool = False
    disabled: bool = False


def fetch_policy(cfg: FeedsConfig) -> FetchPolicy:
    return FetchPolicy.with_allowlist(
        cfg.allow_hosts, max_bytes=cfg.max_bytes, max_redirects=cfg.max_redirects,
        connect_timeout=cfg.connect_timeout_s, read_timeout=cfg.read_timeout_s,
        total_timeout=cfg.total_timeout_s, user_agent=cfg.user_agent,
    )


def first_check(url: str, interval_s: int, now: datetime) -> datetime:
    """A stable phase within the interval, so many feeds added at once do not poll at once."""
    return now + timedelta(seconds=zlib.crc32(url.encode("utf-8")) % max(1, interval_s))


def default_name(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'feed'}{parts.path.rstrip('/')}"[:200]


def register_config_feeds(session: Session, cfg: FeedsConfig, now: datetime) -> None:
    """Store the [[feeds.sources]] entries; a feed already stored keeps its polling state.

    Each in a savepoint: a worker starting beside this one may store the same feed first, and the
    second look then finds it (storage.db.create_once)."""
    for src in cfg.sources:
        create_once(session, lambda src=src: feed_store.upsert_feed(
            session, src.name, src.url, src.interval_s, now, first_check_at=first_check(src.url, src.interval_s, now),
            topics=src.topics, admin_chat=src.admin, options={"fetch_full": True} if src.fetch_full else None,
        ))


class FeedPoller:
    def __init__(
        self,
        factory: sessionmaker[Session],
        pipeline: Pipeline,
        cfg: FeedsConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
        rules: Rules | None = None,
        fetcher: SafeFetcher | None = None,
        conditional: bool = True,
    ) -> None:
        self.factory = factory
        self.pipeline = pipeline
        self.cfg = cfg
        self.clock = clock
        self.rules = rules or load_rules()
        self.fetcher = fetcher or SafeFetcher(fetch_policy(cfg))
        # Conditional GET and the body hash; off only to measure what they save (bench/bench_feeds.py).
        self.conditional = conditional
        # Articles go through the pipeline one at a time: two feeds carrying the same report at
        # once must see each other's story (near-dup lookup), whatever the database's isolation.
        self._pipeline_lock = threading.Lock()

    async def aclose(self) -> None:
        await self.fetcher.aclose()

    async def _db(self, work: Callable[[Session], object]):
        def run():
            with transaction(self.factory) as s:
                return work(s)

        return await asyncio.to_thread(run)

    # --- scheduling -----------------------------------------------------------------------

    async def tick(self) -> list[FeedReport]:
        """Poll every feed that is due now (at most a bounded batch per tick)."""
        now = self.clock()
        lease = timedelta(seconds=self.cfg.total_timeout_s * 3)
        limit = self.cfg.concurrency * 10
        rows = await self._db(lambda s: feed_store.claim_due(s, now, limit, lease))
        return await self.poll_many(rows)  # type: ignore[arg-type]

    async def poll_many(self, rows: Iterable[FeedRow]) -> list[FeedReport]:
        overall = asyncio.Semaphore(self.cfg.concurrency)
        hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self.cfg.per_host))

        async def one(row: FeedRow) -> FeedReport:
            host = (urlsplit(row.url).hostname or "").lower()
            async with hosts[host], overall:
                return await self.poll(row)

        return list(await asyncio.gather(*(one(r) for r in rows)))

    async def poll_keys(self, keys: Iterable[str] | None = None) -> list[FeedReport]:
        """Poll now, whatever the schedule: the named feeds (URL or name), or every enabled one."""
        rows: list[FeedRow] = await self._db(feed_store.list_feeds)  # type: ignore[assignment]
        if keys is not None:
            wanted = set(keys)
            rows = [r for r in rows if r.url in wanted or r.name in wanted]
        else:
            rows = [r for r in rows if r.disabled_reason is None]
        return await self.poll_many(rows)

    def _next_check(self, row: FeedRow, now: datetime, asked: float | None) -> datetime:
        base = row.interval_s * random.uniform(0.95, 1.05)
        if asked is not None:
            base = max(base, min(asked, self.cfg.max_interval_s))
        return now + timedelta(seconds=base)

    def _backoff(self, row: FeedRow, now: datetime, asked: float | None) -> datetime:
        delay = min(row.interval_s * 2 ** (row.error_count + 1), self.cfg.max_interval_s) * random.uniform(0.9, 1.0)
        if asked is not None:  # Retry-After is a floor, never shortened by jitter
            delay = max(delay, min(asked, self.cfg.max_interval_s))
        return now + timedelta(seconds=delay)

    async def add(
        self, url: str, *, name: str | None = None, interval_s: int | None = None, topics: tuple[str, ...] = (),
        admin_chat: str | None = None, fetch_full: bool = False, poll: bool = True,
    ) -> tuple[FeedRow, bool, FeedReport | None]:
        """Store a feed (refused if the fetch guards refuse its URL) and poll it once now, silently.

        Returns (row, created, report of the first poll). Raises FetchError for a refused URL.
        """
        url = url.strip()
        await self.fetcher.check_url(url)
        now = self.clock()
        interval = interval_s or self.cfg.interval_s

        def store(s: Session) -> tuple[FeedRow, bool]:
            live = feed_store.find_feed(s, url)
            if live is not None and live.url == url:
                return live, False  # already followed: its settings stay as they are
            existing = feed_store.find_feed(s, url, include_removed=True)
            chosen = existing.name if existing else (name or default_name(url))
            if existing is None:
                base, n = chosen, 2
                while feed_store.name_taken(s, chosen):
                    chosen, n = f"{base}-{n}", n + 1
            return feed_store.upsert_feed(
                s, chosen, url, interval, now, first_check_at=now, topics=topics, admin_chat=admin_chat,
                options={"fetch_full": True} if fetch_full else None,
            )

        row, created = await self._db(store)  # type: ignore[misc]
        report = await self.poll(row) if poll and created else None
        return row, created, report

    # --- one feed -------------------------------------------------------------------------

    async def poll(self, row: FeedRow) -> FeedReport:
        """Fetch, parse and store one feed, and record how it went; never raises."""
        report = FeedReport(row.name)
        now = self.clock()
        try:
            return await self._poll(row, report, now)
        except Exception as exc:  # a bug or a database outage: recorded, never thrown at the scheduler
            reason = " ".join(f"internal error: {type(exc).__name__}: {exc}".split())[:300]
            log.debug("poll of %s failed", row.url, exc_info=True)
            try:
                return await self._failed(row, report, now, reason, None)
            except Exception as again:
                log.warning("feed %s: %s; recording it failed too: %s", row.name, reason, again)
                report.error = report.status = reason
                return report

    async def _poll(self, row: FeedRow, report: FeedReport, now: datetime) -> FeedReport:
        try:
            result = await self.fetcher.fetch(
                row.url, accept=ACCEPT,
                etag=row.etag if self.conditional else None,
                last_modified=row.last_modified if self.conditional else None,
            )
        except FetchError as exc:
            return await self._failed(row, report, now, exc.reason, None)
        etag = result.headers.get("etag") or (row.etag if result.not_modified else None)
        modified = result.headers.get("last-modified") or (row.last_modified if result.not_modified else None)
        if result.not_modified:
            report.status = "304 not modified"
            asked = requested_delay(result.headers, now)
            return await self._succeeded(row, report, now, asked, etag, modified, None)
        if result.status in RETRY_STATUSES or result.status >= 400 or result.status < 200 or result.status >= 300:
            asked = requested_delay(result.headers, now) if result.status in RETRY_STATUSES else None
            return await self._failed(row, report, now, f"HTTP {result.status}", asked)
        digest = hashlib.sha256(result.body).hexdigest()
        if self.conditional and digest == row.content_hash:
            report.status = "200 unchanged (same body)"
            asked = requested_delay(result.headers, now)
            return await self._succeeded(row, report, now, asked, etag, modified, digest)
        try:
            parsed = await asyncio.to_thread(
                parse_feed, result.body, feed_url=result.url, fetched_at=now,
                content_type=result.headers.get("content-type"), rules=self.rules,
            )
        except FeedError as exc:
            return await self._failed(row, report, now, exc.reason, None)
        report.parsed = True
        items = parsed.items
        if row.options.get("fetch_full"):
            items = [await self._full_text(item) for item in items]
        quiet_before = None if row.first_fetch and not self.cfg.alert_first_fetch else (
            now - timedelta(hours=self.cfg.max_age_hours))
        articles = [(to_article(item, row.name, now), quiet_before) for item in items]
        report.outcomes = await asyncio.to_thread(self._store, row.id, articles)
        new = report.count(NEW)
        failed = [o for o in report.outcomes if o.status == FAILED]
        report.status = f"{result.status}: {counted('en', len(items), 'item')}, {new} new" + (
            f", {len(failed)} failed" if failed else "") + (
            ", stored without alerts (first fetch)" if quiet_before is None else "")
        asked = requested_delay(result.headers, now, parsed.ttl_s)
        if failed:
            # The feed is fine, some items were not stored: say so in its status, and forget the
            # validators and the body hash so the next poll reads the items again and retries them.
            item_error = f"{counted('en', len(failed), 'item')} not stored; first: {failed[0].url[:200]}: {failed[0].detail}"
            return await self._succeeded(row, report, now, asked, None, None, None, item_error=item_error)
        return await self._succeeded(row, report, now, asked, etag, modified, digest)

    def _store(self, source_id: int, articles: list[tuple[Article, datetime | None]]) -> list[Outcome]:
        # Oldest first, so a story's lead is the first report of it; many new items are stored in
        # batches (one write transaction each), every item still its own unit with its own outcome.
        ordered = sorted(articles, key=lambda a: a[0].published_at)
        quiet = {id(article): quiet_before for article, quiet_before in ordered}

        def alert(article: Article) -> bool:
            quiet_before = quiet[id(article)]
            return quiet_before is not None and article.published_at >= quiet_before

        with self._pipeline_lock:
            return list(self.pipeline.process_many(source_id, [a for a, _ in ordered], alert=alert))

    async def fetch_article(self, url: str) -> tuple[str, str]:
        """(title, text) of a web page, fetched under the guards (for /explain of an unstored URL)."""
        page = await self.fetcher.fetch(url, accept="text/html,application/xhtml+xml")
        if page.status != 200:
            raise FetchError(f"HTTP {page.status}")
        return await asyncio.to_thread(extract_article, page.body, page.headers.get("content-type"))

    async def _full_text(self, item: FeedItem) -> FeedItem:
        """A teaser's article page, extracted with trafilatura under the same fetch guards."""
        if not item.has_link or len(item.body.split()) >= self.cfg.teaser_words:
            return item
        try:
            page = await self.fetcher.fetch(item.url, accept="text/html,application/xhtml+xml")
        except FetchError as exc:
            log.info("full text of %s not fetched: %s", item.url, exc.reason)
            return item
        if page.status != 200:
            return item
        text = await asyncio.to_thread(extract_page, page.body, page.headers.get("content-type"))
        if len(text.split()) > len(item.body.split()):
            item.body = text
        return item

    async def _succeeded(
        self, row: FeedRow, report: FeedReport, now: datetime, asked: float | None,
        etag: str | None, modified: str | None, digest: str | None, item_error: str | None = None,
    ) -> FeedReport:
        nxt = self._next_check(row, now, asked)
        await self._db(lambda s: feed_store.record_success(
            s, row.id, now, nxt, report.status, etag=etag, last_modified=modified, content_hash=digest,
            item_error=item_error))
        return report

    async def _failed(self, row: FeedRow, report: FeedReport, now: datetime, reason: str, asked: float | None) -> FeedReport:
        log.warning("feed %s (%s): %s", row.name, row.url, reason)
        report.error = report.status = reason
        nxt = self._backoff(row, now, asked)

        def record(s: Session) -> bool:
            disabled = feed_store.record_failure(s, row.id, now, nxt, reason, self.cfg.max_failures)
            if disabled:
                feed_store.queue_notice(
                    s, row.id, f"⚠️ توقف المصدر {row.name}",
                    # In words, not the raw error (issue 14): `raqib feeds list` and the log have the details.
                    f"تعذر جلب {row.url} فأوقفنا متابعته (عدد المحاولات الفاشلة المتتالية: {row.error_count + 1}). "
                    f"آخر خطأ: {error_text('ar', reason)} يعيد المشرف تفعيله بالأمر /feed enable {row.url}",
                    now,
                )
            return disabled

        report.disabled = bool(await self._db(record))
        return report
