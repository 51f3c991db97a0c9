"""Benchmark the Matcher against one big regex alternation on SaudiNewsNet.

Run: ``.venv/bin/python bench/bench_matching.py``. Builds ~300 watchlists from ~5,000 distinct
real words and bigrams of the corpus, then matches every article. The regex baseline gets the
same terms and the same normalized texts, but only finds exact forms (no clitics, no variants),
so it is a lower bound on what a regex would cost for the same job.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.text.arabic import normalize  # noqa: E402
from bot.text.matching import Matcher  # noqa: E402
from bot.watchlists import Watchlist, make_watchlist  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "saudinewsnet"
WATCHLISTS = 300
TERMS = 5_000
REGEX_BUDGET_S = 20.0  # the regex baseline runs on as many articles as fit in this budget
SEED = 20150801


def load_articles() -> list[tuple[str, str]]:
    articles: list[tuple[str, str]] = []
    for path in sorted(DATA.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                for item in json.loads(archive.read(name)):
                    articles.append((item.get("title") or "", item.get("content") or ""))
    return articles


def draw_terms(articles: list[tuple[str, str]], rng: random.Random) -> list[str]:
    """Real words and bigrams, mostly mid-frequency so that matches are common but not universal."""
    words: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    for title, body in articles[::4]:
        tokens = [t for t in normalize(f"{title} {body}").split() if not t.isdigit()]
        words.update(t for t in tokens if len(t) >= 3)
        pairs = zip(tokens, tokens[1:])
        bigrams.update(f"{a} {b}" for a, b in pairs if len(a) >= 3 and len(b) >= 3)
    pool_words = sorted(w for w, n in words.items() if 3 <= n <= 2_000)
    pool_bigrams = sorted(b for b, n in bigrams.items() if n >= 3)
    terms = set(rng.sample(pool_words, int(TERMS * 0.7)))
    terms |= set(rng.sample(pool_bigrams, TERMS - len(terms)))
    return sorted(terms)


def build_watchlists(terms: list[str], rng: random.Random) -> list[Watchlist]:
    shuffled = terms[:]
    rng.shuffle(shuffled)
    per = len(shuffled) // WATCHLISTS
    watchlists = []
    for i in range(WATCHLISTS):
        chunk = shuffled[i * per : (i + 1) * per]
        groups = [chunk[0:6], chunk[6:12]] if i % 2 else [chunk[0:8]]
        watchlists.append(
            make_watchlist(f"w{i}", f"قائمة {i}", all=groups, any=chunk[12:15], none=chunk[15:per])
        )
    return watchlists


def bench_matcher(watchlists: list[Watchlist], articles: list[tuple[str, str]]) -> Matcher:
    started = time.perf_counter()
    matcher = Matcher(watchlists)
    compiled = time.perf_counter() - started
    print(f"Matcher compile: {compiled * 1000:.1f} ms")
    for label in ("first pass (cold token memo)", "second pass (warm)"):
        started = time.perf_counter()
        topics = sum(len(matcher.match(title, body)) for title, body in articles)
        report(f"Matcher.match(), {label}", len(articles), time.perf_counter() - started)
    print(f"  topic matches: {topics}")
    started = time.perf_counter()
    for title, body in articles:
        normalize(title), normalize(body)
    report("  of which bot.text.arabic.normalize()", len(articles), time.perf_counter() - started)
    return matcher


def bench_regex(terms: list[str], articles: list[tuple[str, str]]) -> None:
    keys = sorted({normalize(t) for t in terms}, key=len, reverse=True)
    started = time.perf_counter()
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, keys)) + r")(?!\w)")
    print(f"regex compile: {(time.perf_counter() - started) * 1000:.1f} ms")
    texts = [f"{normalize(title)}\n{normalize(body)}" for title, body in articles]
    started = time.perf_counter()
    done = 0
    for text in texts:
        set(pattern.findall(text))
        done += 1
        if time.perf_counter() - started > REGEX_BUDGET_S:
            break
    elapsed = time.perf_counter() - started
    note = "" if done == len(texts) else f" (subsample: first {done} of {len(texts)} articles)"
    report(f"regex alternation, normalized text{note}", done, elapsed)


def report(label: str, count: int, seconds: float) -> None:
    print(f"{label}: {count / seconds:,.0f} articles/s, {seconds / count * 1e6:,.0f} µs/article")


def main() -> None:
    rng = random.Random(SEED)
    articles = load_articles()
    terms = draw_terms(articles, rng)
    watchlists = build_watchlists(terms, rng)
    print(f"{len(articles)} articles, {len(watchlists)} watchlists, {len(terms)} distinct terms")
    bench_matcher(watchlists, articles)
    bench_regex(terms, articles)


if __name__ == "__main__":
    main()
