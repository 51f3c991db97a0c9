"""Source rows: where articles come from and how polling them went."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
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
    source.next_check_at, source.claimed_until = next_check_at, None  # the poll is over: nobody holds it
    if error is None:
        source.last_success_at, source.last_error, source.error_count = now, None, 0
    else:
        source.last_error, source.error_count = error, source.error_count + 1


def list_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))


@dataclass(frozen=True)
class SourceClaim:
    """The outcome of trying to win one poll of a source.

    ``won``: this runner polls it now and holds it until ``next_check_at`` (its lease); otherwise
    ``next_check_at`` is when it is due again, or when another runner's lease runs out.
    ``held_until``: when lost, the end of another process's claim in force (None: not due yet, or
    claimed by another process at this very moment, its claim not committed yet).
    """

    source_id: int
    won: bool
    next_check_at: datetime | None
    held_until: datetime | None = field(default=None, compare=False)  # a detail: a claim is its outcome


def claim_source(
    session: Session, name: str, now: datetime, lease: timedelta, *, due_only: bool = True
) -> SourceClaim | None:
    """Win the source ``name`` for one poll when it is due, pushing its next check ``lease`` ahead.

    Several `raqib run` processes poll the same configured sources: only the one that wins the
    row polls. On PostgreSQL the row is locked with SKIP LOCKED (a runner claiming it at this very
    moment is passed over, never waited for); on SQLite the write transaction (BEGIN IMMEDIATE)
    serializes claims. A runner that dies mid-poll never records the real next check, so the lease
    runs out and another runner takes the source. None when there is no such source row.

    ``due_only=False`` (`raqib run --once`, which polls every source now): win it due or not, unless
    another process holds it (``claimed_until`` still ahead, or claiming it at this very moment).
    """
    free = or_(Source.claimed_until.is_(None), Source.claimed_until <= now)
    due = or_(Source.next_check_at.is_(None), Source.next_check_at <= now)
    q = select(Source).where(Source.name == name, Source.removed_at.is_(None), and_(free, due) if due_only else free)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    src = session.scalars(q.limit(1)).first()
    if src is not None:
        src.next_check_at = src.claimed_until = now + lease
        session.flush()
        return SourceClaim(src.id, True, src.next_check_at)
    # Not due, or held (or being claimed right now) by another runner: say when to look again.
    row = session.execute(
        select(Source.id, Source.next_check_at, Source.claimed_until)
        .where(Source.name == name, Source.removed_at.is_(None))
    ).first()
    if row is None:
        return None
    held = row.claimed_until if row.claimed_until is not None and row.claimed_until > now else None
    return SourceClaim(row.id, False, row.next_check_at, held)


def renew_claim(session: Session, source_id: int, held_until: datetime, until: datetime) -> bool:
    """Extend a claim still held (its lease unchanged since we set it) to ``until``.

    False when the poll has recorded its real next check, or the lease ran out and another runner
    claimed the source: either way the claim is no longer this runner's to extend.
    """
    result = session.execute(
        update(Source)
        .where(Source.id == source_id, Source.claimed_until == held_until)
        .values(next_check_at=until, claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def next_check(session: Session, name: str) -> datetime | None:
    """When the source is next due (or another runner's lease on it ends)."""
    return session.scalar(select(Source.next_check_at).where(Source.name == name))
