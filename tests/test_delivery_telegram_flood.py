"""Issue 9, defect 4 at the Telegram end: PTB's rate limiter waits in place only for short 429s;
a long retry_after comes back at once as FloodWait, so the outbox, not a held lease, does the wait."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.alerts import Alert
from bot.config import TelegramConfig
from bot.transports.base import FloodWait
from bot.transports.telegram import ChatPacer, TelegramTransport, build_application
from tests.fake_telegram import TOKEN, FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _alert(chat: int, n: int) -> Alert:
    return Alert(
        chat=f"telegram:{chat}", thread_id=None, language="ar", topic="kursk", topic_name="كورسك", story_id=n,
        headline="معارك عنيفة قرب كورسك", summary="تواصلت المعارك العنيفة قرب مدينة كورسك الحدودية طوال ليل أمس.",
        url=f"https://news.example/{n}", source="files", published=datetime(2025, 8, 13, tzinfo=timezone.utc),
        matched=("كورسك",),
    )


async def _transport(fake: FakeTelegram):
    app = build_application(TOKEN, TelegramConfig(base_url=fake.base_url), max_in_place_s=10)
    await app.initialize()
    return app, TelegramTransport(app, ZoneInfo("Asia/Riyadh"), ChatPacer(interval=0))


def test_a_long_429_is_handed_to_the_outbox_at_once_and_the_chat_is_not_asked_again():
    with FakeTelegram() as fake:
        fake.inject("429", retry_after=65, chat_id=-1001)

        async def scenario():
            app, transport = await _transport(fake)
            try:
                with pytest.raises(FloodWait) as first:
                    await asyncio.wait_for(transport.send(_alert(-1001, 1)), 20)  # not 2 × 65 s in place
                with pytest.raises(FloodWait) as second:  # same batch, same chat: answered here
                    await transport.send(_alert(-1001, 2))
                other = await transport.send(_alert(-1002, 3))  # other chats go on
            finally:
                await app.shutdown()
            return first.value, second.value, other

        first, second, other = asyncio.run(scenario())
    assert first.retry_after == 65 and 60 < second.retry_after <= 65 and other
    assert [a[2] for a in fake.attempts_to(-1001)] == [429]  # asked once, never retried in place
    assert [a[2] for a in fake.attempts_to(-1002)] == [200]


def test_a_short_429_is_still_waited_in_place():
    with FakeTelegram() as fake:
        fake.inject("429", retry_after=1, chat_id=-1001)

        async def scenario():
            app, transport = await _transport(fake)
            try:
                return await transport.send(_alert(-1001, 1))
            finally:
                await app.shutdown()

        assert asyncio.run(scenario())
    assert [a[2] for a in fake.attempts_to(-1001)] == [429, 200]
