"""Watchlist rows, their scopes and their edit history. Rules are stored as JSON; bot/ gives
them meaning.

A watchlist is global (scope ``"global"``, curated by the owners) or owned by one chat scope (a
Telegram chat's address, a Discord server's ``discord-guild:ID``). Slugs are unique per scope; a
chat sees the global watchlists and its own, and where both have a slug, its own wins.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.db import create_once
from storage.models import Watchlist, WatchlistEdit

GLOBAL = "global"

# Who may own watchlists: the owners (global), a Telegram chat (its id, negative for groups), a
# Discord server, a Discord DM channel, a console desk. A Discord webhook runs no commands, so it
# owns none. Checked before a row is written: a typo would make a scope nobody can see or edit.
_SCOPE = re.compile(r"^(?:global|telegram:-?\d{1,20}|discord:\d{1,21}|discord-guild:\d{1,21}|console:\S{1,250})$")
SCOPE_FORMS = "global, telegram:CHAT_ID, discord-guild:SERVER_ID, discord:CHANNEL_ID or console:NAME"


class ScopeError(ValueError):
    """A watchlist scope that is not one of SCOPE_FORMS."""


def is_scope(scope: str) -> bool:
    return bool(_SCOPE.match(scope))


def check_scope(scope: str) -> str:
    """The scope itself, or ScopeError saying which forms are valid."""
    if not isinstance(scope, str) or not is_scope(scope):
        raise ScopeError(f"not a watchlist scope: {str(scope)[:80]!r} (expected {SCOPE_FORMS})")
    return scope


@dataclass(frozen=True)
class WatchlistRow:
    id: int
    slug: str
    name: str
    rules: dict[str, Any]
    scope: str = GLOBAL

    @property
    def is_global(self) -> bool:
        return self.scope == GLOBAL


@dataclass(frozen=True)
class EditRow:
    """One audit entry of a watchlist, detached from the session."""

    action: str
    detail: str
    actor: str
    at: datetime
    chat: str | None = None
    before: str | None = None
    after: str | None = None


def _row(w: Watchlist) -> WatchlistRow:
    return WatchlistRow(w.id, w.slug, w.name, json.loads(w.rules), w.scope or GLOBAL)


def _visible(scopes: Iterable[str] | None):
    """A filter on the scopes a chat may see (None: every scope, for the engine and owners)."""
    if scopes is None:
        return True
    return Watchlist.scope.in_(sorted({GLOBAL, *scopes}))


def active_watchlists(session: Session, scopes: Iterable[str] | None = (GLOBAL,)) -> list[WatchlistRow]:
    """Live watchlists of the given scopes (global always included); ``None`` for all scopes.

    Ordered by slug, a chat's own before a global one of the same slug."""
    q = select(Watchlist).where(Watchlist.deleted.is_(False), _visible(scopes))
    rows = [_row(w) for w in session.scalars(q)]
    return sorted(rows, key=lambda r: (r.slug, r.is_global, r.scope))


def all_active(session: Session) -> list[WatchlistRow]:
    """Every live watchlist of every scope: matching scans an article once for all of them."""
    return active_watchlists(session, None)


def get_watchlist(session: Session, slug: str, scope: str = GLOBAL) -> WatchlistRow | None:
    """The live watchlist ``slug`` of exactly this scope."""
    w = session.scalar(
        select(Watchlist).where(Watchlist.slug == slug, Watchlist.scope == scope, Watchlist.deleted.is_(False))
    )
    return None if w is None else _row(w)


def get_by_id(session: Session, watchlist_id: int) -> WatchlistRow | None:
    w = session.get(Watchlist, watchlist_id)
    return None if w is None or w.deleted else _row(w)


def resolve(session: Session, slug: str, scope: str | None) -> WatchlistRow | None:
    """What ``slug`` means in a chat of ``scope``: the chat's own watchlist, else the global one."""
    if scope is not None and scope != GLOBAL:
        own = get_watchlist(session, slug, scope)
        if own is not None:
            return own
    return get_watchlist(session, slug, GLOBAL)


