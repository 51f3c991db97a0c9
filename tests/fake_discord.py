"""A fake Discord REST API on 127.0.0.1, speaking the real HTTP protocol (API v10).

discord.py is pointed at it through ``discord.http.Route.BASE`` (raqib's ``[discord] api_base``),
and raqib's webhook transport through the same setting. ``GET /gateway`` and ``/gateway/bot``
answer ``gateway_url`` (``tests/fake_discord_gateway.py``, for tests that run the real connection);
other tests hand interaction payloads to discord.py's own ``parse_interaction_create``, exactly
what the gateway reader does, and everything discord.py answers comes back here over HTTP.

What it checks like Discord does: the ``Bot`` token on bot routes, the webhook token on webhook
routes, embed limits (title 256, description 4,096, field 256/1,024, footer 2,048, 6,000 in all,
answering 400 code 50035 otherwise). Faults (429 with ``retry_after``, global or not, 404 unknown
webhook or channel, 403 missing access, 5xx) are queued per route by tests.

Messages are kept, as Discord keeps them: ``PATCH /channels/C/messages/M`` and
``PATCH /webhooks/W/T/messages/M`` edit one (404 code 10008 Unknown Message when it is not there,
or not that channel's or webhook's), a ``message_reference`` to a message that is not there fails
(400 code 50035) unless ``fail_if_not_exists`` is false, and ``flags`` (4096: silent) are kept.
"""

from __future__ import annotations

import asyncio
import email.parser
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

TOKEN = "MTA.fake.discord-token"
APP_ID = 900000000000000001
BOT_ID = 900000000000000002
GUILD_ID = 700000000000000001
_ids = itertools.count(1_100_000_000_000_000_000)


def snowflake() -> int:
    return next(_ids)


@dataclass
class Posted:
    """A message Discord accepted: where it went and what it held."""

    route: str  # "channel", "webhook", "followup", "callback", "edit", "dm"
    target: str  # channel id, webhook id, interaction id or token
    payload: dict
    params: dict = field(default_factory=dict)
    files: int = 0
    message_id: int = 0

    @property
    def flags(self) -> int:
        return int(self.payload.get("flags") or 0)

    @property
    def silent(self) -> bool:
        return bool(self.flags & 4096)

    @property
    def reply_to(self) -> int | None:
        """The message this one replies to (its message_reference), when Discord kept it."""
        ref = self.payload.get("message_reference") or {}
        return int(ref["message_id"]) if ref.get("message_id") and ref.get("_found", True) else None

    @property
    def embeds(self) -> list[dict]:
        data = self.payload.get("data", self.payload) if self.route == "callback" else self.payload
        return data.get("embeds") or []

    @property
    def content(self) -> str:
        data = self.payload.get("data", self.payload) if self.route == "callback" else self.payload
        return data.get("content") or ""

    @property
    def components(self) -> list[dict]:
        data = self.payload.get("data", self.payload) if self.route == "callback" else self.payload
        return data.get("components") or []

    def custom_ids(self) -> list[tuple[str, str]]:
        return [(c.get("label", ""), c["custom_id"]) for row in self.components for c in row.get("components", [])]


@dataclass
class Fault:
    route: str  # a regex matched against "METHOD /path"
    status: int
    body: dict
    times: int = 1


def embed_errors(embed: dict) -> list[str]:
    """What Discord would refuse in an embed."""
    errors = []
    title, description = embed.get("title") or "", embed.get("description") or ""
    footer = (embed.get("footer") or {}).get("text") or ""
    author = (embed.get("author") or {}).get("name") or ""
    if len(title) > 256:
        errors.append("title")
    if len(description) > 4096:
        errors.append("description")
    if len(footer) > 2048:
        errors.append("footer")
    total = len(title) + len(description) + len(footer) + len(author)
    for f in embed.get("fields") or []:
        if not f.get("name") or len(f["name"]) > 256:
            errors.append("field name")
        if not f.get("value") or len(f["value"]) > 1024:
            errors.append("field value")
        total += len(f.get("name") or "") + len(f.get("value") or "")
    if total > 6000:
        errors.append("total")
    if embed.get("url") and not re.match(r"^https?://", embed["url"]):
        errors.append("url")
    return errors


