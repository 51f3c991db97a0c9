"""Shared pieces of replies: times in the configured zone, topic lists, and the alert itself."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.alerts import UPDATE_MARK, Alert
from handlers.base import Button, Reply
from handlers.texts import t


def when(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def day(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d")


def until_text(moment: datetime, now: datetime, tz: tzinfo) -> str:
    """When a mute ends: HH:MM in the zone, with the date when that is not today."""
    local, today = moment.astimezone(tz), now.astimezone(tz)
    return local.strftime("%H:%M" if local.date() == today.date() else "%Y-%m-%d %H:%M")


def topic_tag(slug: str) -> str:
    """A hashtag the chat apps make clickable: letters, digits and underscores only."""
    return "#" + slug.replace("-", "_")


def slug_list(slugs: list[str]) -> str:
    return "، ".join(slugs) if slugs else "-"


# Callback prefixes of the alert's buttons (handlers/alert_buttons.py answers them).
WHY, RELATED, MUTE, UNSUBSCRIBE = "why", "rel", "mute", "aunsub"
MUTE_SPANS = {"h": 3600, "d": 86400}  # the mute buttons' lengths, in seconds


def alert_reply(alert: Alert, tz: tzinfo) -> Reply:
    """The topic tag; the headline as the link to the article; one meta line (source · time ·
    how many outlets carry it); the summary. Why it matched is behind the «لماذا؟» button, not
    listed. An update starts with «تحديث». Labels are in the chat's language."""
    lang = alert.language
    reply = Reply()
    if alert.update:  # a later report of a story this chat already had
        reply.bold(UPDATE_MARK).add("\n")
    reply.add(f"{topic_tag(alert.topic)} · {alert.topic_name}", "italic").add("\n")
    reply.link(alert.headline.strip() or "—", alert.url).add("\n")
    reply.bold(alert.source).add(f" · {when(alert.published, tz)}")
    if alert.source_count > 1:
        reply.add(f" · {t(lang, 'alert_sources', n=alert.source_count)}")
    reply.add("\n\n").add(alert.summary)
    return alert_buttons(reply, alert)


def alert_buttons(reply: Reply, alert: Alert) -> Reply:
    """Why / related, mute 1 h / 1 day, unsubscribe: only for an alert of a known subscription
    (the console and the CLI have no buttons). Every datum is a few ASCII digits: far below
    Telegram's 64-byte limit."""
    if alert.watchlist_id is None:
        return reply
    lang, wid = alert.language, alert.watchlist_id
    reply.button_row(Button(t(lang, "btn_why"), f"{WHY}:{alert.story_id}.{wid}"),
                     Button(t(lang, "btn_related"), f"{RELATED}:{alert.story_id}.{wid}"))
    reply.button_row(*(Button(t(lang, f"btn_mute_{name}"), f"{MUTE}:{wid}.{span}")
                       for name, span in (("hour", "h"), ("day", "d"))))
    reply.button_row(Button(t(lang, "btn_alert_unsubscribe"), f"{UNSUBSCRIBE}:{wid}"))
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
