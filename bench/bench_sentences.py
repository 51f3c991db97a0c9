"""Sentence splitting on one-line texts: does the time grow with the length, or with its square?

Run: ``.venv/bin/python bench/bench_sentences.py``. Builds one-line texts of 0.2, 1 and 2 MB (the
file limit) from a real seed report and times ``bot.text.arabic.split_sentences`` and the whole
``summarize`` on each, then on the same texts hard-wrapped at 78 columns (rejoined by raqib). Baseline (issue 9, defect 6, before the fix): 0.25 MB 0.9 s, 1 MB 17 s,
1.9 MB 56 s, a 2 MB / 0.2 MB ratio near 100 (quadratic). Linear means a ratio near 10.
"""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.text.arabic import split_sentences  # noqa: E402
from bot.text.summarize import summarize  # noqa: E402


def one_line(megabytes: float) -> str:
    seed = " ".join(sorted((REPO / "seeds").glob("002_*.txt"))[0].read_text(encoding="utf-8").split())
    target = int(megabytes * 1_000_000)
    return " ".join([seed] * (target // len(seed.encode("utf-8")) + 1))


def hard_wrapped(text: str, width: int = 78) -> str:
    """The same text wrapped at a fixed column, as EASC's newspaper files are."""
    return textwrap.fill(text, width=width, break_long_words=False, break_on_hyphens=False)


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    rows = []
    for mb in (0.2, 1.0, 2.0):
        text = one_line(mb)
        split_s = timed(lambda: split_sentences(text))
        summary_s = timed(lambda: summarize("عنوان", text))
        rows.append((mb, split_s, summary_s))
        print(f"{mb:>4.1f} MB one line: split_sentences {split_s:6.3f} s, summarize {summary_s:6.3f} s")
    ratio = rows[-1][1] / max(rows[0][1], 1e-9)
    print(f"2 MB / 0.2 MB split time ratio: {ratio:.1f} (linear ≈ 10, quadratic ≈ 100; baseline 56 s at 1.9 MB)")
    # Hard-wrapped (one line per 78 columns): the rejoining pass must stay linear too.
    wrapped_rows = []
    for mb in (0.2, 2.0):
        text = hard_wrapped(one_line(mb))
        split_s = timed(lambda: split_sentences(text))
        summary_s = timed(lambda: summarize("عنوان", text))
        wrapped_rows.append(split_s)
        print(f"{mb:>4.1f} MB wrapped at 78 columns: split_sentences {split_s:6.3f} s,"
              f" summarize {summary_s:6.3f} s")
    print(f"wrapped 2 MB / 0.2 MB split time ratio: {wrapped_rows[1] / max(wrapped_rows[0], 1e-9):.1f}")


if __name__ == "__main__":
    main()
