"""An aged copy of a bench_scale store, in minutes instead of hours (issue 13: where does per-article
ingest cost grow with the archive?).

    .venv/bin/python bench/age_store.py --store var/bench_scale/base --into var/bench_scale/aged --copies 9

The copy holds the store plus ``--copies`` replicas of its rows (articles, stories, bands, same-event
keys and profiles, joins, search rows), each dated one store span earlier, with new ids, URLs and
hashes: every B-tree is (copies + 1) times larger, while the recent windows hold the store's own
rows (and, within the copy window, the newest replica's). Its ``meta.json`` is the store's, so
bench_scale's probe (or any script reading the meta) ingests exactly the same next articles into
both: what differs between the two probes is the size of the archive behind the windows. It is
not a pipeline-built store (the vocabulary does not grow, texts repeat): a diagnostic, beside the
real ``bench_scale.py`` stores, not instead of them.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import shutil
import sqlite3
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.search import index_keys  # noqa: E402

OFFSET = 10_000_000  # ids of replica k: the original's + k * OFFSET
_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


@functools.lru_cache(maxsize=None)
def _earlier(stamp: str | None, days: int) -> str | None:
    """A stored time ``days`` earlier, in the text form it was stored in."""
    if stamp is None:
        return None
    for fmt in _FORMATS:
        try:
            return (datetime.strptime(stamp, fmt) - timedelta(days=days)).strftime(fmt)
        except ValueError:
            continue
    raise ValueError(f"not a stored time: {stamp!r}")


def _sha(value: str | None) -> str | None:
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


def age(store: Path, into: Path, copies: int) -> int:
    """Write the aged copy of ``store`` (a bench_scale store folder) into ``into``; its article count."""
    with sqlite3.connect(store / "store.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    into.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(store / "store.db", into / "store.db")
    shutil.copyfile(store / "meta.json", into / "meta.json")
    c = sqlite3.connect(into / "store.db", isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA cache_size=-262144")
    c.create_function("earlier", 2, _earlier, deterministic=True)
    c.create_function("sha", 1, _sha, deterministic=True)
    lo, hi = c.execute("SELECT min(published_at), max(published_at) FROM articles").fetchone()
    span = (datetime.strptime(hi, _FORMATS[0]) - datetime.strptime(lo, _FORMATS[0])).days + 1
    # The search rows' text (the FTS table is contentless: made again from the articles).
    keys = {aid: index_keys(title, body) for aid, title, body in c.execute("SELECT id, title, body FROM articles")}
    c.execute("BEGIN")
    for k in range(1, copies + 1):
        d, o = k * span, k * OFFSET
        c.execute(f"INSERT INTO stories SELECT id+{o}, headline, summary, lead_article_id+{o}, article_count, "
                  f"earlier(published_at,{d}), event_date, earlier(first_seen,{d}), earlier(last_updated,{d}), kind, "
                  f"event_precision FROM stories WHERE id < {OFFSET}")
        c.execute(f"INSERT INTO articles SELECT id+{o}, source_id, story_id+{o}, url||'#old{k}', "
                  f"CASE WHEN guid IS NULL THEN NULL ELSE guid||'#old{k}' END, title, body, earlier(published_at,{d}), "
                  f"date_source, earlier(fetched_at,{d}), sha(body_hash||'{k}'), fingerprint, sha(url||'#old{k}'), "
                  f"CASE WHEN guid IS NULL THEN NULL ELSE sha(guid||'#old{k}') END, summary FROM articles WHERE id < {OFFSET}")
        c.execute(f"INSERT INTO article_bands SELECT band_key, earlier(seen_at,{d}), article_id+{o} FROM article_bands "
                  f"WHERE article_id < {OFFSET}")
        c.execute(f"INSERT INTO event_profiles SELECT article_id+{o}, earlier(published_at,{d}), profile FROM event_profiles "
                  f"WHERE article_id < {OFFSET}")
        c.execute(f'INSERT INTO event_keys ("key", published_at, article_id) SELECT "key", earlier(published_at,{d}), '
                  f"article_id+{o} FROM event_keys WHERE article_id < {OFFSET}")
        c.execute(f"INSERT INTO article_joins SELECT article_id+{o}, joined_article_id+{o}, relation, evidence "
                  f"FROM article_joins WHERE article_id < {OFFSET}")
        c.execute(f"INSERT INTO search_docs SELECT article_id+{o}, story_id+{o}, source_id, earlier(published_at,{d}) "
                  f"FROM search_docs WHERE article_id < {OFFSET}")
        c.executemany("INSERT INTO search_fts (rowid, text) VALUES (?, ?)", [(aid + o, t) for aid, t in keys.items()])
        print(f"  replica {k}/{copies}", file=sys.stderr, flush=True)
    c.execute("COMMIT")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    n = c.execute("SELECT count(*) FROM articles").fetchone()[0]
    c.close()
    return n


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store", type=Path, required=True, help="a bench_scale store folder (its store.db, meta.json)")
    p.add_argument("--into", type=Path, required=True, help="the aged copy's folder")
    p.add_argument("--copies", type=int, default=9, help="replicas of the store's rows, each one span earlier")
    args = p.parse_args()
    t0 = time.perf_counter()
    n = age(args.store, args.into, args.copies)
    print(f"{args.into}: {n:,} articles ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
