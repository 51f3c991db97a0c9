"""The outbox and its worker: sent once, retried with backoff, given up with a reason, never doubled.

Outages, give-up by age and the owners' notice: test_delivery_outage.py; leases, two workers and a
locked database: test_delivery_lease.py.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.delivery.alerts import Alert
from bot.delivery.worker import DeliveryWorker, RetryPolicy
from bot.transports.base import ChatGone, ChatMoved, FloodWait, RetryLater, Undeliverable
from storage import articles, chats, outbox, sources, watchlists
from storage.db import transaction
from storage.models import Chat, Delivery
from tests.conftest import Clock



class Recorder:
    """A transport that records what it sent and fails as scripted, per chat."""

    platform = "console"

    def __init__(self, script: dict[str, list[Exception]] | None = None, concurrency: int = 1) -> None:
        self.sent: list[Alert] = []
        self.script = script or {}
        self.concurrency = concurrency
        self._lock = threading.Lock()

    async def send(self, alert: Alert) -> str:
        failures = self.script.get(alert.chat)
        if failures:
            raise failures.pop(0)
        with self._lock:
            self.sent.append(alert)
            return f"m{len(self.sent)}"


@pytest.fixture
def store(factory):
    return factory


def _story(factory, clock, n: int, chat_addresses: list[str]) -> int:
    """A stored story with one article, matched to topic t, queued for the given chats."""
    with transaction(factory) as s:
        src = sources.ensure_source(s, "files", "files", "-", 0, clock())
        wl = watchlists.get_watchlist(s, "t") or watchlists.save_watchlist(
            s, "t", "موضوع", {"any": ["كورسك"]}, "test", "create", "", clock()
        )
        story = articles.create_story(s, f"عنوان {n}", f"ملخص {n}.", clock(), clock())
        articles.add_article(
            s,
            story.id,
            articles.NewArticle(src.id, f"/a/{n}.txt", None, f"عنوان {n}", "نص", clock(), "text", clock(),
                                f"{n:064d}", b"fp", [n]),
        )
        articles.add_story_topic(s, story.id, wl.id, ["كورسك"], clock())
        targets = []
        for address in chat_addresses:
            chats.subscribe(s, address, wl.id, clock())
            targets.append((chats.ensure_chat(s, address, clock()).id, wl.id, None))
        outbox.enqueue(s, story.id, targets, clock())
        return story.id


def _worker(factory, transport, clock, policy: RetryPolicy = RetryPolicy(10, 60), **kw) -> DeliveryWorker:
    return DeliveryWorker(factory, {"console": transport}, policy, clock=clock, **kw)


def _states(factory) -> list[tuple[str, str, int]]:
    with transaction(factory) as s:
        q = select(Chat.address, Delivery.state, Delivery.attempts).join(Chat, Chat.id == Delivery.chat_id)
        return sorted(tuple(r) for r in s.execute(q))


def test_each_alert_sent_once_and_recorded(store):
    clock = Clock()
    story = _story(store, clock, 1, ["console:a", "console:b"])
    t = Recorder()
    report = asyncio.run(_worker(store, t, clock).drain())
    assert report.sent == 2 and sorted(a.chat for a in t.sent) == ["console:a", "console:b"]
    assert all(a.story_id == story and a.matched == ("كورسك",) for a in t.sent)
    assert _states(store) == [("console:a", "sent", 0), ("console:b", "sent", 0)]
    assert asyncio.run(_worker(store, t, clock).drain()).sent == 0
    assert len(t.sent) == 2
    with transaction(store) as s:
        chat_id = chats.ensure_chat(s, "console:a", clock()).id
        wl_id = watchlists.get_watchlist(s, "t").id
        assert outbox.enqueue(s, story, [(chat_id, wl_id, None)], clock()) == 0  # unique chat × story


def test_flood_wait_waits_without_spending_attempts(store):
    clock = Clock()
    _story(store, clock, 1, ["console:a"])
    t = Recorder({"console:a": [FloodWait("429", retry_after=30), FloodWait("429", retry_after=30)]})
    w = _worker(store, t, clock)
    assert asyncio.run(w.drain()).retried == 1
    clock.advance(29)
    assert asyncio.run(w.drain()).sent == 0  # not due before retry_after
    clock.advance(2)
    asyncio.run(w.drain())
    clock.advance(31)
    assert asyncio.run(w.drain()).sent == 1
    assert _states(store) == [("console:a", "sent", 0)] and len(t.sent) == 1


def test_transient_errors_back_off_and_never_end_the_alert(store):
    clock = Clock()
    _story(store, clock, 1, ["console:a"])
    t = Recorder({"console:a": [RetryLater(f"500 number {i}") for i in range(12)]})
    w = _worker(store, t, clock)
    asyncio.run(w.drain())
    with transaction(store) as s:
        row = s.scalar(select(Delivery))
        assert row.state == "pending" and row.attempts == 1 and row.last_error == "500 number 0"
        assert timedelta(seconds=8) <= row.next_attempt_at - clock() <= timedelta(seconds=10)
    waits = []
    for _ in range(11):  # far past the old max_attempts: attempts only lengthen the backoff
        with transaction(store) as s:
            due = s.scalar(select(Delivery.next_attempt_at))
        waits.append((due - clock()).total_seconds())
        clock.advance(3600)
        asyncio.run(w.drain())
    with transaction(store) as s:
        row = s.scalar(select(Delivery))
    assert row.state == "pending" and row.attempts == 12 and "500 number 11" in row.last_error
    assert all(0 < wait <= 60 for wait in waits) and max(waits) > 40  # capped at backoff_max (60)
    clock.advance(3600)
    asyncio.run(w.drain())
    assert [a.chat for a in t.sent] == ["console:a"] and _states(store) == [("console:a", "sent", 12)]


def test_backoff_is_capped_and_does_not_overflow_after_days():
    policy = RetryPolicy(5, 3600)
    assert [round(policy.delay(1) / 5, 1) <= 1.0, 0.8 * 3600 <= policy.delay(5000) <= 3600] == [True, True]


def test_unexpected_exception_is_retried_not_lost(store):
    clock = Clock()
    _story(store, clock, 1, ["console:a"])
    t = Recorder({"console:a": [RuntimeError("boom")]})
    w = _worker(store, t, clock)
    asyncio.run(w.drain())
    clock.advance(3600)
    asyncio.run(w.drain())
    assert [a.chat for a in t.sent] == ["console:a"]


def test_gone_chat_is_deactivated_and_its_backlog_dropped(store):
    clock = Clock()
    _story(store, clock, 1, ["console:a", "console:b"])
    _story(store, clock, 2, ["console:a", "console:b"])
    t = Recorder({"console:a": [ChatGone("403 blocked")]})
    asyncio.run(_worker(store, t, clock).drain())  # both of a's alerts are in the batch in hand
    assert sorted(a.chat for a in t.sent) == ["console:b", "console:b"]
    assert _states(store) == [("console:a", "dead", 0), ("console:a", "dead", 0), ("console:b", "sent", 0), ("console:b", "sent", 0)]
    with transaction(store) as s:
        chat = s.scalar(select(Chat).where(Chat.address == "console:a"))
        assert chat.active is False and "403" in chat.inactive_reason
    _story(store, clock, 3, ["console:a"])
    assert asyncio.run(_worker(store, t, clock).drain()).sent == 0


def test_undeliverable_message_fails_but_chat_stays(store):
    clock = Clock()
    _story(store, clock, 1, ["console:a"])
    _story(store, clock, 2, ["console:a"])
    t = Recorder({"console:a": [Undeliverable("400 bad request")]})
    asyncio.run(_worker(store, t, clock).drain())
    assert len(t.sent) == 1
    assert sorted(s for _, s, _ in _states(store)) == ["failed", "sent"]


def test_moved_chat_keeps_its_subscriptions_and_gets_the_alert(store):
    clock = Clock()
    _story(store, clock, 1, ["console:old"])
    t = Recorder({"console:old": [ChatMoved("migrated", "console:new")]})
    asyncio.run(_worker(store, t, clock).drain())
    assert [a.chat for a in t.sent] == ["console:new"]
    with transaction(store) as s:
        assert [r.chat for r in chats.list_subscriptions(s)] == ["console:new"]


def test_expired_lease_is_reclaimed_but_a_live_one_is_not(store):
    clock = Clock()
    _story(store, clock, 1, ["console:a"])
    with transaction(store) as s:  # a worker claims, then dies before sending
        assert len(outbox.claim(s, ["console"], "dead-worker", clock(), 60, 10)) == 1
    t = Recorder()
    w = _worker(store, t, clock)
    assert asyncio.run(w.drain()).sent == 0
    clock.advance(61)
    assert asyncio.run(w.drain()).sent == 1 and len(t.sent) == 1


def test_release_returns_claims_at_shutdown(store):
    clock = Clock()
    _story(store, clock, 1, ["console:a"])
    w = _worker(store, Recorder(), clock)
    with transaction(store) as s:
        outbox.claim(s, ["console"], w.worker_id, clock(), 600, 10)
    assert asyncio.run(w.release()) == 1
    assert _states(store) == [("console:a", "pending", 0)]


def test_two_workers_share_one_outbox_without_doubling(store):
    clock = Clock()
    addresses = [f"console:c{i}" for i in range(40)]
    for n in range(5):
        _story(store, clock, n, addresses)
    t = Recorder(concurrency=4)
    workers = [_worker(store, t, clock, batch=7) for _ in range(2)]
    threads = [threading.Thread(target=lambda w=w: asyncio.run(w.drain())) for w in workers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    pairs = [(a.chat, a.story_id) for a in t.sent]
    assert len(pairs) == 200 and len(set(pairs)) == 200
    assert {s for _, s, _ in _states(store)} == {"sent"}


def test_stop_request_finishes_the_batch_in_hand_and_claims_no_more(store):
    clock = Clock()
    for n in range(3):
        _story(store, clock, n, ["console:a"])
    t = Recorder()
    w = _worker(store, t, clock, batch=2)
    original = t.send

    async def send_then_stop(alert: Alert) -> str:
        w.request_stop()  # Ctrl-C arrives while the first batch is being sent
        return await original(alert)

    t.send = send_then_stop  # type: ignore[method-assign]
    report = asyncio.run(w.drain())
    assert report.sent == 2 and len(t.sent) == 2
    assert sorted(s for _, s, _ in _states(store)) == ["pending", "sent", "sent"]
