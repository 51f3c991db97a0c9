"""Logging for the command line and ``raqib run``: readable lines or one JSON object per line.

``[logging] format = "json"`` writes ``{"time", "level", "logger", "message", …extra fields}``
per record, for a log collector; ``text`` writes one line for a person. In both, secrets are
masked before anything is written: the bot tokens and webhook secret from the environment, Bot
API URLs (they carry the token) and Discord webhook URLs (their last part is a secret).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import datetime, timezone
from typing import Any, Mapping, TextIO

SECRET_ENV = ("RAQIB_TELEGRAM_TOKEN", "RAQIB_DISCORD_TOKEN", "RAQIB_TELEGRAM_WEBHOOK_SECRET")
_PATTERNS = (
    re.compile(r"(/bot)\d+:[A-Za-z0-9_-]{20,}"),  # https://api.telegram.org/bot<TOKEN>/sendMessage
    re.compile(r"(/webhooks/\d+/)[A-Za-z0-9_.-]{20,}"),  # https://discord.com/api/webhooks/<ID>/<TOKEN>
    re.compile(r"(postgres(?:ql)?(?:\+\w+)?://[^:/@\s]+:)[^@\s]+(?=@)"),  # a database password
)
# What every LogRecord has; anything else was passed with ``extra=`` and goes into the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Redactor:
    """Masks the secrets this process knows of, wherever they appear in a line."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self._values = sorted({env[name] for name in SECRET_ENV if len(env.get(name, "")) >= 8}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, "<secret>")
        for pattern in _PATTERNS:
            text = pattern.sub(r"\1<secret>", text)
        return text


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, extra fields,
    and the traceback as ``exc`` when there is one."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self._redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, (int, float, bool, type(None))) else self._redact(str(value))
        if record.exc_info:
            out["exc"] = self._redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


def setup(fmt: str = "text", level: int | str = logging.WARNING, stream: TextIO | None = None,
          env: Mapping[str, str] | None = None, force: bool = False) -> logging.Handler | None:
    """Install (or replace) raqib's one handler on the root logger, writing ``fmt`` to ``stream``.

    Like ``logging.basicConfig``, it leaves alone a process whose logging someone else already set
    up (an embedding program, pytest's capture) unless ``force``; it never removes their handlers.
    Returns the handler installed, or None."""
    root = logging.getLogger()
    # httpx logs full request URLs at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    foreign = [h for h in root.handlers if not getattr(h, "_raqib", False)]
    if foreign and not force:
        return None
    for old in [h for h in root.handlers if getattr(h, "_raqib", False)]:
        root.removeHandler(old)
    redact = Redactor(env)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    handler._raqib = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler
