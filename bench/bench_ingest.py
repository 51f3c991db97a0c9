"""Whole-pipeline ingest rate over SaudiNewsNet (~8k real articles): read, clean, dedup, match,
summarize, store and queue, through `App.ingest_paths`, the code path `raqib ingest` uses.

    .venv/bin/python bench/bench_ingest.py [--limit N] [--database-url URL]

The articles are written once as .txt files to a temporary folder (never into the project).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "saudinewsnet"

from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="ingest only the first N articles")
    ap.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        folder = tmp_path / "articles"
        folder.mkdir()
        n = write_articles(folder, args.limit)
        url = args.database_url or f"sqlite:///{tmp_path / 'bench.db'}"
        cfg_path = tmp_path / "config.toml"
        cfg_path.write_text(
            f'[database]\nurl = "{url}"\n[general]\nwatchlists = "{REPO / "seeds" / "watchlists.toml"}"\n'
            '[[subscriptions]]\nchat = "console:bench"\ntopics = ["dprk-russia", "kursk"]\n',
            encoding="utf-8",
        )
        app = App(load_config(cfg_path, env={}))
        app.bootstrap()
        start = time.perf_counter()
        report = app.ingest_paths([folder])
        elapsed = time.perf_counter() - start
        app.close()
    statuses = Counter(o.status for o in report.outcomes)
    print(f"articles: {n} files, {len(report.outcomes)} ingested ({n - len(report.outcomes)} skipped)")
    print(f"outcomes: {dict(statuses)}")
    print(f"database: {url.split(':')[0]}")
    print(f"time: {elapsed:.1f} s  →  {len(report.outcomes) / elapsed:.0f} articles/s "
          f"({elapsed / max(1, len(report.outcomes)) * 1000:.2f} ms/article)")


if __name__ == "__main__":
    main()
