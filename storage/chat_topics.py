"""What a chat does with the watchlists it may see: its topic board, subscribing with the backlog,
unsubscribing, its subscriptions. Each function is one unit of work in the caller's transaction,
audited, so handlers never compose SQL steps themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import audit
from storage import chats as chat_store
from storage import outbox
from storage import stories as story_store
from storage import watchlists as wl_store
from storage.models import Chat, Subscription, Watchlist


@dataclass(frozen=True)
class SubscribeOutcome:
    changed: bool
    queued: int = 0


def _target(chat: str, row: wl_store.WatchlistRow) -> str:
    return f"{chat} → {row.scope}/{row.slug}"


def subscribed_ids(session: Session, chat: str) -> set[int]:
    q = select(Subscription.watchlist_id).join(Chat, Chat.id == Subscription.chat_id).where(Chat.address == chat)
    return set(session.scalars(q))


def board(session: Session, chat: str, home: str) -> tuple[list[wl_store.WatchlistRow], set[int]]:
    """The watchlists the chat may see (global and its own) and which of them it follows."""
    return wl_store.active_watchlists(session, [home]), subscribed_ids(session, chat)


def subscriptions(session: Session, chat: str) -> list[wl_store.WatchlistRow]:
    """The live watchlists the chat follows."""
    q = (
        select(Watchlist)
        .join(Subscription, Subscription.watchlist_id == Watchlist.id)
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(Chat.address == chat, Watchlist.deleted.is_(False))
    )
    rows = [wl_store._row(w) for w in session.scalars(q)]
    return sorted(rows, key=lambda r: (r.slug, r.is_global, r.scope))


def subscribe(
    session: Session, chat: str, row: wl_store.WatchlistRow, *, thread: str | None, language: str | None,
    title: str | None, actor: str, now: datetime, backlog: int,
) -> SubscribeOutcome:
    """Subscribe and queue the topic's latest ``backlog`` stories in the same transaction, as one
    silent archive message (not as breaking news); ``queued`` counts the stories it lists."""
    chat_row = chat_store.touch_chat(session, chat, now, language, title)
    if not chat_store.subscribe(session, chat, row.id, now, thread):
        return SubscribeOutcome(False)
    story_ids = story_store.latest_story_ids(session, row.id, backlog)
    queued = outbox.enqueue_archive(session, chat_row.id, row.id, thread, story_ids, now)
    audit.record(session, "subscription", _target(chat, row), "subscribe", actor, chat, now, after=thread or "")
    return SubscribeOutcome(True, queued)


def unsubscribe(session: Session, chat: str, row: wl_store.WatchlistRow, *, actor: str, now: datetime) -> bool:
    if not chat_store.unsubscribe(session, chat, row.id):
        return False
    audit.record(session, "subscription", _target(chat, row), "unsubscribe", actor, chat, now, before="subscribed")
    return True
