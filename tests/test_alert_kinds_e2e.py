"""Issue 12 at the platforms' end: edits, replies, silent sends, digests and the archive message,
through the real clients (python-telegram-bot, discord.py, aiohttp for webhooks) against the fake
Bot API and the fake Discord REST API, which keep messages and answer edits and replies as the
real services do."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.delivery.alerts import ARCHIVE, DIGEST, EDIT, REPORT, UPDATE, Alert, AlertItem
from bot.config import TelegramConfig
from bot.transports.base import FloodWait, RetryLater, Undeliverable
from bot.transports.discord import (
    DESCRIPTION_MAX,
    SUPPRESS_NOTIFICATIONS,
    DiscordTransport,
    DiscordWebhookTransport,
    RequestPacer,
)
from bot.transports.telegram import MAX_MESSAGE, ChatPacer, TelegramTransport, _units, build_application
from storage import discord_webhooks as webhook_store
from storage.db import make_engine, session_factory, transaction, upgrade
from tests.conftest import SEEDS
from tests.fake_discord import TOKEN as DISCORD_TOKEN
from tests.fake_discord import FakeDiscord, embed_errors
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.telegram_support import visible

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TZ = ZoneInfo("Asia/Riyadh")
CHAT = -100_777
CHANNEL = 1_200_000_000_000_000_900
PUBLISHED = datetime(2025, 8, 13, 9, 0, tzinfo=timezone.utc)


def _seed(path: Path) -> tuple[str, str]:
    """(headline, a sentence of its lead) of a seed article: real Arabic news text."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    lead = next(line for line in lines[1:] if len(line) > 60)
    sentence = re.split(r"(?<=[.!؟])\s", lead)[0]
    return lines[0], sentence


SEED_TEXTS = [_seed(p) for p in sorted(SEEDS.glob("*.txt"))]
HEADLINE, SUMMARY = SEED_TEXTS[2]
OUTLETS = ("العربية", "بي بي سي عربي", "فرانس 24 <عربي>", "سكاي نيوز عربية")


def _alert(chat: str, **kw) -> Alert:
    base = dict(chat=chat, thread_id=None, language="ar", topic="dprk-russia", topic_name="كوريا الشمالية وروسيا",
                story_id=42, headline=HEADLINE, summary=SUMMARY, url="https://news.example/a?x=1&y=2",
                source="الجزيرة", published=PUBLISHED, matched=("بوتين",), watchlist_id=7)
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def _items(n: int) -> tuple[AlertItem, ...]:
    """``n`` stories of the period (the seeds' headlines, numbered so each is told apart)."""
    out = []
    for i in range(n):
        headline, sentence = SEED_TEXTS[i % len(SEED_TEXTS)]
        out.append(AlertItem(story_id=100 + i, headline=f"{headline} [{i}]", url=f"https://news.example/s/{i}",
                             published=PUBLISHED + timedelta(minutes=i), summary=sentence,
                             source_count=1 + i % 5, topic="dprk-russia"))
    return tuple(out)


def _digest(chat: str, n: int, **kw) -> Alert:
    period = (datetime(2025, 8, 13, 5, 0, tzinfo=TZ), datetime(2025, 8, 14, 5, 0, tzinfo=TZ))  # 08:00 to 08:00
    items = _items(n)
    return _alert(chat, kind=DIGEST, items=items, period=period, story_id=items[-1].story_id, **kw)


def _archive(chat: str, n: int) -> Alert:
    items = _items(n)
    return _alert(chat, kind=ARCHIVE, items=items, story_id=items[-1].story_id, silent=True)


def _in_order_once(texts: list[str], n: int) -> None:
    """Every item's headline is in exactly one message, in order, whole."""
    joined = "\n".join(texts)
    positions = [joined.find(f"[{i}]") for i in range(n)]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    assert all(sum(t.count(f"[{i}]") for t in texts) == 1 for i in range(n))


# --- Telegram ----------------------------------------------------------------------------------------


def _telegram(scenario):
    """Run ``scenario(fake, transport)`` against a fresh fake Bot API."""
    with FakeTelegram() as fake:
        async def run():
            app = build_application(TOKEN, TelegramConfig(base_url=fake.base_url), max_in_place_s=10)
            await app.initialize()
            try:
                return await scenario(fake, TelegramTransport(app, TZ, ChatPacer(interval=0)))
            finally:
                await app.shutdown()

        return fake, asyncio.run(run())


