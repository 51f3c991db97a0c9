"""Benchmark bot.text.dedup on SaudiNewsNet: speed, LSH candidate rate, decision quality, story
boundaries (synthetic republications, template news, contained and containing copies).

Run: ``.venv/bin/python bench/bench_dedup.py`` (``--help``: a smaller synthetic sample, some
sections only). Labels are built exactly as in
tests/test_dedup.py (independent verbatim-run criterion), so the figures here justify the
thresholds asserted there. Hand labels (pairs of URLs, no text) are in ``bench/data/``:
``dedup_template_pairs.tsv`` and ``dedup_containment_pairs.tsv``, read from the dev days.

Every decision is printed three ways in one run: "before" (``is_near_duplicate`` alone, the
decision before story boundaries), "now" (what ``Pipeline`` does: ``relation`` then
``distinct_reports``) and the baseline, datasketch ``MinHashLSH`` at threshold 0.5 over the
same shingles and ``num_perm``. SaudiNewsNet has no publication time: the crawl time
(``date_extracted``) stands in for it wherever the decision reads relative days ("اليوم").
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import random  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

from datasketch import MinHash, MinHashLSH  # noqa: E402

from bot.text import dedup  # noqa: E402
from bot.text.arabic import split_sentences, tokens  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402
from tests.test_dedup import (  # noqa: E402
    COPY_COVERAGE_LARGE,
    COPY_COVERAGE_SMALL,
    DIFFERENT_REPORT_COVERAGE,
    MIN_RUN,
    NEW_TITLE,
    label_wire_copies,
    load_saudinewsnet,
    random_story_pairs,
    seed_variants,
    semeval_pairs,
    verbatim_coverage,
)

DEV_DAYS = ("2015-08-01", "2015-08-02", "2015-08-03", "2015-08-04")
LABELS = REPO / "bench" / "data"
BASELINE_THRESHOLD = 0.5
SILENT = (dedup.COPY, dedup.CONTAINED)

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


def bench_lead_keys(articles: list[dict], candidates: set[Pair]) -> set[Pair]:
    """What the lead keys (dedup.lead_band_keys) add to the candidate set, corpus-wide."""
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, article in enumerate(articles):
        for key in dedup.lead_band_keys(article["content"]):
            buckets[key].append(i)
    lead = {pair for ids in buckets.values() for pair in combinations(sorted(set(ids)), 2)}
    extra = lead - candidates
    print(f"  lead keys ({dedup.LEAD_BANDS} x {dedup.ROWS} over {dedup.LEAD_WORDS} words, {dedup.PARAGRAPH_BANDS} x "
          f"{dedup.PARAGRAPH_ROWS} per paragraph): {len(lead)} candidate pairs, "
          f"{len(extra)} not already candidates ({2 * len(extra) / len(articles):.2f} more per article)")
    return candidates | lead


def bench_now_precision(articles: list[dict], prints, candidates: set[Pair]) -> None:
    """The deployed decision (``relation``, then ``distinct_reports``) on every corpus candidate
    pair, the later article as the new one, classed by the verbatim criterion."""
    words: dict[int, list[str]] = {}

    def of(i: int) -> list[str]:
        if i not in words:
            words[i] = tokens(articles[i]["content"])
        return words[i]

    related: Counter = Counter()
    for i, j in candidates:
        how = dedup.relation(prints[j], prints[i])
        if how is None:
            continue
        a, b = articles[i], articles[j]
        if dedup.distinct_reports(b["content"], a["content"], b["title"], a["title"], published(b), published(a)):
            continue
        related[(how, coverage_class(of(i), of(j)))] += 1
    print(f"\nDeployed decision on all {len(candidates)} corpus candidate pairs (full-text, lead and paragraph keys)")
    for how in (dedup.COPY, dedup.CONTAINED, dedup.UPDATE):
        print(f"  {how:<9} " + ", ".join(f"{cls}: {n}" for (h, cls), n in sorted(related.items()) if h == how))


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


# --- story boundaries --------------------------------------------------------------------------


def published(article: dict) -> datetime:
    """The corpus has no publication time; the crawl time (``date_extracted``) stands in for it."""
    return datetime.fromisoformat(article["date_extracted"]).replace(tzinfo=timezone.utc)


def raqib_now(
    new_fp,
    old_fp,
    new_text: str,
    old_text: str,
    new_title: str,
    old_title: str,
    new_published: datetime | None = None,
    old_published: datetime | None = None,
) -> str | None:
    """What the pipeline decides for a new text against one stored text: the relation, or None."""
    new_keys = set(new_fp.band_keys()) | set(dedup.lead_band_keys(new_text))
    if not new_keys & (set(old_fp.band_keys()) | set(dedup.lead_band_keys(old_text))):
        return None
    how = dedup.relation(new_fp, old_fp)
    if how is None or dedup.distinct_reports(
        new_text, old_text, new_title, old_title, new_published, old_published
    ):
        return None
    return how


def raqib_before(new_fp, old_fp) -> bool:
    return shares_band(new_fp, old_fp) and dedup.is_near_duplicate(new_fp, old_fp)


def baseline_joins(new_shingles: set[str], old_shingles: set[str]) -> bool:
    """datasketch MinHashLSH at threshold 0.5: does querying the new text return the stored one?"""
    lsh = MinHashLSH(threshold=BASELINE_THRESHOLD, num_perm=dedup.NUM_PERM)
    lsh.insert("stored", datasketch_batch(old_shingles))
    return bool(lsh.query(datasketch_batch(new_shingles)))


def _eligible(text: str) -> bool:
    """The transformations need two paragraphs (lines of 12+ words) and one of two sentences."""
    lines = [line for line in text.splitlines() if len(line.split()) >= 12]
    return len(lines) >= 2 and any(len(split_sentences(line)) >= 2 for line in lines)


def bench_synthetic(articles: list[dict], sample: int = 1000, seed: int = 5) -> None:
    """Republications made from real articles, one transformation class at a time (as the seed
    variants of tests/test_dedup.py): raqib must join every one, silently."""
    rng = random.Random(seed)
    pool = [i for i, a in enumerate(articles) if _eligible(a["content"])]
    chosen = rng.sample(pool, min(sample, len(pool)))
    originals = {i: datasketch_batch(dedup.shingles(articles[i]["content"])) for i in chosen}
    lsh = MinHashLSH(threshold=BASELINE_THRESHOLD, num_perm=dedup.NUM_PERM)
    for i, minhash in originals.items():
        lsh.insert(i, minhash)
    tallies: dict[str, Counter] = defaultdict(Counter)
    for n, i in enumerate(chosen):
        text, title = articles[i]["content"], articles[i]["title"]
        other = articles[chosen[(n + 1) % len(chosen)]]["content"]
        original = dedup.fingerprint(text)

        def count(tally: Counter, variant: str, new_title: str, old_title: str, *stamps) -> None:
            """One republication: how raqib now, raqib before and the datasketch baseline see it."""
            copy = dedup.fingerprint(variant)
            how = raqib_now(copy, original, variant, text, new_title, old_title, *stamps)
            tally["n"] += 1
            tally["before"] += raqib_before(copy, original)
            tally["now silent"] += how in SILENT
            tally["now update"] += how == dedup.UPDATE
            tally["baseline"] += i in lsh.query(datasketch_batch(dedup.shingles(variant)))

        for name, variant in seed_variants(text, other).items():
            new_title = NEW_TITLE if name in ("title changed", "all edits") else title
            count(tallies[name], variant, new_title, title)
        if " اليوم " not in f" {text} ":
            continue
        # Republished a day later: rewritten "اليوم" → "أمس" by a print desk, or left unchanged.
        stamp = published(articles[i])
        for name, variant in (("next day, اليوم→أمس", text.replace("اليوم", "أمس")), ("next day, unchanged", text)):
            count(tallies[name], variant, title, title, stamp + timedelta(days=1), stamp)
    print(f"\nSynthetic republications of {len(chosen)} SaudiNewsNet articles (bar: now >= 0.99 each)")
    print("  (the next-day classes: the articles that say اليوم, their copy published 24 h later)")
    print(f"  {'class':<22} {'n':>5} {'before':>7} {'now':>7} {'(update)':>9} {'datasketch LSH':>15}")
    for name, t in tallies.items():
        n = t["n"]
        print(f"  {name:<22} {n:5d} {t['before'] / n:7.3f} {t['now silent'] / n:7.3f} {t['now update'] / n:9.3f}"
              f" {t['baseline'] / n:15.3f}")


def _read_tsv(path: Path) -> list[list[str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return [line.split("\t") for line in lines[1:]]


def _by_url(articles: list[dict]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, article in enumerate(articles):
        index.setdefault(article["url"], i)
    return index


def bench_templates(articles: list[dict]) -> None:
    """Hand-labelled agency-template pairs: a different report must never be joined."""
    rows = _read_tsv(LABELS / "dedup_template_pairs.tsv")
    index = _by_url(articles)
    tallies: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for url_a, url_b, family, label, _groups in rows:
        i, j = index[url_a], index[url_b]
        a, b = articles[i], articles[j]
        fa, fb = dedup.fingerprint(a["content"]), dedup.fingerprint(b["content"])
        t = tallies[(family, label)]
        t["n"] += 1
        t["before"] += raqib_before(fb, fa)
        t["now"] += raqib_now(
            fb, fa, b["content"], a["content"], b["title"], a["title"], published(b), published(a)
        ) is not None
        t["baseline"] += baseline_joins(dedup.shingles(b["content"]), dedup.shingles(a["content"]))
    print(f"\nTemplate set ({len(rows)} hand-labelled dev-day pairs): pairs joined into one story")
    print(f"  {'family':<11} {'label':<10} {'pairs':>5} {'before':>7} {'now':>5} {'datasketch LSH':>15}")
    for (family, label), t in sorted(tallies.items()):
        print(f"  {family:<11} {label:<10} {t['n']:5d} {t['before']:7d} {t['now']:5d} {t['baseline']:15d}")
    for label, what in (("different", "false joins (bar 0)"), ("same", "same report kept joined")):
        total = sum(t["n"] for (_, lab), t in tallies.items() if lab == label)
        counts = {k: sum(t[k] for (_, lab), t in tallies.items() if lab == label) for k in ("before", "now", "baseline")}
        print(f"  {label}: {what}: before {counts['before']}/{total}, now {counts['now']}/{total}, "
              f"datasketch {counts['baseline']}/{total}")


def bench_containment(articles: list[dict]) -> None:
    """Hand-labelled contained / containing pairs: silent join, update, or another story."""
    rows = _read_tsv(LABELS / "dedup_containment_pairs.tsv")
    index = _by_url(articles)
    outcome = {dedup.COPY: "silent", dedup.CONTAINED: "silent", dedup.UPDATE: "update", None: "new story"}
    expected_outcome = {"contained": "silent", "update": "update", "other": "new story"}
    confusion: dict[str, Counter] = defaultdict(Counter)
    before: dict[str, Counter] = defaultdict(Counter)
    baseline: dict[str, Counter] = defaultdict(Counter)
    for url_new, url_stored, expected, _note in rows:
        new, old = articles[index[url_new]], articles[index[url_stored]]
        fn, fo = dedup.fingerprint(new["content"]), dedup.fingerprint(old["content"])
        how = raqib_now(fn, fo, new["content"], old["content"], new["title"], old["title"],
                        published(new), published(old))
        confusion[expected][outcome[how]] += 1
        before[expected]["silent" if raqib_before(fn, fo) else "new story"] += 1
        joined = baseline_joins(dedup.shingles(new["content"]), dedup.shingles(old["content"]))
        baseline[expected]["silent" if joined else "new story"] += 1
    print(f"\nContained / containing copies ({len(rows)} hand-labelled dev-day pairs): outcome per label")
    right = {name: 0 for name in ("before", "now", "datasketch")}
    for expected in ("contained", "update", "other"):
        want = expected_outcome[expected]
        for name, table in (("before", before), ("now", confusion), ("datasketch", baseline)):
            right[name] += table[expected][want]
        print(f"  {expected:<9} (want {want:<9}) now {dict(confusion[expected])}  before {dict(before[expected])}"
              f"  datasketch {dict(baseline[expected])}")
    print(f"  classified as labelled: now {right['now']}/{len(rows)}, before {right['before']}/{len(rows)}, "
          f"datasketch {right['datasketch']}/{len(rows)}")


def _decided(new_text: str, old_text: str, new_title: str = "", old_title: str = "") -> str | None:
    """The pipeline's decision without the LSH stage: ``relation``, then the words."""
    how = dedup.relation(dedup.fingerprint(new_text), dedup.fingerprint(old_text))
    if how is None or dedup.distinct_reports(new_text, old_text, new_title, old_title):
        return None
    return how


