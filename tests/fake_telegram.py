"""A fake Telegram Bot API server on 127.0.0.1, speaking the real HTTP protocol.

PTB's HTTPXRequest POSTs to ``{base_url}{token}/{method}`` with form-encoded (or multipart, for
files) parameters whose non-string values are JSON; answers are ``{"ok": true, "result": …}`` or
``{"ok": false, "error_code": …, "description": …, "parameters": {…}}``. This server implements
the methods raqib uses, records what the bot sent, and injects failures on demand: 429 with
``retry_after``, 500, slow answers, 403 (blocked), ``migrate_to_chat_id``, a global rate limit,
and a "hold" that keeps sends in flight (to kill the bot mid-delivery). Like the Bot API it
honours ``reply_parameters`` (a reply to a message that is gone fails unless
``allow_sending_without_reply``), records ``disable_notification``, and answers editMessageText
of a message it does not hold with "message to edit not found" and an edit that changes nothing
with "message is not modified".

It runs in its own threads, so the bot's event loop and the test can both talk to it.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import re
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs

TOKEN = "123456:TEST-raqib-fake-token"
BOT_USER = {"id": 777000111, "is_bot": True, "first_name": "raqib", "username": "raqib_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
_TEXT_FIELDS = {"text", "caption", "callback_query_id", "url", "secret_token", "data", "language_code", "parse_mode"}
_SEND_METHODS = {"sendMessage", "sendPhoto"}


@dataclass
class Sent:
    """One message the bot got through (or an edit of one)."""

    method: str
    chat_id: int
    text: str
    message_id: int
    thread_id: int | None = None
    parse_mode: str | None = None
    reply_markup: dict | None = None
    photo_size: int | None = None
    at: float = field(default_factory=time.monotonic)
    silent: bool = False  # disable_notification
    reply_to: int | None = None  # reply_parameters.message_id, when the replied message exists
    preview_disabled: bool = False  # link_preview_options.is_disabled

    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    @property
    def href(self) -> str | None:
        m = re.search(r'href="([^"]+)"', self.text)
        return m.group(1) if m else None


@dataclass
class Fault:
    method: str
    kind: str  # "429" | "500" | "403" | "400" | "slow"
    remaining: int
    chat_id: int | None = None
    retry_after: int = 1
    seconds: float = 0.0


def _strip_tags(text: str) -> str:
    plain = re.sub(r"<[^>]+>", "", text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


class FakeTelegram:
    def __init__(self, token: str = TOKEN, rate_limit: float | None = None) -> None:
        self.token = token
        self.cond = threading.Condition()
        self.updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self.sent: list[Sent] = []
        self.attempts: list[tuple[str, int, int]] = []  # (method, chat_id, http status) of every send
        self.calls: list[tuple[str, dict]] = []
        self.faults: list[Fault] = []
        self.blocked: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.admins: dict[int, set[int]] = {}
        self.creators: dict[int, int] = {}
        self.commands: dict[str | None, list[dict]] = {}  # the default scope's menu, by language
        # every menu by (scope, language): "default", "all_private_chats", "all_group_chats",
        # "all_chat_administrators", "chat:ID" …
        self.scoped_commands: dict[tuple[str, str | None], list[dict]] = {}
        self.refuse: set[str] = set()
        self.webhook: dict | None = None
        self.chats: dict[int, dict] = {}
        self.messages: dict[int, dict] = {}
        self.rendered: dict[int, tuple[str, Any]] = {}  # message id → (text as sent, reply_markup)
        self.deleted: set[int] = set()  # messages a user deleted: edits and replies find nothing
        self.holding = False
        self.hold_at: int | None = None  # start holding once this many messages got through
        self.held = 0
        self.dropped_in_flight = 0
        self.rejected_429 = 0
        self._rate = rate_limit
        self._tokens = float(rate_limit or 0)
        self._refilled = time.monotonic()
        self._stopping = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "FakeTelegram":
        fake = self

        class Handler(_Handler):
            server_fake = fake

        server = _Server(("127.0.0.1", 0), Handler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-telegram", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self._stopping = True
            self.holding = False
            self.cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeTelegram":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # --- what users do -----------------------------------------------------------------------

    def _user(self, user_id: int, language_code: str | None, username: str | None) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
        if language_code:
            user["language_code"] = language_code
        if username:
            user["username"] = username
        return user

    def _chat(self, chat_id: int, chat_type: str, title: str | None, is_forum: bool) -> dict:
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": title or f"group {chat_id}"}
            if is_forum:
                chat["is_forum"] = True
        self.chats[chat_id] = chat
        return chat

    def _push(self, kind: str, payload: dict) -> int:
        with self.cond:
            update_id = next(self._update_ids)
            self.updates.append({"update_id": update_id, kind: payload})
            self.cond.notify_all()
            return update_id

    def send_text(
        self,
        text: str,
        *,
        user_id: int,
        chat_id: int | None = None,
        chat_type: str = "private",
        language_code: str | None = "ar",
        thread_id: int | None = None,
        sender_chat: dict | None = None,
        is_forum: bool = False,
        username: str | None = None,
        title: str | None = None,
    ) -> int:
        """A user (or, with sender_chat, a chat) writes to the bot; commands get their entity."""
        chat = self._chat(chat_id if chat_id is not None else user_id, chat_type, title, is_forum)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self._user(user_id, language_code, username),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        return self._push("message", message)

    def press(self, sent: Sent, data: str, *, user_id: int, language_code: str | None = "ar") -> int:
        """A user presses an inline button under a message the bot sent."""
        message = self.messages[sent.message_id]
        query = {
            "id": str(next(self._callback_ids)),
            "from": self._user(user_id, language_code, None),
            "chat_instance": f"ci{message['chat']['id']}",
            "message": message,
            "data": data,
        }
        return self._push("callback_query", query)

    # --- failures on demand --------------------------------------------------------------------

    def inject(self, kind: str, count: int = 1, *, method: str = "sendMessage", chat_id: int | None = None,
               retry_after: int = 1, seconds: float = 0.0) -> None:
        with self.cond:
            self.faults.append(Fault(method, kind, count, chat_id, retry_after, seconds))

    def hold(self) -> None:
        """Keep every following send waiting before it is processed, until release()."""
        with self.cond:
            self.holding = True

    def release(self) -> None:
        with self.cond:
            self.holding = False
            self.cond.notify_all()

    # --- looking at what happened --------------------------------------------------------------

    def wait_for(self, predicate: Callable[["FakeTelegram"], bool], timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
            return True

    async def until(self, predicate: Callable[["FakeTelegram"], bool], timeout: float = 30.0) -> bool:
        """wait_for without blocking the event loop the bot runs on."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    def messages_to(self, chat_id: int, method: str | None = None) -> list[Sent]:
        with self.cond:
            return [s for s in self.sent if s.chat_id == chat_id and (method is None or s.method == method)]

    def alerts(self) -> list[Sent]:
        """Delivered alerts: sendMessage calls without buttons that carry a headline in bold."""
        with self.cond:
            return [s for s in self.sent if s.method == "sendMessage" and "<b>" in s.text and "<i>#" in s.text]

    def edits_of(self, message_id: int) -> list[Sent]:
        """The editMessageText calls that changed this message, in order."""
        with self.cond:
            return [s for s in self.sent if s.method == "editMessageText" and s.message_id == message_id]

    def delete(self, message_id: int) -> None:
        """A user deletes a message the bot sent."""
        with self.cond:
            self.deleted.add(message_id)
            self.messages.pop(message_id, None)
            self.rendered.pop(message_id, None)

    def attempts_to(self, chat_id: int) -> list[tuple[str, int, int]]:
        with self.cond:
            return [a for a in self.attempts if a[1] == chat_id]

    # --- the server side ---------------------------------------------------------------------

    def _take_fault(self, method: str, chat_id: Any) -> Fault | None:
        for fault in self.faults:
            if fault.remaining > 0 and fault.method == method and fault.chat_id in (None, chat_id):
                fault.remaining -= 1
                return fault
        return None

    def _over_rate(self) -> bool:
        if self._rate is None:
            return False
        now = time.monotonic()
        self._tokens = min(self._rate, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return False
        return True

    def handle(self, method: str, params: dict, still_connected: Callable[[], bool]) -> tuple[int, dict]:
        with self.cond:
            self.calls.append((method, params))
        if method == "getUpdates":
            return 200, self._get_updates(params)
        if method in _SEND_METHODS:
            return self._send(method, params, still_connected)
        with self.cond:
            fault = self._take_fault(method, params.get("chat_id"))
            if method in self.refuse:
                return 400, _error(400, f"Bad Request: method {method} is refused here")
            if fault is not None and fault.kind in ("429", "500", "403", "400"):
                return _fault_answer(fault)
            if method == "editMessageText":
                status, body = self._edit(params)
                self.attempts.append((method, params.get("chat_id"), status))
                self.cond.notify_all()
                return status, body
            result = self._simple(method, params)
            self.cond.notify_all()
        if result is None:
            return 404, _error(404, "Not Found: method not found")
        return 200, {"ok": True, "result": result}

    def _get_updates(self, params: dict) -> dict:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self.cond:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and not self._stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return {"ok": True, "result": self.updates[:limit]}

    def _send(self, method: str, params: dict, still_connected: Callable[[], bool]) -> tuple[int, dict]:
        chat_id = params.get("chat_id")
        with self.cond:
            fault = self._take_fault(method, chat_id)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        with self.cond:
            if self.hold_at is not None and len(self.sent) >= self.hold_at:
                self.holding, self.hold_at = True, None
            if self.holding:
                self.held += 1
                self.cond.notify_all()
                while self.holding and not self._stopping:
                    self.cond.wait(0.2)
                self.held -= 1
                if not still_connected():
                    self.dropped_in_flight += 1  # the bot died before we processed it
                    self.cond.notify_all()
                    return 499, _error(499, "client gone")
            status, body = self._send_locked(method, params, chat_id, fault)
            self.attempts.append((method, chat_id, status))
            self.cond.notify_all()
            return status, body

    def _send_locked(self, method: str, params: dict, chat_id: Any, fault: Fault | None) -> tuple[int, dict]:
        if fault is not None and fault.kind != "slow":
            return _fault_answer(fault)
        if self._over_rate():
            self.rejected_429 += 1
            return 429, _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if chat_id in self.migrated:
            return 400, _error(400, "Bad Request: group chat was upgraded to a supergroup chat",
                               {"migrate_to_chat_id": self.migrated[chat_id]})
        if chat_id in self.blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        text = params.get("text") if method == "sendMessage" else params.get("caption", "")
        thread = params.get("message_thread_id")
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        if reply_to is not None and (int(reply_to) not in self.messages
                                     or self.messages[int(reply_to)]["chat"]["id"] != chat_id):
            if not reply.get("allow_sending_without_reply"):
                return 400, _error(400, "Bad Request: message to be replied not found")
            reply_to = None  # sent as a plain message, as Telegram does
        message_id = next(self._message_ids)
        photo = params.get("photo")
        preview = params.get("link_preview_options") or {}
        self.sent.append(Sent(method, chat_id, text or "", message_id, thread, params.get("parse_mode"),
                              params.get("reply_markup"), len(photo) if isinstance(photo, bytes) else None,
                              silent=bool(params.get("disable_notification")),
                              reply_to=int(reply_to) if reply_to is not None else None,
                              preview_disabled=bool(isinstance(preview, dict) and preview.get("is_disabled"))))
        self.rendered[message_id] = (text or "", params.get("reply_markup"))
        result = self._message(message_id, chat_id, text or "", thread, params)
        if reply_to is not None:
            result = dict(result, reply_to_message=self.messages[int(reply_to)])
        return 200, {"ok": True, "result": result}

    def _message(self, message_id: int, chat_id: int, text: str, thread: int | None, params: dict) -> dict:
        chat = self.chats.get(chat_id) or self._chat(chat_id, "private" if chat_id > 0 else "supergroup", None, False)
        message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "chat": chat,
                                   "from": BOT_USER, "text": _strip_tags(text)}
        if thread is not None:
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[message_id] = message
        return message

    def _simple(self, method: str, params: dict) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("deleteWebhook", "close", "logOut"):
            self.webhook = None
            return True
        if method == "setWebhook":
            self.webhook = params
            return True
        if method == "getWebhookInfo":
            return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}
        if method == "setMyCommands":
            scope = params.get("scope") or {"type": "default"}
            key = scope.get("type", "default") + (f":{scope['chat_id']}" if "chat_id" in scope else "")
            self.scoped_commands[(key, params.get("language_code"))] = params.get("commands", [])
            if key == "default":
                self.commands[params.get("language_code")] = params.get("commands", [])
            return True
        if method == "answerCallbackQuery":
            return True
        if method == "getChatMember":
            return self._member(int(params["chat_id"]), int(params["user_id"]))
        return None

    def _edit(self, params: dict) -> tuple[int, dict]:
        """editMessageText as the Bot API answers it (caller holds ``cond``)."""
        chat_id, message_id = params.get("chat_id"), int(params["message_id"])
        if chat_id in self.blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        known = self.messages.get(message_id)
        if known is None or message_id in self.deleted or known["chat"]["id"] != chat_id:
            return 400, _error(400, "Bad Request: message to edit not found")
        if known.get("from", {}).get("id") != BOT_USER["id"]:
            return 400, _error(400, "Bad Request: message can't be edited")
        text, markup = params.get("text", ""), params.get("reply_markup")
        if self.rendered.get(message_id) == (text, markup):
            return 400, _error(400, "Bad Request: message is not modified: specified new message content and "
                                    "reply markup are exactly the same as a current content and reply markup "
                                    "of the message")
        message = dict(known)
        message.update({"text": _strip_tags(text), "edit_date": int(time.time())})
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        self.messages[message_id] = message
        self.rendered[message_id] = (text, markup)
        self.sent.append(Sent("editMessageText", chat_id, text, message_id, None, params.get("parse_mode"), markup))
        return 200, {"ok": True, "result": message}

    def _member(self, chat_id: int, user_id: int) -> dict:
        user = self._user(user_id, None, None)
        if self.creators.get(chat_id) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in self.admins.get(chat_id, set()):
            rights = dict.fromkeys(
                ["can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                 "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
                 "can_post_stories", "can_edit_stories", "can_delete_stories"], False)
            return {"status": "administrator", "user": user, **rights, "can_manage_chat": True}
        return {"status": "member", "user": user}


