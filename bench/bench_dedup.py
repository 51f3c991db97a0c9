"""Benchmark bot.dedup on SaudiNewsNet: speed, LSH candidate rate, decision quality.

Run: ``.venv/bin/python bench/bench_dedup.py``. Labels are built exactly as in
tests/test_dedup.py (independent verbatim-run criterion), so the figures here justify the
thresholds asserted there.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from datasketch import MinHash  # noqa: E402

from bot import dedup  # noqa: E402
from bot.arabic import tokens  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402
from tests.test_dedup import (  # noqa: E402
    COPY_COVERAGE_LARGE,
    COPY_COVERAGE_SMALL,
    DIFFERENT_REPORT_COVERAGE,
    MIN_RUN,
    label_wire_copies,
    load_saudinewsnet,
    random_story_pairs,
    semeval_pairs,
    verbatim_coverage,
)

Pair = tuple[int, int]


def timed(label: str, count: int, work):
    start = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {1000 * elapsed / count:7.3f} ms/doc  ({elapsed:.1f} s)")
    return result


def datasketch_update(shingle_set: set[str]) -> MinHash:
    minhash = MinHash(num_perm=dedup.NUM_PERM, seed=dedup.SEED)
    for shingle in shingle_set:
        minhash.update(shingle.encode("utf-8"))
    return minhash


def datasketch_batch(shingle_set: set[str]) -> MinHash:
    minhash = MinHash(num_perm=dedup.NUM_PERM, seed=dedup.SEED)
    minhash.update_batch([shingle.encode("utf-8") for shingle in shingle_set])
    return minhash


def bench_speed(articles: list[dict]) -> list[dedup.Fingerprint]:
    """Same shingles, same num_perm: only the MinHash implementation differs."""
    n = len(articles)
    print(f"\nFingerprinting {n} SaudiNewsNet articles (k={dedup.SHINGLE_K}, "
          f"num_perm={dedup.NUM_PERM})")
    sets = timed("normalize + shingles", n,
                 lambda: [dedup.shingles(a["content"]) for a in articles])
    prints = timed("rensa RMinHash (from shingles)", n,
                   lambda: [dedup.fingerprint_shingles(s) for s in sets])
    sketches = timed("datasketch MinHash.update_batch (from shingles)", n,
                     lambda: [datasketch_batch(s) for s in sets])
    subset = sets[::8]
    timed(f"datasketch MinHash.update per shingle ({len(subset)} docs)", len(subset),
          lambda: [datasketch_update(s) for s in subset])
    timed("fingerprint(body) end to end (rensa)", n,
          lambda: [dedup.fingerprint(a["content"]) for a in articles])
    sample = list(combinations(range(0, n, 97), 2))
    gap = sum(abs(dedup.similarity(prints[i], prints[j]) - sketches[i].jaccard(sketches[j]))
              for i, j in sample) / len(sample)
    print(f"  mean |J rensa - J datasketch| over {len(sample)} pairs: {gap:.4f}")
    return prints


def candidate_pairs(prints: list[dedup.Fingerprint]) -> set[Pair]:
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, fp in enumerate(prints):
        for key in fp.band_keys():
            buckets[key].append(i)
    return {pair for ids in buckets.values() for pair in combinations(ids, 2)}


def print_s_curve() -> None:
    points = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7)
    probs = [1 - (1 - j**dedup.ROWS) ** dedup.BANDS for j in points]
    print(f"\nLSH S-curve, {dedup.BANDS} bands x {dedup.ROWS} rows: "
          + "  ".join(f"J={j}: {p:.3f}" for j, p in zip(points, probs)))


def rate(pairs: list[Pair], prints, test) -> str:
    hits = sum(1 for i, j in pairs if test(prints[i], prints[j]))
    return f"{hits}/{len(pairs)} = {hits / len(pairs):.4f}" if pairs else "n/a"


def shares_band(a: dedup.Fingerprint, b: dedup.Fingerprint) -> bool:
    return bool(set(a.band_keys()) & set(b.band_keys()))


def bench_lsh(articles, prints, labels, negatives) -> set[Pair]:
    print_s_curve()
    candidates = candidate_pairs(prints)
    total = len(prints) * (len(prints) - 1) // 2
    print(f"  candidate pairs over the whole corpus: {len(candidates)} of {total} "
          f"= {len(candidates) / total:.2e} ({2 * len(candidates) / len(prints):.1f} per article)")
    print(f"  labelled copies that are candidates:   {rate(labels.copies, prints, shares_band)}")
    print(f"  random story pairs that are candidates: {rate(negatives, prints, shares_band)}")
    return candidates


def bench_decision(labels, negatives, prints, semeval) -> None:
    near = dedup.is_near_duplicate
    print("\nis_near_duplicate on labelled SaudiNewsNet pairs (same day, other outlet)")
    rows = (
        ("recall, SPA wire copies", labels.spa_copies),
        ("recall, all wire copies", labels.copies),
        ("flagged, different reports of one event", labels.different_reports),
        ("flagged, random story pairs", negatives),
        ("flagged, short item inside long one (unscored)", labels.contained),
    )
    for name, pairs in rows:
        print(f"  {name + ':':<48} {rate(pairs, prints, near)}")
    for rating, texts in semeval.items():
        fps = [(dedup.fingerprint(a), dedup.fingerprint(b)) for a, b in texts]
        hits = sum(near(a, b) for a, b in fps)
        print(f"  {f'flagged, SemEval pairs rated {rating:.0f}:':<48} {hits}/{len(fps)}")


def coverage_class(words_a: list[str], words_b: list[str]) -> str:
    if min(len(words_a), len(words_b)) < MIN_RUN:
        return "identical short text" if words_a == words_b else "too short to judge"
    small, large = verbatim_coverage(words_a, words_b)
    if small >= COPY_COVERAGE_SMALL and large >= COPY_COVERAGE_LARGE:
        return "copy"
    if small >= COPY_COVERAGE_SMALL:
        return "short item inside long one"
    if small >= DIFFERENT_REPORT_COVERAGE:
        return "partial copy"
    return "different"


def bench_pipeline_precision(articles, prints, candidates) -> None:
    """Precision of the deployed pipeline: every LSH candidate the decision accepts."""
    flagged = [(i, j) for i, j in candidates if dedup.is_near_duplicate(prints[i], prints[j])]
    words: dict[int, list[str]] = {}

    def of(i: int) -> list[str]:
        if i not in words:
            words[i] = tokens(articles[i]["content"])
        return words[i]

    classes = Counter(coverage_class(of(i), of(j)) for i, j in flagged)
    spa_flagged = [(i, j) for i, j in flagged
                   if articles[i]["source"] != articles[j]["source"]
                   and any(" واس " in f" {' '.join(of(k))} " for k in (i, j))]
    spa_classes = Counter(coverage_class(of(i), of(j)) for i, j in spa_flagged)
    print("\nPipeline precision (all corpus pairs: LSH candidate, then is_near_duplicate)")
    print(f"  flagged pairs: {len(flagged)}; by verbatim criterion: {dict(classes)}")
    print(f"  precision (copy): {classes['copy'] / max(1, len(flagged)):.4f}; "
          f"not a copy at all (different): {classes['different']}")
    print(f"  SPA subset (cross-outlet, a side says واس): {len(spa_flagged)} flagged, "
          f"{dict(spa_classes)}, precision {spa_classes['copy'] / max(1, len(spa_flagged)):.4f}")


def bench_title(articles, labels, negatives) -> None:
    """Why fingerprint() takes the body: titles differ between outlets."""
    ids = {i for pair in labels.copies + negatives for i in pair}
    with_title = {i: dedup.fingerprint(f"{articles[i]['title']}\n{articles[i]['content']}")
                  for i in ids}
    body = {i: dedup.fingerprint(articles[i]["content"]) for i in ids}
    print("\nTitle + body vs body only")
    for name, prints in (("body", body), ("title + body", with_title)):
        mean_j = sum(dedup.similarity(prints[i], prints[j]) for i, j in labels.copies) / len(
            labels.copies)
        print(f"  {name:<13} copies recall {rate(labels.copies, prints, dedup.is_near_duplicate)}"
              f", mean J of copies {mean_j:.3f}, random flagged "
              f"{rate(negatives, prints, dedup.is_near_duplicate)}")


def main() -> None:
    articles = load_saudinewsnet(SHARED_DATA)
    prints = bench_speed(articles)
    start = time.perf_counter()
    labels = label_wire_copies(articles)
    negatives = random_story_pairs(articles, labels.sharing, sample=1500, seed=11)
    print(f"\nLabels ({time.perf_counter() - start:.1f} s): {len(labels.copies)} copies "
          f"({len(labels.spa_copies)} SPA), {len(labels.different_reports)} different reports, "
          f"{len(labels.contained)} short-inside-long, {len(negatives)} random story pairs")
    candidates = bench_lsh(articles, prints, labels, negatives)
    semeval = {r: semeval_pairs(SHARED_DATA, r) for r in (1.0, 4.0)}
    bench_decision(labels, negatives, prints, semeval)
    bench_pipeline_precision(articles, prints, candidates)
    bench_title(articles, labels, negatives)


if __name__ == "__main__":
    main()