def bench_unrelated(articles: list[dict], negatives: list[Pair], semeval) -> None:
    """``relation`` is looser than ``is_near_duplicate`` (contained, update, a part kept): unrelated
    pairs must still find no relation once the words are read (``distinct_reports``)."""
    prints = {i: dedup.fingerprint(articles[i]["content"]) for pair in negatives for i in pair}
    related = [(i, j) for i, j in negatives if dedup.relation(prints[j], prints[i]) is not None]
    decided = sum(
        _decided(articles[j]["content"], articles[i]["content"], articles[j]["title"], articles[i]["title"])
        is not None
        for i, j in related
    )
    print(f"\nrelation() on unrelated pairs (signatures / then the words): random story pairs "
          f"{len(related)} / {decided} of {len(negatives)}", end="")
    for rating, texts in semeval.items():
        hits = sum(dedup.relation(dedup.fingerprint(b), dedup.fingerprint(a)) is not None for a, b in texts)
        words = sum(_decided(b, a) is not None for a, b in texts)
        print(f", SemEval rated {rating:.0f}: {hits} / {words} of {len(texts)}", end="")
    print()


def bench_different_reports(articles: list[dict], labels) -> None:
    """Same-event pairs that share a quote or a dateline but are different reports."""
    prints: dict[int, dedup.Fingerprint] = {}

    def fp(i: int) -> dedup.Fingerprint:
        if i not in prints:
            prints[i] = dedup.fingerprint(articles[i]["content"])
        return prints[i]

    pairs = labels.different_reports
    now = sum(
        raqib_now(fp(j), fp(i), articles[j]["content"], articles[i]["content"], articles[j]["title"],
                  articles[i]["title"], published(articles[j]), published(articles[i])) is not None
        for i, j in pairs
    )
    before = sum(raqib_before(fp(j), fp(i)) for i, j in pairs)
    base = sum(baseline_joins(dedup.shingles(articles[j]["content"]), dedup.shingles(articles[i]["content"]))
               for i, j in pairs)
    print(f"\nDifferent reports of one event joined (bar 0): before {before}/{len(pairs)}, now {now}/{len(pairs)}, "
          f"datasketch {base}/{len(pairs)}")
    copies = labels.copies
    now_copies = sum(
        raqib_now(fp(j), fp(i), articles[j]["content"], articles[i]["content"], articles[j]["title"],
                  articles[i]["title"], published(articles[j]), published(articles[i])) is not None
        for i, j in copies
    )
    print(f"Wire copies (verbatim labels, all days) joined: before {rate(copies, prints_of(copies, fp), raqib_before)},"
          f" now {now_copies}/{len(copies)} = {now_copies / len(copies):.4f}")


