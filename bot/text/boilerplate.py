"""Rule-driven removal of site boilerplate (banners, "read also" links, paywalls, bylines...).

The rules live in ``bot/data/boilerplate.toml`` so that a new outlet's junk is one line of data,
not a code change. Line rules compare on the ``normalize()``d key of a line, so hamza, diacritic,
tatweel and punctuation variants of the same boilerplate are caught by one rule; patterns are
folded the same way when they are compiled, so rules can be written in ordinary spelling.

Boilerplate comes in classes ("NAME - OUTLET - CITY :", "CITY، COUNTRY (AGENCY)--"), so rules are
written with named slots (``{NAME}``, ``{CITY}``, ``{AGENCY}``...) defined once in ``[slots]``: a
new outlet with the same habit needs no new rule. Credits at the head of the lead (``[lead]``) stay
in the stored body, where search may want the city or the outlet, and are dropped from what is
displayed: ``strip_lead_credit`` for summaries, ``clean_title`` for headlines.
"""

from __future__ import annotations

import html
import logging
import re
import sys
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

from bot.text.arabic import normalize

log = logging.getLogger(__name__)

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "data" / "boilerplate.toml"

_LINE_KINDS = ("drop", "cut")
_RULE_KEYS = {"name", "regex", "text", "raw", "max_words", "next"}
_STRIP_KEYS = {"name", "regex"}
_SUFFIX_KEYS = {"outlets", "separators", "generic_separators", "generic_max_words"}
_TOP_KEYS = {"drop", "cut", "strip", "lead", "title", "title_suffix", "slots"}
_SLOT = re.compile(r"\{([A-Z][A-Z_]*)\}")
# A credit is only taken off a lead that keeps at least this many words after it.
_LEAD_MIN_WORDS = 3
_LEAD_PASSES = 3
# Credits are read in the first characters of a lead only.
HEAD_CHARS = 300
# "&#1548;", "&quot;", "&amp;": an entity written out in text; a bare "&" ("AT&T", "?a=1&utm=2")
# is not one, so only references closed by ";" are read (html.unescape also reads "&copy" bare).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


@dataclass(frozen=True)
class LineRule:
    """A rule about a whole line: ``drop`` removes it, ``cut`` removes it and all that follows."""

    name: str
    kind: str
    pattern: re.Pattern[str]
    raw: bool = False
    max_words: int | None = None
    next: int = 0
    origin: str = ""


@dataclass(frozen=True)
class StripRule:
    """An inline fragment to delete while keeping the rest of the line."""

    name: str
    pattern: re.Pattern[str]
    origin: str = ""
    # ``required_literals(pattern)``, read once: a line lacking them is not searched.
    needs: tuple[tuple[str, ...], ...] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needs", required_literals(self.pattern))

    def may_match(self, text: str) -> bool:
        """False only when the pattern cannot match ``text``: it lacks the literals it needs."""
        return self.needs is None or _holds_any(text, self.needs)


@dataclass(frozen=True)
class Rules:
    """Compiled rules; build once with ``load_rules`` and share, matching never recompiles."""

    lines: tuple[LineRule, ...] = ()
    strips: tuple[StripRule, ...] = ()
    outlets: frozenset[str] = frozenset()
    leads: tuple[StripRule, ...] = ()
    titles: tuple[StripRule, ...] = ()
    separators: tuple[str, ...] = ("-", "–", "—", "|")
    generic_separators: tuple[str, ...] = ("–", "—", "|")
    generic_max_words: int = 3

    @cached_property
    def line_checks(self) -> tuple[tuple[int, bool, re.Pattern[str], LineRule], ...]:
        """(word limit, raw, pattern, rule) per line rule, in order: ``match_line`` reads every rule
        for every line, so the attributes are looked up once."""
        return tuple((r.max_words if r.max_words is not None else sys.maxsize, r.raw, r.pattern, r)
                     for r in self.lines)


# --- folding -------------------------------------------------------------------------------


def _fold_char(ch: str) -> str:
    # Letters, marks, digits and invisible format characters fold like normalize(); punctuation is
    # kept so that raw patterns can still anchor on it.
    if unicodedata.category(ch)[0] in "LMNC" and not ch.isspace():
        return normalize(ch)
    return ch


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD = _FoldTable()
# Prefilled so that translate() rarely falls back to __missing__ (ASCII, Arabic, punctuation).
_FOLD.update(
    (code, _fold_char(chr(code)))
    for code in (*range(0x0000, 0x0800), *range(0x2000, 0x2070), *range(0xFB50, 0xFF00))
)


