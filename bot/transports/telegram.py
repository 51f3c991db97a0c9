"""Telegram: the only module that knows python-telegram-bot.

It adapts the platform-neutral handlers to PTB (commands, buttons), renders replies and alerts as
Telegram HTML (every piece of text escaped), and delivers outbox alerts through ``TelegramTransport``,
which turns Bot API failures into the outbox's exceptions. Rate limits: AIORateLimiter keeps the
bot under 30 messages/s overall and 20/minute per group; ``ChatPacer`` adds 1/s per private chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
import warnings
from dataclasses import replace
from datetime import timedelta, tzinfo
from typing import AsyncIterator, Awaitable, Callable, TypeVar
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.delivery.alerts import ARCHIVE, DIGEST, Alert
from bot.config import Config, TelegramConfig
from bot.transports.base import ChatGone, ChatMoved, FloodWait, RetryLater, SentParts, Undeliverable
from handlers.base import Caller, Reply, Span
from handlers.format import alert_reply, list_replies, shorten
from handlers.help import menu
from handlers.registry import Tier
from handlers.router import COMMANDS, handle_callback, handle_command
from handlers.services import Services
from handlers.texts import language_for

log = logging.getLogger(__name__)
_T = TypeVar("_T")

PLATFORM = "telegram"
MAX_MESSAGE = 4096
MAX_CAPTION = 1024
ALLOWED_UPDATES = ["message", "callback_query"]
# editMessageText answers that mean the alert can never be re-drawn (deleted, too old, not ours).
_EDIT_GONE = ("message to edit not found", "can't be edited", "message_id_invalid")

# --- rendering --------------------------------------------------------------------------------


def _units(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _span_html(span: Span) -> str:
    body = html.escape(span.text, quote=False)
    if span.style == "bold":
        return f"<b>{body}</b>"
    if span.style == "italic":
        return f"<i>{body}</i>"
    if span.style == "code":
        return f"<code>{body}</code>"
    if span.style == "link" and span.url:
        if urlparse(span.url).scheme in ("http", "https"):
            return f'<a href="{html.escape(span.url, quote=True)}">{body}</a>'
        # Not a web address (a file path from a file source): show it, do not link it.
        return f"{body}: <code>{html.escape(span.url, quote=False)}</code>"
    return body


def _html(spans: list[Span]) -> str:
    return "".join(_span_html(s) for s in spans).strip()




def render_html(reply: Reply, limit: int = MAX_MESSAGE) -> str:
    """Telegram HTML within ``limit``: the longest text is shortened on its own (never the markup),
    so a cut can never fall inside a tag or an entity."""
    spans = list(reply.spans)
    out = _html(spans)
    while _units(out) > limit:
        i = max(range(len(spans)), key=lambda k: len(spans[k].text))
        excess = _units(out) - limit
        span = spans[i]
        if not span.text:
            break
        spans[i] = replace(span, text=shorten(span.text, max(0, len(span.text) - excess - 1)))
        if spans[i].text == span.text:  # nothing left to cut
            spans[i] = replace(span, text=span.text[: max(0, len(span.text) - excess - 1)] + "…")
        out = _html(spans)
    return out


def render_alert(alert: Alert, tz: tzinfo) -> str:
    return render_html(alert_reply(alert, tz))


def _fits(reply: Reply) -> bool:
    return _units(_html(reply.spans)) <= MAX_MESSAGE


def alert_messages(alert: Alert, tz: tzinfo) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """The Telegram messages of one delivery, as (HTML, buttons): one for an alert; for a DIGEST or
    an ARCHIVE as many as its items need, each within 4,096 units, no item cut in two."""
    if alert.kind in (DIGEST, ARCHIVE):
        return [(render_html(reply), None) for reply in list_replies(alert, tz, _fits)]
    reply = alert_reply(alert, tz)
    return [(render_html(reply), keyboard(reply))]  # the alert's buttons: why, mute, unsubscribe


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons]
    )


# --- rate limits and admin checks ---------------------------------------------------------------


class ChatPacer:
    """At most one message per ``interval`` to each private chat: each send reserves the next slot."""

    def __init__(
        self,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        now = self._clock()
        slot = max(now, self._next.get(chat_id, now))
        self._next[chat_id] = slot + self._interval
        if len(self._next) > 50_000:
            self._next = {k: v for k, v in self._next.items() if v > now}
        if slot > now:
            await self._sleep(slot - now)


class GroupAdmins:
    """Whether a user administers a group, asked with getChatMember and remembered briefly."""

    def __init__(self, app: Application, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._app = app
        self._ttl = ttl_s
        self._clock = clock
        self._cache: dict[tuple[int, int], tuple[float, bool]] = {}

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        hit = self._cache.get(key)
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        try:
            member = await self._app.bot.get_chat_member(chat_id, user_id)
            answer = member.status in ("creator", "administrator")
        except TelegramError as exc:
            log.warning("getChatMember in %s failed (%s); treating the user as not an admin", chat_id, exc)
            answer = False
        self._cache[key] = (self._clock() + self._ttl, answer)
        return answer

    def prune(self) -> None:
        now = self._clock()
        self._cache = {k: v for k, v in self._cache.items() if v[0] > now}


# --- delivering alerts ----------------------------------------------------------------------------


def chat_id_of(address: str) -> int:
    platform, _, ident = address.partition(":")
    if platform != PLATFORM:
        raise Undeliverable(f"not a Telegram address: {address}")
    try:
        return int(ident)
    except ValueError:
        raise Undeliverable(f"not a Telegram chat id: {address}") from None


def _retry_seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = exc.retry_after
    return raw.total_seconds() if isinstance(raw, timedelta) else float(raw)


def _polling_failed(exc: TelegramError) -> None:
    """A failed getUpdates (the Bot API unreachable, a 5xx) is retried by PTB with backoff up to
    30 s: one line each, where PTB's default logs a full traceback every time during an outage."""
    log.warning("getUpdates failed, retrying: %s", exc)


