"""The one place that owns the order of the stages.

source (already cleaned) → analyze (hashes, fingerprint, search keys; for a new story also match,
summary, event date) → one write transaction holding SQL only: lock the article's LSH bands, exact
dedup, near-dup/story, store + outbox. Storing the article, its story, its topic matches and its
outbox rows is one transaction, so a crash leaves either all of it or none of it; the CPU work is
done before it opens, so a long article never holds the database's write lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable, Iterator

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot import dedup
from bot.article import Article, sanitize, storable, utcnow
from bot.eventdates import event_date
from bot.matching import TopicMatch
from bot.search import index_keys
from bot.summarize import summarize
from bot.topics import TopicIndex
from storage import articles as article_store
from storage import chats as chat_store
from storage import outbox
from storage import watchlists as watchlist_store
from storage.db import read_transaction, transaction

log = logging.getLogger(__name__)

NEW, JOINED, DUPLICATE, FAILED = "new", "joined", "duplicate", "failed"
MIN_BODY_WORDS = 12
# PostgreSQL's deadlock and serialization failures: the transaction is retried, not the article lost.
_RETRY_SQLSTATES = frozenset({"40P01", "40001"})
_ATTEMPTS = 3


@dataclass(frozen=True)
class Outcome:
    status: str
    url: str
    story_id: int | None = None
    topics: tuple[str, ...] = ()
    queued: int = 0
    detail: str = ""


@dataclass
class PollReport:
    """What one poll of one source produced, whatever kind of source it is."""

    source: str
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def dedup_text(article: Article) -> str:
    """The body identifies a report; a body of a few words (a byline left by a failed extraction)
    does not, so then the title is part of the identity too."""
    if len(article.body.split()) < MIN_BODY_WORDS:
        return f"{article.title}\n{article.body}"
    return article.body


@dataclass(frozen=True)
class StoryDraft:
    """What a new story needs besides SQL: made before the write transaction opens."""

    summary: str
    event_date: datetime
    matches: tuple[TopicMatch, ...]
    topics_version: int | None


@dataclass(frozen=True)
class Analysis:
    """An article analyzed once, before any transaction: every stage reads from here."""

    article: Article
    body_hash: str
    fingerprint: dedup.Fingerprint
    band_keys: list[int]
    search_keys: str


class _NeedsDraft(Exception):
    """The write transaction found a new story (or changed watchlists) the analysis did not
    prepare for: roll back, prepare outside the transaction, try again."""


def _sqlstate(exc: OperationalError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


class Pipeline:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        dedup_window: timedelta = timedelta(days=14),
        clock: Callable[[], datetime] = utcnow,
        topics: TopicIndex | None = None,
    ) -> None:
        self._factory = factory
        self._window = dedup_window
        self._clock = clock
        self.topics = topics or TopicIndex()

    def process_many(self, source_id: int, articles: Iterable[Article]) -> Iterator[Outcome]:
        for article in articles:
            yield self.process(source_id, article)

    def process(self, source_id: int, article: Article, *, alert: bool = True) -> Outcome:
        """Store one article; never raises: an article that cannot be stored costs only itself and
        comes back as a ``FAILED`` outcome whose ``detail`` says why (logged once).

        ``alert=False`` stores and matches the article but queues no alert (a new feed's first
        fetch, an item older than the configured age): later copies still count as seen."""
        try:
            return self._process(source_id, sanitize(article), alert)
        except Exception as exc:  # one bad item must not stop the batch or the feed behind it
            reason = storable(" ".join(f"{type(exc).__name__}: {exc}".split()))[:300]
            log.warning("could not store %s: %s", str(article.url)[:200], reason)
            log.debug("store failure of %s", str(article.url)[:200], exc_info=True)
            return Outcome(FAILED, storable(str(article.url)), detail=reason)

    def analyze(self, article: Article) -> Analysis:
        """The CPU stages every stored article needs (hashes, fingerprint, search keys)."""
        text = dedup_text(article)
        fingerprint = dedup.fingerprint(text)
        return Analysis(
            article, dedup.body_hash(text), fingerprint, fingerprint.band_keys(),
            # Indexed by add_article in the write transaction: search never lags behind the store.
            index_keys(article.title, article.body),
        )

    def draft(self, article: Article) -> StoryDraft:
        """The CPU stages of a new story: match (against watchlists refreshed by a short read),
        summary and event date."""
        with read_transaction(self._factory) as session:
            self.topics.refresh(session)
        return self._draft(article)

    def _draft(self, article: Article) -> StoryDraft:
        # Version first: a refresh between the two reads then only causes a needless re-match.
        version = self.topics.version
        matches = tuple(self.topics.matcher.match(article.title, article.body))
        return StoryDraft(
            summarize(article.title, article.body),
            event_date(article.title, article.body, article.published_at, article.date_source),
            matches,
            version,
        )

    def _process(self, source_id: int, article: Article, alert: bool) -> Outcome:
        analysis = self.analyze(article)
        # A short read first: a duplicate (most items of a re-polled feed) or a copy of a known story
        # needs no summary; a new story gets its draft made here, outside the write transaction.
        with read_transaction(self._factory) as session:
            dup_key = article_store.exact_duplicate(session, source_id, article.url, article.guid, analysis.body_hash)
            if dup_key is not None:
                return Outcome(DUPLICATE, article.url, detail=f"same {dup_key} as a stored article")
            known_story = self._near_duplicate_story(session, self._clock(), analysis)
            if known_story is None:
                self.topics.refresh(session)
        draft = None if known_story is not None else self._draft(article)
        attempt = 0
        while True:
            attempt += 1
            try:
                with transaction(self._factory) as session:
                    return self._store(session, source_id, analysis, draft, alert)
            except _NeedsDraft:
                draft = self.draft(article)
            except IntegrityError:
                # Another worker stored the same URL, guid or body between our check and our insert.
                with read_transaction(self._factory) as session:
                    dup_key = article_store.exact_duplicate(
                        session, source_id, article.url, article.guid, analysis.body_hash
                    )
                if dup_key is None:
                    raise
                log.info("concurrent duplicate of %s", article.url)
                return Outcome(DUPLICATE, article.url, detail=f"same {dup_key} stored concurrently by another worker")
            except OperationalError as exc:
                if _sqlstate(exc) not in _RETRY_SQLSTATES or attempt >= _ATTEMPTS:
                    raise
                log.info("retrying %s after %s", article.url, _sqlstate(exc))
            if attempt >= _ATTEMPTS:
                raise RuntimeError("watchlists kept changing while the article was stored")

    def _store(
        self, session: Session, source_id: int, analysis: Analysis, draft: StoryDraft | None, alert: bool = True,
    ) -> Outcome:
        """SQL only: every CPU stage ran before this transaction opened."""
        article = analysis.article
        # Locks first: the exact and near-duplicate lookups below must see whatever a worker holding
        # one of these bands committed, and no other worker may assign a story to them until we commit.
        article_store.lock_bands(session, analysis.band_keys)
        now = self._clock()
        dup_key = article_store.exact_duplicate(session, source_id, article.url, article.guid, analysis.body_hash)
        if dup_key is not None:
            return Outcome(DUPLICATE, article.url, detail=f"same {dup_key} as a stored article")

        new = article_store.NewArticle(
            source_id=source_id,
            url=article.url,
            guid=article.guid,
            title=article.title,
            body=article.body,
            published_at=article.published_at,
            date_source=article.date_source,
            fetched_at=now,
            body_hash=analysis.body_hash,
            fingerprint=analysis.fingerprint.to_bytes(),
            band_keys=analysis.band_keys,
            search_keys=analysis.search_keys,
        )
        story_id = self._near_duplicate_story(session, now, analysis)
        if story_id is not None:
            article_store.add_article(session, story_id, new)
            return Outcome(JOINED, article.url, story_id, detail=f"near-duplicate of story {story_id}")

        if draft is None or draft.topics_version != watchlist_store.version(session):
            raise _NeedsDraft()
        matches = draft.matches
        story = article_store.create_story(session, article.title, draft.summary, article.published_at, now)
        story.event_date = draft.event_date
        article_store.add_article(session, story.id, new)
        priority = {}
        for rank, m in enumerate(matches):
            wid = self.topics.watchlist_id(m.slug)
            priority[wid] = rank
            article_store.add_story_topic(session, story.id, wid, list(m.terms), now)
        # A chat subscribed to several matched topics gets one alert, tagged with the first topic.
        targets = sorted(chat_store.subscribers(session, list(priority)), key=lambda t: (t[0], priority[t[1]]))
        if not alert:
            return Outcome(NEW, article.url, story.id, tuple(m.slug for m in matches), 0, detail="stored without alert")
        queued = outbox.enqueue(session, story.id, targets, now)
        return Outcome(NEW, article.url, story.id, tuple(m.slug for m in matches), queued)

    def _near_duplicate_story(self, session: Session, now: datetime, analysis: Analysis) -> int | None:
        """Look among articles stored since the window's start: bounded cost, however large the
        archive. No end: a copy stored by a worker whose clock runs ahead is still a copy."""
        for cand in article_store.near_candidates(session, analysis.band_keys, now - self._window):
            if dedup.is_near_duplicate(analysis.fingerprint, dedup.Fingerprint.from_bytes(cand.fingerprint)):
                return cand.story_id
        return None
