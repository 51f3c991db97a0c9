"""/topics, /subscribe, /unsubscribe, /mysubs and their buttons.

A chat sees, and may subscribe to, the global watchlists and its own (its server's, on Discord);
where both have a slug, its own is meant and the board shows both with their scope. Who may change
a chat's subscriptions (its admins; in a private chat its user) is the router's check.

A new subscription gets the topic's latest ``services.backlog`` stories through the outbox, in the
same transaction as the subscription, then only new ones.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from handlers import topicref
from handlers.base import Button, Caller, Reply, text
from handlers.format import slug_list, until_text
from handlers.registry import Tier
from handlers.services import Services
from handlers.texts import t
from storage import chat_settings, chat_topics, mutes
from storage import watchlists as watchlist_store
from storage.watchlists import WatchlistRow


def _slugs(caller: Caller):
    return lambda s: watchlist_store.slugs_of(s, [caller.home])


def find_topic(s: Session, caller: Caller, ref: str) -> WatchlistRow | None:
    """A watchlist this chat may see: ``#ID`` (buttons), ``slug``, ``global:slug``."""
    if ref.startswith(topicref.ID_PREFIX) and ref[1:].isdigit():
        row = watchlist_store.get_by_id(s, int(ref[1:]))
        return row if row is not None and (row.is_global or row.scope == caller.home) else None
    scope, slug = topicref.parse(ref)
    return watchlist_store.lookup(s, slug, caller.home, scope)


_find = find_topic


def _title(lang: str, row: WatchlistRow, caller: Caller, repeated: bool) -> str:
    return f"{row.name} ({topicref.scope_label(lang, row, caller)})" if repeated else row.name


async def topics(services: Services, caller: Caller, _args: str = "") -> Reply:
    return await _topic_board(services, caller)


async def _topic_board(services: Services, caller: Caller) -> Reply:
    """Each topic this chat may see; for those who may change its subscriptions, a button that
    subscribes, or unsubscribes when already subscribed."""
    lang = caller.language
    rows, subscribed = await services.db(lambda s: chat_topics.board(s, caller.chat, caller.home))
    reply = Reply().line(t(lang, "topics_title"), "bold")
    if not rows:
        return reply.add(t(lang, "no_topics"))
    repeated = Counter(r.slug for r in rows)
    buttons = caller.tier >= Tier.ADMIN
    for row in rows:
        mine = row.id in subscribed
        shown = row.slug if repeated[row.slug] == 1 or not row.is_global else topicref.qualified(row, caller)
        reply.add("✓ " if mine else "• ").add(shown, "code")
        reply.line(f" — {_title(lang, row, caller, repeated[row.slug] > 1 or not row.is_global)}")
        if buttons:
            data = f"{'unsub' if mine else 'sub'}:{topicref.ID_PREFIX}{row.id}"
            label = t(lang, "btn_unsubscribe" if mine else "btn_subscribe", name=row.name)
            reply.button_row(Button(label, data))
    return reply


