"""Watchlists as the engine sees them: stored rows compiled into one Matcher, rebuilt on change."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.text.matching import Matcher
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


def topic_key(row: store.WatchlistRow) -> str:
    """The matcher's name for a watchlist: its slug when global, ``slug@scope`` when a chat owns
    it (slugs are unique per scope only, and the matcher reports matches by this name)."""
    return row.slug if row.is_global else f"{row.slug}@{row.scope}"


def to_watchlist(row: store.WatchlistRow) -> Watchlist:
    return Watchlist(slug=topic_key(row), name=row.name, rules=rules_from_json(row.rules))


def seed_watchlists(session: Session, path: Path, now: datetime) -> list[str]:
    """Store the file's watchlists that were never stored; admins' later edits win over the file.

    Safe when several workers bootstrap at once: each is inserted on its own, and a worker that
    finds another one got there first leaves it alone (storage.watchlists.seed_watchlist).
    """
    known = store.known_slugs(session)
    return [
        wl.slug for wl in load_watchlists(path)
        if wl.slug not in known
        and store.seed_watchlist(session, wl.slug, wl.name, rules_to_json(wl.rules), str(path), now)
    ]


class TopicIndex:
    """The compiled matcher plus slug → row id, recompiled only when a watchlist changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._matcher = Matcher([])
        self._ids: dict[str, int] = {}
        self._names: dict[str, str] = {}
        self._rows: dict[str, store.WatchlistRow] = {}

    def refresh(self, session: Session) -> None:
        version = store.version(session)
        if version == self._version:
            return
        rows = store.all_active(session)  # every scope at once: one scan of each article
        matcher = Matcher([to_watchlist(r) for r in rows])
        with self._lock:
            self._matcher, self._version = matcher, version
            self._ids = {topic_key(r): r.id for r in rows}
            self._names = {topic_key(r): r.name for r in rows}
            self._rows = {topic_key(r): r for r in rows}

    @property
    def version(self) -> int | None:
        """The watchlists version the matcher was compiled from (the pipeline checks it in its
        write transaction: matching runs before it opens)."""
        return self._version

    @property
    def matcher(self) -> Matcher:
        return self._matcher

    def watchlist_id(self, slug: str) -> int:
        """The row id of a matcher name (``topic_key``)."""
        return self._ids[slug]

    def row(self, key: str) -> store.WatchlistRow | None:
        """The watchlist behind a matcher name, to show its slug and check its scope."""
        return self._rows.get(key)
