"""Whole-pipeline ingest cost over SaudiNewsNet (~8k real articles): read, clean, dedup, match,
summarize, store and queue, through `App.ingest_paths`, the code path `raqib ingest` uses.

    .venv/bin/python bench/bench_ingest.py [--limit N] [--database-url URL] [--baseline REF] [--repeat K]

Prints CPU milliseconds per article (the bar of issue 13: <= 3.0 on one core), wall rate, and the
CPU of each text stage (exclusive: a stage called inside another is counted once, in itself);
"database and the rest" is everything else (SQL, SQLAlchemy, the pipeline's own bookkeeping).
``--baseline REF`` extracts that commit with ``git archive`` into a temporary folder and runs the
same articles through it in the same run, so both figures come from one machine state. Every run
is a fresh process with a fresh database (SQLite file; on PostgreSQL a schema of its own, dropped
afterwards). The articles are written once as .txt files to a temporary folder (never into the
project).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

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


def run_once(repo: Path, folder: Path, url: str | None, stages: bool) -> dict:
    sys.path.insert(0, str(repo))
    from bot.app import App  # noqa: E402
    from bot.config import load_config  # noqa: E402

    tmp = Path(tempfile.mkdtemp(prefix="bench_ingest_run_"))
    schema = None
    if url is None:
        url = f"sqlite:///{tmp / 'bench.db'}"
    elif url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        schema = f"bench_ingest_{os.getpid()}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = _pg_schema_url(url, schema)
    cfg_path = tmp / "config.toml"
    cfg_path.write_text(
        f'[database]\nurl = "{url}"\n[general]\nwatchlists = "{repo / "seeds" / "watchlists.toml"}"\n'
        '[[subscriptions]]\nchat = "console:bench"\ntopics = ["dprk-russia", "kursk"]\n',
        encoding="utf-8",
    )
    try:
        app = App(load_config(cfg_path, env={}))
        app.bootstrap()
        # Modules the first ingest imports (and their regexes compiled) load before the clock
        # starts, in every build alike: the figure is the cost per article, not of one start-up.
        import importlib

        for name in ("bot.pipeline", "bot.sources.files", "bot.text.eventdates", "bot.text.summarize", "bot.search"):
            importlib.import_module(name)
        timer = _Timer()
        if stages:
            _install(timer)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        report = app.ingest_paths([folder])
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        app.close()
    finally:
        if schema is not None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(report.outcomes)
    return {
        "n": n, "cpu": cpu, "wall": wall,
        "outcomes": dict(Counter(o.status for o in report.outcomes)),
        "stages": dict(timer.cpu),
    }


def _child(repo: Path, folder: Path, url: str | None, stages: bool) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_run", str(repo), "--_folder", str(folder)]
    if url:
        cmd += ["--database-url", url]
    if not stages:
        cmd += ["--_no-stages"]
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
    ap.add_argument("--_run", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_folder", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_no-stages", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._run is not None:
        print(json.dumps(run_once(args._run, args._folder, args.database_url, not args._no_stages)))
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
                results.setdefault(label, []).append(_child(repo, folder, args.database_url, True))
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


if __name__ == "__main__":
    main()
