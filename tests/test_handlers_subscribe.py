"""/topics, /subscribe, /unsubscribe, /mysubs and their buttons, without any chat platform."""

from __future__ import annotations

import asyncio


from handlers import router
from handlers import subscribe as sub
from storage import chats
from storage.db import transaction
from tests.telegram_support import Clock, add_story, caller, make_services, queued



def cmd(services, who, name, args=""):
    """Through the router, as every platform calls it: the tier is checked there."""
    return asyncio.run(router.handle_command(services, who, name, args))


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
    refused = cmd(services, member, "subscribe", "kursk")
    assert "مشرفو المجموعة" in refused.plain()
    assert member._checks  # the platform was asked
    assert _subs(services, "telegram:-100") == []
    admin = caller(8, chat="telegram:-100", chat_type="supergroup", group_admin=True)
    cmd(services, admin, "subscribe", "kursk")
    assert _subs(services, "telegram:-100") == [("kursk", None)]
    assert "مشرفو" in cmd(services, member, "unsubscribe", "kursk").plain()
    owner = caller(9, chat="telegram:-100", chat_type="supergroup", owner=True)
    cmd(services, owner, "unsubscribe", "kursk")
    assert _subs(services, "telegram:-100") == []


def test_everyone_commands_never_ask_the_platform_who_is_admin(env):
    services, _ = env
    member = caller(7, chat="telegram:-100", chat_type="supergroup", group_admin=False)
    cmd(services, member, "search", "كورسك")
    cmd(services, member, "timeline", "kursk")
    assert not member._checks  # a getChatMember per /search would be a request wasted


def test_forum_subscription_remembers_its_thread(env):
    services, clock = env
    story = add_story(services.factory, clock, 1, "kursk")
    admin = caller(8, chat="telegram:-1009", chat_type="supergroup", group_admin=True, thread="42")
    reply = asyncio.run(sub.subscribe(services, admin, "kursk"))
    assert "هذا الموضوع من المجموعة" in reply.plain()
    assert _subs(services, "telegram:-1009") == [("kursk", "42")]
    # One archive row (the backlog, issue 12), with the story's alert bundled into it, in the thread.
    assert queued(services.factory, "telegram:-1009") == [(story, "pending", "42"), (story, "bundled", "42")]


def test_new_subscription_gets_only_the_latest_backlog_oldest_first(env):
    services, clock = env
    ids = [add_story(services.factory, clock, n, "kursk") for n in range(6)]
    add_story(services.factory, clock, 10, "dprk-russia")  # another topic: not part of the backlog
    reply = asyncio.run(sub.subscribe(services, caller(5), "kursk"))
    assert "آخر قصص هذا الموضوع (3 قصص)" in reply.plain()  # number agreement (issue 14)
    rows = queued(services.factory, "telegram:5")  # one archive row listing them (issue 12)
    assert [r[0] for r in rows if r[1] == "bundled"] == ids[-3:]
    assert [r[:2] for r in rows if r[1] != "bundled"] == [(ids[-1], "pending")]
    # Unsubscribing and subscribing again does not resend what the chat already has.
    asyncio.run(sub.unsubscribe(services, caller(5), "kursk"))
    reply = asyncio.run(sub.subscribe(services, caller(5), "kursk"))
    assert "آخر" not in reply.plain()
    assert len(queued(services.factory, "telegram:5")) == 4


def test_backlog_zero_sends_nothing_old(db_url):
    clock = Clock()
    services, engine = make_services(db_url, clock, backlog=0)
    add_story(services.factory, clock, 1, "kursk")
    asyncio.run(sub.subscribe(services, caller(5), "kursk"))
    assert queued(services.factory, "telegram:5") == []
    engine.dispose()


def _ids(services, *slugs):
    from storage import watchlists

    with transaction(services.factory) as s:
        return [watchlists.get_watchlist(s, slug).id for slug in slugs]


def test_topics_board_has_a_toggle_button_per_topic(env):
    services, _ = env
    me = caller(5, language="en")
    dprk, kursk = _ids(services, "dprk-russia", "kursk")
    board = cmd(services, me, "topics")
    assert [b.data for row in board.buttons for b in row] == [f"sub:#{dprk}", f"sub:#{kursk}"]
    pressed = asyncio.run(router.handle_callback(services, me, f"sub:#{kursk}"))
    assert pressed.edit and "Subscribed to: كورسك" in pressed.notice
    assert [b.data for row in pressed.buttons for b in row] == [f"sub:#{dprk}", f"unsub:#{kursk}"]
    assert _subs(services, "telegram:5") == [("kursk", None)]
    mine = cmd(services, me, "mysubs")
    assert "kursk" in mine.plain() and [b.data for row in mine.buttons for b in row] == [f"unsub:#{kursk}"]
    asyncio.run(router.handle_callback(services, me, f"unsub:#{kursk}"))
    assert "No subscriptions" in cmd(services, me, "mysubs").plain()
    # a button of a slug (sent before buttons carried ids) still works
    asyncio.run(router.handle_callback(services, me, "sub:kursk"))
    assert _subs(services, "telegram:5") == [("kursk", None)]


