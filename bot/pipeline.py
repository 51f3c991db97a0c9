"""The one place that owns the order of the stages.

source (already cleaned) → analyze (hashes, fingerprint, search keys; for a new story also match,
summary, event date; for an update its own summary) → one write transaction holding SQL only: lock
the article's LSH bands, exact dedup, near-dup/story, store + outbox.

A known story is joined three ways (``dedup.relation``): a copy or a text contained in a stored one
joins silently (``JOINED``); a text that holds a stored report plus a development of its own joins
and is delivered as an update to the chats that had the story's alert (``UPDATE``). Template news
(the same agency wording about another head of state or another price) is told apart by its words
(``dedup.distinct_reports``, checked once per candidate in the short read before the write).

Storing the article, its story, its topic matches and its outbox rows is one transaction, so a
crash leaves either all of it or none of it; the CPU work is done before it opens, so a long
article never holds the database's write lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
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
# A later report of a known story that adds a development: stored in the story and delivered as an
# update to the chats that had the story's alert.
UPDATE = "update"
MIN_BODY_WORDS = 12
# Which stored article a new one is matched to when several qualify: a copy first (silent), then a
# text that holds the new one (silent), then one the new text extends (an update).
_RELATION_ORDER = {dedup.COPY: 0, dedup.CONTAINED: 1, dedup.UPDATE: 2}
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


def short_body(article: Article) -> bool:
    """A body of a few words (a cartoon, a photo item, a byline left by a failed extraction) is too
    short to fingerprint: its shingles would be a few stock words that many items share."""
    return len(article.body.split()) < MIN_BODY_WORDS


def dedup_text(article: Article) -> str:
    """The body identifies a report; a short body does not, so then the title is part of the
    identity too (its exact hash only: ``Pipeline.analyze`` gives it no fingerprint)."""
    if short_body(article):
        return f"{article.title}\n{article.body}"
    return article.body


@dataclass(frozen=True)
class Match:
    """The stored article a new one belongs with, and how (``dedup.relation``)."""

    story_id: int
    article_id: int
    relation: str


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
    # Stored article id → why it is another report (None: it is not): the word check of a candidate
    # runs once, in the short read before the write transaction, and is reused inside it.
    verdicts: dict[int, str | None] = field(default_factory=dict, compare=False)


class _NeedsDraft(Exception):
    """The write transaction found a new story (or changed watchlists) the analysis did not
    prepare for: roll back, prepare outside the transaction, try again."""


class _NeedsUpdateSummary(Exception):
    """The write transaction found the article to be an update, which the analysis did not
    summarize: roll back, summarize outside the transaction, try again."""


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
        # A short body gets an empty fingerprint (no bands): only URL, guid or title + body match it.
        short = short_body(article)
        fingerprint = dedup.fingerprint("" if short else text)
        # The lead's keys make a heavily trimmed copy a candidate (dedup.lead_band_keys).
        band_keys = fingerprint.band_keys() + ([] if short else dedup.lead_band_keys(text))
        return Analysis(
            article, dedup.body_hash(text), fingerprint, band_keys,
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
            known = self._match(session, self._clock(), analysis)
            if known is None:
                self.topics.refresh(session)
        draft = None if known is not None else self._draft(article)
        update_summary = self._update_summary(article) if known and known.relation == dedup.UPDATE else None
        attempt = 0
        while True:
            attempt += 1
            try:
                with transaction(self._factory) as session:
                    return self._store(session, source_id, analysis, draft, alert, update_summary)
            except _NeedsDraft:
                draft = self.draft(article)
            except _NeedsUpdateSummary:
                update_summary = self._update_summary(article)
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

    @staticmethod
    def _update_summary(article: Article) -> str:
        """An update's alert shows the new report: its own summary, made like a story's."""
        return summarize(article.title, article.body)

    def _store(
        self, session: Session, source_id: int, analysis: Analysis, draft: StoryDraft | None, alert: bool = True,
        update_summary: str | None = None,
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
        known = self._match(session, now, analysis)
        if known is not None and known.relation == dedup.UPDATE:
            if update_summary is None:
                raise _NeedsUpdateSummary()
            article_id = article_store.add_article(session, known.story_id, replace(new, summary=update_summary))
            detail = f"update of story {known.story_id} (extends article {known.article_id})"
            if not alert:
                return Outcome(UPDATE, article.url, known.story_id, detail=f"{detail}; stored without alert")
            queued = outbox.enqueue_update(session, known.story_id, article_id, now)
            return Outcome(UPDATE, article.url, known.story_id, queued=queued, detail=detail)
        if known is not None:
            article_store.add_article(session, known.story_id, new)
            how = "near-duplicate of" if known.relation == dedup.COPY else "contained in"
            return Outcome(JOINED, article.url, known.story_id, detail=f"{how} story {known.story_id}")

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

    def _match(self, session: Session, now: datetime, analysis: Analysis) -> Match | None:
        """The stored article the new one is a copy of, is contained in, or extends.

        Look among articles stored since the window's start: bounded cost, however large the
        archive. No end: a copy stored by a worker whose clock runs ahead is still a copy. The
        signatures pick the candidates; their words then rule out template news (the same agency
        wording about another head of state, another day's prices: ``dedup.distinct_reports``).
        """
        found: list[tuple[int, int, article_store.Candidate, str]] = []
        candidates = article_store.near_candidates(session, analysis.band_keys, now - self._window)
        for rank, cand in enumerate(candidates):
            how = dedup.relation(analysis.fingerprint, dedup.Fingerprint.from_bytes(cand.fingerprint))
            if how is not None:
                found.append((_RELATION_ORDER[how], rank, cand, how))
        if not found:
            return None
        texts = article_store.article_texts(
            session, [cand.article_id for _, _, cand, _ in found if cand.article_id not in analysis.verdicts]
        )
        article = analysis.article
        for _, _, cand, how in sorted(found, key=lambda f: f[:2]):
            if cand.article_id not in analysis.verdicts:
                title, body, published = texts[cand.article_id]
                analysis.verdicts[cand.article_id] = dedup.distinct_reports(
                    article.body, body, article.title, title, article.published_at, published
                )
            reason = analysis.verdicts[cand.article_id]
            if reason is None:
                return Match(cand.story_id, cand.article_id, how)
            log.debug("%s is not a copy of article %s: %s", article.url, cand.article_id, reason)
        return None