def shadowed(session: Session, slug: str, scope: str | None) -> bool:
    """True when the chat has its own ``slug`` and a global one exists too (replies say which)."""
    if scope is None or scope == GLOBAL:
        return False
    return get_watchlist(session, slug, scope) is not None and get_watchlist(session, slug, GLOBAL) is not None


def known_slugs(session: Session, scope: str = GLOBAL) -> set[str]:
    """Every slug ever stored in the scope, deleted ones included, so a seed never resurrects a
    deleted topic."""
    return set(session.scalars(select(Watchlist.slug).where(Watchlist.scope == scope)))


def version(session: Session) -> int:
    """Cheap change marker: every change writes an edit row, so the newest edit id is a revision
    that moves on each edit, whatever the clocks of the workers say."""
    return int(session.scalar(select(func.max(WatchlistEdit.id))) or 0)


def _dump(rules: dict[str, Any]) -> str:
    return json.dumps(rules, ensure_ascii=False)


def save_watchlist(
    session: Session, slug: str, name: str, rules: dict[str, Any], actor: str, action: str, detail: str,
    now: datetime, *, scope: str = GLOBAL, chat: str | None = None,
) -> WatchlistRow:
    """Create or replace a watchlist of ``scope`` and record who did it, where, and the rules
    before and after, in the caller's transaction. A malformed scope raises ScopeError."""
    check_scope(scope)
    w = session.scalar(select(Watchlist).where(Watchlist.slug == slug, Watchlist.scope == scope))
    before = None
    if w is None:
        w = Watchlist(scope=scope, slug=slug, name=name, rules="{}", deleted=False, updated_at=now, updated_by=actor)
        session.add(w)
    elif not w.deleted:
        before = w.rules
    after = _dump(rules)
    w.name, w.rules, w.deleted = name, after, False
    w.updated_at, w.updated_by = now, actor
    session.flush()
    session.add(WatchlistEdit(watchlist_id=w.id, action=action, detail=detail, actor=actor, at=now,
                              chat=chat, before=before, after=after))
    return _row(w)


def seed_watchlist(session: Session, slug: str, name: str, rules: dict[str, Any], detail: str, now: datetime) -> bool:
    """Store a default (global) watchlist unless its slug was ever stored; True when stored.

    Safe for workers bootstrapping together: the row is INSERTed in a savepoint, never upserted,
    so when another worker stores the slug between our look and our insert, the unique key stops
    us (and the second look finds its row) instead of a second "create" landing in the history.
    """

    def insert() -> bool:
        if slug in known_slugs(session, GLOBAL):
            return False
        after = _dump(rules)
        w = Watchlist(scope=GLOBAL, slug=slug, name=name, rules=after, deleted=False, updated_at=now, updated_by="seed")
        session.add(w)
        session.flush()
        session.add(WatchlistEdit(watchlist_id=w.id, action="create", detail=detail, actor="seed", at=now,
                                  chat=None, before=None, after=after))
        return True

    return create_once(session, insert)


def create_watchlist(
    session: Session, slug: str, name: str, rules: dict[str, Any], actor: str, now: datetime, *,
    scope: str, chat: str | None,
) -> WatchlistRow | None:
    """A new watchlist, or None when the scope already has a live one with this slug."""
    if get_watchlist(session, slug, scope) is not None:
        return None
    return save_watchlist(session, slug, name, rules, actor, "create", name, now, scope=scope, chat=chat)


Change = Callable[[WatchlistRow], "tuple[dict[str, Any], str, str] | None"]


