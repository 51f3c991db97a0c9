"""Story reads for chat commands: a topic's latest stories, a plain-text search, one article by URL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Article, Source, Story, StoryTopic, Watchlist, text_key


@dataclass(frozen=True)
class StoryHit:
    id: int
    headline: str
    summary: str
    published_at: datetime
    url: str
    source: str


@dataclass(frozen=True)
class StoredArticle:
    title: str
    body: str
    url: str


def latest_story_ids(session: Session, watchlist_id: int, limit: int) -> list[int]:
    """The topic's newest stories, oldest of them first (the order a backlog is sent in)."""
    if limit <= 0:
        return []
    q = (
        select(Story.id)
        .join(StoryTopic, StoryTopic.story_id == Story.id)
        .where(StoryTopic.watchlist_id == watchlist_id)
        .order_by(Story.published_at.desc(), Story.id.desc())
        .limit(limit)
    )
    return list(reversed(list(session.scalars(q))))


def topic_stories(session: Session, slug: str, limit: int) -> list[StoryHit]:
    """A topic's newest ``limit`` stories, returned oldest first so they read as a timeline."""
    q = (
        select(Story.id, Story.headline, Story.summary, Story.published_at, Article.url, Source.name)
        .join(StoryTopic, StoryTopic.story_id == Story.id)
        .join(Watchlist, Watchlist.id == StoryTopic.watchlist_id)
        .join(Article, Article.id == Story.lead_article_id)
        .join(Source, Source.id == Article.source_id)
        .where(Watchlist.slug == slug)
        .order_by(Story.published_at.desc(), Story.id.desc())
        .limit(limit)
    )
    return list(reversed([StoryHit(*row) for row in session.execute(q)]))


def article_by_url(session: Session, url: str) -> StoredArticle | None:
    # By the indexed hash (migration 0007a): the raw URL column has no index of its own.
    row = session.execute(
        select(Article.title, Article.body, Article.url).where(Article.url_hash == text_key(url), Article.url == url)
    ).first()
    return None if row is None else StoredArticle(*row)


def story_match(session: Session, story_id: int, watchlist_id: int) -> tuple[str, list[str]] | None:
    """(headline, matched terms) of a story under one watchlist, for the alert's «لماذا؟» button;
    None when the story no longer carries that topic."""
    row = session.execute(
        select(Story.headline, StoryTopic.matched_terms)
        .join(StoryTopic, StoryTopic.story_id == Story.id)
        .where(Story.id == story_id, StoryTopic.watchlist_id == watchlist_id)
    ).first()
    if row is None:
        return None
    headline, terms = row
    return headline, list(json.loads(terms)) if terms else []
