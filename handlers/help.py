"""/start and /help: what the bot does, its commands, its topics."""

from __future__ import annotations

from handlers.base import Caller, Reply
from handlers.services import Services
from handlers.texts import t
from storage import watchlists as watchlist_store

PUBLIC_COMMANDS = ("start", "help", "topics", "subscribe", "unsubscribe", "mysubs", "search", "timeline")
ADMIN_COMMANDS = ("watch", "explain", "status", "feed")


def menu(lang: str) -> list[tuple[str, str]]:
    """(command, description) pairs for a platform's command menu."""
    return [(name, t(lang, f"cmd_{name}")) for name in PUBLIC_COMMANDS + ADMIN_COMMANDS]


async def start(services: Services, caller: Caller, _args: str = "") -> Reply:
    lang = caller.language
    rows = await services.db(watchlist_store.active_watchlists)
    reply = Reply().line(t(lang, "about")).line()
    reply.line(t(lang, "commands_title"), "bold")
    for name in PUBLIC_COMMANDS:
        reply.add(f"/{name}", "code").line(f" — {t(lang, f'cmd_{name}')}")
    reply.line().line(t(lang, "admin_title"), "bold")
    for name in ADMIN_COMMANDS:
        reply.add(f"/{name}", "code").line(f" — {t(lang, f'cmd_{name}')}")
    reply.line().line(t(lang, "topics_title"), "bold")
    if not rows:
        reply.line(t(lang, "no_topics"))
    for row in rows:
        reply.add("• ").add(row.slug, "code").line(f" — {row.name}")
    return reply


help = start  # noqa: A001 - /help shows the same overview as /start
