"""Issue 9, defects 4 and 6 (delivery half): a lease outlives a slow send, marks check whose the
row is, a long 429 goes back to the outbox, and a mark the database refused is retried, not lost."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bot.delivery.alerts import Alert
from bot.delivery.worker import DeliveryWorker, RetryPolicy
from bot.transports.base import FloodWait
from storage import outbox
from storage.db import make_engine, session_factory, transaction, upgrade
from storage.models import Delivery
from tests.conftest import Clock
from tests.test_delivery import Recorder, _states, _story, store  # noqa: F401 - the fixture is used by name

LEASE = 60


class Held:
    """A transport whose sends wait until the test lets them go: PTB's in-place flood wait, a slow API."""

    platform = "console"
    concurrency = 4

    def __init__(self) -> None:
        self.sent: list[Alert] = []
        self.entered = asyncio.Event()
        self.go = asyncio.Event()

    async def send(self, alert: Alert) -> str:
        self.entered.set()
        await self.go.wait()
        self.sent.append(alert)
        return f"held{len(self.sent)}"


def _lease(factory) -> tuple[str, str | None, datetime | None]:
    with transaction(factory) as s:
        row = s.execute(select(Delivery.state, Delivery.claimed_by, Delivery.lease_until)).one()
    return tuple(row)  # type: ignore[return-value]


async def _until(predicate, tries: int = 500) -> bool:
    for _ in range(tries):
        if await asyncio.to_thread(predicate):
            return True
        await asyncio.sleep(0.01)
    return False


def test_a_held_up_worker_keeps_its_lease_and_the_other_worker_sends_nothing(store):  # noqa: F811
    """Worker A is stuck in a send past its lease; its heartbeat renews the lease, so B does not
    re-claim the row, and the alert goes out once."""
    clock = Clock()
    _story(store, clock, 1, ["console:a"])
    held, other = Held(), Recorder()
    a = DeliveryWorker(store, {"console": held}, RetryPolicy(5, 60), clock=clock, lease_s=LEASE, heartbeat_s=0.01)
    b = DeliveryWorker(store, {"console": other}, RetryPolicy(5, 60), clock=clock, lease_s=LEASE)

    async def scenario() -> None:
        drain_a = asyncio.create_task(a.drain())
        await held.entered.wait()
        clock.advance(LEASE + 30)  # A's first lease ran out while the send hung
        assert await _until(lambda: _lease(store)[2] > clock())  # the heartbeat renewed it
        assert (await b.drain()).sent == 0
        held.go.set()
        report = await drain_a
        assert report.sent == 1 and report.lease_lost == 0

    asyncio.run(scenario())
    assert len(held.sent) == 1 and other.sent == []
    assert _states(store) == [("console:a", "sent", 0)]


def test_a_mark_from_a_worker_that_lost_its_lease_does_not_overwrite_the_new_holder(store):  # noqa: F811
    clock = Clock()
    _story(store, clock, 1, ["console:a"])
    with transaction(store) as s:
        (job,) = outbox.claim(s, ["console"], "A", clock(), LEASE, 10)
    clock.advance(LEASE + 1)
    with transaction(store) as s:
        assert len(outbox.claim(s, ["console"], "B", clock(), LEASE, 10)) == 1  # A's lease ran out
    with transaction(store) as s:
        assert outbox.mark_retry(s, job.delivery_id, "A", "500", clock(), True) is False
        assert outbox.mark_failed(s, job.delivery_id, "A", "400", clock()) is False
        assert outbox.renew(s, "A", clock(), LEASE) == 0
    assert _lease(store)[:2] == ("sending", "B")
    with transaction(store) as s:
        assert outbox.mark_sent(s, job.delivery_id, "A", "m-A", clock()) is False  # B holds it now
        assert outbox.mark_sent(s, job.delivery_id, "B", "m-B", clock()) is True
        assert s.scalar(select(Delivery.message_id)) == "m-B"


def test_a_worker_reports_a_lost_lease_instead_of_recording_over_it(store, caplog):  # noqa: F811
    """Without a heartbeat (it could not reach the database) B re-claims; A's late mark is refused."""
    clock = Clock()
    _story(store, clock, 1, ["console:a"])
    held = Held()
    a = DeliveryWorker(store, {"console": held}, RetryPolicy(5, 60), clock=clock, lease_s=LEASE, heartbeat_s=3600)

    async def scenario():
        drain_a = asyncio.create_task(a.drain())
        await held.entered.wait()
        clock.advance(LEASE + 1)
        with transaction(store) as s:
            assert len(outbox.claim(s, ["console"], "B", clock(), LEASE, 10)) == 1
        held.go.set()
        return await drain_a

    with caplog.at_level(logging.WARNING, logger="bot.delivery.worker"):
        report = asyncio.run(scenario())
    assert report.sent == 1 and report.lease_lost == 1
    assert "lease lost" in caplog.text
    assert _lease(store)[:2] == ("sending", "B")  # B's claim stands; B records its own send


