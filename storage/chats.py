"""Chats and their subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Chat, Subscription, Watchlist


@dataclass(frozen=True)
class SubscriptionRow:
    chat: str
    topic: str
    thread_id: str | None
    created_at: datetime
    active: bool


def ensure_chat(session: Session, address: str, now: datetime, title: str | None = None) -> Chat:
    chat = session.scalar(select(Chat).where(Chat.address == address))
    if chat is None:
        platform = address.split(":", 1)[0]
        chat = Chat(address=address, platform=platform, title=title, active=True, created_at=now)
        session.add(chat)
        session.flush()
    return chat


def subscribe(session: Session, address: str, watchlist_id: int, now: datetime, thread_id: str | None = None) -> bool:
    """Return False when the chat already had the subscription (nothing changes then)."""
    chat = ensure_chat(session, address, now)
    existing = session.scalar(
        select(Subscription).where(Subscription.chat_id == chat.id, Subscription.watchlist_id == watchlist_id)
    )
    if existing is not None:
        return False
    session.add(Subscription(chat_id=chat.id, watchlist_id=watchlist_id, thread_id=thread_id, created_at=now))
    return True


def unsubscribe(session: Session, address: str, watchlist_id: int) -> bool:
    sub = session.scalar(
        select(Subscription)
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(Chat.address == address, Subscription.watchlist_id == watchlist_id)
    )
    if sub is None:
        return False
    session.delete(sub)
    return True


def list_subscriptions(session: Session, address: str | None = None) -> list[SubscriptionRow]:
    q = (
        select(Chat.address, Watchlist.slug, Subscription.thread_id, Subscription.created_at, Chat.active)
        .join(Chat, Chat.id == Subscription.chat_id)
        .join(Watchlist, Watchlist.id == Subscription.watchlist_id)
        .where(Watchlist.deleted.is_(False))
        .order_by(Chat.address, Watchlist.slug)
    )
    if address is not None:
        q = q.where(Chat.address == address)
    return [SubscriptionRow(*row) for row in session.execute(q)]


def subscribers(session: Session, watchlist_ids: list[int]) -> list[tuple[int, int, str | None]]:
    """(chat_id, watchlist_id, thread_id) of active chats subscribed to any of the topics."""
    if not watchlist_ids:
        return []
    q = (
        select(Subscription.chat_id, Subscription.watchlist_id, Subscription.thread_id)
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(Subscription.watchlist_id.in_(watchlist_ids), Chat.active.is_(True))
        .order_by(Subscription.chat_id)
    )
    return [tuple(row) for row in session.execute(q)]  # type: ignore[misc]


def deactivate_chat(session: Session, chat_id: int, reason: str) -> None:
    chat = session.get(Chat, chat_id)
    if chat is not None:
        chat.active, chat.inactive_reason = False, reason


def move_chat(session: Session, chat_id: int, new_address: str) -> None:
    """A chat got a new id (Telegram group → supergroup): subscriptions and queue follow it."""
    from storage.models import Delivery  # local: only this rare path needs the outbox model

    chat = session.get(Chat, chat_id)
    if chat is None or chat.address == new_address:
        return  # several alerts of one batch may each report the same move
    target = session.scalar(select(Chat).where(Chat.address == new_address))
    if target is None:
        chat.address = new_address
        return
    have = set(session.scalars(select(Subscription.watchlist_id).where(Subscription.chat_id == target.id)))
    for sub in session.scalars(select(Subscription).where(Subscription.chat_id == chat.id)):
        if sub.watchlist_id not in have:
            sub.chat_id = target.id
    held = set(session.scalars(select(Delivery.story_id).where(Delivery.chat_id == target.id)))
    for row in session.scalars(select(Delivery).where(Delivery.chat_id == chat.id, Delivery.state.in_(["pending", "sending"]))):
        if row.story_id not in held:
            row.chat_id = target.id
    chat.active, chat.inactive_reason = False, f"migrated to {new_address}"


def touch_chat(
    session: Session, address: str, now: datetime, language: str | None = None, title: str | None = None
) -> Chat:
    """A chat that just talked to us: remember its language and title, and revive it if it had
    blocked us (a migrated group's old id never talks again, so it stays retired)."""
    chat = ensure_chat(session, address, now, title)
    if language:
        chat.language = language
    if title:
        chat.title = title
    if not chat.active and not (chat.inactive_reason or "").startswith("migrated"):
        chat.active, chat.inactive_reason = True, None
    return chat