def map_error(exc: TelegramError) -> Exception:
    """The outbox exception for a Bot API failure."""
    if isinstance(exc, RetryAfter):
        seconds = _retry_seconds(exc)
        return FloodWait(f"429 flood control: retry after {seconds:g}s", retry_after=seconds)
    if isinstance(exc, ChatMigrated):
        return ChatMoved(f"group migrated to {exc.new_chat_id}", f"{PLATFORM}:{exc.new_chat_id}")
    if isinstance(exc, Forbidden):
        return ChatGone(f"403 {exc.message}")
    if isinstance(exc, BadRequest):
        if "chat not found" in exc.message.lower():
            return ChatGone(f"400 {exc.message}")
        return Undeliverable(f"400 {exc.message}")
    if isinstance(exc, NetworkError):  # includes TimedOut and 5xx answers
        return RetryLater(f"network: {exc.message}")
    return RetryLater(f"telegram: {exc.message}")


class TelegramTransport:
    """The outbox's way to Telegram: one alert, one sendMessage, one exception per failure kind.

    A batch from the outbox can hold several alerts for one chat. Once a chat answered 403 the
    rest are refused here without asking Telegram again, and once a group migrated the rest are
    handed back as moved, also without asking: the outbox re-routes each to the new chat, or drops
    it when the new chat already holds that story (storage/chats.py move_chat).
    """

    platform = PLATFORM

    def __init__(self, app: Application, tz: tzinfo, pacer: ChatPacer, concurrency: int = 16) -> None:
        self._app = app
        self._tz = tz
        self._pacer = pacer
        self.concurrency = concurrency
        self._gone: dict[int, str] = {}
        self._moved: dict[int, int] = {}
        self._locks: dict[int, list] = {}  # chat id → [lock, users]
        self._flooded: dict[int, float] = {}  # chat id → monotonic time its 429 wait ends
        self._parts = SentParts()  # a long digest's parts already sent

    def forget(self, chat_id: int) -> None:
        """The chat just talked to us, so it can be written to again."""
        self._gone.pop(chat_id, None)

    def _flood(self, chat_id: int, seconds: float) -> None:
        now = time.monotonic()
        self._flooded[chat_id] = now + seconds
        if len(self._flooded) > 10_000:
            self._flooded = {k: v for k, v in self._flooded.items() if v > now}

    @contextlib.asynccontextmanager
    async def _one_at_a_time(self, chat_id: int) -> AsyncIterator[None]:
        """Alerts to one chat go in order, each knowing how the previous one ended."""
        entry = self._locks.setdefault(chat_id, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[chat_id]

    async def _send(
        self, chat_id: int, text: str, thread: int | None, markup: InlineKeyboardMarkup | None = None, **extra
    ) -> Message:
        bot = self._app.bot
        try:
            return await bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, message_thread_id=thread, reply_markup=markup, **extra
            )
        except BadRequest as exc:
            if thread is None or "thread not found" not in exc.message.lower():
                raise
            # The forum topic was deleted: the group still wants the alert, in its General topic.
            log.warning("thread %s of %s is gone; sending to the chat itself", thread, chat_id)
            return await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup, **extra)

    async def _guarded(self, address: str, call: Callable[[int], Awaitable[_T]]) -> _T:
        """One request (or a digest's several) to a chat, in order behind the chat's earlier ones,
        refused without asking when the chat is known gone, moved or flood-limited, and with every
        Bot API failure mapped to the outbox's exception (remembered for the rest of the batch)."""
        address_id = chat_id_of(address)
        async with self._one_at_a_time(address_id):
            moved_to = self._moved.get(address_id)
            if moved_to is not None:  # not redirected here: the outbox re-routes it, and drops it
                # when the new chat already holds the story (issue 9, defect 5: duplicates)
                raise ChatMoved(f"group migrated to {moved_to}", f"{PLATFORM}:{moved_to}")
            chat_id = address_id
            if chat_id in self._gone:
                raise ChatGone(self._gone[chat_id])
            left = self._flooded.get(chat_id, 0.0) - time.monotonic()
            if left > 0:  # an earlier alert of this batch was told to wait: do not ask again
                raise FloodWait(f"429 flood control: {left:.1f}s left", retry_after=left)
            if chat_id > 0:
                await self._pacer.wait(chat_id)
            try:
                return await call(chat_id)
            except TelegramError as exc:
                mapped = map_error(exc)
                if isinstance(mapped, ChatGone):
                    self._gone[chat_id] = str(mapped)
                elif isinstance(mapped, ChatMoved):
                    self._moved[chat_id] = chat_id_of(mapped.new_address)
                elif isinstance(mapped, FloodWait) and mapped.retry_after:
                    self._flood(chat_id, mapped.retry_after)
                raise mapped from exc

    async def send(self, alert: Alert) -> str:
        """sendMessage: silent (disable_notification) when ``alert.silent``; a reply to the chat's
        alert when ``alert.reply_to`` is set (allow_sending_without_reply: a deleted alert must not
        lose the update); a DIGEST or ARCHIVE as several messages when it is long, whose first id
        is returned. Were a later part to fail, the parts already sent are remembered, so the
        outbox's retry from this process sends only the rest."""
        messages = alert_messages(alert, self._tz)
        thread = int(alert.thread_id) if alert.thread_id else None
        extra: dict = {}
        if alert.silent:
            extra["disable_notification"] = True
        if alert.reply_to and alert.reply_to.isdigit():
            extra["reply_parameters"] = ReplyParameters(int(alert.reply_to), allow_sending_without_reply=True)
        if alert.kind in (DIGEST, ARCHIVE):
            extra["link_preview_options"] = LinkPreviewOptions(is_disabled=True)  # a card per story: noise

        async def call(chat_id: int) -> str:
            async def one(sent: int, message: tuple) -> str:
                text, markup = message
                if sent and chat_id > 0:
                    await self._pacer.wait(chat_id)
                return str((await self._send(chat_id, text, thread, markup, **extra)).message_id)

            return await self._parts.send(alert, messages, one)

        return await self._guarded(alert.chat, call)

    async def edit(self, alert: Alert) -> str:
        """editMessageText of the chat's alert ``alert.edit_of``: the same layout and buttons, now
        naming the outlets that joined. "Message is not modified" (the edit already happened, or
        nothing changed) is success; a message that is gone or can no longer be edited is
        Undeliverable; flood, 5xx, blocked and moved map as for a send."""
        edit_of = alert.edit_of or ""
        if not edit_of.isdigit():
            raise Undeliverable(f"no Telegram message to edit: {edit_of!r}")
        reply = alert_reply(alert, self._tz)
        text, markup = render_html(reply), keyboard(reply)

        async def call(chat_id: int) -> str:
            try:
                await self._app.bot.edit_message_text(
                    text, chat_id=chat_id, message_id=int(edit_of), parse_mode=ParseMode.HTML, reply_markup=markup
                )
            except BadRequest as exc:
                reason = exc.message.lower()
                if "not modified" in reason:
                    return edit_of
                if any(gone in reason for gone in _EDIT_GONE):
                    raise Undeliverable(f"400 {exc.message}") from exc
                raise
            return edit_of

        return await self._guarded(alert.chat, call)


