"""End to end: the real PTB Application long-polls the fake Bot API; seeds go in, alerts come out."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import socket

import httpx
import pytest

from storage import articles, chats
from storage import watchlists as watchlist_store
from storage.db import transaction
from tests.conftest import SEEDS
from tests.fake_telegram import FakeTelegram
from tests.telegram_support import Harness, visible

ZPP_ARTICLE = (
    "<محطة> زابوريجيا & «الطاقة» النووية\n"
    "أعلنت الوكالة الدولية للطاقة الذرية أن محطة زابوريجيا النووية فقدت الاتصال بخط الكهرباء الخارجي "
    "للمرة العاشرة منذ بدء الحرب. وقال المدير العام للوكالة إن الوضع في المحطة هش للغاية. "
    "وأضاف أن فرق التفتيش التابعة للوكالة ستبقى في الموقع لمراقبة السلامة.\n"
)
KURSK_ARTICLE = (
    "معارك عنيفة قرب كورسك\n"
    "تواصلت المعارك العنيفة قرب مدينة كورسك الحدودية طوال ليل أمس. وأفادت تقارير ميدانية بأن القصف "
    "المدفعي استهدف عدة قرى في المنطقة. ولم ترد معلومات عن أعداد الضحايا حتى الآن.\n"
)
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
ALLOWED = re.compile(r"</?(b|i|code|a)( href=\"[^\"<>]*\")?>")


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


def _headlines(h: Harness) -> dict[str, str]:
    with transaction(h.app.factory) as s:
        return {r.url: r.headline for r in articles.list_stories(s, limit=100)}


def _subscriptions(h: Harness) -> list[tuple[str, str, str | None]]:
    with transaction(h.app.factory) as s:
        return [(r.chat, r.topic, r.thread_id) for r in chats.list_subscriptions(s)]


def test_button_subscription_then_seeds_then_escaped_alerts_in_that_chat(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            board = (await h.say("/topics", user_id=501))[-1]
            kursk = dict(board.buttons())["➕ كورسك"]  # issue 10: buttons name the watchlist by id
            assert kursk.startswith("sub:#")
            fake.press(board, kursk, user_id=501)
            assert await fake.until(lambda f: any(s.method == "editMessageText" for s in f.messages_to(501)))
            edited = [s for s in fake.messages_to(501) if s.method == "editMessageText"][-1]
            assert ("✖ كورسك", "un" + kursk) in edited.buttons()
            assert any(m == "answerCallbackQuery" for m, _ in fake.calls)
            assert _subscriptions(h) == [("telegram:501", "kursk", None)]

            await h.ingest(SEEDS)
            await h.deliver()
            alerts = fake.alerts()
            assert {a.chat_id for a in alerts} == {501}
            headlines = _headlines(h)
            assert len(alerts) == 3 and len({a.href or a.text for a in alerts}) == 3
            for alert in alerts:
                assert alert.parse_mode == "HTML" and alert.thread_id is None
                assert "<i>#kursk · كورسك</i>" in alert.text
                leftover = ALLOWED.sub("", alert.text)
                assert "<" not in leftover and ">" not in leftover
                url = re.search(r"<code>([^<]+)</code>", alert.text).group(1)
                headline = headlines[html.unescape(url)]
                # A file source's headline cannot link: it is followed by the path (issue 12 layout).
                assert f"{html.escape(headline, quote=False)}: <code>" in alert.text
                assert headline in visible(alert.text)
                assert re.search(r"<b>files</b> · \d{4}-\d\d-\d\d \d\d:\d\d \+03[\n ]", alert.text)
                assert [label for label, _ in alert.buttons()][0] == "لماذا؟"
            assert h.states() == {"sent": 3}

    asyncio.run(scenario())


def test_watch_is_refused_to_others_and_an_owners_new_term_alerts(tmp_path, db_url, fake):
    fake.admins[-300] = {503}

    async def scenario():
        async with Harness(tmp_path, db_url, fake, telegram="owners = [900]") as h:
            with transaction(h.app.factory) as s:
                before = len(watchlist_store.edits(s, "kursk"))
            private = await h.say("/watch add kursk زابوريجيا", user_id=502)
            assert "مالكو البوت" in visible(private[-1].text)  # issue 10: a global topic is the owners' to edit
            group = await h.say("/watch add kursk زابوريجيا", user_id=504, chat_id=-300, chat_type="supergroup")
            assert "للمشرفين فقط" in visible(group[-1].text)
            assert any(m == "getChatMember" and p["user_id"] == 504 for m, p in fake.calls)
            with transaction(h.app.factory) as s:
                assert len(watchlist_store.edits(s, "kursk")) == before
                assert "زابوريجيا" not in watchlist_store.get_watchlist(s, "kursk").rules["any"]

            await h.say("/watch new global:zpp محطة زابوريجيا", user_id=900)
            added = await h.say("/watch add zpp زابوريجيا", user_id=900)
            assert "أُضيف" in visible(added[-1].text)
            await h.say("/subscribe zpp", user_id=900)
            ok = await h.say("/subscribe zpp", user_id=503, chat_id=-300, chat_type="supergroup")
            assert "مشتركة" in visible(ok[-1].text) or "تم الاشتراك" in visible(ok[-1].text)

            article = tmp_path / "zpp.txt"
            article.write_text(ZPP_ARTICLE, encoding="utf-8")
            await h.ingest(article)
            await h.deliver()
            alerts = fake.alerts()
            assert sorted(a.chat_id for a in alerts) == [-300, 900]
            for alert in alerts:
                assert "<i>#zpp · محطة زابوريجيا</i>" in alert.text
                assert "&lt;محطة&gt; زابوريجيا &amp; «الطاقة» النووية: <code>" in alert.text  # escaped headline
            with transaction(h.app.factory) as s:
                actors = {e.actor for e in watchlist_store.edits(s, "zpp")}
            assert actors == {"telegram:user:900 (user900)"}

    asyncio.run(scenario())


def test_a_burst_of_429s_delays_but_every_alert_arrives_once(tmp_path, db_url, fake):
    chats_ = [201, 202, 203, 204, 205, 206]
    subs = "".join(f'[[subscriptions]]\nchat = "telegram:{c}"\ntopics = ["dprk-russia"]\n' for c in chats_)
    fake.inject("429", count=8, retry_after=1)

    async def scenario():
        async with Harness(tmp_path, db_url, fake, subscriptions=subs) as h:
            await h.ingest(SEEDS)
            await h.deliver(timeout=120)
            pairs = [(a.chat_id, a.text) for a in fake.alerts()]
            assert len(pairs) == 30 and len(set(pairs)) == 30
            assert {c for c, _ in pairs} == set(chats_)
            assert sum(1 for a in fake.attempts if a[2] == 429) == 8
            assert h.states() == {"sent": 30}

    asyncio.run(scenario())


def test_blocked_chat_stops_and_5xx_is_retried(tmp_path, db_url, fake):
    subs = "".join(f'[[subscriptions]]\nchat = "telegram:{c}"\ntopics = ["kursk"]\n' for c in (601, 602))
    fake.blocked.add(601)
    fake.inject("500", count=2, chat_id=602)

    async def scenario():
        async with Harness(tmp_path, db_url, fake, subscriptions=subs) as h:
            await h.ingest(SEEDS)
            await h.deliver()
            assert len([a for a in fake.alerts() if a.chat_id == 602]) == 3
            assert [a[2] for a in fake.attempts_to(601)] == [403]
            assert [a[2] for a in fake.attempts_to(602)].count(500) == 2
            fresh = tmp_path / "kursk.txt"
            fresh.write_text(KURSK_ARTICLE, encoding="utf-8")
            await h.ingest(fresh)
            await h.deliver()
            assert len([a for a in fake.alerts() if a.chat_id == 602]) == 4
            assert [a[2] for a in fake.attempts_to(601)] == [403]  # nothing more was tried
            with transaction(h.app.factory) as s:
                gone = chats.ensure_chat(s, "telegram:601", h.app.clock())
                assert not gone.active and "blocked" in gone.inactive_reason

    asyncio.run(scenario())


def test_migrated_group_keeps_receiving_under_its_new_id(tmp_path, db_url, fake):
    fake.admins[-700] = {701}

    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            await h.say("/subscribe kursk", user_id=701, chat_id=-700, chat_type="group")
            fake.migrated[-700] = -100700  # the group became a supergroup after subscribing
            await h.ingest(SEEDS)
            await h.deliver()
            assert len([a for a in fake.alerts() if a.chat_id == -100700]) == 3
            assert not [a for a in fake.alerts() if a.chat_id == -700]
            assert _subscriptions(h) == [("telegram:-100700", "kursk", None)]
            fresh = tmp_path / "kursk.txt"
            fresh.write_text(KURSK_ARTICLE, encoding="utf-8")
            before = len(fake.attempts_to(-700))
            await h.ingest(fresh)
            await h.deliver()
            assert len([a for a in fake.alerts() if a.chat_id == -100700]) == 4
            assert len(fake.attempts_to(-700)) == before

    asyncio.run(scenario())


def test_forum_thread_is_honoured_and_english_is_spoken(tmp_path, db_url, fake):
    fake.admins[-100800] = {801}

    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            reply = await h.say("/subscribe kursk", user_id=801, chat_id=-100800, chat_type="supergroup",
                                is_forum=True, thread_id=42, language_code="en")
            assert reply[-1].thread_id == 42
            assert "Subscribed to: كورسك" in visible(reply[-1].text) and "this thread" in visible(reply[-1].text)
            start = await h.say("/start", user_id=802, language_code="en-US")
            assert "/help" in visible(start[-1].text) and "raqib follows Arabic news" in visible(start[-1].text)
            await h.ingest(SEEDS)
            await h.deliver()
            alerts = [a for a in fake.alerts() if a.chat_id == -100800]
            assert len(alerts) == 3 and {a.thread_id for a in alerts} == {42}
            assert all("<b>files</b> · " in a.text for a in alerts)
            assert all(a.buttons()[0][0] == "Why?" for a in alerts)  # the subscriber's language
            assert _subscriptions(h) == [("telegram:-100800", "kursk", "42")]
            menus = fake.commands
            assert set(menus) == {None, "ar", "en"}
            assert {c["command"] for c in menus["en"]} >= {"start", "topics", "search"}  # everyone's
            admins = fake.scoped_commands[("all_chat_administrators", "en")]
            assert {c["command"] for c in admins} >= {"start", "topics", "subscribe", "watch", "status"}
            assert menus["en"][0]["description"] == "About the bot" and menus["ar"][0]["description"] == "التعريف بالبوت"

    asyncio.run(scenario())


def test_anonymous_admin_counts_only_as_the_group_itself(tmp_path, db_url, fake):
    group = {"id": -100900, "type": "supergroup", "title": "g"}
    channel = {"id": -100901, "type": "channel", "title": "c"}

    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            ok = await h.say("/subscribe kursk", user_id=1087968824, chat_id=-100900, chat_type="supergroup",
                             sender_chat=group)
            assert "تم الاشتراك" in visible(ok[-1].text)
            refused = await h.say("/subscribe dprk-russia", user_id=136817688, chat_id=-100900,
                                  chat_type="supergroup", sender_chat=channel)
            assert "مشرفو المجموعة" in visible(refused[-1].text)
            assert not any(m == "getChatMember" for m, _ in fake.calls)
            assert _subscriptions(h) == [("telegram:-100900", "kursk", None)]

    asyncio.run(scenario())


def test_refused_set_my_commands_is_a_warning_not_a_failure(tmp_path, db_url, fake, caplog):
    fake.refuse.add("setMyCommands")

    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            reply = await h.say("/help", user_id=11)
            assert "/search" in visible(reply[-1].text)

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    assert "setMyCommands (default, default) was refused" in caplog.text
    assert fake.token not in caplog.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_mode_takes_updates_with_the_secret_only(tmp_path, fake):
    port = _free_port()
    telegram = (f'mode = "webhook"\nwebhook_url = "https://bot.example/tg/hook"\n'
                f'webhook_listen = "127.0.0.1"\nwebhook_port = {port}\n')
    update = {"update_id": 1, "message": {
        "message_id": 5, "date": 0, "chat": {"id": 31, "type": "private", "first_name": "a"},
        "from": {"id": 31, "is_bot": False, "first_name": "a", "language_code": "en"},
        "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}

    async def scenario():
        h = Harness(tmp_path, f"sqlite:///{tmp_path / 'w.db'}", fake, telegram=telegram,
                    env={"RAQIB_TELEGRAM_WEBHOOK_SECRET": "hook-secret_1"})
        async with h:
            assert fake.webhook["url"] == "https://bot.example/tg/hook"
            assert fake.webhook["secret_token"] == "hook-secret_1"
            async with httpx.AsyncClient() as client:
                url = f"http://127.0.0.1:{port}/tg/hook"
                bad = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
                assert bad.status_code == 403
                good = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "hook-secret_1"})
                assert good.status_code == 200
            assert await fake.until(lambda f: f.messages_to(31))
            assert len(fake.messages_to(31)) == 1 and "/help" in visible(fake.messages_to(31)[0].text)

    asyncio.run(scenario())


def test_a_reply_with_a_photo_goes_out_as_sendphoto_with_an_escaped_caption(tmp_path, fake):
    from handlers.base import Reply

    async def scenario():
        async with Harness(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", fake) as h:
            chart = bytes(range(256)) * 4
            await h.bot.send_reply(51, "7", Reply(photo=chart).bold("خريطة <كورسك>").add(" & المحيط"))
            sent = fake.messages_to(51)
            assert [s.method for s in sent] == ["sendPhoto"]
            assert sent[0].photo_size == len(chart) and sent[0].thread_id == 7
            assert sent[0].text == "<b>خريطة &lt;كورسك&gt;</b> &amp; المحيط"

    asyncio.run(scenario())
