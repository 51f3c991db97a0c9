"""The outbox: deliveries claimed, sent, retried or given up, so "already sent" is a stored fact."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import Article, Chat, Delivery, Source, Story, StoryTopic, Watchlist

PENDING, SENDING, SENT, FAILED, DEAD = "pending", "sending", "sent", "failed", "dead"


@dataclass(frozen=True)
class DeliveryJob:
    """Everything a transport needs to render one alert, read in the claiming transaction."""

    delivery_id: int
    attempts: int
    chat_id: int
    chat: str
    platform: str
    language: str | None
    thread_id: str | None
    story_id: int
    topic: str
    topic_name: str
    headline: str
    summary: str
    url: str
    source: str
    published_at: datetime
    matched: list[str]


def enqueue(session: Session, story_id: int, targets: list[tuple[int, int, str | None]], now: datetime) -> int:
    """Insert one pending row per chat; a chat already holding this story is left alone."""
    seen: set[int] = set()
    rows = []
    for chat_id, watchlist_id, thread_id in targets:
        if chat_id in seen:
            continue
        seen.add(chat_id)
        rows.append(
            dict(
                chat_id=chat_id,
                story_id=story_id,
                watchlist_id=watchlist_id,
                thread_id=thread_id,
                state=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Delivery).values(rows).on_conflict_do_nothing(index_elements=["chat_id", "story_id"])
    return len(session.execute(stmt.returning(Delivery.id)).all())


def claim(
    session: Session, platforms: list[str], worker: str, now: datetime, lease_s: int, limit: int
) -> list[DeliveryJob]:
    """Lease due rows to this worker. On PostgreSQL, SKIP LOCKED lets several workers share the table;
    on SQLite the transaction's BEGIN IMMEDIATE serializes claimers instead.

    A row whose lease ran out (its worker died mid-send) is due again.
    """
    due = or_(
        and_(Delivery.state == PENDING, Delivery.next_attempt_at <= now),
        and_(Delivery.state == SENDING, Delivery.lease_until < now),
    )
    ids_q = (
        select(Delivery.id)
        .join(Chat, Chat.id == Delivery.chat_id)
        .where(due, Chat.platform.in_(platforms), Chat.active.is_(True))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
    )
    ids = list(session.scalars(ids_q))
    if not ids:
        return []
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(state=SENDING, lease_until=now + timedelta(seconds=lease_s), claimed_by=worker)
    )
    return _jobs(session, ids)


def _jobs(session: Session, ids: list[int]) -> list[DeliveryJob]:
    q = (
        select(
            Delivery.id,
            Delivery.attempts,
            Chat.id,
            Chat.address,
            Chat.platform,
            Chat.language,
            Delivery.thread_id,
            Story.id,
            Watchlist.slug,
            Watchlist.name,
            Story.headline,
            Story.summary,
            Article.url,
            Source.name,
            Story.published_at,
            StoryTopic.matched_terms,
        )
        .join(Chat, Chat.id == Delivery.chat_id)
        .join(Story, Story.id == Delivery.story_id)
        .join(Watchlist, Watchlist.id == Delivery.watchlist_id)
        .join(Article, Article.id == Story.lead_article_id)
        .join(Source, Source.id == Article.source_id)
        .outerjoin(
            StoryTopic, and_(StoryTopic.story_id == Story.id, StoryTopic.watchlist_id == Delivery.watchlist_id)
        )
        .where(Delivery.id.in_(ids))
        .order_by(Story.published_at, Delivery.id)
    )
    jobs = []
    for row in session.execute(q):
        *head, matched = row
        jobs.append(DeliveryJob(*head, matched=json.loads(matched) if matched else []))
    return jobs


def mark_sent(session: Session, delivery_id: int, message_id: str, now: datetime) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(state=SENT, message_id=message_id, sent_at=now, lease_until=None, last_error=None)
    )


def mark_retry(session: Session, delivery_id: int, error: str, retry_at: datetime, count_attempt: bool = True) -> None:
    """Put the row back for later; a flood-control wait does not use up an attempt."""
    values = dict(state=PENDING, next_attempt_at=retry_at, lease_until=None, last_error=error)
    stmt = update(Delivery).where(Delivery.id == delivery_id)
    if count_attempt:
        stmt = stmt.values(attempts=Delivery.attempts + 1, **values)
    else:
        stmt = stmt.values(**values)
    session.execute(stmt)


def mark_failed(session: Session, delivery_id: int, error: str, state: str = FAILED) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(state=state, attempts=Delivery.attempts + 1, lease_until=None, last_error=error)
    )


def release(session: Session, worker: str) -> int:
    """Hand back what this worker claimed but did not send (clean shutdown)."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == SENDING, Delivery.claimed_by == worker)
        .values(state=PENDING, lease_until=None)
    )
    return result.rowcount or 0


def drop_chat_backlog(session: Session, chat_id: int, reason: str) -> int:
    """A chat that blocked or left us gets nothing more: its waiting rows become dead."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.state.in_([PENDING, SENDING]))
        .values(state=DEAD, last_error=reason, lease_until=None)
    )
    return result.rowcount or 0


def counts(session: Session) -> dict[str, int]:
    return {state: n for state, n in session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))}
