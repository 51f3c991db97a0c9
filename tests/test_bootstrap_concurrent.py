"""Workers started together on an empty database: every one comes up, the seeds land once.

Issue 9, defect 3: several `raqib` processes started at the same moment on an empty PostgreSQL
database crashed with UniqueViolation (the watchlists' slug while seeding, ``pg_type`` while two
migrations created the same tables). Each round here starts four real processes behind a start
barrier (forked from one launcher, released together when it closes a pipe) on a fresh database, and
repeats on new databases so the race is likely.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, func, select, text

from storage import chats as chat_store
from storage.db import make_engine, session_factory, transaction
from storage.discord_webhooks import DiscordWebhook
from storage.models import Chat, Source, Subscription, Watchlist, WatchlistEdit
from tests.conftest import POSTGRES_URL, REPO, SEEDS, _pg_schema_url, write_config

ROUNDS = {"sqlite": 2, "postgresql": 3}  # SQLite's BEGIN IMMEDIATE leaves less to chance
WEBHOOK_URL = "https://discord.com/api/webhooks/123456789012345678/tok_en-ABCDEFGHIJ"
# One launcher imports the CLI once (most of a process's start-up cost), then for each round forks
# one process per command; each blocks on a pipe until the launcher closes it, which releases
# them at the same instant (the start barrier), then runs `raqib ARGS` and exits with its status.
LAUNCHER = r"""
import json, os, sys, traceback
from bot.cli.main import main
import bot.transports.console, bot.transports.discord, bot.transports.telegram  # shared by the forks

rounds = json.loads(sys.argv[1])
results = []
for commands in rounds:
    gate_r, gate_w = os.pipe()
    children = []
    for i, argv in enumerate(commands["argv"]):
        err = os.path.join(commands["folder"], f"stderr{i}")
        pid = os.fork()
        if pid == 0:
            os.close(gate_w)
            fd = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.read(gate_r, 1)  # returns once the launcher closes the pipe: all start together
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush(); sys.stderr.flush()
            os._exit(code)
        children.append((pid, err, argv))
    os.close(gate_r)
    os.close(gate_w)
    for pid, err, argv in children:
        _, status = os.waitpid(pid, 0)
        with open(err, encoding="utf-8", errors="replace") as f:
            results.append({"argv": argv, "code": os.waitstatus_to_exitcode(status), "stderr": f.read()})
