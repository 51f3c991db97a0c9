"""Mutes: a chat silences one of its subscriptions until a time (the alert's mute buttons) (the alert's mute buttons).

The delivery worker reads a row's mute when it claims it (``storage.outbox``): an alert claimed
while its subscription is muted is recorded as ``skipped`` with the reason instead of being sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Chat, Mute


def _chat_id(session: Session, address: str) -> int | None:
    return session.scalar(select(Chat.id).where(Chat.address == address))


def mute(session: Session, chat: str, watchlist_id: int, until: datetime, actor: str, now: datetime) -> bool:
    """Mute the chat's watchlist until ``until`` (a later press replaces an earlier mute);
    False when the chat is unknown (it never subscribed to anything)."""
    chat_id = _chat_id(session, chat)
    if chat_id is None:
        return False
    row = session.get(Mute, (chat_id, watchlist_id))
    if row is None:
        session.add(Mute(chat_id=chat_id, watchlist_id=watchlist_id, until=until, actor=actor, created_at=now))
    else:
        row.until, row.actor, row.created_at = until, actor, now
    session.flush()
    return True


def unmute(session: Session, chat: str, watchlist_id: int) -> bool:
    chat_id = _chat_id(session, chat)
    if chat_id is None:
        return False
    done = session.execute(delete(Mute).where(Mute.chat_id == chat_id, Mute.watchlist_id == watchlist_id))
    return bool(done.rowcount)


def muted_until(session: Session, chat: str, now: datetime) -> dict[int, datetime]:
    """watchlist id → end of its mute, for the chat's mutes still in force at ``now``."""
    q = (
        select(Mute.watchlist_id, Mute.until)
        .join(Chat, Chat.id == Mute.chat_id)
        .where(Chat.address == chat, Mute.until > now)
    )
    return {wid: until for wid, until in session.execute(q)}
