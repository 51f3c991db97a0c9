"""Shared pieces of replies: times in the configured zone, topic lists, and the alert itself."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.alerts import Alert
from handlers.base import Reply
from handlers.texts import t


def when(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def day(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d")


def topic_tag(slug: str) -> str:
    """A hashtag the chat apps make clickable: letters, digits and underscores only."""
    return "#" + slug.replace("-", "_")


def slug_list(slugs: list[str]) -> str:
    return "، ".join(slugs) if slugs else "-"


def alert_reply(alert: Alert, tz: tzinfo) -> Reply:
    """Topic tag, bold headline, the summary, source and time, link; labels in the chat's language."""
    lang = alert.language
    reply = Reply()
    reply.add(f"{topic_tag(alert.topic)} · {alert.topic_name}", "italic").add("\n")
    reply.bold(alert.headline).add("\n\n")
    reply.add(alert.summary).add("\n\n")
    reply.add(f"{t(lang, 'alert_source')}: {alert.source} · {when(alert.published, tz)}").add("\n")
    reply.link(t(lang, "alert_link"), alert.url)
    return reply


_SENTENCE_END = ".!?؟…\n"


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut after the last whole sentence that fits (else at a word),
    with an ellipsis: every platform has a length limit, none should cut mid-sentence."""
    if len(text) <= limit:
        return text
    room = max(0, limit - 1)
    head = text[:room]
    cut = max(head.rfind(ch) for ch in _SENTENCE_END)
    if cut >= room // 3:
        return head[: cut + 1].rstrip() + "…"
    space = head.rfind(" ")
    return (head[:space] if space > 0 else head).rstrip() + "…"
