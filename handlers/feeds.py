"""/feed add|remove|enable|list|status: owners choose the feeds raqib follows, from chat; chat
admins may list them and see their health (the registry says so; the router checks it).

Adding a feed checks its URL through the same fetch guards as every poll (a private address is
refused here, with the reason) and polls it once at once; that first fetch stores the feed's
current items without alerting, so following a feed does not flood the chat with old news.
"""

from __future__ import annotations

import logging

from handlers.base import Caller, Reply, text
from handlers.format import in_chat_zone, when
from handlers.services import Services
from handlers.texts import error_text, t
from storage import audit
from storage import feeds as feed_store

_MAX_URL = 2000
log = logging.getLogger(__name__)


async def feed(services: Services, caller: Caller, args: str) -> Reply:
    """``/feed SUB …`` through the router (tiers checked there), for callers holding only text."""
    from handlers.router import handle_command

    reply = await handle_command(services, caller, "feed", args)
    return reply if reply is not None else text(t(caller.language, "feed_usage"))


def _target(target: str) -> str | None:
    """One URL or feed name, or None for anything else (the usage is shown then)."""
    target = target.strip()
    return target if target and len(target) <= _MAX_URL and " " not in target else None


async def add(services: Services, caller: Caller, args: str) -> Reply:
    url = _target(args)
    return await _add(services, caller, url) if url else text(t(caller.language, "feed_usage"))


async def remove(services: Services, caller: Caller, args: str) -> Reply:
    key = _target(args)
    return await _remove(services, caller, key) if key else text(t(caller.language, "feed_usage"))


async def enable(services: Services, caller: Caller, args: str) -> Reply:
    key = _target(args)
    return await _enable(services, caller, key) if key else text(t(caller.language, "feed_usage"))


async def list_feeds(services: Services, caller: Caller, args: str = "") -> Reply:
    return await _list(services, caller.language) if not args.strip() else text(t(caller.language, "feed_usage"))


async def feed_status(services: Services, caller: Caller, args: str = "") -> Reply:
    services = await in_chat_zone(services, caller)  # times as this chat reads them (/timezone)
    return await _status(services, caller.language) if not args.strip() else text(t(caller.language, "feed_usage"))


async def _add(services: Services, caller: Caller, url: str) -> Reply:
    lang = caller.language
    if services.feeds is None:
        return text(t(lang, "feed_unavailable"))
    from bot.sources.fetch import FetchError

    try:
        row, created, report = await services.feeds.add(url, admin_chat=caller.chat)
    except FetchError as exc:
        log.info("/feed add %s refused: %s", url[:200], exc.reason)  # the details stay in the log
        return text(t(lang, "feed_refused", reason=error_text(lang, exc.reason)))
    if not created:
        return Reply().add(t(lang, "feed_exists")).code(row.url)
    await services.db(lambda s: audit.record(s, "feed", row.url, "add", caller.actor, caller.chat, services.clock(),
                                             after=row.name))
    if report is not None and report.error:
        return text(t(lang, "feed_first_failed", name=row.name, reason=error_text(lang, report.error)))
    return Reply().add(t(lang, "feed_added", name=row.name)).add(_fetched(lang, report)).line().add(
        t(lang, "feed_added_quiet"))


def _fetched(lang: str, report) -> str:
    """What the first fetch found, in words (the HTTP status line stays in the log and the CLI)."""
    if report is None:
        return ""
    if not report.parsed:
        return t(lang, "feed_not_modified")
    from bot.pipeline import NEW

    items, new = len(report.outcomes), report.count(NEW)
    return t(lang, "feed_added_report" if new else "feed_added_report_none", items=items, new=new)


async def _remove(services: Services, caller: Caller, key: str) -> Reply:
    row = await services.db(lambda s: audit.remove_feed(s, key, caller.actor, caller.chat, services.clock()))
    if row is None:
        return Reply().add(t(caller.language, "feed_unknown")).code(key)
    return Reply().add(t(caller.language, "feed_removed")).code(row.url)


async def _enable(services: Services, caller: Caller, key: str) -> Reply:
    row = await services.db(lambda s: audit.enable_feed(s, key, caller.actor, caller.chat, services.clock()))
    if row is None:
        return Reply().add(t(caller.language, "feed_unknown")).code(key)
    return Reply().add(t(caller.language, "feed_enabled")).code(row.url)


async def _list(services: Services, lang: str) -> Reply:
    rows = await services.db(feed_store.list_feeds)
    if not rows:
        return text(t(lang, "feed_none"))
    reply = Reply().line(t(lang, "feed_list_title"), "bold")
    for row in rows:
        reply.add("• ").add(t(lang, "feed_line", name=row.name, minutes=max(1, row.interval_s // 60)))
        reply.add(" ").code(row.url).line()
    return reply


async def _status(services: Services, lang: str) -> Reply:
    """Each feed's health: its last success, failures in a row, or why it was disabled/refused."""
    rows = await services.db(feed_store.list_feeds)
    if not rows:
        return text(t(lang, "feed_none"))
    tz = services.timezone
    reply = Reply().line(t(lang, "feed_status_title"), "bold")
    for row in rows:
        if row.disabled_reason:
            reason = error_text(lang, row.disabled_reason)
            reply.add(t(lang, "feed_disabled", name=row.name, reason=reason.rstrip("."), url=row.url))
        elif row.error_count:
            nxt = when(row.next_check_at, tz) if row.next_check_at else "-"
            reply.add(t(lang, "feed_failing", name=row.name, errors=row.error_count, when=nxt))
            reply.add(" — ").add(error_text(lang, row.last_error))
        elif row.last_success_at:
            reply.add(t(lang, "feed_ok", name=row.name, when=when(row.last_success_at, tz)))
            if row.last_status and lang == "en":  # the HTTP status line is English: not in Arabic replies
                reply.add(" — ").code(row.last_status[:200])
        else:
            reply.add(t(lang, "feed_never", name=row.name))
        reply.line()
    return reply
