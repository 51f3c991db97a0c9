"""Watchlist rows and their edit history. Rules are stored as JSON; bot/ gives them meaning."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Watchlist, WatchlistEdit


@dataclass(frozen=True)
class WatchlistRow:
    id: int
    slug: str
    name: str
    rules: dict[str, Any]


def _row(w: Watchlist) -> WatchlistRow:
    return WatchlistRow(w.id, w.slug, w.name, json.loads(w.rules))


def active_watchlists(session: Session) -> list[WatchlistRow]:
    rows = session.scalars(select(Watchlist).where(Watchlist.deleted.is_(False)).order_by(Watchlist.slug))
    return [_row(w) for w in rows]


def get_watchlist(session: Session, slug: str) -> WatchlistRow | None:
    w = session.scalar(select(Watchlist).where(Watchlist.slug == slug, Watchlist.deleted.is_(False)))
    return None if w is None else _row(w)


def known_slugs(session: Session) -> set[str]:
    """Every slug ever stored, deleted ones included, so a seed never resurrects a deleted topic."""
    return set(session.scalars(select(Watchlist.slug)))


def version(session: Session) -> int:
    """Cheap change marker: every change writes an edit row, so the newest edit id is a revision
    that moves on each edit, whatever the clocks of the workers say."""
    return int(session.scalar(select(func.max(WatchlistEdit.id))) or 0)


def save_watchlist(
    session: Session, slug: str, name: str, rules: dict[str, Any], actor: str, action: str, detail: str, now: datetime
) -> WatchlistRow:
    """Create or replace a watchlist and record who did it, in the caller's transaction."""
    w = session.scalar(select(Watchlist).where(Watchlist.slug == slug))
    if w is None:
        w = Watchlist(slug=slug, name=name, rules="{}", deleted=False, updated_at=now, updated_by=actor)
        session.add(w)
    w.name, w.rules, w.deleted = name, json.dumps(rules, ensure_ascii=False), False
    w.updated_at, w.updated_by = now, actor
    session.flush()
    session.add(WatchlistEdit(watchlist_id=w.id, action=action, detail=detail, actor=actor, at=now))
    return _row(w)


def delete_watchlist(session: Session, slug: str, actor: str, now: datetime) -> bool:
    w = session.scalar(select(Watchlist).where(Watchlist.slug == slug, Watchlist.deleted.is_(False)))
    if w is None:
        return False
    w.deleted, w.updated_at, w.updated_by = True, now, actor
    session.add(WatchlistEdit(watchlist_id=w.id, action="delete", detail=slug, actor=actor, at=now))
    return True


def edits(session: Session, slug: str) -> list[WatchlistEdit]:
    q = (
        select(WatchlistEdit)
        .join(Watchlist, Watchlist.id == WatchlistEdit.watchlist_id)
        .where(Watchlist.slug == slug)
        .order_by(WatchlistEdit.id)
    )
    return list(session.scalars(q))