def update_watchlist(
    session: Session, watchlist_id: int, change: Change, actor: str, now: datetime, *, chat: str | None,
) -> tuple[WatchlistRow | None, bool]:
    """Apply ``change`` (row → (new rules, action, detail), or None for no change) to the live
    watchlist in one transaction, audited. Returns (row after, changed); row None if it is gone."""
    row = get_by_id(session, watchlist_id)
    if row is None:
        return None, False
    outcome = change(row)
    if outcome is None:
        return row, False
    rules, action, detail = outcome
    return save_watchlist(session, row.slug, row.name, rules, actor, action, detail, now,
                          scope=row.scope, chat=chat), True


def delete_watchlist(
    session: Session, slug: str, actor: str, now: datetime, *, scope: str = GLOBAL, chat: str | None = None,
) -> bool:
    w = session.scalar(
        select(Watchlist).where(Watchlist.slug == slug, Watchlist.scope == scope, Watchlist.deleted.is_(False))
    )
    if w is None:
        return False
    w.deleted, w.updated_at, w.updated_by = True, now, actor
    session.add(WatchlistEdit(watchlist_id=w.id, action="delete", detail=slug, actor=actor, at=now,
                              chat=chat, before=w.rules, after=None))
    return True


def edits(session: Session, slug: str, scope: str = GLOBAL, limit: int | None = None) -> list[EditRow]:
    """The watchlist's audit trail, oldest first (the latest ``limit`` when given)."""
    q = (
        select(WatchlistEdit)
        .join(Watchlist, Watchlist.id == WatchlistEdit.watchlist_id)
        .where(Watchlist.slug == slug, Watchlist.scope == scope)
        .order_by(WatchlistEdit.id.desc())
    )
    if limit is not None:
        q = q.limit(limit)
    rows = [EditRow(e.action, e.detail, e.actor, e.at, e.chat, e.before, e.after) for e in session.scalars(q)]
    return rows[::-1]


def slugs_of(session: Session, scopes: Iterable[str]) -> list[str]:
    """Slugs a chat may name, for usage lines and autocomplete."""
    return sorted({r.slug for r in active_watchlists(session, scopes)})


def visible_filter_ids(session: Session, slug: str, scope: str | None) -> list[int]:
    """Ids a ``topic:`` filter of a chat means: its own watchlist, else the global one."""
    row = resolve(session, slug, scope)
    return [] if row is None else [row.id]



def lookup(session: Session, slug: str, home: str, scope: str | None = None, any_scope: bool = False) -> WatchlistRow | None:
    """What a chat of scope ``home`` means by ``slug`` (or ``scope:slug``, parsed by the caller):
    no scope named → its own, else the global one; ``global`` or its own scope → that one; another
    chat's scope only with ``any_scope`` (owners)."""
    if scope is None:
        return resolve(session, slug, home)
    if scope in (GLOBAL, home) or any_scope:
        return get_watchlist(session, slug, scope)
    return None


def move_scope(session: Session, old: str, new: str) -> int:
    """A chat got a new address (a Telegram group became a supergroup): its own watchlists go
    with it. A slug the new address already has stays behind (the new chat's wins). Returns how
    many moved."""
    taken = set(session.scalars(select(Watchlist.slug).where(Watchlist.scope == new)))
    moved = 0
    for w in session.scalars(select(Watchlist).where(Watchlist.scope == old)):
        if w.slug not in taken:
            w.scope = new
            moved += 1
    session.flush()
    return moved


def file_versions(session: Session, sources: Iterable[str], scope: str = GLOBAL) -> dict[str, str]:
    """Per slug of ``scope``, the rules (JSON) last stored from a file: edits whose detail is one of
    ``sources`` (the file's path, as written and resolved) (the seeding at first start, ``raqib watchlists import``). What chat edits
    did since is not here, so a caller can tell a changed file from a store changed in chat."""
    q = (
        select(Watchlist.slug, WatchlistEdit.after)
        .join(Watchlist, Watchlist.id == WatchlistEdit.watchlist_id)
        .where(Watchlist.scope == scope, WatchlistEdit.detail.in_(sorted(set(sources))))
        .order_by(WatchlistEdit.id)
    )
    return {slug: after for slug, after in session.execute(q) if after is not None}