def fold_text(text: str) -> str:
    """Fold spelling variants like ``normalize`` but keep punctuation and spacing."""
    if len(text) <= 400:
        return _fold_cached(text)
    return _fold(text)


def _fold(text: str) -> str:
    """``text.translate(_FOLD)``, by one ``str.replace`` per folding character the text holds (most
    characters fold to themselves; a translate looks every one up: ~1.5x slower on news lines).
    Exact: what a character folds to folds to itself, so no replacement touches another's output."""
    found = set(_FOLDING.findall(text))
    if not _REPLACE_SAFE or any(ord(ch) not in _FOLD for ch in found):
        return text.translate(_FOLD)  # a character outside the prefilled table: the table decides
    for ch in found:
        text = text.replace(ch, _FOLD[ord(ch)])
    return text


# A line is folded by the strip rules, the line rules, the lead-credit check and the summary's
# credit check in turn (the same text each time): the first fold serves them all.
@lru_cache(maxsize=16384)
def _fold_cached(text: str) -> str:
    return _fold(text)


def fold(text: str) -> tuple[str, list[int]]:
    """``fold_text`` plus a map to source offsets.

    ``positions[i]`` is the offset in ``text`` of folded character ``i`` (plus a final sentinel), so
    a match in the folded text can be cut out of the original, diacritics and all.
    """
    if not _UNEVEN.search(text):  # every character folds to one: the map is the identity
        return fold_text(text), list(range(len(text) + 1))
    positions: list[int] = []
    for i, ch in enumerate(text):
        positions.extend([i] * len(_FOLD[ord(ch)]))
    positions.append(len(text))
    return fold_text(text), positions


# Characters that fold to something else, and any outside the prefilled table (folded by the table).
_FOLDING = re.compile(
    "[" + "".join(re.escape(chr(code)) for code, folded in _FOLD.items() if folded != chr(code)) + "]"
    "|[^\u0000-\u07ff\u2000-\u206f\ufb50-\ufeff]"
)
# Replacing one character at a time equals the translate only if what a character folds to folds to
# itself (checked here, through the table: a few outputs lie outside the prefilled ranges).
_REPLACE_SAFE = all(_FOLD[ord(x)] == x for folded in list(_FOLD.values()) for x in folded)

# Characters that fold to none or several (marks, ligatures), and any outside the prefilled table.
_UNEVEN = re.compile(
    "[" + "".join(re.escape(chr(code)) for code, folded in _FOLD.items() if len(folded) != 1) + "]"
    "|[^\u0000-\u07ff\u2000-\u206f\ufb50-\ufeff]"
)


def _fold_pattern(pattern: str) -> str:
    """Fold the letters of a regex so that it is written like the text it will meet."""
    out: list[str] = []
    escaped = False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif ord(ch) > 0x7F:
            out.append(_FOLD[ord(ch)])
        else:
            out.append(ch)
    return "".join(out)


# --- loading -------------------------------------------------------------------------------


def load_rules(extra_paths: Sequence[Path] = ()) -> Rules:
    """Packaged rules plus any extra rule files (same format), compiled once."""
    lines: list[LineRule] = []
    strips: list[StripRule] = []
    leads: list[StripRule] = []
    titles: list[StripRule] = []
    outlets: set[str] = set()
    suffix_opts: dict[str, Any] = {}
    slots: dict[str, str] = {}
    datas = [(path, _read_toml(path)) for path in (DEFAULT_RULES, *map(Path, extra_paths))]
    for path, data in datas:  # slots first: a later file's rules may use an earlier file's slots
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise ValueError(f"{path}: unknown section(s) {sorted(unknown)}")
        slots.update(_slot_table(data.get("slots", {}), slots, f"{path}: [slots]"))
    for path, data in datas:
        for kind in _LINE_KINDS:
            for i, spec in enumerate(_as_list(data, kind, path)):
                lines.append(_line_rule(kind, spec, f"{path}: [{kind}] rule #{i + 1}", slots))
        for key, bucket in (("strip", strips), ("lead", leads), ("title", titles)):
            for i, spec in enumerate(_as_list(data, key, path)):
                bucket.append(_strip_rule(spec, f"{path}: [{key}] rule #{i + 1}", slots))
        suffix = data.get("title_suffix", {})
        outlets.update(_title_options(suffix, suffix_opts, f"{path}: [title_suffix]"))
    return Rules(
        tuple(lines), tuple(strips), frozenset(outlets), tuple(leads), tuple(titles), **suffix_opts
    )