def test_telegram_edit_redraws_the_alert_with_the_outlets_that_joined():
    async def scenario(fake: FakeTelegram, transport: TelegramTransport):
        first = await transport.send(_alert(f"telegram:{CHAT}"))
        edit = _alert(f"telegram:{CHAT}", kind=EDIT, edit_of=first, also=OUTLETS[:3], source_count=4)
        assert await transport.edit(edit) == first
        again = await transport.edit(edit)  # the same content: "message is not modified" is success
        fake.delete(int(first))
        with pytest.raises(Undeliverable, match="(?i)message to edit not found"):
            await transport.edit(_alert(f"telegram:{CHAT}", kind=EDIT, edit_of=first, also=OUTLETS, source_count=5))
        return first, again

    fake, (first, again) = _telegram(scenario)
    assert again == first
    (edited,) = fake.edits_of(int(first))  # one real edit; the unchanged one changed nothing
    seen = visible(edited.text)
    assert "نشرته أيضًا: العربية، بي بي سي عربي، فرانس 24 <عربي>" in seen  # names escaped, then shown as sent
    assert "&lt;عربي&gt;" in edited.text and "نشرته 4 مصادر" in seen
    original = fake.messages_to(CHAT, "sendMessage")[0]
    assert edited.buttons() == original.buttons() and edited.buttons()  # the same buttons under it
    assert "نشرته أيضًا" not in visible(original.text)


def test_telegram_edit_failures_map_like_sends():
    async def scenario(fake: FakeTelegram, transport: TelegramTransport):
        first = await transport.send(_alert(f"telegram:{CHAT}"))
        edit = _alert(f"telegram:{CHAT}", kind=EDIT, edit_of=first, also=OUTLETS[:1], source_count=2)
        fake.inject("429", method="editMessageText", retry_after=65)
        with pytest.raises(FloodWait):
            await transport.edit(edit)
        transport._flooded.clear()  # the outbox waited
        fake.inject("500", method="editMessageText")
        with pytest.raises(RetryLater):
            await transport.edit(edit)
        with pytest.raises(Undeliverable):
            await transport.edit(_alert(f"telegram:{CHAT}", kind=EDIT, edit_of="not-a-number"))
        return await transport.edit(edit)

    fake, result = _telegram(scenario)
    assert len(fake.edits_of(int(result))) == 1


def test_telegram_update_replies_to_the_alert_and_silent_sends_ring_nobody():
    async def scenario(fake: FakeTelegram, transport: TelegramTransport):
        first = await transport.send(_alert(f"telegram:{CHAT}"))
        update = await transport.send(_alert(f"telegram:{CHAT}", kind=UPDATE, update=True, reply_to=first,
                                             story_id=42, headline=SEED_TEXTS[3][0], silent=True))
        report = await transport.send(_alert(f"telegram:{CHAT}", kind=REPORT, reply_to=first, source="العربية"))
        fake.delete(int(first))
        orphan = await transport.send(_alert(f"telegram:{CHAT}", kind=UPDATE, update=True, reply_to=first))
        return first, update, report, orphan

    fake, (first, update, report, orphan) = _telegram(scenario)
    sent = {str(s.message_id): s for s in fake.messages_to(CHAT, "sendMessage")}
    assert sent[first].reply_to is None and not sent[first].silent
    assert sent[update].reply_to == int(first) and sent[update].silent
    assert visible(sent[update].text).startswith("تحديث\n")
    assert sent[report].reply_to == int(first) and visible(sent[report].text).startswith("من مصدر آخر\n")
    # The alert was deleted: the update still arrives (allow_sending_without_reply), as a plain message.
    assert sent[orphan].reply_to is None and visible(sent[orphan].text).startswith("تحديث")


def test_telegram_digest_is_split_under_the_limit_without_cutting_a_story():
    n = 45

    async def scenario(fake: FakeTelegram, transport: TelegramTransport):
        return await transport.send(_digest(f"telegram:{CHAT}", n, silent=True))

    fake, first = _telegram(scenario)
    parts = fake.messages_to(CHAT, "sendMessage")
    assert len(parts) >= 2 and str(parts[0].message_id) == first
    assert all(_units(p.text) <= MAX_MESSAGE for p in parts)
    assert all(p.silent and p.preview_disabled and not p.buttons() for p in parts)
    texts = [visible(p.text) for p in parts]
    _in_order_once(texts, n)
    assert texts[0].startswith("ملخص يوم 2025-08-13\n#dprk_russia · كوريا الشمالية وروسيا · 45 قصة")
    assert all(t.startswith("ملخص يوم 2025-08-13 (تابع)") for t in texts[1:])
    # Each story is whole: its linked headline, its sentence and its source count in one message.
    for i, item in enumerate(_items(n)):
        (holder,) = [p for p in parts if f"[{i}]" in p.text]
        assert f'<a href="{item.url}">{html.escape(item.headline, quote=False)}</a>' in holder.text
        assert item.summary in visible(holder.text)
    assert "نشرته 5 مصادر" in texts[0] and "نشرته مصدران" in texts[0]


