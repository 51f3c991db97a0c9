"""/topics, /subscribe, /unsubscribe, /mysubs and their buttons, without any chat platform."""

from __future__ import annotations

import asyncio


from handlers import router
from handlers import subscribe as sub
from storage import chats
from storage.db import transaction
from tests.telegram_support import Clock, add_story, caller, make_services, queued



def _subs(services, address):
    with transaction(services.factory) as s:
        return [(r.topic, r.thread_id) for r in chats.list_subscriptions(s, address)]


def test_subscribe_then_again_then_unsubscribe(env):
    services, _ = env
    me = caller(5)
    reply = asyncio.run(sub.subscribe(services, me, "kursk"))
    assert "تم الاشتراك" in reply.plain() and "كورسك" in reply.plain()
    assert _subs(services, "telegram:5") == [("kursk", None)]
    again = asyncio.run(sub.subscribe(services, me, "KURSK"))
    assert "مشتركة أصلًا" in again.plain()
    assert "تم إلغاء" in asyncio.run(sub.unsubscribe(services, me, "kursk")).plain()
    assert _subs(services, "telegram:5") == []
    assert "غير مشتركة" in asyncio.run(sub.unsubscribe(services, me, "kursk")).plain()


def test_unknown_topic_and_missing_argument_store_nothing(env):
    services, _ = env
    me = caller(5, language="en")
    reply = asyncio.run(sub.subscribe(services, me, "no-such"))
    assert "no topic “no-such”" in reply.plain() and "dprk-russia" in reply.plain() and "kursk" in reply.plain()
    assert "/subscribe <topic>" in asyncio.run(sub.subscribe(services, me, "  ")).plain()
    assert "/unsubscribe <topic>" in asyncio.run(sub.unsubscribe(services, me, "")).plain()
    assert _subs(services, "telegram:5") == []


def test_in_a_group_only_admins_change_subscriptions(env):
    services, _ = env
    member = caller(7, chat="telegram:-100", chat_type="supergroup", group_admin=False)
    refused = asyncio.run(sub.subscribe(services, member, "kursk"))
    assert "مشرفو المجموعة" in refused.plain()
    assert member._checks  # the platform was asked
    assert _subs(services, "telegram:-100") == []
    admin = caller(8, chat="telegram:-100", chat_type="supergroup", group_admin=True)
    asyncio.run(sub.subscribe(services, admin, "kursk"))
    assert _subs(services, "telegram:-100") == [("kursk", None)]
    assert "مشرفو" in asyncio.run(sub.unsubscribe(services, member, "kursk")).plain()
    owner = caller(9, chat="telegram:-100", chat_type="supergroup", owner=True)
    asyncio.run(sub.unsubscribe(services, owner, "kursk"))
    assert _subs(services, "telegram:-100") == []


def test_forum_subscription_remembers_its_thread(env):
    services, clock = env
    story = add_story(services.factory, clock, 1, "kursk")
    admin = caller(8, chat="telegram:-1009", chat_type="supergroup", group_admin=True, thread="42")
    reply = asyncio.run(sub.subscribe(services, admin, "kursk"))
    assert "هذا الموضوع من المجموعة" in reply.plain()
    assert _subs(services, "telegram:-1009") == [("kursk", "42")]
    assert queued(services.factory, "telegram:-1009") == [(story, "pending", "42")]


def test_new_subscription_gets_only_the_latest_backlog_oldest_first(env):
    services, clock = env
    ids = [add_story(services.factory, clock, n, "kursk") for n in range(6)]
    add_story(services.factory, clock, 10, "dprk-russia")  # another topic: not part of the backlog
    reply = asyncio.run(sub.subscribe(services, caller(5), "kursk"))
    assert "آخر 3" in reply.plain()
    assert [r[0] for r in queued(services.factory, "telegram:5")] == ids[-3:]
    # Unsubscribing and subscribing again does not resend what the chat already has.
    asyncio.run(sub.unsubscribe(services, caller(5), "kursk"))
    reply = asyncio.run(sub.subscribe(services, caller(5), "kursk"))
    assert "آخر" not in reply.plain()
    assert len(queued(services.factory, "telegram:5")) == 3


def test_backlog_zero_sends_nothing_old(db_url):
    clock = Clock()
    services, engine = make_services(db_url, clock, backlog=0)
    add_story(services.factory, clock, 1, "kursk")
    asyncio.run(sub.subscribe(services, caller(5), "kursk"))
    assert queued(services.factory, "telegram:5") == []
    engine.dispose()


def test_topics_board_has_a_toggle_button_per_topic(env):
    services, _ = env
    me = caller(5, language="en")
    board = asyncio.run(sub.topics(services, me))
    assert [b.data for row in board.buttons for b in row] == ["sub:dprk-russia", "sub:kursk"]
    pressed = asyncio.run(router.handle_callback(services, me, "sub:kursk"))
    assert pressed.edit and "Subscribed to: كورسك" in pressed.notice
    assert [b.data for row in pressed.buttons for b in row] == ["sub:dprk-russia", "unsub:kursk"]
    assert _subs(services, "telegram:5") == [("kursk", None)]
    mine = asyncio.run(sub.mysubs(services, me))
    assert "kursk" in mine.plain() and [b.data for row in mine.buttons for b in row] == ["unsub:kursk"]
    asyncio.run(router.handle_callback(services, me, "unsub:kursk"))
    assert "No subscriptions" in asyncio.run(sub.mysubs(services, me)).plain()


def test_a_members_button_press_is_refused_with_a_notice_only(env):
    services, _ = env
    member = caller(7, chat="telegram:-100", chat_type="group", group_admin=False)
    reply = asyncio.run(router.handle_callback(services, member, "sub:kursk"))
    assert reply.spans == [] and "مشرفو المجموعة" in reply.notice
    assert _subs(services, "telegram:-100") == []


def test_subscribing_revives_a_chat_that_had_blocked_the_bot(env):
    services, clock = env
    asyncio.run(sub.subscribe(services, caller(5), "kursk"))
    with transaction(services.factory) as s:
        chat = chats.ensure_chat(s, "telegram:5", clock())
        chats.deactivate_chat(s, chat.id, "403 blocked")
    asyncio.run(sub.subscribe(services, caller(5), "dprk-russia"))
    with transaction(services.factory) as s:
        chat = chats.ensure_chat(s, "telegram:5", clock())
        assert chat.active and chat.language == "ar"
