"""Discord: the only module that knows discord.py.

Three parts, like telegram.py: rendering (alerts as embeds, replies as Discord markdown, every
piece of text escaped, nothing can mention anyone), delivery (``DiscordTransport`` posts in channels
and threads with the bot's token; ``DiscordWebhookTransport`` executes webhooks with ``wait=true``
and needs no gateway), and ``DiscordBot``, whose slash commands are the command registry's entries
(named options, topic autocomplete, default permissions) run through the same router as Telegram.

Rate limits: one ``RequestPacer`` is shared by both transports; it keeps every outbox request
under ``rate`` per second (Discord's global limit is 50) and remembers each 429: a route (a
channel, a webhook) or, for a global 429, everything waits ``retry_after``. A wait longer than
``max_wait_s`` is not slept through: it becomes FloodWait and the outbox reschedules the alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping, Optional, TypeVar

import aiohttp
import discord
import yarl
from aiolimiter import AsyncLimiter
from discord import app_commands
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.alerts import ARCHIVE, DIGEST, Alert
from bot.transports.base import ChatGone, FloodWait, RetryLater, SentParts, Undeliverable
from bot.transports.discord_address import BOT, DM, WEBHOOK, redact, snowflake
from handlers.base import Caller, Reply, Span
from handlers.format import alert_buttons, also_names, list_replies, mark, shorten, topic_tag, when
from handlers import registry
from handlers.router import COMMANDS, handle_callback, handle_command
from handlers.services import Services
from handlers.texts import language_for, t
from storage import discord_webhooks as webhook_store
from storage.db import transaction

log = logging.getLogger(__name__)
_R = TypeVar("_R")

# Discord's documented limits.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000
BUTTONS_MAX = 25
BUTTON_LABEL_MAX = 80
CHOICES_MAX = 25  # an autocomplete answer's choices
COMMAND_DESCRIPTION_MAX = 100
THREAD_TYPES = (discord.ChannelType.public_thread, discord.ChannelType.private_thread, discord.ChannelType.news_thread)
NO_MENTIONS = discord.AllowedMentions.none()

# Discord JSON error codes that mean "this destination is gone for good".
UNKNOWN_CHANNEL, UNKNOWN_WEBHOOK, MISSING_ACCESS, INVALID_WEBHOOK_TOKEN = 10003, 10015, 50001, 50027
CANNOT_SEND_TO_USER, MISSING_PERMISSIONS, THREAD_ARCHIVED = 50007, 50013, 50083
_GONE_CODES = {UNKNOWN_CHANNEL, UNKNOWN_WEBHOOK, MISSING_ACCESS, INVALID_WEBHOOK_TOKEN, CANNOT_SEND_TO_USER,
               MISSING_PERMISSIONS, THREAD_ARCHIVED}
# An edit whose message is gone (deleted) or not ours to edit: that alert only, not the channel.
UNKNOWN_MESSAGE, CANNOT_EDIT_OTHERS = 10008, 50005
SUPPRESS_NOTIFICATIONS = 1 << 12  # message flag 4096: a silent message (quiet hours, an archive)

# --- rendering --------------------------------------------------------------------------------




def escape(text: str) -> str:
    """Markdown that stays literal text: no formatting, no masked links, no mentions."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text, ignore_links=False))


def _web(url: str | None) -> bool:
    return bool(url) and url.lower().startswith(("http://", "https://"))  # type: ignore[union-attr]


def _span_md(span: Span) -> str:
    if span.style == "code":
        return f"`{span.text.replace('`', 'ˋ')}`" if span.text.strip() else span.text
    body = escape(span.text)
    if not body.strip():
        return body
    if span.style == "bold":
        return f"**{body}**"
    if span.style == "italic":
        return f"*{body}*"
    if span.style == "link" and span.url:
        if _web(span.url) and not any(c in span.url for c in "<> \n"):
            return f"[{body}](<{span.url}>)"  # <…>: no preview card for each link of a list
        return f"{body}: `{span.url.replace('`', 'ˋ')}`"  # a file path: shown, not linked
    return body


def render_markdown(reply: Reply, limit: int = CONTENT_MAX) -> str:
    """Discord markdown within ``limit``: the longest span is shortened on its own, never the markup."""
    spans = list(reply.spans)
    out = "".join(_span_md(s) for s in spans).strip()
    while len(out) > limit and spans:
        i = max(range(len(spans)), key=lambda k: len(spans[k].text))
        span, excess = spans[i], len(out) - limit
        if not span.text:
            break
        cut = shorten(span.text, max(0, len(span.text) - excess - 1))
        if cut == span.text:
            cut = span.text[: max(0, len(span.text) - excess - 1)] + "…"
        spans[i] = replace(span, text=cut)
        out = "".join(_span_md(s) for s in spans).strip()
    return out[:limit]


