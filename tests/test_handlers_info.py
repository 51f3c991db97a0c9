"""/start, /help, /search, /timeline, /status, the throttle and the router."""

from __future__ import annotations

import asyncio
import dataclasses


from handlers import help as help_cmd
from handlers import router
from handlers.search import search
from handlers.status import status
from handlers.texts import AR, EN, language_for
from handlers.throttle import Throttle
from handlers.timeline import timeline
from storage import sources
from storage.db import transaction
from tests.telegram_support import add_story, caller



def test_every_text_exists_in_both_languages():
    assert set(AR) == set(EN)
    assert language_for("en") == language_for("en-GB") == "en"
    assert language_for("ar") == language_for(None) == language_for("fr") == "ar"


def test_start_greets_with_the_topic_board_and_help_lists_what_this_user_may_run(env):
    services, _ = env
    ar = asyncio.run(router.handle_command(services, caller(1), "start", ""))
    assert "رقيب يتابع" in ar.plain() and "kursk — كورسك" in ar.plain()
    assert "/watch" not in ar.plain() and len(ar.buttons) == 2  # the topics, with their buttons
    member = caller(2, chat="telegram:-5", chat_type="supergroup", language="en", group_admin=False)
    en = asyncio.run(router.handle_command(services, member, "help", ""))
    assert "Commands you can use here:" in en.plain() and "/search" in en.plain()
    assert "/watch" not in en.plain() and "/feed" not in en.plain() and "/subscribe" not in en.plain()
    assert all(span.style != "code" for span in en.spans)  # tappable /commands, not code
    admin = caller(3, chat="telegram:-5", chat_type="supergroup", language="en", group_admin=True)
    shown = asyncio.run(router.handle_command(services, admin, "help", "")).plain()
    assert "/watch new|add" in shown and "/feed list|status" in shown and "feed add" not in shown
    owner = asyncio.run(router.handle_command(services, caller(1, owner=True, language="en"), "help", "")).plain()
    assert "/feed add|remove|enable|list|status" in owner
    assert [name for name, _ in help_cmd.menu("en")][:3] == ["start", "help", "topics"]


def test_search_finds_stories_by_all_words_newest_first(env):
    services, clock = env
    add_story(services.factory, clock, 1, "kursk", "هجوم في كورسك", "قصف مدفعي.")
    add_story(services.factory, clock, 2, "kursk", "كورسك بعد الهجوم", "تقدم القوات.")
    add_story(services.factory, clock, 3, "dprk-russia", "رسالة كيم إلى بوتين", "تهنئة.")
    out = asyncio.run(search(services, caller(1), "كورسك الهجوم")).plain()
    assert out.index("كورسك بعد الهجوم") < out.index("هجوم في كورسك") and "كيم" not in out
    assert "لا قصص" in asyncio.run(search(services, caller(1), "زلزال")).plain()
    assert "/search" in asyncio.run(search(services, caller(1), "  ")).plain()
    assert "لا قصص" in asyncio.run(search(services, caller(1), "100%_")).plain()  # LIKE wildcards are literal


def test_timeline_is_oldest_first_and_names_unknown_topics(env):
    services, clock = env
    add_story(services.factory, clock, 5, "kursk", "الثاني")
    add_story(services.factory, clock, 1, "kursk", "الأول")
    out = asyncio.run(timeline(services, caller(1), "kursk")).plain()
    assert out.index("الأول") < out.index("الثاني") and "2025-08-13" in out
    assert "لا يوجد موضوع" in asyncio.run(timeline(services, caller(1), "mars")).plain()
    assert "لا قصص" in asyncio.run(timeline(services, caller(1), "dprk-russia")).plain()
    assert "kursk" in asyncio.run(timeline(services, caller(1), "")).plain()