async def subscribe(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    ref = args.strip().split()[0] if args.strip() else ""
    if not ref:
        return text(t(lang, "subscribe_usage", topics=slug_list(await services.db(_slugs(caller)))))

    def work(s: Session):
        row = _find(s, caller, ref)
        if row is None:
            return None, None, watchlist_store.slugs_of(s, [caller.home])
        thread = caller.thread_id if caller.is_group else None
        outcome = chat_topics.subscribe(
            s, caller.chat, row, thread=thread, language=caller.language, title=caller.chat_title,
            actor=caller.actor, now=services.clock(), backlog=services.backlog)
        return row, outcome, watchlist_store.shadowed(s, row.slug, caller.home)

    row, outcome, extra = await services.db(work)
    if row is None:
        return text(t(lang, "unknown_topic", slug=topicref.parse(ref)[1], topics=slug_list(extra)))
    reply = Reply().add(t(lang, "subscribed" if outcome.changed else "already_subscribed"))
    reply.bold(_title(lang, row, caller, bool(extra)))
    if outcome.changed and caller.thread_id and caller.is_group:
        reply.add("\n").add(t(lang, "thread_note"))
    if outcome.queued:
        reply.add("\n").add(t(lang, "backlog_note", n=outcome.queued))
    return reply


async def unsubscribe(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    ref = args.strip().split()[0] if args.strip() else ""
    if not ref:
        return text(t(lang, "unsubscribe_usage"))

    def work(s: Session):
        row = _find(s, caller, ref)
        if row is None:
            return None, False, watchlist_store.slugs_of(s, [caller.home])
        changed = chat_topics.unsubscribe(s, caller.chat, row, actor=caller.actor, now=services.clock())
        return row, changed, watchlist_store.shadowed(s, row.slug, caller.home)

    row, changed, extra = await services.db(work)
    if row is None:
        return text(t(lang, "unknown_topic", slug=topicref.parse(ref)[1], topics=slug_list(extra)))
    reply = Reply().add(t(lang, "unsubscribed" if changed else "not_subscribed"))
    return reply.bold(_title(lang, row, caller, bool(extra)))


async def mysubs(services: Services, caller: Caller, _args: str = "") -> Reply:
    """Each subscription with how it arrives (instant, hourly, daily at HH:MM), which reports
    alert, and what is muted until when; the chat's quiet hours and zone below them. Times are
    the chat's own (/timezone)."""
    from handlers import settings as settings_cmd  # local: settings finds topics through this module

    lang = caller.language
    now = services.clock()

    def load(s: Session):
        return (chat_topics.subscriptions(s, caller.chat), mutes.muted_until(s, caller.chat, now),
                chat_settings.subscriptions(s, caller.chat), chat_settings.get(s, caller.chat))

    rows, muted, delivery, chat = await services.db(load)
    if not rows:
        return text(t(lang, "mysubs_none"))
    zone = settings_cmd.zone_of(chat, services.timezone)
    repeated = Counter(r.slug for r in rows)
    reply = Reply().line(t(lang, "mysubs_title"), "bold")
    for row in rows:
        reply.add("• ").add(row.slug, "code").line(f" — {_title(lang, row, caller, repeated[row.slug] > 1)}")
        how = delivery.get(row.id, chat_settings.SubscriptionSettings(row.id))
        reply.add("   ").add(settings_cmd.mode_text(lang, how))
        reply.add(" · ").add(settings_cmd.reports_text(lang, how.reports))
        if row.id in muted:  # the alert's mute button (issue 12)
            reply.add(" · ").italic(t(lang, "mysubs_muted", until=until_text(muted[row.id], now, zone)))
        reply.line()
        if caller.tier >= Tier.ADMIN:
            reply.button_row(Button(t(lang, "btn_unsubscribe", name=row.name), f"unsub:{topicref.ID_PREFIX}{row.id}"))
    reply.line("—")
    reply.add(t(lang, "settings_quiet")).add(settings_cmd.quiet_text(lang, chat)).add(" · ")
    reply.add(t(lang, "settings_zone")).add(settings_cmd.zone_label(zone, now))
    if caller.tier >= Tier.ADMIN:
        reply.add("\n").italic(t(lang, "mysubs_hint"))
    return reply


async def button(services: Services, caller: Caller, action: str, ref: str) -> Reply:
    """A subscribe/unsubscribe button (the router checked the tier): act, then redraw the board."""
    result = await (subscribe if action == "sub" else unsubscribe)(services, caller, ref)
    board = await _topic_board(services, caller)
    board.edit, board.notice = True, result.plain()
    return board


async def sub_button(services: Services, caller: Caller, ref: str) -> Reply:
    return await button(services, caller, "sub", ref)


async def unsub_button(services: Services, caller: Caller, ref: str) -> Reply:
    return await button(services, caller, "unsub", ref)


async def topic_choices(services: Services, caller: Caller, current: str, limit: int = 25) -> list[tuple[str, str]]:
    """(label, value) of the watchlists this chat may see whose slug or name contains ``current``,
    for a platform's autocomplete: the value names exactly that watchlist from this chat."""
    rows = await services.db(lambda s: watchlist_store.active_watchlists(s, [caller.home]))
    needle = current.strip().lower()
    repeated = Counter(r.slug for r in rows)
    out = []
    for row in rows:
        if needle and needle not in row.slug and needle not in row.name.lower():
            continue
        value = row.slug if repeated[row.slug] == 1 or not row.is_global else topicref.qualified(row, caller)
        label = f"{row.slug} — {_title(caller.language, row, caller, repeated[row.slug] > 1 or not row.is_global)}"
        out.append((label, value))
    return out[:limit]