def embed_size(embed: discord.Embed) -> int:
    """What Discord counts towards the 6,000 limit."""
    return len(embed)


def _fit_escaped(text: str, limit: int) -> str:
    """``text`` escaped, shortened at a sentence or word so the escaped form fits ``limit``."""
    out = escape(text)
    while len(out) > limit and text:
        text = shorten(text, max(0, len(text) - (len(out) - limit) - 1))
        out = escape(text)
    return out


def alert_embed(alert: Alert, tz: tzinfo) -> discord.Embed:
    """Headline as the linked title, summary as description, source and time as fields, topic in
    the footer; every limit respected, the summary giving way first."""
    lang = alert.language
    headline = alert.headline.strip() or "—"
    first = mark(alert)  # «تحديث», or another outlet's report
    if first is not None:
        headline = f"{first}: {headline}"
    embed = discord.Embed(title=shorten(headline, TITLE_MAX),
                          url=alert.url if _web(alert.url) else None,
                          timestamp=alert.published, colour=discord.Colour.dark_red())
    source = alert.source or "—"
    if alert.source_count > 1:  # how many outlets carry it (issue 12): «نشرته 3 مصادر»
        source = f"{source} · {t(lang, 'alert_sources', n=alert.source_count)}"
    embed.add_field(name=t(lang, "alert_source"), value=shorten(source, FIELD_VALUE_MAX), inline=True)
    # In the chat's zone (/timezone); the embed's own timestamp is shown in each reader's zone.
    embed.add_field(name=t(lang, "alert_time"), value=when(alert.published, alert.local_zone(tz)), inline=True)
    names = also_names(alert)
    if names:  # the outlets that joined the story since (an EDIT re-draws the embed with them)
        embed.add_field(name=t(lang, "alert_also"), value=_fit_escaped(names, FIELD_VALUE_MAX), inline=False)
    if not _web(alert.url):  # a file path: shown, since it cannot be the title's link
        embed.add_field(name=t(lang, "alert_link"), value=shorten(alert.url, FIELD_VALUE_MAX), inline=False)
    embed.set_footer(text=shorten(f"{topic_tag(alert.topic)} · {alert.topic_name}", FOOTER_MAX))
    room = min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - embed_size(embed))
    embed.description = _fit_escaped(alert.summary, room) or None
    return embed


def _description(reply: Reply) -> str:
    return "".join(_span_md(s) for s in reply.spans).strip()


def list_embeds(alert: Alert, tz: tzinfo) -> list[discord.Embed]:
    """A DIGEST or ARCHIVE as embeds, one per message: each description within 4,096 characters
    (escaped markdown, headlines as masked links), no story cut between two messages."""
    replies = list_replies(alert, tz, lambda reply: len(_description(reply)) <= DESCRIPTION_MAX)
    colour = discord.Colour.dark_grey() if alert.kind == ARCHIVE else discord.Colour.dark_red()
    return [discord.Embed(description=render_markdown(reply, DESCRIPTION_MAX), colour=colour) for reply in replies]


def alert_embeds(alert: Alert, tz: tzinfo) -> list[discord.Embed]:
    """The embeds of one delivery, one per message: the alert's, or a list's several."""
    if alert.kind in (DIGEST, ARCHIVE):
        return list_embeds(alert, tz)
    return [alert_embed(alert, tz)]


def alert_payload(alert: Alert, tz: tzinfo, embed: discord.Embed | None = None) -> dict[str, Any]:
    """The JSON body of one message: one embed, silent (flag 4096) when the alert is, and no
    mention of anyone whatever the text says."""
    body: dict[str, Any] = {"embeds": [(embed or alert_embed(alert, tz)).to_dict()],
                            "allowed_mentions": NO_MENTIONS.to_dict()}
    if alert.silent:
        body["flags"] = SUPPRESS_NOTIFICATIONS
    return body


def view_for(reply: Reply) -> discord.ui.View | None:
    """Buttons as a component view (5 per row, 25 at most). The view is finished before it is
    sent, so discord.py does not keep it: presses reach ``DiscordBot`` by custom id, which
    keeps working after a restart."""
    buttons = [b for row in reply.buttons for b in row][:BUTTONS_MAX]
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for i, b in enumerate(buttons):
        view.add_item(discord.ui.Button(label=b.label[:BUTTON_LABEL_MAX], custom_id=b.data[:100], row=i // 5,
                                        style=discord.ButtonStyle.secondary))
    view.stop()
    return view


