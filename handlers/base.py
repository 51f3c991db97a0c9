"""What every command handler takes and returns, with no platform in it.

A handler gets a ``Caller`` (who, where, in which language, and the tier the router established
from the command registry: handlers never ask the platform who is an admin) and returns a ``Reply``: rich text as spans, buttons as (label, callback data). Each
transport renders and escapes a Reply itself, so Telegram and Discord share the handlers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Awaitable, Callable, Literal

ChatKind = Literal["private", "group", "supergroup", "channel"]
Style = Literal["plain", "bold", "italic", "code", "link"]

AdminCheck = Callable[["Caller"], Awaitable[bool]]


async def _never(_: "Caller") -> bool:
    return False


@dataclass(frozen=True)
class Caller:
    """The person behind a command and the chat it came from.

    ``is_owner`` comes from the config's owner ids; group administrators are resolved lazily
    through ``admin_check`` because asking the platform costs a request.
    """

    user_id: int | None
    chat: str  # address, e.g. "telegram:-1001234"
    chat_type: ChatKind
    language: str = "ar"
    thread_id: str | None = None
    user_name: str | None = None
    chat_title: str | None = None
    is_owner: bool = False
    admin_check: AdminCheck = field(default=_never, repr=False, compare=False)
    # Whose watchlists this chat sees and edits: the chat itself, or (Discord) its server
    # ("discord-guild:ID"). None means the chat's own address.
    scope: str | None = None
    # What the router established before the handler ran (handlers.registry.Tier as an int).
    tier: int = 0

    @property
    def platform(self) -> str:
        return self.chat.split(":", 1)[0]

    @property
    def home(self) -> str:
        """The scope that owns this chat's watchlists."""
        return self.scope or self.chat

    @property
    def is_group(self) -> bool:
        return self.chat_type in ("group", "supergroup", "channel")

    @property
    def actor(self) -> str:
        """How edits are signed in the audit trail."""
        who = f"{self.platform}:user:{self.user_id}" if self.user_id is not None else f"{self.chat} (anonymous admin)"
        return f"{who} ({self.user_name})" if self.user_name else who


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = "plain"
    url: str | None = None


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # callback data; Telegram allows at most 64 bytes


@dataclass
class Reply:
    """A platform-neutral message. ``edit`` asks to replace the message a button was pressed on;
    ``notice`` is the short acknowledgement shown for a button press."""

    spans: list[Span] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    photo: bytes | None = None
    edit: bool = False
    notice: str | None = None

    # Builders return self so a reply reads top to bottom.
    def add(self, text: str, style: Style = "plain", url: str | None = None) -> "Reply":
        if text:
            self.spans.append(Span(text, style, url))
        return self

    def bold(self, text: str) -> "Reply":
        return self.add(text, "bold")

    def code(self, text: str) -> "Reply":
        return self.add(text, "code")

    def italic(self, text: str) -> "Reply":
        return self.add(text, "italic")

    def link(self, text: str, url: str) -> "Reply":
        return self.add(text, "link", url)

    def line(self, text: str = "", style: Style = "plain") -> "Reply":
        """Text followed by a line break."""
        self.add(text, style)
        return self.add("\n")

    def button_row(self, *buttons: Button) -> "Reply":
        if buttons:
            self.buttons.append(list(buttons))
        return self

    def plain(self) -> str:
        """The visible text, for tests, logs and platforms without markup."""
        return "".join(s.text for s in self.spans)


def text(message: str) -> Reply:
    return Reply().add(message)
