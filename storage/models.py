"""SQLAlchemy models: the one place that knows the schema (Alembic migrations mirror it)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite drops offsets, PostgreSQL keeps them."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware UTC")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # files | feed
    location: Mapped[str] = mapped_column(Text)  # folder path or feed URL
    interval_s: Mapped[int] = mapped_column(Integer, default=900)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Feed sources (migration 0002): topics whose chats hear of an outage (JSON list), the chat that
    # added it, per-source options (JSON), the last poll's one-line outcome, soft removal.
    topics: Mapped[str | None] = mapped_column(Text)
    admin_chat: Mapped[str | None] = mapped_column(String(300))
    options: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[str | None] = mapped_column(Text)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Migration 0015: a file source's poll claimed by one process until then (NULL: nobody holds it).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    headline: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    lead_article_id: Mapped[int | None] = mapped_column(Integer)
    article_count: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    event_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime)
    # "news", or "notice": a message of raqib's own (a feed disabled) riding the outbox to its chats;
    # notices are never listed, searched or placed on a timeline as news.
    kind: Mapped[str] = mapped_column(String(10), default="news", server_default="news")
    # How much of event_date the text stated (migration 0007e): "day", "week", "month" or "year"
    # ("في أغسطس 2025" is a month, not 2025-08-01); NULL for a date taken from the publication.
    event_precision: Mapped[str | None] = mapped_column(String(5))

    @validates("event_date")
    def _keep_event_precision(self, _key: str, value: datetime | None) -> datetime | None:
        """A date from ``bot.text.eventdates`` carries its precision: store it beside the date."""
        self.event_precision = getattr(value, "precision", None)
        return value


class Article(Base):
    __tablename__ = "articles"
    # URL and guid are unique through their hashes (migration 0007a): a btree entry of the raw value
    # is refused by PostgreSQL past ~2.7 KB, and a feed link can be 5,000 characters.
    __table_args__ = (
        UniqueConstraint("url_hash", name="uq_articles_url_hash"),
        UniqueConstraint("source_id", "guid_hash", name="uq_articles_source_guid_hash"),
        Index("ix_articles_published", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64))
    guid: Mapped[str | None] = mapped_column(Text)
    guid_hash: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    date_source: Mapped[str] = mapped_column(String(10))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body_hash: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary)
    # Migration 0009: an update's own summary (the alert of an update shows the new report, not the
    # story's lead); NULL for every other article.
    summary: Mapped[str | None] = mapped_column(Text)

    @validates("url", "guid")
    def _keep_key_hash(self, key: str, value: str | None) -> str | None:
        """Whoever sets the URL or the guid sets the indexed hash with it."""
        setattr(self, f"{key}_hash", None if value is None else text_key(value))
        return value


def text_key(value: str) -> str:
    """The indexed stand-in for an unbounded text (a URL, a guid): sha256 hex of its UTF-8."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class ArticleBand(Base):
    """The persisted LSH index: one row per band key of an article's MinHash.

    Keyed by (band_key, seen_at, article_id), no surrogate id (migration 0017_writer): the lookup
    reads that key alone, and SQLite stores the table as it (one B-tree written per row)."""

    __tablename__ = "article_bands"
    __table_args__ = {"sqlite_with_rowid": False}

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # When we stored the article: a republished copy often states no date or another one.
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )


class Watchlist(Base):
    """A topic. ``scope`` is "global" (curated by the owners) or the chat scope that owns it
    (migration 0007d): a Telegram chat's address, or ``discord-guild:ID`` for a Discord server."""

    __tablename__ = "watchlists"
    __table_args__ = (UniqueConstraint("scope", "slug", name="uq_watchlists_scope_slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(300), default="global", server_default="global", index=True)
    slug: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(Text)
    rules: Mapped[str] = mapped_column(Text)  # JSON: {"all": [[...]], "any": [...], "none": [...]}
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(Text)


class WatchlistEdit(Base):
    """Who changed which watchlist, when, and how: the audit trail admins asked for."""

    __tablename__ = "watchlist_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Migration 0007d: the chat the edit was made in, and the rules (JSON) before and after it.
    chat: Mapped[str | None] = mapped_column(String(300))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """Feed and subscription changes: who, in which chat, when, what, before/after (0007d)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # feed | subscription
    target: Mapped[str] = mapped_column(Text)  # the feed URL, or "CHAT → SCOPE/SLUG"
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(Text)
    chat: Mapped[str | None] = mapped_column(String(300))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoryTopic(Base):
    __tablename__ = "story_topics"

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id"), primary_key=True)
    matched_terms: Mapped[str] = mapped_column(Text)  # JSON list, the admin's spelling
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(300), unique=True)  # console:desk, telegram:123
    platform: Mapped[str] = mapped_column(String(30))
    title: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Migration 0012: the chat's zone (IANA; NULL = the configured one), quiet hours as minutes after
    # midnight in it (NULL = none), what they do ("silent" or "hold"), and "short" or "normal" summaries.
    timezone: Mapped[str | None] = mapped_column(String(64))
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    quiet_mode: Mapped[str] = mapped_column(String(10), default="silent", server_default="silent")
    summary_length: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal")


class ChatMove(Base):
    """A chat's address changed (a Telegram group became a supergroup): old → new, kept for good
    so that the config, the CLI or a command naming the old address reaches the new chat (0007b)."""

    __tablename__ = "chat_moves"

    old_address: Mapped[str] = mapped_column(String(300), primary_key=True)
    new_address: Mapped[str] = mapped_column(String(300))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "watchlist_id", name="uq_subscription"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), index=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id"), index=True)
    thread_id: Mapped[str | None] = mapped_column(String(64))
    # "instant", or a digest: "hourly", or "daily" at ``digest_at`` (minutes after midnight, chat's zone).
    mode: Mapped[str] = mapped_column(String(10), default="instant")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    digest_at: Mapped[int | None] = mapped_column(Integer)  # migration 0012
    # "story": one alert per story, edited as outlets join it, updates as replies; "every": every report.
    reports: Mapped[str] = mapped_column(String(10), default="story", server_default="story")


class Delivery(Base):
    """The outbox: one alert row per chat and story, so a chat can never get a story twice, and
    one update row per chat, story and updating article (migration 0009)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("uq_delivery_alert", "chat_id", "story_id", unique=True,
              sqlite_where=text("kind = 'alert'"), postgresql_where=text("kind = 'alert'")),
        Index("uq_delivery_update", "chat_id", "story_id", "article_id", unique=True,
              sqlite_where=text("kind = 'update'"), postgresql_where=text("kind = 'update'")),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        # Migration 0012: one digest per chat and period; at most one pending edit per chat and story
        # (edits coalesce); one every-report row per chat, story and article.
        Index("uq_delivery_digest", "chat_id", "period", unique=True,
              sqlite_where=text("kind = 'digest'"), postgresql_where=text("kind = 'digest'")),
        Index("uq_delivery_edit", "chat_id", "story_id", unique=True,
              sqlite_where=text("kind = 'edit' AND state = 'pending'"),
              postgresql_where=text("kind = 'edit' AND state = 'pending'")),
        Index("uq_delivery_report", "chat_id", "story_id", "article_id", unique=True,
              sqlite_where=text("kind = 'report'"), postgresql_where=text("kind = 'report'")),
        Index("ix_deliveries_bundle", "bundle_id"),
        Index("ix_deliveries_chat_state", "chat_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), index=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id"))
    thread_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    message_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Migration 0007c: when the row was given up (state failed); the owners' notice counts from it.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Migration 0009: "alert" (the story's first alert) or "update" (a later report that adds a
    # development); an update shows ``article_id``, an alert the story's lead (NULL).
    kind: Mapped[str] = mapped_column(String(10), default="alert", server_default="alert")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    # Migration 0012: kinds "edit", "report", "digest", "archive" too. An alert folded into a digest or
    # an archive is "bundled" into the row ``bundle_id`` (no foreign key: see the migration); a digest's
    # ``period`` names it ("hourly:2026-11-30T14", "daily:2026-11-30"), unique per chat.
    bundle_id: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(40))


class Mute(Base):
    """One muted subscription (migration 0010): the chat's alerts of the watchlist are skipped
    until ``until``; an expired row is harmless and is replaced by the next mute."""

    __tablename__ = "mutes"

    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id"), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Burst(Base):
    """One «تغطية مكثفة» alert a topic got (migration 0011); the latest one starts its cooldown."""

    __tablename__ = "bursts"
    __table_args__ = (Index("ix_bursts_watchlist_detected", "watchlist_id", "detected_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    article_count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
