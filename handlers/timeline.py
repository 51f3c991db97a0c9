"""/timeline: a topic's latest stored stories, oldest first, until the timeline service lands."""

from __future__ import annotations

from handlers.base import Caller, Reply, text
from handlers.format import day, slug_list
from handlers.services import Services
from handlers.texts import t
from storage import stories as story_store
from storage import watchlists as watchlist_store

MAX_STORIES = 15


async def timeline(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    slug = args.strip().split()[0].lower() if args.strip() else ""

    def load(s):
        row = watchlist_store.get_watchlist(s, slug) if slug else None
        slugs = [r.slug for r in watchlist_store.active_watchlists(s)]
        return row, slugs, (story_store.topic_stories(s, slug, MAX_STORIES) if row else [])

    row, slugs, stories = await services.db(load)
    if not slug:
        return text(t(lang, "timeline_usage", topics=slug_list(slugs)))
    if row is None:
        return text(t(lang, "unknown_topic", slug=slug, topics=slug_list(slugs)))
    if not stories:
        return text(t(lang, "timeline_none"))
    reply = Reply().add(t(lang, "timeline_title"), "italic").line(row.name, "bold").line()
    for story in stories:
        reply.add(f"{day(story.published_at, services.timezone)} · ").add(story.headline).add(" ")
        reply.link("↗", story.url).line()
    return reply
