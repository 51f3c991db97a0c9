"""Issue 12 part 1 leftovers: why a report joined a story, said where the user asks.

The pipeline records each join (``storage.joins``: a copy, contained text, an update, or another
outlet's report of the same event with the decision's evidence) in the transaction that stores the
article; the alert's «لماذا؟» answer (Telegram and Discord, end to end through the fakes),
/explain of a stored link and ``raqib explain --story`` render it; metrics and /status count a
same-event join apart from copies. The texts are the real labelled SaudiNewsNet reports of
tests/test_same_event_pipeline.py (three outlets' own words on one Community Shield final).
"""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.config import load_config
from bot.pipeline import JOINED, NEW, SAME_EVENT, Outcome, PollReport
from bot.text import dedup
from bot.text.events import Evidence
from bot.text.explain import format_join
from handlers import why as why_text
from handlers.base import Caller, Reply
from handlers.texts import counted
from storage import joins as join_store
from storage.db import transaction
from storage.models import Article as ArticleRow
from storage.outbox import EDIT_COALESCE_S
from tests.conftest import Clock
from tests.test_same_event_pipeline import SHIELD, _in_crawl_order, _make_app, _outlet, labelled  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

EVIDENCE = Evidence(score=0.94, threshold=0.6, hours_apart=3.2, approximate=True,
                    names=("تشيلسي", "أرسنال"), figures=("24",), headline=0.7, coverage=0.8)


def _join(relation: str = "event", evidence: Evidence | None = EVIDENCE, **kw) -> join_store.Join:
    values = dict(article_id=2, source="sabq", title="أرسنال يحقق الدرع", url="http://sabq.org/x",
                  relation=relation, joined_article_id=1, joined_source="alriyadh",
                  joined_title="آرسنال يحرز الدرع الخيرية",
                  evidence=evidence.to_dict() if evidence is not None else None)
    values.update(kw)
    return join_store.Join(**values)


