"""The platform-neutral alert a transport renders, and its two console forms."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo

# The first word of an update's alert: a later report of a story the chat was already alerted to.
UPDATE_MARK = "تحديث"


# What a delivery is (``Alert.kind``; the outbox row's kind, migrations 0009 and 0012):
ALERT = "alert"  # a story's first alert in the chat
UPDATE = "update"  # a later report adding a development: «تحديث», a reply to the chat's alert
EDIT = "edit"  # the chat's alert re-drawn (``edit_of``) with the outlets that carry the story now
REPORT = "report"  # an every-report subscription: another outlet's report of a known story
DIGEST = "digest"  # one message listing a period's stories (``items``, ``period``)
ARCHIVE = "archive"  # a new subscription's backlog: one silent message headed «من الأرشيف» (``items``)
KINDS = (ALERT, UPDATE, EDIT, REPORT, DIGEST, ARCHIVE)


@dataclass(frozen=True)
class AlertItem:
    """One story listed in a digest or an archive message."""

    story_id: int
    headline: str
    url: str
    published: datetime
    summary: str  # one sentence
    source_count: int = 1
    topic: str = ""  # the watchlist's slug (a digest may list several topics)


@dataclass(frozen=True)
class Alert:
    chat: str
    thread_id: str | None
    language: str | None
    topic: str
    topic_name: str
    story_id: int
    headline: str
    summary: str
    url: str
    source: str
    published: datetime
    matched: tuple[str, ...]
    # An update of a story the chat already had: the headline, summary and link are the new report's.
    update: bool = False
    # How many outlets carry the story: the meta line's «نشرته 3 مصادر».
    source_count: int = 1
    # The subscription the alert comes from: its buttons (why, mute, unsubscribe) name it.
    watchlist_id: int | None = None
    # Migration 0012 (issue 12): what this delivery is (KINDS; ``update`` above stays true for UPDATE).
    kind: str = ALERT
    # The other outlets that carry the story (names, first report's outlet excluded): «نشرته أيضًا».
    also: tuple[str, ...] = ()
    # Sent without sound (Telegram disable_notification): quiet hours, an archive.
    silent: bool = False
    # The platform message id of the chat's alert of this story: an update replies to it.
    reply_to: str | None = None
    # EDIT: the platform message id to edit (the chat's alert); the transport's ``edit`` uses it.
    edit_of: str | None = None
    # DIGEST and ARCHIVE: the stories listed, oldest first; ``period`` is the digest's [start, end).
    items: tuple[AlertItem, ...] = ()
    period: tuple[datetime, datetime] | None = None
    # The chat's own zone (/timezone): every time and date shown to the chat is in it. None: the
    # chat chose none, and the transport's configured zone applies.
    zone: tzinfo | None = None

    def local_zone(self, default: tzinfo) -> tzinfo:
        """The zone this alert's times are shown in: the chat's, else ``default`` (the transport's)."""
        return self.zone if self.zone is not None else default

    def to_json(self, tz: tzinfo) -> str:
        """One JSON object; an update also carries ``"update": true`` (alerts keep their keys).
        Times in the chat's zone when it has one, else in ``tz``."""
        tz = self.local_zone(tz)
        return json.dumps(
            {
                "chat": self.chat,
                "topic": self.topic,
                "story_id": self.story_id,
                "headline": self.headline,
                "summary": self.summary,
                "url": self.url,
                "source": self.source,
                "published": self.published.astimezone(tz).isoformat(),
                "matched": list(self.matched),
                **({"update": True} if self.update else {}),
            },
            ensure_ascii=False,
        )

    def to_text(self, tz: tzinfo) -> str:
        """The readable form; the time in the chat's zone when it has one, else in ``tz``."""
        when = self.published.astimezone(self.local_zone(tz)).strftime("%Y-%m-%d %H:%M %Z")
        rule = "─" * 60
        return "\n".join(
            [
                rule,
                *([UPDATE_MARK] if self.update else []),
                f"[{self.topic}] {self.topic_name}  →  {self.chat}",
                f"◆ {self.headline}",
                "",
                self.summary,
                "",
                f"المصدر: {self.source} · {when}",
                f"الرابط: {self.url}",
                f"الكلمات المطابقة: {'، '.join(self.matched)}",
            ]
        )
