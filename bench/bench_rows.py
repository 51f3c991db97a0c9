"""Row counts of every table after ingesting SaudiNewsNet through `App.ingest_paths`, for this tree
and (``--baseline REF``) another commit on the same articles: a change to the writer must store
the same rows (articles, stories, bands, search tables, outbox, same-event keys) and outcomes.

    .venv/bin/python bench/bench_rows.py [--limit N] [--baseline REF] [--database-url URL]

Each build runs in a fresh process with a fresh database (SQLite file; on PostgreSQL a schema of
its own, dropped afterwards), like bench/bench_ingest.py, whose helpers it uses.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_ingest  # noqa: E402

REPO = bench_ingest.REPO


def run_once(repo: Path, folder: Path, url: str | None) -> dict:
    from sqlalchemy import inspect, text

    with bench_ingest.bench_app(repo, url, "bench_rows") as app:
        report = app.ingest_paths([folder])
        with app.engine.connect() as conn:
            counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                      for t in sorted(inspect(conn).get_table_names()) if t != "alembic_version"}
    return {"outcomes": dict(Counter(o.status for o in report.outcomes)), "rows": counts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=3000)
    ap.add_argument("--database-url")
    ap.add_argument("--baseline", metavar="REF")
    ap.add_argument("--_run", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_folder", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._run:
        print(json.dumps(run_once(args._run, args._folder, args.database_url)))
        return
    work = Path(tempfile.mkdtemp(prefix="bench_rows_work_"))
    try:
        folder = work / "articles"
        folder.mkdir()
        n = bench_ingest.write_articles(folder, args.limit)
        builds = [("this tree", REPO)]
        if args.baseline:
            builds.insert(0, (f"baseline {args.baseline}", bench_ingest._extract(args.baseline, work / "baseline")))
        results = {}
        for label, repo in builds:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--_run", str(repo), "--_folder", str(folder)]
            if args.database_url:
                cmd += ["--database-url", args.database_url]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=repo)
            results[label] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{label}: {n} articles, outcomes {results[label]['outcomes']}")
        tables = sorted({t for r in results.values() for t in r["rows"]})
        print(f"{'table':<22}" + "".join(f"{label:>22}" for label in results))
        for t in tables:
            print(f"{t:<22}" + "".join(f"{r['rows'].get(t, '-'):>22}" for r in results.values()))
        if len(results) == 2:
            a, b = results.values()
            same = a == b
            print("identical outcomes and row counts" if same else "DIFFERENT outcomes or row counts")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