def _visible(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


# --- rendering -----------------------------------------------------------------------------------


@pytest.mark.parametrize("hours, said", [
    (0.3, "الفارق: أقل من ساعة"), (1.2, "الفارق: ساعة واحدة"), (2.0, "الفارق: ساعتان"),
    (3.2, "الفارق: 3 ساعات"), (10.6, "الفارق: 11 ساعة"), (30.0, "الفارق: 30 ساعة"),
])
def test_hours_apart_agree_in_number(hours, said):
    found = Evidence(0.9, 0.7, hours, False, (), (), 0.5, 0.5)
    parts = why_text.evidence_parts("ar", found)
    assert said in parts and not any("الجلب" in p for p in parts)


def test_evidence_names_figures_headline_and_score_against_the_bar():
    parts = why_text.evidence_parts("ar", EVIDENCE)
    assert parts == ["كلمات نادرة مشتركة: تشيلسي، أرسنال", "أرقام مشتركة: 24", "تشابه العنوانين: 70٪",
                     "الفارق: 3 ساعات (بحسب وقت الجلب)", "الدرجة 0.94 والعتبة 0.60"]
    assert Evidence.from_dict(EVIDENCE.to_dict()) == EVIDENCE
    english = why_text.evidence_parts("en", EVIDENCE)
    assert "3 hours apart (by fetch time)" in english and "score 0.94, bar 0.60" in english


@pytest.mark.parametrize("relation, label", [
    ("copy", "نسخة"), ("contained", "نص متضمن"), ("update", "تحديث"), ("event", "الحدث نفسه بصياغة أخرى"),
])
def test_each_kind_of_join_is_named_with_the_report_it_joined(relation, label):
    said = why_text.join_lines(Reply(), "ar", _join(relation)).plain()
    assert said.startswith("• sabq: أرسنال يحقق الدرع\n")
    assert f"  {label}، ضُمّ إلى تقرير alriyadh: «آرسنال يحرز الدرع الخيرية»" in said
    assert ("الدرجة 0.94" in said) == (relation == "event")  # evidence only for the same event


def test_a_joined_report_no_longer_stored_and_a_row_of_another_shape_explain_less():
    said = why_text.join_lines(Reply(), "ar", _join(joined_article_id=None, joined_source=None,
                                                      joined_title=None)).plain()
    assert "ضُمّ إلى تقرير لم يعد مخزنًا" in said
    broken = _join(evidence=None)
    broken = join_store.Join(**{**broken.__dict__, "evidence": {"score": "x"}})
    said = why_text.join_lines(Reply(), "ar", broken).plain()
    assert "الحدث نفسه" in said and "الدرجة" not in said


@pytest.mark.parametrize("total, more", [(6, "وتقرير واحد"), (7, "وتقريران"), (8, "و3 تقارير"),
                                         (16, "و11 تقريرًا"), (105, "و100 تقرير")])
def test_joins_beyond_the_shown_ones_are_counted_in_arabic(total, more):
    shown = [_join() for _ in range(why_text.SHOWN)]
    said = why_text.story_joins(Reply(), "ar", shown, total).plain()
    assert said.startswith("\nلماذا هي قصة واحدة؟\n")
    assert f"… {more} غيرها" in said
    assert more[1:] == counted("ar", total - why_text.SHOWN, "report")


def test_no_join_adds_nothing():
    assert why_text.story_joins(Reply().line("x"), "ar", [], 0).plain() == "x\n"


def test_untrusted_outlet_and_headline_are_escaped_for_telegram_and_discord():
    from bot.transports.discord import render_markdown
    from bot.transports.telegram import render_html

    hostile = _join(source="<b>evil</b>", title="*bold* _x_ <a href='http://x'>y</a> & `c`",
                    joined_title="**وهمي** <i>")
    reply = why_text.story_joins(Reply(), "ar", [hostile], 1)
    tg = render_html(reply)
    assert "<b>evil</b>" not in tg and "&lt;b&gt;evil&lt;/b&gt;" in tg and "<a href" not in tg
    assert "<i>" not in tg.replace("<i>«", "")  # only raqib's own italics
    assert _visible(tg) == reply.plain().strip()
    md = render_markdown(reply)
    assert "*bold*" not in md and r"\*bold\*" in md and r"\*\*وهمي\*\*" in md


def test_the_cli_says_it_in_english():
    said = format_join(_join())
    assert said.splitlines() == [
        "  #2 (sabq) أرسنال يحقق الدرع",
        "    the same event, in other words, as #1 (alriyadh) آرسنال يحرز الدرع الخيرية",
        "    score 0.94 >= bar 0.60; 3.2 h apart (by fetch time); shared rare words: تشيلسي, أرسنال; "
        "shared figures: 24; headlines 70% alike",
    ]
    assert "a copy of #1" in format_join(_join("copy", None))


# --- what the pipeline records -------------------------------------------------------------------


@pytest.fixture
def app(tmp_path, db_url):
    a = _make_app(tmp_path / "app", db_url)
    yield a
    a.close()


def _ids(app: App) -> dict[str, int]:
    with transaction(app.factory) as s:
        return {url: i for i, url in s.execute(select(ArticleRow.id, ArticleRow.url))}


def test_same_event_joins_are_recorded_with_their_evidence(app, labelled):
    reports = _in_crawl_order(labelled, SHIELD)
    outcomes = [app.pipeline.process(_outlet(app, outlet), article) for outlet, article in reports]
    assert [o.status for o in outcomes] == [NEW, JOINED, JOINED]
    ids = _ids(app)
    first = ids[reports[0][1].url]
    with transaction(app.factory) as s:
        joins, total = join_store.story_joins(s, outcomes[0].story_id)
        assert join_store.article_join(s, first) is None  # the story's first report joined nothing
        by_url = join_store.article_join_by_url(s, reports[2][1].url)
    assert total == 2 and [j.article_id for j in joins] == [ids[a.url] for _, a in reports[1:]]
    assert by_url == joins[1]
    for join, (outlet, article), outcome in zip(joins, reports[1:], outcomes[1:]):
        assert (join.relation, join.joined_article_id, join.joined_source) == (SAME_EVENT, first, reports[0][0])
        assert (join.source, join.title) == (outlet, article.title)
        found = Evidence.from_dict(join.evidence)
        # The evidence is the decision's: the score the outcome names, above its bar.
        assert f"score {found.score:.2f}" in outcome.detail and found.score >= found.threshold
        assert found.approximate and found.hours_apart < 1  # crawl times only
        assert {"تشيلسي", "أرسنال"} <= set(found.names), found.names  # as the new report spells them
        assert found.figures and 0 < found.headline <= 1


def test_a_copy_is_recorded_as_a_copy_without_evidence(app, labelled):
    (outlet, article), (other_outlet, other), _ = _in_crawl_order(labelled, SHIELD)
    start = app.pipeline.process(_outlet(app, outlet), article)
    words = article.body.split()
    words[len(words) // 2] = "كذلك"  # one word changed: another outlet's copy of the same text
    copy = replace(article, url="http://copies.example/1", body=" ".join(words))
    got = app.pipeline.process(_outlet(app, "copies"), copy)
    assert got.status == JOINED and got.relation == dedup.COPY, got
    with transaction(app.factory) as s:
        (join,), total = join_store.story_joins(s, start.story_id)
    assert total == 1 and (join.relation, join.source, join.evidence) == ("copy", "copies", None)
    said = why_text.story_joins(Reply(), "ar", [join], total).plain()
    assert "نسخة، ضُمّ إلى تقرير alriyadh" in said
    # Another outlet's own words, stored after the copy, is listed first: its evidence is the question.
    assert app.pipeline.process(_outlet(app, other_outlet), other).relation == SAME_EVENT
    with transaction(app.factory) as s:
        joins, total = join_store.story_joins(s, start.story_id)
        (shown,), _ = join_store.story_joins(s, start.story_id, limit=1)
    assert [(j.relation, j.source) for j in joins] == [(SAME_EVENT, other_outlet), ("copy", "copies")]
    assert total == 2 and shown == joins[0]


def test_a_batch_records_the_joins_one_by_one_would(app, tmp_path, db_url, labelled):
    reports = _in_crawl_order(labelled, SHIELD)
    one = [app.pipeline.process(_outlet(app, outlet), article) for outlet, article in reports]
    other = _make_app(tmp_path / "batch", f"sqlite:///{tmp_path / 'batch.db'}")
    try:
        source = _outlet(other, "all")
        many = list(other.pipeline.process_many(source, [a for _, a in reports]))
        assert [o.status for o in many] == [o.status for o in one]

        def shape(a: App, story_id: int) -> list[tuple]:
            urls = {i: u for u, i in _ids(a).items()}
            with transaction(a.factory) as s:
                joins, _ = join_store.story_joins(s, story_id)
            return [(urls[j.article_id], j.relation, urls[j.joined_article_id],
                     tuple(j.evidence["names"]), tuple(j.evidence["figures"]), round(j.evidence["score"], 2))
                    for j in joins]

        assert shape(other, many[0].story_id) == shape(app, one[0].story_id)
    finally:
        other.close()


def test_explain_of_a_stored_link_and_the_cli_say_why_it_joined(app, tmp_path, labelled, capsys):
    from bot.cli.main import main
    from handlers.watchlist import explain

    reports = _in_crawl_order(labelled, SHIELD)
    outcomes = [app.pipeline.process(_outlet(app, outlet), article) for outlet, article in reports]
    services = app.chat_services(3, 100, 100)
    caller = Caller(user_id=1, chat="telegram:1", chat_type="private")
    said = asyncio.run(explain(services, caller, reports[1][1].url)).plain()
    assert "ضُمّ هذا الخبر إلى قصة قائمة:" in said
    assert f"الحدث نفسه بصياغة أخرى، ضُمّ إلى تقرير {reports[0][0]}: «{reports[0][1].title}»" in said
    assert "الدرجة " in said and "كلمات نادرة مشتركة: " in said
    first = asyncio.run(explain(services, caller, reports[0][1].url)).plain()
    assert "ضُمّ" not in first  # the story's first report joined nothing

    config = str(tmp_path / "app" / "config.toml")  # the app fixture's (tests/test_same_event_pipeline.py)
    assert main(["explain", "--story", str(outcomes[0].story_id), "--config", config]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"story #{outcomes[0].story_id}: {reports[0][1].title}\n")
    assert out.count("the same event, in other words, as #") == 2 and out.count("score ") == 2
    assert main(["explain", "--config", config]) == 2  # a file or --story, not neither


# --- counted apart ---------------------------------------------------------------------------------


def test_status_counts_a_same_event_join_apart(db_url, monkeypatch):
    from bot import metrics as metrics_mod
    from handlers.registry import Tier
    from handlers.status import status
    from tests.telegram_support import make_services

    fresh = metrics_mod.Metrics()
    monkeypatch.setattr(metrics_mod, "METRICS", fresh)
    outcomes = ([Outcome(JOINED, f"u{i}", 1, relation="copy") for i in range(11)]
                + [Outcome(JOINED, f"e{i}", 1, relation=SAME_EVENT) for i in range(3)])
    fresh.observe_report(PollReport("x", outcomes))
    services, engine = make_services(db_url)
    try:
        owner = Caller(user_id=1, chat="telegram:1", chat_type="private", is_owner=True, tier=int(Tier.OWNER))
        said = asyncio.run(status(services, owner)).plain()
    finally:
        engine.dispose()
    assert "ضُمّت إلى قصص قائمة: 11 مقالًا؛ الحدث نفسه من مصادر أخرى: 3 مقالات؛" in said


# --- end to end: «لماذا؟» under the grown story's alert --------------------------------------------

USER = 7_001
CHANNEL = "arsenal"


def _telegram_app(folder: Path, db_url: str, base_url: str) -> App:
    from tests.fake_telegram import TOKEN
    from tests.test_same_event_pipeline import WATCHLISTS

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "watchlists.toml").write_text(WATCHLISTS, encoding="utf-8")
    config = folder / "config.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n'
        f'[general]\nwatchlists = "{folder / "watchlists.toml"}"\ntimezone = "Asia/Riyadh"\n\n'
        f"[delivery]\nbackoff_base = 1\n\n[telegram]\npoll_timeout = 1\n\n"
        f'[[subscriptions]]\nchat = "telegram:{USER}"\ntopics = ["arsenal"]\n',
        encoding="utf-8",
    )
    loaded = load_config(config, env={"RAQIB_TELEGRAM_BASE_URL": base_url, "RAQIB_TELEGRAM_TOKEN": TOKEN})
    app = App(loaded, clock=Clock(datetime(2015, 8, 4, 21, 0, tzinfo=timezone.utc)))
    app.bootstrap()
    return app


