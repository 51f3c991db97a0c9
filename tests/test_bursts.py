"""Issue 12 part 6: bursts of coverage («تغطية مكثفة»).

The detector's rule on its own (median of zeros, the floor, a busy topic's median, the cooldown),
then a replay of SaudiNewsNet through the real pipeline with a fake clock: on 6 August 2015 a
suicide bomber struck the mosque of the Special Emergency Forces in Abha; the outlets' crawl of
that evening carries dozens of reports, while the days before carry a few mosque-bombing reports
an hour (Kuwait, Yemen). The subscribed chats must get one burst alert at the spike, none before
it, and none again within the cooldown.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery import bursts
from bot.app import App
from bot.article import Article
from bot.config import BurstsConfig, load_config
from storage import outbox, sources
from storage.bursts import BURST_KIND, Burst, BurstStory
from storage.db import transaction
from storage.models import Chat, Delivery, Story
from tests.conftest import SHARED_DATA, SEEDS, Clock

T0 = datetime(2015, 8, 6, 18, 30, tzinfo=timezone.utc)
CFG = BurstsConfig(factor=3.0, min_articles=10, window_days=7, cooldown_hours=4.0)


# --- the rule -------------------------------------------------------------------------------------


def test_hours_slide_with_now_and_ignore_the_future_and_the_past_of_the_window():
    times = [T0, T0 - timedelta(minutes=59), T0 - timedelta(hours=1), T0 - timedelta(hours=1, minutes=1),
             T0 + timedelta(minutes=5), T0 - timedelta(days=7, hours=2)]
    last, history = bursts.hourly_counts(times, T0, window_days=7)
    assert last == 2  # (now - 1h, now]
    assert history[0] == 2  # (now - 2h, now - 1h]: the boundary belongs to the older hour
    assert len(history) == 7 * 24 and sum(history) == 2  # the future and the pre-window time dropped


def test_a_quiet_topic_has_a_median_of_zero_floored_so_min_articles_decides():
    quiet = [T0 - timedelta(hours=h) for h in (5, 30, 70)]  # three articles in a week: median 0
    r = bursts.rate(quiet + [T0 - timedelta(minutes=m) for m in range(3)], T0, 7)
    assert r.median == 0 and r.baseline == bursts.FLOOR
    assert r.last_hour == 3 and not bursts.is_burst(r, CFG)  # 3 ≥ 3 × 1, but a handful is no burst
    r = bursts.rate(quiet + [T0 - timedelta(minutes=m) for m in range(10)], T0, 7)
    assert bursts.is_burst(r, CFG)


def test_a_busy_topic_must_triple_its_median():
    week = [T0 - timedelta(hours=h, minutes=m) for h in range(1, 7 * 24 + 1) for m in (5, 15, 25, 35, 45, 55)]
    usual = bursts.rate(week + [T0 - timedelta(minutes=m) for m in range(15)], T0, 7)
    assert usual.median == 6 and usual.last_hour == 15 and not bursts.is_burst(usual, CFG)  # 15 < 18
    spike = bursts.rate(week + [T0 - timedelta(minutes=m) for m in range(18)], T0, 7)
    assert bursts.is_burst(spike, CFG)


def test_the_cooldown_holds_for_its_hours_then_lets_go():
    assert not bursts.cooling_down(None, T0, CFG)
    assert bursts.cooling_down(T0 - timedelta(hours=3, minutes=59), T0, CFG)
    assert not bursts.cooling_down(T0 - timedelta(hours=4), T0, CFG)


def test_the_alert_names_the_topic_counts_in_arabic_and_links_web_stories_only():
    stories = [BurstStory(1, "مقتل 15 في تفجير مسجد بأبها", "https://sabq.org/x", 4, 6),
               BurstStory(2, "خبر داخلي", "raqib:bursts#1", 1, 1)]
    headline, body = bursts.render("تفجيرات المساجد", 23, stories)
    assert headline == "تغطية مكثفة: تفجيرات المساجد — 23 مقالًا في الساعة الأخيرة"
    assert body.splitlines() == ["• مقتل 15 في تفجير مسجد بأبها (4 مصادر)", "https://sabq.org/x", "• خبر داخلي (مصدر واحد)"]


# --- a replayed SaudiNewsNet day through the real pipeline ------------------------------------------

DAYS = ("2015-08-01", "2015-08-02", "2015-08-03", "2015-08-04", "2015-08-06")
WATCHLISTS = """
[[watchlist]]
slug = "mosque-bombings"
name = "تفجيرات المساجد"
all = [["تفجير", "انتحاري"], ["مسجد"]]

