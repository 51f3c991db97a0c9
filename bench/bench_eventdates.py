"""Date accuracy: raqib's event-date parser beside plain dateparser 1.5, on the same cases.

Cases: every parseable Arabic case of dateparser's own test-suite
(../shared/data/dateparser_arabic/arabic_date_cases.json: absolute dates, relative "ago" phrases,
Hijri dates, dates inside running text) and the date expressions of the seeds, each labelled by
hand with the date it means given its article's publication date. A case counts as right when
the parsed date equals the expected one at the case's precision (day or month).

Run from the repo root: ``.venv/bin/python bench/bench_eventdates.py``.
"""

from __future__ import annotations

import json
import sys
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import dateparser  # noqa: E402
from dateparser.search import search_dates  # noqa: E402
from dateutil.relativedelta import relativedelta  # noqa: E402

from bot.eventdates import find_dates, parse_expression  # noqa: E402

CASES = REPO.parent / "shared" / "data" / "dateparser_arabic" / "arabic_date_cases.json"
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


def main() -> None:
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


if __name__ == "__main__":
    main()
