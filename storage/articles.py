"""Articles, stories, the persisted near-duplicate index and topic matches."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, or_, select, text
from sqlalchemy.orm import Session

from storage import search as search_store
from storage.models import Article, ArticleBand, Source, Story, StoryTopic, Watchlist, text_key


@dataclass(frozen=True)
class Candidate:
    article_id: int
    story_id: int
    fingerprint: bytes


@dataclass(frozen=True)
class NewArticle:
    source_id: int
    url: str
    guid: str | None
    title: str
    body: str
    published_at: datetime
    date_source: str
    fetched_at: datetime
    body_hash: str
    fingerprint: bytes
    band_keys: list[int]
    # The article's search keys (bot.search.index_keys); given, they are indexed with the article.
    search_keys: str | None = None
    # An update's own summary (shown in its alert); None for every other article.
    summary: str | None = None


@dataclass(frozen=True)
class StoryRow:
    id: int
    headline: str
    summary: str
    published_at: datetime
    article_count: int
    url: str
    source: str
    topics: dict[str, list[str]]


def exact_duplicate(session: Session, source_id: int, url: str, guid: str | None, body_hash: str) -> str | None:
    """Name the key an identical article was already stored under, if any (three index lookups)."""
    url_hash = text_key(url)
    conds = [Article.url_hash == url_hash, Article.body_hash == body_hash]
    guid_hash = text_key(guid) if guid else None
    if guid_hash:
        conds.append((Article.source_id == source_id) & (Article.guid_hash == guid_hash))
    hit = session.execute(
        select(Article.url_hash, Article.body_hash, Article.guid_hash).where(or_(*conds)).limit(1)
    ).first()
    if hit is None:
        return None
    if hit.url_hash == url_hash:
        return "url"
    return "body" if hit.body_hash == body_hash else "guid"


def lock_bands(session: Session, band_keys: list[int]) -> None:
    """Serialize story assignment per LSH band until the caller's transaction ends.

    Two workers storing a report and its copy at once each looked for candidates before the other
    had inserted, and both made a story. On PostgreSQL each band key is taken as a transaction-level
    advisory lock (band keys are already signed 64-bit, the lock's own key space), in ascending
    order so that two transactions wanting overlapping sets never deadlock; call it before the
    candidate lookup. SQLite needs nothing: ``BEGIN IMMEDIATE`` (storage.db) already makes every
    write transaction wait for the one before it.
    """
    if not band_keys or session.get_bind().dialect.name != "postgresql":
        return
    # unnest keeps the array's order, so the locks are taken in the sorted order in one round trip.
    session.execute(
        text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"),
        {"keys": sorted(set(band_keys))},
    ).all()


def near_candidates(
    session: Session, band_keys: list[int], start: datetime, end: datetime | None = None, limit: int = 50
) -> list[Candidate]:
    """Articles sharing an LSH band seen since ``start``: an index lookup, never a scan.

    Normally no ``end``: an article a worker with a clock a little ahead stored "in the future" is
    still in the window, and a copy must join it rather than start another story.
    """
    if not band_keys:
        return []
    seen = ArticleBand.seen_at >= start if end is None else ArticleBand.seen_at.between(start, end)
    hits = (
        select(ArticleBand.article_id, func.count().label("shared"))
        .where(ArticleBand.band_key.in_(band_keys), seen)
        .group_by(ArticleBand.article_id)
        .order_by(func.count().desc(), ArticleBand.article_id)
        .limit(limit)
        .subquery()
    )
    q = select(Article.id, Article.story_id, Article.fingerprint).join(hits, hits.c.article_id == Article.id)
    return [Candidate(*row) for row in session.execute(q)]


def article_texts(session: Session, article_ids: list[int]) -> dict[int, tuple[str, str, datetime]]:
    """Title, body and publication time of these articles: the near-duplicate decision compares a
    candidate's words with the new text's (template news differ only in a name, a figure, or the
    day its "اليوم" names)."""
    if not article_ids:
        return {}
    rows = session.execute(
        select(Article.id, Article.title, Article.body, Article.published_at).where(Article.id.in_(article_ids))
    )
    return {row.id: (row.title, row.body, row.published_at) for row in rows}


def create_story(
    session: Session, headline: str, summary: str, published_at: datetime, now: datetime, kind: str = "news"
) -> Story:
    story = Story(
        headline=headline, summary=summary, published_at=published_at, article_count=0, first_seen=now,
        last_updated=now, kind=kind,
    )
    session.add(story)
    session.flush()
    return story


def create_notice(
    session: Session, source_id: int, url: str, key: str, headline: str, body: str, now: datetime,
    kind: str = "notice",
) -> Story:
    """A message of raqib's own (a feed disabled, alerts given up; ``kind`` "burst" for a burst of
    coverage) as a story with one article: the outbox delivers stories, and a notice has no bands,
    no topic match and no search entry, so it never joins, matches or lists as news. ``key`` stands
    in for the body hash."""
    story = create_story(session, headline, body, now, now, kind=kind)
    add_article(session, story.id, NewArticle(source_id, url, None, headline, body, now, "fetch", now, key, b"", []))
    return story


def add_article(session: Session, story_id: int, new: NewArticle) -> int:
    """Store the article and its band keys, and count it in its story."""
    article = Article(
        source_id=new.source_id,
        story_id=story_id,
        url=new.url,
        guid=new.guid,
        title=new.title,
        body=new.body,
        published_at=new.published_at,
        date_source=new.date_source,
        fetched_at=new.fetched_at,
        body_hash=new.body_hash,
        fingerprint=new.fingerprint,
        summary=new.summary,
    )
    session.add(article)
    session.flush()
    if new.band_keys:
        session.execute(
            insert(ArticleBand),
            [{"band_key": key, "article_id": article.id, "seen_at": new.fetched_at} for key in new.band_keys],
        )
    if new.search_keys is not None:
        search_store.index_article(session, article.id, story_id, new.source_id, new.published_at, new.search_keys)
    story = session.get(Story, story_id)
    assert story is not None
    story.article_count += 1
    story.last_updated = new.fetched_at
    if story.lead_article_id is None:
        story.lead_article_id = article.id
    return article.id


def add_story_topic(session: Session, story_id: int, watchlist_id: int, terms: list[str], now: datetime) -> None:
    session.add(
        StoryTopic(
            story_id=story_id,
            watchlist_id=watchlist_id,
            matched_terms=json.dumps(terms, ensure_ascii=False),
            matched_at=now,
        )
    )


def list_stories(session: Session, topic: str | None = None, limit: int = 100) -> list[StoryRow]:
    q = select(Story).where(Story.kind == "news").order_by(Story.published_at.desc(), Story.id.desc()).limit(limit)
    if topic is not None:
        q = q.join(StoryTopic, StoryTopic.story_id == Story.id).join(
            Watchlist, Watchlist.id == StoryTopic.watchlist_id
        ).where(Watchlist.slug == topic)
    stories = list(session.scalars(q))
    return [_story_row(session, s) for s in stories]


def _story_row(session: Session, story: Story) -> StoryRow:
    lead = session.execute(
        select(Article.url, Source.name)
        .join(Source, Source.id == Article.source_id)
        .where(Article.id == story.lead_article_id)
    ).one()
    topics = {
        slug: json.loads(terms)
        for slug, terms in session.execute(
            select(Watchlist.slug, StoryTopic.matched_terms)
            .join(Watchlist, Watchlist.id == StoryTopic.watchlist_id)
            .where(StoryTopic.story_id == story.id)
            .order_by(Watchlist.slug)
        )
    }
    return StoryRow(
        story.id, story.headline, story.summary, story.published_at, story.article_count, lead.url, lead.name, topics
    )


def count_articles(session: Session) -> int:
    return int(session.scalar(select(func.count(Article.id))) or 0)
