"""Discord rendering, addresses and rate-limit memory: focused tests without a server."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.alerts import Alert
from bot.transports.base import FloodWait
from bot.transports.discord import (
    EMBED_TOTAL_MAX,
    RequestPacer,
    alert_embed,
    alert_payload,
    embed_size,
    escape,
    render_markdown,
    render_reply,
    view_for,
)
from bot.transports.discord_address import WebhookAddressError, parse_webhook_url, redact, snowflake
from handlers.base import Button, Reply
from tests.fake_discord import embed_errors

TZ = ZoneInfo("Asia/Riyadh")
# Real Arabic with diacritics, tatweel, hamza forms, ة/ه, ى/ي, Arabic-Indic digits and some English.
HEADLINE = "بوتيــن لكِيم: صداقةُ روسيا وكوريا الشمالية «لا تُقهر» في ٢٠٢٤ — Putin & Kim"
SUMMARY = ("أكّد الرئيس الروسي أنَّ العلاقات مع بيونغ يانغ تتعزّز. وقال إن الإئتلاف سيبقى قائماً حتى عام ١٤٤٦ هـ. "
           "وأضاف مسؤولٌ في موسكو أن الاتفاقية تُغطي الدفاع المشترك.")


def _alert(**kw) -> Alert:
    base = dict(chat="discord:1", thread_id=None, language="ar", topic="dprk-russia", topic_name="روسيا وكوريا",
                story_id=1, headline=HEADLINE, summary=SUMMARY, url="https://news.example/a?x=1", source="الجزيرة",
                published=datetime(2024, 6, 19, 9, 30, tzinfo=timezone.utc), matched=("روسيا",))
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def test_alert_embed_has_linked_title_summary_fields_and_topic_footer():
    embed = alert_embed(_alert(), TZ).to_dict()
    assert embed["title"] == HEADLINE and embed["url"] == "https://news.example/a?x=1"
    assert embed["description"] == escape(SUMMARY) and "١٤٤٦" in embed["description"]
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [("المصدر", "الجزيرة"), ("الوقت", "2024-06-19 12:30 +03")]
    assert embed["footer"]["text"] == "#dprk_russia · روسيا وكوريا"
    english = alert_embed(_alert(language="en"), TZ).to_dict()
    assert [f["name"] for f in english["fields"]] == ["Source", "Time"]


def test_hostile_article_text_cannot_ping_link_or_format():
    hostile = "@everyone @here <@123> [اضغط هنا](https://evil.example) **عاجل** `code` ||spoiler|| _x_"
    payload = alert_payload(_alert(summary=hostile, headline="@everyone عاجل"), TZ)
    assert payload["allowed_mentions"] == {"parse": []}
    description = payload["embeds"][0]["description"]
    assert "\\[اضغط هنا]" in description and "[" not in description.replace("\\[", "")  # no masked link
    assert "**عاجل**" not in description and "@everyone" not in description.replace("@\u200beveryone", "")
    # Markdown in a Reply is escaped too, and a non-web link is shown, not linked.
    md = render_markdown(Reply().add(hostile).link("ملف", "/tmp/a.txt").link("↗", "javascript:alert(1)"))
    assert "\\[اضغط هنا]" in md and "](javascript" not in md and "`/tmp/a.txt`" in md


@pytest.mark.parametrize("headline_len,summary_len,source_len", [(300, 5000, 10), (256, 4096, 1024), (1000, 9000, 2000)])
def test_embed_limits_hold_whatever_the_lengths(headline_len, summary_len, source_len):
    sentence = "قال المتحدث إن *الوضع* هش للغاية. "
    alert = _alert(headline="ع" * headline_len, summary=(sentence * (summary_len // len(sentence) + 1))[:summary_len],
                   source="م" * source_len, topic_name="ك" * 3000)
    embed = alert_embed(alert, TZ)
    data = embed.to_dict()
    assert embed_errors(data) == []
    assert embed_size(embed) <= EMBED_TOTAL_MAX
    assert len(data["title"]) <= 256 and data["title"].endswith("…") == (headline_len > 256)
    assert data["description"].endswith("…")  # cut at a sentence, visibly


def test_a_file_path_is_a_field_not_a_link():
    data = alert_embed(_alert(url="/data/seeds/001.txt"), TZ).to_dict()
    assert "url" not in data and data["fields"][-1]["value"] == "/data/seeds/001.txt"


def test_replies_short_as_content_long_as_embed_with_buttons_capped():
    short = render_reply(Reply().bold("مرحبا").add(" بالعالم"))
    assert short.content == "**مرحبا** بالعالم" and short.embed is None
    long = render_reply(Reply().add("كلمة " * 1000))
    assert long.content is None and long.embed is not None and len(long.embed.description) <= 4096
    board = Reply()
    for i in range(40):
        board.button_row(Button(f"زر {i} " + "ط" * 100, f"sub:t{i}"))

    async def build():  # discord.py views belong to an event loop
        return view_for(board)

    view = asyncio.run(build())
    assert view is not None and len(view.children) == 25 and view.is_finished()
    rows = view.to_components()
    assert len(rows) == 5 and all(len(r["components"]) == 5 for r in rows)
    assert all(len(c["label"]) <= 80 for r in rows for c in r["components"])
    chart = render_reply(Reply(photo=b"\x89PNG....").add("الخط الزمني"))
    assert chart.file is not None and chart.file.filename == "chart.png"


def test_webhook_urls_parse_to_id_and_token_and_are_redacted():
    assert parse_webhook_url("https://discord.com/api/webhooks/123456789012345678/abcDEF_123-xyzXYZ") == (
        "123456789012345678", "abcDEF_123-xyzXYZ")
    assert parse_webhook_url("https://canary.discordapp.com/api/v10/webhooks/12345/abcdefghijkl/?wait=true")[0] == "12345"
    for bad in ("https://discord.com/api/webhooks/abc/def", "discord.com/api/webhooks/1/abcdefghijkl",
                "https://discord.com/api/webhooks/123456/short", "https://discord.com/api/channels/1/abcdefghijkl"):
        with pytest.raises(WebhookAddressError) as info:
            parse_webhook_url(bad)
        assert "def" not in str(info.value) and "abcdefghijkl" not in str(info.value)
    assert redact("POST https://x/api/v10/webhooks/123/SECRET-tok?wait=true") == (
        "POST https://x/api/v10/webhooks/123/<token>?wait=true")
    assert snowflake("discord:123", "discord") == 123
    assert snowflake("discord-webhook:123", "discord") is None and snowflake("discord:abc", "discord") is None


def test_pacer_remembers_429s_per_route_and_globally():
    now = [1000.0]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    pacer = RequestPacer(rate=50, max_wait_s=5, clock=lambda: now[0], sleep=sleep)

    async def scenario():
        pacer.limited("webhook:1", 3)
        async with pacer.slot("webhook:1"):  # short: slept on the spot
            pass
        assert slept == [3]
        pacer.limited("webhook:1", 60)
        with pytest.raises(FloodWait) as info:
            async with pacer.slot("webhook:1"):
                pass
        assert info.value.retry_after == pytest.approx(60)
        async with pacer.slot("webhook:2"):  # another route is free
            pass
        pacer.limited("channel:9", 30, is_global=True)
        with pytest.raises(FloodWait):
            async with pacer.slot("webhook:3"):
                pass
        now[0] += 61
        async with pacer.slot("webhook:1"):
            pass

    asyncio.run(scenario())


def test_outlets_that_joined_are_an_escaped_field_and_silent_alerts_carry_the_flag():
    hostile = ("العربية", "**عاجل** @everyone [اضغط](https://evil.example)")
    data = alert_payload(_alert(also=hostile, source_count=3, silent=True), TZ)
    (also,) = [f for f in data["embeds"][0]["fields"] if f["name"] == "نشرته أيضًا"]
    assert also["value"].startswith("العربية، \\*\\*عاجل\\*\\*") and "@everyone" not in also["value"]
    assert "\\[اضغط]" in also["value"] and embed_errors(data["embeds"][0]) == []
    assert data["flags"] == 4096 and "flags" not in alert_payload(_alert(), TZ)
