"""What /status shows: each source's health and the outbox's backlog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Delivery, Source


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


def source_health(session: Session) -> list[SourceHealth]:
    q = select(
        Source.name, Source.last_success_at, Source.error_count, Source.last_error, Source.disabled_reason
    ).order_by(Source.name)
    return [SourceHealth(*row) for row in session.execute(q)]


def outbox_health(session: Session) -> OutboxHealth:
    counts = dict(session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all())
    return OutboxHealth(
        pending=counts.get("pending", 0) + counts.get("sending", 0),
        failed=counts.get("failed", 0) + counts.get("dead", 0),
        sent=counts.get("sent", 0),
    )
