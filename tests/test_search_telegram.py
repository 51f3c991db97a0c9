"""/search and /timeline end to end through the fake Bot API: paging by button edits the message,
the chart button sends a photo, and stored text is escaped on the way out."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import SEEDS
from tests.fake_telegram import FakeTelegram
from tests.telegram_support import Harness, visible


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


def test_search_pages_and_timeline_chart_over_telegram(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            await h.ingest(SEEDS)
            first = (await h.say("/search روسيا", user_id=601))[-1]
            assert first.method == "sendMessage" and first.parse_mode == "HTML"
            shown = visible(first.text)
            assert "صفحة 1 من 1" in shown and shown.count("↗") == 5
            assert "<b>روسيا" in first.text or "<b>وروسيا" in first.text or "<b>بروسيا" in first.text
            assert first.buttons() == []  # five stories: one page

            reply = (await h.say('/search "كوريا الشمالية" from:2025-12-01', user_id=601))[-1]
            assert "بوتين لكيم" in visible(reply.text) and "اتصالا هاتفيا" not in visible(reply.text)

            bad = (await h.say("/search <في> & على", user_id=601))[-1]
            assert "كلمات شائعة" in visible(bad.text)

            line = (await h.say("/timeline dprk-russia", user_id=601))[-1]
            text = visible(line.text)
            assert text.index("اتصالا هاتفيا") < text.index("بوتين لكيم")
            (label, data), = line.buttons()
            fake.press(line, data, user_id=601)
            assert await fake.until(lambda f: any(s.method == "sendPhoto" for s in f.messages_to(601)))
            photo = [s for s in fake.messages_to(601) if s.method == "sendPhoto"][-1]
            assert photo.photo_size and photo.photo_size > 10_000

    asyncio.run(scenario())
