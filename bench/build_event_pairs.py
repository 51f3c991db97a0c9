"""Draw an untouched held-out set of same-event candidate pairs, as the pipeline draws candidates.

Run: ``.venv/bin/python bench/build_event_pairs.py OUT.tsv [--texts DUMP.txt]``.

Why: a held-out set must be drawn without the decision under test, or it leans toward what the
decision already gets right. So the pairs are the pipeline's candidates (other outlets' articles
sharing one of ``EventProfile.keys()`` within the -48 h window, the ``events.CANDIDATES``
best-sharing, as ``storage.events.candidates`` ranks them; copies, ``dedup.is_near_duplicate``, and
texts under 30 words left out), of SaudiNewsNet articles of 2015-08-03/04/06 that no bench/data set
names; the sample is stratified by a decision-free similarity (plain TF-IDF cosine of title + whole
body, IDF from the pool) so that enough same-event pairs come up, one pair per article, seeded.
The decision (``events.same_event`` / ``score``) is never called here. ``--texts`` writes the two
texts of each pair to a file outside the repository for reading and labelling by hand; the TSV
gets the URLs and empty label columns only.
"""

from __future__ import annotations

import math
import random
import re
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_events import LABELS, crawled  # noqa: E402
from bot.text import dedup, events  # noqa: E402
from bot.text.arabic import tokens  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402
from tests.test_dedup import load_saudinewsnet  # noqa: E402

DAYS = ("2015-08-03", "2015-08-04", "2015-08-06")
MIN_WORDS = 30
# Cosine bins and how many pairs to draw from each (the top bins hold most same-event pairs).
BINS = ((0.05, 0.15, 40), (0.15, 0.3, 45), (0.3, 0.5, 45), (0.5, 1.01, 40))
SEED = 20150806


def named_urls() -> set[str]:
    """Every URL any bench/data file names: those articles have been read before."""
    found: set[str] = set()
    for path in LABELS.glob("*.tsv"):
        found.update(re.findall(r"https?://[^\t\n ]+", path.read_text(encoding="utf-8")))
    return found


def pool() -> list[dict]:
    named = named_urls()
    seen: set[str] = set()
    out = []
    for a in load_saudinewsnet(SHARED_DATA, DAYS):
        if a["url"] in seen or a["url"] in named or len(a["content"].split()) < MIN_WORDS:
            continue
        seen.add(a["url"])
        out.append(a)
    return out


def cosine_vectors(items: list[dict]) -> list[dict[str, float]]:
    docs = [Counter(tokens(x["title"] + " " + x["content"])) for x in items]
    df = Counter(t for d in docs for t in d)
    n = len(docs)
    out = []
    for d in docs:
        v = {t: (1 + math.log(c)) * math.log((n + 1) / (df[t] + 1)) for t, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        out.append({t: x / norm for t, x in v.items()})
    return out


def candidate_pairs(items: list[dict]) -> list[tuple[int, int]]:
    """(earlier i, later j): j's capped candidates among the earlier reports of other outlets."""
    at = [crawled(x) for x in items]
    keys = [set(events.event_key(x["title"], x["content"]).keys()) for x in items]
    postings: dict[int, list[int]] = defaultdict(list)
    for i, ks in enumerate(keys):
        for k in ks:
            postings[k].append(i)
    window = timedelta(hours=events.WINDOW_HOURS)
    prints = [dedup.fingerprint(x["title"] + "\n" + x["content"]) for x in items]
    pairs = []
    for j in range(len(items)):
        shared: Counter[int] = Counter()
        for k in keys[j]:
            shared.update(i for i in postings[k] if i != j and timedelta(0) <= at[j] - at[i] <= window
                          and items[i]["source"] != items[j]["source"])
        ranked = sorted(shared, key=lambda i: (-shared[i], -at[i].timestamp(), i))[:events.CANDIDATES]
        pairs.extend((i, j) for i in ranked if not dedup.is_near_duplicate(prints[i], prints[j]))
    return pairs


def main() -> None:
    out = Path(sys.argv[1])
    dump = Path(sys.argv[sys.argv.index("--texts") + 1]) if "--texts" in sys.argv else None
    items = pool()
    vecs = cosine_vectors(items)
    pairs = candidate_pairs(items)
    cos = {(i, j): sum(x * vecs[j].get(t, 0.0) for t, x in vecs[i].items()) for i, j in pairs}
    rng = random.Random(SEED)
    used: set[int] = set()
    chosen: list[tuple[int, int, float]] = []
    for low, high, n in BINS:
        pick = [p for p in pairs if low <= cos[p] < high]
        rng.shuffle(pick)
        taken = 0
        for i, j in pick:
            if taken == n:
                break
            if i in used or j in used:
                continue
            used.update((i, j))
            chosen.append((i, j, cos[i, j]))
            taken += 1
    rng.shuffle(chosen)
    print(f"{len(items)} articles, {len(pairs)} candidate pairs, {len(chosen)} drawn")
    with out.open("w", encoding="utf-8") as fh:
        fh.write("url_a\turl_b\tlabel\tkind\treason\n")
        for i, j, _ in chosen:
            fh.write(f"{items[i]['url']}\t{items[j]['url']}\t\t\t\n")
    if dump:
        with dump.open("w", encoding="utf-8") as fh:
            for n, (i, j, c) in enumerate(chosen):
                a, b = items[i], items[j]
                fh.write(f"=== {n} cos {c:.2f}  {a['source']} {a['date_extracted']} -> "
                         f"{b['source']} {b['date_extracted']}\n")
                for x in (a, b):
                    fh.write(f"[{x['source']}] {x['title']}\n{' '.join(x['content'].split()[:110])}\n")
                fh.write("\n")


if __name__ == "__main__":
    main()
