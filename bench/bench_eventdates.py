"""Date accuracy: raqib's event-date parser beside plain dateparser 1.5 (and HEAD's raqib), in one run.

Cases:
- every parseable Arabic case of dateparser's own test-suite
  (../shared/data/dateparser_arabic/arabic_date_cases.json: absolute dates, relative "ago" phrases,
  Hijri dates, dates inside running text) and the date expressions of the seeds; a case counts as
  right when the parsed date equals the expected one at the case's precision (day or month);
- the gold set ``bench/data/eventdates_gold.tsv``: 287 expressions read and labelled one by one
  from SaudiNewsNet (2015-08-01..03) and ANT JawharaFM articles: future and past, marked and
  unmarked months, ordinal days, ranges, bracketed days, relative days, Hijri+Gregorian datelines,
  and expressions that hold no date. 233 ("tune") were read while the rules were written; 54
  ("blind") were labelled afterwards from fresh candidates, before raqib was run on them. *Exact* means the date and its precision (day, week, month,
  year) both match, or nothing found where nothing is stated. dateparser and HEAD's raqib state no
  precision: they are scored on the date alone at the label's precision, which favours them.

Run from the repo root: ``.venv/bin/python bench/bench_eventdates.py [--windows] [--misses]``.
``--windows`` also prints the gold-set score for each ``FUTURE_WINDOW`` (how far ahead an unmarked,
tenseless date may resolve).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import dateparser  # noqa: E402
from dateparser.search import search_dates  # noqa: E402
from dateutil.relativedelta import relativedelta  # noqa: E402

import bot.text.eventdates as eventdates  # noqa: E402
from bot.text.eventdates import find_dates, parse_expression  # noqa: E402

CASES = REPO.parent / "shared" / "data" / "dateparser_arabic" / "arabic_date_cases.json"
GOLD = REPO / "bench" / "data" / "eventdates_gold.tsv"
_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
UTC = timezone.utc
_BASE = datetime(2025, 12, 31, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    group: str
    text: str
    base: datetime
    expected: tuple[datetime, ...]  # several for a text holding several dates
    precision: str = "day"  # or "month"


def _d(y: int, m: int, d: int = 1) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


# The seeds' expressions, with the publication date each is read against (see each seed).
SEED_CASES = [
    Case("seeds", "في 18 ديسمبر/كانون الأول", _d(2025, 12, 31), (_d(2025, 12, 18),)),
    Case("seeds", "في أغسطس/آب 2025", _d(2025, 12, 31), (_d(2025, 8),), "month"),
    Case("seeds", "في أبريل/نيسان", _d(2025, 12, 31), (_d(2025, 4),), "month"),
    Case("seeds", "قمة عقدت في يونيو الماضي", _d(2025, 1, 1), (_d(2024, 6),), "month"),
    Case("seeds", "في يونيو من العام الماضي", _d(2025, 12, 25), (_d(2024, 6),), "month"),
    Case("seeds", "ديسمبر 25, 2025", _d(2025, 12, 25), (_d(2025, 12, 25),)),
    Case("seeds", "date 2025-08-13", _d(2025, 8, 13), (_d(2025, 8, 13),)),
    Case("seeds", "في فبراير 2022", _d(2025, 12, 31), (_d(2022, 2),), "month"),
    Case("seeds", "اعتبارًا من أكتوبر 2022", _d(2025, 12, 31), (_d(2022, 10),), "month"),
    Case("seeds", "في سبتمبر 2023 ،", _d(2025, 12, 31), (_d(2023, 9),), "month"),
    Case("seeds", "وفي أبريل من هذا العام", _d(2025, 8, 13), (_d(2025, 4),), "month"),
    Case("seeds", "26 شوال 1436 هـ", _d(2025, 12, 31), (_d(2015, 8, 11),)),
    Case("seeds", "18 كانون الأول 2025", _d(2025, 12, 31), (_d(2025, 12, 18),)),
    Case("seeds", "3 جانفي 2024", _d(2025, 12, 31), (_d(2024, 1, 3),)),
    Case("seeds", "في أيلول 2024", _d(2025, 12, 31), (_d(2024, 9),), "month"),
    Case("seeds", "٢٥ ديسمبر ٢٠٢٥", _d(2025, 12, 31), (_d(2025, 12, 25),)),
]

_EN_MONTHS = {m.lower(): i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}


def dataset_cases(path: Path = CASES) -> list[Case]:
    """The cases of dateparser's Arabic tests that state a date (not tokenizer or language checks)."""
    out: list[Case] = []
    for c in json.loads(path.read_text(encoding="utf-8")):
        kind, text, expected = c["kind"], c["text"], c["expected"]
        if kind == "translate_absolute":
            day, month, year = expected.split()[:3]
            out.append(Case(kind, text, _BASE, (_d(int(year), _EN_MONTHS[month], int(day)),)))
        elif kind == "relative_ago":
            ago = relativedelta(**expected["ago"])
            out.append(Case(kind, text, _BASE, (_BASE - ago,)))
        elif kind == "hijri_to_gregorian":
            when = datetime.fromisoformat(expected).replace(tzinfo=UTC)
            out.append(Case(kind, text.strip(), _BASE, (when,)))
        elif kind == "search_dates":
            dates = tuple(datetime.fromisoformat(iso).replace(tzinfo=UTC) for _, iso in expected)
            out.append(Case(kind, text, _d(2000, 1, 1), dates))
    return out


