"""Command and button dispatch shared by every chat platform: throttle, check the tier from the
registry (once, here, before any handler runs), route, never crash."""

from __future__ import annotations

import dataclasses
import logging

from handlers import registry
from handlers.base import Caller, Reply, text
from handlers.registry import Tier
from handlers.services import Services
from handlers.texts import t

log = logging.getLogger(__name__)

# name → registry entry; transports iterate it to register their commands.
COMMANDS: dict[str, registry.Command] = registry.commands()
CALLBACKS: dict[str, registry.Command] = registry.callbacks()


async def _throttled(services: Services, caller: Caller) -> Reply | None:
    """None to go ahead; otherwise the reply to give (an empty one once the user was told).

    Owners and group admins are never throttled (issue 14: an owner's /feed add was refused).
    Whether a group member is an admin costs a platform request, so it is asked only when the
    bucket is empty; a private chat's user is throttled like a member (its own admin, but the
    exemption is for people who run a group, not for anyone in a private chat)."""
    if caller.is_owner:
        return None
    verdict = services.throttle.allow((caller.platform, caller.user_id if caller.user_id is not None else caller.chat))
    if verdict == "go":
        return None
    if caller.is_group:
        try:
            if await caller.admin_check(caller):
                return None
        except Exception:  # the platform did not answer: treat as a member, the throttle stands
            log.info("admin check for %s in %s failed; throttled as a member", caller.actor, caller.chat, exc_info=True)
    return text(t(caller.language, "throttled")) if verdict == "warn" else Reply()


async def authorize(caller: Caller, command: registry.Command, full: bool = False) -> Caller | None:
    """The caller with its tier set, or None when the tier is below the command's."""
    tier = await registry.tier_of(caller, command.tier, full or command.wants_tier)
    if tier < command.tier:
        return None
    return dataclasses.replace(caller, tier=int(tier))


async def handle_command(services: Services, caller: Caller, name: str, args: str) -> Reply | None:
    """The reply to a command, or None for a command this bot does not have."""
    entry = COMMANDS.get(name.lower())
    if entry is None:
        return None
    refused = await _throttled(services, caller)
    if refused is not None:
        return refused
    lang = caller.language
    try:
        target, rest = entry.resolve(args)
        if target is None:  # no such subcommand: its usage, for those who may use the command at all
            lowest = entry.menu_tier
            if await registry.tier_of(caller, lowest) < lowest:
                return text(entry.refusal_text(lang) if entry.refusal else registry.refusal(lowest, lang))
            return text(t(lang, entry.usage or "error"))
        allowed = await authorize(caller, target)
        if allowed is None:
            log.info("/%s refused to %s in %s (needs %s)", target.path, caller.actor, caller.chat, target.tier.name)
            return text(target.refusal_text(lang))
        assert target.handler is not None
        return await target.handler(services, allowed, rest)
    except Exception:
        log.exception("/%s from %s failed", name, caller.chat)
        return text(t(lang, "error"))


async def handle_callback(services: Services, caller: Caller, data: str) -> Reply:
    kind, _, arg = data.partition(":")
    entry = CALLBACKS.get(kind)
    if entry is None or not arg:
        return Reply(notice=t(caller.language, "button_expired"))
    refused = await _throttled(services, caller)
    if refused is not None:
        return Reply(notice=refused.plain() or None)
    try:
        allowed = await authorize(caller, entry)
        if allowed is None:  # anyone in a group can press a button: a refusal is a toast
            return Reply(notice=entry.refusal_text(caller.language))
        assert entry.handler is not None
        return await entry.handler(services, allowed, arg)
    except Exception:
        log.exception("button %r from %s failed", data, caller.chat)
        return Reply(notice=t(caller.language, "error"))


__all__ = ["COMMANDS", "CALLBACKS", "Tier", "authorize", "handle_command", "handle_callback"]
