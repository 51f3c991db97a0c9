"""Watchlists: named topics an admin defines with term rules, loaded from TOML and validated.

Validation lives here (not in the matcher) because chat commands edit watchlists one term at a
time and must reject a bad term with a message the admin can act on, before anything is stored.

TOML layout (see ``seeds/watchlists.toml``)::

    [[watchlist]]
    slug = "dprk-russia"
    name = "كوريا الشمالية وروسيا"
    all = [["كوريا الشمالية", "بيونغ يانغ"], ["روسيا", "موسكو"]]
    any = []
    none = []
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.text.arabic import normalize

MAX_TERM_LENGTH = 200
MAX_NAME_LENGTH = 200
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,48}")
# Names and terms are echoed back into chat messages that may be parsed as HTML.
_MARKUP = frozenset("<>&")
_KEYS = frozenset({"slug", "name", "all", "any", "none"})


class WatchlistError(ValueError):
    """A watchlist or term the admin must fix; the message names the slug and key."""


@dataclass(frozen=True)
class Rules:
    """A topic matches iff every ``all`` group has a hit, some ``any`` term hits (when ``any``
    is non-empty) and no ``none`` term hits."""

    all: tuple[tuple[str, ...], ...] = ()
    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()


@dataclass(frozen=True)
class Watchlist:
    slug: str
    name: str
    rules: Rules


def validate_slug(slug: object) -> str:
    """Return ``slug`` if it is a valid identifier for commands and URLs, else raise."""
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise WatchlistError(
            f"invalid slug {slug!r}: use 1-49 lowercase latin letters, digits or '-', "
            "starting with a letter or digit"
        )
    return slug


def validate_term(term: object) -> str:
    """Return the term trimmed of surrounding spaces, as the admin wrote it, or raise."""
    if not isinstance(term, str):
        raise WatchlistError(f"term {term!r} must be text")
    cleaned = term.strip()
    _check_text(cleaned, "term", MAX_TERM_LENGTH)
    if not normalize(cleaned):
        raise WatchlistError(f"term {term!r} has no letters or digits")
    return cleaned


def validate_name(name: object) -> str:
    """Return the display name trimmed, or raise."""
    if not isinstance(name, str) or not name.strip():
        raise WatchlistError(f"name {name!r} must be non-empty text")
    cleaned = name.strip()
    _check_text(cleaned, "name", MAX_NAME_LENGTH)
    return cleaned


def _check_text(text: str, what: str, limit: int) -> None:
    if not text:
        raise WatchlistError(f"{what} is empty")
    if len(text) > limit:
        raise WatchlistError(
            f"{what} {text[:30]!r}… is {len(text)} characters; the limit is {limit}"
        )
    bad = sorted({ch for ch in text if ch in _MARKUP or unicodedata.category(ch) == "Cc"})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        raise WatchlistError(f"{what} {text!r} contains markup or control characters: {shown}")


def make_watchlist(
    slug: object,
    name: object,
    all: Sequence[Sequence[str]] = (),  # noqa: A002 - mirrors the TOML key
    any: Sequence[str] = (),  # noqa: A002
    none: Sequence[str] = (),
) -> Watchlist:
    """Build a validated watchlist; errors are prefixed with the slug and the offending key."""
    slug = validate_slug(slug)
    try:
        name = validate_name(name)
    except WatchlistError as exc:
        raise WatchlistError(f"watchlist {slug!r}: {exc}") from None
    groups = tuple(
        _terms(group, slug, f"all[{i}]") for i, group in enumerate(_sequence(all, slug, "all"))
    )
    for i, group in enumerate(groups):
        if not group:
            raise WatchlistError(f"watchlist {slug!r}: all[{i}] is empty and could never match")
    rules = Rules(all=groups, any=_terms(any, slug, "any"), none=_terms(none, slug, "none"))
    if not rules.all and not rules.any:
        raise WatchlistError(f"watchlist {slug!r}: needs at least one 'all' group or 'any' term")
    return Watchlist(slug=slug, name=name, rules=rules)


def _sequence(value: object, slug: str, key: str) -> Sequence[Any]:
    # A bare string is a Sequence too; accepting it would turn "روسيا" into five letter-terms.
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise WatchlistError(f"watchlist {slug!r}: {key} must be a list, got {value!r}")
    return value


def _terms(value: object, slug: str, key: str) -> tuple[str, ...]:
    out: list[str] = []
    for i, term in enumerate(_sequence(value, slug, key)):
        try:
            cleaned = validate_term(term)
        except WatchlistError as exc:
            raise WatchlistError(f"watchlist {slug!r}: {key}[{i}]: {exc}") from None
        if cleaned not in out:
            out.append(cleaned)
    return tuple(out)


def parse_watchlists(document: Mapping[str, Any]) -> list[Watchlist]:
    """Validate a parsed TOML document (``[[watchlist]]`` tables) into watchlists."""
    tables = document.get("watchlist", [])
    unknown = set(document) - {"watchlist"}
    if unknown:
        raise WatchlistError(f"unknown top-level keys {sorted(unknown)}; expected [[watchlist]]")
    if not isinstance(tables, list):
        raise WatchlistError("'watchlist' must be an array of tables: write [[watchlist]]")
    watchlists: list[Watchlist] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        watchlist = _parse_table(table, index)
        if watchlist.slug in seen:
            raise WatchlistError(f"watchlist {watchlist.slug!r} is defined twice")
        seen.add(watchlist.slug)
        watchlists.append(watchlist)
    return watchlists


def _parse_table(table: object, index: int) -> Watchlist:
    if not isinstance(table, Mapping):
        raise WatchlistError(f"watchlist #{index + 1} must be a table")
    label = repr(table.get("slug", f"#{index + 1}"))
    unknown = set(table) - _KEYS
    if unknown:
        raise WatchlistError(f"watchlist {label}: unknown keys {sorted(unknown)}")
    if "slug" not in table or "name" not in table:
        raise WatchlistError(f"watchlist {label}: 'slug' and 'name' are required")
    return make_watchlist(
        table["slug"],
        table["name"],
        all=table.get("all", ()),
        any=table.get("any", ()),
        none=table.get("none", ()),
    )


def load_watchlists(path: str | Path) -> list[Watchlist]:
    """Read and validate a watchlists TOML file."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WatchlistError(f"{path}: invalid TOML: {exc}") from None
    try:
        return parse_watchlists(document)
    except WatchlistError as exc:
        raise WatchlistError(f"{path}: {exc}") from None