print(json.dumps(results))
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_urls(request, tmp_path) -> Iterator[list[str]]:
    """A few empty databases of one kind: SQLite files, or private PostgreSQL schemas."""
    if request.param == "sqlite":
        yield [f"sqlite:///{tmp_path / f'round{i}' / 'raqib.db'}" for i in range(ROUNDS["sqlite"])]
        return
    if not POSTGRES_URL:
        pytest.skip("RAQIB_TEST_POSTGRES_URL not set (.ci/run sets it)")
    schemas = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(ROUNDS["postgresql"])]
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        for schema in schemas:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield [_pg_schema_url(schema) for schema in schemas]
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _config(folder: Path, url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    extra = (
        f'[[sources]]\nname = "seeds"\ntype = "files"\npath = "{SEEDS}"\ninterval = 300\n\n'
        '[[feeds.sources]]\nname = "example-news"\nurl = "https://news.example/rss.xml"\n'
        'topics = ["kursk"]\nadmin = "telegram:123456"\n'
    )
    subscriptions = (
        '[[subscriptions]]\nchat = "console:korea-desk"\ntopics = ["dprk-russia", "kursk"]\n\n'
        '[[subscriptions]]\nchat = "telegram:-100500"\ntopics = ["kursk"]\n\n'
        '[[subscriptions]]\nchat = "discord-webhook:env:RAQIB_TEST_WEBHOOK"\ntopics = ["dprk-russia"]\n'
    )
    return write_config(folder, url, extra=extra, subscriptions=subscriptions)


def _start_together(rounds: list[dict]) -> list[dict]:
    """Each round's commands as separate processes released together by the start barrier."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, json.dumps(rounds)], cwd=REPO, capture_output=True, text=True,
        env={**os.environ, "RAQIB_TEST_WEBHOOK": WEBHOOK_URL}, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def _counts(url: str) -> dict[str, Counter]:
    engine = make_engine(url)
    try:
        with transaction(session_factory(engine)) as s:
            return {
                "watchlists": Counter(s.scalars(select(Watchlist.slug))),
                "seed edits": Counter(s.scalars(
                    select(Watchlist.slug).join(WatchlistEdit, WatchlistEdit.watchlist_id == Watchlist.id)
                    .where(WatchlistEdit.actor == "seed")
                )),
                "sources": Counter(s.scalars(select(Source.name))),
                "chats": Counter(s.scalars(select(Chat.address))),
                "subscriptions": Counter(
                    f"{r.chat} {r.topic}" for r in chat_store.list_subscriptions(s)
                ),
                "webhooks": Counter(s.scalars(select(DiscordWebhook.webhook_id))),
                "subscription rows": Counter([s.scalar(select(func.count()).select_from(Subscription))]),
            }
    finally:
        engine.dispose()


def test_four_workers_started_together_on_an_empty_database_all_come_up(fresh_urls, tmp_path):
    empty = tmp_path / "inbox"
    empty.mkdir()
    rounds = []
    for n, url in enumerate(fresh_urls):
        folder = tmp_path / f"run{n}"
        cfg = str(_config(folder, url))
        rounds.append({"folder": str(folder), "argv": [
            ["db", "upgrade", "--config", cfg],
            ["ingest", str(empty), "--config", cfg],
            ["watchlists", "--config", cfg],
            ["ingest", str(empty), "--config", cfg],
        ]})
    results = _start_together(rounds)
    assert len(results) == 4 * len(fresh_urls)
    for r in results:
        assert r["code"] == 0, f"{r['argv'][:2]} exited {r['code']}:\n{r['stderr']}"
        assert "Traceback" not in r["stderr"], f"{r['argv'][:2]}:\n{r['stderr']}"
    for url in fresh_urls:
        counts = _counts(url)
        assert counts["watchlists"] == Counter({"dprk-russia": 1, "kursk": 1}), counts
        assert counts["seed edits"] == Counter({"dprk-russia": 1, "kursk": 1}), counts
        assert counts["sources"] == Counter({"seeds": 1, "example-news": 1, "files": 1}), counts
        assert counts["chats"] == Counter(
            {"console:korea-desk": 1, "telegram:-100500": 1, "discord-webhook:123456789012345678": 1}
        ), counts
        assert counts["subscriptions"] == Counter({
            "console:korea-desk dprk-russia": 1, "console:korea-desk kursk": 1,
            "telegram:-100500 kursk": 1, "discord-webhook:123456789012345678 dprk-russia": 1,
        }), counts
        assert counts["subscription rows"] == Counter([4]), counts
        assert counts["webhooks"] == Counter({"123456789012345678": 1}), counts


def test_a_seed_stored_by_another_worker_between_look_and_insert_is_left_alone(db_url, monkeypatch):
    """The race the four processes hit now and then on PostgreSQL: the slug is not there when a
    worker looks, another worker's commit lands, then this one stores it. It must not record a
    second creation (two "create" edits) or fail: the insert is the judge, and the second look
    finds the other worker's row."""
    from datetime import datetime, timezone

    from bot.topics import seed_watchlists
    from storage import watchlists as store
    from storage.db import upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    now = datetime(2025, 8, 13, 9, 0, tzinfo=timezone.utc)
    with transaction(factory) as s:  # the other worker, committed
        assert seed_watchlists(s, SEEDS / "watchlists.toml", now) == ["dprk-russia", "kursk"]
        stored = store.get_watchlist(s, "kursk").rules
    real, looks = store.known_slugs, []

    def stale_looks(session, scope=store.GLOBAL):  # the first two looks miss the other's commit
        looks.append(scope)
        return set() if len(looks) <= 2 else real(session, scope)

    monkeypatch.setattr(store, "known_slugs", stale_looks)
    with transaction(factory) as s:
        assert seed_watchlists(s, SEEDS / "watchlists.toml", now) == []
    with transaction(factory) as s:
        assert [e.action for e in store.edits(s, "dprk-russia")] == ["create"]
        assert [e.action for e in store.edits(s, "kursk")] == ["create"]
        assert store.get_watchlist(s, "kursk").rules == stored
    # dprk-russia's insert failed on the unique key, and the look after it found the row
    assert len(looks) == 4
    engine.dispose()


def test_an_upgrade_waits_for_the_migration_lock_for_as_long_as_it_is_held(db_url):
    """A worker that starts while another migrates waits for it, however long that takes (on
    SQLite not just the 30 s busy timeout), then finds the schema current."""
    import threading

    from storage.db import has_schema, migration_lock, upgrade
    from tests.conftest import wait_until

    holder, waiter = make_engine(db_url), make_engine(db_url)
    events: list[str] = []
    try:
        with migration_lock(holder):
            worker = threading.Thread(target=lambda: (upgrade(waiter), events.append("upgraded")))
            worker.start()
            # Time enough to migrate the empty database if nothing held it back (it must not).
            assert not wait_until(lambda: not worker.is_alive(), 3)
            events.append("released")
        worker.join(120)
        assert events == ["released", "upgraded"]
        assert has_schema(waiter)
    finally:
        holder.dispose()
        waiter.dispose()