@dataclass
class Rendered:
    """A Reply as discord.py send/edit keyword arguments."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    file: discord.File | None = None

    def kwargs(self, edit: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"content": self.content, "allowed_mentions": NO_MENTIONS}
        if self.embed is not None:
            out["embed"] = self.embed
        elif edit:
            out["embed"] = None
        if self.view is not None:
            out["view"] = self.view
        elif edit:
            out["view"] = None
        if self.file is not None and not edit:
            out["file"] = self.file
        return out


def render_reply(reply: Reply) -> Rendered:
    """Short replies as plain content, long ones (the help overview) as an embed's description;
    a chart as an attachment."""
    import io

    full = render_markdown(reply, DESCRIPTION_MAX)
    rendered = Rendered(view=view_for(reply))
    if len(full) <= CONTENT_MAX:
        rendered.content = full or None
    else:
        rendered.embed = discord.Embed(description=full)
    if reply.photo is not None:
        rendered.file = discord.File(io.BytesIO(reply.photo), filename="chart.png")
    return rendered


# --- rate limits ---------------------------------------------------------------------------------


class RequestPacer:
    """Discord's limits, shared by every outbox request: a steady rate (global limit 50/s) and
    the waits 429 answers asked for, per route and global."""

    def __init__(self, rate: float = 45.0, max_wait_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        # A small bucket: a burst of a few, then a steady ``rate``, so no one-second window can hold
        # more than rate + burst requests (a bucket of ``rate`` would allow twice the rate at start).
        burst = max(1, int(rate // 10))
        self._limiter = AsyncLimiter(burst, burst / rate)
        self.max_wait_s = max_wait_s
        self._clock = clock
        self._sleep = sleep
        self._global_until = 0.0
        self._routes: dict[str, float] = {}
        self._locks: dict[str, list] = {}  # route → [lock, users]

    def blocked_for(self, route: str) -> float:
        now = self._clock()
        return max(0.0, self._global_until - now, self._routes.get(route, 0.0) - now)

    @contextlib.asynccontextmanager
    async def slot(self, route: str) -> AsyncIterator[None]:
        """One request at a time per route, each knowing how the previous one ended: after a 429
        the alerts queued behind it wait (or go back to the outbox) instead of asking again."""
        entry = self._locks.setdefault(route, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                await self._wait(route)
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[route]

    async def _wait(self, route: str) -> None:
        """Wait for the route to be free; a long wait is the outbox's job (FloodWait)."""
        wait = self.blocked_for(route)
        if wait > self.max_wait_s:
            raise FloodWait(f"429 rate limited: {wait:.2f}s left", retry_after=wait)
        if wait > 0:
            await self._sleep(wait)
        await self._limiter.acquire()

    def limited(self, route: str, retry_after: float, is_global: bool = False) -> None:
        until = self._clock() + max(0.0, retry_after)
        if is_global:
            self._global_until = max(self._global_until, until)
        else:
            self._routes[route] = max(self._routes.get(route, 0.0), until)
        if len(self._routes) > 10_000:
            now = self._clock()
            self._routes = {k: v for k, v in self._routes.items() if v > now}


# --- delivering alerts ----------------------------------------------------------------------------

Notice = Callable[[str], Awaitable[None]]


async def _no_notice(_: str) -> None:
    return None


def _code(exc: discord.HTTPException) -> int:
    return int(getattr(exc, "code", 0) or 0)


