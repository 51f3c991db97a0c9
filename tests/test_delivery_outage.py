"""Issue 9, defect 1: a platform outage never loses an alert.

Network errors, timeouts, 5xx, 429 and unknown exceptions back off and are tried again however long
the outage lasts; an alert is given up only on a permanent answer or once it has kept failing for
longer than ``give_up_after_hours``, and then the owners get one notice, however many alerts went.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.delivery.alerts import Alert
from bot.delivery.worker import DeliveryWorker, RetryPolicy
from bot.transports.base import FloodWait, RetryLater, Undeliverable
from storage import outbox
from storage.db import transaction
from storage.models import Chat, Delivery, Story
from tests.conftest import Clock
from tests.test_delivery import Recorder, _story, store  # noqa: F401 - the fixture is used by name

CHATS = ["console:korea-desk", "console:kursk-desk", "console:analyst"]
OWNER = "console:owner"


class Outage:
    """A transport that fails every send while ``down`` (cycling through ``failures``), then records."""

    platform = "console"
    concurrency = 4

    def __init__(self, failures: list[Exception]) -> None:
        self.down = True
        self.failures = failures
        self.tries = 0
        self.sent: list[Alert] = []

    async def send(self, alert: Alert) -> str:
        self.tries += 1
        if self.down:
            raise self.failures[self.tries % len(self.failures)]
        self.sent.append(alert)
        return f"m{len(self.sent)}"

    def pairs(self, kind_news: bool = True) -> list[tuple[str, int]]:
        return [(a.chat, a.story_id) for a in self.sent if (a.chat != OWNER) == kind_news]


def _run(worker: DeliveryWorker, clock: Clock, seconds: float, step: float = 30.0, each=None) -> None:
    """Drain every ``step`` seconds of the test clock, as the scheduler would."""
    elapsed = 0.0
    while elapsed < seconds:
        asyncio.run(worker.drain())
        if each is not None:
            each(elapsed)
        clock.advance(step)
        elapsed += step


def _rows(factory) -> list[tuple[str, int, str]]:
    with transaction(factory) as s:
        q = select(Chat.address, Delivery.story_id, Delivery.state).join(Chat, Chat.id == Delivery.chat_id)
        return sorted(tuple(r) for r in s.execute(q))


# Every kind of transient failure, in turn: connection refused, 5xx, timeouts, 429s, unknown errors.
FAILURES = [
    RetryLater("network: connection refused"),
    RetryLater("network: 502 Bad Gateway"),
    FloodWait("429 flood control: retry after 65s", retry_after=65),
    RetryLater("network: timed out"),
    RuntimeError("boom"),
    ConnectionResetError("reset by peer"),
]


def test_an_outage_far_longer_than_the_old_attempt_budget_loses_nothing(store):  # noqa: F811
    """Two hours down (8 attempts used to end an alert after ~10 minutes), then every alert once."""
    clock = Clock()
    stories = [_story(store, clock, n, CHATS) for n in range(5)]
    t = Outage(FAILURES)
    worker = DeliveryWorker(store, {"console": t}, RetryPolicy(5, 300), clock=clock, owners=[OWNER])
    _run(worker, clock, 2 * 3600, step=60)
    assert t.tries > 8 * 5  # every alert was tried well past the old limit of 8 attempts
    assert {state for *_, state in _rows(store)} == {"pending"}
    t.down = False
    _run(worker, clock, 600)
    expected = sorted((chat, story) for chat in CHATS for story in stories)
    assert sorted(t.pairs()) == expected  # each exactly once
    assert t.pairs(kind_news=False) == []  # nothing was given up, so no notice
    assert {state for *_, state in _rows(store)} == {"sent"}


def test_alerts_failing_past_the_give_up_age_fail_and_the_owners_get_one_notice(store):  # noqa: F811
    clock = Clock()
    t = Outage([RetryLater("network: connection refused")])
    policy = RetryPolicy(5, 120, give_up_after_s=3600)
    worker = DeliveryWorker(store, {"console": t}, policy, clock=clock, owners=[OWNER])
    queued: dict[int, object] = {}

    def news(elapsed: float) -> None:  # a new story every ten minutes of the two-hour outage
        if elapsed % 600 == 0:
            queued[_story(store, clock, int(elapsed // 600), CHATS[:2])] = clock()

    _run(worker, clock, 2 * 3600, step=60, each=news)
    cutoff = clock() - timedelta(hours=1)
    with transaction(store) as s:
        failed = s.execute(select(Delivery.story_id, Delivery.last_error).where(Delivery.state == "failed")).all()
        notices = s.scalars(select(Story).where(Story.kind == "notice")).all()
    old = {story for story, at in queued.items() if at < cutoff - timedelta(seconds=60)}
    assert old and {story for story, _ in failed} >= old
    assert all(error.startswith("gave up after 1 h; last error: network: connection refused") for _, error in failed)
    assert len(notices) == 1  # an hour of give-ups, one notice (rewritten while it waits)
    assert str(len(failed)) in notices[0].headline and "raqib outbox retry --failed" in notices[0].summary

    t.down = False
    _run(worker, clock, 600)
    told = [a for a in t.sent if a.chat == OWNER]
    # The first drain after the outage gave up the rows that crossed the hour meanwhile: still one
    # notice, rewritten to count them, since it had not left the queue yet.
    failed = [row for row in _rows(store) if row[2] == "failed"]
    assert len(told) == 1 and told[0].headline == f"⚠️ تعذر توصيل {len(failed)} من التنبيهات"
    assert told[0].source == outbox.NOTICE_SOURCE
    fresh = sorted((chat, story) for story in queued for chat in CHATS[:2]
                   if (chat, story, "failed") not in _rows(store))
    assert sorted(t.pairs()) == fresh and len(fresh) + len(failed) == 2 * len(queued)

    # A later outage is a new story: one more notice, counting only its own give-ups.
    t.down = True
    late = _story(store, clock, 99, CHATS[:1])
    _run(worker, clock, 2 * 3600, step=60)
    t.down = False
    _run(worker, clock, 600)
    told = [a for a in t.sent if a.chat == OWNER]
    assert len(told) == 2 and "1 " in told[1].headline
    assert (CHATS[0], late, "failed") in _rows(store)


def test_an_alert_that_only_waited_is_sent_late_not_given_up(store):  # noqa: F811
    """raqib was down for two days: nothing was tried, so nothing is old enough to give up."""
    clock = Clock()
    story = _story(store, clock, 1, CHATS[:1])
    clock.advance(2 * 86400)
    t = Outage([RetryLater("unused")])
    t.down = False
    asyncio.run(DeliveryWorker(store, {"console": t}, RetryPolicy(5, 60, 3600), clock=clock, owners=[OWNER]).drain())
    assert t.pairs() == [(CHATS[0], story)] and t.pairs(kind_news=False) == []


def test_a_rejected_alert_fails_at_once_and_the_owners_hear_of_it(store):  # noqa: F811
    clock = Clock()
    story = _story(store, clock, 1, CHATS[:1])
    t = Recorder({CHATS[0]: [Undeliverable("400 Bad Request: can't parse entities")]})
    worker = DeliveryWorker(store, {"console": t}, RetryPolicy(5, 60), clock=clock, owners=[OWNER])
    asyncio.run(worker.drain())
    assert (CHATS[0], story, "failed") in _rows(store)
    told = [a for a in t.sent if a.chat == OWNER]
    assert len(told) == 1 and "رفضت المنصة الرسالة" in told[0].summary and "1 " in told[0].headline


def test_without_owners_alerts_are_still_given_up_and_no_notice_is_queued(store):  # noqa: F811
    clock = Clock()
    _story(store, clock, 1, CHATS[:1])
    t = Outage([RetryLater("network: connection refused")])
    worker = DeliveryWorker(store, {"console": t}, RetryPolicy(5, 60, give_up_after_s=3.6), clock=clock)
    _run(worker, clock, 120, step=1)
    with transaction(store) as s:
        assert s.scalar(select(Story).where(Story.kind == "notice")) is None
    assert [state for *_, state in _rows(store)] == ["failed"]


def test_two_workers_giving_up_at_once_queue_one_notice_and_send_nothing_twice(store):  # noqa: F811
    import threading

    clock = Clock()
    addresses = [f"console:desk-{i}" for i in range(12)]
    stories = [_story(store, clock, n, addresses) for n in range(4)]
    t = Outage([RetryLater("network: connection refused")])
    policy = RetryPolicy(5, 60, give_up_after_s=600)
    workers = [DeliveryWorker(store, {"console": t}, policy, clock=clock, owners=[OWNER], batch=7) for _ in range(2)]

    def both() -> None:
        threads = [threading.Thread(target=lambda w=w: asyncio.run(w.drain())) for w in workers]
        for th in threads:
            th.start()
        for th in threads:
            th.join()

    for _ in range(8):  # a few tries each, then they cross the ten minutes together
        both()
        clock.advance(60)
    clock.advance(600)
    both()
    with transaction(store) as s:
        assert len(s.scalars(select(Story).where(Story.kind == "notice")).all()) == 1
    t.down = False
    for _ in range(3):
        both()
        clock.advance(60)
    told = [a for a in t.sent if a.chat == OWNER]
    assert len(told) == 1 and told[0].headline == f"⚠️ تعذر توصيل {len(addresses) * len(stories)} من التنبيهات"
    assert t.pairs() == []  # every news alert was given up, none sent
