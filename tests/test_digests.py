"""Issue 12, part 3: digests are outbox rows (chat × period), so a crash, a restart or a second
worker neither loses nor doubles one. Through the real DeliveryWorker on a fake clock."""

from __future__ import annotations

import asyncio
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.delivery import digests
from bot.delivery.alerts import DIGEST, UPDATE
from bot.delivery.worker import first_sentence
from storage import digests as digest_store
from storage import outbox
from storage.db import transaction
from storage.models import Article, Chat, Delivery, Mute
from tests.conftest import Clock
from tests.test_delivery_decide import (  # noqa: F401  (store: the fixture)
    SUMMARY, Recording, add_story, at_riyadh, rows, set_chat, set_subscription, store, worker,
)


def _hourly_chat_with_three_stories(store, clock) -> list[int]:
    """console:a follows the topic hourly; three stories reach it between 12:10 and 12:40 (Riyadh)."""
    ids = []
    for n, minute in enumerate((10, 20, 40)):
        clock.now = at_riyadh(12, minute)
        ids.append(add_story(store, clock, n, ["console:a"]))
        if n == 0:
            set_subscription(store, "console:a", mode="hourly")
        asyncio.run(worker(store, Recording(), clock).drain())
    return ids


def _digests(store) -> list[tuple[str, str, int]]:
    with transaction(store) as s:
        q = select(Delivery.period, Delivery.state, Delivery.id).where(Delivery.kind == DIGEST).order_by(Delivery.id)
        return [tuple(r) for r in s.execute(q)]


def _states(store) -> dict[str, int]:
    with transaction(store) as s:
        return dict(s.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all())


def test_hourly_digest_is_made_once_when_the_hour_closes_and_sent_once(store):
    clock = Clock()
    ids = _hourly_chat_with_three_stories(store, clock)
    assert _states(store) == {"held": 3}
    clock.now = at_riyadh(12, 59)
    assert digests.run(store, clock()) == 0  # the hour is still open
    clock.now = at_riyadh(13, 0)
    assert digests.run(store, clock()) == 1
    assert digests.run(store, clock()) == 0  # a second run finds nothing left to fold
    [(period, state, digest_id)] = _digests(store)
    assert (period, state) == ("hourly:2025-08-13T12", "pending")
    assert _states(store) == {"pending": 1, "bundled": 3}
    t = Recording()
    assert asyncio.run(worker(store, t, clock).drain()).sent == 1
    [digest] = t.sent
    assert digest.kind == DIGEST and digest.story_id == ids[-1]  # the row's story: its newest listed one
    assert [i.story_id for i in digest.items] == ids and digest.period == (at_riyadh(12), at_riyadh(13))
    assert all(i.summary == first_sentence(SUMMARY) and i.source_count == 1 for i in digest.items)
    # A restart: another worker, the same database. Nothing is sent again, nothing is made again.
    assert asyncio.run(worker(store, Recording(), clock, worker_id="after-restart").drain()).sent == 0
    assert digests.run(store, clock()) == 0 and len(_digests(store)) == 1


def test_an_empty_period_makes_no_digest(store):
    clock = Clock(at_riyadh(12))
    add_story(store, clock, 1, ["console:a"])
    set_subscription(store, "console:a", mode="hourly")  # nothing held yet: the alert is still pending
    clock.advance(3 * 3600)
    assert digests.run(store, clock()) == 0 and _digests(store) == []


def test_a_crash_inside_the_digest_transaction_loses_nothing(store, monkeypatch):
    clock = Clock()
    ids = _hourly_chat_with_three_stories(store, clock)
    clock.now = at_riyadh(13, 1)

    def crash(*args, **kwargs):
        raise RuntimeError("the process died after inserting the digest row")

    monkeypatch.setattr(digest_store, "update", crash)  # the bundling statement, after the insert
    assert digests.run(store, clock()) == 0
    assert _digests(store) == [] and _states(store) == {"held": 3}  # rolled back together
    monkeypatch.undo()
    assert digests.run(store, clock()) == 1
    t = Recording()
    asyncio.run(worker(store, t, clock).drain())
    assert [i.story_id for i in t.sent[0].items] == ids


def test_a_worker_dying_with_the_digest_claimed_does_not_lose_or_double_it(store):
    clock = Clock()
    _hourly_chat_with_three_stories(store, clock)
    clock.now = at_riyadh(13, 0)
    digests.run(store, clock())
    with transaction(store) as s:  # a worker claims the digest, then dies before sending it
        assert [j.kind for j in outbox.claim(s, ["console"], "dead", clock(), 60, 10)] == [DIGEST]
    t = Recording()
    assert asyncio.run(worker(store, t, clock).drain()).sent == 0  # its lease still runs
    clock.advance(61)
    assert asyncio.run(worker(store, t, clock).drain()).sent == 1
    assert asyncio.run(worker(store, t, clock).drain()).sent == 0 and len(t.sent) == 1