def _slot_table(table: Any, known: dict[str, str], where: str) -> dict[str, str]:
    """Slot name -> regex, with slots used inside a slot already expanded (defined earlier)."""
    if not isinstance(table, dict):
        raise ValueError(f"{where}: must be a table of NAME = \"regex\"")
    out: dict[str, str] = {}
    for name, regex in table.items():
        if not re.fullmatch(r"[A-Z][A-Z_]*", name) or not isinstance(regex, str) or not regex:
            raise ValueError(f"{where}: {name!r} must be an UPPER_CASE name with a non-empty regex")
        out[name] = _expand(regex, {**known, **out}, f"{where} {name}")
    return out


def _expand(regex: str, slots: dict[str, str], where: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) not in slots:
            raise ValueError(f"{where}: unknown slot {{{m.group(1)}}} (define it in [slots])")
        return f"(?:{slots[m.group(1)]})"

    return _SLOT.sub(one, regex)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ValueError(f"{path}: cannot read rule file: {exc}") from exc


def _as_list(data: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{path}: [{key}] must be a list of rule tables")
    return value


def _spec_fields(spec: Any, allowed: set[str], where: str) -> tuple[dict[str, Any], str]:
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: expected a table like {{ name = ..., regex = ... }}")
    name = spec.get("name")
    where = f"{where} ({name!r})" if name else where
    unknown = set(spec) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}")
    return spec, where


def _compile(regex: Any, where: str, slots: dict[str, str] | None = None) -> re.Pattern[str]:
    if not isinstance(regex, str) or not regex:
        raise ValueError(f"{where}: 'regex' must be a non-empty string")
    regex = _expand(regex, slots or {}, where)
    try:
        return re.compile(_fold_pattern(regex), re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"{where}: bad regex {regex!r}: {exc}") from exc


def _line_rule(kind: str, spec: Any, where: str, slots: dict[str, str] | None = None) -> LineRule:
    spec, where = _spec_fields(spec, _RULE_KEYS, where)
    if ("regex" in spec) == ("text" in spec):
        raise ValueError(f"{where}: give exactly one of 'regex' or 'text'")
    if "text" in spec:
        if not isinstance(spec["text"], str) or not normalize(spec["text"]):
            raise ValueError(f"{where}: 'text' must be a string with letters or digits")
        pattern = re.compile("^" + re.escape(normalize(spec["text"])) + "$")
    else:
        pattern = _compile(spec["regex"], where, slots)
    max_words = spec.get("max_words")
    if max_words is not None and (type(max_words) is not int or max_words < 1):
        raise ValueError(f"{where}: 'max_words' must be a positive integer")
    nxt = spec.get("next", 0)
    if type(nxt) is not int or nxt < 0:
        raise ValueError(f"{where}: 'next' must be a non-negative integer")
    raw = spec.get("raw", False)
    if not isinstance(raw, bool):
        raise ValueError(f"{where}: 'raw' must be true or false")
    name = str(spec.get("name") or where)
    return LineRule(name, kind, pattern, raw, max_words, nxt, where)


def _strip_rule(spec: Any, where: str, slots: dict[str, str] | None = None) -> StripRule:
    spec, where = _spec_fields(spec, _STRIP_KEYS, where)
    return StripRule(str(spec.get("name") or where), _compile(spec.get("regex"), where, slots), where)


def _title_options(suffix: Any, opts: dict[str, Any], where: str) -> set[str]:
    if not isinstance(suffix, dict):
        raise ValueError(f"{where}: must be a table")
    unknown = set(suffix) - _SUFFIX_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}")
    for key in ("separators", "generic_separators"):
        if key in suffix:
            value = suffix[key]
            if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
                raise ValueError(f"{where}: {key!r} must be a list of non-empty strings")
            opts[key] = tuple(value)
    if "generic_max_words" in suffix:
        value = suffix["generic_max_words"]
        if type(value) is not int or value < 0:
            raise ValueError(f"{where}: 'generic_max_words' must be a non-negative integer")
        opts["generic_max_words"] = value
    outlets = suffix.get("outlets", [])
    if not isinstance(outlets, list) or not all(isinstance(o, str) for o in outlets):
        raise ValueError(f"{where}: 'outlets' must be a list of strings")
    return {normalize(o) for o in outlets if normalize(o)}