class FakeDiscord:
    def __init__(self, token: str = TOKEN, global_limit: int | None = None) -> None:
        self.token = token
        self.global_limit = global_limit  # requests per trailing second before a global 429
        self.stamps: list[float] = []  # monotonic time of every request
        self.rejected_429 = 0
        self.cond = threading.Condition()
        self.posted: list[Posted] = []
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status) of every request
        self.faults: list[Fault] = []
        self.webhooks: dict[str, str] = {}  # id → token
        self.channels: dict[int, dict] = {}
        self.gone_channels: set[int] = set()
        self.forbidden_channels: set[int] = set()
        self.commands: list[dict] = []
        self.messages: dict[int, dict] = {}  # message id → {"channel", "webhook", "payload", "edits"}
        self.gateway_url = "ws://127.0.0.1:9"  # tests with a gateway: FakeGateway.url
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> "FakeDiscord":
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-discord", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeDiscord":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v10"

    # --- test side -----------------------------------------------------------------------------

    def add_webhook(self, channel_id: int | None = None) -> tuple[str, str]:
        """A webhook Discord knows; returns (id, url)."""
        ident, token = str(snowflake()), f"wh-{snowflake()}-SECRETtoken_abcdefghij"
        with self.cond:
            self.webhooks[ident] = token
        return ident, f"https://discord.com/api/webhooks/{ident}/{token}"

    def fail(self, route: str, status: int, body: dict | None = None, times: int = 1) -> None:
        with self.cond:
            self.faults.append(Fault(route, status, body or {}, times))

    def sent(self, route: str | None = None) -> list[Posted]:
        with self.cond:
            return [p for p in self.posted if route is None or p.route == route]

    def message(self, message_id: int | str) -> dict:
        """A message as Discord holds it now (after its edits): channel, webhook, payload, edits."""
        with self.cond:
            return self.messages[int(message_id)]

    def delete_message(self, message_id: int | str) -> None:
        """Someone deletes a message: edits and replies find nothing."""
        with self.cond:
            self.messages.pop(int(message_id), None)

    def alerts(self) -> list[Posted]:
        """Messages holding an embed posted by the bot in channels or through webhooks."""
        return [p for p in self.sent() if p.route in ("channel", "webhook") and p.embeds]

    async def until(self, predicate: Callable[["FakeDiscord"], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            await asyncio.sleep(0.01)
        return predicate(self)

    def interaction(self, name: str, args: str | None = None, *, user_id: int = 501, channel_id: int = 600,
                    channel_type: int = 0, parent_id: int | None = None, manage_guild: bool = False,
                    guild: bool = True, locale: str = "ar", options: list[dict] | None = None,
                    kind: int = 2) -> dict:
        """A slash-command INTERACTION_CREATE payload as the gateway delivers it: ``options`` as
        Discord sends them (named, nested under a subcommand), or one free-text ``args`` option;
        ``kind`` 4 makes it an autocomplete request (mark the option typed in with "focused")."""
        data: dict[str, Any] = {"id": str(snowflake()), "name": name, "type": 1}
        if options is not None:
            data["options"] = options
        elif args is not None:
            data["options"] = [{"name": "args", "type": 3, "value": args}]
        return self._interaction(kind, data, user_id, channel_id, channel_type, parent_id, manage_guild, guild,
                                 locale)

    def press(self, custom_id: str, message_id: int, *, user_id: int = 501, channel_id: int = 600,
              manage_guild: bool = False, guild: bool = True, locale: str = "ar") -> dict:
        """A button press (component interaction) on a message the bot sent."""
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self._interaction(3, data, user_id, channel_id, 0, None, manage_guild, guild, locale)
        payload["message"] = _message(message_id, channel_id, {"content": "board"})
        return payload

    def _interaction(self, kind: int, data: dict, user_id: int, channel_id: int, channel_type: int,
                     parent_id: int | None, manage_guild: bool, guild: bool, locale: str) -> dict:
        user = {"id": str(user_id), "username": f"user{user_id}", "discriminator": "0", "global_name": None,
                "avatar": None}
        permissions = str((1 << 5) | (1 << 11) if manage_guild else (1 << 11))  # MANAGE_GUILD, SEND_MESSAGES
        channel: dict[str, Any] = {"id": str(channel_id), "type": channel_type, "name": f"chan-{channel_id}",
                                   "position": 0, "permission_overwrites": [], "nsfw": False, "topic": None,
                                   "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}
        if guild:
            channel["guild_id"] = str(GUILD_ID)
        else:  # a direct message
            channel = {"id": str(channel_id), "type": 1, "recipients": [user], "last_message_id": None, "flags": 0}
        if parent_id is not None:
            channel["parent_id"] = str(parent_id)
            channel.update(owner_id=str(user_id), member_count=1, message_count=1, total_message_sent=1)
            channel["thread_metadata"] = {"archived": False, "auto_archive_duration": 1440,
                                          "archive_timestamp": _now(), "locked": False}
        payload: dict[str, Any] = {
            "id": str(snowflake()), "application_id": str(APP_ID), "type": kind, "data": data,
            "token": f"itok-{snowflake()}", "version": 1, "locale": locale,
            "channel": channel, "attachment_size_limit": 8_000_000, "app_permissions": "0",
            "entitlements": [], "authorizing_integration_owners": {}, "context": 0 if guild else 1,
        }
        if guild:
            payload["guild_id"] = str(GUILD_ID)
            payload["guild_locale"] = "ar"
            payload["member"] = {"user": user, "roles": [], "joined_at": _now(), "deaf": False, "mute": False,
                                 "flags": 0, "permissions": permissions, "nick": None}
        else:
            payload["user"] = user
        return payload

    # --- server side ---------------------------------------------------------------------------

    def _fault(self, method: str, path: str) -> Fault | None:
        key = f"{method} {path}"
        with self.cond:
            for fault in self.faults:
                if fault.times > 0 and re.search(fault.route, key):
                    fault.times -= 1
                    return fault
        return None

    def handle(self, method: str, path: str, query: dict, headers: dict, payload: dict, files: int
               ) -> tuple[int, Any]:
        if not path.startswith("/api/v10/"):
            return 404, {"message": "404: Not Found", "code": 0}
        route = path[len("/api/v10"):]
        if self.global_limit is not None:
            now = time.monotonic()
            with self.cond:
                recent = sum(1 for t in self.stamps[-self.global_limit - 1:] if t > now - 1.0)
                self.stamps.append(now)
                if recent >= self.global_limit:
                    self.rejected_429 += 1
                    return 429, {"message": "You are being rate limited.", "retry_after": 1.0, "global": True}
        else:
            with self.cond:
                self.stamps.append(time.monotonic())
        fault = self._fault(method, route)
        if fault is not None:
            return fault.status, fault.body
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)/messages/(\d+)", route)
        if m:
            return self._webhook_edit(method, m.group(1), m.group(2), int(m.group(3)), payload)
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)(/messages/@original)?", route)
        if m:
            return self._webhook(method, m.group(1), m.group(2), bool(m.group(3)), query, payload, files)
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", route)
        if m:
            return self._callback(m.group(1), payload, files)
        if method == "GET" and route == "/gateway":  # no token needed, as on Discord
            return 200, {"url": self.gateway_url}
        if headers.get("authorization") != f"Bot {self.token}":
            return 401, {"message": "401: Unauthorized", "code": 0}
        if method == "GET" and route == "/gateway/bot":
            return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}
        if method == "GET" and route == "/users/@me":
            return 200, _user(BOT_ID, "raqib", bot=True)
        if method == "GET" and route == "/oauth2/applications/@me":
            return 200, {"id": str(APP_ID), "name": "raqib", "description": "", "icon": None,
                         "bot_public": True, "bot_require_code_grant": False, "verify_key": "00",
                         "owner": _user(42, "owner"), "flags": 0}
        m = re.fullmatch(r"/applications/(\d+)/commands", route)
        if m and method == "PUT":
            with self.cond:
                self.commands = [dict(c, id=str(snowflake()), application_id=str(APP_ID), version="1",
                                      type=c.get("type", 1)) for c in payload.get("_list", [])]
                return 200, self.commands
        if method == "POST" and route == "/users/@me/channels":
            dm = {"id": str(snowflake()), "type": 1, "recipients": [_user(int(payload["recipient_id"]), "owner")],
                  "last_message_id": None}
            with self.cond:
                self.channels[int(dm["id"])] = {"dm_of": int(payload["recipient_id"])}
            return 200, dm
        m = re.fullmatch(r"/channels/(\d+)/messages", route)
        if m and method == "POST":
            channel_id = int(m.group(1))
            if channel_id in self.gone_channels:
                return 404, {"message": "Unknown Channel", "code": 10003}
            if channel_id in self.forbidden_channels:
                return 403, {"message": "Missing Access", "code": 50001}
            invalid = self._invalid(payload) or self._bad_reference(payload, channel_id)
            if invalid:
                return 400, invalid
            kind = "dm" if "dm_of" in self.channels.get(channel_id, {}) else "channel"
            return 200, self._post(kind, str(channel_id), payload, query, files, channel_id)
        m = re.fullmatch(r"/channels/(\d+)/messages/(\d+)", route)
        if m and method == "PATCH":
            channel_id, message_id = int(m.group(1)), int(m.group(2))
            if channel_id in self.gone_channels:
                return 404, {"message": "Unknown Channel", "code": 10003}
            with self.cond:
                known = self.messages.get(message_id)
            if known is None or known["channel"] != channel_id or known["webhook"] is not None:
                return 404, {"message": "Unknown Message", "code": 10008}
            invalid = self._invalid(payload)
            if invalid:
                return 400, invalid
            return 200, self._edit("message_edit", str(channel_id), message_id, payload)
        return 404, {"message": "404: Not Found", "code": 0}

    def _bad_reference(self, payload: dict, channel_id: int) -> dict | None:
        """A reply to a message that is not there: refused, unless fail_if_not_exists is false (then
        Discord sends it as a plain message, which the recorded payload says with ``_found``)."""
        ref = payload.get("message_reference")
        if not ref:
            return None
        with self.cond:
            known = self.messages.get(int(ref.get("message_id") or 0))
        found = known is not None and known["channel"] == int(ref.get("channel_id") or channel_id)
        if found:
            return None
        if ref.get("fail_if_not_exists", True):
            return {"message": "Invalid Form Body", "code": 50035,
                    "errors": {"message_reference": "Unknown message"}}
        ref["_found"] = False
        return None

    def _edit(self, kind: str, target: str, message_id: int, payload: dict) -> dict:
        with self.cond:
            known = self.messages[message_id]
            known["payload"] = {**known["payload"], **payload}
            known["edits"] += 1
            self.posted.append(Posted(kind, target, payload, {}, 0, message_id))
            self.cond.notify_all()
            channel_id = known["channel"]
            merged = dict(known["payload"])
        message = _message(message_id, channel_id, merged)
        message["edited_timestamp"] = _now()
        return message

    def _webhook_edit(self, method: str, ident: str, token: str, message_id: int, payload: dict
                      ) -> tuple[int, Any]:
        known_token = self.webhooks.get(ident)
        if known_token is None:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        if known_token != token:
            return 401, {"message": "Invalid Webhook Token", "code": 50027}
        if method != "PATCH":
            return 405, {"message": "405: Method Not Allowed", "code": 0}
        with self.cond:
            known = self.messages.get(message_id)
        if known is None or known["webhook"] != ident:
            return 404, {"message": "Unknown Message", "code": 10008}
        invalid = self._invalid(payload)
        if invalid:
            return 400, invalid
        return 200, self._edit("webhook_edit", ident, message_id, payload)

    def _invalid(self, payload: dict) -> dict | None:
        for embed in payload.get("embeds") or []:
            errors = embed_errors(embed)
            if errors:
                return {"message": "Invalid Form Body", "code": 50035, "errors": errors}
        if len(payload.get("content") or "") > 2000:
            return {"message": "Invalid Form Body", "code": 50035, "errors": ["content"]}
        return None

    def _post(self, kind: str, target: str, payload: dict, query: dict, files: int, channel_id: int) -> dict:
        message_id = snowflake()
        with self.cond:
            self.posted.append(Posted(kind, target, payload, query, files, message_id))
            if kind in ("channel", "webhook", "dm"):
                self.messages[message_id] = {"channel": channel_id, "webhook": target if kind == "webhook" else None,
                                             "payload": dict(payload), "edits": 0}
            self.cond.notify_all()
        return _message(message_id, channel_id, payload)

    def _webhook(self, method: str, ident: str, token: str, original: bool, query: dict, payload: dict,
                 files: int) -> tuple[int, Any]:
        if ident == str(APP_ID):  # interaction follow-ups and edits ride on the application's webhook
            if method == "DELETE":
                with self.cond:
                    self.posted.append(Posted("delete", token, {}, query))
                    self.cond.notify_all()
                return 204, None
            kind = "edit" if original else "followup"
            invalid = self._invalid(payload.get("data", payload) if isinstance(payload, dict) else {})
            if invalid:
                return 400, invalid
            return 200, self._post(kind, token, payload, query, files, 600)
        known = self.webhooks.get(ident)
        if known is None:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        if known != token:
            return 401, {"message": "Invalid Webhook Token", "code": 50027}
        if method != "POST":
            return 405, {"message": "405: Method Not Allowed", "code": 0}
        invalid = self._invalid(payload)
        if invalid:
            return 400, invalid
        message = self._post("webhook", ident, payload, query, files, 650)
        if query.get("wait") != "true":
            return 204, None
        return 200, message

    def _callback(self, interaction_id: str, payload: dict, files: int) -> tuple[int, Any]:
        invalid = self._invalid(payload.get("data") or {})
        if invalid:
            return 400, invalid
        message_id = snowflake()
        with self.cond:
            self.posted.append(Posted("callback", interaction_id, payload, {}, files, message_id))
            self.cond.notify_all()
        return 200, {"interaction": {"id": interaction_id, "type": 2,
                                     "response_message_loading": payload.get("type") == 5},
                     "resource": {"type": payload.get("type")}}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _user(ident: int, name: str, bot: bool = False) -> dict:
    return {"id": str(ident), "username": name, "discriminator": "0", "global_name": None, "avatar": None,
            "bot": bot, "flags": 0}


