"""The buttons under an alert, end to end through the fake Bot API (issue 12, parts 4 and 5):
«لماذا؟» answers with the rule and terms, «قصص ذات صلة» runs a search, «كتم ساعة» makes the
topic's next alert a recorded skip (shown in /mysubs) until the mute ends, «إلغاء الاشتراك»
unsubscribes; mute and unsubscribe ask the tier /unsubscribe asks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.router import handle_callback
from handlers.texts import t
from storage import chat_topics, mutes
from storage import watchlists as watchlist_store
from storage.db import transaction
from storage.models import Chat, Delivery
from tests.conftest import SEEDS
from tests.fake_telegram import FakeTelegram
from tests.telegram_support import Harness, caller, make_services, visible

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

# The seeds that match «كورسك» (each is also a dprk-russia story), in the order they are ingested.
KURSK_SEEDS = ("000_c3565df5185bbf54.txt", "002_00b06d22c5d2f91c.txt", "004_395fba7793f6db4e.txt")


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


def _answers(fake: FakeTelegram) -> list[dict]:
    with fake.cond:
        return [p for m, p in fake.calls if m == "answerCallbackQuery"]


async def _press(h: Harness, sent, label: str, user_id: int, chat_id: int, message: bool = False):
    """Press the button called ``label`` under ``sent``; (the callback answer, new messages),
    waiting for a reply message too when ``message``."""
    data = dict(sent.buttons())[label]
    answered, before = len(_answers(h.fake)), len(h.fake.messages_to(chat_id))
    h.fake.press(sent, data, user_id=user_id)
    assert await h.fake.until(lambda f: len(_answers(f)) > answered), f"no answer to {data!r}"
    if message:
        assert await h.fake.until(lambda f: len(f.messages_to(chat_id)) > before), f"no reply to {data!r}"
    return _answers(h.fake)[-1], h.fake.messages_to(chat_id)[before:]


def _rows(h: Harness, address: str) -> list[tuple[str, str | None]]:
    with transaction(h.app.factory) as s:
        q = (select(Delivery.state, Delivery.last_error).join(Chat, Chat.id == Delivery.chat_id)
             .where(Chat.address == address).order_by(Delivery.id))
        return [tuple(r) for r in s.execute(q)]  # type: ignore[misc]


def test_alert_buttons_explain_search_mute_and_unsubscribe(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            await h.say("/subscribe kursk", user_id=501)
            await h.say("/subscribe dprk-russia", user_id=502)
            await h.ingest(SEEDS / KURSK_SEEDS[0])
            await h.deliver()
            (alert,) = [a for a in fake.alerts() if a.chat_id == 501]
            text = visible(alert.text)
            assert "الكلمات المطابقة" not in text and "الرابط" not in text  # terms only behind «لماذا؟»
            assert [label for label, _ in alert.buttons()] == [
                "لماذا؟", "قصص ذات صلة", "🔕 كتم ساعة", "🔕 كتم يوم", "إلغاء الاشتراك"]
            assert all(len(data.encode()) <= 64 for _, data in alert.buttons())

            # «لماذا؟»: the rule and the matched terms, for everyone.
            _, why = await _press(h, alert, "لماذا؟", 501, 501, message=True)
            assert len(why) == 1
            answer = visible(why[0].text)
            assert "لماذا وصلك هذا التنبيه؟" in answer and "أي منها: كورسك" in answer
            (korea,) = [a for a in fake.alerts() if a.chat_id == 502]
            _, why = await _press(h, korea, "لماذا؟", 502, 502, message=True)
            answer = visible(why[0].text)
            assert "القاعدة 1: " in answer and "القاعدة 2: " in answer  # both all-groups, numbered

            # «قصص ذات صلة»: a search by the story's subject finds the story itself at least.
            _, found = await _press(h, alert, "قصص ذات صلة", 501, 501, message=True)
            assert "قصص ذات صلة" in visible(found[0].text)
            first_line = text.split("\n")[1]
            assert first_line.split(":")[0].strip() in visible(found[0].text)

            # «كتم ساعة»: the next kursk alert of this chat is recorded as skipped, not sent.
            notice, _ = await _press(h, alert, "🔕 كتم ساعة", 501, 501)
            assert notice["text"].startswith("كُتم «كورسك» حتى ")
            sent_before = len(fake.messages_to(501, "sendMessage"))
            await h.ingest(SEEDS / KURSK_SEEDS[1])
            await h.deliver()
            assert len(fake.messages_to(501, "sendMessage")) == sent_before
            assert [a.chat_id for a in fake.alerts()].count(502) == 2  # the other chat still gets it
            skipped = _rows(h, "telegram:501")[-1]
            assert skipped[0] == "skipped" and skipped[1].startswith("muted until ")
            assert h.states().get("skipped") == 1
            mysubs = visible((await h.say("/mysubs", user_id=501))[-1].text)
            assert "مكتوم حتى" in mysubs

            # The mute ends (set in the past): alerts flow again, and /mysubs no longer says muted.
            with transaction(h.app.factory) as s:
                kursk = watchlist_store.get_watchlist(s, "kursk")
                past = h.app.clock() - timedelta(minutes=1)
                mutes.mute(s, "telegram:501", kursk.id, past, "test", past)
            await h.ingest(SEEDS / KURSK_SEEDS[2])
            await h.deliver()
            assert [a.chat_id for a in fake.alerts()].count(501) == 2
            assert [state for state, _ in _rows(h, "telegram:501")] == ["sent", "skipped", "sent"]
            assert "مكتوم" not in visible((await h.say("/mysubs", user_id=501))[-1].text)

            # «إلغاء الاشتراك»: unsubscribed, told in the answer.
            notice, _ = await _press(h, korea, "إلغاء الاشتراك", 502, 502)
            assert "كوريا الشمالية وروسيا" in notice["text"]
            with transaction(h.app.factory) as s:
                assert chat_topics.subscriptions(s, "telegram:502") == []

    asyncio.run(scenario())


def test_mute_and_unsubscribe_buttons_need_the_unsubscribe_tier(db_url):
    services, engine = make_services(db_url)
    try:
        with transaction(services.factory) as s:
            kursk = watchlist_store.get_watchlist(s, "kursk")
        admin = caller(user_id=7, chat="telegram:-100", chat_type="supergroup", group_admin=True)
        member = caller(user_id=8, chat="telegram:-100", chat_type="supergroup", group_admin=False)

        async def run():
            from handlers.subscribe import subscribe

            await subscribe(services, admin, "kursk")
            refused = await handle_callback(services, member, f"mute:{kursk.id}.d")
            assert refused.notice == t("ar", "group_admins_only") and not refused.spans
            refused = await handle_callback(services, member, f"aunsub:{kursk.id}")
            assert refused.notice == t("ar", "group_admins_only")
            with transaction(services.factory) as s:
                assert mutes.muted_until(s, "telegram:-100", services.clock()) == {}
                assert [r.slug for r in chat_topics.subscriptions(s, "telegram:-100")] == ["kursk"]
            # Why is for everyone; a malformed or foreign datum is an expired button, not an error.
            assert (await handle_callback(services, member, "why:x")).notice == t("ar", "button_expired")
            assert (await handle_callback(services, admin, f"mute:{kursk.id}.w")).notice == t("ar", "button_expired")
            done = await handle_callback(services, admin, f"mute:{kursk.id}.d")
            assert done.notice.startswith("كُتم «كورسك» حتى ")
            with transaction(services.factory) as s:
                (until,) = mutes.muted_until(s, "telegram:-100", services.clock()).values()
            assert until == services.clock() + timedelta(days=1)

        asyncio.run(run())
    finally:
        engine.dispose()


def test_discord_alert_buttons_explain_and_mute_until_the_fake_clock_passes(tmp_path, db_url):
    """The same buttons as components under a Discord channel alert; the mute ends when the
    hand-moved clock passes it, and the next alert is sent again."""
    from tests.fake_discord import FakeDiscord
    from tests.test_discord_e2e import GUILD_CHANNEL
    from tests.test_discord_e2e import Harness as DiscordHarness

    async def press(h, custom_id: str, message_id: int, **kw) -> dict:
        before = len(h.fake.sent("callback"))
        h.bot.client._connection.parse_interaction_create(
            h.fake.press(custom_id, message_id, channel_id=GUILD_CHANNEL, **kw))
        assert await h.fake.until(lambda f: len(f.sent("callback")) > before), f"no answer to {custom_id}"
        return h.fake.sent("callback")[before].payload["data"]

    async def scenario(fake: FakeDiscord):
        async with DiscordHarness(tmp_path, db_url, fake) as h:
            await h.command("subscribe", "kursk", channel_id=GUILD_CHANNEL, manage_guild=True)
            await h.ingest(SEEDS / KURSK_SEEDS[0])
            await h.deliver()
            (alert,) = fake.alerts()
            ids = dict(alert.custom_ids())
            assert list(ids) == ["لماذا؟", "قصص ذات صلة", "🔕 كتم ساعة", "🔕 كتم يوم", "إلغاء الاشتراك"]

            why = await press(h, ids["لماذا؟"], alert.message_id)
            assert "أي منها: **كورسك**" in why["content"]
            refused = await press(h, ids["🔕 كتم ساعة"], alert.message_id)  # no Manage Server
            assert refused["flags"] & 64 and "مشرفو" in refused["content"]
            muted = await press(h, ids["🔕 كتم ساعة"], alert.message_id, manage_guild=True)
            assert muted["content"].startswith("كُتم «كورسك» حتى ")

            await h.ingest(SEEDS / KURSK_SEEDS[1])
            await h.deliver()
            assert len(fake.alerts()) == 1 and h.states() == {"sent": 1, "skipped": 1}
            h.clock.advance(3601)  # the mute is over
            await h.ingest(SEEDS / KURSK_SEEDS[2])
            await h.deliver()
            assert len(fake.alerts()) == 2 and h.states() == {"sent": 2, "skipped": 1}

    with FakeDiscord() as server:
        asyncio.run(scenario(server))
