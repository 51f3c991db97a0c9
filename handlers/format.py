"""Shared pieces of replies: times in the chat's zone, topic lists, and the alert itself.

A chat that set its zone (/timezone) reads every time in it: alerts, digests and the archive
(``Alert.zone``, filled by the delivery core) and the replies to its commands (``chat_zone``).
The configured zone (``Services.timezone``, a transport's ``tz``) is for chats that chose none."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.delivery.alerts import ARCHIVE, DIGEST, REPORT, UPDATE, UPDATE_MARK, Alert, AlertItem
from handlers.base import Button, Reply
from handlers.texts import counted, t

if TYPE_CHECKING:
    from handlers.base import Caller
    from handlers.services import Services


def zone_named(name: str | None, default: tzinfo) -> tzinfo:
    """The zone of an IANA name a chat chose; ``default`` (the configured zone) when it chose
    none or the name is no longer known to this system."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return default
    return default


async def chat_zone(services: "Services", caller: "Caller") -> tzinfo:
    """The zone the caller's chat reads times in (/timezone), else the configured one: for
    replies that state times (a mute's end, /status, search and timeline dates)."""
    from storage import chat_settings  # storage stays out of this module's import-time graph

    settings = await services.db(lambda s: chat_settings.get(s, caller.chat))
    return zone_named(settings.timezone, services.timezone)


async def in_chat_zone(services: "Services", caller: "Caller") -> "Services":
    """``services`` with ``timezone`` set to the chat's zone: for a handler whose every time,
    read (a period typed) or shown (dates, headings), is the chat's. The rest is shared."""
    import dataclasses

    zone = await chat_zone(services, caller)
    return services if zone is services.timezone else dataclasses.replace(services, timezone=zone)


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


ALSO_MAX = 12  # outlets named in «نشرته أيضًا»; the rest are counted by the meta line


def is_update(alert: Alert) -> bool:
    return alert.update or alert.kind == UPDATE


def mark(alert: Alert) -> str | None:
    """The first word of an update («تحديث») or of another outlet's report (every-report mode)."""
    if is_update(alert):
        return UPDATE_MARK
    if alert.kind == REPORT:
        return t(alert.language, "report_mark")
    return None


def also_names(alert: Alert) -> str:
    """«A، B، C» of the outlets that joined the story (at most ALSO_MAX, then «…»); empty when none.
    The names are untrusted text: each platform's renderer escapes them like every span."""
    names = [n.strip() for n in dict.fromkeys(alert.also) if n and n.strip() and n.strip() != alert.source]
    if not names:
        return ""
    shown = "، ".join(names[:ALSO_MAX])
    return shown + ("، …" if len(names) > ALSO_MAX else "")


def alert_reply(alert: Alert, tz: tzinfo) -> Reply:
    """The topic tag; the headline as the link to the article; one meta line (source · time ·
    how many outlets carry it); «نشرته أيضًا: A، B، C» once other outlets joined (an EDIT re-draws
    the alert with it); the summary. Why it matched is behind the «لماذا؟» button, not listed.
    An update starts with «تحديث», another outlet's report with its own mark. Labels are in the
    chat's language. DIGEST and ARCHIVE are lists: ``list_replies``."""
    lang, tz = alert.language, alert.local_zone(tz)
    reply = Reply()
    first = mark(alert)
    if first is not None:  # a later report of a story this chat already had
        reply.bold(first).add("\n")
    reply.add(f"{topic_tag(alert.topic)} · {alert.topic_name}", "italic").add("\n")
    reply.link(alert.headline.strip() or "—", alert.url).add("\n")
    reply.bold(alert.source).add(f" · {when(alert.published, tz)}")
    if alert.source_count > 1:
        reply.add(f" · {t(lang, 'alert_sources', n=alert.source_count)}")
    names = also_names(alert)
    if names:
        reply.add("\n").italic(f"{t(lang, 'alert_also')}: ").add(names)
    reply.add("\n\n").add(alert.summary)
    return alert_buttons(reply, alert)


# --- digests and the archive: one message listing stories, split at the platform's limit ----------


