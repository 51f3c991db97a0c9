"""Scheduler policy: coalesced single instances; a run missed during downtime runs once, now."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.app import App
from bot.article import utcnow
from bot.config import load_config
from bot.scheduler import JOB_DEFAULTS, first_runs
from storage import sources
from storage.db import transaction
from tests.conftest import REPO, Clock, wait_until, write_config


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


# --- several `raqib run` processes on one database: file sources claimed like feeds (issue 13) ---


def _two_sources_app(tmp_path, db_url, clock=None) -> App:
    extra = (
        f'[[sources]]\nname = "a"\npath = "{REPO / "seeds"}"\ninterval = 300\n'
        f'[[sources]]\nname = "b"\npath = "{REPO / "seeds"}"\ninterval = 300\n'
    )
    app = App(load_config(write_config(tmp_path, db_url, extra=extra), env={}), clock=clock or utcnow)
    app.bootstrap()
    return app


def test_a_claimed_source_is_skipped_while_held_and_taken_after_its_lease(tmp_path, db_url):
    clock = Clock()
    app = _two_sources_app(tmp_path, db_url, clock)
    now, lease = clock(), timedelta(seconds=60)
    try:
        first = app.factory()
        first.begin()
        won = sources.claim_source(first, "a", now, lease)
        assert won is not None and won.won and won.next_check_at == now + lease
        if app.engine.dialect.name == "postgresql":
            # A second runner claiming while the first still holds the row lock skips it, unblocked.
            with transaction(app.factory) as second:
                held = sources.claim_source(second, "a", now, lease)
                other = sources.claim_source(second, "b", now, lease)
            assert held is not None and not held.won
            assert other is not None and other.won  # only the held row is passed over
        first.commit()
        first.close()
        with transaction(app.factory) as second:
            again = sources.claim_source(second, "a", now, lease)
        assert again == sources.SourceClaim(won.source_id, False, now + lease)
        # The first runner died mid-poll (it never recorded the next check): its lease runs out.
        with transaction(app.factory) as second:
            assert not sources.claim_source(second, "a", now + lease - timedelta(seconds=1), lease).won
        with transaction(app.factory) as second:
            taken = sources.claim_source(second, "a", now + lease, lease)
        assert taken.won and taken.next_check_at == now + 2 * lease
        with transaction(app.factory) as s:
            assert sources.claim_source(s, "no-such-source", now, lease) is None
    finally:
        app.close()


def test_a_claim_is_renewed_only_while_it_is_still_held(tmp_path, db_url):
    clock = Clock()
    app = _two_sources_app(tmp_path, db_url, clock)
    now, lease = clock(), timedelta(seconds=60)
    try:
        with transaction(app.factory) as s:
            claim = sources.claim_source(s, "a", now, lease)
        with transaction(app.factory) as s:
            assert sources.renew_claim(s, claim.source_id, now + lease, now + 2 * lease)
        with transaction(app.factory) as s:  # the old lease is no longer ours to extend
            assert not sources.renew_claim(s, claim.source_id, now + lease, now + 3 * lease)
        with transaction(app.factory) as s:  # the poll recorded its real next check: renewals stop
            sources.record_poll(s, claim.source_id, now, now + timedelta(seconds=300), None)
            assert not sources.renew_claim(s, claim.source_id, now + 2 * lease, now + 3 * lease)
            assert sources.next_check(s, "a") == now + timedelta(seconds=300)
    finally:
        app.close()


def _counting(app: App, calls: list[str], tag: str, during=None) -> None:
    real = app.poll_source

    def poll(name: str):
        calls.append(f"{tag}:{name}")
        if during is not None:
            during()
        return real(name)

    app.poll_source = poll  # type: ignore[method-assign]


def test_two_runners_poll_each_source_once_and_wake_when_it_is_next_due(tmp_path, db_url):
    from bot.scheduler import Runner

    clock = Clock()
    apps = [_two_sources_app(tmp_path, db_url, clock), App(load_config(tmp_path / "config.toml", env={}), clock=clock)]
    calls: list[str] = []
    try:
        runners = []
        for tag, app in zip("AB", apps):
            _counting(app, calls, tag)
            runner = Runner(app, {})
            runner.schedule()
            runners.append(runner)
        a, b = runners
        start = clock()
        a._poll("a")
        b._poll("a")  # the same moment: A holds it, then recorded its next check
        b._poll("b")
        a._poll("b")
        assert calls == ["A:a", "B:b"]
        due = start + timedelta(seconds=300)
        with transaction(apps[0].factory) as s:
            assert sources.next_check(s, "a") == due and sources.next_check(s, "b") == due
        # Every runner wakes when the database says the source is due, winner and loser alike.
        for runner in runners:
            assert {runner.scheduler.get_job(f"poll:{n}").next_run_time for n in "ab"} == {due}

        # At the next due time A claims "a" and dies before its poll records anything.
        clock.advance(300)
        with transaction(apps[0].factory) as s:
            assert sources.claim_source(s, "a", clock(), a.source_lease).won
        b._poll("a")
        assert calls == ["A:a", "B:b"]
        assert b.scheduler.get_job("poll:a").next_run_time == clock() + b.source_lease  # look again then
        clock.advance(b.source_lease.total_seconds())
        b._poll("a")
        assert calls == ["A:a", "B:b", "B:a"]
        with transaction(apps[0].factory) as s:
            assert sources.next_check(s, "a") == clock() + timedelta(seconds=300)
    finally:
        for app in apps:
            app.close()


def test_a_long_poll_keeps_its_claim(tmp_path, db_url):
    """A poll that outlasts the lease renews it; no other runner starts the same folder meanwhile."""
    from bot.scheduler import Runner

    clock = Clock()
    apps = [_two_sources_app(tmp_path, db_url, clock), App(load_config(tmp_path / "config.toml", env={}), clock=clock)]
    calls: list[str] = []
    try:
        a, b = Runner(apps[0], {}), Runner(apps[1], {})
        a.source_lease = timedelta(seconds=0.3)  # renewed every 0.1 s of real time
        start = clock()

        def meanwhile() -> None:
            clock.advance(5)  # far past the first lease

            def renewed() -> bool:
                with transaction(apps[1].factory) as s:
                    return sources.next_check(s, "a") == clock() + a.source_lease

            assert wait_until(renewed, 10)
            b._poll("a")  # B looks while A still polls: A's renewed lease holds it off

        _counting(apps[0], calls, "A", during=meanwhile)
        _counting(apps[1], calls, "B")
        a._poll("a")
        assert calls == ["A:a"]
        with transaction(apps[0].factory) as s:
            assert sources.next_check(s, "a") == start + timedelta(seconds=305)  # the poll's own record
    finally:
        for app in apps:
            app.close()


def test_a_stop_lets_a_running_poll_finish_and_record_itself(tmp_path, db_url, caplog):
    """Ctrl-C during a poll: the runner waits for it (its outcome is recorded), and no job error is
    logged for a cancelled poll (the chaos bar: no traceback from a clean stop)."""
    import asyncio
    import logging
    import threading

    from bot.scheduler import Runner

    app = _two_sources_app(tmp_path, db_url, None)
    started, release = threading.Event(), threading.Event()
    real = app.poll_source

    def slow(name: str):
        started.set()
        release.wait(30)
        return real(name)

    app.poll_source = slow  # type: ignore[method-assign]

    async def scenario() -> None:
        runner = Runner(app, {})
        task = asyncio.create_task(runner.run())
        assert await asyncio.to_thread(started.wait, 30)
        runner.stop_event.set()
        await asyncio.sleep(0.3)  # the stop is under way while the poll still runs
        release.set()
        await task

    try:
        with caplog.at_level(logging.INFO):
            asyncio.run(scenario())
        with transaction(app.factory) as s:
            polled = [src for src in sources.list_sources(s) if src.last_success_at is not None]
    finally:
        app.close()
    assert len(polled) >= 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "stopped cleanly" in caplog.text
