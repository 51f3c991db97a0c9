"""Watchlists as the engine sees them: stored rows compiled into one Matcher, rebuilt on change."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.matching import Matcher
from bot.watchlists import Rules, Watchlist, load_watchlists
from storage import watchlists as store


def rules_to_json(rules: Rules) -> dict[str, Any]:
    return {"all": [list(g) for g in rules.all], "any": list(rules.any), "none": list(rules.none)}


def rules_from_json(data: dict[str, Any]) -> Rules:
    return Rules(
        all=tuple(tuple(g) for g in data.get("all", [])),
        any=tuple(data.get("any", [])),
        none=tuple(data.get("none", [])),
    )


def to_watchlist(row: store.WatchlistRow) -> Watchlist:
    return Watchlist(slug=row.slug, name=row.name, rules=rules_from_json(row.rules))


def seed_watchlists(session: Session, path: Path, now: datetime) -> list[str]:
    """Store the file's watchlists that were never stored; admins' later edits win over the file."""
    known = store.known_slugs(session)
    added = []
    for wl in load_watchlists(path):
        if wl.slug not in known:
            store.save_watchlist(session, wl.slug, wl.name, rules_to_json(wl.rules), "seed", "create", str(path), now)
            added.append(wl.slug)
    return added


class TopicIndex:
    """The compiled matcher plus slug → row id, recompiled only when a watchlist changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._matcher = Matcher([])
        self._ids: dict[str, int] = {}
        self._names: dict[str, str] = {}

    def refresh(self, session: Session) -> None:
        version = store.version(session)
        if version == self._version:
            return
        rows = store.active_watchlists(session)
        matcher = Matcher([to_watchlist(r) for r in rows])
        with self._lock:
            self._matcher, self._version = matcher, version
            self._ids = {r.slug: r.id for r in rows}
            self._names = {r.slug: r.name for r in rows}

    @property
    def matcher(self) -> Matcher:
        return self._matcher

    def watchlist_id(self, slug: str) -> int:
        return self._ids[slug]
