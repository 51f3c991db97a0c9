"""Chats and their subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.db import create_once
from storage.models import Chat, ChatMove, Delivery, Subscription, Watchlist


@dataclass(frozen=True)
class SubscriptionRow:
    chat: str
    topic: str
    thread_id: str | None
    created_at: datetime
    active: bool


def ensure_chat(session: Session, address: str, now: datetime, title: str | None = None) -> Chat:
    """The chat at ``address``, created on first sight (in a savepoint: a worker starting beside
    us may create it first, and then we find its row). An address that moved means the chat it
    moved to: a migrated group's old id is never created again."""
    address = resolve_address(session, address)

    def find_or_add() -> Chat:
        found = session.scalar(select(Chat).where(Chat.address == address))
        if found is None:
            platform = address.split(":", 1)[0]
            found = Chat(address=address, platform=platform, title=title, active=True, created_at=now)
            session.add(found)
            session.flush()
        return found

    return session.scalar(select(Chat).where(Chat.address == address)) or create_once(session, find_or_add)


def subscribe(session: Session, address: str, watchlist_id: int, now: datetime, thread_id: str | None = None) -> bool:
    """Return False when the chat already had the subscription (nothing changes then)."""
    chat = ensure_chat(session, address, now)

    def add() -> bool:
        existing = session.scalar(
            select(Subscription).where(Subscription.chat_id == chat.id, Subscription.watchlist_id == watchlist_id)
        )
        if existing is not None:
            return False
        session.add(Subscription(chat_id=chat.id, watchlist_id=watchlist_id, thread_id=thread_id, created_at=now))
        return True

    return create_once(session, add)  # the same subscription may be added by a worker beside us


def unsubscribe(session: Session, address: str, watchlist_id: int) -> bool:
    address = resolve_address(session, address)
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
        q = q.where(Chat.address == resolve_address(session, address))
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


def resolve_address(session: Session, address: str) -> str:
    """Where the chat known as ``address`` lives now: its recorded moves followed to the end.

    Recording a move keeps chains short and free of loops (see ``_record_move``); the walk still
    stops at an address it has seen, so stored data can never make it spin.
    """
    seen = {address}
    while True:
        moved_to = session.scalar(select(ChatMove.new_address).where(ChatMove.old_address == address))
        if moved_to is None or moved_to in seen:
            return address
        seen.add(moved_to)
        address = moved_to


def _record_move(session: Session, old: str, new: str, now: datetime) -> None:
    """Store old → new. ``new`` is live now, so a move recorded away from it is void (no cycle);
    moves that ended at ``old`` now end at ``new`` (one look resolves them)."""
    session.execute(delete(ChatMove).where(ChatMove.old_address == new))
    session.execute(update(ChatMove).where(ChatMove.new_address == old).values(new_address=new))

    def upsert() -> None:
        row = session.get(ChatMove, old)
        if row is None:
            session.add(ChatMove(old_address=old, new_address=new, moved_at=now))
        else:
            row.new_address, row.moved_at = new, now

    create_once(session, upsert)  # two workers may both learn of the move at once


def move_chat(session: Session, chat_id: int, new_address: str, now: datetime) -> set[int]:
    """A chat got a new address (Telegram group → supergroup): record the move, and let its
    subscriptions and waiting alerts follow it.

    When the new address is already a chat of its own, the old chat is retired; a waiting alert
    of a story the new chat already holds is dropped rather than moved (one chat, one story).
    Returns the ids of the deliveries dropped so.
    """
    # Locked and re-read: several alerts of one batch report the same move at once, and the
    # second must see what the first did (on SQLite, BEGIN IMMEDIATE serializes them anyway).
    chat = session.get(Chat, chat_id, with_for_update=True, populate_existing=True)
    if chat is None:
        return set()
    old = chat.address  # the platform's word on the new address is fresh: it is not resolved
    if old == new_address:
        return set()  # moved already: the alert is simply retried under the new address
    _record_move(session, old, new_address, now)
    from storage.watchlists import move_scope  # local: watchlists imports nothing of chats

    move_scope(session, old, new_address)  # the group's own watchlists follow it (issue 10)
    target = session.scalar(select(Chat).where(Chat.address == new_address))
    if target is not None and target.id == chat.id:
        return set()
    if target is None:
        chat.address = new_address
        session.flush()
        return set()
    have = set(session.scalars(select(Subscription.watchlist_id).where(Subscription.chat_id == target.id)))
    for sub in list(session.scalars(select(Subscription).where(Subscription.chat_id == chat.id))):
        if sub.watchlist_id in have:
            session.delete(sub)
        else:
            sub.chat_id = target.id
    # An alert is held per story, an update per story and article (migration 0009).
    held = {
        tuple(row) for row in session.execute(
            select(Delivery.story_id, Delivery.kind, Delivery.article_id).where(Delivery.chat_id == target.id)
        )
    }
    dropped: set[int] = set()
    waiting = select(Delivery).where(Delivery.chat_id == chat.id, Delivery.state.in_(["pending", "sending"]))
    for row in list(session.scalars(waiting)):
        if (row.story_id, row.kind, row.article_id) in held:
            row.state, row.lease_until = "dead", None
            row.last_error = f"moved to {new_address}, which has this story already"
            dropped.add(row.id)
        else:
            row.chat_id = target.id
    chat.active, chat.inactive_reason = False, f"migrated to {new_address}"
    session.flush()
    return dropped


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