def test_two_workers_running_the_job_at_once_make_one_digest(store):
    clock = Clock()
    _hourly_chat_with_three_stories(store, clock)
    clock.now = at_riyadh(13, 0)
    start = threading.Barrier(2)
    made: list[int] = []

    def job() -> None:
        start.wait()
        made.append(digests.run(store, clock()))

    threads = [threading.Thread(target=job) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    digests.run(store, clock())  # a worker that failed on a locked database: its next run
    assert len(_digests(store)) == 1 and sum(made) <= 1 and _states(store) == {"pending": 1, "bundled": 3}


def test_concurrent_bundling_waits_and_adds_nothing(store):
    """Two transactions at once on PostgreSQL: the second waits on the first's row locks, then
    finds the rows bundled and makes nothing (on SQLite the write lock serializes them anyway)."""
    clock = Clock()
    _hourly_chat_with_three_stories(store, clock)
    clock.now = at_riyadh(13, 0)
    with transaction(store) as s:
        [(chat_id, period)] = digest_store.due(s, clock())
    first = store()
    if first.get_bind().dialect.name != "postgresql":
        first.close()
        pytest.skip("SQLite serializes writers: covered by the two-worker test")
    second: list[int | None] = []
    with first.begin():
        assert digest_store.bundle(first, chat_id, period, clock()) is not None
        th = threading.Thread(target=lambda: second.append(_bundle(store, chat_id, period, clock())))
        th.start()
        th.join(0.5)
        assert th.is_alive()  # blocked on the held rows the first transaction locked
    first.close()
    th.join(10)
    assert second == [None] and len(_digests(store)) == 1


def _bundle(store, chat_id: int, period: str, now) -> int | None:
    with transaction(store) as s:
        return digest_store.bundle(s, chat_id, period, now)


def test_daily_digest_at_its_time_in_the_chats_zone(store):
    clock = Clock(at_riyadh(12))
    set_zone = "America/New_York"  # 20:00 there is 03:00 next day in Riyadh (EDT, UTC-4)
    add_story(store, clock, 1, ["console:ny"])
    set_chat(store, "console:ny", timezone=set_zone)
    set_subscription(store, "console:ny", mode="daily", digest_at=20 * 60)
    asyncio.run(worker(store, Recording(), clock).drain())
    [(_, state, _, closes, _, period)] = rows(store)
    assert (state, period) == ("held", "daily:2025-08-13T20:00") and closes == at_riyadh(3, day=14)
    clock.now = at_riyadh(2, 59, day=14)
    assert digests.run(store, clock()) == 0
    clock.now = at_riyadh(3, 0, day=14)
    assert digests.run(store, clock()) == 1
    t = Recording()
    asyncio.run(worker(store, t, clock).drain())
    assert t.sent[0].period == (at_riyadh(3, day=13), at_riyadh(3, day=14))
    assert t.sent[0].period[0].tzinfo == ZoneInfo(set_zone)  # told in the chat's zone: 20:00 to 20:00
    assert t.sent[0].period[0].hour == 20


def test_a_row_held_after_its_periods_digest_went_out_gets_a_late_digest(store):
    clock = Clock()
    _hourly_chat_with_three_stories(store, clock)
    clock.now = at_riyadh(13, 0)
    digests.run(store, clock())
    asyncio.run(worker(store, Recording(), clock).drain())
    # A worker whose clock lagged held one more row into the closed hour.
    clock.now = at_riyadh(12, 58)
    add_story(store, clock, 9, ["console:a"])
    asyncio.run(worker(store, Recording(), clock).drain())
    clock.now = at_riyadh(13, 2)
    assert digests.run(store, clock()) == 1
    assert [(p, st) for p, st, _ in _digests(store)] == [("hourly:2025-08-13T12", "sent"),
                                                         ("hourly:2025-08-13T12~2", "pending")]
    t = Recording()
    asyncio.run(worker(store, t, clock).drain())
    assert len(t.sent[0].items) == 1 and t.sent[0].period == (at_riyadh(12), at_riyadh(13))


def test_digest_obeys_quiet_hours_but_not_one_topics_mute(store):
    clock = Clock()
    _hourly_chat_with_three_stories(store, clock)
    clock.now = at_riyadh(13, 0)
    digests.run(store, clock())
    set_chat(store, "console:a", quiet_start=13 * 60, quiet_end=14 * 60, quiet_mode="hold")
    with transaction(store) as s:
        chat_id, wl = s.execute(select(Delivery.chat_id, Delivery.watchlist_id).where(Delivery.kind == DIGEST)).one()
        s.add(Mute(chat_id=chat_id, watchlist_id=wl, until=at_riyadh(23), created_at=clock()))
    t = Recording()
    assert asyncio.run(worker(store, t, clock).drain()).deferred == 1
    clock.now = at_riyadh(14, 0)
    assert asyncio.run(worker(store, t, clock).drain()).sent == 1 and t.sent[0].kind == DIGEST


def test_an_update_of_a_digest_story_goes_into_the_next_digest(store):
    clock = Clock()
    ids = _hourly_chat_with_three_stories(store, clock)
    clock.now = at_riyadh(13, 0)
    digests.run(store, clock())
    asyncio.run(worker(store, Recording(), clock).drain())
    clock.now = at_riyadh(13, 30)
    with transaction(store) as s:  # a report with a new development on the first story
        lead = s.scalar(select(Article.id).where(Article.story_id == ids[0]))
        assert outbox.enqueue_update(s, ids[0], lead, clock()) == 1
    assert asyncio.run(worker(store, Recording(), clock).drain()).held == 1
    clock.now = at_riyadh(14, 0)
    assert digests.run(store, clock()) == 1
    t = Recording()
    asyncio.run(worker(store, t, clock).drain())
    [digest] = t.sent
    assert [i.story_id for i in digest.items] == [ids[0]] and digest.period == (at_riyadh(13), at_riyadh(14))
    with transaction(store) as s:
        assert s.scalar(select(func.count()).where(Delivery.kind == UPDATE, Delivery.state == "bundled")) == 1
        assert s.scalar(select(Chat.active)) is True