def test_telegram_why_on_the_grown_alert_says_why_the_reports_are_one_story(tmp_path, db_url, labelled):
    from bot.transports.telegram import TelegramBot, services_for
    from tests.fake_telegram import TOKEN, FakeTelegram
    from tests.telegram_support import visible

    reports = _in_crawl_order(labelled, SHIELD)
    with FakeTelegram() as fake:
        app = _telegram_app(tmp_path / "tg", db_url, fake.base_url)

        async def run() -> str:
            bot = TelegramBot(app.config, services_for(app, app.config), TOKEN)
            worker = app.worker({"telegram": bot.transport})
            await bot.start()
            try:
                for outlet, article in reports:
                    await asyncio.to_thread(app.pipeline.process, _outlet(app, outlet), article)
                    await worker.drain()
                app.clock.advance(EDIT_COALESCE_S + 1)
                await worker.drain()
                (alert,) = fake.messages_to(USER, "sendMessage")
                (edited,) = fake.edits_of(alert.message_id)
                assert "نشرته أيضًا: " in visible(edited.text)
                before = len(fake.messages_to(USER, "sendMessage"))
                fake.press(alert, dict(alert.buttons())["لماذا؟"], user_id=USER)
                assert await fake.until(lambda f: len(f.messages_to(USER, "sendMessage")) > before)
                return fake.messages_to(USER, "sendMessage")[-1].text
            finally:
                await bot.stop()

        try:
            answer = asyncio.run(run())
        finally:
            app.close()
    seen = visible(answer)
    assert seen.startswith("لماذا وصلك هذا التنبيه؟")  # the watchlist's reason stays first
    assert "لماذا هي قصة واحدة؟" in seen
    for outlet, article in reports[1:]:
        assert f"• {outlet}: {article.title}" in seen
    assert seen.count(f"الحدث نفسه بصياغة أخرى، ضُمّ إلى تقرير {reports[0][0]}: «{reports[0][1].title}»") == 2
    assert seen.count("الدرجة ") == 2 and "كلمات نادرة مشتركة: " in seen and "(بحسب وقت الجلب)" in seen
    assert "<b>لماذا هي قصة واحدة؟</b>" in answer  # rendered, escaped HTML


