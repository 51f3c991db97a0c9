"""A topic's stories with their event dates and how many sources reported each: SQL for /timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import DateTime, Interval, cast, func, literal, select
from sqlalchemy.orm import Session

from storage.models import Article, Story, StoryTopic, Watchlist


@dataclass(frozen=True)
class TimelineRow:
    story_id: int
    headline: str
    event_date: datetime
    published_at: datetime
    sources: int
    articles: int
    url: str
    # How much of event_date the text stated (day, week, month, year); None: the publication date.
    precision: str | None = None


def topic_timeline(
    session: Session, slug: str, start: datetime | None = None, end: datetime | None = None, limit: int = 500,
    watchlist_id: int | None = None,
) -> list[TimelineRow]:
    """The topic's stories in event order (event date, else publication date), within [start, end).

    ``watchlist_id`` names the one watchlist a chat means (slugs repeat across chat scopes)."""
    when = func.coalesce(Story.event_date, Story.published_at)
    # Correlated, so only the rows returned are counted (through the story_id index), never the archive.
    sources = (
        select(func.count(func.distinct(Article.source_id)))
        .where(Article.story_id == Story.id)
        .correlate(Story)
        .scalar_subquery()
    )
    lead = Article.__table__.alias("lead")
    q = (
        select(Story.id, Story.headline, Story.event_date, Story.published_at, sources, Story.article_count,
               lead.c.url, Story.event_precision)
        .join(StoryTopic, StoryTopic.story_id == Story.id)
        .join(Watchlist, Watchlist.id == StoryTopic.watchlist_id)
        .join(lead, lead.c.id == Story.lead_article_id)
        .where(Watchlist.id == watchlist_id if watchlist_id is not None else Watchlist.slug == slug)
    )
    if start is not None:
        q = q.where(when >= start)
    if end is not None:
        q = q.where(when < end)
    q = q.order_by(when, Story.id).limit(limit)
    return [
        TimelineRow(sid, headline, event or published, published, n, count, url, precision if event else None)
        for sid, headline, event, published, n, count, url, precision in session.execute(q)
    ]


@dataclass(frozen=True)
class DayVolume:
    """One calendar day's coverage of a topic: articles published and distinct outlets publishing."""

    day: date
    articles: int
    outlets: int


def daily_volume(
    session: Session, slug: str, start: datetime | None = None, end: datetime | None = None,
    watchlist_id: int | None = None, utc_offset: timedelta = timedelta(0),
) -> list[DayVolume]:
    """Articles and distinct outlets per day, over the articles of the stories ``topic_timeline``
    shows for the same arguments (story event date, else publication, within [start, end)).

    Days are counted in SQL (one row per day, however many articles) on publication times shifted
    by ``utc_offset``, so a day is the chat's calendar day."""
    when = func.coalesce(Story.event_date, Story.published_at)
    minutes = int(utc_offset.total_seconds() // 60)
    if session.get_bind().dialect.name == "postgresql":
        shifted = cast(Article.published_at, DateTime) + literal(timedelta(minutes=minutes), Interval())
        day = func.date(shifted)
    else:  # SQLite: date(value, '+180 minutes') gives 'YYYY-MM-DD'
        day = func.date(Article.published_at, f"{minutes:+d} minutes")
    q = (
        select(day.label("day"), func.count(Article.id), func.count(func.distinct(Article.source_id)))
        .join(Story, Story.id == Article.story_id)
        .join(StoryTopic, StoryTopic.story_id == Story.id)
        .join(Watchlist, Watchlist.id == StoryTopic.watchlist_id)
        .where(Watchlist.id == watchlist_id if watchlist_id is not None else Watchlist.slug == slug)
    )
    if start is not None:
        q = q.where(when >= start)
    if end is not None:
        q = q.where(when < end)
    q = q.group_by(day).order_by(day)
    out = []
    for value, articles, outlets in session.execute(q):
        if value is None:
            continue
        out.append(DayVolume(value if isinstance(value, date) else date.fromisoformat(str(value)), articles, outlets))
    return out
