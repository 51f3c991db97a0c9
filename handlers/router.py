"""Command and button dispatch shared by every chat platform: throttle, route, never crash."""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from handlers import feeds as feeds_cmd
from handlers import help as help_cmd
from handlers import search as search_cmd
from handlers import status as status_cmd
from handlers import subscribe as sub_cmd
from handlers import timeline as timeline_cmd
from handlers import watchlist as watch_cmd
from handlers.base import Caller, Reply, text
from handlers.services import Services
from handlers.texts import t

log = logging.getLogger(__name__)

Command = Callable[[Services, Caller, str], Awaitable[Reply]]

COMMANDS: dict[str, Command] = {
    "start": help_cmd.start,
    "help": help_cmd.help,
    "topics": sub_cmd.topics,
    "subscribe": sub_cmd.subscribe,
    "unsubscribe": sub_cmd.unsubscribe,
    "mysubs": sub_cmd.mysubs,
    "search": search_cmd.search,
    "timeline": timeline_cmd.timeline,
    "watch": watch_cmd.watch,
    "explain": watch_cmd.explain,
    "status": status_cmd.status,
    "feed": feeds_cmd.feed,
}


async def _sub_button(services: Services, caller: Caller, slug: str) -> Reply:
    return await sub_cmd.button(services, caller, "sub", slug)


async def _unsub_button(services: Services, caller: Caller, slug: str) -> Reply:
    return await sub_cmd.button(services, caller, "unsub", slug)


CALLBACKS: dict[str, Command] = {
    "sub": _sub_button,
    "unsub": _unsub_button,
    "wdel": watch_cmd.confirm_delete,
    "wkeep": watch_cmd.cancel_delete,
    search_cmd.CALLBACK: search_cmd.page_button,
    timeline_cmd.CHART_CALLBACK: timeline_cmd.chart_button,
}


def _throttled(services: Services, caller: Caller) -> Reply | None:
    """None to go ahead; otherwise the reply to give (an empty one once the user was told)."""
    verdict = services.throttle.allow((caller.platform, caller.user_id if caller.user_id is not None else caller.chat))
    if verdict == "go":
        return None
    return text(t(caller.language, "throttled")) if verdict == "warn" else Reply()


async def handle_command(services: Services, caller: Caller, name: str, args: str) -> Reply | None:
    """The reply to a command, or None for a command this bot does not have."""
    command = COMMANDS.get(name.lower())
    if command is None:
        return None
    refused = _throttled(services, caller)
    if refused is not None:
        return refused
    try:
        return await command(services, caller, args)
    except Exception:
        log.exception("/%s from %s failed", name, caller.chat)
        return text(t(caller.language, "error"))


async def handle_callback(services: Services, caller: Caller, data: str) -> Reply:
    kind, _, arg = data.partition(":")
    callback = CALLBACKS.get(kind)
    if callback is None or not arg:
        return Reply(notice=t(caller.language, "button_expired"))
    refused = _throttled(services, caller)
    if refused is not None:
        return Reply(notice=refused.plain() or None)
    try:
        return await callback(services, caller, arg)
    except Exception:
        log.exception("button %r from %s failed", data, caller.chat)
        return Reply(notice=t(caller.language, "error"))
