"""The alert's layout (issue 12, part 5): the headline is the link, one meta line (source · time ·
how many outlets, with Arabic number agreement), the summary; matched terms only behind the
«لماذا؟» button; the buttons' data fit Telegram's 64 bytes. And what the outbox gives the layout:
the source count and the watchlist, and a muted row skipped with its reason."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.delivery.alerts import UPDATE_MARK, Alert
from bot.delivery.worker import DeliveryWorker, RetryPolicy
from bot.search import index_keys
from bot.transports.discord import alert_embed, view_for
from bot.transports.telegram import keyboard, render_html
from handlers.alert_buttons import explanation, related_query
from handlers.base import Reply
from handlers.format import alert_buttons, alert_reply
from handlers.subscribe import subscribe
from storage import articles, mutes, outbox, sources
from storage import watchlists as watchlist_store
from storage.db import transaction
from storage.models import Chat, Delivery
from bot.cli.main import main
from tests.conftest import SEEDS, write_config
from tests.telegram_support import TZ, caller, make_services, visible

# Real Arabic from the seeds: the first line of a seed is its headline, the next its lead.
_SEED = (SEEDS / "002_00b06d22c5d2f91c.txt").read_text(encoding="utf-8").splitlines()
HEADLINE = _SEED[0].strip()
SUMMARY = next(line for line in _SEED[1:] if len(line.strip()) > 40).strip()


def _alert(**kw) -> Alert:
    base = dict(
        chat="telegram:5", thread_id=None, language="ar", topic="dprk-russia", topic_name="كوريا الشمالية وروسيا",
        story_id=42, headline=HEADLINE, summary=SUMMARY, url="https://news.example/a?x=1&y=<2>", source="الجزيرة",
        published=datetime(2025, 8, 13, 9, 0, tzinfo=timezone.utc), matched=("بوتين", "كوريا الشمالية"),
        source_count=3, watchlist_id=7,
    )
    base.update(kw)
    return Alert(**base)


def test_headline_is_the_link_then_one_meta_line_then_the_summary():
    html_text = render_html(alert_reply(_alert(), TZ))
    lines = visible(html_text).split("\n")
    assert lines[:3] == ["#dprk_russia · كوريا الشمالية وروسيا", HEADLINE,
                         "الجزيرة · 2025-08-13 12:00 +03 · نشرته 3 مصادر"]
    assert lines[3] == "" and lines[4] == SUMMARY and len(lines) == 5
    assert f'<a href="https://news.example/a?x=1&amp;y=&lt;2&gt;">{HEADLINE}</a>' in html_text
    # Matched terms are not listed; the headline's own words are not a term list.
    assert "الكلمات المطابقة" not in html_text and "الرابط" not in html_text


def test_source_count_agrees_in_number_and_one_source_says_nothing():
    def meta(n: int, lang: str = "ar") -> str:
        return visible(render_html(alert_reply(_alert(source_count=n, language=lang), TZ))).split("\n")[2]

    assert meta(1) == "الجزيرة · 2025-08-13 12:00 +03"
    assert meta(2).endswith("نشرته مصدران")
    assert meta(3).endswith("نشرته 3 مصادر")
    assert meta(11).endswith("نشرته 11 مصدرًا")
    assert meta(100).endswith("نشرته 100 مصدر")
    assert meta(3, "en").endswith("reported by 3 sources")


def test_an_update_keeps_its_first_line():
    reply = alert_reply(_alert(update=True), TZ)
    assert reply.plain().startswith(UPDATE_MARK + "\n#dprk_russia")


def test_buttons_fit_telegram_and_alerts_without_a_subscription_have_none():
    reply = alert_reply(_alert(story_id=2**62, watchlist_id=2**62), TZ)
    data = [b.data for row in reply.buttons for b in row]
    assert [d.split(":")[0] for d in data] == ["why", "rel", "mute", "mute", "aunsub"]
    assert all(len(d.encode("utf-8")) <= 64 for d in data)
    markup = keyboard(reply)
    assert markup is not None and len(markup.inline_keyboard) == 3
    assert alert_reply(_alert(watchlist_id=None), TZ).buttons == []


def test_discord_embed_title_links_and_counts_sources_and_buttons_are_components():
    embed = alert_embed(_alert(), TZ).to_dict()
    assert embed["title"] == HEADLINE and embed["url"] == "https://news.example/a?x=1&y=<2>"
    assert embed["fields"][0]["value"] == "الجزيرة · نشرته 3 مصادر"
    view = view_for(alert_buttons(Reply(), _alert()))
    assert view is not None
    assert [item.custom_id for item in view.children][:2] == ["why:42.7", "rel:42.7"]


def test_why_names_the_rule_of_each_matched_term():
    rules = {"all": [["كوريا الشمالية", "بيونغ يانغ"], ["روسيا", "بوتين"]], "any": [], "none": []}
    assert explanation("ar", rules, ["بوتين", "كوريا الشمالية", "بوتين"]) == [
        ("القاعدة 1", ["كوريا الشمالية"]), ("القاعدة 2", ["بوتين"])]
    # A term the watchlist no longer holds (edited since) is still shown, under a plain label.
    assert explanation("ar", {"any": ["كورسك"]}, ["كورسك", "Kursk"]) == [
        ("أي منها", ["كورسك"]), ("كلمات مطابقة", ["Kursk"])]


def test_related_query_is_the_topic_term_and_the_headlines_longest_word():
    assert related_query(HEADLINE, ["كوريا الشمالية"]).startswith('"كوريا الشمالية" ')
    words = related_query(HEADLINE, []).split()
    assert len(words) == 2 and all(w in HEADLINE for w in words)


def test_outbox_counts_sources_and_a_muted_row_is_skipped_with_its_reason(db_url, tmp_path, capsys):
    services, engine = make_services(db_url)
    try:
        now = services.clock()
        asyncio.run(subscribe(services, caller(user_id=77), "kursk"))
        with transaction(services.factory) as s:
            kursk = watchlist_store.get_watchlist(s, "kursk")
            story = articles.create_story(s, HEADLINE, SUMMARY, now, now)
            for n, outlet in enumerate(("الجزيرة", "العربية", "الجزيرة", "بي بي سي")):
                src = sources.ensure_source(s, outlet, "files", "-", 0, now)
                articles.add_article(s, story.id, articles.NewArticle(
                    src.id, f"https://news.example/{n}", None, HEADLINE, SUMMARY, now, "text", now, f"{n:064d}",
                    b"fp", [n], search_keys=index_keys(HEADLINE, SUMMARY)))
            articles.add_story_topic(s, story.id, kursk.id, ["كورسك"], now)
            chat_id = s.scalar(select(Chat.id).where(Chat.address == "telegram:77"))
            assert outbox.enqueue(s, story.id, [(chat_id, kursk.id, None)], now) == 1
            assert mutes.mute(s, "telegram:77", kursk.id, now + timedelta(hours=1), "test", now)
            (job,) = outbox.claim(s, ["telegram"], "w", now, 60, 10)
        assert job.source_count == 3 and job.watchlist_id == kursk.id
        assert job.muted_until == now + timedelta(hours=1)

        class Never:
            concurrency = 1

            async def send(self, alert: Alert) -> str:
                raise AssertionError("a muted alert must not be sent")

        with transaction(services.factory) as s:  # hand the claimed row back, the worker claims it
            outbox.release(s, "w")
        worker = DeliveryWorker(services.factory, {"telegram": Never()}, RetryPolicy(), clock=lambda: now)  # type: ignore[dict-item]
        report = asyncio.run(worker.drain())
        assert report.skipped == 1 and report.sent == 0 and report.errors == []
        with transaction(services.factory) as s:
            state, reason = s.execute(select(Delivery.state, Delivery.last_error)).one()
            assert outbox.counts(s) == {"skipped": 1}
        assert state == "skipped" and reason.startswith("muted until ")
        # `raqib outbox status` and `list --state skipped` know the state.
        config = str(write_config(tmp_path, db_url))
        assert main(["outbox", "status", "--config", config]) == 0
        assert "skipped 1" in capsys.readouterr().out
        assert main(["outbox", "list", "--state", "skipped", "--config", config]) == 0
        assert "muted until" in capsys.readouterr().out
    finally:
        engine.dispose()


# --- issue 12 parts 2, 3, 5: outlets that joined, reports, digests, the archive ----------------------

from zoneinfo import ZoneInfo  # noqa: E402

from bot.delivery.alerts import ARCHIVE, DIGEST, EDIT, REPORT, AlertItem  # noqa: E402
from bot.transports.console import ConsoleTransport  # noqa: E402
from handlers.format import ALSO_MAX, list_replies  # noqa: E402


# The seed's lead (its first line that is not the headline again), cut at its first sentence.
LEAD = next(line.strip() for line in _SEED[1:] if len(line.strip()) > 40 and line.strip() != HEADLINE)
LEAD = LEAD.split(". ")[0].rstrip(".") + "."


def _items(n: int, **kw) -> tuple[AlertItem, ...]:
    base = dict(headline=HEADLINE, url="https://news.example/s", summary=LEAD, source_count=2, topic="dprk-russia")
    base.update(kw)
    return tuple(AlertItem(story_id=i, published=datetime(2025, 8, 13, 9, i, tzinfo=timezone.utc), **base)
                 for i in range(n))


def test_the_outlets_that_joined_are_named_escaped_under_the_meta_line():
    alert = _alert(kind=EDIT, edit_of="12", also=("العربية", "<b>بي بي سي</b>", "الجزيرة", "العربية"),
                   source_count=3)
    html_text = render_html(alert_reply(alert, TZ))
    lines = visible(html_text).split("\n")
    # The first outlet (الجزيرة) and a repeated name are not listed twice; markup in a name is text.
    assert lines[3] == "نشرته أيضًا: العربية، <b>بي بي سي</b>"
    assert "&lt;b&gt;بي بي سي&lt;/b&gt;" in html_text
    many = tuple(f"مصدر {i}" for i in range(ALSO_MAX + 3))
    assert visible(render_html(alert_reply(_alert(also=many), TZ))).split("\n")[3].endswith("، …")
    english = visible(render_html(alert_reply(_alert(also=("BBC",), language="en"), TZ)))
    assert "Also reported by: BBC" in english


def test_another_outlets_report_has_its_own_mark_and_an_update_keeps_its_own():
    assert alert_reply(_alert(kind=REPORT), TZ).plain().startswith("من مصدر آخر\n#dprk_russia")
    assert alert_reply(_alert(kind="update"), TZ).plain().startswith(UPDATE_MARK + "\n")
    assert not alert_reply(_alert(kind=EDIT), TZ).plain().startswith((UPDATE_MARK, "من مصدر آخر"))
    assert embed_title(_alert(kind=REPORT)).startswith("من مصدر آخر: ")


def embed_title(alert: Alert) -> str:
    return alert_embed(alert, TZ).to_dict()["title"]


def test_a_digest_header_names_its_period_in_the_chats_zone_with_number_agreement():
    cairo = ZoneInfo("Africa/Cairo")  # the chat's zone (UTC+3 in summer 2025), not the configured Riyadh
    hour = (datetime(2025, 8, 13, 14, 0, tzinfo=cairo), datetime(2025, 8, 13, 15, 0, tzinfo=cairo))

    def header(n: int, period, lang: str = "ar") -> list[str]:
        digest = _alert(kind=DIGEST, items=_items(n), period=period, language=lang)
        return list_replies(digest, TZ, lambda _: True)[0].plain().split("\n")[:2]

    assert header(1, hour) == ["ملخص الساعة 14:00–15:00 · 2025-08-13",
                               "#dprk_russia · كوريا الشمالية وروسيا · قصة واحدة"]
    assert header(2, hour)[1].endswith("قصتان") and header(11, hour)[1].endswith("11 قصة")
    assert header(3, hour)[1].endswith("3 قصص")
    utc_day = (datetime(2025, 8, 13, 5, 0, tzinfo=timezone.utc), datetime(2025, 8, 14, 5, 0, tzinfo=timezone.utc))
    assert header(3, utc_day)[0] == "ملخص يوم 2025-08-13"  # UTC bounds: shown in the configured zone (08:00)
    assert header(3, hour, "en") == ["Digest 14:00–15:00 · 2025-08-13",
                                     "#dprk_russia · كوريا الشمالية وروسيا · 3 stories"]


def test_digest_items_carry_link_sentence_and_source_count_and_the_archive_its_dates():
    digest = _alert(kind=DIGEST, items=_items(2, url="https://news.example/s?a=1&b=<2>"), period=None)
    (reply,) = list_replies(digest, TZ, lambda _: True)
    html_text = render_html(reply)
    assert html_text.count('<a href="https://news.example/s?a=1&amp;b=&lt;2&gt;">') == 2
    body = visible(html_text).split("\n")
    assert body[3:6] == [f"• {HEADLINE}", LEAD, "12:00 · نشرته مصدران"]
    archive = _alert(kind=ARCHIVE, items=_items(3), silent=True)
    lines = visible(render_html(list_replies(archive, TZ, lambda _: True)[0])).split("\n")
    assert lines[0] == "من الأرشيف" and lines[1].endswith("3 قصص")
    assert lines[3:] == [f"• {HEADLINE} · 2025-08-13"] * 3


def test_lists_split_between_items_never_inside_one():
    digest = _alert(kind=DIGEST, items=_items(9), period=None)
    limit = 3 * len(f"• {HEADLINE}\n{LEAD}\n12:00 · نشرته مصدران\n\n") + 200
    parts = list_replies(digest, TZ, lambda r: len(r.plain()) <= limit)
    assert len(parts) >= 3 and all(len(p.plain()) <= limit for p in parts)
    assert sum(p.plain().count(LEAD) for p in parts) == 9
    assert all(p.plain().count(f"• {HEADLINE}") == p.plain().count(LEAD) for p in parts)
    assert parts[1].plain().split("\n")[0].endswith("(تابع)")
    # An item too long for any message goes alone (the platform's renderer then shortens it).
    alone = list_replies(digest, TZ, lambda r: False)
    assert len(alone) == 9 and all(p.plain().count(LEAD) == 1 for p in alone)


def test_the_console_shows_kind_sound_reply_and_edit_in_text_and_json():
    import io
    import json

    out = io.StringIO()
    text = ConsoleTransport(TZ, "text", out)
    asyncio.run(text.send(_alert(kind="update", update=True, silent=True, reply_to="17")))
    asyncio.run(text.edit(_alert(kind=EDIT, edit_of="12", also=("العربية",))))
    asyncio.run(text.send(_alert(kind=DIGEST, items=_items(2), period=None)))
    printed = out.getvalue()
    assert "kind: update · silent · reply-to: 17" in printed and "kind: edit · edit-of: 12" in printed
    assert "نشرته أيضًا: العربية" in printed and f"• {HEADLINE} ‹https://news.example/s›" in printed
    out = io.StringIO()
    asyncio.run(ConsoleTransport(TZ, "jsonl", out).send(_alert(kind=ARCHIVE, items=_items(1), silent=True)))
    data = json.loads(out.getvalue())
    assert data["kind"] == "archive" and data["silent"] is True and "reply_to" not in data
    assert data["items"][0]["headline"] == HEADLINE and data["headline"] == HEADLINE
    out = io.StringIO()
    asyncio.run(ConsoleTransport(TZ, "jsonl", out).send(_alert()))
    plain = json.loads(out.getvalue())  # a plain alert's object keeps exactly its keys
    assert set(plain) == {"chat", "topic", "story_id", "headline", "summary", "url", "source", "published", "matched"}
