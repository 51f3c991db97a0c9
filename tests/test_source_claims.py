"""File sources shared by several processes: `raqib run --once` claims each source like the
scheduler's polls do (storage.sources.claim_source), and the claim's lease is [run] source_lease.

Real SaudiNewsNet reports from ../shared/data, written to the test's folders (never into the repo)."""

from __future__ import annotations

import json
import logging
import threading
import zipfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.config import ConfigError, load_config
from storage import sources
from storage.db import transaction
from storage.models import Article, Source
from tests.conftest import SHARED_DATA, Clock, write_config


def _reports(n: int) -> list[tuple[str, str]]:
    """``n`` real reports (title, text) of one day, distinct titles, long enough to be stored."""
    with zipfile.ZipFile(SHARED_DATA / "saudinewsnet" / "2015-08-04.zip") as zf:
        items = json.loads(zf.read(zf.namelist()[0]))
    out, seen = [], set()
    for item in items:
        title, content = item["title"].strip(), item["content"].strip()
        if title in seen or len(content) < 400:
            continue
        seen.add(title)
        out.append((title, content))
        if len(out) == n:
            return out
    raise AssertionError("not enough reports")


def _folders(tmp_path: Path, count: int, per_folder: int) -> list[Path]:
    reports = iter(_reports(count * per_folder))
    folders = []
    for i in range(count):
        folder = tmp_path / f"desk{i}"
        folder.mkdir()
        for j in range(per_folder):
            title, content = next(reports)
            (folder / f"{j:03d}.txt").write_text(f"{title}\n{content}\n", encoding="utf-8")
        folders.append(folder)
    return folders


def _config(tmp_path: Path, url: str, folders: list[Path], run: str = "") -> Path:
    extra = run + "".join(
        f'[[sources]]\nname = "{f.name}"\npath = "{f}"\ninterval = 300\n\n' for f in folders
    )
    return write_config(tmp_path, url, extra=extra)


# --- [run] source_lease ------------------------------------------------------------------------


def test_source_lease_is_a_validated_config_key(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert load_config(_config(tmp_path, url, []), env={}).source_lease_s == 60
    assert load_config(_config(tmp_path, url, [], "[run]\nsource_lease = 7.5\n\n"), env={}).source_lease_s == 7.5
    assert load_config(_config(tmp_path, url, []), env={"RAQIB_RUN_SOURCE_LEASE": "90"}).source_lease_s == 90
    for bad in ("0", "-5", '"soon"'):
        with pytest.raises(ConfigError, match="run.source_lease"):
            load_config(_config(tmp_path, url, [], f"[run]\nsource_lease = {bad}\n\n"), env={})
    with pytest.raises(ConfigError, match="source_lease"):  # a typo is named, not ignored
        load_config(_config(tmp_path, url, [], "[run]\nsource_leas = 5\n\n"), env={})


def test_the_configured_lease_is_what_both_paths_claim_for(tmp_path, db_url):
    from bot.scheduler import Runner

    clock = Clock()
    folders = _folders(tmp_path, 1, 1)
    app = App(load_config(_config(tmp_path, db_url, folders, "[run]\nsource_lease = 7.5\n\n"), env={}), clock=clock)
    try:
        app.bootstrap()
        assert Runner(app, {}).source_lease == timedelta(seconds=7.5)
        held: list = []
        real = app.poll_source

        def poll(name: str):
            with transaction(app.factory) as s:
                held.append(s.scalar(select(Source.claimed_until).where(Source.name == name)))
            return real(name)

        app.poll_source = poll  # type: ignore[method-assign]
        list(app.poll_all())
        assert held == [clock() + timedelta(seconds=7.5)]
        with transaction(app.factory) as s:  # the poll recorded itself: nobody holds the source now
            assert s.scalar(select(Source.claimed_until).where(Source.name == "desk0")) is None
    finally:
        app.close()


# --- `raqib run --once` claims each source ------------------------------------------------------


def test_once_skips_a_source_another_process_holds_and_says_so(tmp_path, db_url, caplog):
    clock = Clock()
    folders = _folders(tmp_path, 2, 1)
    app = App(load_config(_config(tmp_path, db_url, folders), env={}), clock=clock)
    try:
        app.bootstrap()
        lease = timedelta(seconds=app.config.source_lease_s)
        with transaction(app.factory) as s:  # another runner won desk0 and is polling it
            assert sources.claim_source(s, "desk0", clock(), lease).won
        with caplog.at_level(logging.WARNING, logger="bot.app"):
            polled = [r.source for r in app.poll_all()]
        assert polled == ["desk1"]
        until = (clock() + lease).isoformat(timespec="seconds")
        assert f"desk0: another process is polling it (claimed until {until}); skipped" in caplog.text

        # --once polls what is not due (it did before claims): desk1 again, its one report a duplicate
        again = {r.source: r for r in app.poll_all()}
        assert list(again) == ["desk1"] and again["desk1"].count("duplicate") == 1
        # The holder died mid-poll: once its lease ran out, --once takes desk0.
        clock.advance(lease.total_seconds())
        assert [r.source for r in app.poll_all()] == ["desk0", "desk1"]
    finally:
        app.close()



def test_two_parallel_once_runs_poll_each_source_once_and_store_each_article_once(tmp_path, pg_url, monkeypatch):
    """Two `--once` (two Apps, two threads) over the same folders at the same time. Each poll waits
    until the other run has tried to claim the same source, so the runs do overlap every time (the
    test does not hope for a race): both polling one folder would be seen, not merely possible."""
    folders = _folders(tmp_path, 3, 3)
    config = _config(tmp_path, pg_url, folders)
    apps = [App(load_config(config, env={})) for _ in range(2)]
    apps[0].bootstrap()
    attempts: Counter[str] = Counter()
    tried = threading.Condition()
    real_claim = sources.claim_source

    def claim(session, name, *args, **kw):
        try:
            return real_claim(session, name, *args, **kw)
        finally:
            with tried:
                attempts[name] += 1
                tried.notify_all()

    monkeypatch.setattr(sources, "claim_source", claim)
    polls: list[tuple[int, str]] = []
    for i, app in enumerate(apps):
        real_poll = app.poll_source

        def poll(name: str, i=i, real_poll=real_poll):
            polls.append((i, name))
            with tried:  # hold the claim until the other run has looked at this source
                assert tried.wait_for(lambda: attempts[name] >= 2, 60)
            return real_poll(name)

        app.poll_source = poll  # type: ignore[method-assign]

    reports: list[list] = [[], []]
    errors: list[BaseException] = []

    def once(i: int) -> None:
        try:
            reports[i] = list(apps[i].poll_all())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    try:
        threads = [threading.Thread(target=once, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        assert sorted(name for _, name in polls) == ["desk0", "desk1", "desk2"]  # each source once
        assert sorted(r.source for rs in reports for r in rs) == ["desk0", "desk1", "desk2"]
        assert sum(len(r.outcomes) for rs in reports for r in rs) == 9
        with transaction(apps[0].factory) as s:
            assert s.scalar(select(func.count(Article.id))) == 9
            assert s.scalar(select(func.count(func.distinct(Article.url)))) == 9
            assert s.scalar(select(func.count(Source.id)).where(Source.claimed_until.is_not(None))) == 0
    finally:
        for app in apps:
            app.close()