[[watchlist]]
slug = "kursk"
name = "كورسك"
any = ["كورسك"]
"""
SUBSCRIBED = ("console:bursts-a", "console:bursts-b")
OTHER_NEWS_EVERY = 40  # a thin slice of the other news, so the topic is not all the pipeline sees


def _replay_slice() -> list[tuple[datetime, dict]]:
    """The topic-relevant articles of the five days plus every 40th other one, by crawl time.

    The prefilter is loose (any of the terms anywhere); the pipeline's matcher decides what matches.
    """
    out = []
    for i, day in enumerate(DAYS):
        with zipfile.ZipFile(SHARED_DATA / "saudinewsnet" / f"{day}.zip") as zf:
            rows = json.loads(zf.read(zf.namelist()[0]))
        for j, row in enumerate(rows):
            title, body = (row.get("title") or "").strip(), (row.get("content") or "").strip()
            if not title or len(body.split()) < 30:
                continue
            text = title + " " + body
            relevant = "مسجد" in text and ("تفجير" in text or "انتحاري" in text)
            if relevant or j % OTHER_NEWS_EVERY == 0:
                when = datetime.strptime(row["date_extracted"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
                out.append((when, row))
    out.sort(key=lambda pair: pair[0])
    return out


def _config(tmp_path: Path, db_url: str, cooldown_hours: float) -> Path:
    (tmp_path / "watchlists.toml").write_text(WATCHLISTS, encoding="utf-8")
    subs = "".join(f'[[subscriptions]]\nchat = "{c}"\ntopics = ["mosque-bombings"]\n\n' for c in SUBSCRIBED)
    subs += '[[subscriptions]]\nchat = "console:kursk-desk"\ntopics = ["kursk"]\n'
    path = tmp_path / "config.toml"
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n[general]\nwatchlists = "{tmp_path / "watchlists.toml"}"\n'
        f'timezone = "Asia/Riyadh"\n\n[bursts]\nfactor = 3.0\nmin_articles = 10\nwindow_days = 7\n'
        f"cooldown_hours = {cooldown_hours}\n\n{subs}",
        encoding="utf-8",
    )
    return path


@pytest.mark.skipif(not (SHARED_DATA / "saudinewsnet").is_dir(), reason="shared evaluation data not present")
def test_a_replayed_saudinewsnet_week_bursts_once_at_the_abha_mosque_bombing(tmp_path, db_url):
    items = _replay_slice()
    start = items[0][0].replace(minute=0, second=0)
    clock = Clock(start)
    app = App(load_config(_config(tmp_path, db_url, cooldown_hours=6), env={}), clock=clock)
    try:
        app.bootstrap()
        outlets: dict[str, int] = {}  # one source per outlet, so a story's outlets can be counted
        with transaction(app.factory) as s:
            for name in sorted({row["source"] for _, row in items}):
                outlets[name] = sources.ensure_source(s, f"snn-{name}", "files", f"snn:{name}", 0, start).id
        cfg = app.config.bursts
        announced: list[tuple[datetime, bursts.Announced]] = []
        before_spike_max = 0  # the busiest hour the topic had before the spike, as the detector saw it
        spike = datetime(2015, 8, 6, 18, 0, tzinfo=timezone.utc)
        end = items[-1][0] + timedelta(hours=1)
        held_back: list[datetime] = []  # checks that saw a burst but were inside the cooldown
        nxt = 0
        check = start
        while check <= end:  # a check every 10 minutes of fake time, as `raqib run` does
            while nxt < len(items) and items[nxt][0] <= check:
                when, row = items[nxt]
                clock.now = when
                article = Article(f"snn-{row['source']}", row["url"], row["title"], row["content"], when,
                                  guid=None, date_source="feed", fetched_at=when)
                app.pipeline.process(outlets[row["source"]], article)
                nxt += 1
            clock.now = check
            with transaction(app.factory) as s:
                times = bursts.burst_store.article_times(s, check - timedelta(hours=1), check)
                topic_id = next(t.id for t in bursts.burst_store.topics(s) if t.slug == "mosque-bombings")
                if check < spike:
                    before_spike_max = max(before_spike_max, len(times.get(topic_id, [])))
                window = bursts.burst_store.article_times(s, check - timedelta(days=7, hours=1), check)
                bursting = bursts.is_burst(bursts.rate(window.get(topic_id, []), check, 7), cfg)
                got = bursts.detect(s, cfg, check)
            if bursting and announced and not got:
                held_back.append(check)
            announced += [(check, a) for a in got]
            check += timedelta(seconds=bursts.CHECK_EVERY_S)

        # The days before had real coverage of the topic, just not a burst of it.
        assert 0 < before_spike_max < cfg.min_articles, before_spike_max
        assert [a.topic for _, a in announced] == ["mosque-bombings"], announced
        at, burst = announced[0]
        assert spike <= at <= spike + timedelta(hours=2), at  # the evening crawl of 6 August
        assert burst.articles >= cfg.min_articles and burst.articles >= cfg.factor * burst.baseline
        assert burst.queued == len(SUBSCRIBED)

        with transaction(app.factory) as s:
            rows = s.execute(
                select(Chat.address, Story.headline, Story.summary, Delivery.kind)
                .join(Delivery, Delivery.chat_id == Chat.id).join(Story, Story.id == Delivery.story_id)
                .where(Story.kind == BURST_KIND)
                .order_by(Chat.address)
            ).all()
            recorded = s.scalars(select(Burst)).all()
        assert [r.address for r in rows] == sorted(SUBSCRIBED)  # not the kursk desk
        headline, body = rows[0].headline, rows[0].summary
        assert headline.startswith("تغطية مكثفة: تفجيرات المساجد — ") and "في الساعة الأخيرة" in headline
        assert body.startswith("• ") and "الطوارئ" in body.splitlines()[0]  # the Abha bombing leads
        assert len(recorded) == 1 and recorded[0].article_count == burst.articles

        # The alert rides the outbox like any other: claimed once per chat, then the rows are held.
        with transaction(app.factory) as s:
            jobs = outbox.claim(s, ["console"], "w1", clock(), 60, 100)
        burst_jobs = [j for j in jobs if j.headline == headline]
        assert sorted(j.chat for j in burst_jobs) == sorted(SUBSCRIBED)
        top_url = body.splitlines()[1]  # the headline opens the burst's top story
        assert all(j.url.startswith(top_url + "#raqib-burst-") for j in burst_jobs), burst_jobs[0].url
        with transaction(app.factory) as s:
            again = outbox.claim(s, ["console"], "w2", clock(), 60, 100)
        assert not [j for j in again if j.headline == headline]

        # The coverage kept surging (the 19:00 and 22:00 crawls): the cooldown, not the rate, kept it quiet.
        assert held_back and all(at < t < at + timedelta(hours=cfg.cooldown_hours) for t in held_back), held_back
    finally:
        app.close()


def test_the_outbox_insert_survives_a_prepared_statement(tmp_path, db_url):
    """psycopg prepares a statement on its 6th run; the ON CONFLICT target of enqueue must still
    match the partial unique index then (a bound "kind = $1" did not: the replay above hit it)."""
    from storage import chats as chat_store
    from storage import watchlists as watchlist_store
    from storage.articles import create_notice

    (tmp_path / "watchlists.toml").write_text(WATCHLISTS, encoding="utf-8")
    path = _config(tmp_path, db_url, cooldown_hours=4)
    app = App(load_config(path, env={}), clock=Clock(T0))
    try:
        app.bootstrap()
        with transaction(app.factory) as s:
            wl = watchlist_store.get_watchlist(s, "mosque-bombings")
            chat = chat_store.ensure_chat(s, SUBSCRIBED[0], T0)
            src = sources.ensure_source(s, "notices", "files", "-", 0, T0).id
            queued = []
            for i in range(8):
                story = create_notice(s, src, f"raqib:test#{i}", f"{i:064d}", f"إشعار {i}", "نص", T0)
                queued.append(outbox.enqueue(s, story.id, [(chat.id, wl.id, None)], T0))
                queued.append(outbox.enqueue(s, story.id, [(chat.id, wl.id, None)], T0))  # already held
        assert queued == [1, 0] * 8
    finally:
        app.close()


# --- end to end through the fake Bot API and the fake Discord API --------------------------------


def _seed_headlines() -> list[str]:
    """Real headlines: the first line of each seed article about North Korea and Russia."""
    heads = []
    for f in sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt")):
        first = next(line.strip() for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
        if "كوريا" in first or "الكورية" in first or "كيم" in first:
            heads.append(first[:120])
    assert len(heads) >= 3
    return heads


def _store_burst(factory, heads: list[str], now: datetime) -> None:
    """One dprk-russia story per headline, each from its own outlet, all in the last hour."""
    from storage import articles as article_store
    from storage import watchlists as watchlist_store

    with transaction(factory) as s:
        wl = watchlist_store.get_watchlist(s, "dprk-russia")
        for i, head in enumerate(heads):
            src = sources.ensure_source(s, f"outlet-{i}", "files", f"outlet:{i}", 0, now).id
            at = now - timedelta(minutes=5 + 10 * i)
            story = article_store.create_story(s, head, "ملخص.", at, now)
            article_store.add_article(s, story.id, article_store.NewArticle(
                src, f"https://news.example/burst/{i}", None, head, "نص", at, "text", now,
                f"{i + 1:064x}", b"fp", []))
            article_store.add_story_topic(s, story.id, wl.id, ["كوريا الشمالية", "روسيا"], now)


def test_a_burst_alert_reaches_a_telegram_subscriber_once(tmp_path):
    """/subscribe, a burst of dprk-russia reports in the last hour, one «تغطية مكثفة» message in
    the chat through the fake Bot API, and nothing more on the next check (the cooldown)."""
    import asyncio

    from tests.fake_telegram import FakeTelegram
    from tests.telegram_support import Harness, visible

    heads = _seed_headlines()

    async def scenario(fake: FakeTelegram) -> None:
        env = {"RAQIB_BURSTS_MIN_ARTICLES": str(len(heads))}
        async with Harness(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}", fake, env=env) as h:
            await h.say("/subscribe dprk-russia", user_id=601)
            _store_burst(h.app.factory, heads, h.app.clock())
            before = len(fake.messages_to(601))
            (burst,) = await asyncio.to_thread(bursts.check, h.app.factory, h.config.bursts, h.app.clock())
            assert burst.topic == "dprk-russia" and burst.articles == len(heads) and burst.queued == 1
            await h.deliver()
            sent = [visible(m.text) for m in fake.messages_to(601)[before:]]
            assert len(sent) == 1 and "\nتغطية مكثفة: كوريا الشمالية وروسيا — " in sent[0], sent
            assert heads[0][:40] in sent[0] and "https://news.example/burst/0" in fake.messages_to(601)[-1].text
            assert await asyncio.to_thread(bursts.check, h.app.factory, h.config.bursts, h.app.clock()) == []
            await h.deliver()
            assert len(fake.messages_to(601)) == before + 1

    with FakeTelegram() as fake:
        asyncio.run(scenario(fake))


def test_a_burst_alert_reaches_a_discord_channel_once(tmp_path):
    """The same burst as one embed in a subscribed Discord channel, through the fake Discord API."""
    import asyncio

    from tests.fake_discord import FakeDiscord
    from tests.test_discord_e2e import GUILD_CHANNEL, Harness

    heads = _seed_headlines()
    subs = f'[[subscriptions]]\nchat = "discord:{GUILD_CHANNEL}"\ntopics = ["dprk-russia"]\n'

    async def scenario(fake: FakeDiscord) -> None:
        async with Harness(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}", fake, subscriptions=subs) as h:
            cfg = BurstsConfig(factor=3.0, min_articles=len(heads), window_days=7, cooldown_hours=4.0)
            _store_burst(h.app.factory, heads, h.clock())
            (burst,) = await asyncio.to_thread(bursts.check, h.app.factory, cfg, h.clock())
            assert burst.queued == 1
            report = await h.deliver()
            assert report.sent == 1
            (alert,) = fake.alerts()
            assert alert.target == str(GUILD_CHANNEL)
            (embed,) = alert.embeds
            assert embed["title"].startswith("تغطية مكثفة: كوريا الشمالية وروسيا — ")
            assert embed["url"].startswith("https://news.example/burst/0#raqib-burst-")
            assert heads[1][:40] in embed["description"]
            h.clock.advance(3 * 3600)  # still inside the cooldown: no second alert
            assert await asyncio.to_thread(bursts.check, h.app.factory, cfg, h.clock()) == []
            h.clock.advance(3600)  # past it, and the burst's hour is over: the topic is quiet again
            assert await asyncio.to_thread(bursts.check, h.app.factory, cfg, h.clock()) == []
            assert (await h.deliver()).sent == 0 and len(fake.alerts()) == 1

    with FakeDiscord() as fake:
        asyncio.run(scenario(fake))
