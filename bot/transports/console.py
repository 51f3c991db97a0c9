"""Console transport: alerts printed as readable text or as JSON lines, for the demo and tests.

Besides the alert itself it shows what a chat app would do with it: the delivery's kind, whether
it would ring (silent), which message it replies to and which one an edit re-draws; a digest or
an archive is printed as the chat's list, from the same renderer as Telegram and Discord."""

from __future__ import annotations

import itertools
import json
import sys
from datetime import tzinfo
from typing import TextIO

from bot.delivery.alerts import ALERT, ARCHIVE, DIGEST, Alert
from handlers.base import Reply
from handlers.format import also_names, list_replies
from handlers.texts import t


def plain_with_links(reply: Reply) -> str:
    """The visible text, each link followed by its address (a console has no links)."""
    return "".join(f"{s.text} ‹{s.url}›" if s.style == "link" and s.url else s.text for s in reply.spans)


def delivery_meta(alert: Alert) -> str:
    """«kind: update · silent · reply-to: 17 · edit-of: 12»: only what is set, the kind always."""
    parts = [f"kind: {alert.kind}"]
    if alert.silent:
        parts.append("silent")
    if alert.reply_to:
        parts.append(f"reply-to: {alert.reply_to}")
    if alert.edit_of:
        parts.append(f"edit-of: {alert.edit_of}")
    return " · ".join(parts)


def render_text(alert: Alert, tz: tzinfo) -> str:
    rule = "─" * 60
    if alert.kind in (DIGEST, ARCHIVE):
        body = "\n\n".join(plain_with_links(r) for r in list_replies(alert, tz, lambda _: True))
        return "\n".join([rule, delivery_meta(alert), f"[{alert.topic}] {alert.topic_name}  →  {alert.chat}", body])
    lines = alert.to_text(tz).split("\n")
    if alert.kind != ALERT or alert.silent or alert.reply_to or alert.edit_of:
        lines.insert(1, delivery_meta(alert))
    names = also_names(alert)
    if names:
        at = next((i for i, line in enumerate(lines) if line.startswith("الرابط:")), len(lines))
        lines.insert(at, f"{t(alert.language, 'alert_also')}: {names}")
    return "\n".join(lines)


def render_json(alert: Alert, tz: tzinfo) -> str:
    """The alert's JSON object (its keys unchanged) with the delivery's where set: kind (when not a
    plain alert), silent, reply_to, edit_of, also, and for a list its items and period. A plain alert's
    object keeps exactly its keys, so a consumer of the JSON lines sees no change for it."""
    data = json.loads(alert.to_json(tz))
    tz = alert.local_zone(tz)  # the chat's zone when it chose one (to_json did the same)
    extra = {"kind": alert.kind if alert.kind != ALERT else None, "silent": alert.silent or None,
             "reply_to": alert.reply_to, "edit_of": alert.edit_of, "also": list(alert.also) or None}
    data.update({key: value for key, value in extra.items() if value is not None})
    if alert.kind in (DIGEST, ARCHIVE):
        data["items"] = [{"story_id": i.story_id, "headline": i.headline, "url": i.url, "topic": i.topic,
                          "published": i.published.astimezone(tz).isoformat(), "summary": i.summary,
                          "source_count": i.source_count} for i in alert.items]
        data["period"] = [p.astimezone(tz).isoformat() for p in alert.period] if alert.period else None
    return json.dumps(data, ensure_ascii=False)


class ConsoleTransport:
    platform = "console"
    concurrency = 1  # keeps the printed order equal to the outbox order

    def __init__(self, tz: tzinfo, fmt: str = "text", stream: TextIO | None = None) -> None:
        self._tz = tz
        self._fmt = fmt
        self._stream = stream
        self._ids = itertools.count(1)

    def _write(self, alert: Alert) -> None:
        stream = self._stream or sys.stdout
        stream.write((render_json(alert, self._tz) if self._fmt == "jsonl" else render_text(alert, self._tz)) + "\n")
        stream.flush()

    async def send(self, alert: Alert) -> str:
        self._write(alert)
        return f"console-{next(self._ids)}"

    async def edit(self, alert: Alert) -> str:
        """A console cannot change what it printed: the re-drawn alert is printed again, marked
        «edit-of», and keeps its message id."""
        self._write(alert)
        return alert.edit_of or f"console-{next(self._ids)}"
