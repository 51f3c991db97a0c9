"""Scheduler policy: coalesced single instances; a run missed during downtime runs once, now."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.app import App
from bot.config import load_config
from bot.scheduler import JOB_DEFAULTS, first_runs
from storage import sources
from storage.db import transaction
from tests.conftest import REPO, write_config


def test_overdue_source_runs_once_now_and_future_one_waits(tmp_path, db_url):
    extra = (
        f'[[sources]]\nname = "a"\npath = "{REPO / "seeds"}"\ninterval = 60\n'
        f'[[sources]]\nname = "b"\npath = "{REPO / "seeds"}"\ninterval = 60\n'
        f'[[sources]]\nname = "c"\npath = "{REPO / "seeds"}"\ninterval = 60\n'
    )
    now = datetime(2025, 8, 13, 12, 0, tzinfo=timezone.utc)
    app = App(load_config(write_config(tmp_path, db_url, extra=extra), env={}), clock=lambda: now)
    app.bootstrap()
    with transaction(app.factory) as s:
        ids = {src.name: src.id for src in sources.list_sources(s)}
        # a: due three days ago (we were down); b: due in ten minutes; c: never polled.
        sources.record_poll(s, ids["a"], now, now - timedelta(days=3), None)
        sources.record_poll(s, ids["b"], now, now + timedelta(minutes=10), None)
    runs = first_runs(app, now)
    app.close()
    assert runs == {"a": now, "b": now + timedelta(minutes=10), "c": now}
    assert JOB_DEFAULTS["coalesce"] is True and JOB_DEFAULTS["max_instances"] == 1


def test_failed_poll_is_recorded_and_others_go_on(tmp_path, db_url):
    extra = (
        f'[[sources]]\nname = "gone"\npath = "{tmp_path / "missing"}"\ninterval = 60\n'
        f'[[sources]]\nname = "seeds"\npath = "{REPO / "seeds"}"\ninterval = 60\n'
    )
    app = App(load_config(write_config(tmp_path, db_url, extra=extra), env={}))
    app.bootstrap()
    reports = {r.source: r for r in app.poll_all()}
    assert "not found" in reports["gone"].error and len(reports["seeds"].outcomes) == 5
    with transaction(app.factory) as s:
        rows = {src.name: src for src in sources.list_sources(s)}
    app.close()
    assert rows["gone"].error_count == 1 and "not found" in rows["gone"].last_error
    assert rows["seeds"].error_count == 0 and rows["seeds"].last_success_at is not None
