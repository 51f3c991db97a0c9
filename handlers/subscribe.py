"""/topics, /subscribe, /unsubscribe, /mysubs and their buttons.

A new subscription gets the topic's latest ``services.backlog`` stories through the outbox, in the
same transaction as the subscription, then only new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from handlers.base import Button, Caller, Reply, text
from handlers.format import slug_list
from handlers.services import Services
from handlers.texts import t
from storage import chats as chat_store
from storage import outbox
from storage import stories as story_store
from storage import watchlists as watchlist_store


@dataclass(frozen=True)
class _Outcome:
    known: bool
    changed: bool = False
    name: str = ""
    queued: int = 0
    topics: tuple[str, ...] = ()


def _slugs(session: Session) -> tuple[str, ...]:
    return tuple(r.slug for r in watchlist_store.active_watchlists(session))


def _topic_arg(args: str) -> str:
    return args.strip().split()[0].lower() if args.strip() else ""


async def topics(services: Services, caller: Caller, _args: str = "") -> Reply:
    return await _topic_board(services, caller)


async def _topic_board(services: Services, caller: Caller) -> Reply:
    """Each topic with a button that subscribes, or unsubscribes when already subscribed."""
    lang = caller.language

    def load(s: Session):
        subscribed = {r.topic for r in chat_store.list_subscriptions(s, caller.chat)}
        return watchlist_store.active_watchlists(s), subscribed

    rows, subscribed = await services.db(load)
    reply = Reply().line(t(lang, "topics_title"), "bold")
    if not rows:
        return reply.add(t(lang, "no_topics"))
    for row in rows:
        mark = "✓ " if row.slug in subscribed else "• "
        reply.add(mark).add(row.slug, "code").line(f" — {row.name}")
        if row.slug in subscribed:
            reply.button_row(Button(t(lang, "btn_unsubscribe", name=row.name), f"unsub:{row.slug}"))
        else:
            reply.button_row(Button(t(lang, "btn_subscribe", name=row.name), f"sub:{row.slug}"))
    return reply


async def subscribe(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    slug = _topic_arg(args)
    if not slug:
        return text(t(lang, "subscribe_usage", topics=slug_list(list(await services.db(_slugs)))))
    if not await caller.may_manage_chat():
        return text(t(lang, "group_admins_only"))
    outcome = await services.db(lambda s: _subscribe(s, services, caller, slug))
    if not outcome.known:
        return text(t(lang, "unknown_topic", slug=slug, topics=slug_list(list(outcome.topics))))
    reply = Reply().add(t(lang, "subscribed" if outcome.changed else "already_subscribed")).bold(outcome.name)
    if outcome.changed and caller.thread_id and caller.is_group:
        reply.add("\n").add(t(lang, "thread_note"))
    if outcome.queued:
        reply.add("\n").add(t(lang, "backlog_note", n=outcome.queued))
    return reply


def _subscribe(s: Session, services: Services, caller: Caller, slug: str) -> _Outcome:
    row = watchlist_store.get_watchlist(s, slug)
    if row is None:
        return _Outcome(False, topics=_slugs(s))
    now = services.clock()
    chat = chat_store.touch_chat(s, caller.chat, now, caller.language, caller.chat_title)
    thread = caller.thread_id if caller.is_group else None
    if not chat_store.subscribe(s, caller.chat, row.id, now, thread):
        return _Outcome(True, False, row.name)
    queued = 0
    for story_id in story_store.latest_story_ids(s, row.id, services.backlog):
        queued += outbox.enqueue(s, story_id, [(chat.id, row.id, thread)], now)
    return _Outcome(True, True, row.name, queued)


async def unsubscribe(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    slug = _topic_arg(args)
    if not slug:
        return text(t(lang, "unsubscribe_usage"))
    if not await caller.may_manage_chat():
        return text(t(lang, "group_admins_only"))

    def work(s: Session) -> _Outcome:
        row = watchlist_store.get_watchlist(s, slug)
        if row is None:
            return _Outcome(False, topics=_slugs(s))
        return _Outcome(True, chat_store.unsubscribe(s, caller.chat, row.id), row.name)

    outcome = await services.db(work)
    if not outcome.known:
        return text(t(lang, "unknown_topic", slug=slug, topics=slug_list(list(outcome.topics))))
    return Reply().add(t(lang, "unsubscribed" if outcome.changed else "not_subscribed")).bold(outcome.name)


async def mysubs(services: Services, caller: Caller, _args: str = "") -> Reply:
    lang = caller.language

    def load(s: Session):
        names = {r.slug: r.name for r in watchlist_store.active_watchlists(s)}
        return [(r.topic, names.get(r.topic, r.topic)) for r in chat_store.list_subscriptions(s, caller.chat)]

    subs = await services.db(load)
    if not subs:
        return text(t(lang, "mysubs_none"))
    reply = Reply().line(t(lang, "mysubs_title"), "bold")
    for slug, name in subs:
        reply.add("• ").add(slug, "code").line(f" — {name}")
        reply.button_row(Button(t(lang, "btn_unsubscribe", name=name), f"unsub:{slug}"))
    return reply


async def button(services: Services, caller: Caller, action: str, slug: str) -> Reply:
    """A subscribe/unsubscribe button: act, then redraw the topic board in place."""
    result = await (subscribe if action == "sub" else unsubscribe)(services, caller, slug)
    if not await caller.may_manage_chat():
        return Reply(notice=result.plain())  # a refusal is a toast, not a new message
    board = await _topic_board(services, caller)
    board.edit, board.notice = True, result.plain()
    return board