def test_a_long_flood_wait_goes_back_to_the_outbox_and_no_worker_resends_early(store):  # noqa: F811
    clock = Clock()
    for n in range(3):
        _story(store, clock, n, ["console:a", "console:b"])
    flooded = Recorder({"console:a": [FloodWait("429 flood control: retry after 65s", retry_after=65)] * 3})
    a = DeliveryWorker(store, {"console": flooded}, RetryPolicy(5, 60), clock=clock, lease_s=LEASE)
    b = DeliveryWorker(store, {"console": flooded}, RetryPolicy(5, 60), clock=clock, lease_s=LEASE)
    report = asyncio.run(a.drain())
    assert report.retried == 3 and report.sent == 3
    clock.advance(30)
    assert asyncio.run(b.drain()).sent == 0  # the wait is the outbox's, no lease is held through it
    clock.advance(36)
    assert asyncio.run(b.drain()).sent == 3
    pairs = [(x.chat, x.story_id) for x in flooded.sent]
    assert len(pairs) == 6 and len(set(pairs)) == 6
    assert {state for _, state, _ in _states(store)} == {"sent"}
    assert {attempts for _, _, attempts in _states(store)} == {0}  # no attempt used by a 429


# --- a locked database when the send is to be recorded (SQLite) ------------------------------------


@pytest.fixture
def sqlite_store(tmp_path):
    """A SQLite store whose writers give up after 0.2 s instead of 30: a lock shows up at once."""
    engine = make_engine(f"sqlite:///{tmp_path / 'raqib.db'}")

    @event.listens_for(engine, "connect")
    def _short_busy_timeout(dbapi_conn, _record) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=200")

    upgrade(engine)
    yield session_factory(engine), tmp_path / "raqib.db"
    engine.dispose()


class LockingRecorder(Recorder):
    """Sends, then (like a long ingest transaction) takes SQLite's write lock from another
    connection before the worker records the send."""

    def __init__(self, path) -> None:
        super().__init__()
        self.lock = sqlite3.connect(path, isolation_level=None)

    async def send(self, alert: Alert) -> str:
        message_id = await super().send(alert)
        self.lock.execute("BEGIN IMMEDIATE")
        return message_id


def test_a_mark_refused_by_a_locked_database_is_retried_and_sent_once(sqlite_store):
    factory, path = sqlite_store
    clock = Clock()
    _story(factory, clock, 1, ["console:a"])
    t = LockingRecorder(path)
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:  # the lock is let go after two refused tries
            t.lock.execute("COMMIT")

    w = DeliveryWorker(factory, {"console": t}, RetryPolicy(5, 60), clock=clock, sleep=pause)
    report = asyncio.run(w.drain())
    t.lock.close()
    assert len(pauses) == 2 and report.errors == []
    assert report.sent == 1 and len(t.sent) == 1
    assert _states(factory) == [("console:a", "sent", 0)]
    assert asyncio.run(w.drain()).sent == 0 and len(t.sent) == 1  # nothing left to send again


def test_a_mark_that_never_gets_through_is_logged_and_the_drain_survives(sqlite_store, caplog):
    factory, path = sqlite_store
    clock = Clock()
    _story(factory, clock, 1, ["console:a"])
    t = LockingRecorder(path)

    async def no_pause(_: float) -> None:
        return None

    w = DeliveryWorker(factory, {"console": t}, RetryPolicy(5, 60), clock=clock, sleep=no_pause, mark_delays=(0, 0))
    with caplog.at_level(logging.WARNING, logger="bot.delivery.worker"):
        report = asyncio.run(w.drain())  # the lock is taken after the send and never let go
        again = asyncio.run(w.drain())  # nor here: the claim itself is refused
    t.lock.execute("COMMIT")
    t.lock.close()
    assert len(t.sent) == 1 and "could not record the send" in caplog.text and report.errors
    assert again.sent == 0 and again.errors and "database is locked" in again.errors[0]
    assert _states(factory) == [("console:a", "sending", 0)]  # its lease runs out; nothing was lost


def test_the_scheduled_drain_never_dies_with_a_traceback(tmp_path, db_url, caplog):
    from bot.app import App
    from bot.config import load_config
    from bot.scheduler import Runner
    from tests.conftest import write_config

    app = App(load_config(write_config(tmp_path, db_url), env={}))
    app.bootstrap()
    runner = Runner(app, {"console": Recorder()})

    async def broken(max_rounds=None):
        raise OperationalError("UPDATE deliveries …", {}, sqlite3.OperationalError("database is locked"))

    runner.worker.drain = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR):
        asyncio.run(runner._drain())
    app.close()
    assert "outbox drain failed" in caplog.text and "database is locked" in caplog.text
    assert not any(r.exc_info for r in caplog.records)


def test_a_scheduled_poll_that_raises_is_logged_and_the_job_lives_on(tmp_path, db_url, caplog):
    from bot.app import App
    from bot.config import load_config
    from bot.scheduler import Runner
    from tests.conftest import write_config

    app = App(load_config(write_config(tmp_path, db_url), env={}))
    app.bootstrap()
    runner = Runner(app, {"console": Recorder()})

    def broken(name: str):
        raise OperationalError("INSERT INTO articles …", {}, sqlite3.OperationalError("database is locked"))

    app.poll_source = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR):
        runner._poll("seeds")
    app.close()
    assert "polling seeds failed" in caplog.text and not any(r.exc_info for r in caplog.records)