def _message(message_id: int, channel_id: int, payload: dict) -> dict:
    return {
        "id": str(message_id), "channel_id": str(channel_id), "type": 0, "content": payload.get("content") or "",
        "author": _user(BOT_ID, "raqib", bot=True), "timestamp": _now(), "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": payload.get("embeds") or [], "pinned": False, "flags": int(payload.get("flags") or 0),
        "components": payload.get("components") or [],
    }


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeDiscord
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _serve(self, method: str) -> None:
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        payload, files = _body(self.headers.get("Content-Type") or "", raw)
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake = self.server_fake
        status, body = fake.handle(method, url.path, query, headers, payload, files)
        with fake.cond:
            fake.requests.append((method, url.path, status))
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        if status == 429:
            self.send_header("Via", "1.1 google")  # a Discord 429, not a Cloudflare ban
            self.send_header("Retry-After", str(int(body.get("retry_after", 1)) + 1))
            if body.get("global"):
                self.send_header("X-RateLimit-Global", "true")
            else:
                self.send_header("X-RateLimit-Scope", "user")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")


def _body(content_type: str, raw: bytes) -> tuple[dict, int]:
    """JSON, or multipart/form-data with a ``payload_json`` part and files."""
    if not raw:
        return {}, 0
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser().parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        payload, files = {}, 0
        for part in message.get_payload():  # type: ignore[union-attr]
            name = part.get_param("name", header="content-disposition")
            if name == "payload_json":
                payload = json.loads(part.get_payload(decode=True))
            elif part.get_filename():
                files += 1
        return payload, files
    try:
        data = json.loads(raw)
    except ValueError:
        return {}, 0
    return data if isinstance(data, dict) else {"_list": data}, 0
