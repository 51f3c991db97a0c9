"""/search: the archive, Arabic-aware (bot/search.py), five stories a page with next/previous.

Telegram limits button data to 64 bytes, too little for an Arabic query, so a page button carries
a short key of the query, remembered here; after a restart the button says it has expired.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict

from bot.search import PAGE_SIZE, Page, QueryError, parse_query
from bot.search import search as run_search
from handlers import topicref
from handlers.base import Button, Caller, Reply, text
from handlers.format import day, in_chat_zone, slug_list
from handlers.services import Services
from handlers.texts import t
from storage import watchlists as watchlist_store

_QUERIES: "OrderedDict[str, str]" = OrderedDict()
_MAX_REMEMBERED = 2000
CALLBACK = "srch"


def _remember(query: str) -> str:
    key = hashlib.sha1(query.encode("utf-8")).hexdigest()[:12]
    _QUERIES[key] = query
    _QUERIES.move_to_end(key)
    while len(_QUERIES) > _MAX_REMEMBERED:
        _QUERIES.popitem(last=False)
    return key


async def search(services: Services, caller: Caller, args: str) -> Reply:
    return await _page(services, caller, args, 0, edit=False)


async def page_button(services: Services, caller: Caller, data: str) -> Reply:
    """``data`` is ``KEY:PAGE`` from a next/previous button."""
    key, _, number = data.partition(":")
    query = _QUERIES.get(key)
    if query is None or not number.isdigit():
        return Reply(notice=t(caller.language, "button_expired"))
    return await _page(services, caller, query, int(number), edit=True)


async def _page(services: Services, caller: Caller, args: str, number: int, edit: bool) -> Reply:
    lang = caller.language
    services = await in_chat_zone(services, caller)  # dates typed and shown in the chat's zone
    try:
        query = parse_query(args, services.timezone)
    except QueryError as exc:
        return text(t(lang, exc.key, **exc.values))
    if query.filters.topic is not None:
        # topic: means what it means in this chat: its own watchlist, else the global one; another
        # chat's watchlist is not there at all.
        scope, slug = topicref.parse(query.filters.topic)
        row = await services.db(lambda s: watchlist_store.lookup(s, slug, caller.home, scope))
        if row is None:
            topics = await services.db(lambda s: watchlist_store.slugs_of(s, [caller.home]))
            return text(t(lang, "unknown_topic", slug=slug, topics=slug_list(topics)))
        query = dataclasses.replace(query, filters=dataclasses.replace(query.filters, topic_id=row.id))
    result = await services.db(lambda s: run_search(s, query, number, services.clock()))
    if not result.results:
        reply = text(t(lang, "search_none"))
        reply.edit = edit
        return reply
    reply = _render(result, services, lang)
    reply.edit = edit
    key = _remember(query.text)
    buttons = []
    if result.page > 0:
        buttons.append(Button(t(lang, "btn_prev"), f"{CALLBACK}:{key}:{result.page - 1}"))
    if result.page + 1 < result.pages:
        buttons.append(Button(t(lang, "btn_next"), f"{CALLBACK}:{key}:{result.page + 1}"))
    return reply.button_row(*buttons)


def _render(result: Page, services: Services, lang: str) -> Reply:
    more = "+" if result.capped else ""
    reply = Reply().line(
        t(lang, "search_title", total=result.total, more=more, page=result.page + 1, pages=result.pages), "italic"
    )
    for n, hit in enumerate(result.results, start=result.page * PAGE_SIZE + 1):
        reply.line()
        reply.add(f"{n}. ").bold(hit.headline).line()
        reply.add(f"{day(hit.published, services.timezone)} · {hit.source} · ").link("↗", hit.url).line()
        for piece, matched in hit.snippet:
            reply.add(piece, "bold" if matched else "plain")
        reply.line()
    return reply
