"""`raqib watchlists import|export|add|exclude|remove`: global watchlists as files, both ways.

Import compares the file with the stored global watchlists and shows the difference first; only
``--yes`` (or a "y" typed at a terminal) stores it, in one transaction, each change audited like a
chat edit (who: ``cli``). It adds and updates; a stored watchlist missing from the file is deleted
only with ``--prune``. Export writes the TOML that import reads back to the same watchlists.

Term edits go through the very handlers chat's ``/watch add|exclude|remove`` use, signed as the
CLI with an owner's rights, so validation, where a term goes and the audit trail are the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from bot.topics import rules_from_json, rules_to_json
from bot.watchlists import Rules, Watchlist, WatchlistError, load_watchlists
from handlers.base import Caller
from storage import watchlists as store
from storage.db import transaction
from storage.watchlists import GLOBAL

log = logging.getLogger(__name__)

CLI_ACTOR = "cli"  # as bot.cli.main: the audit trail's name for changes made from the command line
IMPORT_ACTION = "import"  # the edit action of a watchlist stored from a file by `watchlists import`
ACTIONS = ("import", "export", "add", "exclude", "remove")


@dataclass(frozen=True)
class CliCaller(Caller):
    """The command line as an owner: its edits are signed ``cli`` in the audit trail."""

    @property
    def actor(self) -> str:
        return CLI_ACTOR


@dataclass
class Change:
    """One watchlist's difference between a file and the store."""

    slug: str
    kind: str  # "new", "update" or "delete"
    name: str
    rules: Rules
    lines: list[str] = field(default_factory=list)


def _label(rule: str, index: int | None = None) -> str:
    return f"rule {index + 1}" if rule == "all" and index is not None else rule


def rule_lines(before: Rules, after: Rules) -> list[str]:
    """What changes in each rule, one line per rule: ``rule 2: + a, - b``."""
    lines: list[str] = []

    def compare(label: str, old: tuple[str, ...], new: tuple[str, ...]) -> None:
        added = [t for t in new if t not in old]
        removed = [t for t in old if t not in new]
        parts = ([f"+ {', '.join(added)}"] if added else []) + ([f"- {', '.join(removed)}"] if removed else [])
        if not parts and old != new:
            parts = ["order changed"]
        if parts:
            lines.append(f"{label}: {'; '.join(parts)}")

    for i in range(max(len(before.all), len(after.all))):
        old = before.all[i] if i < len(before.all) else ()
        new = after.all[i] if i < len(after.all) else ()
        compare(_label("all", i), old, new)
    compare("any", before.any, after.any)
    compare("none", before.none, after.none)
    return lines


def plan(session: Session, wanted: list[Watchlist], prune: bool) -> list[Change]:
    """The changes that would make the stored global watchlists equal the file's."""
    stored = {r.slug: r for r in store.active_watchlists(session, (GLOBAL,)) if r.is_global}
    changes: list[Change] = []
    for wl in wanted:
        row = stored.get(wl.slug)
        if row is None:
            terms = sum(len(g) for g in wl.rules.all) + len(wl.rules.any) + len(wl.rules.none)
            changes.append(Change(wl.slug, "new", wl.name, wl.rules, [f"name: {wl.name}", f"terms: {terms}"]))
            continue
        current = rules_from_json(row.rules)
        lines = ([f"name: {row.name} → {wl.name}"] if row.name != wl.name else []) + rule_lines(current, wl.rules)
        if lines:
            changes.append(Change(wl.slug, "update", wl.name, wl.rules, lines))
    if prune:
        names = {wl.slug for wl in wanted}
        for slug, row in stored.items():
            if slug not in names:
                changes.append(Change(slug, "delete", row.name, rules_from_json(row.rules)))
    return changes


def show(changes: list[Change], out=None) -> None:
    out = out or sys.stdout
    marks = {"new": "+", "update": "~", "delete": "-"}
    for c in changes:
        print(f"{marks[c.kind]} {c.slug} ({c.kind})", file=out)
        for line in c.lines:
            print(f"    {line}", file=out)


