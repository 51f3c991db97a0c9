"""A fake Discord gateway (v10) on 127.0.0.1: the websocket discord.py's ``Client.connect`` holds.

It sits beside ``tests/fake_discord.py`` (the REST API, which hands out this gateway's URL from
``GET /gateway/bot``) and speaks just enough of the protocol for a bot with no guilds: HELLO on
connect, READY after an IDENTIFY carrying the right token (close code 4004 otherwise, as Discord
does), a HEARTBEAT_ACK for every heartbeat, and dispatches pushed by tests (INTERACTION_CREATE).
Frames are JSON text: discord.py asks for zlib-stream in the query but reads text frames as they are.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Callable

from aiohttp import WSMsgType, web

from tests.fake_discord import APP_ID, BOT_ID, TOKEN, _user

HELLO, IDENTIFY, HEARTBEAT, HEARTBEAT_ACK, DISPATCH = 10, 2, 1, 11, 0
AUTHENTICATION_FAILED = 4004


class FakeGateway:
    def __init__(self, token: str = TOKEN, heartbeat_interval_ms: int = 41_250) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.cond = threading.Condition()
        self.connects: list[dict[str, str]] = []  # the query string of each websocket connection
        self.identified: list[dict] = []  # IDENTIFY payloads ("d"), token included
        self.heartbeats = 0
        self.closed = 0  # connections that ended, either side
        self._sockets: list[web.WebSocketResponse] = []  # identified, READY sent
        self._seq = 1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> "FakeGateway":
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_get("/", self._socket)
            self._runner = web.AppRunner(app)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-discord-gateway", daemon=True)
        self._thread.start()
        started.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> "FakeGateway":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._port}"

    # --- test side -----------------------------------------------------------------------------

    def ready_sockets(self) -> int:
        with self.cond:
            return len(self._sockets)

    def until(self, predicate: Callable[["FakeGateway"], bool], timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.2))
        return True

    def dispatch(self, event: str, data: dict, timeout: float = 10.0) -> int:
        """Push one dispatch to every identified connection; returns how many received it."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(self._dispatch(event, data), self._loop).result(timeout)

    # --- server side ---------------------------------------------------------------------------

    def _ready(self, session: str) -> dict:
        return {
            "v": 10, "user": {**_user(BOT_ID, "raqib", bot=True), "verified": True, "mfa_enabled": False},
            "guilds": [], "session_id": session, "resume_gateway_url": self.url,
            "application": {"id": str(APP_ID), "flags": 0}, "private_channels": [], "relationships": [],
        }

    async def _dispatch(self, event: str, data: dict) -> int:
        with self.cond:
            sockets = list(self._sockets)
            self._seq += 1
            seq = self._seq
        for ws in sockets:
            await ws.send_str(json.dumps({"op": DISPATCH, "s": seq, "t": event, "d": data}))
        return len(sockets)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self.cond:
            self.connects.append(dict(request.query))
            self.cond.notify_all()
        await ws.send_str(json.dumps({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                await self._received(ws, json.loads(msg.data))
        finally:
            with self.cond:
                if ws in self._sockets:
                    self._sockets.remove(ws)
                self.closed += 1
                self.cond.notify_all()
        return ws

    async def _received(self, ws: web.WebSocketResponse, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        if op == HEARTBEAT:
            with self.cond:
                self.heartbeats += 1
                self.cond.notify_all()
            await ws.send_str(json.dumps({"op": HEARTBEAT_ACK}))
        elif op == IDENTIFY:
            data = msg.get("d") or {}
            with self.cond:
                self.identified.append(data)
                self.cond.notify_all()
            if data.get("token") != self.token:
                await ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
                return
            with self.cond:
                session = f"session-{len(self.identified)}"
                self._seq = 1
            await ws.send_str(json.dumps({"op": DISPATCH, "s": 1, "t": "READY", "d": self._ready(session)}))
            with self.cond:
                self._sockets.append(ws)
                self.cond.notify_all()