# --- the bot people talk to ----------------------------------------------------------------------


class _RedactToken(logging.Filter):
    """Belt and braces: whatever logs a request URL, the token never reaches the log."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "<token>"), ()
        if record.exc_info and not record.exc_text:  # PTB names a rejected token in InvalidToken
            trace = logging.Formatter().formatException(record.exc_info)
            if self._token in trace:
                record.exc_text = trace.replace(self._token, "<token>")
        return True


class _LongWait(Exception):
    """Carries a RetryAfter past AIORateLimiter's in-place retry loop."""

    def __init__(self, exc: RetryAfter) -> None:
        super().__init__(str(exc))
        self.exc = exc


class OutboxRateLimiter(AIORateLimiter):
    """AIORateLimiter that waits in place only for short 429s.

    PTB's limiter sleeps ``retry_after`` and pauses every request of the bot meanwhile; a long wait
    held that way outlives the outbox lease (issue 9: retry_after 65 s, two retries, another worker
    re-claimed the rows and both sent). A 429 asking for more than ``max_in_place_s`` is raised at
    once, so the transport hands it to the outbox as FloodWait and no lease is held through it.
    """

    def __init__(self, *, max_in_place_s: float = 10.0, max_retries: int = 2) -> None:
        super().__init__(max_retries=max_retries)
        self.max_in_place_s = max_in_place_s

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[override]
        async def short_waits_only(*a, **kw):
            try:
                return await callback(*a, **kw)
            except RetryAfter as exc:
                if _retry_seconds(exc) > self.max_in_place_s:
                    raise _LongWait(exc) from exc
                raise

        try:
            return await super().process_request(short_waits_only, args, kwargs, endpoint, data, rate_limit_args)
        except _LongWait as wrapped:
            raise wrapped.exc from None


