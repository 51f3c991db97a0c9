"""The fake Bot API of tests/fake_telegram.py, extended for the chaos suite (bench/chaos.py).

Three things the chaos probes need that the plain fake does not do:

* **who sent it**: several tokens are accepted, one per worker process, and every send attempt is
  logged with the token's index, so a duplicate can be traced to the worker that was killed;
* **outages**: ``go_down()`` closes the listening socket and every open keep-alive connection, so
  the bot sees "connection refused" exactly as when the Bot API is unreachable; ``come_back()``
  listens again on the same port;
* **storms**: ``storm(kind, seconds)`` answers every send with 429 (``retry_after``) or 500 for a
  stretch of wall-clock time, whatever worker asks.

Edits (editMessageText, issue 12) are logged too, apart: ``delivered()`` counts new messages only,
so an alert edited as outlets join is never mistaken for a duplicate; ``edited()`` lists the edits.

Nothing of the base fake's behaviour changes; this is a subclass.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.fake_telegram import Fault, FakeTelegram, _error, _Handler, _Server

_local = threading.local()


@dataclass(frozen=True)
class Attempt:
    """One send the fake answered: which worker (token index), to whom, what, when, how."""

    worker: int
    chat_id: int
    text: str
    status: int
    at: float  # time.monotonic() when the fake decided the answer (system-wide clock)
    method: str = "sendMessage"  # or "editMessageText" (message_id is then the edited message)
    silent: bool = False  # disable_notification
    reply_to: int | None = None  # reply_parameters.message_id asked for
    message_id: int | None = None


class _QuietServer(_Server):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client killed with -9 resets its connections: expected here, not worth a traceback."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class RecordingTelegram(FakeTelegram):
    def __init__(self, tokens: list[str]) -> None:
        super().__init__(token=tokens[0])
        self.tokens = list(tokens)
        self.log: list[Attempt] = []
        self._storm: tuple[str, float, int] | None = None  # kind, until (monotonic), retry_after
        self._port = 0
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.down = False

    # --- lifecycle: the same port across outages -----------------------------------------------

    def start(self) -> "RecordingTelegram":
        fake = self

        class Handler(_Handler):
            server_fake = fake

            def setup(self) -> None:
                super().setup()
                with fake._open_lock:
                    fake._open.add(self.connection)

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    with fake._open_lock:
                        fake._open.discard(self.connection)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                match = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path)
                token = match.group(1) if match else None
                if token not in fake.tokens:
                    return super().do_POST()  # answers 401 as the base fake does
                _local.worker = fake.tokens.index(token)
                params = self._params()
                status, body = fake.handle(match.group(2), params, self._still_connected)
                if status == 499:
                    self.close_connection = True
                    return
                self._answer(status, body)

            do_GET = do_POST

        self._handler = Handler
        self._listen()
        return self

    def _listen(self) -> None:
        server = _QuietServer(("127.0.0.1", self._port), self._handler)
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-telegram", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._port

    def go_down(self) -> None:
        """The Bot API becomes unreachable: nothing listens, open connections are reset."""
        with self.cond:
            self.down = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def come_back(self) -> None:
        """The Bot API is back, on the same address."""
        for _ in range(50):  # the port can take a moment to be free again
            try:
                self._listen()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"could not listen on 127.0.0.1:{self._port} again")
        with self.cond:
            self.down = False

    def stop(self) -> None:
        super().stop()
        self._server = None  # go_down/come_back test it: stopped means nothing listens

    # --- storms ---------------------------------------------------------------------------------

    def storm(self, kind: str, seconds: float, retry_after: int = 1) -> None:
        """Answer every send with ``kind`` ("429" or "500") for the next ``seconds``."""
        with self.cond:
            self._storm = (kind, time.monotonic() + seconds, retry_after)

    def storming(self) -> bool:
        with self.cond:
            return self._storm is not None and time.monotonic() < self._storm[1]

    def _send_locked(self, method: str, params: dict, chat_id: Any, fault: Fault | None) -> tuple[int, dict]:
        storm = self._storm
        if storm is not None and time.monotonic() < storm[1] and fault is None:
            kind, _, retry_after = storm
            if kind == "429":
                status, body = 429, _error(429, f"Too Many Requests: retry after {retry_after}",
                                           {"retry_after": retry_after})
            else:
                status, body = 500, _error(500, "Internal Server Error")
        else:
            status, body = super()._send_locked(method, params, chat_id, fault)
        text = params.get("text") if method == "sendMessage" else params.get("caption", "")
        reply = params.get("reply_parameters")
        self.log.append(Attempt(getattr(_local, "worker", 0), int(chat_id), str(text or ""), status,
                                time.monotonic(), method, bool(params.get("disable_notification")),
                                reply.get("message_id") if isinstance(reply, dict) else None,
                                (body.get("result") or {}).get("message_id") if status == 200 else None))
        return status, body

    def _edit(self, params: dict) -> tuple[int, dict]:
        status, body = super()._edit(params)
        self.log.append(Attempt(getattr(_local, "worker", 0), int(params.get("chat_id") or 0),
                                str(params.get("text") or ""), status, time.monotonic(), "editMessageText",
                                message_id=int(params["message_id"])))
        return status, body

    # --- reading the log --------------------------------------------------------------------------

    def delivered(self) -> list[Attempt]:
        """Sends that got through (HTTP 200), in order; edits are not new messages."""
        with self.cond:
            return [a for a in self.log if a.status == 200 and a.method != "editMessageText"]

    def edited(self) -> list[Attempt]:
        """Edits that changed a message (HTTP 200), in order."""
        with self.cond:
            return [a for a in self.log if a.status == 200 and a.method == "editMessageText"]