# --- applying ------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def required_literals(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], ...] | None:
    """Literal runs a match of ``pattern`` must contain: one tuple per top-level alternative, each
    run of it required; None when some alternative requires none.

    A text lacking them cannot match, and ``in`` finds that far faster than a search: a pattern
    opening with ``\\s*`` or a lookbehind gets no literal-prefix scan from the regex engine and is
    tried at every position of every line. Cased letters under IGNORECASE end a run (``in``
    compares exactly).
    """
    from re import _parser  # the stdlib's own regex parser: exactly what compile() reads

    try:
        parsed = list(_parser.parse(pattern.pattern, pattern.flags))
    except re.error:  # pragma: no cover - the pattern compiled already
        return None
    branches = [parsed]
    if len(parsed) == 1 and parsed[0][0] is _parser.BRANCH:
        branches = [list(b) for b in parsed[0][1][1]]
    ignore_case = bool(pattern.flags & re.IGNORECASE)
    alternatives = []
    for ops in branches:
        runs: list[str] = []
        run = ""
        for op, arg in [*ops, (None, None)]:
            ch = chr(arg) if op is _parser.LITERAL else ""
            if ch and not (ignore_case and ch.lower() != ch.upper()):
                run += ch
                continue
            if run:
                runs.append(run)
            run = ""
        if not runs:
            return None
        alternatives.append(tuple(runs))
    return tuple(alternatives)


def may_match(pattern: re.Pattern[str], text: str) -> bool:
    """False only when ``pattern`` cannot match ``text`` (see ``required_literals``)."""
    alternatives = required_literals(pattern)
    return alternatives is None or _holds_any(text, alternatives)


def _holds_any(text: str, alternatives: tuple[tuple[str, ...], ...]) -> bool:
    """Whether ``text`` holds every run of one of the alternatives (loops: no generator per line)."""
    for runs in alternatives:
        for run in runs:
            if run not in text:
                break
        else:
            return True
    return False


def strip_fragments(line: str, rules: Rules) -> str:
    """Delete inline boilerplate fragments from one line, keeping its own spelling."""
    folded = fold_text(line)
    for rule in rules.strips:
        if rule.needs is not None and not _holds_any(folded, rule.needs):
            continue
        if not rule.pattern.search(folded):
            continue
        folded, positions = fold(line)
        spans = [(positions[m.start()], positions[m.end()]) for m in rule.pattern.finditer(folded)]
        for start, end in reversed(spans):
            line = line[:start] + " " + line[end:]
        folded = fold_text(line)
    return " ".join(line.split())


def match_line(line: str, rules: Rules) -> LineRule | None:
    """The first line rule that says ``line`` is boilerplate, if any."""
    key = normalize(line)
    words = key.count(" ") + 1 if key else 0
    folded: str | None = None
    for limit, raw, pattern, rule in rules.line_checks:
        if words > limit:
            continue
        if raw:
            folded = fold_text(line.strip()) if folded is None else folded
            if pattern.search(folded):
                return rule
        elif pattern.search(key):
            return rule
    return None


def clean_lines(lines: Iterable[str], rules: Rules) -> list[str]:
    """Non-blank lines with boilerplate removed, whitespace collapsed, in order.

    A ``cut`` rule (related-news lists, comment sections, paywall offers) ends the article only
    once some article text has been kept: the same heading above the story is just dropped.
    """
    kept: list[str] = []
    skip = 0
    for raw in lines:
        line = strip_fragments(raw, rules)
        if not line:
            continue
        if skip:
            skip -= 1
            continue
        rule = match_line(line, rules)
        if rule is None and rules.leads and is_lead_credit(line, rules):
            continue
        if rule is None:
            kept.append(line)
        elif rule.kind == "cut" and kept:
            log.debug("cut at %r (%s)", line[:60], rule.name)
            break
        else:
            skip = rule.next
    return kept


