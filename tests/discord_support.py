"""Slash-command options as Discord sends them, built from the command registry, so tests can say
``/watch add kursk بلغورود`` and the fake gateway delivers ``watch › add`` with named options."""

from __future__ import annotations

from typing import Any

from handlers.registry import commands

STRING, SUBCOMMAND = 3, 1


def options_for(name: str, text: str | None, focused: str | None = None) -> list[dict[str, Any]]:
    """The interaction's ``options`` for ``/name text``: the words fill the entry's arguments in
    order, the last one that takes the rest of the line gets the rest. ``focused`` marks the
    option being typed (an autocomplete request)."""
    entry = commands()[name]
    words = (text or "").split()
    wrap = None
    if entry.subcommands:
        sub = entry.sub(words[0]) if words else None
        if sub is None:
            return []
        entry, words, wrap = sub, words[1:], sub.name
    options = []
    for i, arg in enumerate(entry.args):
        if i >= len(words) and not (focused == arg.name):
            break
        value = " ".join(words[i:]) if arg.rest else (words[i] if i < len(words) else "")
        option: dict[str, Any] = {"name": arg.name, "type": STRING, "value": value}
        if focused == arg.name:
            option["focused"] = True
        options.append(option)
    return [{"name": wrap, "type": SUBCOMMAND, "options": options}] if wrap else options
