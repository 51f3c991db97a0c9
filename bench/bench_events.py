"""Benchmark the same-event decision (bot.events) beside two baselines, in one run.

Run: ``.venv/bin/python bench/bench_events.py`` (``--build-idf`` rewrites bot/data/event_idf.tsv
from the SaudiNewsNet dev days first).

Sets:
* ``bench/data/event_pairs.tsv``: cross-outlet pairs from the SaudiNewsNet dev days, read and
  labelled by hand (same event in other words / same topic another event / follow-up /
  template). Hours apart are the difference of the crawl times (``date_extracted``).
* ``bench/data/dedup_template_pairs.tsv``: the story-boundary template set (cables, forecasts,
  inspection notes, market sessions); its "different" pairs must never merge.
* SemEval-2022 task 8 Arabic pairs (``../shared/data/semeval2022_task8_ar_pairs``): Overall
  1–2 = same event, 3–4 = different (the task's scale: 1 very similar … 4 very dissimilar).
  The texts run title and body together and carry no time, so they are profiled as bodies
  with no headline (no slot check) at 0 hours apart: this measures the term-weighting alone.

Baselines, same run: plain TF-IDF cosine over normalized words of title + whole body (IDF from
the set's own texts) at its *best* threshold for F1 (an oracle, so it flatters the baseline),
and the copy detector ``bot.dedup.is_near_duplicate``.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot import dedup, events  # noqa: E402
from bot.arabic import tokens  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402
from tests.test_dedup import load_saudinewsnet  # noqa: E402

DEV_DAYS = ("2015-08-01", "2015-08-02", "2015-08-03", "2015-08-04")
LABELS = REPO / "bench" / "data"
SEMEVAL = SHARED_DATA / "semeval2022_task8_ar_pairs" / "ar_ar_pairs.jsonl"
# The bar of issue 12 part 1.
MIN_PRECISION, MIN_RECALL = 0.90, 0.80


def tsv(name: str) -> list[list[str]]:
    lines = [line for line in (LABELS / name).read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    return [line.split("\t") for line in lines[1:]]


def dev_articles(data_dir: Path = SHARED_DATA) -> dict[str, dict]:
    """Dev-day articles by URL (the first of a URL)."""
    articles: dict[str, dict] = {}
    for article in load_saudinewsnet(data_dir, DEV_DAYS):
        articles.setdefault(article["url"], article)
    return articles


def hours_apart(a: dict, b: dict) -> float:
    """Signed: b's crawl time minus a's (SaudiNewsNet has no publication time)."""
    fmt = "%Y-%m-%d %H:%M:%S"
    delta = datetime.strptime(b["date_extracted"], fmt) - datetime.strptime(a["date_extracted"], fmt)
    return delta.total_seconds() / 3600.0


def event_pairs(dev: dict[str, dict]) -> list[tuple[dict, dict, bool, str]]:
    """(article a, article b, same?, kind) of the hand-labelled event set."""
    return [(dev[a], dev[b], label == "same", kind) for a, b, label, kind in tsv("event_pairs.tsv")]


def template_pairs(dev: dict[str, dict]) -> list[tuple[dict, dict, bool, str]]:
    """(a, b, same report?, family) of the story-boundary template set."""
    return [(dev[a], dev[b], label == "same", family)
            for a, b, family, label, *_ in tsv("dedup_template_pairs.tsv")]


def semeval_rows(path: Path = SEMEVAL) -> list[tuple[str, str, bool]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(r["text1"], r["text2"], float(r["Overall"]) <= 2.0) for r in rows]


def decide_articles(a: dict, b: dict) -> bool:
    """What the pipeline would decide for two stored articles."""
    pa = events.event_key(a["title"], a["content"])
    pb = events.event_key(b["title"], b["content"])
    return events.same_event(pa, pb, hours_apart(a, b))


def precision_recall(decisions: list[bool], truth: list[bool]) -> tuple[float, float, int, int, int]:
    tp = sum(d and t for d, t in zip(decisions, truth))
    fp = sum(d and not t for d, t in zip(decisions, truth))
    fn = sum(t and not d for d, t in zip(decisions, truth))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, tp, fp, fn


# --- baselines --------------------------------------------------------------------------------


def tfidf_cosines(pairs: list[tuple[str, str]]) -> list[float]:
    """Plain TF-IDF cosine (normalized words, no stemming, no stop list), IDF from the pairs."""
    docs = [Counter(tokens(t)) for pair in pairs for t in pair]
    df = Counter(t for d in docs for t in d)
    n = len(docs)

    def vec(d: Counter) -> dict[str, float]:
        v = {t: (1 + math.log(c)) * math.log((n + 1) / (df[t] + 1)) for t, c in d.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {t: x / norm for t, x in v.items()}

    vecs = [vec(d) for d in docs]
    return [sum(x * vecs[2 * i + 1].get(t, 0.0) for t, x in vecs[2 * i].items()) for i in range(len(pairs))]


def best_threshold(scores: list[float], truth: list[bool]) -> tuple[float, tuple]:
    """The threshold with the best F1 (oracle), and its precision/recall."""
    best = (-1.0, 0.0, (1.0, 0.0, 0, 0, 0))
    for th in sorted(set(scores)):
        pr = precision_recall([s >= th for s in scores], truth)
        f1 = 2 * pr[0] * pr[1] / (pr[0] + pr[1]) if pr[0] + pr[1] else 0.0
        if f1 > best[0]:
            best = (f1, th, pr)
    return best[1], best[2]


def recall_at_precision(scores: list[float], truth: list[bool], floor: float) -> tuple[float, tuple]:
    """The lowest threshold whose precision still reaches ``floor`` (oracle), and its figures."""
    for th in sorted(set(scores)):
        pr = precision_recall([s >= th for s in scores], truth)
        if pr[0] >= floor:
            return th, pr
    return 1.0, (1.0, 0.0, 0, 0, sum(truth))


def sweep(labelled: list[tuple[dict, dict, bool, str]], templates: list[tuple[dict, dict, bool, str]]) -> None:
    """Our decision at other base thresholds: the precision / recall / template-merge trade-off."""
    saved = events.THRESHOLD
    profiles = [(events.event_key(a["title"], a["content"]), events.event_key(b["title"], b["content"]),
                 hours_apart(a, b), same, kind) for a, b, same, kind in labelled]
    tprofiles = [(events.event_key(a["title"], a["content"]), events.event_key(b["title"], b["content"]),
                  hours_apart(a, b)) for a, b, same, _ in templates if not same]
    try:
        for base in (0.24, 0.28, 0.32, 0.36, 0.40, 0.44):
            events.THRESHOLD = base
            decisions = [events.same_event(x, y, h) for x, y, h, _, _ in profiles]
            merges = sum(d for d, (*_, kind) in zip(decisions, profiles) if kind == "template")
            merges += sum(events.same_event(x, y, h) for x, y, h in tprofiles)
            p, r, *_ = precision_recall(decisions, [same for *_, same, _ in profiles])
            print(f"    THRESHOLD {base:.2f}: P={p:.3f} R={r:.3f} template merges {merges}")
    finally:
        events.THRESHOLD = saved


def near_duplicate(a: str, b: str) -> bool:
    return dedup.is_near_duplicate(dedup.fingerprint(a), dedup.fingerprint(b))


def line(name: str, pr: tuple, extra: str = "") -> None:
    p, r, tp, fp, fn = pr
    print(f"  {name:<44} P={p:.3f} R={r:.3f}  (tp {tp}, fp {fp}, fn {fn}){extra}")


# --- the run ------------------------------------------------------------------------------------


def build_idf(dev: dict[str, dict]) -> None:
    """Rewrite bot/data/event_idf.tsv: per-term document counts over the dev days."""
    df: Counter[str] = Counter()
    for article in dev.values():
        df.update(set(events.terms(article["title"] + " " + article["content"])))
    header = (
        "# Document frequency of light-stemmed content terms (bot.events.terms) over the SaudiNewsNet\n"
        "# dev days 2015-08-01..04 (one count per article, first copy of each URL; 2015-08-06 held out).\n"
        "# Counts only, no text; terms seen in one article only are left out (they count as unseen).\n"
        "# Rebuilt by: .venv/bin/python bench/bench_events.py --build-idf\n"
    )
    with events.IDF_FILE.open("w", encoding="utf-8") as fh:
        fh.write(header + f"__docs__\t{len(dev)}\n")
        for term, count in sorted(df.items(), key=lambda x: (-x[1], x[0])):
            if count >= 2:
                fh.write(f"{term}\t{count}\n")
    events._idf_table.cache_clear()
    print(f"wrote {events.IDF_FILE} ({len(dev)} articles, {sum(c >= 2 for c in df.values())} terms)")


def main() -> None:
    dev = dev_articles()
    if "--build-idf" in sys.argv:
        build_idf(dev)

    print("SaudiNewsNet dev days, hand-labelled event pairs (bench/data/event_pairs.tsv)")
    labelled = event_pairs(dev)
    truth = [same for _, _, same, _ in labelled]
    ours = [decide_articles(a, b) for a, b, _, _ in labelled]
    kinds = Counter(kind for *_, kind in labelled)
    print(f"  {len(labelled)} pairs: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    line("bot.events.same_event", precision_recall(ours, truth))
    for kind in sorted(k for k in kinds if k != "event"):
        merged = sum(d for d, (*_, k) in zip(ours, labelled) if k == kind)
        print(f"    merged {kind:<12} {merged} of {kinds[kind]}")
    texts = [(a["title"] + "\n" + a["content"], b["title"] + "\n" + b["content"]) for a, b, _, _ in labelled]
    cosines = tfidf_cosines(texts)
    th, pr = best_threshold(cosines, truth)
    line("baseline TF-IDF cosine, best-F1 threshold", pr, f"  threshold {th:.3f}")
    th, pr = recall_at_precision(cosines, truth, MIN_PRECISION)
    line(f"baseline TF-IDF cosine, P >= {MIN_PRECISION} threshold", pr, f"  threshold {th:.3f}")
    line("baseline dedup.is_near_duplicate", precision_recall([near_duplicate(*t) for t in texts], truth))
    templates = template_pairs(dev)
    print("  trade-off (template merges over both sets):")
    sweep(labelled, templates)

    print("Template set (bench/data/dedup_template_pairs.tsv): must never merge a different report")
    merged: Counter[tuple[str, bool]] = Counter()
    total: Counter[tuple[str, bool]] = Counter()
    for a, b, same, family in templates:
        total[family, same] += 1
        merged[family, same] += decide_articles(a, b)
    for family in sorted({f for f, _ in total}):
        print(f"  {family:<12} different reports merged {merged[family, False]} of {total[family, False]}"
              f"   same report merged {merged[family, True]} of {total[family, True]}")
    template_merges = sum(merged[f, False] for f, _ in total) + sum(
        d for d, (*_, k) in zip(ours, labelled) if k == "template")
    print(f"  template merges, both sets: {template_merges}")

    print("SemEval-2022 task 8 Arabic pairs (Overall <= 2 same, >= 3 different; bodies, 0 h apart)")
    rows = semeval_rows()
    s_truth = [same for _, _, same in rows]
    s_ours = [events.same_event(events.event_key("", a), events.event_key("", b), 0.0) for a, b, _ in rows]
    print(f"  {len(rows)} pairs: same {sum(s_truth)}, different {len(rows) - sum(s_truth)}")
    line("bot.events.same_event", precision_recall(s_ours, s_truth))
    cosines = tfidf_cosines([(a, b) for a, b, _ in rows])
    th, pr = best_threshold(cosines, s_truth)
    line("baseline TF-IDF cosine, best-F1 threshold", pr, f"  threshold {th:.3f}")
    th, pr = recall_at_precision(cosines, s_truth, MIN_PRECISION)
    line(f"baseline TF-IDF cosine, P >= {MIN_PRECISION} threshold", pr, f"  threshold {th:.3f}")
    line("baseline dedup.is_near_duplicate", precision_recall([near_duplicate(a, b) for a, b, _ in rows], s_truth))

    p, r, *_ = precision_recall(ours, truth)
    ok = p >= MIN_PRECISION and r >= MIN_RECALL and template_merges == 0
    print(f"bar (P >= {MIN_PRECISION}, R >= {MIN_RECALL} on the labelled set, 0 template merges): "
          f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
