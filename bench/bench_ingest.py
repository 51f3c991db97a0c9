"""Whole-pipeline ingest cost over SaudiNewsNet (~8k real articles): read, clean, dedup, match,
summarize, store and queue, through `App.ingest_paths`, the code path `raqib ingest` uses.

    .venv/bin/python bench/bench_ingest.py [--limit N] [--database-url URL] [--baseline REF] [--repeat K]
    .venv/bin/python bench/bench_ingest.py --workers N [--limit N] [--database-url URL] [--repeat K] [--baseline REF]

Prints CPU milliseconds per article (the bar of issue 13: <= 3.0 on one core), wall rate, and the
CPU of each text stage (exclusive: a stage called inside another is counted once, in itself);
"database and the rest" is everything else (SQL, SQLAlchemy, the pipeline's own bookkeeping).
``--baseline REF`` extracts that commit with ``git archive`` into a temporary folder and runs the
same articles through it in the same run, so both figures come from one machine state. Every run
is a fresh process with a fresh database (SQLite file; on PostgreSQL a schema of its own, dropped
afterwards). The articles are written once as .txt files to a temporary folder (never into the
project).

``--workers N`` (``raqib ingest --workers N``) runs this tree with one worker and with N in the same
run (interleaved when ``--repeat``), without the stage timers, and prints for each the wall rate,
CPU per article of all processes (the writer's own plus its reaped workers', ``RUSAGE_CHILDREN``),
the writer/worker CPU split, the speedup beside the 1.7x bar of issue 13, the load average, and
whether the outcomes were identical, and where the pool's processes spent the run (the workers'
idle time, the writer's waits, per tenth of the run); with ``--baseline REF``, that commit's N
workers too, interleaved. On a loaded machine the wall speedup says little; the split
tells the speedup the CPU allows: N workers cannot be faster than the busiest process (the writer,
or the workers' share) nor than the total CPU spread over the cores.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "saudinewsnet"

# (label, module, attribute path): the text stages, timed wherever the build under test has them.
STAGES = (
    ("read + clean", "bot.sources.files", "read_article_file"),
    ("analysis", "bot.text.analysis", "Analyzed.__init__"),
    ("fingerprint + bands", "bot.text.dedup", "fingerprint"),
    ("fingerprint + bands", "bot.text.dedup", "lead_band_keys"),
    ("fingerprint + bands", "bot.text.dedup", "body_hash"),
    ("search keys", "bot.search", "index_keys"),
    ("match", "bot.text.matching", "Matcher.match"),
    ("summarize", "bot.text.summarize", "summarize"),
    ("event dates", "bot.text.eventdates", "event_date"),
    ("near-dup word check", "bot.text.dedup", "distinct_reports"),
    ("same-event profile", "bot.text.events", "event_key"),
    ("same-event decision", "bot.text.events", "best_event"),
)


def write_articles(folder: Path, limit: int | None) -> int:
    n = 0
    for z in sorted(DATA.glob("*.zip")):
        with zipfile.ZipFile(z) as zf:
            for item in json.loads(zf.read(zf.namelist()[0])):
                if limit is not None and n >= limit:
                    return n
                text = f"{item['title']}\n{item['date_extracted'][:10]}\n{item['content']}\n"
                (folder / f"{n:05d}_{item['source']}.txt").write_text(text, encoding="utf-8")
                n += 1
    return n


# --- one run, in a fresh process, of whichever build is first on sys.path ----------------------


class _Timer:
    """Exclusive CPU per stage: a wrapped call made inside another is subtracted from its parent."""

    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()
        self._stack: list[float] = []  # CPU spent in nested stages, per open call

    def wrap(self, label: str, fn):
        clock = time.process_time

        def timed(*args, **kwargs):
            self._stack.append(0.0)
            start = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = clock() - start
                nested = self._stack.pop()
                self.cpu[label] += spent - nested
                if self._stack:
                    self._stack[-1] += spent

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed


def _install(timer: _Timer) -> None:
    import importlib

    for label, module_name, attr in STAGES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        owner, name = module, attr
        if "." in attr:
            cls, name = attr.split(".")
            owner = getattr(module, cls, None)
        if owner is None or not hasattr(owner, name):
            continue
        original = getattr(owner, name)
        setattr(owner, name, timer.wrap(label, original))
        # Names imported into other modules (``from bot.text.summarize import summarize``) are patched
        # there too, so the pipeline's own reference is timed.
        if owner is module:
            for other in list(sys.modules.values()):
                if other is not None and other is not module and getattr(other, name, None) is original:
                    if getattr(other, "__name__", "").startswith(("bot.", "storage.")):
                        setattr(other, name, getattr(owner, name))


def _pg_schema_url(url: str, schema: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@contextlib.contextmanager
def bench_app(repo: Path, url: str | None, prefix: str, extra: str = "") -> Iterator:
    """A bootstrapped ``App`` of the build at ``repo`` on a fresh database: a SQLite file in a
    temporary folder, or a PostgreSQL schema of its own (dropped after). It runs with that build's
    code (an older build may lack ``storage.db.private_schema``, so the schema is made here)."""
    sys.path.insert(0, str(repo))
    from bot.app import App  # noqa: E402
    from bot.config import load_config  # noqa: E402

    tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}_run_"))
    schema = admin = None
    if url is None:
        url = f"sqlite:///{tmp / 'bench.db'}"
    elif url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        schema = f"{prefix}_{os.getpid()}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = _pg_schema_url(url, schema)
    cfg_path = tmp / "config.toml"
    cfg_path.write_text(
        f'[database]\nurl = "{url}"\n[general]\nwatchlists = "{repo / "seeds" / "watchlists.toml"}"\n'
        f'{extra}\n[[subscriptions]]\nchat = "console:bench"\ntopics = ["dprk-russia", "kursk"]\n',
        encoding="utf-8",
    )
    app = None
    try:
        app = App(load_config(cfg_path, env={}))
        app.bootstrap()
        yield app
    finally:
        if app is not None:
            app.close()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(repo: Path, folder: Path, url: str | None, stages: bool, workers: int = 1, extra: str = "") -> dict:
    with bench_app(repo, url, "bench_ingest", extra) as app:
        # Modules the first ingest imports (and their regexes compiled) load before the clock
        # starts, in every build alike: the figure is the cost per article, not of one start-up.
        import importlib

        for name in ("bot.pipeline", "bot.sources.files", "bot.text.eventdates", "bot.text.summarize", "bot.search"):
            importlib.import_module(name)
        timer = _Timer()
        if stages:
            _install(timer)
        stats = None
        kwargs: dict = {}
        if workers > 1:
            from bot.sources.analysis_pool import PoolStats

            stats = PoolStats()
            kwargs = {"workers": workers, "stats": stats}
        # The collector set as `raqib ingest` sets it (``App.tuned_collector``), in a build that does.
        tuned = getattr(app, "tuned_collector", contextlib.nullcontext)
        with tuned():
            load0 = os.getloadavg()[0]
            cpu0, children0, wall0 = time.process_time(), _children_cpu(), time.perf_counter()
            report = app.ingest_paths([folder], **kwargs)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        children = _children_cpu() - children0  # the workers, reaped when the pool closed
        load1 = os.getloadavg()[0]
    n = len(report.outcomes)
    rows = [(o.status, o.url, o.story_id, o.topics, o.queued, o.detail) for o in report.outcomes]
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
    return {
        "n": n, "cpu": cpu, "wall": wall, "children": children,
        "worker_chunks": stats.worker_cpu if stats is not None else 0.0,
        "fallback_chunks": stats.fallback_chunks if stats is not None else 0,
        "timeline": _timeline(stats, wall0, wall) if stats is not None else None,
        "load": [load0, load1], "digest": digest, "rows": rows,
        "outcomes": dict(Counter(o.status for o in report.outcomes)),
        "stages": dict(timer.cpu),
    }


def _timeline(stats, wall0: float, wall: float) -> dict:
    """Where the pool's processes spent the run: the workers' idle time (no chunk to work on) and
    the writer's waits for a chunk, in all and per tenth of the run, from their busy intervals (a
    build without them reports what it has)."""
    out = {"writer_wait": stats.writer_wait, "processes": getattr(stats, "processes", 0),
           "writer_chunks": getattr(stats, "writer_chunks", 0), "writer_cpu": getattr(stats, "writer_cpu", 0.0),
           "chunks": stats.chunks}
    busy = getattr(stats, "busy", None)
    if not busy:
        return out
    own = os.getpid()
    start, end = stats.forked, stats.closed
    began = time.monotonic() - (time.perf_counter() - wall0)  # the run's start on the pool's clock
    out["pool_wall"] = end - start
    out["worker_idle"] = stats.worker_idle()
    out["startup"] = [stats.opened - began, stats.forked - stats.opened]
    tenths = []
    span = (end - start) / 10 or 1e-9
    for k in range(10):
        a, b = start + k * span, start + (k + 1) * span

        def overlap(items, pid_is_writer: bool) -> float:
            return sum(max(0.0, min(i.ended, b) - max(i.began, a)) for i in items if (i.pid == own) == pid_is_writer)

        worker_busy = overlap(busy, False) / (span * max(stats.processes, 1))
        tenths.append([round(worker_busy, 2), round(overlap(stats.waits, True) / span, 2),
                       round(overlap(busy, True) / span, 2)])
    out["tenths"] = tenths
    return out


def _child(repo: Path, folder: Path, url: str | None, stages: bool, workers: int = 1, extra: bool = False) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_run", str(repo), "--_folder", str(folder)]
    if url:
        cmd += ["--database-url", url]
    if not stages:
        cmd += ["--_no-stages"]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    if extra:
        cmd += ["--no-same-event"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=repo)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _extract(ref: str, into: Path) -> Path:
    """The tree of ``ref`` in a folder of its own (git archive: reads the repository, changes nothing)."""
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _ms(x: float, n: int) -> str:
    return f"{x / max(n, 1) * 1000:6.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="ingest only the first N articles")
    ap.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder per run")
    ap.add_argument("--baseline", metavar="REF", help="also run this commit (e.g. c518992) on the same articles")
    ap.add_argument("--repeat", type=int, default=1, help="runs per build; the median CPU is printed")
    ap.add_argument("--workers", type=int, default=1,
                    help="also run N workers (raqib ingest --workers N) beside one, and print the speedup")
    ap.add_argument("--no-same-event", action="store_true",
                    help="[events] same_event = false in the runs' config (the writer's event matching off)")
    ap.add_argument("--_run", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_folder", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_no-stages", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._run is not None:
        extra = "[events]\nsame_event = false\n" if args.no_same_event else ""
        print(json.dumps(run_once(args._run, args._folder, args.database_url, not args._no_stages, args.workers, extra)))
        return
    if args.workers > 1:
        _compare_workers(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        folder = tmp_path / "articles"
        folder.mkdir()
        n = write_articles(folder, args.limit)
        builds = [("this tree", REPO)]
        if args.baseline:
            builds.insert(0, (f"baseline {args.baseline}", _extract(args.baseline, tmp_path / "baseline")))
        results: dict[str, list[dict]] = {}
        for _ in range(args.repeat):  # interleaved, so a busy spell of the machine hits both builds
            for label, repo in builds:
                # --no-same-event: this tree's switch (an older build has none, and refuses the key).
                results.setdefault(label, []).append(
                    _child(repo, folder, args.database_url, True, 1, args.no_same_event and repo == REPO))
    print(f"articles: {n} files; database: {(args.database_url or 'sqlite').split(':')[0]}; "
          f"runs per build: {args.repeat} (median CPU shown)")
    for label, runs in results.items():
        run = sorted(runs, key=lambda r: r["cpu"])[len(runs) // 2]
        k = run["n"]
        spread = (f" (runs: {', '.join(_ms(r['cpu'], r['n']).strip() for r in runs)})" if len(runs) > 1 else "")
        print(f"\n{label}: {k} ingested, outcomes {run['outcomes']}")
        print(f"  CPU {_ms(run['cpu'], k).strip()} ms/article{spread}; wall {run['wall']:.1f} s "
              f"= {k / run['wall']:.0f} articles/s")
        total = 0.0
        for stage in dict.fromkeys(label for label, _, _ in STAGES):
            if stage in run["stages"]:
                total += run["stages"][stage]
                print(f"    {stage:<24} {_ms(run['stages'][stage], k)} ms")
        print(f"    {'database and the rest':<24} {_ms(run['cpu'] - total, k)} ms")
    if len(results) == 2:
        base, new = (statistics.median(r["cpu"] / r["n"] for r in runs) for runs in results.values())
        print(f"\nCPU per article: {new * 1000:.2f} ms vs baseline {base * 1000:.2f} ms ({base / new:.2f}x less)")


def _compare_workers(args: argparse.Namespace) -> None:
    """One worker beside N, the same articles, fresh processes and databases, interleaved."""
    load_before = os.getloadavg()
    settings = [1, args.workers]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "articles"
        folder.mkdir()
        n = write_articles(folder, args.limit)
        results: dict[int, list[dict]] = {w: [] for w in settings}
        base: list[dict] = []
        repo_base = _extract(args.baseline, Path(tmp) / "baseline") if args.baseline else None
        for _ in range(args.repeat):
            for w in settings:
                results[w].append(_child(REPO, folder, args.database_url, False, w, args.no_same_event))
            if repo_base is not None:  # the same N workers in the baseline build, interleaved
                base.append(_child(repo_base, folder, args.database_url, False, args.workers, False))
    load_after = os.getloadavg()
    print(f"articles: {n} files; database: {(args.database_url or 'sqlite').split(':')[0]}; "
          f"runs per setting: {args.repeat} (median wall shown); cores: {os.cpu_count()}"
          + ("; [events] same_event = false" if args.no_same_event else ""))
    print(f"load average (1, 5, 15 min): before {', '.join(f'{x:.2f}' for x in load_before)}; "
          f"after {', '.join(f'{x:.2f}' for x in load_after)}")
    chosen: dict[int, dict] = {}
    for w in settings:
        runs = results[w]
        run = chosen[w] = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
        k = run["n"]
        total = run["cpu"] + run["children"]
        rates = ", ".join(f"{r['n'] / r['wall']:.0f}" for r in runs)
        spread = f" (runs: {rates}/s)" if len(runs) > 1 else ""
        print(f"\n{w} worker{'s' if w > 1 else ''}: {k} ingested, outcomes {run['outcomes']}")
        print(f"  wall {run['wall']:.1f} s = {k / run['wall']:.1f} articles/s{spread}; "
              f"load during run {run['load'][0]:.2f} -> {run['load'][1]:.2f}")
        print(f"  CPU {_ms(total, k).strip()} ms/article, all processes: writer {_ms(run['cpu'], k).strip()}"
              + (f" + workers {_ms(run['children'], k).strip()} (in their chunks {_ms(run['worker_chunks'], k).strip()}, "
                 f"the rest start-up and shutdown)" if w > 1 else "")
              + (f"; {run['fallback_chunks']} chunks read in the writer after a worker failed" if run["fallback_chunks"] else ""))
        t = run.get("timeline")
        if t:
            print(f"  pool: {t['processes']} worker process(es); {t['chunks']} chunks, {t['writer_chunks']} analyzed "
                  f"by the writer ({t['writer_cpu']:.1f} s CPU); writer waited {t['writer_wait']:.2f} s"
                  + (f"; workers idle {t['worker_idle']:.2f} s of {t['processes']} x {t['pool_wall']:.1f} s "
                     f"after a start-up of {t['startup'][0]:.2f} s + {t['startup'][1]:.2f} s (the pool's warm-up "
                     f"and fork)" if "worker_idle" in t else ""))
            if "tenths" in t:
                print("  per tenth of the pool's life: workers busy / writer waiting / writer analyzing: "
                      + "  ".join(f"{a:.0%}/{b:.0%}/{c:.0%}" for a, b, c in t["tenths"]))
    if base:
        run = sorted(base, key=lambda r: r["wall"])[len(base) // 2]
        k = run["n"]
        rates = ", ".join(f"{r['n'] / r['wall']:.0f}" for r in base)
        print(f"\nbaseline {args.baseline}, {args.workers} workers: wall {run['wall']:.1f} s = {k / run['wall']:.1f} "
              f"articles/s (runs: {rates}/s); "
              f"CPU {_ms(run['cpu'] + run['children'], k).strip()} ms/article: writer {_ms(run['cpu'], k).strip()} "
              f"+ workers {_ms(run['children'], k).strip()}; writer waited {run['timeline']['writer_wait']:.2f} s; "
              f"outcomes {'the same' if run['digest'] == chosen[1]['digest'] else 'DIFFER'}")
        one_wall = chosen[1]["wall"] / chosen[1]["n"]
        print(f"  speedup over this tree's 1 worker: {one_wall / (run['wall'] / k):.2f}x; "
              f"this tree's {args.workers} workers over the baseline's: "
              f"{(run['wall'] / k) / (chosen[args.workers]['wall'] / chosen[args.workers]['n']):.2f}x")
    one, many = chosen[1], chosen[args.workers]
    speedup = (many["n"] / many["wall"]) / (one["n"] / one["wall"])
    print(f"\nspeedup of {args.workers} workers over 1 (wall articles/s, medians, same run): {speedup:.2f}x "
          f"(bar: >= 1.70x: {'met' if speedup >= 1.7 else 'NOT met'})")
    if args.repeat > 1:  # other processes only ever add wall time: the fastest run is the least disturbed
        best = min(r["wall"] for r in results[1]) / min(r["wall"] for r in results[args.workers])
        print(f"speedup, fastest run of each: {best:.2f}x (bar: >= 1.70x: {'met' if best >= 1.7 else 'NOT met'})")
    # What the CPU allows: the writer and each worker are one process; all share the cores.
    k = many["n"]
    writer, workers_cpu = many["cpu"] / k, many["children"] / k
    t = many.get("timeline") or {}
    processes = t.get("processes") or args.workers
    # The chunks the writer analyzed could have been any process's: only its storing is its own.
    stolen = t.get("writer_cpu", 0.0) / k
    floor = max(writer - stolen, (workers_cpu + stolen) / processes if not stolen else 0.0,
                (writer + workers_cpu) / (os.cpu_count() or 1))
    one_cpu = (one["cpu"] + one["children"]) / one["n"]
    print(f"speedup the CPU split allows on {os.cpu_count()} idle cores: {one_cpu / floor:.2f}x "
          f"(1 worker {one_cpu * 1000:.2f} ms/article; {args.workers} workers: writer {writer * 1000:.2f}, "
          f"workers {workers_cpu * 1000:.2f} ms/article)")
    same = {r["digest"] for w in settings for r in results[w]}
    print(f"outcomes identical in every run: {'yes' if len(same) == 1 else 'NO'}")
    first = results[1][0]
    for w in settings:  # what differs, beside the first run with one worker
        for k, run in enumerate(results[w]):
            differ = [(a, b) for a, b in zip(first["rows"], run["rows"]) if a != b]
            if differ:
                print(f"  {w} worker(s), run {k + 1}: {len(differ)} outcomes differ from 1 worker, run 1; the first:")
                for a, b in differ[:3]:
                    print(f"    {a}\n    {b}")


if __name__ == "__main__":
    main()
