"""Spelling variants of names: recall per variant class and false hits, beside HEAD's matcher.

Run: ``.venv/bin/python bench/bench_spellings.py [--baseline REV] [--labels TSV]``.

Each row of ``bench/data/spelling_variants.tsv`` (term, text, class, expected, source) is one
check: a watchlist with the term alone, matched against the short text. Rows expected "yes" count
toward their class's recall; rows expected "no" are false hits when they match. The baseline is the
matcher of git revision REV (default HEAD), loaded from ``git show REV:bot/text/matching.py`` into a
temporary module, so the same labels are run through both in one command.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.text.matching import Matcher  # noqa: E402
from bot.watchlists import make_watchlist  # noqa: E402

LABELS = REPO / "bench" / "data" / "spelling_variants.tsv"


def load_labels(path: Path = LABELS) -> list[dict[str, str]]:
    """The labelled rows; comment lines start with '#'."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and ln[0] != "#"]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def matcher_of(revision: str) -> type:
    """The Matcher class of bot/text/matching.py at a git revision, as a throwaway module."""
    source = subprocess.run(
        ["git", "show", f"{revision}:bot/text/matching.py"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="raqib-baseline-"))
    path = folder / "baseline_matching.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("baseline_matching", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_matching"] = module
    spec.loader.exec_module(module)
    return module.Matcher


def run(rows: list[dict[str, str]], matcher: type = Matcher) -> list[tuple[dict[str, str], bool]]:
    """(row, matched) for every row."""
    out = []
    for row in rows:
        m: Callable = matcher([make_watchlist("t", "t", any=[row["term"]])]).match
        out.append((row, bool(m("", row["text"]))))
    return out


def score(results: list[tuple[dict[str, str], bool]]) -> dict[str, tuple[int, int, int, int]]:
    """class -> (positives found, positives, negatives matched, negatives)."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row, matched in results:
        cell = table[row["class"]]
        if row["expected"] == "yes":
            cell[0] += matched
            cell[1] += 1
        else:
            cell[2] += matched
            cell[3] += 1
    return {k: (a, b, c, d) for k, (a, b, c, d) in table.items()}


def held_out_readings(day: str = "2015-08-06") -> list[tuple[str, str, str, int]]:
    """(rule, token, term word, count): variant readings of the public names on a held-out day.

    Nothing was tuned on this day; read the list to estimate precision on unseen text.
    """
    import json
    import zipfile
    from collections import Counter

    from bot.text.arabic import normalize

    sys.path.insert(0, str(REPO / "bench"))
    from mine_spellings import public_names

    names = public_names()
    matcher = Matcher([make_watchlist(f"n{i}", "n", any=[t]) for i, (t, _, _) in enumerate(names)])
    counts: Counter[str] = Counter()
    path = REPO.parent / "shared" / "data" / "saudinewsnet" / f"{day}.zip"
    with zipfile.ZipFile(path) as archive:
        for item in json.loads(archive.read(archive.namelist()[0])):
            counts.update(normalize(f"{item['title'] or ''} {item['content'] or ''}").split())
    rows = []
    for token, n in counts.items():
        rules: dict[int, str] = {}
        matcher._analyse(token, frozenset(), rules)
        for word_id, rule in rules.items():
            if rule and rule not in {"adjective", "one word", "two words"}:
                rows.append((rule, token, matcher._word_text[word_id], n))
    return sorted(rows, key=lambda r: (r[0], -r[3]))


def _cell(found: int, total: int) -> str:
    return f"{found}/{total} = {found / total:.3f}" if total else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="HEAD")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--misses", action="store_true", help="list the rows raqib gets wrong")
    parser.add_argument(
        "--held-out", action="store_true", help="list variant readings on SaudiNewsNet 2015-08-06"
    )
    args = parser.parse_args()
    rows = load_labels(args.labels)
    new = run(rows)
    old = run(rows, matcher_of(args.baseline))
    now, before = score(new), score(old)
    print(f"{len(rows)} labelled rows ({args.labels.relative_to(REPO)}); baseline {args.baseline}")
    print(f"{'class':<15} {'recall now':>18} {'recall baseline':>18} {'false hits now':>15} {'baseline':>9}")
    for name in sorted(now):
        f, p, fh, n = now[name]
        bf, bp, bfh, bn = before[name]
        print(f"{name:<15} {_cell(f, p):>18} {_cell(bf, bp):>18} {f'{fh}/{n}':>15} {f'{bfh}/{bn}':>9}")
    total = [sum(v[i] for v in now.values()) for i in range(4)]
    base = [sum(v[i] for v in before.values()) for i in range(4)]
    print(f"{'all':<15} {_cell(total[0], total[1]):>18} {_cell(base[0], base[1]):>18} "
          f"{f'{total[2]}/{total[3]}':>15} {f'{base[2]}/{base[3]}':>9}")
    if args.held_out:
        readings = held_out_readings()
        print(f"held-out 2015-08-06: {len(readings)} variant readings of the public names")
        for rule, token, word, n in readings:
            print(f"  {rule}: {token} ≈ {word} ({n})")
    if args.misses:
        for row, matched in new:
            if matched != (row["expected"] == "yes"):
                print(f"  wrong: {row['class']}: {row['term']} | {row['text']} -> {matched}")


if __name__ == "__main__":
    main()
