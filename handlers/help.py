"""/start and /help, from the command registry.

/help lists only the commands this user may run here, each a plain ``/name`` the chat app makes
tappable, one line each. /start greets and offers the topic board (with its subscribe buttons for
those who may subscribe this chat) instead of repeating /help.
"""

from __future__ import annotations

from handlers import registry
from handlers import subscribe as sub_cmd
from handlers.base import Caller, Reply
from handlers.registry import Tier
from handlers.services import Services
from handlers.texts import t


def menu(lang: str, tier: Tier = Tier.OWNER) -> list[tuple[str, str]]:
    """(command, description) pairs of a command menu for ``tier``."""
    return registry.menu(tier, lang)


async def help(services: Services, caller: Caller, _args: str = "") -> Reply:  # noqa: A001 - the command's name
    lang = caller.language
    tier = Tier(caller.tier)
    reply = Reply().line(t(lang, "help_title"), "bold")
    for cmd in registry.commands().values():
        if cmd.menu_tier > tier:
            continue
        subs = registry.listed_subcommands(cmd, tier)
        usage = f" {'|'.join(subs)}" if subs else ""
        head = cmd.description(lang).partition(": /")[0]
        # Plain text, not code: Telegram and Discord make a /command tappable only there.
        reply.add(f"/{cmd.name}{usage}").line(f" — {head}")
    if tier < Tier.ADMIN:
        reply.line().italic(t(lang, "help_admins_more"))
    return reply


async def start(services: Services, caller: Caller, _args: str = "") -> Reply:
    lang = caller.language
    board = await sub_cmd.topics(services, caller, "")
    reply = Reply().line(t(lang, "about")).line(t(lang, "start_help")).line()
    reply.spans.extend(board.spans)
    reply.buttons = board.buttons
    return reply
