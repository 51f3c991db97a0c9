"""Feed polling: 2,000 local feeds polled by one process, with and without conditional GET + body hash.

A feed server runs in a child process (so its CPU is not counted) on 127.0.0.1 with 2,000 feeds of
real Arabic news (SaudiNewsNet, read from ../shared/data at start):

    20% get new items between rounds (200), 40% unchanged with an ETag (304 when asked),
    20% unchanged without validators (same bytes again), 10% answer 500, 10% are slow (0.5 s, ETag).

Each mode polls every feed once to warm up (first fetch: items stored without alerts), the server
then moves to the next round, and the second poll is measured: feeds/s (wall clock) and CPU seconds
per feed (this process only). The baseline is the same poller with conditional GET and the body
hash turned off, so every unchanged feed is downloaded, parsed and run through dedup again.

    python bench/bench_feeds.py                  # 2,000 feeds
    python bench/bench_feeds.py --feeds 400      # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KINDS = [("new", 20), ("etag", 40), ("plain", 20), ("error", 10), ("slow", 10)]
ITEMS_PER_FEED = 10


def kind_of(i: int) -> str:
    slot, acc = i % 100, 0
    for kind, share in KINDS:
        acc += share
        if slot < acc:
            return kind
    return KINDS[-1][0]


# --- the server process --------------------------------------------------------------------


def serve(n: int, port_file: str) -> None:
    from tests.fake_feeds import FakeFeeds, rss, saudi_items

    # Feeds share a pool of old items (as outlets republish wires); each "new" feed gets one item
    # per round that no feed served before.
    pool = saudi_items(800, day="2015-08-04", min_words=30)
    fresh = saudi_items(3000, day="2015-08-06", min_words=30)
    state = {"round": 0}
    feeds = FakeFeeds()

    def body(i: int, rnd: int) -> bytes:
        start = (i * 7) % (len(pool) - ITEMS_PER_FEED)
        items = pool[start:start + ITEMS_PER_FEED]
        if kind_of(i) == "new" and rnd:
            items = [fresh[(i + 997 * (rnd - 1)) % len(fresh)], *items[:-1]]
        return rss(items, title=f"feed {i}")

    def configure(rnd: int) -> None:
        for i in range(n):
            kind = kind_of(i)
            path = f"/feed/{i}"
            if kind == "error":
                feeds.add(path, status=500, body=b"oops")
            elif kind == "plain" or kind == "new":
                feeds.add(path, body=body(i, rnd))
            else:
                feeds.add(path, body=body(i, rnd), etag=f'"{i}-{rnd if kind == "new" else 0}"',
                          delay=0.5 if kind == "slow" else 0.0)

    configure(0)
    original = feeds._server.RequestHandlerClass

    class Control(original):  # type: ignore[misc, valid-type]
        def do_GET(self) -> None:  # noqa: N802
            if self.path.startswith("/__round/"):
                state["round"] = int(self.path.rsplit("/", 1)[1])
                configure(state["round"])
                return self._send(200, b"ok", {"Content-Type": "text/plain"})
            return original.do_GET(self)

    feeds._server.RequestHandlerClass = Control
    with feeds:
        Path(port_file).write_text(feeds.base)
        import threading

        threading.Event().wait()


# --- the polling side ----------------------------------------------------------------------


def make_app(tmp: Path, base: str, n: int):
    from bot.app import App
    from bot.config import load_config
    from storage import feeds as feed_store
    from storage.db import transaction
    from tests.conftest import write_config

    cfg_path = write_config(tmp, f"sqlite:///{tmp / 'raqib.db'}", extra='[feeds]\nallow_hosts = ["127.0.0.1"]\n')
    config = load_config(cfg_path, env={})
    # Every feed is on one local host here; in life they are on many, so per-host is not the limit.
    config = replace(config, feeds=replace(config.feeds, concurrency=50, per_host=50, read_timeout_s=10))
    app = App(config)
    app.bootstrap()
    now = app.clock()
    with transaction(app.factory) as s:
        for i in range(n):
            feed_store.upsert_feed(s, f"feed-{i}", f"{base}/feed/{i}", 900, now, first_check_at=now)
    return app


async def poll_all(app, conditional: bool):
    poller = app.feed_poller(conditional=conditional)
    try:
        return await poller.poll_keys(None)
    finally:
        await poller.aclose()


def run_mode(base: str, n: int, conditional: bool) -> dict:
    import httpx

    with tempfile.TemporaryDirectory() as d:
        app = make_app(Path(d), base, n)
        try:
            httpx.get(f"{base}/__round/0", timeout=120)  # both modes see the same two rounds
            asyncio.run(poll_all(app, conditional))  # warm-up: first fetch, validators stored
            httpx.get(f"{base}/__round/1", timeout=120)  # the next round: new items, same validators
            cpu0, t0 = time.process_time(), time.perf_counter()
            reports = asyncio.run(poll_all(app, conditional))
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        finally:
            app.close()
    return {
        "wall": wall, "cpu": cpu, "n": len(reports),
        "parsed": sum(r.parsed for r in reports), "errors": sum(1 for r in reports if r.error),
        "not_modified": sum(1 for r in reports if r.status == "304 not modified"),
        "unchanged": sum(1 for r in reports if r.status.startswith("200 unchanged")),
        "new": sum(r.count("new") for r in reports),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.feeds, args.serve)
        return 0
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as d:
        port_file = Path(d) / "port"
        child = subprocess.Popen([sys.executable, __file__, "--feeds", str(args.feeds), "--serve", str(port_file)],
                                 cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.monotonic() + 120
            while not port_file.exists() or not port_file.read_text():
                if child.poll() is not None or time.monotonic() > deadline:
                    print("feed server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.1)
            base = port_file.read_text()
            mix = ", ".join(f"{share}% {kind}" for kind, share in KINDS)
            print(f"{args.feeds} feeds on {base} ({mix}), {ITEMS_PER_FEED} real Arabic items each; second poll measured")
            rows = [("conditional GET + body hash", run_mode(base, args.feeds, True)),
                    ("baseline: no validators, no hash", run_mode(base, args.feeds, False))]
        finally:
            child.terminate()
            child.wait(10)
    print(f"{'mode':34} {'feeds/s':>8} {'CPU s/feed':>11} {'wall s':>7} {'parsed':>7} {'304':>5} {'same':>5} "
          f"{'errors':>6} {'new items':>9}")
    for label, r in rows:
        print(f"{label:34} {r['n'] / r['wall']:8.1f} {r['cpu'] / r['n']:11.5f} {r['wall']:7.2f} {r['parsed']:7d} "
              f"{r['not_modified']:5d} {r['unchanged']:5d} {r['errors']:6d} {r['new']:9d}")
    (c_label, c), (b_label, b) = rows
    print(f"conditional polling: {(b['cpu'] / b['n']) / max(c['cpu'] / c['n'], 1e-9):.1f}x less CPU per feed, "
          f"{(c['n'] / c['wall']) / (b['n'] / b['wall']):.2f}x the feeds/s of the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
