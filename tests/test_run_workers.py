"""Issue 13, workers that add up: three real `raqib run` processes over one PostgreSQL database.

Each configured file source is polled by whichever runner wins its row (storage.sources.claim_source),
feeds by whichever claims them (storage.feeds.claim_due), alerts by whichever claims the outbox row.
Real SaudiNewsNet reports land in the folders while the runners work (never copied into the repo: read
from ../shared/data at test time), and a local fake feed serves other real reports. The bar: every
article stored once, every alert printed once, no source polled again before it was due (a second
runner polling the same folder would), and every poll done by one of the runners. Which runner wins a
claim is a race, so how the polls spread is printed, not asserted: under load one runner can win
every claim (seen in CI: 21 of 21), which shares nothing but loses and repeats nothing either.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import REPO, wait_until

sys.path.insert(0, str(REPO / "bench"))

import chaos  # noqa: E402  (the corpus of real reports whose ground truth is known, the process helpers)

RUNNERS = 3
SOURCES = 3
REPORTS = 12
INTERVAL_S = 2  # each file source is due every 2 s: many polls in a short run
FEED_ITEMS = 6



def _config(path: Path, url: str, watchlists: Path, folders: list[Path], feed_url: str) -> Path:
    sources = "".join(
        f'[[sources]]\nname = "desk{i}"\npath = "{folder}"\ninterval = {INTERVAL_S}\n\n'
        for i, folder in enumerate(folders)
    )
    path.write_text(
        f'[database]\nurl = "{url}"\n\n'
        f'[general]\nwatchlists = "{watchlists}"\ntimezone = "Asia/Riyadh"\n\n'
        "[delivery]\ninterval = 1\nlease = 10\n\n"
        '[console]\nformat = "jsonl"\n\n'
        '[logging]\nformat = "json"\nlevel = "info"\n\n'
        '[feeds]\ntick = 1\ninterval = 2\nallow_hosts = ["127.0.0.1"]\n\n'
        f'[[feeds.sources]]\nname = "wire"\nurl = "{feed_url}"\n\n'
        f"{sources}"
        f'[[subscriptions]]\nchat = "console:desk"\ntopics = ["{chaos.TOPIC}"]\n',
        encoding="utf-8",
    )
    return path


class Runner:
    """One `raqib run` process: alerts (JSON lines) on stdout, JSON logs on stderr."""

    def __init__(self, index: int, config: Path, work: Path) -> None:
        self.out, self.err = work / f"run{index}.out", work / f"run{index}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "bot.cli.main", "run", "--config", str(config)], cwd=REPO, env=chaos._clean_env(),
                stdout=out, stderr=err, start_new_session=True, preexec_fn=chaos.die_with_parent,
            )

    def interrupt(self) -> int | None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGINT)
        try:
            return self.popen.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
            return None

    def alerts(self) -> list[dict]:
        return [json.loads(line) for line in self.out.read_text(encoding="utf-8").splitlines() if line.startswith("{")]

    def logs(self) -> list[dict]:
        out = []
        for line in self.err.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out


def _drop(folder: Path, name: str, body: str) -> None:
    """Write then rename: a poll never reads half a file."""
    part = folder / f".{name}.part"
    part.write_text(body, encoding="utf-8")
    part.rename(folder / name)


def test_three_runners_share_sources_feeds_and_outbox(pg_url, tmp_path):
    from tests.fake_feeds import FakeFeeds, rss, saudi_items

    from storage.db import make_engine, session_factory, transaction
    from storage.models import Article, Chat, Delivery, Source

    (tmp_path / "corpus").mkdir()
    corpus = chaos.Corpus(tmp_path / "corpus")
    reports = corpus.reports(REPORTS)
    folders = [tmp_path / f"in{i}" for i in range(SOURCES)]
    for folder in folders:
        folder.mkdir()
    items = saudi_items(FEED_ITEMS, day="2015-08-06")
    engine = make_engine(pg_url)
    factory = session_factory(engine)
    runners: list[Runner] = []
    with FakeFeeds() as feeds:
        feeds.add("/wire", body=rss(items[: FEED_ITEMS // 2]))
        config = _config(tmp_path / "config.toml", pg_url, corpus.watchlists, folders, feeds.url("/wire"))
        try:
            runners = [Runner(i, config, tmp_path) for i in range(RUNNERS)]

            def stored() -> int:
                try:
                    with transaction(factory) as s:
                        return s.scalar(select(func.count(Article.id))) or 0
                except Exception:  # noqa: BLE001 - the schema is not there before the first bootstrap
                    return 0

            assert wait_until(lambda: stored() >= FEED_ITEMS // 2, 90), "the runners never stored the feed"
            for i, report in enumerate(reports):  # reports arrive while the runners poll
                _drop(folders[i % SOURCES], report.name("orig"), report.text("orig"))
                if i == REPORTS // 2:
                    feeds.add("/wire", body=rss(items))  # the feed grows mid-run
                time.sleep(0.4)

            def settled() -> bool:
                with transaction(factory) as s:
                    waiting = s.scalar(select(func.count(Delivery.id)).where(Delivery.state != "sent")) or 0
                return stored() == REPORTS + FEED_ITEMS and waiting == 0

            assert wait_until(settled, 120), f"stored {stored()} of {REPORTS + FEED_ITEMS}"
            time.sleep(3 * INTERVAL_S)  # a few more rounds of polls over folders with nothing new
        finally:
            codes = [r.interrupt() for r in runners]
    try:
        with transaction(factory) as s:
            urls = list(s.scalars(select(Article.url)))
            titles = Counter(" ".join(t.split()) for t in s.scalars(select(Article.title)))
            rows = list(s.execute(select(Chat.address, Delivery.story_id, Delivery.state)
                                  .join(Chat, Chat.id == Delivery.chat_id)))
            file_stories = set(s.scalars(select(Article.story_id).join(Source, Source.id == Article.source_id)
                                         .where(Source.kind == "files")))
    finally:
        engine.dispose()

    errors = [f"{r.err.name}: {line[:200]}" for r in runners for line in r.err.read_text(errors="replace").splitlines()
              if "Traceback" in line]
    assert codes == [0] * RUNNERS and not errors, (codes, errors)

    # Every article stored once: each report and each feed item is one row.
    assert len(urls) == len(set(urls)) == REPORTS + FEED_ITEMS
    assert all(titles[" ".join(x.title.split())] == 1 for x in [*reports, *items]), titles

    # Every alert sent once: what the runners printed is the outbox, each row once, each report's story there.
    printed = [(a["chat"], a["story_id"], bool(a.get("update"))) for r in runners for a in r.alerts()]
    assert len(printed) == len(set(printed)) == len(rows), (printed, rows)
    assert all(state == "sent" for _, _, state in rows)
    assert file_stories <= {story for _, story, _ in printed} and len(file_stories) == REPORTS

    # Each poll of a source began only once it was due: after the last poll's start plus the interval
    # (three runners each polling on their own would start one about every INTERVAL_S / 3).
    polls: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for runner in runners:
        for entry in runner.logs():
            if entry.get("message", "").startswith("polling desk"):
                polls[entry["source_name"]].append((datetime.fromisoformat(entry["time"]), entry["worker_pid"]))
    assert set(polls) == {f"desk{i}" for i in range(SOURCES)}
    by_pid: Counter = Counter()
    for name, starts in polls.items():
        starts.sort()
        gaps = [(b[0] - a[0]).total_seconds() for a, b in zip(starts, starts[1:])]
        assert len(starts) >= 3 and min(gaps) >= INTERVAL_S - 0.01, (name, starts)
        by_pid.update(pid for _, pid in starts)
    pids = {r.popen.pid for r in runners}
    assert set(by_pid) <= pids, by_pid  # every poll by one of the runners (the spread is a race)
    print(f"\npolls per runner: {sorted(by_pid.values(), reverse=True)} of {sum(by_pid.values())}")