def _key(d: datetime, precision: str) -> tuple[int, ...]:
    return (d.year, d.month) if precision == "month" else (d.year, d.month, d.day)


def ours(case: Case) -> tuple[datetime, ...]:
    if len(case.expected) > 1:
        return tuple(f.date for f in find_dates(case.text, case.base))
    found = parse_expression(case.text, case.base)
    return () if found is None else (found,)


def plain(case: Case) -> tuple[datetime, ...]:
    settings = {"RELATIVE_BASE": case.base.replace(tzinfo=None), "PREFER_DATES_FROM": "past"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(case.expected) > 1:
            found = search_dates(case.text, languages=["ar"], settings=settings) or []
            return tuple(d.replace(tzinfo=UTC) for _, d in found)
        parsed = dateparser.parse(case.text, languages=["ar"], settings=settings)
        if parsed is None:  # the expression inside a phrase, as it appears in an article
            found = search_dates(case.text, languages=["ar"], settings=settings) or []
            parsed = found[0][1] if found else None
    return () if parsed is None else (parsed.replace(tzinfo=UTC),)


def correct(case: Case, parse: Callable[[Case], tuple[datetime, ...]]) -> bool:
    got = parse(case)
    return [_key(d, case.precision) for d in got] == [_key(d, case.precision) for d in case.expected]


def score(cases: list[Case], parse) -> tuple[int, int]:
    return sum(correct(c, parse) for c in cases), len(cases)


@dataclass(frozen=True)
class GoldCase:
    expression: str
    published: datetime
    expected: str | None  # "2015-08-12", "2015-08", "2015", or None: no date stated
    precision: str | None
    group: str
    source: str
    ref: str
    split: str = "tune"  # "blind": labelled after the rules were written, never tuned on


def gold_cases(path: Path = GOLD) -> list[GoldCase]:
    """The hand-labelled gold set (comment lines start with #)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    return [
        GoldCase(r["expression"], datetime.fromisoformat(r["published"]).replace(hour=12, tzinfo=UTC),
                 None if r["expected"] == "-" else r["expected"], None if r["precision"] == "-" else r["precision"],
                 r["class"], r["source"], r["ref"], r.get("split") or "tune")
        for r in rows
    ]


def gold_exact(case: GoldCase, got: datetime | None, check_precision: bool = True) -> bool:
    """Right date at the label's precision, and (for raqib) the same precision; or no date for none."""
    if case.expected is None:
        return got is None
    if got is None:
        return False
    if check_precision and getattr(got, "precision", None) != case.precision:
        return False
    return got.strftime(_FORMATS[case.precision or "day"]) == case.expected


def ours_gold(case: GoldCase, module: ModuleType = eventdates) -> datetime | None:
    return module.parse_expression(case.expression, case.published)


def plain_gold(case: GoldCase) -> datetime | None:
    """dateparser as a user would call it on the expression: parse, else the first date it finds."""
    settings = {"RELATIVE_BASE": case.published.replace(tzinfo=None), "PREFER_DATES_FROM": "past"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = dateparser.parse(case.expression, languages=["ar"], settings=settings)
        if parsed is None:
            found = search_dates(case.expression, languages=["ar"], settings=settings) or []
            parsed = found[0][1] if found else None
    return None if parsed is None else parsed.replace(tzinfo=UTC)


def head_module() -> ModuleType | None:
    """``bot/text/eventdates.py`` as committed at HEAD, imported under another name (the baseline)."""
    try:
        source = subprocess.run(["git", "show", "HEAD:bot/text/eventdates.py"], cwd=REPO, capture_output=True,
                                text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp(prefix="raqib-head-")) / "head_eventdates.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("head_eventdates", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["head_eventdates"] = module
    try:
        spec.loader.exec_module(module)
    except Exception:  # HEAD may need names the working tree no longer has
        return None
    return module


def gold_table(cases: list[GoldCase], show_misses: bool = False) -> float:
    """Print per-class exact-match accuracy for raqib, HEAD's raqib and dateparser; return raqib's."""
    head = head_module()
    by_group: dict[str, list[GoldCase]] = {}
    for c in cases:
        by_group.setdefault(c.group, []).append(c)
    results = {id(c): (ours_gold(c), plain_gold(c), ours_gold(c, head) if head else None) for c in cases}
    print(f"\n{'gold set (exact)':<28}{'n':>4}  {'raqib':>14}  {'raqib, date only':>18}  {'HEAD raqib':>14}  "
          f"{'dateparser':>14}")
    splits = [(f"split: {name}", [c for c in cases if c.split == name]) for name in ("tune", "blind")]
    for label, group in [*sorted(by_group.items()), *[s for s in splits if s[1]], ("all", cases)]:
        n = len(group)
        a = sum(gold_exact(c, results[id(c)][0]) for c in group)
        a2 = sum(gold_exact(c, results[id(c)][0], False) for c in group)
        h = sum(gold_exact(c, results[id(c)][2], False) for c in group) if head else None
        p = sum(gold_exact(c, results[id(c)][1], False) for c in group)
        head_cell = f"{h:>4} ({h / n:>6.1%})" if h is not None else f"{'n/a':>14}"
        print(f"{label:<28}{n:>4}  {a:>4} ({a / n:>6.1%})  {a2:>8} ({a2 / n:>6.1%})  {head_cell}  "
              f"{p:>4} ({p / n:>6.1%})")
    if show_misses:
        for c in cases:
            got = results[id(c)][0]
            if not gold_exact(c, got):
                shown = "-" if got is None else f"{got:%Y-%m-%d} {getattr(got, 'precision', '')}"
                print(f"  miss [{c.group}] {c.expression} | published {c.published:%Y-%m-%d} | "
                      f"expected {c.expected} {c.precision} | got {shown}")
    return sum(gold_exact(c, results[id(c)][0]) for c in cases) / len(cases)


def window_sweep(cases: list[GoldCase]) -> None:
    """The gold-set score for each future window of unmarked, tenseless dates."""
    saved = eventdates.FUTURE_WINDOW
    print("\nFUTURE_WINDOW (months)  exact")
    try:
        for months in (0, 1, 2, 3, 4, 5, 6):
            eventdates.FUTURE_WINDOW = {eventdates.DAY: timedelta(days=int(30.5 * months)), eventdates.MONTH: months}
            right = sum(gold_exact(c, ours_gold(c)) for c in cases)
            print(f"{months:>22}  {right}/{len(cases)}")
    finally:
        eventdates.FUTURE_WINDOW = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--windows", action="store_true", help="also sweep FUTURE_WINDOW on the gold set")
    parser.add_argument("--misses", action="store_true", help="list raqib's gold-set misses")
    options = parser.parse_args()
    data = dataset_cases()
    print(f"{'case set':<40}{'n':>4}  {'raqib':>12}  {'plain dateparser 1.5':>22}")
    groups: dict[str, list[Case]] = {}
    for c in data:
        groups.setdefault(c.group, []).append(c)
    rows = [(f"dateparser_arabic: {g}", cs) for g, cs in groups.items()]
    rows += [("dateparser_arabic: all", data), ("seeds' expressions", SEED_CASES)]
    for label, cs in rows:
        a, n = score(cs, ours)
        b, _ = score(cs, plain)
        print(f"{label:<40}{n:>4}  {a:>4} ({a / n:>5.0%})  {b:>12} ({b / n:>5.0%})")
    misses = [c.text for c in data + SEED_CASES if not correct(c, ours)]
    if misses:
        print("\nraqib misses:", *misses, sep="\n  ")
    gold = gold_cases()
    gold_table(gold, options.misses)
    if options.windows:
        window_sweep(gold)


if __name__ == "__main__":
    main()