class DiscordTransport:
    """Alerts posted by the bot in channels, threads and forum posts (``discord:ID``), and raqib's
    notices to an owner's direct messages (``discord-dm:USER_ID``: the DM channel is opened first)."""

    platform = BOT

    def __init__(self, client: discord.Client, tz: tzinfo, pacer: RequestPacer, notice: Notice = _no_notice,
                 concurrency: int = 8) -> None:
        self._client = client
        self._tz = tz
        self._pacer = pacer
        self._notice = notice
        self.concurrency = concurrency
        self._gone: dict[int, str] = {}
        self._parts = SentParts()  # a long digest's parts already sent
        self._dms: dict[int, int] = {}  # user id → their DM channel's id

    def forget(self, channel_id: int) -> None:
        """Someone used a command there: the bot can post again."""
        self._gone.pop(channel_id, None)

    async def _channel(self, alert: Alert) -> int:
        user_id = snowflake(alert.chat, DM)
        if user_id is not None:
            return await self._dm_channel(user_id)
        channel_id = snowflake(alert.chat, BOT)
        if channel_id is None:
            raise Undeliverable(f"not a Discord channel address: {alert.chat}")
        if alert.thread_id and alert.thread_id.isdigit():
            channel_id = int(alert.thread_id)  # a subscription made inside a thread posts there
        if channel_id in self._gone:
            raise ChatGone(self._gone[channel_id])
        return channel_id

    async def send(self, alert: Alert) -> str:
        """channel.send: silent (``silent=True``, flag 4096) when ``alert.silent``; a reply to the
        chat's alert when ``alert.reply_to`` is set (fail_if_not_exists=False: a deleted alert must
        not lose the update); a DIGEST or ARCHIVE as several messages, first id returned, the parts
        already sent remembered when a later one fails so a retry sends only the rest."""
        channel_id = await self._channel(alert)
        route = f"channel:{channel_id}"
        embeds = alert_embeds(alert, self._tz)
        # The alert's buttons (why, related, mute, unsubscribe) reach on_interaction by custom id;
        # webhook alerts cannot carry components and get the layout only.
        buttons = None if alert.kind in (DIGEST, ARCHIVE) else view_for(alert_buttons(Reply(), alert))
        extra: dict[str, Any] = {"silent": alert.silent}
        if buttons is not None:
            extra["view"] = buttons
        if alert.reply_to and alert.reply_to.isdigit():
            extra["reference"] = discord.MessageReference(message_id=int(alert.reply_to), channel_id=channel_id,
                                                          fail_if_not_exists=False)
        channel = self._client.get_partial_messageable(channel_id)

        async def one(_sent: int, embed: discord.Embed) -> str:
            async with self._pacer.slot(route):
                if channel_id in self._gone:  # an earlier alert of this batch found it gone
                    raise ChatGone(self._gone[channel_id])
                message = await self._call(channel_id, route, lambda: channel.send(
                    embed=embed, allowed_mentions=NO_MENTIONS, **extra))
            return str(message.id)

        return await self._parts.send(alert, embeds, one)

    async def edit(self, alert: Alert) -> str:
        """A partial message's edit (PATCH /channels/ID/messages/ID): the alert's embed and buttons,
        now naming the outlets that joined. A message that is gone (Unknown Message) or not the
        bot's is Undeliverable; the channel itself gone is ChatGone, as for a send."""
        channel_id = await self._channel(alert)
        edit_of = alert.edit_of or ""
        if not edit_of.isdigit():
            raise Undeliverable(f"no Discord message to edit: {edit_of!r}")
        route = f"channel:{channel_id}"
        buttons = view_for(alert_buttons(Reply(), alert))
        message = self._client.get_partial_messageable(channel_id).get_partial_message(int(edit_of))
        async with self._pacer.slot(route):
            if channel_id in self._gone:
                raise ChatGone(self._gone[channel_id])
            await self._call(channel_id, route, lambda: message.edit(
                embed=alert_embed(alert, self._tz), allowed_mentions=NO_MENTIONS,
                **({"view": buttons} if buttons is not None else {})), editing=True)
        return edit_of

    async def _dm_channel(self, user_id: int) -> int:
        """The DM channel with a user (POST /users/@me/channels, remembered): a user who shares no
        server with the bot or refuses DMs is gone for this address, like a deleted channel."""
        known = self._dms.get(user_id)
        if known is not None:
            return known
        key = -user_id  # its failures are remembered apart from any channel's
        if key in self._gone:
            raise ChatGone(self._gone[key])
        route = f"dm:{user_id}"
        async with self._pacer.slot(route):
            dm = await self._call(key, route, lambda: self._client.create_dm(discord.Object(user_id)), notify=False)
        self._dms[user_id] = dm.id
        return dm.id

    async def _call(self, channel_id: int, route: str, request: Callable[[], Awaitable[_R]],
                    editing: bool = False, notify: bool = True) -> _R:
        """One request to Discord with its failures mapped to the outbox's exceptions."""
        try:
            return await request()
        except discord.RateLimited as exc:  # discord.py sleeps through short waits itself
            self._pacer.limited(route, exc.retry_after)
            raise FloodWait(f"429 rate limited: retry after {exc.retry_after:g}s", retry_after=exc.retry_after)
        except (discord.Forbidden, discord.NotFound) as exc:
            reason = f"{exc.status} {exc.text or exc}"[:300]
            if editing and _code(exc) in (UNKNOWN_MESSAGE, CANNOT_EDIT_OTHERS):
                raise Undeliverable(reason) from exc  # that alert is gone; the channel is not
            if exc.status == 404 or _code(exc) in _GONE_CODES:
                self._gone[channel_id] = reason
                if notify and channel_id not in self._dms.values():  # an owner's DM: no notice about it
                    await self._notice(f"raqib: stopped posting in Discord channel {channel_id}: {reason}")
                raise ChatGone(reason) from exc
            raise Undeliverable(reason) from exc
        except discord.DiscordServerError as exc:
            raise RetryLater(f"discord {exc.status}") from exc
        except discord.HTTPException as exc:
            raise Undeliverable(f"{exc.status} {exc.text}"[:300]) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise RetryLater(f"network: {exc!r}") from exc


