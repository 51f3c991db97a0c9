"""Digests in SQL: a closed period's held rows become one digest row, in one transaction.

A digest subscription's alerts, updates and reports are held (state "held") with the key of the
period they fell in (``deliveries.period``) and the moment it closes (``next_attempt_at``). Once it
has closed, ``bundle`` inserts the chat's digest row for that period and marks the held rows
"bundled" into it, together: a crash between the two cannot happen, and a second run (or a second
worker) finds no held rows left, or the digest already there (uq_delivery_digest), and adds nothing.
The digest row then rides the outbox like any alert.

A subscription switched back to instant alerts while rows of it wait held would otherwise see them
only in a digest at the period's close; ``release_instant`` puts them back in the queue instead,
where the worker (reading the subscription's mode again) sends each once, as an alert.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import and_, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage import chats as chat_store
from storage.models import Chat, Delivery, Story, Subscription
from storage.outbox import BUNDLED, DIGEST, HELD, PENDING

# A row held into a period whose digest already left the queue (a worker whose clock lagged) gets a
# later digest of its own, "<period>~2", rather than being lost or sent inside the one already out.
_LATE_MARK = "~"
_MAX_LATE = 20


def due(session: Session, now: datetime) -> list[tuple[int, str]]:
    """(chat, period) pairs with held rows whose period has closed, oldest period first."""
    q = (
        select(Delivery.chat_id, Delivery.period)
        .join(Chat, Chat.id == Delivery.chat_id)
        .where(Delivery.state == HELD, Delivery.next_attempt_at <= now, Delivery.period.is_not(None),
               Chat.active.is_(True))
        .group_by(Delivery.chat_id, Delivery.period)
        .order_by(Delivery.chat_id, Delivery.period)
    )
    return [(chat_id, period) for chat_id, period in session.execute(q)]


def release_instant(session: Session, now: datetime, address: str | None = None,
                    watchlist_id: int | None = None) -> int:
    """Put back in the queue, due now, the held rows of subscriptions that are instant again (of
    one chat's, by its address, one subscription; or of all); returns how many. A row already bundled is not held
    any more, and the row lock ``bundle`` takes makes one of the two wait for the other: each row
    goes out once, in a digest or as an alert."""
    instant = (
        select(Subscription.id)
        .where(Subscription.chat_id == Delivery.chat_id, Subscription.watchlist_id == Delivery.watchlist_id,
               func.coalesce(Subscription.mode, "instant") == "instant")
        .exists()
    )
    where = [Delivery.state == HELD, instant]
    if address is not None:
        resolved = chat_store.resolve_address(session, address)
        where.append(Delivery.chat_id.in_(select(Chat.id).where(Chat.address == resolved)))
    if watchlist_id is not None:
        where.append(Delivery.watchlist_id == watchlist_id)
    done = session.execute(
        sa.update(Delivery)
        .where(and_(*where))
        .values(state=PENDING, period=None, next_attempt_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount or 0


def bundle(session: Session, chat_id: int, period: str, now: datetime) -> int | None:
    """Fold the chat's closed held rows of ``period`` into its digest row; the digest's id, or None
    when there was nothing to fold (empty period, or another worker did it first)."""
    held = session.execute(
        select(Delivery.id, Delivery.story_id, Delivery.watchlist_id, Delivery.thread_id)
        .join(Story, Story.id == Delivery.story_id)
        .where(Delivery.chat_id == chat_id, Delivery.state == HELD, Delivery.period == period,
               Delivery.next_attempt_at <= now)
        .order_by(Story.published_at.desc(), Story.id.desc())
        .with_for_update(of=Delivery)
    ).all()
    if not held:
        return None
    _, story_id, watchlist_id, thread_id = held[0]  # the row's story: its newest listed one
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    digest_id: int | None = None
    for n in range(1, _MAX_LATE + 1):
        key = period if n == 1 else f"{period}{_LATE_MARK}{n}"
        digest_id = session.execute(
            insert(Delivery)
            .values(chat_id=chat_id, story_id=story_id, watchlist_id=watchlist_id, thread_id=thread_id, kind=DIGEST,
                    period=key, state=PENDING, attempts=0, next_attempt_at=now, created_at=now)
            .on_conflict_do_nothing(index_elements=["chat_id", "period"], index_where=text(f"kind = '{DIGEST}'"))
            .returning(Delivery.id)
        ).scalar()
        if digest_id is not None:
            break
        # The period's digest exists: join it while nobody has claimed it (its items are read at
        # claim time); the lock keeps a claimer off it until this transaction commits.
        existing = session.execute(
            select(Delivery.id, Delivery.state)
            .where(Delivery.chat_id == chat_id, Delivery.kind == DIGEST, Delivery.period == key)
            .with_for_update()
        ).one()
        if existing.state == PENDING:
            digest_id = existing.id
            break
    if digest_id is None:
        return None
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_([row.id for row in held]))
        .values(state=BUNDLED, bundle_id=digest_id)
        .execution_options(synchronize_session=False)
    )
    return digest_id


def base_period(key: str) -> str:
    """A period key without its late mark ("hourly:2026-11-30T14~2" → "hourly:2026-11-30T14")."""
    return key.split(_LATE_MARK, 1)[0]