def test_telegram_digest_part_that_fails_is_resent_alone():
    async def scenario(fake: FakeTelegram, transport: TelegramTransport):
        real = fake._send_locked
        failed = []

        def second_fails(method, params, chat_id, fault):
            if len(fake.sent) == 1 and not failed:
                failed.append(1)
                return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            return real(method, params, chat_id, fault)

        fake._send_locked = second_fails  # type: ignore[method-assign]
        digest = _digest(f"telegram:{CHAT}", 45)
        with pytest.raises(RetryLater):
            await transport.send(digest)
        return await transport.send(digest)  # the outbox's retry

    fake, first = _telegram(scenario)
    parts = fake.messages_to(CHAT, "sendMessage")
    assert str(parts[0].message_id) == first
    _in_order_once([visible(p.text) for p in parts], 45)  # nothing twice, nothing lost


def test_telegram_archive_is_one_silent_dated_list():
    async def scenario(fake: FakeTelegram, transport: TelegramTransport):
        return await transport.send(_archive(f"telegram:{CHAT}", 5))

    fake, first = _telegram(scenario)
    (message,) = fake.messages_to(CHAT, "sendMessage")
    lines = visible(message.text).split("\n")
    assert lines[0] == "من الأرشيف" and lines[1].endswith("5 قصص")
    assert message.silent and lines[3].endswith(" · 2025-08-13") and len(lines) == 8


# --- Discord (bot and webhook) -----------------------------------------------------------------------