class DiscordWebhookTransport:
    """Alerts executed through webhooks (``discord-webhook:ID``): one POST with ``wait=true``, so
    Discord answers with the created message and its id is recorded; no gateway, no bot needed.
    An edit is a PATCH of that message (``/webhooks/ID/TOKEN/messages/MESSAGE``). A webhook
    cannot reply to a message (Execute Webhook takes no message_reference), so an update or a
    report that asks for ``reply_to`` is simply sent, marked «تحديث» like any update.

    It talks HTTP itself (aiohttp, which discord.py brings) because discord.py's webhook client
    sleeps through 429s inside the call: here the outbox must see them, to reschedule the alert
    rather than hold a worker slot."""

    platform = WEBHOOK

    def __init__(self, factory: sessionmaker[Session], tz: tzinfo, pacer: RequestPacer, api_base: str,
                 notice: Notice = _no_notice, concurrency: int = 8, timeout_s: float = 15.0) -> None:
        self._factory = factory
        self._tz = tz
        self._pacer = pacer
        self._base = api_base.rstrip("/")
        self._notice = notice
        self.concurrency = concurrency
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._tokens: dict[str, str] = {}
        self._gone: dict[str, str] = {}
        self._parts = SentParts()  # a long digest's parts already sent

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _token(self, webhook_id: str) -> str | None:
        token = self._tokens.get(webhook_id)
        if token is None:
            with transaction(self._factory) as s:
                token = webhook_store.webhook_token(s, webhook_id)
            if token is not None:
                self._tokens[webhook_id] = token
        return token

    def _target(self, alert: Alert) -> str:
        ident = snowflake(alert.chat, WEBHOOK)
        if ident is None:
            raise Undeliverable(f"not a Discord webhook address: {alert.chat}")
        webhook_id = str(ident)
        if webhook_id in self._gone:
            raise ChatGone(self._gone[webhook_id])
        return webhook_id

    async def send(self, alert: Alert) -> str:
        """Execute the webhook once per message (a long DIGEST or ARCHIVE takes several; the first
        id is returned, and the parts sent are remembered when a later one fails). Silent alerts
        carry flag 4096 (SUPPRESS_NOTIFICATIONS). ``reply_to`` is ignored: webhooks cannot reply."""
        webhook_id = self._target(alert)
        token = await asyncio.to_thread(self._token, webhook_id)
        if token is None:
            raise ChatGone("no token stored for this webhook; add it again with its URL")
        route = f"webhook:{webhook_id}"
        embeds = alert_embeds(alert, self._tz)

        async def one(_sent: int, embed: discord.Embed) -> str:
            async with self._pacer.slot(route):
                if webhook_id in self._gone:
                    raise ChatGone(self._gone[webhook_id])
                return await self._execute(route, webhook_id, token, alert, alert_payload(alert, self._tz, embed))

        return await self._parts.send(alert, embeds, one)

    async def edit(self, alert: Alert) -> str:
        """PATCH /webhooks/ID/TOKEN/messages/MESSAGE (with ``thread_id`` for a thread): the alert's
        embed re-drawn. Unknown Message (deleted) is Undeliverable; a webhook gone is ChatGone."""
        webhook_id = self._target(alert)
        edit_of = alert.edit_of or ""
        if not edit_of.isdigit():
            raise Undeliverable(f"no Discord message to edit: {edit_of!r}")
        token = await asyncio.to_thread(self._token, webhook_id)
        if token is None:
            raise ChatGone("no token stored for this webhook; add it again with its URL")
        route = f"webhook:{webhook_id}"
        params = {"thread_id": alert.thread_id} if alert.thread_id and alert.thread_id.isdigit() else {}
        body = {"embeds": [alert_embed(alert, self._tz).to_dict()], "allowed_mentions": NO_MENTIONS.to_dict()}
        url = f"{self._base}/webhooks/{webhook_id}/{token}/messages/{edit_of}"
        async with self._pacer.slot(route):
            if webhook_id in self._gone:
                raise ChatGone(self._gone[webhook_id])
            await self._request("PATCH", url, route, webhook_id, params, body, editing=True)
        return edit_of

    async def _execute(self, route: str, webhook_id: str, token: str, alert: Alert, payload: dict[str, Any]) -> str:
        params = {"wait": "true"}
        if alert.thread_id and alert.thread_id.isdigit():
            params["thread_id"] = alert.thread_id
        url = f"{self._base}/webhooks/{webhook_id}/{token}"
        body = await self._request("POST", url, route, webhook_id, params, payload)
        return str(body.get("id", ""))

    async def _request(self, method: str, url: str, route: str, webhook_id: str, params: dict[str, str],
                       payload: dict[str, Any], editing: bool = False) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.request(method, url, params=params, json=payload) as response:
                body = await self._json(response)
                self._remember_bucket(route, response)
                if response.status in (200, 201):
                    return body
                if editing and int(body.get("code") or 0) == UNKNOWN_MESSAGE:
                    raise Undeliverable(f"{response.status} {str(body.get('message') or '')[:200]} "
                                        f"(code {UNKNOWN_MESSAGE})")
                await self._failed(route, webhook_id, response.status, body)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise RetryLater(f"network: {redact(repr(exc))}") from None
        raise AssertionError("unreachable")

    @staticmethod
    async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
        try:
            data = await response.json(content_type=None)
        except (ValueError, aiohttp.ContentTypeError):
            return {}
        return data if isinstance(data, dict) else {}

    def _remember_bucket(self, route: str, response: aiohttp.ClientResponse) -> None:
        """Spent bucket: the route waits for its reset before the next request, not after a 429."""
        if response.headers.get("X-RateLimit-Remaining") == "0":
            try:
                self._pacer.limited(route, float(response.headers.get("X-RateLimit-Reset-After", "0")))
            except ValueError:
                pass

    async def _failed(self, route: str, webhook_id: str, status: int, body: Mapping[str, Any]) -> None:
        code = int(body.get("code") or 0)
        message = str(body.get("message") or "")[:200]
        if status == 429:
            retry_after = float(body.get("retry_after") or 1.0)
            self._pacer.limited(route, retry_after, bool(body.get("global")))
            raise FloodWait(f"429 rate limited: retry after {retry_after:g}s", retry_after=retry_after)
        if status in (401, 403, 404) or code in _GONE_CODES:
            reason = f"{status} {message or 'webhook gone'} (code {code})"
            self._gone[webhook_id] = reason
            self._tokens.pop(webhook_id, None)
            log.warning("Discord webhook %s is gone: %s; its deliveries stop", webhook_id, reason)
            await self._notice(f"raqib: Discord webhook {webhook_id} was disabled: {reason}")
            raise ChatGone(reason)
        if status >= 500:
            raise RetryLater(f"discord {status}")
        raise Undeliverable(f"{status} {message} (code {code})")


