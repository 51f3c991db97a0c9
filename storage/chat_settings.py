"""A chat's delivery settings (issue 12): its time zone, quiet hours, summary length, and per
subscription how alerts arrive (instant, hourly or daily digest) and which reports alert.

Reads never create a chat (an unknown chat has the defaults); writes create its row the way
``storage.chats.ensure_chat`` does, and every change is audited with who made it, in the caller's
transaction, so a setting exists exactly when its audit row does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import audit
from storage import chats as chat_store
from storage.models import Chat, Subscription, Watchlist

QUIET_MODES = ("silent", "hold")
SUMMARY_LENGTHS = ("short", "normal")
MODES = ("instant", "hourly", "daily")
REPORTS = ("story", "every")
DEFAULT_DIGEST_AT = 8 * 60  # a daily digest without a time comes at 08:00 in the chat's zone
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class ChatSettings:
    """What the chat chose; ``timezone`` None means the configured zone."""

    timezone: str | None = None
    quiet_start: int | None = None  # minutes after midnight in the chat's zone
    quiet_end: int | None = None
    quiet_mode: str = "silent"
    summary_length: str = "normal"

    @property
    def has_quiet(self) -> bool:
        return self.quiet_start is not None and self.quiet_end is not None


@dataclass(frozen=True)
class SubscriptionSettings:
    """One subscription's delivery: ``digest_at`` is already defaulted (08:00) for a daily one."""

    watchlist_id: int
    mode: str = "instant"
    digest_at: int = DEFAULT_DIGEST_AT
    reports: str = "story"


def _chat(session: Session, address: str) -> Chat | None:
    return session.scalar(select(Chat).where(Chat.address == chat_store.resolve_address(session, address)))


def _settings(chat: Chat | None) -> ChatSettings:
    if chat is None:
        return ChatSettings()
    return ChatSettings(chat.timezone, chat.quiet_start, chat.quiet_end, chat.quiet_mode or "silent",
                        chat.summary_length or "normal")


def get(session: Session, address: str) -> ChatSettings:
    """The chat's settings; the defaults for a chat never seen."""
    return _settings(_chat(session, address))


def get_by_id(session: Session, chat_id: int) -> ChatSettings:
    """The same, by the chat's row id (what the outbox holds)."""
    return _settings(session.get(Chat, chat_id))


def _sub_settings(sub: Subscription) -> SubscriptionSettings:
    return SubscriptionSettings(sub.watchlist_id, sub.mode or "instant",
                                DEFAULT_DIGEST_AT if sub.digest_at is None else sub.digest_at, sub.reports or "story")


def subscriptions(session: Session, address: str) -> dict[int, SubscriptionSettings]:
    """watchlist id → delivery settings of each of the chat's subscriptions to a live watchlist."""
    q = (
        select(Subscription)
        .join(Chat, Chat.id == Subscription.chat_id)
        .join(Watchlist, Watchlist.id == Subscription.watchlist_id)
        .where(Chat.address == chat_store.resolve_address(session, address), Watchlist.deleted.is_(False))
    )
    return {sub.watchlist_id: _sub_settings(sub) for sub in session.scalars(q)}


def _describe_quiet(s: ChatSettings) -> str:
    if not s.has_quiet:
        return "off"
    return f"{s.quiet_start}-{s.quiet_end} {s.quiet_mode}"


def _record(session: Session, address: str, what: str, before: str, after: str, actor: str, now: datetime) -> None:
    if before != after:
        audit.record(session, "setting", f"{address} {what}", "set", actor, address, now, before=before, after=after)


def set_timezone(session: Session, address: str, zone: str | None, *, actor: str, now: datetime) -> ChatSettings:
    """Set (or with None, reset to the configured one) the chat's IANA zone. The name is the
    caller's to validate: storage keeps what it is given."""
    chat = chat_store.ensure_chat(session, address, now)
    before = chat.timezone or ""
    chat.timezone = zone
    _record(session, chat.address, "timezone", before, zone or "", actor, now)
    return _settings(chat)


def set_quiet(
    session: Session, address: str, start: int | None, end: int | None, mode: str | None = None, *,
    actor: str, now: datetime,
) -> ChatSettings:
    """Quiet hours from ``start`` to ``end`` (minutes after midnight; the window may wrap
    midnight), or none when both are None; ``mode`` None keeps the chat's mode."""
    if (start is None) != (end is None):
        raise ValueError("quiet hours need both ends, or neither")
    for minute in (start, end):
        if minute is not None and not 0 <= minute < MINUTES_PER_DAY:
            raise ValueError(f"not a minute of the day: {minute}")
    if start is not None and start == end:
        raise ValueError("an empty quiet window")
    if mode is not None and mode not in QUIET_MODES:
        raise ValueError(f"unknown quiet mode {mode!r}")
    chat = chat_store.ensure_chat(session, address, now)
    before = _describe_quiet(_settings(chat))
    chat.quiet_start, chat.quiet_end = start, end
    if mode is not None:
        chat.quiet_mode = mode
    after = _settings(chat)
    _record(session, chat.address, "quiet", before, _describe_quiet(after), actor, now)
    return after


def set_summary_length(session: Session, address: str, length: str, *, actor: str, now: datetime) -> ChatSettings:
    if length not in SUMMARY_LENGTHS:
        raise ValueError(f"unknown summary length {length!r}")
    chat = chat_store.ensure_chat(session, address, now)
    before = chat.summary_length or "normal"
    chat.summary_length = length
    _record(session, chat.address, "summary", before, length, actor, now)
    return _settings(chat)


def _subscription(session: Session, address: str, watchlist_id: int) -> Subscription | None:
    return session.scalar(
        select(Subscription)
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(Chat.address == chat_store.resolve_address(session, address), Subscription.watchlist_id == watchlist_id)
    )


def set_mode(
    session: Session, address: str, watchlist_id: int, mode: str, digest_at: int | None = None, *,
    actor: str, now: datetime,
) -> SubscriptionSettings | None:
    """Instant alerts, or an hourly or daily digest (``digest_at`` minutes after midnight in the
    chat's zone; None for a daily one means 08:00). None when the chat does not follow the topic."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    if digest_at is not None and not 0 <= digest_at < MINUTES_PER_DAY:
        raise ValueError(f"not a minute of the day: {digest_at}")
    sub = _subscription(session, address, watchlist_id)
    if sub is None:
        return None
    before = _sub_settings(sub)
    sub.mode = mode
    if mode == "daily":
        sub.digest_at = DEFAULT_DIGEST_AT if digest_at is None else digest_at
    after = _sub_settings(sub)
    describe = lambda s: f"{s.mode} {s.digest_at}" if s.mode == "daily" else s.mode  # noqa: E731
    _record(session, address, f"mode #{watchlist_id}", describe(before), describe(after), actor, now)
    return after


def set_reports(
    session: Session, address: str, watchlist_id: int, reports: str, *, actor: str, now: datetime,
) -> SubscriptionSettings | None:
    """One alert per story ("story") or one per report ("every"); None when not subscribed."""
    if reports not in REPORTS:
        raise ValueError(f"unknown reports mode {reports!r}")
    sub = _subscription(session, address, watchlist_id)
    if sub is None:
        return None
    before = sub.reports or "story"
    sub.reports = reports
    _record(session, address, f"reports #{watchlist_id}", before, reports, actor, now)
    return _sub_settings(sub)
