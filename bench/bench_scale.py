"""Ingest, memory and /search at archive scale, through the real pipeline (issue 13, part 5).

    .venv/bin/python bench/bench_scale.py --articles 100000 [--baseline 10000] [--store DIR]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/scale_db] [--workers 2]
        [--probe 1000] [--repeat 3] [--build-only]

**The stores.** Two SQLite stores are built (or grown) in ``--store DIR`` (default var/bench_scale):
``base`` to ``--baseline`` articles and ``main`` to ``--articles``, from the same seeded sequence of
generated articles (``bench/scale_corpus.py``: real SaudiNewsNet sentences recombined, with exact
and near copies at a realistic rate, a fixed number per day). They go in as `raqib ingest` writes:
a day or two of articles at a time is written as .txt files into the store's folder and run through
``App.ingest_paths`` (``Pipeline.process_many``, batches per transaction; with ``--workers N`` the
analysis pool's N processes do the text stages), the app's clock set to the chunk's last article,
so fingerprints, bands (their ``seen_at``), search keys, stories and same-event joins are all the
pipeline's own and the windows see what they would see in life. After each chunk the store's
``meta.json`` records how far it got: a build stopped anywhere resumes there, and a later run with
a larger ``--articles`` grows the store. Each store's first article is dated so that the store ends
about today (its size at creation / ``per_day`` days ago): the CLI commands, which run with the real
clock, see a store whose recent days are in their windows. ``--database-url`` also builds the two
stores on PostgreSQL (schemas ``scale_base`` and ``scale_main`` of that database; VACUUM ANALYZEd
after a build, as autovacuum would be during one), for /search.

**The measurements**, each at both sizes, printed side by side (the baseline is the same run):
- *ingest CPU per article*: a probe of the next ``--probe`` articles of the sequence (fresh, dated
  after the store's end, copies of recent ones at the usual rate) ingested with one worker by a
  child process into a *copy* of the SQLite store (the store itself never changes), its CPU
  (``process_time`` around ``App.ingest_paths``, the app's clock at the probe's last article) over
  the articles; ``--repeat`` copies, median;
- *peak RSS* (``/usr/bin/time``'s maximum resident set) of the real CLI: ``raqib ingest`` of the probe (one
  worker) into a copy, then ``raqib run --once`` on that copy with three feeds on a fake feed server
  on 127.0.0.1 (``tests/fake_feeds.py``; 30 fresh generated articles each), and ``raqib search`` of
  each query class's first query on the store itself (the largest is printed);
- */search* p50 and p95 per query class, wall and CPU (``bench/bench_search.py``'s classes, picked
  by document frequency from each SQLite store's index, and its timing code), on SQLite and, with
  ``--database-url``, PostgreSQL.
Then a check that the store is real (stories, bands, search rows; counts consistent).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from sqlalchemy import create_engine, text  # noqa: E402

import bench_search  # noqa: E402
from scale_corpus import Corpus  # noqa: E402
from storage.db import schema_url  # noqa: E402

DAY_CHUNKS = 2  # days of articles per ingest call of the build
FEEDS, FEED_ITEMS = 3, 30


# --- stores --------------------------------------------------------------------------------------


class Store:
    """A store on disk (SQLite) or in a schema (PostgreSQL), its config file and its progress."""

    def __init__(self, folder: Path, url: str | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.db = folder / "store.db"
        self.url = url or f"sqlite:///{self.db}"
        self.meta_path = folder / "meta.json"
        self.meta = json.loads(self.meta_path.read_text()) if self.meta_path.exists() else {}
        if self.meta.get("generated") and not self._exists():  # the database went away: start again
            self.meta = {}

    @property
    def pg(self) -> bool:
        return self.url.startswith("postgresql")

    def _exists(self) -> bool:
        if not self.pg:
            return self.db.exists()
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(text("SELECT to_regclass('articles') IS NOT NULL")).scalar()
        finally:
            engine.dispose()

    @property
    def generated(self) -> int:
        return self.meta.get("generated", 0)

    def save(self) -> None:
        tmp = self.meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.meta, indent=1))
        tmp.replace(self.meta_path)

    def config(self, url: str | None = None, extra: str = "", folder: Path | None = None) -> Path:
        """A config file for this store (or, in ``folder``, for a copy of it at ``url``): the seeds'
        watchlists, one console subscription to them (the pipeline matches and queues as in life)."""
        path = (folder or self.folder) / "config.toml"
        path.write_text(
            f'[database]\nurl = "{url or self.url}"\n[general]\nwatchlists = "{REPO / "seeds" / "watchlists.toml"}"\n'
            f'{extra}\n[[subscriptions]]\nchat = "console:bench"\ntopics = ["dprk-russia", "kursk"]\n',
            encoding="utf-8",
        )
        return path

    def corpus(self, corpus: Corpus, target: int, per_day: int, seed: int) -> Corpus:
        """The generator dated for this store: chosen when the store is made, kept in its meta."""
        if not self.meta:
            today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
            self.meta = {"generated": 0, "seed": seed, "per_day": per_day,
                         "start": (today - timedelta(days=target / per_day)).isoformat(),
                         "build_cpu_s": 0.0, "build_wall_s": 0.0, "outcomes": {}}
        if (self.meta["seed"], self.meta["per_day"]) != (seed, per_day):
            sys.exit(f"{self.folder}: built with seed {self.meta['seed']}, per_day {self.meta['per_day']}")
        corpus.seed, corpus.per_day = seed, per_day
        corpus.start = datetime.fromisoformat(self.meta["start"])
        corpus._cache.clear()
        return corpus

    def end(self, corpus: Corpus) -> datetime:
        return corpus.when(self.generated)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_files(corpus: Corpus, first: int, last: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(first, last + 1):
        (folder / f"{i:08d}.txt").write_text(corpus.article(i).file_text(), encoding="utf-8")


def build(store: Store, corpus: Corpus, target: int, workers: int) -> None:
    """Grow ``store`` to ``target`` generated articles through the pipeline, a chunk at a time,
    recording progress after each chunk (a stopped build resumes after its last whole chunk; a chunk
    run twice finds its articles stored, by URL)."""
    if store.generated >= target:
        return
    from bot.app import App
    from bot.config import load_config

    now = [store.end(corpus)]
    app = App(load_config(store.config(), env={}), clock=lambda: now[0])
    app.bootstrap()
    incoming = store.folder / "incoming"
    chunk = DAY_CHUNKS * corpus.per_day
    first_gen = store.generated
    store.meta["workers"] = sorted({*store.meta.get("workers", []), workers})
    t0 = time.perf_counter()
    try:
        while store.generated < target:
            first, last = store.generated + 1, min(target, store.generated + chunk)
            shutil.rmtree(incoming, ignore_errors=True)
            write_files(corpus, first, last, incoming)
            now[0] = corpus.when(last)
            cpu0, kids0, wall0 = time.process_time(), _children_cpu(), time.perf_counter()
            report = app.ingest_paths([incoming], workers=workers)
            store.meta["build_cpu_s"] += time.process_time() - cpu0 + _children_cpu() - kids0
            store.meta["build_wall_s"] += time.perf_counter() - wall0
            for o in report.outcomes:
                key = o.status + (f" ({o.relation})" if getattr(o, "relation", None) else "")
                store.meta["outcomes"][key] = store.meta["outcomes"].get(key, 0) + 1
            store.meta["generated"] = last
            store.save()
            done = last - first_gen
            rate = done / (time.perf_counter() - t0)
            print(f"\r  {store.folder.name}{' (postgresql)' if store.pg else ''}: {last:,}/{target:,} "
                  f"({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
        app.close()
    print(file=sys.stderr)
    if store.pg:  # what autovacuum does to tables that grew (GIN pending list merged, statistics read)
        engine = create_engine(store.url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
            for table in list(tables):
                conn.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
        engine.dispose()


def copy_sqlite(store: Store, into: Path) -> str:
    """A copy of the SQLite store (its WAL checkpointed first): a probe writes there, never here."""
    with sqlite3.connect(store.db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    into.mkdir(parents=True, exist_ok=True)
    target = into / "store.db"
    shutil.copyfile(store.db, target)
    return f"sqlite:///{target}"


# --- measurements --------------------------------------------------------------------------------


def _probe_child(config: Path, folder: Path, now: str) -> None:
    """In a child: ingest ``folder`` with one worker at the store's time; CPU per article."""
    import importlib
    import resource

    from bot.app import App
    from bot.config import load_config

    clock = datetime.fromisoformat(now)
    app = App(load_config(config, env={}), clock=lambda: clock)
    # Loaded before the clock starts, at both sizes alike: the figure is per article, not start-up.
    for name in ("bot.pipeline", "bot.sources.files", "bot.text.eventdates", "bot.text.summarize", "bot.search"):
        importlib.import_module(name)
    app.pipeline  # noqa: B018 -- built (watchlists read, first connection) before the clock starts
    cpu0, wall0 = time.process_time(), time.perf_counter()
    report = app.ingest_paths([folder], workers=1)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    app.close()
    outcomes: dict[str, int] = {}
    for o in report.outcomes:
        outcomes[o.status] = outcomes.get(o.status, 0) + 1
    print(json.dumps({"n": len(report.outcomes), "cpu": cpu, "wall": wall, "outcomes": outcomes,
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def run_measured(cmd: list[str]) -> tuple[int, float, float, str]:
    """(exit status, peak RSS MB, CPU s, output) of a command, by ``/usr/bin/time``: the command is
    forked from that small process, not from this one (Linux carries the forking process's peak RSS
    into its child's ``ru_maxrss`` across exec, so a child of this bench would inherit its ~150 MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "time"
        with open(Path(tmp) / "out", "w+b") as out:
            proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", str(stats), *cmd], cwd=REPO,
                                  stdout=out, stderr=subprocess.STDOUT)
            out.seek(0)
            output = out.read().decode("utf-8", "replace")
        kb, user, system = stats.read_text().strip().splitlines()[-1].split()
    return proc.returncode, int(kb) / 1024, float(user) + float(system), output


def raqib(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


def probe(store: Store, corpus: Corpus, n: int, repeat: int, work: Path) -> dict:
    """Ingest CPU per article of the next ``n`` articles (median of ``repeat`` fresh copies), and
    peak RSS of `raqib ingest` of them and of `raqib run --once` after it (on one more copy)."""
    first, last = store.generated + 1, store.generated + n
    folder = work / f"probe_{store.folder.name}"
    write_files(corpus, first, last, folder)
    clock = corpus.when(last).isoformat()
    runs = []
    for k in range(repeat):
        copy = work / f"copy_{store.folder.name}_{k}"
        url = copy_sqlite(store, copy)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_probe", str(store.config(url, folder=copy)), str(folder), clock]
        code, _, _, out = run_measured(cmd)
        if code != 0:
            raise RuntimeError(f"probe failed: {out[-2000:]}")
        runs.append(json.loads(out.strip().splitlines()[-1]))
        shutil.rmtree(copy)
    cpu = statistics.median(r["cpu"] / r["n"] for r in runs) * 1000
    result = {"cpu_ms": cpu, "runs_ms": [r["cpu"] / r["n"] * 1000 for r in runs], "n": runs[0]["n"],
              "outcomes": runs[0]["outcomes"]}

    # The CLI, as an operator runs it: `raqib ingest` of the probe, then `raqib run --once`.
    from tests.fake_feeds import FakeFeeds, NewsItem, rss

    copy = work / f"copy_{store.folder.name}_cli"
    url = copy_sqlite(store, copy)
    with FakeFeeds() as feeds:
        extra_articles = [corpus.article(i) for i in range(last + 1, last + 1 + FEEDS * FEED_ITEMS)]
        feed_conf = '[feeds]\nallow_hosts = ["127.0.0.1"]\n'
        for f in range(FEEDS):
            items = [NewsItem(a.title, a.body, feeds.url(f"/a/{a.index}"), f"gen-{a.index}", a.published)
                     for a in extra_articles[f * FEED_ITEMS:(f + 1) * FEED_ITEMS]]
            feeds.add(f"/feed{f}.xml", body=rss(items))
            feed_conf += f'\n[[feeds.sources]]\nname = "feed{f}"\nurl = "{feeds.url(f"/feed{f}.xml")}"\n'
        config = store.config(url, extra=feed_conf, folder=copy)
        code, rss_ingest, cpu_ingest, out = run_measured(raqib("ingest", "--config", str(config), "--workers", "1",
                                                               str(folder)))
        if code != 0:
            raise RuntimeError(f"raqib ingest failed ({code}): {out[-2000:]}")
        code, rss_run, _, out = run_measured(raqib("run", "--once", "--config", str(config)))
        if code != 0:
            raise RuntimeError(f"raqib run --once failed ({code}): {out[-2000:]}")
        polled = sum(1 for p, _ in feeds.requests if p.startswith("/feed"))
    shutil.rmtree(copy)
    shutil.rmtree(folder)
    result.update(rss_ingest=rss_ingest, cli_ingest_cpu_ms=cpu_ingest / n * 1000, rss_run=rss_run, feeds_polled=polled)
    return result


def search_rss(store: Store, classes: dict[str, list[str]]) -> tuple[float, str]:
    """The largest peak RSS of `raqib search` over each class's first query, and that query."""
    worst = (0.0, "")
    for queries in classes.values():
        if not queries:
            continue
        code, peak, _, out = run_measured(raqib("search", "--config", str(store.config()), queries[0]))
        if code not in (0, 1):
            raise RuntimeError(f"raqib search failed ({code}): {out[-2000:]}")
        worst = max(worst, (peak, queries[0]))
    return worst


def search_latency(urls: dict[str, str], total: int, now: datetime) -> tuple[dict, dict]:
    """bench_search's classes (picked from the SQLite store's index) and p50/p95 per class and
    database: {(class, db): (wall p50, wall p95, cpu p50, cpu p95)}."""
    classes = bench_search.pick_queries(urls["sqlite"], total, random.Random(11))
    _, wall, cpu, _ = bench_search.collect(urls, classes, now, before=False)
    out = {}
    for key, ms in wall.items():
        out[key] = (statistics.median(ms), bench_search.percentile(ms, 0.95),
                    statistics.median(cpu[key]), bench_search.percentile(cpu[key], 0.95))
    return classes, out


def census(url: str) -> dict[str, int]:
    """Row counts that say the store is the pipeline's: stories, bands, search rows, and the
    consistency checks (every article in a story, indexed, with bands)."""
    engine = create_engine(url)
    pg = url.startswith("postgresql")
    search_table = "search_docs" if pg else "search_fts"
    search_key = "article_id" if pg else "rowid"
    q = {
        "articles": "SELECT count(*) FROM articles",
        "stories": "SELECT count(*) FROM stories",
        "stories with several articles": "SELECT count(*) FROM stories WHERE article_count > 1",
        "story article counts summed": "SELECT coalesce(sum(article_count), 0) FROM stories",
        "band rows": "SELECT count(*) FROM article_bands",
        "articles with bands": "SELECT count(DISTINCT article_id) FROM article_bands",
        "search rows": f"SELECT count(*) FROM {search_table}",
        "articles not indexed": f"SELECT count(*) FROM articles a WHERE NOT EXISTS "
                                f"(SELECT 1 FROM {search_table} d WHERE d.{search_key} = a.id)",
        "articles without a story": "SELECT count(*) FROM articles a WHERE NOT EXISTS "
                                    "(SELECT 1 FROM stories s WHERE s.id = a.story_id)",
        "search terms": "SELECT count(*) FROM search_terms",
    }
    try:
        with engine.connect() as conn:
            return {k: int(conn.execute(text(sql)).scalar()) for k, sql in q.items()}
    finally:
        engine.dispose()


# --- the command ----------------------------------------------------------------------------------


def _row(label: str, base: str, main: str, note: str = "") -> None:
    print(f"  {label:<44}{base:>16}{main:>16}  {note}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=100_000, help="the main store's size (generated articles)")
    p.add_argument("--baseline", type=int, default=10_000, help="the baseline store's size")
    p.add_argument("--store", type=Path, default=REPO / "var" / "bench_scale")
    p.add_argument("--database-url", help="PostgreSQL database: the stores in schemas scale_base, scale_main too")
    p.add_argument("--schema-prefix", default="scale", help="PostgreSQL: the stores' schemas are PREFIX_base, PREFIX_main")
    p.add_argument("--workers", type=int, default=2, help="analysis processes of the build")
    p.add_argument("--probe", type=int, default=1000, help="articles in the ingest probe")
    p.add_argument("--repeat", type=int, default=3, help="probe copies per size (median CPU)")
    p.add_argument("--per-day", type=int, default=1000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--build-only", action="store_true", help="build or grow the stores, measure nothing")
    p.add_argument("--measure-only", action="store_true",
                   help="measure the stores as they are (a build stopped early: each at the size it reached)")
    p.add_argument("--only", choices=["base", "main"], help="with --build-only: build only this store")
    p.add_argument("--_probe", nargs=3, help=argparse.SUPPRESS)
    p.add_argument("--_build", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args._probe:
        _probe_child(Path(args._probe[0]), Path(args._probe[1]), args._probe[2])
        return
    if args._build:
        folder, url, size, workers = args._build
        st = Store(Path(folder), url)
        corpus = Corpus(seed=st.meta["seed"], per_day=st.meta["per_day"])
        build(st, st.corpus(corpus, int(size), st.meta["per_day"], st.meta["seed"]), int(size), int(workers))
        return
    if args.baseline >= args.articles:
        sys.exit("--baseline must be smaller than --articles")
    t_corpus = time.process_time()
    corpus = Corpus(seed=args.seed, per_day=args.per_day)
    print(f"corpus: {len(corpus.items):,} SaudiNewsNet articles, {sum(map(len, corpus.pool.values())):,} sentences "
          f"in {len(corpus.pool)} outlets ({time.process_time() - t_corpus:.1f} s)", file=sys.stderr)
    sizes = {"base": args.baseline, "main": args.articles}
    stores = {name: Store(args.store / name) for name in sizes}
    pg_stores: dict[str, Store] = {}
    if args.database_url:
        admin = create_engine(args.database_url)
        with admin.begin() as conn:
            for name in sizes:
                conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {args.schema_prefix}_{name}"))
        admin.dispose()
        pg_stores = {name: Store(args.store / f"pg_{name}", schema_url(args.database_url, f"{args.schema_prefix}_{name}"))
                     for name in sizes}
    for name, size in sizes.items():
        if args.measure_only or (args.build_only and args.only and name != args.only):
            continue
        # SQLite and PostgreSQL stores grow at once, one process each (each CPU-bound on its own).
        builders = []
        for st in (stores[name], pg_stores.get(name)):
            if st is not None and st.generated < size:
                st.corpus(corpus, size, args.per_day, args.seed)
                st.save()  # its start date, before the child reads it
                builders.append(subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--_build",
                                                  str(st.folder), st.url, str(size), str(args.workers)]))
        if any(b.wait() != 0 for b in builders):
            sys.exit("a build failed (its progress is kept: run again to resume)")
        for st in (stores[name], pg_stores.get(name)):
            if st is not None:
                st.__init__(st.folder, st.url)  # the child's progress
    if args.build_only:
        return

    load0 = os.getloadavg()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench_scale_", dir=args.store) as tmp:
        for name, st in stores.items():
            c = st.corpus(corpus, sizes[name], args.per_day, args.seed)
            total = st.generated
            r = results[name] = {"census": census(st.url)}
            if name in pg_stores:
                r["pg_census"] = census(pg_stores[name].url)
            urls = {"sqlite": st.url}
            if name in pg_stores:
                urls["postgresql"] = pg_stores[name].url
            r["classes"], r["search"] = search_latency(urls, total, st.end(c) + timedelta(days=1))
            r["search_rss"] = search_rss(st, r["classes"])
            r["probe"] = probe(st, c, args.probe, args.repeat, Path(tmp))
    load1 = os.getloadavg()

    base, main_ = results["base"], results["main"]
    nb, nm = stores["base"].generated, stores["main"].generated
    print(f"\nbench_scale: stores of {nb:,} (baseline) and {nm:,} generated articles, {args.per_day:,} a day; "
          f"load average {load0[0]:.2f} -> {load1[0]:.2f} on {os.cpu_count()} cores")
    if pg_stores:
        print(f"postgresql stores: {pg_stores['base'].generated:,} and {pg_stores['main'].generated:,} generated articles"
              " (its queries are picked from the SQLite store's index)")
    _row("", "baseline", "store", "")
    _row("generated articles", f"{nb:,}", f"{nm:,}")
    for key in base["census"]:
        _row(f"sqlite: {key}", f"{base['census'][key]:,}", f"{main_['census'][key]:,}")
    for key in base.get("pg_census", {}):
        _row(f"postgresql: {key}", f"{base['pg_census'][key]:,}", f"{main_['pg_census'][key]:,}")
    for name, st in {**stores, **{f"pg {k}": v for k, v in pg_stores.items()}}.items():
        m = st.meta
        if m.get("build_cpu_s"):
            n = m["generated"]
            print(f"  build {name}: {n:,} in {m['build_wall_s']:,.0f} s wall ({n / m['build_wall_s']:,.0f}/s), "
                  f"{m['build_cpu_s'] / n * 1000:.2f} ms CPU/article (all processes, --workers "
                  f"{'/'.join(map(str, m.get('workers', ['?'])))}); "
                  f"1M at this wall rate: {1e6 / (n / m['build_wall_s']) / 3600:.1f} h; outcomes {m['outcomes']}")
    print("\ningest (SQLite, one worker, a probe of the next articles into a copy of the store)")
    bp, mp = base["probe"], main_["probe"]
    ratio = mp["cpu_ms"] / bp["cpu_ms"]
    _row("CPU ms/article (median of copies)", f"{bp['cpu_ms']:.2f}", f"{mp['cpu_ms']:.2f}",
         f"{ratio:.2f}x (bar <= 1.30x: {'met' if ratio <= 1.3 else 'NOT met'}); runs "
         f"{[round(x, 2) for x in bp['runs_ms']]} / {[round(x, 2) for x in mp['runs_ms']]}")
    _row("probe outcomes", "", "", f"{bp['outcomes']} / {mp['outcomes']}")
    _row("`raqib ingest` CPU ms/article (with start-up)", f"{bp['cli_ingest_cpu_ms']:.2f}",
         f"{mp['cli_ingest_cpu_ms']:.2f}")
    print("\npeak RSS (MB, /usr/bin/time maximum resident set; bar <= 500 MB)")
    for label, key in (("raqib ingest (the probe)", "rss_ingest"), ("raqib run --once (3 feeds)", "rss_run")):
        _row(label, f"{bp[key]:.0f}", f"{mp[key]:.0f}", "met" if mp[key] <= 500 else "NOT met")
    _row("raqib search (largest of the classes)", f"{base['search_rss'][0]:.0f}", f"{main_['search_rss'][0]:.0f}",
         f"{'met' if main_['search_rss'][0] <= 500 else 'NOT met'} (worst: {main_['search_rss'][1]})")
    _row("feed requests in run --once", f"{bp['feeds_polled']}", f"{mp['feeds_polled']}")
    print(f"\n/search p50 / p95 ms per class ({bench_search.RUNS} runs of each query; bar: p95 <= 50 ms)")
    dbs = ["sqlite"] + (["postgresql"] if pg_stores else [])
    for db in dbs:
        for kind, (i50, i95) in (("wall", (0, 1)), ("CPU", (2, 3))):
            for label in base["classes"]:
                b, m = base["search"].get((label, db)), main_["search"].get((label, db))
                fmt = lambda v: f"{v[i50]:.1f} / {v[i95]:.1f}" if v else "-"  # noqa: E731
                bar = "" if not m or kind != "wall" else ("met" if m[i95] <= 50 else "NOT met")
                _row(f"{db} {kind}: {label} ({len(main_['classes'][label])} q)", fmt(b), fmt(m), bar)
    print("queries (store):", json.dumps(main_["classes"], ensure_ascii=False))


if __name__ == "__main__":
    main()
