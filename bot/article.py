"""The unit every source produces and every stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Article:
    """A cleaned article, before it is stored.

    ``url`` is the canonical URL for web items and the file path for files; ``published_at`` is
    timezone-aware. ``date_source`` says where the date came from ("text", "feed", "mtime",
    "fetch"), because a file's modification time is a weaker claim than a stated date.
    """

    source: str
    url: str
    title: str
    body: str
    published_at: datetime
    guid: str | None = None
    date_source: str = "text"
    fetched_at: datetime = field(default_factory=utcnow)