def _discord(tmp_path: Path, scenario):
    """Run ``scenario(fake, bot_transport, webhook_transport, webhook_id)`` with discord.py logged
    in to a fresh fake and a webhook stored as `raqib subscriptions add` stores it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'hooks.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    previous = discord.http.Route.BASE
    try:
        with FakeDiscord() as fake:
            ident, url = fake.add_webhook()
            with transaction(factory) as s:
                webhook_store.save_webhook(s, ident, url.rsplit("/", 1)[1], datetime.now(timezone.utc))
            discord.http.Route.BASE = fake.api_base

            async def run():
                client = discord.Client(intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none())
                await client.login(DISCORD_TOKEN)
                pacer = RequestPacer(1000)
                hooks = DiscordWebhookTransport(factory, TZ, pacer, fake.api_base)
                try:
                    return await scenario(fake, DiscordTransport(client, TZ, pacer), hooks, ident)
                finally:
                    await hooks.close()
                    await client.close()

            return fake, asyncio.run(run())
    finally:
        discord.http.Route.BASE = previous
        engine.dispose()


def _also_field(payload: dict) -> str | None:
    fields = payload["embeds"][0].get("fields") or []
    return next((f["value"] for f in fields if f["name"] == "نشرته أيضًا"), None)


def test_discord_bot_edits_replies_and_silences(tmp_path):
    chat = f"discord:{CHANNEL}"

    async def scenario(fake, bot: DiscordTransport, hooks, ident):
        first = await bot.send(_alert(chat))
        assert await bot.edit(_alert(chat, kind=EDIT, edit_of=first, also=OUTLETS[:2], source_count=3)) == first
        update = await bot.send(_alert(chat, kind=UPDATE, update=True, reply_to=first, silent=True))
        fake.delete_message(first)
        with pytest.raises(Undeliverable, match="Unknown Message"):
            await bot.edit(_alert(chat, kind=EDIT, edit_of=first, also=OUTLETS, source_count=5))
        orphan = await bot.send(_alert(chat, kind=UPDATE, update=True, reply_to=first))  # the channel is fine
        return first, update, orphan

    fake, (first, update, orphan) = _discord(tmp_path, scenario)
    (edit,) = fake.sent("message_edit")
    assert edit.message_id == int(first)
    assert _also_field(edit.payload) == "العربية، بي بي سي عربي" and not embed_errors(edit.payload["embeds"][0])
    assert edit.payload["embeds"][0]["fields"][0]["value"] == "الجزيرة · نشرته 3 مصادر"
    assert [c["custom_id"] for row in edit.payload["components"] for c in row["components"]][:1] == ["why:42.7"]
    posts = {str(p.message_id): p for p in fake.sent("channel")}
    assert posts[update].reply_to == int(first) and posts[update].silent
    assert posts[update].payload["message_reference"]["fail_if_not_exists"] is False
    assert posts[update].embeds[0]["title"].startswith("تحديث: ")
    assert not posts[first].silent and posts[first].reply_to is None
    assert posts[orphan].reply_to is None  # the alert was deleted: sent as a plain message


def test_discord_bot_digest_is_split_under_the_embed_limits(tmp_path):
    chat, n = f"discord:{CHANNEL}", 60

    async def scenario(fake, bot: DiscordTransport, hooks, ident):
        return await bot.send(_digest(chat, n))

    fake, first = _discord(tmp_path, scenario)
    parts = fake.sent("channel")
    assert len(parts) >= 2 and str(parts[0].message_id) == first
    descriptions = [p.embeds[0]["description"] for p in parts]
    assert all(len(d) <= DESCRIPTION_MAX and not embed_errors(p.embeds[0]) for d, p in zip(descriptions, parts))
    _in_order_once(descriptions, n)
    assert descriptions[0].startswith("**ملخص يوم 2025-08-13**") and "60 قصة" in descriptions[0]
    assert "](<https://news.example/s/0>)" in descriptions[0]  # the linked headline, without a preview card
    assert not any(p.components for p in parts) and not any(p.silent for p in parts)


def test_discord_webhook_silent_edit_no_reply_digest_and_archive(tmp_path):
    async def scenario(fake, bot, hooks: DiscordWebhookTransport, ident):
        chat = f"discord-webhook:{ident}"
        first = await hooks.send(_alert(chat, silent=True))
        assert await hooks.edit(_alert(chat, kind=EDIT, edit_of=first, also=OUTLETS[2:], source_count=3)) == first
        update = await hooks.send(_alert(chat, kind=UPDATE, update=True, reply_to=first))
        digest = await hooks.send(_digest(chat, 60))
        archive = await hooks.send(_archive(chat, 4))
        fake.delete_message(first)
        with pytest.raises(Undeliverable, match="10008"):
            await hooks.edit(_alert(chat, kind=EDIT, edit_of=first, also=OUTLETS, source_count=5))
        after = await hooks.send(_alert(chat))  # the webhook is not taken for gone
        return first, update, digest, archive, after

    fake, (first, update, digest, archive, after) = _discord(tmp_path, scenario)
    posts = {str(p.message_id): p for p in fake.sent("webhook")}
    assert posts[first].flags == SUPPRESS_NOTIFICATIONS and posts[first].silent
    (edit,) = fake.sent("webhook_edit")
    assert edit.message_id == int(first)
    assert _also_field(edit.payload) == "فرانس 24 <عربي>، سكاي نيوز عربية"
    assert "message_reference" not in posts[update].payload and posts[update].embeds[0]["title"].startswith("تحديث")
    digest_parts = [p for p in fake.sent("webhook") if "ملخص يوم" in (p.embeds[0].get("description") or "")]
    assert len(digest_parts) >= 2 and str(digest_parts[0].message_id) == digest
    _in_order_once([p.embeds[0]["description"] for p in digest_parts], 60)
    assert all(not embed_errors(p.embeds[0]) for p in digest_parts)
    assert posts[archive].silent and posts[archive].embeds[0]["description"].startswith("**من الأرشيف**")
    assert after in posts


def test_the_chaos_recorder_tells_edits_from_new_messages():
    from tests.fake_telegram_recorder import RecordingTelegram

    fake = RecordingTelegram([TOKEN]).start()
    try:
        async def run():
            app = build_application(TOKEN, TelegramConfig(base_url=fake.base_url), max_in_place_s=10)
            await app.initialize()
            try:
                transport = TelegramTransport(app, TZ, ChatPacer(interval=0))
                first = await transport.send(_alert(f"telegram:{CHAT}"))
                await transport.send(_alert(f"telegram:{CHAT}", kind=UPDATE, update=True, reply_to=first, silent=True))
                await transport.edit(_alert(f"telegram:{CHAT}", kind=EDIT, edit_of=first, also=OUTLETS[:1]))
                return first
            finally:
                await app.shutdown()

        first = asyncio.run(run())
    finally:
        fake.stop()
    sent = fake.delivered()
    assert [a.method for a in sent] == ["sendMessage", "sendMessage"]  # the edit is not a duplicate
    assert sent[1].silent and sent[1].reply_to == int(first) and str(sent[0].message_id) == first
    (edit,) = fake.edited()
    assert edit.message_id == int(first) and "نشرته أيضًا" in edit.text