def test_discord_why_on_the_grown_alert_says_why_the_reports_are_one_story(tmp_path, db_url, labelled):
    from bot.topics import seed_watchlists
    from tests.fake_discord import FakeDiscord
    from tests.test_discord_e2e import GUILD_CHANNEL
    from tests.test_discord_e2e import Harness as DiscordHarness
    from tests.test_same_event_pipeline import WATCHLISTS

    reports = _in_crawl_order(labelled, SHIELD)
    extra = tmp_path / "arsenal.toml"
    extra.write_text(WATCHLISTS, encoding="utf-8")

    async def scenario(fake: FakeDiscord) -> str:
        async with DiscordHarness(tmp_path, db_url, fake) as h:
            with transaction(h.app.factory) as s:
                seed_watchlists(s, extra, h.clock())
            await h.command("subscribe", "arsenal", channel_id=GUILD_CHANNEL, manage_guild=True)
            for outlet, article in reports:
                await asyncio.to_thread(h.app.pipeline.process, _outlet(h.app, outlet), article)
                await h.deliver()
            h.clock.advance(EDIT_COALESCE_S + 1)
            await h.deliver()
            (alert,) = fake.alerts()
            ids = dict(alert.custom_ids())
            before = len(h.fake.sent("callback"))
            h.bot.client._connection.parse_interaction_create(
                h.fake.press(ids["لماذا؟"], alert.message_id, channel_id=GUILD_CHANNEL))
            assert await h.fake.until(lambda f: len(f.sent("callback")) > before)
            return h.fake.sent("callback")[before].payload["data"]["content"]

    with FakeDiscord() as server:
        content = asyncio.run(scenario(server))
    assert "**لماذا هي قصة واحدة؟**" in content
    assert content.count("**الحدث نفسه بصياغة أخرى**") == 2 and content.count("الدرجة ") == 2
    # Headlines carry quotes and outlets' names: as text, with markdown's specials escaped.
    assert "أرسنال" in content and "تشيلسي" in content
    for outlet, _ in reports[1:]:
        assert f"• **{outlet}**: " in content  # bold closes before the space, or Discord shows the stars
