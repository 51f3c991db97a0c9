"""Console transport: alerts printed as readable text or as JSON lines, for the demo and tests."""

from __future__ import annotations

import itertools
import sys
from datetime import tzinfo
from typing import TextIO

from bot.alerts import Alert


class ConsoleTransport:
    platform = "console"
    concurrency = 1  # keeps the printed order equal to the outbox order

    def __init__(self, tz: tzinfo, fmt: str = "text", stream: TextIO | None = None) -> None:
        self._tz = tz
        self._fmt = fmt
        self._stream = stream
        self._ids = itertools.count(1)

    async def send(self, alert: Alert) -> str:
        stream = self._stream or sys.stdout
        stream.write((alert.to_json(self._tz) if self._fmt == "jsonl" else alert.to_text(self._tz)) + "\n")
        stream.flush()
        return f"console-{next(self._ids)}"
