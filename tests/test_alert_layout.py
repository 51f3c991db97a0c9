"""The alert's layout (issue 12, part 5): the headline is the link, one meta line (source · time ·
how many outlets, with Arabic number agreement), the summary; matched terms only behind the
«لماذا؟» button; the buttons' data fit Telegram's 64 bytes. And what the outbox gives the layout:
the source count and the watchlist, and a muted row skipped with its reason."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.alerts import UPDATE_MARK, Alert
from bot.delivery import DeliveryWorker, RetryPolicy
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
from bot.cli import main
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
