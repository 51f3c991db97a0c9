"""/search latency at archive scale on SQLite and PostgreSQL, the same queries, one run.

The store: N articles recombined from real SaudiNewsNet text (a real title, 6-12 real sentences
drawn at random from the five days of wire and newspaper copy), plus the five seeds, dated in
ascending order over 2015-2025 like a growing archive. Article and story rows go in by bulk
statements; the search keys are made once per article by ``bot.search.index_keys`` (the
pipeline's call) and written to every store in one pass by the ingest path's own index writer
(``storage.search.IndexBuffer``, a batch per transaction as bulk ingest writes it; per article
``index_article`` where that does not exist). 200k articles build in ~16 minutes on both
databases here (SQLite ~700/s, PostgreSQL ~300/s; SQLite alone 1M in ~25 minutes).
PostgreSQL is then VACUUM ANALYZEd, as autovacuum does to a table that grew (the GIN index's
pending list merged, the statistics read).

Queries, several of each class, picked by document frequency from the built index:
rare (≤ 0.01% of articles), common (0.5-3%), very common (≥ 15%) single words, two common words,
and quoted phrases. Each runs through ``bot.search.search`` (expansion by the vocabulary and the
matcher, the newest WINDOW hits scored, one story each, snippets for the page shown).

Two tables: wall time, and CPU time (this process's, plus for PostgreSQL on this host its
backend's, from /proc): on a shared machine wall time also counts the waits for a free core, CPU
time is what a query costs whatever else runs.

The baseline in the same run, on PostgreSQL: the plan search used before it chose one per query (``tsv @@ q ORDER BY article_id DESC LIMIT n``, one
statement: the planner walks the primary key backwards), with everything else equal. The plan
measured reads common terms window by window of article-id buckets through the second column of
the GIN index (migration 0014); a store built before it gives the same pages without the speed,
so the bench prints whether the index has that column. ``--baseline-ref REF`` also runs the search
code of a git ref (``bot/search.py`` and ``storage/search.py`` as committed there) on the same
stores (SQLite and PostgreSQL) in the same process: a change's before and after, side by side.
Every version's first run of a query finds the expansion and snippet caches empty, as a new query
does.

Run from the repo root:
``.venv/bin/python bench/bench_search.py --articles 200000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test``
(PostgreSQL gets a private schema ``bench_search_<pid>``, dropped at the end unless ``--keep``
or ``--reuse``;
``--db PATH`` names the SQLite file; ``--reuse`` measures stores built before: SQLite at PATH and,
with ``--schema``, that PostgreSQL schema; give the ``--articles`` they were built with, which
the query classes' document-frequency bands are computed from).
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
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402

from bot.text.arabic import split_sentences  # noqa: E402
from bot.search import _stop_keys, index_keys, parse_query, search  # noqa: E402
from bot.sources.files import read_article_file  # noqa: E402
from storage import search as store  # noqa: E402
from storage.db import make_engine, session_factory, transaction, upgrade  # noqa: E402

SNN = REPO.parent / "shared" / "data" / "saudinewsnet"
SEEDS = REPO / "seeds"
BATCH = 2000
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


def articles(n: int, seed: int = 7):
    """(id, title, body, url, published) for the N recombined articles and the five seeds."""
    titles, sentences = load_corpus()
    rng = random.Random(seed)
    seeds = [read_article_file(p) for p in sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))]
    total = n + len(seeds)
    step = (END - START) / total
    seed_at = {int(total * (i + 1) / (len(seeds) + 1)) for i in range(len(seeds))}
    seed_iter = iter(seeds)
    for i in range(1, total + 1):
        when = START + step * i
        if i in seed_at:
            art = next(seed_iter)
            yield i, art.title, art.body, f"seed://{art.url}", when
        else:
            body = " ".join(rng.choice(sentences) for _ in range(rng.randint(6, 12)))
            yield i, rng.choice(titles), body, f"https://snn.example/{i}", when


def build(urls: dict[str, str], n: int) -> dict[str, float]:
    """Build the stores at ``urls`` (already empty) in one pass over the articles: bulk rows, the
    search keys made once per article (``index_keys``, the pipeline's call) and written to each
    store by the ingest path's own index writer (``IndexBuffer``, a batch per transaction as bulk
    ingest writes it). Returns the seconds each store took (its own statements and upkeep)."""
    engines = {name: make_engine(url) for name, url in urls.items()}
    spent = dict.fromkeys(urls, 0.0)
    now = datetime.now(timezone.utc)
    dt = store._DT
    for name, engine in engines.items():
        started = time.perf_counter()
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO sources (id, name, kind, location, interval_s, error_count, created_at) "
                              "VALUES (1, 'saudinewsnet', 'files', '-', 0, 0, :t)"), {"t": dt.process_bind_param(now, None)})
        spent[name] += time.perf_counter() - started
    add_story = text("INSERT INTO stories (id, headline, summary, lead_article_id, article_count, published_at, "
                     "event_date, first_seen, last_updated) VALUES (:id, :title, '', :id, 1, :p, :p, :now, :now)")
    add_article = text("INSERT INTO articles (id, source_id, story_id, url, url_hash, title, body, published_at, "
                       "date_source, fetched_at, body_hash, fingerprint) VALUES (:id, 1, :id, :url, :h, :title, "
                       ":body, :p, 'text', :now, :h, :fp)")
    batch: list[dict] = []
    total = n + 5
    keys_s = 0.0

    def flush() -> None:
        for name, engine in engines.items():
            started = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(add_story, batch)
                conn.execute(add_article, batch)
                if hasattr(store, "IndexBuffer"):  # the ingest path's own index write
                    index = store.IndexBuffer()
                    for row in batch:
                        index.add(row["id"], row["id"], 1, row["when"], row["keys"])
                    index.flush(conn)
                else:
                    for row in batch:
                        store.index_article(conn, row["id"], row["id"], 1, row["when"], row["keys"])
            spent[name] += time.perf_counter() - started
        batch.clear()

    for i, title, body, link, when in articles(n):
        t0 = time.perf_counter()
        keys = index_keys(title, body)
        keys_s += time.perf_counter() - t0
        batch.append({"id": i, "title": title, "body": body, "url": link, "h": f"{i:064x}", "fp": b"",
                      "p": dt.process_bind_param(when, None), "now": dt.process_bind_param(now, None),
                      "when": when, "keys": keys})
        if len(batch) >= BATCH or i == total:
            flush()
            print(f"\r  built {i:,}/{total:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    for name, engine in engines.items():
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":  # what autovacuum does to a table that grew
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
        engine.dispose()
        spent[name] += time.perf_counter() - started + keys_s
    return spent


def pick_queries(sqlite_url: str, total: int, rng: random.Random) -> dict[str, list[str]]:
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS temp.v USING fts5vocab(main, search_fts, 'row')"))
        rows = conn.execute(text("SELECT term, doc FROM temp.v WHERE length(term) >= 4")).all()
    engine.dispose()
    arabic = re.compile("^[\u0621-\u064a]+$")
    stop = _stop_keys()
    words = [(t, d) for t, d in rows if arabic.match(t) and t not in stop and not t.startswith(("و", "ب", "ل", "ف"))]

    def band(lo: float, hi: float, k: int) -> list[str]:
        pool = sorted(t for t, d in words if lo * total <= d <= hi * total)
        rng.shuffle(pool)
        return pool[:k]

    rare = [t for t in band(2 / total, max(20 / total, 0.0001), 400) if not t.startswith("ال")][:12]
    common = band(0.005, 0.03, 24)
    very = sorted(words, key=lambda td: -td[1])[:12]
    very_common = [t for t, d in very if d >= 0.15 * total] or [t for t, _ in very[:8]]
    two = [f"{common[i]} {common[i + 12]}" for i in range(min(12, len(common) - 12))]
    phrases = ['"ولي العهد"', '"مجلس الوزراء"', '"وزارة الصحة"', '"الأمم المتحدة"', '"خادم الحرمين الشريفين"',
               '"المملكة العربية السعودية"', '"كوريا الشمالية"', '"وزير الخارجية"', '"الهلال الأحمر"',
               '"سوق الأسهم"', '"الدفاع المدني"', '"أمير منطقة"']
    return {"rare word": rare, "common word": common[:12], "very common word": very_common[:12],
            "two words": two, "phrase": phrases}


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def old_pg_candidates(db, query, filters, limit, start=None):
    """The plan before: one statement, the planner's choice (a backward primary-key walk); the
    setting ``start`` turned off put back first."""
    store.finish(db, start)
    params: dict = {"n": limit, "q": store.tsquery_expression(query)}
    where = store._filter_sql(filters, params)
    sql = ("SELECT d.article_id, d.story_id, d.published_at, ts_rank(d.tsv, to_tsquery('simple', :q)) "
           "FROM search_docs d WHERE d.tsv @@ to_tsquery('simple', :q)" + where + " ORDER BY d.article_id DESC LIMIT :n")
    return [store.Candidate(a, s, store._DT.process_result_value(p, None), float(r))
            for a, s, p, r in db.execute(text(sql), params)]


def _server_cpu_ms(pid: int | None) -> float:
    """CPU time a PostgreSQL backend on this host has run (/proc schedstat, ns), else 0."""
    if pid is None:
        return 0.0
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e6
    except (OSError, ValueError, IndexError):
        return 0.0


def load_ref(ref: str):
    """``bot/search.py`` and ``storage/search.py`` as they are at git ``ref``, as modules of their
    own (the first using the second): the search code before a change, run in the same process
    on the same store beside it."""
    import importlib.util
    import subprocess

    loaded = {}
    for path in ("storage/search.py", "bot/search.py"):
        source = subprocess.run(["git", "-C", str(REPO), "show", f"{ref}:{path}"], check=True,
                                capture_output=True, text=True).stdout
        name = f"_ref_{path.replace('/', '_')[:-3]}"
        spec = importlib.util.spec_from_loader(name, loader=None)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up
        exec(compile(source, f"{ref}:{path}", "exec"), module.__dict__)
        loaded[path] = module
    loaded["bot/search.py"].store = loaded["storage/search.py"]
    return loaded["bot/search.py"]


def timed(factory, raw: str, now: datetime, code=None):
    """(wall ms, CPU ms, first page) per run. CPU is this process's plus, for PostgreSQL on this
    host, its backend's: what the query costs whatever else the machine is running, where wall
    time on a shared machine also counts the waits for a free core. ``code``: another version of
    ``bot.search`` (``load_ref``). The query's first run finds the caches of expansion and snippets
    empty, as a new query does (each database and each version of the code pays that once)."""
    code = code or sys.modules[search.__module__]
    run_search, query = code.search, code.parse_query(raw)
    for name in ("_reads", "_matcher", "_ranges", "_word_keys"):
        if hasattr(code, name):
            getattr(code, name).cache_clear()
    for _ in range(RUNS):
        with transaction(factory) as s:
            pg = s.get_bind().dialect.name == "postgresql"
            pid = s.execute(text("SELECT pg_backend_pid()")).scalar() if pg else None
            c0, b0, t0 = time.process_time(), _server_cpu_ms(pid), time.perf_counter()
            page = run_search(s, query, 0, now)
            elapsed = (time.perf_counter() - t0) * 1000
            cpu = (time.process_time() - c0) * 1000 + _server_cpu_ms(pid) - b0
        yield elapsed, cpu, tuple(r.article_id for r in page.results)


def collect(urls: dict[str, str], classes: dict[str, list[str]], now: datetime, ref: str | None = None,
            before: bool = True) -> tuple[list[str], dict, dict, dict]:
    """Run every query of ``classes`` on every store (``RUNS`` times each): (system names, wall ms
    and CPU ms per (class, system), whether PostgreSQL's plans agree per query). ``before``: also
    the plan PostgreSQL search used before it chose one per query; ``ref``: also a git ref's code."""
    systems: list[tuple[str, str, Callable | None]] = []
    code = load_ref(ref) if ref else None
    for name, url in urls.items():
        systems.append((name, url, None))
        if name == "postgresql" and before:
            systems.append(("postgresql (before)", url, old_pg_candidates))
        if code is not None:
            systems.append((f"{name} ({ref})", url, None))
    engines = {name: make_engine(url) for name, url in urls.items()}
    factories = {name: session_factory(engine) for name, engine in engines.items()}
    results: dict[tuple[str, str], list[float]] = {}
    cpus: dict[tuple[str, str], list[float]] = {}
    agree = {}
    for label, queries in classes.items():
        for raw in queries:
            pages = {}
            for name, url, plan in systems:
                factory = factories[name.split(" ")[0]]
                saved = store._pg_candidates
                if plan is not None:
                    store._pg_candidates = plan
                try:
                    for elapsed, cpu, ids in timed(factory, raw, now, code if name.endswith(f"({ref})") else None):
                        results.setdefault((label, name), []).append(elapsed)
                        cpus.setdefault((label, name), []).append(cpu)
                finally:
                    store._pg_candidates = saved
                pages[name] = ids
            # The plan and the version change the speed, never the page (each database its own).
            agree[raw] = all(page == pages[name.split(" ")[0]] for name, page in pages.items())
    for engine in engines.values():
        engine.dispose()
    return [name for name, _, _ in systems], results, cpus, agree


def measure(urls: dict[str, str], classes: dict[str, list[str]], ref: str | None = None) -> None:
    names, results, cpus, agree = collect(urls, classes, END + timedelta(days=1), ref)
    factories = {name: session_factory(make_engine(url)) for name, url in urls.items()}
    for title, table in (("wall time", results), ("CPU time (client + PostgreSQL backend)", cpus)):
        print(f"\n{title}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'query class':<18}{'n':>3}" + "".join(f"  {n + ' p50':>26}{'p95':>8}" for n in names))
        for label, queries in classes.items():
            line = f"{label:<18}{len(queries):>3}"
            for name in names:
                ms = table.get((label, name), [0.0])
                line += f"  {median(ms):>24.1f}ms{percentile(ms, 0.95):>6.1f}ms"
            print(line)
    differ = [q for q, ok in agree.items() if not ok]
    print(f"\nsame first page with every plan and version (on each database): "
          f"{len(agree) - len(differ)}/{len(agree)} queries"
          + (f" (differ: {differ})" if differ else ""))
    for name, factory in factories.items():
        with transaction(factory) as s:
            print(f"{name}: index {store.index_size(s) / 1e6:,.0f} MB (search tables and their indexes)")
            if name == "postgresql":
                cols = s.execute(text("SELECT indnatts FROM pg_index WHERE indexrelid = to_regclass('ix_search_docs_tsv')"))
                print(f"postgresql: GIN index columns {cols.scalar()} (2: id-bucket windows, migration 0014)")
    print("queries:", json.dumps(classes, ensure_ascii=False))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=200_000)
    p.add_argument("--db", type=Path, default=REPO / "var" / "bench_search.db")
    p.add_argument("--database-url", help="a PostgreSQL URL: the same store and queries there too")
    p.add_argument("--schema", help="with --reuse: the PostgreSQL schema built before")
    p.add_argument("--reuse", action="store_true", help="measure stores built before")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    p.add_argument("--baseline-ref", metavar="REF",
                   help="also run the search code of git REF (bot/search.py, storage/search.py) on each database")
    args = p.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    total = args.articles + 5
    urls = {"sqlite": f"sqlite:///{args.db}"}
    schema = args.schema or f"bench_search_{os.getpid()}"
    admin = None
    if args.database_url:
        admin = create_engine(args.database_url)
        sep = "&" if "?" in args.database_url else "?"
        urls["postgresql"] = f"{args.database_url}{sep}options=-csearch_path%3D{schema}"
    try:
        if not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(str(args.db) + suffix).unlink(missing_ok=True)
            if admin is not None:
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            for name, seconds in build(urls, args.articles).items():
                print(f"{name}: built {total:,} articles in {seconds:,.0f} s ({total / seconds:,.0f}/s; "
                      f"rows in bulk, index through the ingest path's writer)")
        classes = pick_queries(urls["sqlite"], total, random.Random(11))
        measure(urls, classes, args.baseline_ref)
        print(f"articles: {total:,}")
    finally:
        if admin is not None:
            if not args.keep and not args.reuse:  # a store built before is never dropped
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
