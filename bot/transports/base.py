"""What every transport promises, and the failures the outbox knows how to handle."""

from __future__ import annotations

from typing import Protocol

from bot.alerts import Alert


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
        """Deliver the alert; return the platform's message id."""
        ...
