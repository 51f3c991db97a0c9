"""Discord chat addresses, light enough for the CLI: no discord.py import here.

``discord:ID`` is a channel, thread or forum post the bot posts in; ``discord-dm:USER_ID`` is a
user's direct messages with the bot (the owners' notices). ``discord-webhook:ID`` is a
webhook; it is given as its URL (``discord-webhook:https://discord.com/api/webhooks/ID/TOKEN``)
and stored as the id alone, the token apart (storage/discord_webhooks.py), so a log line never
carries the secret.
"""

from __future__ import annotations

import re

BOT = "discord"
WEBHOOK = "discord-webhook"
# A user's direct messages with the bot (``discord-dm:USER_ID``): where raqib's own notices reach
# a Discord owner through the outbox, since a DM channel's id is only known once it is opened.
DM = "discord-dm"

# Any host: only the id and token are kept, and sends always go to the configured API base, so a
# crafted URL cannot make raqib post somewhere else.
_WEBHOOK_URL = re.compile(
    r"^https?://[^/\s]+/api(?:/v\d+)?/webhooks/(?P<id>\d{5,21})/(?P<token>[A-Za-z0-9_.-]{10,200})/?(?:\?\S*)?$"
)
_SNOWFLAKE = re.compile(r"^\d{1,21}$")


class WebhookAddressError(ValueError):
    """Not a Discord webhook URL; the message never repeats the URL (it may hold a token)."""


def is_webhook_url_address(address: str) -> bool:
    return address.startswith(f"{WEBHOOK}:") and "/" in address


def parse_webhook_url(url: str) -> tuple[str, str]:
    """(webhook id, token) from a webhook URL."""
    m = _WEBHOOK_URL.match(url.strip())
    if m is None:
        raise WebhookAddressError(
            "not a Discord webhook URL (expected https://discord.com/api/webhooks/ID/TOKEN)"
        )
    return m.group("id"), m.group("token")


def snowflake(address: str, platform: str) -> int | None:
    """The numeric id of ``platform:ID``, or None when the address is something else."""
    prefix, _, ident = address.partition(":")
    if prefix != platform or not _SNOWFLAKE.match(ident):
        return None
    return int(ident)


def redact(text: str) -> str:
    """Replace any webhook token in ``text`` (an error message, a URL) by ``<token>``."""
    return re.sub(r"(/webhooks/\d+/)[A-Za-z0-9_.-]+", r"\1<token>", text)


def webhook_address(session, address: str, now, store: bool = True) -> str:
    """The address as stored: ``discord-webhook:URL`` becomes ``discord-webhook:ID`` (with its token
    saved when ``store``); any other address is returned as it is."""
    if not is_webhook_url_address(address):
        return address
    from storage import discord_webhooks as webhook_store
    from storage.db import create_once

    ident, token = parse_webhook_url(address.split(":", 1)[1])
    if store:  # in a savepoint: a worker starting beside us may store the same webhook first
        return create_once(session, lambda: webhook_store.save_webhook(session, ident, token, now))
    return webhook_store.address_of(ident)