def test_status_is_for_admins_and_shows_sources_and_outbox(env):
    services, clock = env
    member = caller(2, chat="telegram:-5", chat_type="supergroup", group_admin=False)
    assert "للمشرفين" in asyncio.run(router.handle_command(services, member, "status", "")).plain()
    with transaction(services.factory) as s:
        ok = sources.ensure_source(s, "okaz", "files", "/x", 60, clock())
        bad = sources.ensure_source(s, "broken", "files", "/y", 60, clock())
        sources.record_poll(s, ok.id, clock(), clock(), None)
        sources.record_poll(s, bad.id, clock(), clock(), "folder not found")
        sources.record_poll(s, bad.id, clock(), clock(), "folder not found")
    out = asyncio.run(status(services, caller(1, owner=True, language="en"), "")).plain()
    assert "okaz: last success 2025-08-13 12:00 +03, errors in a row: 0 errors" in out
    assert "broken: last success never, errors in a row: 2 errors — the address does not exist or is gone." in out
    assert "Delivery — pending: 0 alerts; failed: 0 alerts; sent: 0 alerts" in out


def test_throttle_allows_a_burst_warns_once_then_recovers():
    now = [0.0]
    throttle = Throttle(rate_per_minute=6, burst=2, clock=lambda: now[0])
    assert [throttle.allow("u") for _ in range(4)] == ["go", "go", "warn", "drop"]
    assert throttle.allow("other") == "go"
    now[0] += 10  # one command's worth of tokens refilled
    assert throttle.allow("u") == "go"
    assert throttle.allow("u") == "drop"  # the same flood: told once already (issue 14)
    now[0] += 20  # quiet until the bucket is full: a new flood gets a new notice
    assert [throttle.allow("u") for _ in range(3)] == ["go", "go", "warn"]


def test_router_throttles_per_user_and_ignores_unknown_commands(env):
    services, _ = env
    services.throttle = Throttle(rate_per_minute=1, burst=1, clock=lambda: 0.0)
    first = asyncio.run(router.handle_command(services, caller(1), "help", ""))
    assert "/search" in first.plain()
    told = asyncio.run(router.handle_command(services, caller(1), "help", ""))
    assert "كثيرة بسرعة" in told.plain()
    silent = asyncio.run(router.handle_command(services, caller(1), "help", ""))
    assert silent.plain() == ""
    pressed = asyncio.run(router.handle_callback(services, caller(1), "sub:kursk"))
    assert pressed.notice is None and pressed.spans == []  # already told: dropped, nothing done
    assert "No subscriptions" in asyncio.run(
        router.COMMANDS["mysubs"].handler(services, caller(1, language="en"), "")).plain()
    assert asyncio.run(router.handle_command(services, caller(2), "nosuch", "")) is None
    assert "انتهت" in asyncio.run(router.handle_callback(services, caller(3), "bogus")).notice


def test_a_failing_handler_answers_with_an_error_and_the_bot_lives_on(env, monkeypatch, caplog):
    services, _ = env

    async def boom(*_):
        raise RuntimeError("database on fire")

    monkeypatch.setitem(router.COMMANDS, "status", dataclasses.replace(router.COMMANDS["status"], handler=boom))
    reply = asyncio.run(router.handle_command(services, caller(1, language="en"), "status", ""))
    assert "Something went wrong" in reply.plain()
    assert "database on fire" in caplog.text


def test_status_shows_a_chat_admin_nothing_of_other_chats_deliveries(env):
    services, clock = env
    for n in range(2):
        add_story(services.factory, clock, n, "kursk")
    other = caller(8, chat="telegram:-200", chat_type="supergroup", group_admin=True, language="en")
    asyncio.run(router.handle_command(services, other, "subscribe", "kursk"))  # its backlog waits in the outbox
    with transaction(services.factory) as s:
        from sqlalchemy import update

        from storage.models import Delivery

        s.execute(update(Delivery).values(last_error="403 Forbidden: bot was kicked from the group chat «desk B»"))
    mine = caller(9, chat="telegram:-100", chat_type="supergroup", group_admin=True, language="en")
    seen = asyncio.run(router.handle_command(services, mine, "status", "")).plain()
    assert "pending: 0 alerts" in seen and "desk B" not in seen
    theirs = asyncio.run(router.handle_command(services, other, "status", "")).plain()
    # The two-story backlog waits as ONE archive message (issue 12), its alerts bundled into it.
    assert ": 1 alert (retrying" in theirs or "pending: 1 alert" in theirs
    owner = asyncio.run(router.handle_command(services, caller(1, owner=True, language="en"), "status", "")).plain()
    assert ": 1 alert (retrying" in owner or "pending: 1 alert" in owner
