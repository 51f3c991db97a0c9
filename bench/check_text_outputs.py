"""Digest of every text stage's output over the real corpora: a CPU optimisation must not move one byte.

    .venv/bin/python bench/check_text_outputs.py --write /tmp/h2/before.tsv      # record
    .venv/bin/python bench/check_text_outputs.py --compare /tmp/h2/before.tsv    # check

Inputs: every SaudiNewsNet article (written as .txt files to a temporary folder, as
``bench/bench_ingest.py`` does, then read and cleaned by ``read_article_file``), the ANT JawharaFM
sample, the EASC articles, the seeds, the HTML pages of tests/data and of the shared data, the
SemEval pairs, the labelled pairs of bench/data (template, containment and event pairs, read by
URL) and the event-date gold snippets and dateparser cases.

Outputs per article: the cleaned title and body, the date read from the text, every ``Analyzed``
form, the fingerprint, its band keys and the lead band keys, the body hash, the search keys
(with and without an analysis), the matches of the seed watchlists and of one watchlist per public
name (bench/data/public_names.tsv), their explanations, the summary, the event date, the
sentences, and the feed side of cleaning (``clean_lines``, ``clean_title``, ``strip_lead_credit``)
over the raw text. Per pair: ``distinct_reports`` and ``relation``. One line per (input, stage)
with a short hash; ``--compare`` prints the stages that differ and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import json
import sys
import tempfile
import time
import zipfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "data"

from bot.article import Article  # noqa: E402
from bot.pipeline import dedup_text, short_body  # noqa: E402
from bot.search import index_keys  # noqa: E402
from bot.sources.files import SkippedFile, extract_html, read_article_file  # noqa: E402
from bot.text import dedup  # noqa: E402
from bot.text.analysis import Analyzed  # noqa: E402
from bot.text.arabic import split_sentences, tokens  # noqa: E402
from bot.text.boilerplate import clean_lines, clean_title, default_rules, strip_lead_credit  # noqa: E402
from bot.text.dates import find_publication_date, iter_relative  # noqa: E402
from bot.text.eventdates import event_date  # noqa: E402
from bot.text.explain import format_explanations  # noqa: E402
from bot.text.matching import Matcher  # noqa: E402
from bot.text.summarize import summarize  # noqa: E402
from bot.watchlists import load_watchlists, make_watchlist  # noqa: E402


def _h(value: object) -> str:
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


class Digest:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], str] = {}

    def add(self, name: str, stage: str, value: object) -> None:
        self.rows[(name, stage)] = _h(value)


def _matchers() -> list[tuple[str, Matcher]]:
    seeds = Matcher(load_watchlists(REPO / "seeds" / "watchlists.toml"))
    names = []
    with open(REPO / "bench" / "data" / "public_names.tsv", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if line.startswith("#") or not line.strip():
                continue
            term = line.split("\t")[0].strip()
            names.append(make_watchlist(f"n{i}", f"n{i}", any=[term]))
    return [("seeds", seeds), ("names", Matcher(names))]


def article_stages(d: Digest, name: str, a: Article, matchers: list[tuple[str, Matcher]]) -> None:
    """Every text stage the pipeline runs on a stored article, as the pipeline calls them."""
    title, body = a.title, a.body
    an = Analyzed(title, body)
    d.add(name, "analysis", (an.title_key, an.body_key, an.title_words, an.body_words, an.lines))
    if short_body(a):
        text = dedup_text(a)
        fp = dedup.fingerprint("")
        bands = fp.band_keys()
        bh = dedup.body_hash(text)
    else:
        fp = dedup.fingerprint(body, an.body_words)
        bands = fp.band_keys() + dedup.lead_band_keys(body, an.body_words)
        bh = dedup.body_hash(body, an.body_key)
    d.add(name, "fingerprint", (fp.to_bytes(), bands, bh))
    # The plain-text paths (no analysis) must agree with the analysed ones.
    d.add(name, "fingerprint plain", (dedup.fingerprint(body).to_bytes(), dedup.lead_band_keys(body),
                                      dedup.body_hash(body), sorted(dedup.shingles(body))[:50]))
    d.add(name, "search keys", (index_keys(title, body, an), index_keys(title, body)))
    for label, matcher in matchers:
        found = matcher.match(title, body, an)
        d.add(name, f"match {label}", (found, matcher.match(title, body)))
        if found:
            d.add(name, f"explain {label}", format_explanations(matcher.explain(title, body)))
    d.add(name, "summary", (summarize(title, body, analyzed=an), summarize(title, body, max_chars=200)))
    d.add(name, "event date", repr(event_date(title, body, a.published_at, a.date_source))
          + repr(event_date(title, body, a.published_at, "mtime")))
    d.add(name, "sentences", (split_sentences(body), tokens(title)))
    d.add(name, "relative dates", [repr(r) for r in iter_relative(body[:3000], a.published_at)])


def raw_cleaning(d: Digest, name: str, raw_title: str, raw_text: str) -> None:
    """The feed side of cleaning (bot.sources.feeds): lines, title, lead credit."""
    rules = default_rules()
    lines = clean_lines(raw_text.splitlines(), rules)
    d.add(name, "feed clean", (lines, clean_title(raw_title, rules),
                               strip_lead_credit(lines[0], rules) if lines else "",
                               find_publication_date(raw_text[:2000])))


def read_file(d: Digest, name: str, path: Path) -> Article | None:
    try:
        a = read_article_file(path)
    except SkippedFile as exc:
        d.add(name, "read", ("skipped", exc.reason))
        return None
    # mtime-dated files: the date is the file's, which differs per run; keep only its source.
    when = a.published_at if a.date_source == "text" else None
    d.add(name, "read", (a.title, a.body, when, a.date_source))
    if a.date_source != "text":
        a = Article(source=a.source, url=a.url, title=a.title, body=a.body,
                    published_at=datetime(2015, 8, 10, 12, tzinfo=timezone.utc), date_source="mtime")
    return a


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--limit", type=int, help="SaudiNewsNet articles (default: all)")
    args = ap.parse_args()
    t0 = time.process_time()
    d = Digest()
    matchers = _matchers()
    by_url: dict[str, Article] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        n = 0
        for z in sorted((SHARED / "saudinewsnet").glob("*.zip")):
            with zipfile.ZipFile(z) as zf:
                for item in json.loads(zf.read(zf.namelist()[0])):
                    if args.limit is not None and n >= args.limit:
                        break
                    text = f"{item['title']}\n{item['date_extracted'][:10]}\n{item['content']}\n"
                    path = folder / f"{n:05d}_{item['source']}.txt"
                    path.write_text(text, encoding="utf-8")
                    name = f"snn/{n:05d}"
                    raw_cleaning(d, name, item["title"], item["content"])
                    a = read_file(d, name, path)
                    if a is not None:
                        article_stages(d, name, a, matchers)
                        by_url[item["url"]] = a
                    n += 1
        others = sorted(glob.glob(str(SHARED / "ant_v1.1_jawharafm_sample" / "*" / "*.txt")))
        others += sorted(glob.glob(str(SHARED / "easc" / "EASC-UTF-8" / "Articles" / "*" / "*.txt")))
        others += sorted(str(p) for p in (REPO / "seeds").glob("*.txt"))
        others += [str(REPO / "tests" / "data" / "lost_lead.html"),
                   str(SHARED / "newspaper4k_cnn_arabic" / "html_arabic_article.html"),
                   str(SHARED / "trafilatura_assabah" / "assabah.com.tn.article.html")]
        for p in others:
            name = str(Path(p).relative_to(Path(p).parents[1]))
            a = read_file(d, name, Path(p))
            if a is not None:
                article_stages(d, name, a, matchers)
        for p in others[-3:]:
            html = Path(p).read_text(encoding="utf-8", errors="replace")
            d.add(p, "extract_html", (extract_html(html), extract_html(html, include_tables=False)))
    published = datetime(2020, 5, 1, tzinfo=timezone.utc)
    pairs: list[tuple[str, Article, Article]] = []
    with open(SHARED / "semeval2022_task8_ar_pairs" / "ar_ar_pairs.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            arts = []
            for k in ("1", "2"):
                title = row.get(f"title{k}") or ""
                a = Article(source="semeval", url=row["pair_id"] + k, title=title, body=row[f"text{k}"],
                            published_at=published, date_source="text")
                article_stages(d, f"semeval/{row['pair_id']}/{k}", a, matchers)
                arts.append(a)
            pairs.append((f"semeval/{row['pair_id']}", arts[0], arts[1]))
    for tsv in ("dedup_template_pairs.tsv", "dedup_containment_pairs.tsv", "event_pairs.tsv"):
        with open(REPO / "bench" / "data" / tsv, encoding="utf-8") as f:
            rows = csv.reader((line for line in f if not line.startswith("#")), delimiter="\t")
            for i, row in enumerate(rows):
                if len(row) >= 2 and row[0] in by_url and row[1] in by_url:
                    pairs.append((f"{tsv}/{i}", by_url[row[0]], by_url[row[1]]))
    for name, a, b in pairs:
        fa, fb = dedup.fingerprint(a.body), dedup.fingerprint(b.body)
        d.add(name, "pair", (
            dedup.distinct_reports(a.body, b.body, a.title, b.title, a.published_at, b.published_at),
            dedup.distinct_reports(b.body, a.body, b.title, a.title, b.published_at, a.published_at),
            dedup.relation(fa, fb), dedup.relation(fb, fa),
        ))
    with open(REPO / "bench" / "data" / "eventdates_gold.tsv", encoding="utf-8") as f:
        rows = list(csv.reader((line for line in f if not line.startswith("#")), delimiter="\t"))
    for i, row in enumerate(rows[1:]):
        try:
            pub = datetime.fromisoformat(row[1]).replace(tzinfo=timezone.utc, hour=12)
        except (IndexError, ValueError):
            continue
        d.add(f"gold/{i}", "event date", (repr(event_date("", row[0], pub, "text")),
                                          repr(event_date(row[0], "", pub, "mtime"))))
    cases = json.loads((SHARED / "dateparser_arabic" / "arabic_date_cases.json").read_text(encoding="utf-8"))
    for i, case in enumerate(cases):
        d.add(f"dateparser/{i}", "dates", (find_publication_date(case["text"]),
                                           repr(event_date("", case["text"], published, "text"))))
    cpu = time.process_time() - t0
    per_stage = Counter(stage for _, stage in d.rows)
    print(f"{len(d.rows)} digests over {len({k for k, _ in d.rows})} inputs in {cpu:.0f} s CPU; "
          f"stages: {dict(per_stage)}")
    lines = [f"{name}\t{stage}\t{h}" for (name, stage), h in sorted(d.rows.items())]
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"written {args.write}; overall {_h(lines)}")
    if args.compare:
        old = {}
        for line in args.compare.read_text(encoding="utf-8").splitlines():
            name, stage, h = line.split("\t")
            old[(name, stage)] = h
        diff = Counter()
        examples: dict[str, list[str]] = {}
        # With --limit, only what this run made is compared (a quick check of a part).
        for key in (d.rows.keys() if args.limit is not None else old.keys() | d.rows.keys()):
            if old.get(key) != d.rows.get(key):
                diff[key[1]] += 1
                examples.setdefault(key[1], []).append(key[0])
        if diff:
            for stage, k in diff.most_common():
                print(f"DIFFERENT {stage}: {k} inputs, e.g. {sorted(examples[stage])[:5]}")
            sys.exit(1)
        print(f"identical: all {len(d.rows)} digests match {args.compare}")


if __name__ == "__main__":
    main()