def apply(session: Session, changes: list[Change], source: str, now) -> None:
    """Store every change in the caller's transaction, each with its audit row."""
    for c in changes:
        if c.kind == "delete":
            store.delete_watchlist(session, c.slug, CLI_ACTOR, now)
        else:
            # the detail is the file's path, as the seeding's: seed_drift compares a file with what it stored
            store.save_watchlist(session, c.slug, c.name, rules_to_json(c.rules), CLI_ACTOR, IMPORT_ACTION, source, now)


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string: the same escapes (\" \\ \n \uXXXX), UTF-8 kept.
    return json.dumps(value, ensure_ascii=False)


def dump(watchlists: list[Watchlist], header: str = "") -> str:
    """The seeds' TOML layout; ``load_watchlists`` reads it back to equal watchlists."""
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    for wl in watchlists:
        out += ["", "[[watchlist]]", f"slug = {_toml_string(wl.slug)}", f"name = {_toml_string(wl.name)}"]
        if wl.rules.all:
            out.append("all = [")
            out += [f"  [{', '.join(map(_toml_string, group))}]," for group in wl.rules.all]
            out.append("]")
        if wl.rules.any:
            out.append(f"any = [{', '.join(map(_toml_string, wl.rules.any))}]")
        if wl.rules.none:
            out.append(f"none = [{', '.join(map(_toml_string, wl.rules.none))}]")
    return "\n".join(out).lstrip("\n") + "\n"


def export_text(session: Session, slug: str | None) -> str:
    rows = [r for r in store.active_watchlists(session, (GLOBAL,)) if r.is_global]
    if slug is not None:
        rows = [r for r in rows if r.slug == slug]
        if not rows:
            raise WatchlistError(f"no global watchlist {slug!r}")
    header = ("raqib watchlists (global), written by `raqib watchlists export`.\n"
              "Read back with `raqib watchlists import FILE`; layout as seeds/watchlists.toml.")
    watchlists = [Watchlist(r.slug, r.name, rules_from_json(r.rules)) for r in rows]
    empty = [wl.slug for wl in watchlists if not wl.rules.all and not wl.rules.any]
    if empty:  # a file watchlist needs a rule: these could not be read back
        header += f"\nNot written, no rules yet: {', '.join(empty)}."
    return dump([wl for wl in watchlists if wl.slug not in empty], header)


def seed_drift(session: Session, path: Path) -> list[str]:
    """Slugs whose entry in the seed file changed since it was last stored from that file.

    A difference made by chat edits alone (the file still says what was seeded or imported) is
    no drift: the store is the truth after the first start. A slug never stored is not drift
    either: bootstrap stores it. Deleted watchlists stay deleted."""
    try:
        wanted = load_watchlists(path)
    except (OSError, WatchlistError):
        return []
    stored = {r.slug: r for r in store.active_watchlists(session, (GLOBAL,)) if r.is_global}
    from_file = store.file_versions(session, (str(path), str(path.resolve())))
    drift: list[str] = []
    for wl in wanted:
        row = stored.get(wl.slug)
        if row is None:
            continue
        if row.name == wl.name and rules_from_json(row.rules) == wl.rules:
            continue
        last = from_file.get(wl.slug)
        if last is not None and rules_from_json(json.loads(last)) == wl.rules and row.name == wl.name:
            continue  # the file is what was stored from it; chat edits made the difference
        drift.append(wl.slug)
    return drift


def warn_seed_drift(factory, path: Path) -> None:
    """One warning at start when the seed file was edited after it was stored (issue 14)."""
    with transaction(factory) as s:
        drift = seed_drift(s, path)
    if drift:
        shown = _display(path)
        log.warning("%s differs from the stored watchlists (%s): run `raqib watchlists import %s`",
                    shown, ", ".join(drift), shown)


def _display(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def cmd(config, args, app_factory) -> int:
    """Dispatch ``raqib watchlists ACTION …``; ``app_factory(config)`` opens a bootstrapped App."""
    action, rest = args.slug, list(args.rest)
    if action == "export":
        if len(rest) > 1:
            raise WatchlistError("watchlists export takes at most one SLUG")
        if rest and _check_scope(rest[0]) not in (None, GLOBAL):
            raise WatchlistError(f"{rest[0]}: export writes the global watchlists only")
        if rest:
            rest[0] = rest[0].rpartition(":")[2]  # global:SLUG names the global one, as in chat
        app = app_factory(config)
        try:
            with transaction(app.factory) as s:
                text = export_text(s, rest[0] if rest else None)
        finally:
            app.close()
        if args.output:
            args.output.write_text(text, encoding="utf-8")
            print(f"wrote {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    if action == "import":
        if len(rest) != 1:
            raise WatchlistError("watchlists import needs one FILE")
        return _import(config, Path(rest[0]), args, app_factory)
    if len(rest) < 2:
        raise WatchlistError(f"watchlists {action} needs SLUG and {'TERM…' if action == 'add' else 'TERM'}")
    return _edit(config, action, rest, app_factory)


def _import(config, path: Path, args, app_factory) -> int:
    if not path.is_file():
        raise WatchlistError(f"{path}: no such file")
    wanted = load_watchlists(path)  # validated before anything is read or stored
    app = app_factory(config)
    try:
        with transaction(app.factory) as s:
            changes = plan(s, wanted, args.prune)
        if not changes:
            print(f"{path}: the stored watchlists already match", file=sys.stderr)
            return 0
        show(changes)
        if not args.yes and not _confirmed():
            print("nothing stored: run again with --yes to apply", file=sys.stderr)
            return 0
        with transaction(app.factory) as s:
            # planned again inside the write: an edit made meanwhile is neither lost nor doubled
            changes = plan(s, wanted, args.prune)
            apply(s, changes, str(path.resolve()), app.clock())
        n = len(changes)
        print(f"stored {n} {'change' if n == 1 else 'changes'} from {path}", file=sys.stderr)
        return 0
    finally:
        app.close()


def _confirmed() -> bool:
    """Ask only a person at a terminal; a script gets the preview and must pass --yes."""
    if not sys.stdin.isatty():
        return False
    try:
        return input("apply these changes? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _check_scope(ref: str) -> str | None:
    """The scope named by ``SCOPE:slug`` (None when none is named); a malformed one is refused
    before anything is opened, instead of reading as a watchlist that does not exist."""
    from handlers import topicref

    scope, _ = topicref.parse(ref)
    if scope is None:
        return None
    try:
        return store.check_scope(scope)
    except store.ScopeError as exc:
        raise WatchlistError(f"{ref}: {exc}") from None


def _edit(config, action: str, rest: list[str], app_factory) -> int:
    """The chat handler of ``/watch ACTION``, called as an owner signed ``cli``."""
    from handlers import watchlist as handlers
    from handlers.registry import Tier
    from handlers.services import Services

    slug, words = rest[0], rest[1:]
    _check_scope(slug)
    if action == "add":
        # Like chat: a leading number names the rule (group) of a topic whose rules all must match.
        head = [words[0]] if words[0].isdigit() and len(words) > 1 else []
        terms = words[len(head):]
        if any(("," in t or "،" in t) for t in terms):
            raise WatchlistError("one term per argument; quote a term of several words")
        text = " ".join([slug, *head, ", ".join(terms)])
    else:
        if len(words) != 1:
            raise WatchlistError(f"watchlists {action} takes one TERM (quote a term of several words)")
        text = f"{slug} {words[0]}"
    caller = CliCaller(user_id=None, chat=CLI_ACTOR, chat_type="private", language="en", scope=GLOBAL,
                        is_owner=True, tier=int(Tier.OWNER))
    app = app_factory(config)
    try:
        services = Services(factory=app.factory, timezone=config.timezone, topics=app.topics, clock=app.clock)
        with transaction(app.factory) as s:
            before = store.version(s)
        reply = asyncio.run(getattr(handlers, action)(services, caller, text))
        with transaction(app.factory) as s:
            changed = store.version(s) != before
        print(reply.plain(), file=sys.stdout if changed else sys.stderr)
        return 0 if changed else 1
    finally:
        app.close()
