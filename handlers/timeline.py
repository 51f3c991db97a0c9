"""/timeline TOPIC [PERIOD]: a topic's stories in event order, grouped by month (by day for short
periods), with a button that sends the same timeline as a chart."""

from __future__ import annotations

from datetime import timedelta

from bot.timeline import PeriodError, groups, parse_period, render_png, when_label
from handlers import topicref
from handlers.base import Button, Caller, Reply, text
from handlers.format import in_chat_zone, slug_list
from handlers.services import Services
from handlers.texts import t
from storage import timeline as timeline_store
from storage import watchlists as watchlist_store

MAX_LINES = 40  # a Telegram message holds 4096 characters
CHART_CALLBACK = "tlc"


def _args(args: str) -> tuple[str, str]:
    parts = args.strip().split()
    return (parts[0].lower() if parts else ""), " ".join(parts[1:])  # a period may be two words: الشهر الماضي


async def _load(services: Services, caller: Caller, ref: str, period_text: str, volume: bool = False):
    """Only a watchlist this chat may see: its own, else the global one of that slug. With
    ``volume``, also its articles and outlets per day (for the chart)."""
    now = services.clock()
    period = parse_period(period_text, now, services.timezone)
    scope, slug = topicref.parse(ref)

    def load(s):
        if ref.startswith(topicref.ID_PREFIX) and ref[1:].isdigit():  # the chart button
            row = watchlist_store.get_by_id(s, int(ref[1:]))
            row = row if row is not None and (row.is_global or row.scope == caller.home) else None
        else:
            row = watchlist_store.lookup(s, slug, caller.home, scope) if slug else None
        slugs = watchlist_store.slugs_of(s, [caller.home])
        rows = timeline_store.topic_timeline(s, slug, period.start, period.end, watchlist_id=row.id) if row else []
        days = None
        if volume and rows:
            offset = now.astimezone(services.timezone).utcoffset() or timedelta(0)
            days = timeline_store.daily_volume(s, slug, period.start, period.end, watchlist_id=row.id,
                                               utc_offset=offset)
        return row, slugs, rows, days

    return (period, *await services.db(load))


async def timeline(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    services = await in_chat_zone(services, caller)  # periods, days and months in the chat's zone
    slug, period_text = _args(args)
    try:
        period, row, slugs, rows, _ = await _load(services, caller, slug, period_text)
    except PeriodError:
        return text(t(lang, "timeline_bad_period", value=period_text[:40]))
    if not slug:
        return text(t(lang, "timeline_usage", topics=slug_list(slugs)))
    if row is None:
        return text(t(lang, "unknown_topic", slug=topicref.parse(slug)[1], topics=slug_list(slugs)))
    if not rows:
        return text(t(lang, "timeline_none"))
    reply = Reply().add(t(lang, "timeline_title"), "italic").line(row.name, "bold")
    shown = 0
    for heading, members in groups(rows, period.short, services.timezone, lang):
        if shown >= MAX_LINES:
            break
        reply.line().line(heading, "bold")
        for r in members[: MAX_LINES - shown]:
            when = when_label(r, services.timezone, lang)
            reply.add(f"{when} · ").add(r.headline).add(f" · {t(lang, 'timeline_sources', n=r.sources)} ")
            reply.link("↗", r.url).line()
            shown += 1
    if shown < len(rows):
        reply.line().line(t(lang, "timeline_more", n=len(rows) - shown), "italic")
    data = f"{CHART_CALLBACK}:{topicref.ID_PREFIX}{row.id}:{period_text}"
    if len(data.encode("utf-8")) <= 64:
        reply.button_row(Button(t(lang, "btn_chart"), data))
    return reply


async def chart_button(services: Services, caller: Caller, data: str) -> Reply:
    """The chart of ``SLUG:PERIOD``, sent as a photo with a short caption."""
    lang = caller.language
    services = await in_chat_zone(services, caller)
    slug, _, period_text = data.partition(":")
    try:
        period, row, _, rows, days = await _load(services, caller, slug, period_text, volume=True)
    except PeriodError:
        return Reply(notice=t(lang, "button_expired"))
    if row is None or not rows:
        return Reply(notice=t(lang, "timeline_none"))
    png = render_png(rows, row.name, services.timezone, days, lang)
    return Reply(photo=png).add(t(lang, "chart_caption", name=row.name))
