"""Feed sources: adding, listing, picking the due ones, recording each poll, outage notices."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage import articles as article_store
from storage import chats as chat_store
from storage import outbox
from storage.models import Source, Watchlist

FEED = "feed"


@dataclass(frozen=True)
class FeedRow:
    """A snapshot of a feed source, safe to use outside the session."""

    id: int
    name: str
    url: str
    interval_s: int
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    error_count: int = 0
    disabled_reason: str | None = None
    last_success_at: datetime | None = None
    next_check_at: datetime | None = None
    last_error: str | None = None
    last_status: str | None = None
    topics: tuple[str, ...] = ()
    admin_chat: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def first_fetch(self) -> bool:
        return self.last_success_at is None


def _row(src: Source) -> FeedRow:
    return FeedRow(
        id=src.id, name=src.name, url=src.location, interval_s=src.interval_s, etag=src.etag,
        last_modified=src.last_modified, content_hash=src.content_hash, error_count=src.error_count or 0,
        disabled_reason=src.disabled_reason, last_success_at=src.last_success_at, next_check_at=src.next_check_at,
        last_error=src.last_error, last_status=src.last_status,
        topics=tuple(json.loads(src.topics)) if src.topics else (), admin_chat=src.admin_chat,
        options=json.loads(src.options) if src.options else {},
    )


def _live(q):
    return q.where(Source.kind == FEED, Source.removed_at.is_(None))


def find_feed(session: Session, key: str, include_removed: bool = False) -> FeedRow | None:
    """A feed by URL or by name."""
    q = select(Source).where(Source.kind == FEED, or_(Source.location == key, Source.name == key))
    if not include_removed:
        q = q.where(Source.removed_at.is_(None))
    src = session.scalars(q.limit(1)).first()
    return None if src is None else _row(src)


def name_taken(session: Session, name: str) -> bool:
    return session.scalar(select(Source.id).where(Source.name == name)) is not None


def upsert_feed(
    session: Session, name: str, url: str, interval_s: int, now: datetime, *, first_check_at: datetime,
    topics: tuple[str, ...] = (), admin_chat: str | None = None, options: dict[str, Any] | None = None,
) -> tuple[FeedRow, bool]:
    """Create the feed, or bring back a removed one; keep the polling state of one that exists.

    Returns (row, created). A name already used by another source raises ValueError.
    """
    src = session.scalars(select(Source).where(Source.kind == FEED, Source.location == url).limit(1)).first()
    created = src is None or src.removed_at is not None
    if src is None:
        other = session.scalar(select(Source).where(Source.name == name))
        if other is not None:
            raise ValueError(f"source name {name!r} is already used by {other.location}")
        src = Source(name=name, kind=FEED, location=url, created_at=now, error_count=0, next_check_at=first_check_at)
        session.add(src)
    elif src.removed_at is not None:
        src.removed_at, src.disabled_reason, src.error_count, src.next_check_at = None, None, 0, first_check_at
    src.interval_s = interval_s
    src.topics = json.dumps(list(topics), ensure_ascii=False) if topics else None
    if admin_chat:
        src.admin_chat = admin_chat
    src.options = json.dumps(options, sort_keys=True) if options else None
    session.flush()
    return _row(src), created


def list_feeds(session: Session) -> list[FeedRow]:
    return [_row(s) for s in session.scalars(_live(select(Source)).order_by(Source.name))]


def remove_feed(session: Session, key: str, now: datetime) -> FeedRow | None:
    """Soft removal: its articles keep their source; it is no longer polled or listed."""
    src = session.scalars(
        _live(select(Source)).where(or_(Source.location == key, Source.name == key)).limit(1)
    ).first()
    if src is None:
        return None
    src.removed_at = now
    return _row(src)


def enable_feed(session: Session, key: str, now: datetime) -> FeedRow | None:
    src = session.scalars(
        _live(select(Source)).where(or_(Source.location == key, Source.name == key)).limit(1)
    ).first()
    if src is None:
        return None
    src.disabled_reason, src.error_count, src.next_check_at = None, 0, now
    src.last_status = "re-enabled"
    return _row(src)


def claim_due(session: Session, now: datetime, limit: int, lease: timedelta) -> list[FeedRow]:
    """The feeds due now, oldest first; each is pushed ``lease`` ahead so an overlapping tick or
    another worker does not poll it twice. The poll then records the real next check."""
    q = (
        _live(select(Source))
        .where(Source.disabled_reason.is_(None), or_(Source.next_check_at.is_(None), Source.next_check_at <= now))
        .order_by(Source.next_check_at.is_(None).desc(), Source.next_check_at, Source.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    rows = list(session.scalars(q))
    for src in rows:
        src.next_check_at = now + lease
    return [_row(s) for s in rows]


def _line(text: str, limit: int) -> str:
    """A status line PostgreSQL will take: no NUL (an error message may quote the bad input)."""
    return text.replace("\x00", "")[:limit]


def record_success(
    session: Session, source_id: int, now: datetime, next_check_at: datetime, status: str, *,
    etag: str | None, last_modified: str | None, content_hash: str | None, item_error: str | None = None,
) -> None:
    """A poll that reached the feed; ``item_error`` says which of its items could not be stored
    (kept as the source's last error, without counting toward disabling the feed)."""
    src = session.get(Source, source_id)
    if src is None:
        return
    src.next_check_at, src.last_status = next_check_at, _line(status, 500)
    src.last_success_at, src.error_count = now, 0
    src.last_error = _line(item_error, 500) if item_error else None
    src.etag, src.last_modified = etag, last_modified
    if content_hash is not None:
        src.content_hash = content_hash


def record_failure(
    session: Session, source_id: int, now: datetime, next_check_at: datetime, error: str, disable_after: int
) -> bool:
    """Count a failure; True when this one disables the source (the caller then sends notices)."""
    src = session.get(Source, source_id)
    if src is None:
        return False
    error = _line(error, 500)
    src.next_check_at, src.last_error, src.last_status = next_check_at, error, f"error: {error[:480]}"
    src.error_count = (src.error_count or 0) + 1
    if src.disabled_reason is None and src.error_count >= disable_after:
        src.disabled_reason = f"{src.error_count} failures in a row; last: {error[:300]}"
        return True
    return False


def queue_notice(session: Session, source_id: int, headline: str, summary: str, now: datetime) -> int:
    """Tell the source's admin chat and the chats subscribed to its topics, through the outbox.

    The outbox delivers stories, so a notice is a story of kind "notice" whose one article points
    at the feed; it has no topic match, no LSH bands and no search entry, so it never joins,
    matches or lists as news. Returns rows queued.
    """
    src = session.get(Source, source_id)
    if src is None:
        return 0
    topics = json.loads(src.topics) if src.topics else []
    wl_ids = [w for (w,) in session.execute(select(Watchlist.id).where(Watchlist.slug.in_(topics)))] if topics else []
    targets = list(chat_store.subscribers(session, wl_ids)) if wl_ids else []
    if src.admin_chat:
        anchor = wl_ids[0] if wl_ids else session.scalar(select(Watchlist.id).order_by(Watchlist.id).limit(1))
        if anchor is not None:
            chat = chat_store.ensure_chat(session, src.admin_chat, now)
            if chat.active and all(t[0] != chat.id for t in targets):
                targets.append((chat.id, anchor, None))
    if not targets:
        return 0
    key = hashlib.sha256(f"notice\n{source_id}\n{now.isoformat()}\n{headline}".encode()).hexdigest()
    story = article_store.create_notice(
        session, source_id, f"{src.location}#raqib-notice-{key[:12]}", key, headline, summary, now
    )
    return outbox.enqueue(session, story.id, targets, now)
