"""The platform-neutral alert a transport renders, and its two console forms."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo

# The first word of an update's alert: a later report of a story the chat was already alerted to.
UPDATE_MARK = "تحديث"


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

    def to_json(self, tz: tzinfo) -> str:
        """One JSON object; an update also carries ``"update": true`` (alerts keep their keys)."""
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
        when = self.published.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
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