# --- the bot people talk to ------------------------------------------------------------------------


def _text(lang: str, key: str) -> str:
    """A description without its usage example: Discord shows the named options itself."""
    return shorten(t(lang, key).partition(": /")[0], COMMAND_DESCRIPTION_MAX)


def _localized(key: str) -> app_commands.locale_str:
    """Arabic as the default text (Discord has no Arabic locale); English for English clients,
    through ``_Translator``."""
    return app_commands.locale_str(_text("ar", key), key=key)


class _Translator(app_commands.Translator):
    """English descriptions for Discord's English locales, from the same texts as Telegram."""

    ENGLISH = (discord.Locale.american_english, discord.Locale.british_english)

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        key = string.extras.get("key")
        return _text("en", key) if key and locale in self.ENGLISH else None


ADMIN_PERMISSIONS = discord.Permissions(manage_guild=True)


class _Client(discord.Client):
    """Button presses arrive as interactions: handed to the bot, which owns the handlers."""

    raqib: "DiscordBot"

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type == discord.InteractionType.component:
            await self.raqib.on_button(interaction)


def _quiet_voice_warning(token: str | None) -> None:
    """discord.py warns "PyNaCl is not installed, voice will NOT be supported" at every client
    start; raqib never uses voice, and webhook-only runs (every ingest) have no bot at all. One
    debug line, and only when a Discord bot is configured (issue 14)."""
    from discord.voice_client import VoiceClient

    if VoiceClient.warn_nacl:
        VoiceClient.warn_nacl = False
        if token:
            log.debug("PyNaCl is not installed: Discord voice is unavailable (raqib does not use voice)")


