"""SQL for bursts of coverage: when a topic's articles arrived, what a burst held, what was announced.

The decision itself (is this hour far above the usual?) is bot/delivery/bursts.py's; this module only reads
the numbers it needs and records the «تغطية مكثفة» alert, queued through the outbox like any alert.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage import articles as article_store
from storage import chats as chat_store
from storage import outbox
from storage.models import Article, Burst, Source, Story, StoryTopic, Watchlist

BURST_KIND = "burst"  # stories.kind of a burst alert: never listed, searched or matched as news
BURST_SOURCE = "رقيب"  # the source line of a burst alert: raqib itself, in the chat's language
BURST_LOCATION = "raqib:bursts"
_BURST_LOCK = 0x72616262  # "rabb": serializes detection on PostgreSQL, so two runners announce once


@dataclass(frozen=True)
class Topic:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class BurstStory:
    """One story of a burst: what the alert lists, ranked by how many outlets carried it that hour."""

    story_id: int
    headline: str
    url: str | None
    sources: int
    articles: int


def lock(session: Session) -> None:
    """Hold the detection lock until the transaction ends (PostgreSQL; SQLite has one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _BURST_LOCK})


def topics(session: Session) -> list[Topic]:
    rows = session.execute(select(Watchlist.id, Watchlist.slug, Watchlist.name).order_by(Watchlist.id))
    return [Topic(i, slug, name) for i, slug, name in rows]


def article_times(session: Session, since: datetime, until: datetime) -> dict[int, list[datetime]]:
    """Publication times of the news articles in (since, until], by the topic their story matched.

    Every article counts, copies included: five outlets running the same wire story is coverage.
    Publication time, not fetch time, so a new feed's backlog lands in past hours, not in this one.
    """
    rows = session.execute(
        select(StoryTopic.watchlist_id, Article.published_at)
        .join(Article, Article.story_id == StoryTopic.story_id)
        .join(Story, Story.id == StoryTopic.story_id)
        .where(Story.kind == "news", Article.published_at > since, Article.published_at <= until)
    )
    out: dict[int, list[datetime]] = {}
    for watchlist_id, published_at in rows:
        out.setdefault(watchlist_id, []).append(published_at)
    return out


def last_burst_at(session: Session, watchlist_id: int) -> datetime | None:
    return session.scalar(select(func.max(Burst.detected_at)).where(Burst.watchlist_id == watchlist_id))


def top_stories(
    session: Session, watchlist_id: int, since: datetime, until: datetime, limit: int = 5
) -> list[BurstStory]:
    """The topic's stories with articles in (since, until], most outlets first, then most articles."""
    sources = func.count(func.distinct(Article.source_id))
    articles = func.count(Article.id)
    ranked = session.execute(
        select(Story.id, Story.headline, Story.lead_article_id, sources, articles)
        .join(StoryTopic, StoryTopic.story_id == Story.id)
        .join(Article, Article.story_id == Story.id)
        .where(
            StoryTopic.watchlist_id == watchlist_id, Story.kind == "news",
            Article.published_at > since, Article.published_at <= until,
        )
        .group_by(Story.id, Story.headline, Story.lead_article_id)
        .order_by(sources.desc(), articles.desc(), Story.id)
        .limit(limit)
    ).all()
    leads = [lead for _, _, lead, _, _ in ranked if lead is not None]
    urls: dict[int, str] = {}
    if leads:
        urls = {i: u for i, u in session.execute(select(Article.id, Article.url).where(Article.id.in_(leads)))}
    return [BurstStory(sid, headline, urls.get(lead), n_src, n_art) for sid, headline, lead, n_src, n_art in ranked]


def _burst_source(session: Session, now: datetime) -> Source:
    src = session.scalar(select(Source).where(Source.kind == outbox.NOTICE_KIND, Source.location == BURST_LOCATION))
    if src is None:
        src = Source(name=BURST_SOURCE, kind=outbox.NOTICE_KIND, location=BURST_LOCATION, interval_s=0,
                     created_at=now, error_count=0)
        session.add(src)
        session.flush()
    return src


def record_burst(
    session: Session, watchlist_id: int, now: datetime, count: int, baseline: float, headline: str, body: str,
    link: str | None = None,
) -> int:
    """Record the burst and queue its alert to every active chat subscribed to the topic; returns
    rows queued. The alert is a story of kind "burst" with one article of raqib's own (like a
    notice), so the outbox's guarantees hold: one row per chat, leased, retried, never doubled.
    ``link`` (the top story's web address) is what the alert's headline opens; a fragment keeps
    the article's URL unique without changing the page."""
    src = _burst_source(session, now)
    key = hashlib.sha256(f"burst\n{watchlist_id}\n{now.isoformat()}".encode()).hexdigest()
    url = f"{link}#raqib-burst-{key[:12]}" if link and "#" not in link else f"{BURST_LOCATION}#{key[:16]}"
    story = article_store.create_notice(session, src.id, url, key, headline, body, now, kind=BURST_KIND)
    session.add(Burst(watchlist_id=watchlist_id, story_id=story.id, detected_at=now, article_count=count,
                      baseline=baseline))
    targets = chat_store.subscribers(session, [watchlist_id])
    return outbox.enqueue(session, story.id, targets, now)
