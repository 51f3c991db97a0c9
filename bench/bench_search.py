"""/search latency at archive scale, beside plain FTS5 bm25 ordering on the same rows, one run.

The store: N articles recombined from real SaudiNewsNet text (a real title, 6-12 real sentences
drawn at random from the five days of wire and newspaper copy), plus the five seeds, dated in
ascending order over 2015-2025 like a growing archive. Rows go in through the schema raqib
migrates (articles, stories, search_docs, the FTS5 table), built in bulk: the ingest path's cost
per article is measured by bench_ingest.py, not here.

Queries, several of each class, picked by document frequency from the built index:
rare (≤ 0.01% of articles), common (0.5-3%), very common (≥ 15%) single words, two common words,
and quoted phrases. For each: ``bot.search.search`` (expansion by the vocabulary and matcher,
the newest WINDOW hits scored, one story each, snippets for the page shown) beside
``storage.search.plain_bm25`` (the same expanded FTS5 query, every hit scored by bm25, best 10).

Run from the repo root: ``.venv/bin/python bench/bench_search.py --articles 200000``
(``--db PATH`` keeps the store; ``--reuse`` skips the build).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from bot.arabic import split_sentences  # noqa: E402
from bot.search import expand, index_keys, parse_query, search  # noqa: E402
from bot.sources.files import read_article_file  # noqa: E402
from storage import search as store  # noqa: E402
from storage.db import make_engine, session_factory, transaction, upgrade  # noqa: E402

SNN = REPO.parent / "shared" / "data" / "saudinewsnet"
SEEDS = REPO / "seeds"
BATCH = 5000
START = datetime(2015, 1, 1, tzinfo=timezone.utc)
END = datetime(2025, 12, 31, tzinfo=timezone.utc)
RUNS = 3


def load_corpus() -> tuple[list[str], list[str]]:
    titles, sentences = [], []
    for archive in sorted(SNN.glob("*.zip")):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                for item in json.loads(z.read(name)):
                    if item.get("title"):
                        titles.append(" ".join(item["title"].split()))
                    sentences += [s for s in split_sentences(item.get("content") or "") if 30 <= len(s) <= 400]
    return titles, sentences


def build(db_path: Path, n: int, seed: int = 7) -> float:
    if db_path.exists():
        db_path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    titles, sentences = load_corpus()
    rng = random.Random(seed)
    seeds = [read_article_file(p) for p in sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))]
    total = n + len(seeds)
    step = (END - START) / total
    seed_at = {int(total * (i + 1) / (len(seeds) + 1)) for i in range(len(seeds))}
    started = time.perf_counter()
    raw = engine.raw_connection()
    cur = raw.cursor()
    cur.execute("PRAGMA synchronous=OFF")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    cur.execute("INSERT INTO sources (id, name, kind, location, interval_s, error_count, created_at) "
                "VALUES (1, 'saudinewsnet', 'files', '-', 0, 0, ?)", (now,))
    seed_iter = iter(seeds)
    rows_a, rows_s, rows_d, rows_f = [], [], [], []
    for i in range(1, total + 1):
        when = (START + step * i).strftime("%Y-%m-%d %H:%M:%S.%f")
        if i in seed_at:
            art = next(seed_iter)
            title, body, url = art.title, art.body, f"seed://{art.url}"
        else:
            title = rng.choice(titles)
            body = " ".join(rng.choice(sentences) for _ in range(rng.randint(6, 12)))
            url = f"https://snn.example/{i}"
        rows_s.append((i, title, "", i, 1, when, when, now, now))
        rows_a.append((i, 1, i, url, title, body, when, "text", now, f"{i:064x}", b""))
        rows_d.append((i, i, 1, when))
        rows_f.append((i, index_keys(title, body)))
        if len(rows_a) >= BATCH or i == total:
            cur.executemany("INSERT INTO stories (id, headline, summary, lead_article_id, article_count, published_at, "
                            "event_date, first_seen, last_updated) VALUES (?,?,?,?,?,?,?,?,?)", rows_s)
            cur.executemany("INSERT INTO articles (id, source_id, story_id, url, title, body, published_at, date_source, "
                            "fetched_at, body_hash, fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows_a)
            cur.executemany("INSERT INTO search_docs (article_id, story_id, source_id, published_at) VALUES (?,?,?,?)",
                            rows_d)
            cur.executemany("INSERT INTO search_fts (rowid, text) VALUES (?,?)", rows_f)
            raw.commit()
            rows_a, rows_s, rows_d, rows_f = [], [], [], []
            print(f"\r  built {i:,}/{total:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    cur.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, search_fts, 'row')")
    cur.execute("INSERT OR IGNORE INTO search_terms (term) SELECT term FROM temp.v")
    cur.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    raw.commit()
    raw.close()
    engine.dispose()
    return time.perf_counter() - started


def pick_queries(session, total: int, rng: random.Random) -> dict[str, list[str]]:
    session.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS temp.v USING fts5vocab(main, search_fts, 'row')"))
    rows = session.execute(text("SELECT term, doc FROM temp.v WHERE length(term) >= 4")).all()
    arabic = re.compile("^[\u0621-\u064a]+$")
    stop = set()
    from bot.search import _stop_keys

    stop = _stop_keys()
    words = [(t, d) for t, d in rows if arabic.match(t) and t not in stop and not t.startswith(("و", "ب", "ل", "ف"))]

    def band(lo: float, hi: float, k: int) -> list[str]:
        pool = [t for t, d in words if lo * total <= d <= hi * total]
        rng.shuffle(pool)
        return pool[:k]

    rare = [t for t in band(2 / total, max(20 / total, 0.0001), 400) if not t.startswith("ال")][:12]
    common = band(0.005, 0.03, 24)
    very = sorted(words, key=lambda td: -td[1])[:12]
    very_common = [t for t, d in very if d >= 0.15 * total] or [t for t, _ in very[:8]]
    two = [f"{common[i]} {common[i + 12]}" for i in range(12)]
    phrases = ['"ولي العهد"', '"مجلس الوزراء"', '"وزارة الصحة"', '"الأمم المتحدة"', '"خادم الحرمين الشريفين"',
               '"المملكة العربية السعودية"', '"كوريا الشمالية"', '"وزير الخارجية"', '"الهلال الأحمر"',
               '"سوق الأسهم"', '"الدفاع المدني"', '"أمير منطقة"']
    return {"rare word": rare, "common word": common[:12], "very common word": very_common[:12],
            "two words": two, "phrase": phrases}


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def measure(db_path: Path, total: int) -> None:
    engine = make_engine(f"sqlite:///{db_path}")
    factory = session_factory(engine)
    rng = random.Random(11)
    with transaction(factory) as s:
        classes = pick_queries(s, total, rng)
        size = store.index_size(s)
        hits_of = {}
    now = END + timedelta(days=1)
    print(f"\n{'query class':<18}{'n':>3}  {'median hits':>12}  {'/search p50':>12}{'p95':>8}  "
          f"{'FTS5 bm25 p50':>14}{'p95':>9}")
    for label, queries in classes.items():
        if not queries:
            print(f"{label:<18}  no word in this frequency band at this size")
            continue
        ours, plain, hits = [], [], []
        for raw in queries:
            query = parse_query(raw)
            for _ in range(RUNS):
                with transaction(factory) as s:
                    t0 = time.perf_counter()
                    page = search(s, query, 0, now)
                    ours.append((time.perf_counter() - t0) * 1000)
            with transaction(factory) as s:
                clauses, _ = expand(s, query)
                if clauses:
                    hits.append(s.execute(text("SELECT count(*) FROM search_fts WHERE search_fts MATCH :q"),
                                          {"q": store.fts5_expression(clauses)}).scalar())
                for _ in range(RUNS):
                    t0 = time.perf_counter()
                    store.plain_bm25(s, clauses, 10) if clauses else None
                    plain.append((time.perf_counter() - t0) * 1000)
            hits_of[raw] = (hits[-1] if hits else 0, page.total)
        print(f"{label:<18}{len(queries):>3}  {int(median(hits or [0])):>12,}  {median(ours):>10.1f}ms"
              f"{percentile(ours, 0.95):>6.1f}ms  {median(plain):>12.1f}ms{percentile(plain, 0.95):>7.1f}ms")
    print(f"\nindex size (FTS5 + search_docs + vocabulary): {size / 1e6:,.0f} MB; "
          f"database file {os.path.getsize(db_path) / 1e6:,.0f} MB")
    print("queries:", json.dumps({k: v for k, v in classes.items()}, ensure_ascii=False))
    engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=200_000)
    p.add_argument("--db", type=Path, default=REPO / "var" / "bench_search.db")
    p.add_argument("--reuse", action="store_true", help="measure an existing store")
    args = p.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    total = args.articles + 5
    if not args.reuse:
        seconds = build(args.db, args.articles)
        print(f"built {total:,} articles in {seconds:,.0f} s ({total / seconds:,.0f} articles/s, "
              f"keys + rows + FTS5 index, bulk)")
    measure(args.db, total)


if __name__ == "__main__":
    main()