def period_zone(alert: Alert, tz: tzinfo) -> tzinfo:
    """The chat's zone for a list's times and dates: ``Alert.zone``; else the zone the delivery
    core built ``period`` in (a ZoneInfo); datetimes that carry only UTC fall back to the
    transport's configured zone."""
    if alert.zone is not None:
        return alert.zone
    if alert.period is not None and isinstance(alert.period[0].tzinfo, ZoneInfo):
        return alert.period[0].tzinfo
    return tz


def list_title(alert: Alert, tz: tzinfo) -> str:
    """«من الأرشيف», or the digest's period in the chat's zone: an hour, a day, or a span."""
    lang = alert.language
    if alert.kind == ARCHIVE:
        return t(lang, "archive_title")
    zone = period_zone(alert, tz)
    if alert.period is not None:
        start, end = (moment.astimezone(zone) for moment in alert.period)
    else:  # no period given: the span of the stories listed
        moments = [item.published for item in alert.items] or [alert.published]
        start, end = min(moments).astimezone(zone), max(moments).astimezone(zone)
    length = end - start
    if alert.period is not None and length <= timedelta(hours=1):
        return t(lang, "digest_hourly", start=start.strftime("%H:%M"), end=end.strftime("%H:%M"),
                 day=start.strftime("%Y-%m-%d"))
    if alert.period is not None and length <= timedelta(hours=25) and start.time() == end.time():  # DST: 23–25 h
        return t(lang, "digest_daily", day=start.strftime("%Y-%m-%d"))  # a day, from digest_at to digest_at
    return t(lang, "digest_span", start=start.strftime("%Y-%m-%d %H:%M"), end=end.strftime("%Y-%m-%d %H:%M"))


def list_header(alert: Alert, tz: tzinfo, continued: bool = False) -> Reply:
    """The list's first lines: title (bold), then the topic and how many stories (Arabic number
    agreement); a continuation message repeats the title marked «(تابع)»."""
    lang = alert.language
    reply = Reply().bold(list_title(alert, tz))
    if continued:
        return reply.add(f" {t(lang, 'list_continued')}")
    topics = {item.topic for item in alert.items if item.topic} or {alert.topic}
    tag = f"{topic_tag(alert.topic)} · {alert.topic_name} · " if len(topics) == 1 and alert.topic else ""
    return reply.add("\n").italic(f"{tag}{counted(lang, len(alert.items), 'story')}")


def list_item(alert: Alert, item: AlertItem, tz: tzinfo) -> Reply:
    """One story of a list. Digest: the linked headline, one summary sentence, time and source
    count. Archive: the linked headline with its date."""
    lang = alert.language
    reply = Reply().add("• ").link(item.headline.strip() or "—", item.url)
    if alert.kind == ARCHIVE:
        return reply.add(f" · {day(item.published, period_zone(alert, tz))}")
    if item.summary.strip():
        reply.add("\n").add(item.summary.strip())
    moment = item.published.astimezone(period_zone(alert, tz)).strftime("%H:%M")
    if alert.period is not None and alert.period[1] - alert.period[0] > timedelta(days=1):
        moment = day(item.published, period_zone(alert, tz)) + " " + moment
    tag = f" · {topic_tag(item.topic)}" if item.topic and item.topic != alert.topic else ""
    return reply.add("\n").italic(f"{moment} · {t(lang, 'alert_sources', n=item.source_count)}{tag}")


def _join(head: Reply, tail: Reply, separator: str = "\n\n") -> Reply:
    return Reply(spans=[*head.spans, *Reply().add(separator).spans, *tail.spans])


def list_replies(alert: Alert, tz: tzinfo, fits: Callable[[Reply], bool]) -> list[Reply]:
    """A DIGEST or ARCHIVE as messages that each ``fits`` the platform (its renderer's length
    limit), items never cut between two messages: as many whole items as fit follow the header;
    the next message starts with the header marked «(تابع)». A single item too long for any
    message goes alone (the renderer then shortens its longest text)."""
    messages: list[Reply] = []
    current, count = list_header(alert, tz), 0
    between = "\n\n" if alert.kind == DIGEST else "\n"  # an archive is a list of dated headlines
    for item in alert.items:
        piece = list_item(alert, item, tz)
        candidate = _join(current, piece, between if count else "\n\n")
        if count and not fits(candidate):
            messages.append(current)
            current, count = _join(list_header(alert, tz, continued=True), piece), 1
        else:
            current, count = candidate, count + 1
    messages.append(current)
    return messages


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
