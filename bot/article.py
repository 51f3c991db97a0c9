"""The unit every source produces and every stage consumes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
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


# --- the source boundary -------------------------------------------------------------------

# PostgreSQL text refuses NUL; lone surrogates (from a broken decoder) cannot be encoded as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Caps keep one hostile item from making rows nobody can show: a headline is a line, not a page.
MAX_TITLE_CHARS = 1_000
MAX_GUID_CHARS = 2_000
MAX_URL_CHARS = 16_384


def storable(text: str) -> str:
    """``text`` without the characters a database refuses (NUL, lone surrogates)."""
    return _UNSTORABLE.sub("", text) if _UNSTORABLE.search(text) else text


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def sanitize(article: Article) -> Article:
    """The article every source hands on: storable characters only, title and guid capped.

    A URL is kept whole up to ``MAX_URL_CHARS`` (it is indexed by hash, see storage.models), so two
    long links that differ only at the end stay two articles.
    """
    title = _cap(storable(article.title), MAX_TITLE_CHARS)
    body = storable(article.body)
    url = storable(article.url)[:MAX_URL_CHARS]
    guid = None if article.guid is None else storable(article.guid)[:MAX_GUID_CHARS]
    if (title, body, url, guid) == (article.title, article.body, article.url, article.guid):
        return article
    return replace(article, title=title, body=body, url=url, guid=guid)