def clean_text(text: str, rules: Rules) -> str:
    """``clean_lines`` over a whole text, one paragraph per line."""
    return "\n".join(clean_lines(text.splitlines(), rules))


def strip_title_suffix(title: str, rules: Rules) -> str:
    """Drop a trailing outlet name (" – النور نيوز", " | CNN") from a headline.

    Known outlets go after any separator; an unknown short tail is dropped only after an en/em dash
    or a pipe, never a hyphen, because "مصر - السودان" or a "2 - 1" score is part of the headline.
    """
    title = " ".join(title.split())
    for _ in range(2):
        cut = _split_suffix(title, rules)
        if cut is None:
            break
        title = cut
    return title


def _split_suffix(title: str, rules: Rules) -> str | None:
    best: tuple[int, str] | None = None
    for sep in rules.separators:
        idx = title.rfind(f" {sep} ")
        if idx > 0 and (best is None or idx > best[0]):
            best = (idx, sep)
    if best is None:
        return None
    idx, sep = best
    head, tail = title[:idx].strip(), title[idx + len(sep) + 2:].strip()
    tail_key = normalize(tail)
    if not head or not tail_key:
        return None
    if tail_key in rules.outlets:
        return head
    words = tail_key.split()
    if (
        sep in rules.generic_separators
        and len(words) <= rules.generic_max_words
        and not any(ch.isdigit() for ch in tail_key)
        and len(normalize(head).split()) >= 3
    ):
        return head
    return None


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The packaged rules, compiled once per process."""
    return load_rules()


def unescape_entities(text: str) -> str:
    """``&#1548;`` -> "،", ``&quot;`` -> '"': character references left in text, read once.

    Only references closed by ";" are read, so a bare "&" (a URL's query, "AT&T") stays as it is.
    """
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def _cut_head(text: str, rules: Iterable[StripRule], min_words: int) -> str:
    """``text`` without what the anchored ``rules`` match at its start, pass after pass.

    A cut that would leave fewer than ``min_words`` words is not made: then the "credit" is the
    text itself (a one-line item, a headline that is all place names).
    """
    for _ in range(_LEAD_PASSES):
        folded, positions = fold(text[:HEAD_CHARS])  # a credit is short; a 2 MB lead is not read
        for rule in rules:
            m = rule.pattern.match(folded)
            if m is None or m.end() == 0:
                continue
            rest = text[positions[m.end()]:].lstrip(" \t\u00a0-–—:،,|")
            if len(normalize(rest[:400]).split()) >= min_words:
                text = rest
                break
        else:
            return text
    return text


def strip_lead_credit(text: str, rules: Rules | None = None) -> str:
    """``text`` without a leading dateline, byline or agency tag (what a headline or summary shows).

    The stored body keeps them for search; only what is displayed drops them. Only the head of the
    first non-blank paragraph is read: a credit is where the lead starts.
    """
    rules = rules or default_rules()
    if not rules.leads or not text:
        return text
    stripped = text.lstrip()
    first, sep, rest = stripped.partition("\n")
    head = _cut_head(first, rules.leads, _LEAD_MIN_WORDS)
    if head is first:
        return text
    return head + sep + rest


def is_lead_credit(line: str, rules: Rules) -> bool:
    """Whether ``line`` is nothing but a credit ("إسلام آباد 18 شوال 1436 هـ الموافق ... واس")."""
    line = line.strip()
    if len(line) > HEAD_CHARS:
        return False
    folded = fold_text(line)
    for rule in rules.leads:
        if not rule.may_match(folded):  # most lines hold no "(" or ":" the credit forms need
            continue
        m = rule.pattern.match(folded)
        if m is not None and m.end() and not normalize(folded[m.end():]):
            return True
    return False


def clean_title(title: str, rules: Rules | None = None) -> str:
    """A headline as shown: entities read, no outlet prefix or suffix, no dateline or byline."""
    rules = rules or default_rules()
    title = " ".join(unescape_entities(title).split())
    for rule in rules.titles:
        folded, positions = fold(title)
        m = rule.pattern.search(folded)
        if m is None or m.end() == m.start():
            continue
        rest = (title[:positions[m.start()]] + " " + title[positions[m.end()]:]).strip(" -–—|:،,")
        if len(normalize(rest).split()) >= _LEAD_MIN_WORDS:
            title = " ".join(rest.split())
    return strip_title_suffix(title, rules)
