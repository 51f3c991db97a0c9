"""/search: the simplest honest search until the search index lands.

It looks for stored stories whose headline or summary contains every word given, newest first,
and says so in its title, so nobody mistakes it for full-text search over article bodies.
"""

from __future__ import annotations

from handlers.base import Caller, Reply, text
from handlers.format import day
from handlers.services import Services
from handlers.texts import t
from storage import stories as story_store

MAX_RESULTS = 10
MAX_WORDS = 8


def _stem(word: str) -> str:
    """Drop the article so الهجوم also finds هجوم; the rest is matched as typed."""
    return word[2:] if word.startswith("ال") and len(word) > 4 else word


async def search(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    words = [_stem(w) for w in args.split() if w][:MAX_WORDS]
    if not words:
        return text(t(lang, "search_usage"))
    hits = await services.db(lambda s: story_store.search_stories(s, words, MAX_RESULTS))
    if not hits:
        return text(t(lang, "search_none"))
    reply = Reply().line(t(lang, "search_title"), "italic").line()
    for hit in hits:
        reply.add(f"{day(hit.published_at, services.timezone)} · ").bold(hit.headline).add(f" · {hit.source} ")
        reply.link("↗", hit.url).line()
    return reply
