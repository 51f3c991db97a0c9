"""What every transport promises, and the failures the outbox knows how to handle."""

from __future__ import annotations

from typing import Awaitable, Callable, Protocol, Sequence, TypeVar

from bot.delivery.alerts import Alert

P = TypeVar("P")


class DeliveryError(Exception):
    """A send that did not happen; the subclass tells the outbox what to do next."""


class RetryLater(DeliveryError):
    """Transient (5xx, timeout, network): retry with backoff, counting an attempt."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FloodWait(RetryLater):
    """The platform asked us to slow down: wait retry_after, without using up an attempt."""


class ChatGone(DeliveryError):
    """Blocked, kicked, deleted: the chat is marked inactive and its backlog dropped."""


class ChatMoved(DeliveryError):
    """The chat has a new address (a Telegram group migrated to a supergroup)."""

    def __init__(self, message: str, new_address: str) -> None:
        super().__init__(message)
        self.new_address = new_address


class Undeliverable(DeliveryError):
    """This message can never be sent (rejected content): give up on it, keep the chat."""


class Transport(Protocol):
    platform: str
    concurrency: int

    async def send(self, alert: Alert) -> str:
        """Deliver the alert (any kind but EDIT: silent when ``alert.silent``, a reply to
        ``alert.reply_to`` when set, a list for DIGEST/ARCHIVE); return the platform's message id."""
        ...

    async def edit(self, alert: Alert) -> str:
        """Re-draw the message ``alert.edit_of`` (an EDIT: the chat's alert with the outlets that
        carry the story now); return its message id. "Not modified" is success; a message that is
        gone raises ``Undeliverable``."""
        ...


class SentParts:
    """Which parts of a multi-message alert (a long digest or archive) went out, in memory: the
    outbox's retry from this process sends only the rest. A restart forgets it, and the whole list
    goes again: a repeated part, never a lost one."""

    def __init__(self, cap: int = 1000) -> None:
        self._sent: dict[tuple, tuple[str, int]] = {}  # alert → (first message id, parts sent)
        self._cap = cap

    async def send(self, alert: Alert, parts: Sequence[P], send_one: Callable[[int, P], Awaitable[str]]) -> str:
        """Send ``parts`` from the first one not yet sent; ``send_one(n, part)`` gets how many parts
        this call already sent (0 for the first: pacing between parts is the caller's). Returns the
        first part's message id."""
        if len(self._sent) > self._cap:
            self._sent.clear()
        key = (alert.chat, alert.kind, alert.story_id, alert.period, len(alert.items))
        first, done = self._sent.get(key, (None, 0))
        for i, part in enumerate(parts[done:], start=done):
            message_id = await send_one(i - done, part)
            first = first or message_id
            if i + 1 < len(parts):
                self._sent[key] = (first, i + 1)
        self._sent.pop(key, None)
        assert first is not None
        return first
