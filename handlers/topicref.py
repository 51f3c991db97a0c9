"""How a chat names a watchlist: ``slug`` (its own, else the global one), ``global:slug``, or, for
owners, ``SCOPE:slug`` (``telegram:-100123:elections``); and how replies say which one is meant."""

from __future__ import annotations

from handlers.base import Caller
from handlers.texts import t
from storage.watchlists import GLOBAL, WatchlistRow

ID_PREFIX = "#"  # button data names a watchlist by row id: slugs repeat across scopes


def parse(raw: str) -> tuple[str | None, str]:
    """(scope or None, slug) of the first word."""
    words = raw.strip().split()
    ref = words[0] if words else ""
    scope, sep, slug = ref.rpartition(":")
    if not sep:
        return None, ref.lower()
    return (scope.lower() or None), slug.lower()


def may_edit(caller: Caller, row: WatchlistRow, owner: bool) -> bool:
    """Chat admins edit their own scope's watchlists; owners edit global ones and any chat's."""
    return owner or (not row.is_global and row.scope == caller.home)


def scope_label(lang: str, row: WatchlistRow, caller: Caller) -> str:
    if row.is_global:
        return t(lang, "scope_global")
    if row.scope == caller.home:
        return t(lang, "scope_own")
    return row.scope


def qualified(row: WatchlistRow, caller: Caller) -> str:
    """How to name this very watchlist from this chat, whatever shadows it."""
    if row.is_global:
        return f"{GLOBAL}:{row.slug}"
    return row.slug if row.scope == caller.home else f"{row.scope}:{row.slug}"