def _error(code: int, description: str, parameters: dict | None = None) -> dict:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def _fault_answer(fault: Fault) -> tuple[int, dict]:
    if fault.kind == "429":
        return 429, _error(429, f"Too Many Requests: retry after {fault.retry_after}", {"retry_after": fault.retry_after})
    if fault.kind == "403":
        return 403, _error(403, "Forbidden: bot was kicked from the group chat")
    if fault.kind == "400":
        return 400, _error(400, "Bad Request: message is too long")
    return 500, _error(500, "Internal Server Error")


def _decode(name: str, value: str) -> Any:
    if name in _TEXT_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the bot opens many pooled connections at once


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_fake: FakeTelegram

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the access log
        pass

    def _still_connected(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return True
            return self.connection.recv(1, socket.MSG_PEEK) != b""
        except OSError:
            return False

    def _params(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + raw
            )
            params: dict[str, Any] = {}
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if part.get_filename():
                    params[name] = payload
                else:
                    params[name] = _decode(name, payload.decode("utf-8"))
            return params
        if ctype.startswith("application/json"):
            return json.loads(raw or b"{}")
        return {k: _decode(k, v[0]) for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}

    def do_POST(self) -> None:
        fake = self.server_fake
        params = self._params()
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path)
        if match is None or match.group(1) != fake.token:
            self._answer(401, _error(401, "Unauthorized"))
            return
        status, body = fake.handle(match.group(2), params, self._still_connected)
        if status == 499:
            self.close_connection = True
            return
        self._answer(status, body)

    do_GET = do_POST

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True
