"""`raqib outbox retry|status|list` re-queues and shows the delivery queue; /status shows how many
alerts wait and since when."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from sqlalchemy import select, update

from bot.app import App
from bot.cli.main import main
from bot.config import load_config
from handlers import router
from storage import chats, outbox
from storage.db import transaction
from storage.models import Chat, Delivery
from tests.conftest import Clock, write_config
from tests.telegram_support import caller
from tests.test_delivery import _story

FAR = datetime(2100, 1, 1, tzinfo=timezone.utc)


def _setup(tmp_path, db_url):
    path = write_config(tmp_path, db_url)
    app = App(load_config(path, env={}))
    app.bootstrap()
    clock = Clock()
    for n, address in enumerate(["console:waiting", "console:failed", "console:gone", "console:fresh"]):
        _story(app.factory, clock, n, [address])
    with transaction(app.factory) as s:
        ids = {c.address: c.id for c in s.scalars(select(Chat))}

        def set_row(address: str, **values) -> None:
            s.execute(update(Delivery).where(Delivery.chat_id == ids[address]).values(**values))

        set_row("console:waiting", attempts=6, next_attempt_at=FAR, last_error="network: connection refused")
        set_row("console:failed", state="failed", attempts=1, failed_at=clock(),
                last_error="gave up after 24 h; last error: network: connection refused")
        set_row("console:gone", state="dead", last_error="403 Forbidden: bot was blocked by the user")
        chats.deactivate_chat(s, ids["console:gone"], "403 Forbidden: bot was blocked by the user")
    return path, app


def _rows(app) -> dict[str, tuple[str, int, datetime, str | None]]:
    with transaction(app.factory) as s:
        q = select(Chat.address, Delivery.state, Delivery.attempts, Delivery.next_attempt_at, Delivery.last_error)
        return {a: (st, n, at, err) for a, st, n, at, err in s.execute(q.join(Chat, Chat.id == Delivery.chat_id))}


def test_retry_makes_waiting_alerts_due_and_failed_only_with_the_flag(tmp_path, db_url, capsys):
    path, app = _setup(tmp_path, db_url)
    try:
        assert main(["outbox", "retry", "--config", str(path)]) == 0
        assert "waiting, due now: 1 alert" in capsys.readouterr().out
        rows = _rows(app)
        assert rows["console:waiting"][0] == "pending" and rows["console:waiting"][2] < FAR
        assert rows["console:waiting"][3] is None  # its give-up age cannot fail it before it is tried
        assert rows["console:failed"][0] == "failed"

        assert main(["outbox", "retry", "--failed", "--config", str(path)]) == 0
        assert "waiting, due now: 0 alerts; failed, re-queued: 1 alert" in capsys.readouterr().out
        rows = _rows(app)
        assert rows["console:failed"][:2] == ("pending", 0) and rows["console:failed"][3] is None
        assert rows["console:gone"][0] == "dead"  # a gone chat's rows stay dead
        assert rows["console:fresh"][0] == "pending"
    finally:
        app.close()


def test_requeued_alerts_are_delivered(tmp_path, db_url):
    from bot.delivery.worker import DeliveryWorker, RetryPolicy
    from tests.test_delivery import Recorder

    path, app = _setup(tmp_path, db_url)
    try:
        assert main(["outbox", "retry", "--failed", "--config", str(path)]) == 0
        t = Recorder()
        asyncio.run(DeliveryWorker(app.factory, {"console": t}, RetryPolicy(5, 60)).drain())
        assert sorted(a.chat for a in t.sent) == ["console:failed", "console:fresh", "console:waiting"]
    finally:
        app.close()


def test_status_and_list(tmp_path, db_url, capsys):
    path, app = _setup(tmp_path, db_url)
    try:
        assert main(["outbox", "status", "--config", str(path)]) == 0
        out = capsys.readouterr().out
        assert "pending 2" in out and "failed 1" in out and "dead 1" in out
        assert "2 waiting since 2025-08-13T09:00:00+00:00, 1 retrying after errors" in out
        assert "last error: network: connection refused" in out
        assert main(["outbox", "list", "--config", str(path)]) == 0
        out = capsys.readouterr().out
        assert "console:waiting" in out and "console:failed" in out and "console:gone" not in out
        assert "tries 6" in out and "gave up after 24 h" in out
        assert main(["outbox", "list", "--state", "dead", "--config", str(path)]) == 0
        assert "bot was blocked" in capsys.readouterr().out
    finally:
        app.close()


def _status(services, language: str) -> str:
    """/status as an owner sees it, through the router (which establishes the caller's tier)."""
    owner = caller(1, owner=True, language=language)
    return asyncio.run(router.handle_command(services, owner, "status", "")).plain()


def test_slash_status_shows_how_many_wait_and_since_when(env):
    services, clock = env
    _story(services.factory, clock, 1, ["telegram:5", "telegram:6"])
    clock.advance(7200)
    _story(services.factory, clock, 2, ["telegram:5"])
    with transaction(services.factory) as s:
        s.execute(update(Delivery).where(Delivery.story_id == 1).values(last_error="network: connection refused",
                                                                          attempts=9))
    en = _status(services, "en")
    assert ("Delivery — waiting since 2025-08-13 12:00 +03: 3 alerts (retrying after errors: 2 alerts); "
            "failed: 0 alerts; sent: 0 alerts") in en
    assert "could not connect to the server" in en and "network: connection refused" not in en  # the log has it
    ar = _status(services, "ar")
    assert "التسليم — بانتظار الإرسال منذ 2025-08-13 12:00 +03: 3 تنبيهات (يُعاد بعد أخطاء: تنبيهان)" in ar
    assert "تعذر الاتصال بالخادم" in ar
    with transaction(services.factory) as s:
        s.execute(update(Delivery).values(state="sent"))
    en = _status(services, "en")
    assert "Delivery — pending: 0 alerts; failed: 0 alerts; sent: 3 alerts" in en


def test_the_notice_source_is_not_listed_among_sources(env):
    services, clock = env
    _story(services.factory, clock, 1, ["console:a"])
    with transaction(services.factory) as s:
        s.execute(update(Delivery).values(state="failed", failed_at=clock(), last_error="400"))
        assert outbox.queue_give_up_notice(s, ["console:owner"], clock(),
                                           lambda g: (f"{g.count}", "ملخص"), None) == 1
    en = _status(services, "en")
    assert outbox.NOTICE_SOURCE not in en and "files" in en