def build_application(token: str, tg: TelegramConfig, max_in_place_s: float = 10.0) -> Application:
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        # Short 429s are waited in place (twice at most); long ones, and a third, go to the outbox.
        .rate_limiter(OutboxRateLimiter(max_in_place_s=max_in_place_s, max_retries=2))
        .build()
    )


class TelegramBot:
    """The PTB Application with raqib's commands, plus the transport that shares its Bot."""

    def __init__(self, config: Config, services: Services, token: str) -> None:
        self.config = config
        self.tg = config.telegram
        self.services = services
        # httpx logs every request URL at INFO, and Bot API URLs carry the token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._redactor = _RedactToken(token)
        # A wait in place must stay well inside the outbox lease: at most 10 s, or a quarter of it.
        self.application = build_application(token, self.tg, min(10.0, config.lease_s / 4))
        self.pacer = ChatPacer()
        self.admins = GroupAdmins(self.application, self.tg.admin_cache_s)
        self.transport = TelegramTransport(self.application, config.timezone, self.pacer, self.tg.concurrency)
        message_only = filters.UpdateType.MESSAGE
        self.application.add_handler(CommandHandler(list(COMMANDS), self._on_command, filters=message_only))
        self.application.add_handler(CallbackQueryHandler(self._on_callback))
        self.application.add_error_handler(self._on_error)

    # lifecycle

    async def start(self) -> None:
        """getMe, the command menus, then polling or the webhook listener."""
        for handler in logging.getLogger().handlers:
            handler.addFilter(self._redactor)
        app = self.application
        await app.initialize()
        try:
            await self._start_updates()
        except BaseException:
            await app.shutdown()
            raise
        log.info("telegram bot @%s started (%s)", app.bot.username, self.tg.mode)

    async def _start_updates(self) -> None:
        app = self.application
        await self.register_commands()
        if app.job_queue is not None:
            app.job_queue.run_repeating(self._prune, interval=600, first=600, name="prune caches")
        if self.tg.mode == "webhook":
            assert self.tg.webhook_url is not None
            await app.updater.start_webhook(  # type: ignore[union-attr]
                listen=self.tg.webhook_listen,
                port=self.tg.webhook_port,
                url_path=urlparse(self.tg.webhook_url).path.lstrip("/"),
                webhook_url=self.tg.webhook_url,
                secret_token=self.tg.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await app.updater.start_polling(  # type: ignore[union-attr]
                timeout=timedelta(seconds=self.tg.poll_timeout_s), allowed_updates=ALLOWED_UPDATES,
                error_callback=_polling_failed,
            )
        await app.start()

    async def _prune(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.admins.prune()

    async def start_sending_only(self) -> None:
        """For one-shot delivery: the Bot without polling."""
        await self.application.initialize()

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._redactor)

    def menu_scopes(self) -> list[tuple[BotCommandScope, Tier]]:
        """Who sees which menu, from the registry's tiers: everyone's commands in every chat, a
        chat admin's in group admins' menus and in private chats (whose user administers them),
        and the owners' in each owner's private chat."""
        scopes: list[tuple[BotCommandScope, Tier]] = [
            (BotCommandScopeDefault(), Tier.EVERYONE),
            (BotCommandScopeAllPrivateChats(), Tier.ADMIN),
            (BotCommandScopeAllChatAdministrators(), Tier.ADMIN),
        ]
        return scopes + [(BotCommandScopeChat(owner), Tier.OWNER) for owner in sorted(self.tg.owners)]

    async def register_commands(self) -> None:
        """The command menus per scope, in Arabic (default and ar) and English; refusal is not fatal."""
        for scope, tier in self.menu_scopes():
            for code, lang in ((None, "ar"), ("ar", "ar"), ("en", "en")):
                commands = [BotCommand(name, description[:256]) for name, description in menu(lang, tier)]
                try:
                    await self.application.bot.set_my_commands(commands, scope=scope, language_code=code)
                except TelegramError as exc:
                    log.warning("setMyCommands (%s, %s) was refused: %s; carrying on", scope.type, code or "default",
                                exc)

    # updates

    def caller(self, update: Update) -> Caller | None:
        chat = update.effective_chat
        user = update.effective_user
        if chat is None:
            return None
        self.transport.forget(chat.id)
        message = update.effective_message
        sender_chat = message.sender_chat if isinstance(message, Message) else None
        anonymous_admin = sender_chat is not None and sender_chat.id == chat.id
        thread = None
        if isinstance(message, Message) and message.is_topic_message and message.message_thread_id:
            thread = str(message.message_thread_id)
        if update.callback_query is not None:
            sender_chat, anonymous_admin = None, False  # a button press always carries the real user
        user_id = None if (anonymous_admin or user is None) else user.id
        admins = self.admins

        async def check(_: Caller) -> bool:
            if anonymous_admin:
                return True
            if sender_chat is not None or user_id is None:
                return False  # a channel or another chat speaking in the group is not an admin
            return await admins.is_admin(chat.id, user_id)

        name = None
        if user is not None and not anonymous_admin:
            name = f"@{user.username}" if user.username else user.full_name
        return Caller(
            user_id=user_id,
            chat=f"{PLATFORM}:{chat.id}",
            chat_type=chat.type,  # type: ignore[arg-type]
            language=language_for(user.language_code if user else None),
            thread_id=thread,
            user_name=name,
            chat_title=chat.title,
            is_owner=user_id is not None and user_id in self.tg.owners,
            admin_check=check,
        )

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        caller = self.caller(update)
        if message is None or caller is None or not message.text or not message.entities:
            return
        entity = message.entities[0]
        name = message.text[1 : entity.length].split("@", 1)[0]
        args = message.text[entity.length :].strip()
        reply = await handle_command(self.services, caller, name, args)
        if reply is not None:
            await self.send_reply(message.chat_id, caller.thread_id, reply)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        caller = self.caller(update)
        if query is None or caller is None:
            return
        reply = await handle_callback(self.services, caller, query.data or "")
        try:
            await query.answer(text=(reply.notice or "")[:200] or None)
        except TelegramError as exc:
            log.info("answerCallbackQuery failed: %s", exc)
        if not reply.spans:
            return
        message = query.message
        if reply.edit and isinstance(message, Message):
            try:
                await query.edit_message_text(
                    render_html(reply), parse_mode=ParseMode.HTML, reply_markup=keyboard(reply),
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    log.warning("editMessageText failed: %s", exc)
            return
        chat = update.effective_chat
        if chat is not None:
            await self.send_reply(chat.id, caller.thread_id, reply)

    async def send_reply(self, chat_id: int, thread_id: str | None, reply: Reply) -> None:
        """Answer in the chat (and thread) the command came from; a failed reply is only logged."""
        if not reply.spans and reply.photo is None:
            return
        try:
            await self._send_reply(chat_id, thread_id, reply)
        except ChatMigrated as exc:
            await self._send_reply(exc.new_chat_id, thread_id, reply)
        except TelegramError as exc:
            log.warning("reply to %s failed: %s", chat_id, exc)

    async def _send_reply(self, chat_id: int, thread_id: str | None, reply: Reply) -> None:
        thread = int(thread_id) if thread_id else None
        markup = keyboard(reply)
        if chat_id > 0:
            await self.pacer.wait(chat_id)
        bot = self.application.bot
        if reply.photo is not None:
            caption = render_html(reply, MAX_CAPTION) if reply.spans else None
            await bot.send_photo(
                chat_id, reply.photo, caption=caption, parse_mode=ParseMode.HTML,
                reply_markup=markup, message_thread_id=thread,
            )
            return
        await bot.send_message(
            chat_id, render_html(reply), parse_mode=ParseMode.HTML, reply_markup=markup,
            message_thread_id=thread, link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed: %r", context.error, exc_info=context.error)

    async def __aenter__(self) -> "TelegramBot":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def services_for(app, config: Config) -> Services:  # app: bot.app.App (not imported: keeps this light)
    tg = config.telegram
    return app.chat_services(tg.backlog, tg.command_rate, tg.command_burst)