class DiscordBot:
    """discord.py's client with one slash command per router command, and the transports that
    share its HTTP session and rate limits."""

    def __init__(self, config, services: Services, token: str | None, factory: sessionmaker[Session]) -> None:
        self.config = config
        self.dc = config.discord
        self.services = services
        self._token = token
        self._previous_base = discord.http.Route.BASE
        self._previous_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.dc.api_base  # discord.py's class-wide API root (tests: the fake)
        _quiet_voice_warning(token)
        self.client = _Client(intents=discord.Intents(guilds=True), max_ratelimit_timeout=30.0,
                              allowed_mentions=NO_MENTIONS)
        self.client.raqib = self
        self.tree = app_commands.CommandTree(self.client)
        for entry in COMMANDS.values():  # whatever the registry has, Discord has, with named options
            self.tree.add_command(self._slash(entry))
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.pacer = RequestPacer(self.dc.rate)
        self.transport = DiscordTransport(self.client, config.timezone, self.pacer, self.notify_owners,
                                          self.dc.concurrency)
        self.webhooks = DiscordWebhookTransport(factory, config.timezone, self.pacer, self.dc.api_base,
                                                self.notify_owners, self.dc.concurrency)
        self._gateway: asyncio.Task | None = None
        self._logged_in = False

    def transports(self) -> dict[str, Any]:
        out: dict[str, Any] = {WEBHOOK: self.webhooks}
        if self._token:
            out[BOT] = self.transport
            out[DM] = self.transport  # the owners' notices (bot.app.App.owner_chats)
        return out

    def _slash(self, entry: registry.Command) -> app_commands.Command | app_commands.Group:
        """A registry entry as a slash command: a group of subcommands (/watch add …) or one
        command, its arguments as named string options (topics autocompleted), and Manage Server
        as the default permission where the registry asks for a chat admin. Owner-only commands
        have no Discord permission to express them: the router refuses them to anyone else."""
        permissions = ADMIN_PERMISSIONS if entry.menu_tier >= registry.Tier.ADMIN else None
        if not entry.subcommands:
            command = self._command(entry, entry.name, "")
            command.default_permissions = permissions
            return command
        group = app_commands.Group(name=entry.name, description=_localized(f"cmd_{entry.name}"),
                                   default_permissions=permissions)
        for sub in entry.subcommands:
            group.add_command(self._command(sub, entry.name, sub.name))
        return group

    def _command(self, entry: registry.Command, name: str, prefix: str) -> app_commands.Command:
        """``/name [prefix] options…`` runs the router's command ``name`` with the options joined
        in the registry's order, as a Telegram user would have typed them."""
        args = entry.args

        async def run(interaction: discord.Interaction, **values: str | None) -> None:
            words = [prefix] + [str(values[a.name]).strip() for a in args if values.get(a.name)]
            await self.on_command(interaction, name, " ".join(w for w in words if w))

        required = [a for a in args if a.required]
        optional = [a for a in args if not a.required]
        params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    annotation=discord.Interaction)]
        params += [inspect.Parameter(a.name, inspect.Parameter.KEYWORD_ONLY, annotation=str) for a in required]
        params += [inspect.Parameter(a.name, inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str], default=None)
                   for a in optional]
        run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        run.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
            a.name: _localized(f"arg_{a.name}") for a in args}
        # An argument with fixed values is a list to pick from (labels Arabic, English for English
        # clients): what is picked is the word a Telegram user would type.
        run.__discord_app_commands_param_choices__ = {  # type: ignore[attr-defined]
            a.name: [app_commands.Choice(name=_localized(c.label), value=c.value) for c in a.choices]
            for a in args if a.choices}
        key = f"cmd_{entry.parent}_{entry.name}" if entry.parent else f"cmd_{entry.name}"
        command = app_commands.Command(name=entry.name, description=_localized(key), callback=run)
        for arg in args:
            if arg.complete is not None and not arg.choices:  # topics, zones: suggested as one types
                command.autocomplete(arg.name)(self._completer(arg.complete))
        return command

    def _completer(self, complete: registry.Completer
                   ) -> Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]:
        """An autocomplete callback answering from the registry's handler (the watchlists this
        server or DM may see, the zones that fit what is typed)."""

        async def suggest(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            try:
                found = await complete(self.services, self.caller(interaction), current)
            except Exception:  # an autocomplete must answer, even with nothing
                log.exception("discord: autocomplete failed")
                return []
            return [app_commands.Choice(name=shorten(label, 100), value=value[:100])
                    for label, value in found][:CHOICES_MAX]

        return suggest

    # lifecycle

    async def start(self, connect: bool = True) -> None:
        """Log in, publish the commands, then hold the gateway open (to receive them)."""
        if not self._token:
            return  # webhooks only: nothing to log in to
        await self.client.login(self._token)
        self._logged_in = True
        try:
            await self.tree.set_translator(_Translator())
            synced = await self.tree.sync()
            log.info("discord: %d slash commands published", len(synced))
        except discord.HTTPException as exc:
            log.warning("discord: publishing the slash commands was refused (%s); carrying on", exc.status)
        if connect:
            await self._find_gateway()
            self._gateway = asyncio.create_task(self.client.connect(reconnect=True), name="discord gateway")
            self._gateway.add_done_callback(self._gateway_ended)
        log.info("discord bot %s started", self.client.user)

    async def _find_gateway(self) -> None:
        """discord.py's Client connects to its built-in gateway address and never asks; asking the
        configured API (``GET /gateway/bot``, as Discord documents) keeps the websocket beside it."""
        try:
            _, url, _ = await self.client.http.get_bot_gateway()
        except discord.GatewayNotFound:
            log.warning("discord: GET /gateway/bot failed; connecting to %s",
                        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
            return
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)

    @staticmethod
    def _gateway_ended(task: asyncio.Task) -> None:
        """discord.py reconnects by itself; reaching here means it gave up (a refused token,
        privileged intents): commands stop, delivery carries on through REST."""
        if not task.cancelled() and task.exception() is not None:
            log.error("discord gateway stopped: %r; slash commands are unavailable", task.exception())

    async def start_sending_only(self) -> None:
        if self._token:
            await self.client.login(self._token)
            self._logged_in = True

    async def stop(self) -> None:
        await self.webhooks.close()
        discord.http.Route.BASE = self._previous_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._previous_gateway
        if self._token:  # also after a refused login: its HTTP session is open
            await self.client.close()
        if self._gateway is not None:
            self._gateway.cancel()
            try:
                await self._gateway
            except (asyncio.CancelledError, Exception):
                pass
            self._gateway = None

    async def __aenter__(self) -> "DiscordBot":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # interactions

    def caller(self, interaction: discord.Interaction) -> Caller:
        channel = interaction.channel
        channel_id = interaction.channel_id or 0
        thread = None
        if channel is not None and getattr(channel, "type", None) in THREAD_TYPES:
            thread = str(channel.id)  # a thread or forum post is its own destination
        self.transport.forget(channel_id)
        user = interaction.user
        in_guild = interaction.guild_id is not None
        permissions = interaction.permissions

        async def check(_: Caller) -> bool:
            return bool(in_guild and (permissions.manage_guild or permissions.administrator))

        return Caller(
            # A server's channels share its watchlists: the scope is the server; a DM is its own.
            scope=f"discord-guild:{interaction.guild_id}" if in_guild else None,
            user_id=user.id if user else None,
            chat=f"{BOT}:{channel_id}",
            chat_type="group" if in_guild else "private",
            language=language_for(str(interaction.locale.value) if interaction.locale else None),
            thread_id=thread,
            user_name=f"@{user.name}" if user else None,
            chat_title=getattr(channel, "name", None),
            is_owner=bool(user and user.id in self.dc.owners),
            admin_check=check,
        )

    async def on_command(self, interaction: discord.Interaction, name: str, args: str) -> None:
        if interaction.channel_id is None:  # no channel to subscribe or answer in (should not happen)
            lang = language_for(str(interaction.locale.value) if interaction.locale else None)
            await interaction.response.send_message(t(lang, "error"), ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        reply = await handle_command(self.services, self.caller(interaction), name, args or "")
        if reply is None or (not reply.spans and reply.photo is None):
            await interaction.delete_original_response()  # a throttled user, told once already
            return
        rendered = render_reply(reply)
        await interaction.followup.send(**rendered.kwargs())

    async def on_button(self, interaction: discord.Interaction) -> None:
        data = (interaction.data or {}).get("custom_id", "")  # type: ignore[union-attr]
        reply = await handle_callback(self.services, self.caller(interaction), str(data))
        try:
            if reply.spans and reply.edit:
                await interaction.response.edit_message(**render_reply(reply).kwargs(edit=True))
                if reply.notice:
                    await interaction.followup.send(escape(reply.notice)[:CONTENT_MAX], ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            elif reply.spans or reply.photo is not None:
                await interaction.response.send_message(**render_reply(reply).kwargs())
            else:
                await interaction.response.send_message(escape(reply.notice or "✓")[:CONTENT_MAX], ephemeral=True,
                                                        allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("answering a button press failed: %s", exc.status)

    async def _on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        log.error("discord command failed: %r", error, exc_info=error)

    async def notify_owners(self, text: str) -> None:
        """A direct message to each owner; without a bot token (webhooks only) the log says it."""
        log.warning("%s", text)
        if not self._token or not self._logged_in:
            return
        for owner in sorted(self.dc.owners):
            try:
                dm = await self.client.create_dm(discord.Object(owner))
                await dm.send(text[:CONTENT_MAX], allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as exc:
                log.warning("could not tell owner %s: %s", owner, exc.status)


def services_for(app, config) -> Services:  # app: bot.app.App (not imported: keeps this light)
    dc = config.discord
    return app.chat_services(dc.backlog, dc.command_rate, dc.command_burst)
