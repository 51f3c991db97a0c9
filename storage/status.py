"""What /status shows: each source's health and the outbox's backlog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from storage.models import Chat, Delivery, Source


@dataclass(frozen=True)
class SourceHealth:
    name: str
    last_success_at: datetime | None
    error_count: int
    last_error: str | None
    disabled_reason: str | None


@dataclass(frozen=True)
class OutboxHealth:
    pending: int  # waiting or being sent
    failed: int  # given up (failed) or dropped with their chat (dead)
    sent: int
    retrying: int = 0  # of ``pending``: failed at least once, waiting on a backoff
    oldest_pending: datetime | None = None  # when the longest-waiting alert was queued
    last_error: str | None = None  # the newest error among the retrying rows


def source_health(session: Session) -> list[SourceHealth]:
    q = (
        select(Source.name, Source.last_success_at, Source.error_count, Source.last_error, Source.disabled_reason)
        .where(Source.kind != "internal")  # raqib's own notices are filed under an internal source
        .order_by(Source.name)
    )
    return [SourceHealth(*row) for row in session.execute(q)]


def outbox_health(session: Session, chat: str | None = None) -> OutboxHealth:
    """The whole outbox, or (``chat``: an address) only that chat's rows: a chat admin's /status
    shows nothing of other chats (issue 10)."""
    mine = true() if chat is None else Delivery.chat_id.in_(select(Chat.id).where(Chat.address == chat))
    counts = dict(session.execute(select(Delivery.state, func.count()).where(mine).group_by(Delivery.state)).all())
    waiting = Delivery.state.in_(["pending", "sending"])
    oldest = session.scalar(select(func.min(Delivery.created_at)).where(waiting, mine))
    retrying = session.scalar(
        select(func.count()).select_from(Delivery)
        .where(Delivery.state == "pending", Delivery.last_error.is_not(None), mine)
    )
    last_error = session.scalar(
        select(Delivery.last_error)
        .where(Delivery.state == "pending", Delivery.last_error.is_not(None), mine)
        .order_by(Delivery.next_attempt_at.desc(), Delivery.id.desc())
        .limit(1)
    )
    return OutboxHealth(
        pending=counts.get("pending", 0) + counts.get("sending", 0),
        failed=counts.get("failed", 0) + counts.get("dead", 0),
        sent=counts.get("sent", 0),
        retrying=retrying or 0,
        oldest_pending=oldest,
        last_error=last_error,
    )
