"""Source rows: where articles come from and how polling them went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import create_once
from storage.models import Source


def ensure_source(session: Session, name: str, kind: str, location: str, interval_s: int, now: datetime) -> Source:
    """Create the source on first sight; keep its polling state, refresh what config says.

    Workers starting together may create it at the same moment: the creation runs in a savepoint
    and, when another worker's row won, finds that row instead (storage.db.create_once).
    """

    def find_or_add() -> Source:
        found = session.scalar(select(Source).where(Source.name == name))
        if found is None:
            found = Source(name=name, kind=kind, location=location, interval_s=interval_s, created_at=now, error_count=0)
            session.add(found)
            session.flush()
        return found

    source = session.scalar(select(Source).where(Source.name == name)) or create_once(session, find_or_add)
    source.kind, source.location, source.interval_s = kind, location, interval_s
    return source


def record_poll(session: Session, source_id: int, now: datetime, next_check_at: datetime, error: str | None) -> None:
    source = session.get(Source, source_id)
    if source is None:
        return
    source.next_check_at = next_check_at
    if error is None:
        source.last_success_at, source.last_error, source.error_count = now, None, 0
    else:
        source.last_error, source.error_count = error, source.error_count + 1


def list_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))
