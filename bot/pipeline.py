"""The one place that owns the order of the stages.

source (already cleaned) → exact dedup → near-dup/story → match → summarize → store + outbox.
Storing the article, its story, its topic matches and its outbox rows is one transaction, so a
crash leaves either all of it or none of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable, Iterator

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import dedup
from bot.article import Article, utcnow
from bot.eventdates import event_date
from bot.search import index_keys
from bot.summarize import summarize
from bot.topics import TopicIndex
from storage import articles as article_store
from storage import chats as chat_store
from storage import outbox
from storage.db import transaction

log = logging.getLogger(__name__)

NEW, JOINED, DUPLICATE = "new", "joined", "duplicate"
MIN_BODY_WORDS = 12


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
        """``alert=False`` stores and matches the article but queues no alert (a new feed's first
        fetch, an item older than the configured age): later copies still count as seen."""
        text = dedup_text(article)
        body_hash = dedup.body_hash(text)
        fingerprint = dedup.fingerprint(text)
        try:
            with transaction(self._factory) as session:
                return self._store(session, source_id, article, body_hash, fingerprint, alert)
        except IntegrityError:
            # Another worker stored the same article between our check and our insert.
            log.info("concurrent duplicate of %s", article.url)
            return Outcome(DUPLICATE, article.url, detail="stored concurrently by another worker")

    def _store(
        self, session: Session, source_id: int, article: Article, body_hash: str, fingerprint: dedup.Fingerprint,
        alert: bool = True,
    ) -> Outcome:
        now = self._clock()
        dup_key = article_store.exact_duplicate(session, source_id, article.url, article.guid, body_hash)
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
            body_hash=body_hash,
            fingerprint=fingerprint.to_bytes(),
            band_keys=fingerprint.band_keys(),
            # Indexed by add_article in this transaction: search never lags behind the store.
            search_keys=index_keys(article.title, article.body),
        )
        story_id = self._near_duplicate_story(session, now, fingerprint)
        if story_id is not None:
            article_store.add_article(session, story_id, new)
            return Outcome(JOINED, article.url, story_id, detail=f"near-duplicate of story {story_id}")

        self.topics.refresh(session)
        matches = self.topics.matcher.match(article.title, article.body)
        story = article_store.create_story(
            session, article.title, summarize(article.title, article.body), article.published_at, now
        )
        story.event_date = event_date(article.title, article.body, article.published_at, article.date_source)
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

    def _near_duplicate_story(self, session: Session, now: datetime, fp: dedup.Fingerprint) -> int | None:
        """Look among articles stored within the window: bounded cost, however large the archive."""
        for cand in article_store.near_candidates(session, fp.band_keys(), now - self._window, now):
            if dedup.is_near_duplicate(fp, dedup.Fingerprint.from_bytes(cand.fingerprint)):
                return cand.story_id
        return None