def prints_of(pairs, fp) -> dict[int, dedup.Fingerprint]:
    return {i: fp(i) for pair in pairs for i in pair}


SECTIONS = ("corpus", "synthetic", "templates", "containment")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=1000,
                        help="articles republished synthetically (default 1000, the bar's run)")
    parser.add_argument("--only", choices=SECTIONS, action="append",
                        help="run only these sections (repeatable; default all, ~6 min)")
    args = parser.parse_args(argv)
    sections = set(args.only or SECTIONS)
    articles = load_saudinewsnet(SHARED_DATA)
    dev = load_saudinewsnet(SHARED_DATA, DEV_DAYS)
    if "synthetic" in sections:
        bench_synthetic(articles, args.sample)
    if "templates" in sections:
        bench_templates(dev)
    if "containment" in sections:
        bench_containment(dev)
    if "corpus" in sections:
        bench_corpus(articles)


def bench_corpus(articles: list[dict]) -> None:
    """Speed, LSH and the decision on the verbatim-labelled corpus pairs."""
    prints = bench_speed(articles)
    start = time.perf_counter()
    labels = label_wire_copies(articles)
    negatives = random_story_pairs(articles, labels.sharing, sample=1500, seed=11)
    print(f"\nLabels ({time.perf_counter() - start:.1f} s): {len(labels.copies)} copies "
          f"({len(labels.spa_copies)} SPA), {len(labels.different_reports)} different reports, "
          f"{len(labels.contained)} short-inside-long, {len(negatives)} random story pairs")
    candidates = bench_lsh(articles, prints, labels, negatives)
    all_candidates = bench_lead_keys(articles, candidates)
    bench_now_precision(articles, prints, all_candidates)
    semeval = {r: semeval_pairs(SHARED_DATA, r) for r in (1.0, 4.0)}
    bench_decision(labels, negatives, prints, semeval)
    bench_pipeline_precision(articles, prints, candidates)
    bench_title(articles, labels, negatives)
    bench_different_reports(articles, labels)
    bench_unrelated(articles, negatives, semeval)


if __name__ == "__main__":
    main()
