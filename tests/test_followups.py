"""Issue 12, part 2: follow-ups of a known story through the real pipeline and the real worker.

Another outlet's report joins a story: the chat's alert is edited (coalesced: one edit per few
minutes, showing every outlet that joined), or, for an every-report subscription, the report is
sent as a reply to the alert. An update replies to the alert. Edits of alerts that never went out
are recorded as skipped, never sent.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

from sqlalchemy import select, update

from bot.delivery.alerts import EDIT, REPORT, UPDATE, Alert
from bot.app import App
from bot.delivery.worker import DeliveryWorker, RetryPolicy
from bot.pipeline import JOINED, NEW
from bot.sources.files import read_article_file
from bot.transports.base import Undeliverable
from storage import outbox, sources
from storage.db import transaction
from storage.models import Article, Chat, Delivery, Subscription
from tests.test_pipeline import app  # noqa: F401  (the pipeline tests' App on a fake clock)

OUTLETS = ["وكالة الأنباء الأولى", "صحيفة الخليج", "قناة المشرق", "موقع الرصد"]


class Recording:
    """A console transport recording every alert it sent or edited, with message ids it made up."""

    platform = "console"
    concurrency = 1

    def __init__(self, edit_fails: Exception | None = None) -> None:
        self.sent: list[Alert] = []
        self.edited: list[Alert] = []
        self.edit_fails = edit_fails
        self._lock = threading.Lock()

    async def send(self, alert: Alert) -> str:
        assert alert.kind != EDIT, "an edit must go through edit()"
        with self._lock:
            self.sent.append(alert)
            return f"m{len(self.sent)}"

    async def edit(self, alert: Alert) -> str:
        if self.edit_fails is not None:
            raise self.edit_fails
        with self._lock:
            self.edited.append(alert)
        assert alert.edit_of is not None
        return alert.edit_of


def _outlet(app: App, name: str) -> int:
    with transaction(app.factory) as s:
        return sources.ensure_source(s, name, "files", "-", 0, app.clock()).id


def _drain(app: App, transport: Recording, **kw) -> object:
    worker = DeliveryWorker(app.factory, {"console": transport}, RetryPolicy(1, 2), clock=app.clock, **kw)
    return asyncio.run(worker.drain())


def _variant(article, n: int):
    """The same report from another outlet: other URL and title, its last n paragraphs cut."""
    paragraphs = article.body.split("\n")
    return replace(article, url=f"https://outlet{n}.example/report", guid=None, title=f"الخبر نفسه برواية {n}",
                   body="\n".join(paragraphs[:-n]))


def _join(app: App, outlet: str, article, n: int) -> tuple[int, int]:
    """Another outlet's report joins the story through the pipeline, which queues its follow-ups
    (edits, or every-report rows) in the same transaction."""
    outcome = app.pipeline.process(_outlet(app, outlet), _variant(article, n))
    assert outcome.status == JOINED, outcome
    with transaction(app.factory) as s:
        article_id = s.scalar(select(Article.id).where(Article.url == f"https://outlet{n}.example/report"))
    return article_id, outcome.queued


def _rows(app: App, kind: str) -> list[tuple[str, str]]:
    with transaction(app.factory) as s:
        q = (select(Chat.address, Delivery.state).join(Chat, Chat.id == Delivery.chat_id)
             .where(Delivery.kind == kind).order_by(Chat.address, Delivery.id))
        return [tuple(r) for r in s.execute(q)]


def _every(app: App, address: str) -> None:
    with transaction(app.factory) as s:
        chat_id = s.scalar(select(Chat.id).where(Chat.address == address))
        s.execute(update(Subscription).where(Subscription.chat_id == chat_id).values(reports="every"))


def test_three_joins_in_two_minutes_make_one_edit_showing_three_outlets(app, seed_files):
    seed = read_article_file(seed_files[2])  # matches both desks' topics
    first = app.pipeline.process(_outlet(app, OUTLETS[0]), seed)
    assert first.status == NEW and first.queued == 2
    t = Recording()
    assert _drain(app, t).sent == 2
    alert_ids = {a.chat: f"m{i + 1}" for i, a in enumerate(t.sent)}
    assert all(a.also == () and a.source_count == 1 for a in t.sent)

    queued = []
    for n, outlet in enumerate(OUTLETS[1:], start=1):  # 0 s, 50 s, 100 s
        queued.append(_join(app, outlet, seed, n)[1])
        app.test_clock.advance(50)
    assert queued == [2, 0, 0]  # one pending edit per chat: the later joins coalesce into it
    assert _rows(app, "edit") == [("console:korea-desk", "pending"), ("console:kursk-desk", "pending")]
    assert _drain(app, t).sent == 0 and t.edited == []  # 150 s: not due before the coalescing window
    app.test_clock.advance(31)
    report = _drain(app, t)
    assert report.sent == 2 and len(t.sent) == 2
    assert sorted(a.chat for a in t.edited) == ["console:korea-desk", "console:kursk-desk"]
    for edit in t.edited:
        assert edit.kind == EDIT and edit.edit_of == alert_ids[edit.chat]
        assert edit.also == tuple(OUTLETS[1:])  # in the order they reported it, the first outlet excluded
        assert edit.source_count == 4 and edit.headline == seed.title and edit.story_id == first.story_id
    assert _rows(app, "edit") == [("console:korea-desk", "sent"), ("console:kursk-desk", "sent")]
    # A later join makes a new edit, again no sooner than the window.
    _join(app, "قناة خامسة", seed, 4)
    assert _drain(app, t).sent == 0
    app.test_clock.advance(181)
    assert _drain(app, t).sent == 2 and all(len(e.also) == 4 for e in t.edited[2:])


def test_every_report_subscription_gets_each_report_as_a_reply(app, seed_files):
    seed = read_article_file(seed_files[2])
    first = app.pipeline.process(_outlet(app, OUTLETS[0]), seed)
    _every(app, "console:kursk-desk")
    t = Recording()
    _drain(app, t)
    kursk_alert = next(f"m{i + 1}" for i, a in enumerate(t.sent) if a.chat == "console:kursk-desk")
    article_id, queued = _join(app, OUTLETS[1], seed, 1)
    assert queued == 2  # korea-desk: an edit (due later); kursk-desk: the report, due now
    assert _join(app, OUTLETS[2], seed, 2)[1] == 1  # korea-desk's edit waits already
    with transaction(app.factory) as s:  # idempotent per chat, story and article
        assert outbox.enqueue_followups(s, first.story_id, article_id, app.clock(), 180) == 0
    assert _drain(app, t).sent == 2
    reports = [a for a in t.sent if a.kind == REPORT]
    assert [a.chat for a in reports] == ["console:kursk-desk"] * 2
    assert all(a.reply_to == kursk_alert and not a.update for a in reports)
    assert [a.url for a in reports] == ["https://outlet1.example/report", "https://outlet2.example/report"]
    # Drawn when sent: every other outlet carrying the story by then, its own one excluded.
    assert reports[0].source == OUTLETS[1] and reports[0].also == (OUTLETS[0], OUTLETS[2])
    assert reports[1].source == OUTLETS[2] and reports[1].also == (OUTLETS[0], OUTLETS[1])
    assert reports[0].headline == "الخبر نفسه برواية 1"
    assert _rows(app, "edit") == [("console:korea-desk", "pending")]


def test_update_replies_to_the_alert_and_waits_for_it(app, seed_files):
    seed = read_article_file(seed_files[2])
    first = app.pipeline.process(_outlet(app, OUTLETS[0]), seed)
    article_id, _ = _join(app, OUTLETS[1], seed, 1)
    with transaction(app.factory) as s:  # an update of an alert still pending: it must wait for it
        assert outbox.enqueue_update(s, first.story_id, article_id, app.clock()) == 2
        claimed = outbox.claim(s, ["console"], "w", app.clock(), 60, 10)
        assert {j.kind for j in claimed} == {"alert"}
        outbox.release(s, "w")
    t = Recording()
    assert _drain(app, t).sent == 4  # the alerts, then (next round) the updates
    kinds = [(a.chat, a.kind) for a in t.sent]
    assert all(kinds.index((c, "alert")) < kinds.index((c, UPDATE)) for c, _ in kinds)
    alerts = {a.chat: f"m{i + 1}" for i, a in enumerate(t.sent) if a.kind == "alert"}
    updates = [a for a in t.sent if a.kind == UPDATE]
    assert sorted(a.chat for a in updates) == ["console:korea-desk", "console:kursk-desk"]
    assert all(a.update and a.reply_to == alerts[a.chat] for a in updates)


def test_edits_of_alerts_that_never_went_out_are_skipped_with_the_reason(app, seed_files):
    seed = read_article_file(seed_files[2])
    app.pipeline.process(_outlet(app, OUTLETS[0]), seed)
    _join(app, OUTLETS[1], seed, 1)  # both alerts still pending: the edits are queued behind them
    with transaction(app.factory) as s:
        korea = s.scalar(select(Chat.id).where(Chat.address == "console:korea-desk"))
        s.execute(update(Delivery).where(Delivery.chat_id == korea, Delivery.kind == "alert")
                  .values(state="failed", last_error="400"))
    t = Recording()
    app.test_clock.advance(200)
    _drain(app, t)
    assert [a.chat for a in t.sent] == ["console:kursk-desk"] and [a.chat for a in t.edited] == ["console:kursk-desk"]
    with transaction(app.factory) as s:
        state, error = s.execute(select(Delivery.state, Delivery.last_error)
                                 .where(Delivery.chat_id == korea, Delivery.kind == "edit")).one()
    assert state == "skipped" and "given up" in error


def test_an_edit_whose_message_is_gone_is_skipped_not_given_up(app, seed_files):
    seed = read_article_file(seed_files[2])
    app.pipeline.process(_outlet(app, OUTLETS[0]), seed)
    _drain(app, Recording())
    _join(app, OUTLETS[1], seed, 1)
    app.test_clock.advance(200)
    report = _drain(app, Recording(edit_fails=Undeliverable("400 message to edit not found")), owners=["console:owner"])
    assert report.skipped == 2 and report.failed == 0
    assert _rows(app, "edit") == [("console:korea-desk", "skipped"), ("console:kursk-desk", "skipped")]
    assert _rows(app, "alert") == [("console:korea-desk", "sent"), ("console:kursk-desk", "sent")]  # no notice


def test_muted_or_held_alerts_get_no_edit_rows(app, seed_files):
    seed = read_article_file(seed_files[2])
    app.pipeline.process(_outlet(app, OUTLETS[0]), seed)
    with transaction(app.factory) as s:
        s.execute(update(Delivery).values(state="skipped"))
    assert _join(app, OUTLETS[1], seed, 1)[1] == 0


def test_an_outlets_second_copy_changes_nothing_and_is_not_followed_up(app, seed_files):
    seed = read_article_file(seed_files[2])
    app.pipeline.process(_outlet(app, OUTLETS[0]), seed)
    _every(app, "console:kursk-desk")
    _drain(app, Recording())
    assert _join(app, OUTLETS[1], seed, 1)[1] == 2
    assert _join(app, OUTLETS[1], seed, 2)[1] == 0  # the same outlet again: no edit, no report
    assert _join(app, OUTLETS[0], seed, 3)[1] == 0  # the first outlet's own copy neither