def test_a_members_board_has_no_buttons_and_shows_no_other_chats_topics(env):
    services, _ = env
    admin_a = caller(8, chat="telegram:-100", chat_type="supergroup", group_admin=True)
    cmd(services, admin_a, "watch", "new elections الانتخابات")
    member_a = caller(7, chat="telegram:-100", chat_type="supergroup", group_admin=False)
    board = cmd(services, member_a, "topics")
    assert "elections" in board.plain() and board.buttons == []
    admin_b = caller(9, chat="telegram:-200", chat_type="supergroup", group_admin=True)
    assert "elections" not in cmd(services, admin_b, "topics").plain()
    assert "لا يوجد موضوع" in cmd(services, admin_b, "subscribe", "elections").plain()
    (elections,) = [b.data for row in cmd(services, admin_a, "topics").buttons for b in row if "كوريا" not in b.label
                    and "كورسك" not in b.label]
    pressed = asyncio.run(router.handle_callback(services, admin_b, elections))  # another chat's button data
    assert "لا يوجد موضوع" in pressed.notice and _subs(services, "telegram:-200") == []


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


def test_subscription_changes_are_audited_with_who_where_and_when(env):
    from storage import audit

    services, clock = env
    admin = caller(8, chat="telegram:-100", chat_type="supergroup", group_admin=True)
    cmd(services, admin, "subscribe", "kursk")
    cmd(services, admin, "subscribe", "kursk")  # no change, no row
    cmd(services, admin, "unsubscribe", "kursk")
    with transaction(services.factory) as s:
        rows = audit.latest(s, kind="subscription")
    assert [(r.action, r.target, r.actor, r.chat) for r in rows] == [
        ("unsubscribe", "telegram:-100 → global/kursk", "telegram:user:8 (tester)", "telegram:-100"),
        ("subscribe", "telegram:-100 → global/kursk", "telegram:user:8 (tester)", "telegram:-100"),
    ]
    assert rows[0].at == clock()


def test_where_a_chats_slug_equals_a_global_one_replies_say_which(env):
    services, _ = env
    admin = caller(8, chat="telegram:-100", chat_type="supergroup", group_admin=True)
    cmd(services, admin, "watch", "new kursk كورسك عندنا")
    board = cmd(services, admin, "topics").plain()
    assert "• kursk — كورسك عندنا (خاص بهذه المحادثة)" in board
    assert "• global:kursk — كورسك (عام)" in board
    own = cmd(services, admin, "subscribe", "kursk").plain()
    assert "كورسك عندنا (خاص بهذه المحادثة)" in own
    shared = cmd(services, admin, "subscribe", "global:kursk").plain()
    assert "تم الاشتراك في: كورسك (عام)" in shared
    mine = cmd(services, admin, "mysubs").plain()
    assert "(عام)" in mine and "(خاص بهذه المحادثة)" in mine
    # another group sees only the global one, without any qualifier
    other = caller(9, chat="telegram:-200", chat_type="supergroup", group_admin=True)
    assert "عندنا" not in cmd(services, other, "topics").plain()
    assert "تم الاشتراك في: كورسك" == cmd(services, other, "subscribe", "kursk").plain()


def test_subscription_changes_from_the_command_line_are_audited_too(tmp_path, db_url):
    from bot.cli.main import main
    from storage import audit
    from storage.db import make_engine, session_factory
    from tests.conftest import write_config

    config = str(write_config(tmp_path, db_url, subscriptions=""))
    assert main(["subscriptions", "add", "telegram:-1001", "kursk", "--config", config]) == 0
    assert main(["subscriptions", "remove", "telegram:-1001", "kursk", "--config", config]) == 0
    engine = make_engine(db_url)
    try:
        with transaction(session_factory(engine)) as s:
            rows = audit.latest(s, kind="subscription")
        assert [(r.action, r.target, r.actor) for r in rows] == [
            ("unsubscribe", "telegram:-1001 → global/kursk", "cli"),
            ("subscribe", "telegram:-1001 → global/kursk", "cli"),
        ]
    finally:
        engine.dispose()
