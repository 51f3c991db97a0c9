"""The audit trail of feed and subscription changes (watchlist edits keep their own table, which
also versions the topic index): who, in which chat, when, what, before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEvent


@dataclass(frozen=True)
class AuditRow:
    kind: str
    target: str
    action: str
    actor: str
    chat: str | None
    before: str | None
    after: str | None
    at: datetime


def record(
    session: Session, kind: str, target: str, action: str, actor: str, chat: str | None, now: datetime,
    before: str | None = None, after: str | None = None,
) -> None:
    """One audit row, in the caller's transaction (so it exists exactly when the change does)."""
    session.add(AuditEvent(kind=kind, target=target, action=action, actor=actor, chat=chat,
                           before=before, after=after, at=now))


def latest(session: Session, kind: str | None = None, chat: str | None = None, limit: int = 20) -> list[AuditRow]:
    """The newest rows first, of one kind and/or made in one chat."""
    q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if kind is not None:
        q = q.where(AuditEvent.kind == kind)
    if chat is not None:
        q = q.where(AuditEvent.chat == chat)
    return [AuditRow(e.kind, e.target, e.action, e.actor, e.chat, e.before, e.after, e.at) for e in session.scalars(q)]


def _feed_state(row) -> str:
    return "disabled: " + row.disabled_reason if row.disabled_reason else "enabled"


def remove_feed(session: Session, key: str, actor: str, chat: str | None, now: datetime):
    """storage.feeds.remove_feed, audited in the same transaction."""
    from storage import feeds as feed_store

    row = feed_store.remove_feed(session, key, now)
    if row is not None:
        record(session, "feed", row.url, "remove", actor, chat, now, before=_feed_state(row), after="removed")
    return row


def enable_feed(session: Session, key: str, actor: str, chat: str | None, now: datetime):
    """storage.feeds.enable_feed, audited with the state it had before."""
    from storage import feeds as feed_store

    before = feed_store.find_feed(session, key)
    row = feed_store.enable_feed(session, key, now)
    if row is not None:
        record(session, "feed", row.url, "enable", actor, chat, now,
               before=_feed_state(before) if before else None, after="enabled")
    return row
