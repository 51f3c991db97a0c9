"""Issue 12: the worker's decide stage, before anything is sent.

Mute → skipped; a digest subscription's alert → held for its period; quiet hours in the chat's
zone → held until the window ends (not a failed attempt) or sent silently; a short summary →
its first sentence; a new subscription's backlog → one silent archive message. A fake clock
throughout.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.delivery import digests
from bot.delivery.alerts import ALERT, ARCHIVE, UPDATE, Alert
from bot.delivery.worker import DeliveryWorker, RetryPolicy, first_sentence, quiet_until
from storage import articles, chat_topics, chats, outbox, sources, watchlists
from storage.db import transaction
from storage.models import Chat, Delivery, Subscription
from tests.conftest import Clock

RIYADH = ZoneInfo("Asia/Riyadh")  # UTC+3 all year
UTC = timezone.utc
# Written for these tests (not copied from any outlet): two sentences, so "short" has work to do.
SUMMARY = "أعلنت وزارة الصحة افتتاح مستشفى جديد في مدينة تبوك. وقال الوزير إن المستشفى يخدم أكثر من مئة ألف نسمة."


class Recording:
    """A console transport recording the alerts it sent or edited."""

    platform = "console"
    concurrency = 1

    def __init__(self) -> None:
        self.sent: list[Alert] = []
        self.edited: list[Alert] = []
        self._lock = threading.Lock()

    async def send(self, alert: Alert) -> str:
        with self._lock:
            self.sent.append(alert)
            return f"m{len(self.sent)}"

    async def edit(self, alert: Alert) -> str:
        with self._lock:
            self.edited.append(alert)
        return alert.edit_of or ""


@pytest.fixture
def store(factory):
    return factory


def add_story(factory, clock, n: int, chat_addresses: list[str], *, queue: bool = True, slug: str = "t",
              summary: str = SUMMARY, source: str = "وكالة الأنباء") -> int:
    """A stored story with one article, matched to topic ``slug``, queued for the given chats."""
    with transaction(factory) as s:
        src = sources.ensure_source(s, source, "files", "-", 0, clock())
        wl = watchlists.get_watchlist(s, slug) or watchlists.save_watchlist(
            s, slug, "الصحة", {"any": ["مستشفى"]}, "test", "create", "", clock()
        )
        story = articles.create_story(s, f"افتتاح مستشفى رقم {n}", summary, clock(), clock())
        articles.add_article(
            s, story.id,
            articles.NewArticle(src.id, f"https://news.example/{slug}/{n}", None, f"افتتاح مستشفى رقم {n}", "نص",
                                clock(), "text", clock(), f"{slug}{n:060d}", b"fp", [n]),
        )
        articles.add_story_topic(s, story.id, wl.id, ["مستشفى"], clock())
        targets = []
        for address in chat_addresses:
            chats.subscribe(s, address, wl.id, clock())
            targets.append((chats.ensure_chat(s, address, clock()).id, wl.id, None))
        if queue:
            outbox.enqueue(s, story.id, targets, clock())
        return story.id


def set_chat(factory, address: str, **values) -> None:
    with transaction(factory) as s:
        s.execute(update(Chat).where(Chat.address == address).values(**values))


def set_subscription(factory, address: str, **values) -> None:
    with transaction(factory) as s:
        chat_id = s.scalar(select(Chat.id).where(Chat.address == address))
        s.execute(update(Subscription).where(Subscription.chat_id == chat_id).values(**values))


def worker(factory, transport, clock, **kw) -> DeliveryWorker:
    return DeliveryWorker(factory, {"console": transport}, RetryPolicy(10, 60), clock=clock, zone=RIYADH, **kw)


def rows(factory) -> list[tuple]:
    with transaction(factory) as s:
        q = select(Delivery.kind, Delivery.state, Delivery.attempts, Delivery.next_attempt_at, Delivery.last_error,
                   Delivery.period).order_by(Delivery.id)
        return [tuple(r) for r in s.execute(q)]


def at_riyadh(hour: int, minute: int = 0, day: int = 13) -> datetime:
    return datetime(2025, 8, day, hour, minute, tzinfo=RIYADH).astimezone(UTC)


# --- pure rules ------------------------------------------------------------------------------


def test_quiet_window_wraps_midnight_in_the_chats_zone():
    night = (23 * 60, 7 * 60)
    assert quiet_until(*night, RIYADH, at_riyadh(22, 59)) is None
    assert quiet_until(*night, RIYADH, at_riyadh(23, 0)) == at_riyadh(7, 0, day=14)
    assert quiet_until(*night, RIYADH, at_riyadh(3, 0)) == at_riyadh(7, 0)
    assert quiet_until(*night, RIYADH, at_riyadh(7, 0)) is None
    assert quiet_until(13 * 60, 15 * 60, RIYADH, at_riyadh(14, 30)) == at_riyadh(15, 0)
    assert quiet_until(13 * 60, 15 * 60, RIYADH, at_riyadh(15, 30)) is None
    assert quiet_until(None, None, RIYADH, at_riyadh(3, 0)) is None and quiet_until(60, 60, RIYADH, at_riyadh(1)) is None
    # The same instant is quiet in one zone and not in another.
    ny = ZoneInfo("America/New_York")
    assert quiet_until(*night, ny, at_riyadh(10, 0)) is not None and quiet_until(*night, RIYADH, at_riyadh(10)) is None
    # A DST night: Berlin skips 02:00-03:00 on 2026-03-29; a window ending at 04:00 ends at 02:00 UTC.
    berlin = ZoneInfo("Europe/Berlin")
    assert quiet_until(60, 240, berlin, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == datetime(2026, 3, 29, 2, 0,
                                                                                                tzinfo=UTC)


def test_digest_periods_are_clock_hours_and_days_ending_at_the_digest_time():
    key, start, end = digests.period_of("hourly", None, RIYADH, at_riyadh(12, 30))
    assert (key, start, end) == ("hourly:2025-08-13T12", at_riyadh(12), at_riyadh(13))
    assert digests.period_bounds(key, RIYADH) == (start, end)
    key, start, end = digests.period_of("daily", None, RIYADH, at_riyadh(7, 59))
    assert (key, start, end) == ("daily:2025-08-13T08:00", at_riyadh(8, 0, day=12), at_riyadh(8))
    key, start, end = digests.period_of("daily", None, RIYADH, at_riyadh(8, 0))  # 08:00 opens the next day
    assert key == "daily:2025-08-14T08:00" and end == at_riyadh(8, day=14)
    key, start, end = digests.period_of("daily", 20 * 60, RIYADH, at_riyadh(21, 15))
    assert key == "daily:2025-08-14T20:00" and (start, end) == (at_riyadh(20), at_riyadh(20, day=14))
    assert digests.period_bounds(key, RIYADH) == (start, end)
    assert digests.period_bounds(key + "~2", RIYADH) == (start, end)  # a late digest of the same period
    assert digests.period_bounds("weekly:soon", RIYADH) is None


def test_a_short_summary_is_its_first_sentence():
    assert first_sentence(SUMMARY) == "أعلنت وزارة الصحة افتتاح مستشفى جديد في مدينة تبوك."
    assert first_sentence("د. محمد العلي يفتتح المستشفى. ثم يغادر.") == "د. محمد العلي يفتتح المستشفى."


# --- the worker --------------------------------------------------------------------------------


def test_digest_subscription_holds_the_alert_for_its_period(store):
    clock = Clock(at_riyadh(12, 30))
    add_story(store, clock, 1, ["console:a", "console:b"])
    set_subscription(store, "console:a", mode="hourly")
    t = Recording()
    report = asyncio.run(worker(store, t, clock).drain())
    assert (report.sent, report.held) == (1, 1) and [a.chat for a in t.sent] == ["console:b"]
    with transaction(store) as s:
        held = s.execute(select(Delivery.state, Delivery.period, Delivery.next_attempt_at, Delivery.attempts)
                         .where(Delivery.state == "held")).one()
    assert tuple(held) == ("held", "hourly:2025-08-13T12", at_riyadh(13), 0)
    clock.advance(3600 * 5)
    assert asyncio.run(worker(store, t, clock).drain()).sent == 0  # held rows are not claimed


def test_quiet_hours_hold_until_the_window_ends_without_a_failed_attempt(store):
    clock = Clock(at_riyadh(23, 30))
    add_story(store, clock, 1, ["console:a"])
    set_chat(store, "console:a", quiet_start=23 * 60, quiet_end=7 * 60, quiet_mode="hold")
    t = Recording()
    report = asyncio.run(worker(store, t, clock).drain())
    assert report.deferred == 1 and report.sent == 0 and report.retried == 0 and t.sent == []
    [(kind, state, attempts, due, error, _)] = rows(store)
    assert (state, attempts, due, error) == ("pending", 0, at_riyadh(7, day=14), None)
    clock.now = at_riyadh(6, 59, day=14)
    assert asyncio.run(worker(store, t, clock).drain()).sent == 0
    clock.now = at_riyadh(7, 0, day=14)
    assert asyncio.run(worker(store, t, clock).drain()).sent == 1
    assert t.sent[0].silent is False


def test_quiet_hours_silent_sends_without_sound_in_the_chats_own_zone(store):
    clock = Clock(at_riyadh(23, 30))  # 16:30 in New York
    add_story(store, clock, 1, ["console:riyadh", "console:ny"])
    for address in ("console:riyadh", "console:ny"):
        set_chat(store, address, quiet_start=23 * 60, quiet_end=7 * 60)  # quiet_mode defaults to silent
    set_chat(store, "console:ny", timezone="America/New_York")
    t = Recording()
    assert asyncio.run(worker(store, t, clock).drain()).sent == 2
    assert {a.chat: a.silent for a in t.sent} == {"console:riyadh": True, "console:ny": False}


def test_summary_length_short_sends_the_first_sentence(store):
    clock = Clock()
    add_story(store, clock, 1, ["console:short", "console:normal"])
    set_chat(store, "console:short", summary_length="short")
    t = Recording()
    asyncio.run(worker(store, t, clock).drain())
    by_chat = {a.chat: a.summary for a in t.sent}
    assert by_chat == {"console:short": first_sentence(SUMMARY), "console:normal": SUMMARY}


def test_muted_subscription_is_skipped_not_held(store):
    clock = Clock()
    add_story(store, clock, 1, ["console:a"])
    set_subscription(store, "console:a", mode="daily")
    with transaction(store) as s:
        chat = chats.ensure_chat(s, "console:a", clock())
        wl = watchlists.get_watchlist(s, "t")
        from storage.models import Mute

        s.add(Mute(chat_id=chat.id, watchlist_id=wl.id, until=clock() + timedelta(hours=1), created_at=clock()))
    report = asyncio.run(worker(store, Recording(), clock).drain())
    assert (report.skipped, report.held) == (1, 0)
    assert [r[1] for r in rows(store)] == ["skipped"]


def test_backlog_is_one_silent_archive_and_the_chat_still_had_the_stories(store):
    clock = Clock(at_riyadh(12))
    ids = []
    for n in range(5):
        ids.append(add_story(store, clock, n, [], queue=False))
        clock.advance(3600)
    with transaction(store) as s:
        row = watchlists.get_watchlist(s, "t")
        outcome = chat_topics.subscribe(s, "console:new", row, thread=None, language="ar", title=None,
                                        actor="test", now=clock(), backlog=3)
    assert outcome.changed and outcome.queued == 3
    t = Recording()
    assert asyncio.run(worker(store, t, clock).drain()).sent == 1
    [archive] = t.sent
    assert archive.kind == ARCHIVE and archive.silent is True
    assert [i.story_id for i in archive.items] == ids[-3:]  # the latest three, oldest first, with dates
    assert [i.published for i in archive.items] == sorted(i.published for i in archive.items)
    assert archive.period == (archive.items[0].published, archive.items[-1].published)
    assert all(i.summary == first_sentence(SUMMARY) and i.topic == "t" and i.url for i in archive.items)
    assert [(k, st) for k, st, *_ in rows(store)] == [("archive", "sent")] + [("alert", "bundled")] * 3
    # The stories never come again as alerts; an update of one still finds that the chat had it.
    with transaction(store) as s:
        chat_id = chats.ensure_chat(s, "console:new", clock()).id
        assert outbox.enqueue(s, ids[-1], [(chat_id, row.id, None)], clock()) == 0
        lead = s.scalar(select(Delivery.story_id).where(Delivery.kind == "archive"))
        assert lead == ids[-1]
        from storage.models import Story

        assert outbox.enqueue_update(s, ids[-1], s.get(Story, ids[-1]).lead_article_id, clock()) == 1
    assert asyncio.run(worker(store, t, clock).drain()).sent == 1
    assert t.sent[-1].kind == UPDATE and t.sent[-1].reply_to is None and t.sent[-1].silent is False


def test_backlog_the_chat_already_had_makes_no_archive(store):
    clock = Clock()
    story = add_story(store, clock, 1, ["console:a"])
    with transaction(store) as s:
        row = watchlists.get_watchlist(s, "t")
        chats.unsubscribe(s, "console:a", row.id)
        outcome = chat_topics.subscribe(s, "console:a", row, thread=None, language=None, title=None,
                                        actor="test", now=clock(), backlog=3)
    assert outcome.changed and outcome.queued == 0
    assert [(k, st) for k, st, *_ in rows(store)] == [(ALERT, "pending")]
    assert story
