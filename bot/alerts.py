"""The platform-neutral alert a transport renders, and its two console forms."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo


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

    def to_json(self, tz: tzinfo) -> str:
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
            },
            ensure_ascii=False,
        )

    def to_text(self, tz: tzinfo) -> str:
        when = self.published.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
        rule = "─" * 60
        return "\n".join(
            [
                rule,
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
