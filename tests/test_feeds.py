"""Feed polling against the local feed server, through the real App, pipeline and outbox:
first fetch silent, new items alert once, re-served items do not, conditional GET and body hash,
politeness, backoff, disabling with one notice, teaser pages, and the CLI end to end."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.cli.main import main
from bot.config import load_config
from storage import feeds as feed_store
from storage.db import transaction
from storage.models import Article, Chat, Delivery, Source, Story
from tests.conftest import SHARED_DATA, Clock, write_config
from tests.fake_feeds import FakeFeeds, NewsItem, kursk_item, rss, saudi_items


@pytest.fixture
def server():
    with FakeFeeds() as s:
        yield s


def make_app(tmp_path, db_url, server, feeds: str = "", settings: str = "", clock: Clock | None = None) -> App:
    extra = f'[feeds]\nallow_hosts = ["127.0.0.1"]\ninterval = 600\nmax_failures = 3\n{settings}\n{feeds}'
    config = load_config(write_config(tmp_path, db_url, extra=extra), env={})
    app = App(config, clock=clock or Clock())
    app.bootstrap()
    return app


def feed_entry(server, path: str, name: str = "news", topics: str = '["kursk"]', more: str = "") -> str:
    return f'[[feeds.sources]]\nname = "{name}"\nurl = "{server.url(path)}"\ntopics = {topics}\n{more}\n'


def poll(app: App, keys=None):
    async def go():
        poller = app.feed_poller()
        try:
            return await poller.poll_keys(keys)
        finally:
            await poller.aclose()

    return asyncio.run(go())


def tick(app: App):
    async def go():
        poller = app.feed_poller()
        try:
            return await poller.tick()
        finally:
            await poller.aclose()

    return asyncio.run(go())


def deliveries(app: App) -> list[tuple[str, str]]:
    with transaction(app.factory) as s:
        # The article each delivery shows: its own (an update, an alert through an update), else the lead.
        shown = func.coalesce(Delivery.article_id, Story.lead_article_id)
        rows = s.execute(select(Chat.address, Article.title).join(Delivery, Delivery.chat_id == Chat.id)
                         .join(Story, Story.id == Delivery.story_id).join(Article, Article.id == shown)).all()
    return [tuple(r) for r in rows]


def source(app: App, name: str = "news") -> Source:
    with transaction(app.factory) as s:
        src = s.scalar(select(Source).where(Source.name == name))
        s.expunge(src)
        return src


def fresh(item: NewsItem, clock: Clock, hours: float = 1) -> NewsItem:
    item.published = clock() - timedelta(hours=hours)
    return item


def test_first_fetch_silent_then_new_item_alerts_once_and_reserved_copy_does_not(tmp_path, db_url, server):
    clock = Clock()
    old = saudi_items(4)
    route = server.add("/feed", body=rss(old))
    app = make_app(tmp_path, db_url, server, feed_entry(server, "/feed"), clock=clock)
    try:
        [first] = poll(app)
        assert first.error is None and first.count("new") == 4 and "first fetch" in first.status
        assert deliveries(app) == []
        assert source(app).last_success_at == clock()

        kursk = fresh(kursk_item(), clock)
        route.body = rss([kursk, *old])
        clock.advance(700)
        [second] = poll(app)
        assert second.count("new") == 1 and second.count("duplicate") == 4
        # The seed report names Kursk and North Korea: each desk gets it once.
        assert sorted(deliveries(app)) == [("console:korea-desk", kursk.title), ("console:kursk-desk", kursk.title)]

        # Re-served under a new guid and an edited title: the same article, not a new alert.
        kursk.guid, kursk.title = "kursk-1-v2", kursk.title + " (محدث)"
        route.body = rss([kursk, *old])
        clock.advance(700)
        [third] = poll(app)
        assert third.count("new") == 0 and third.error is None
        assert len(deliveries(app)) == 2
    finally:
        app.close()


def test_first_fetch_can_alert_when_configured_and_old_items_never_do(tmp_path, db_url, server):
    clock = Clock()
    kursk_new = fresh(kursk_item(), clock)
    kursk_old = fresh(kursk_item(), clock, hours=24 * 10)
    kursk_old.guid, kursk_old.link = "old", "https://news.example/old-kursk"
    kursk_old.body = kursk_old.body.split("\n")[0] + "\nتقرير قديم عن كورسك نشر قبل عشرة أيام ولم يعد خبرًا جديدًا لأحد."
    kursk_old.title = "تقرير قديم عن معارك كورسك"
    server.add("/feed", body=rss([kursk_new, kursk_old]))
    app = make_app(tmp_path, db_url, server, feed_entry(server, "/feed"), "alert_first_fetch = true", clock=clock)
    try:
        [report] = poll(app)
        # The old item opens the new one's text: the new item is an update of the (silent) old
        # story, and since no chat had that story's alert, the update is its alert.
        assert report.count("new") + report.count("update") == 2 and report.count("new") >= 1
        assert {title for _, title in deliveries(app)} == {kursk_new.title}
    finally:
        app.close()


def test_conditional_get_and_body_hash_skip_parsing(tmp_path, db_url, server):
    body = rss(saudi_items(3))
    server.add("/etag", body=body, etag='"abc"', last_modified="Wed, 13 Aug 2025 08:00:00 GMT")
    server.add("/plain", body=body)
    feeds = feed_entry(server, "/etag", "etag") + feed_entry(server, "/plain", "plain")
    app = make_app(tmp_path, db_url, server, feeds)
    try:
        assert all(r.parsed for r in poll(app))
        again = {r.source: r for r in poll(app)}
        assert again["etag"].status == "304 not modified" and not again["etag"].parsed
        assert server.hits("/etag")[-1]["If-None-Match"] == '"abc"'
        assert again["plain"].status == "200 unchanged (same body)" and not again["plain"].parsed
        assert source(app, "etag").etag == '"abc"' and source(app, "plain").content_hash
        server.routes["/plain"].body = rss(saudi_items(4))
        changed = {r.source: r for r in poll(app)}
        assert changed["plain"].parsed and changed["plain"].count("new") == 1
    finally:
        app.close()


def test_server_and_ttl_ask_for_less_frequent_polling(tmp_path, db_url, server):
    clock = Clock()
    server.add("/ttl", body=rss(saudi_items(1), ttl=180))
    server.add("/busy", status=429, headers={"Retry-After": "7200"})
    server.add("/cache", body=rss(saudi_items(1)), headers={"Cache-Control": "max-age=5400"})
    feeds = feed_entry(server, "/ttl", "ttl") + feed_entry(server, "/busy", "busy") + feed_entry(server, "/cache", "cache")
    app = make_app(tmp_path, db_url, server, feeds, clock=clock)
    try:
        poll(app)
        assert source(app, "ttl").next_check_at >= clock() + timedelta(minutes=180)
        assert source(app, "busy").next_check_at >= clock() + timedelta(seconds=7200)
        assert source(app, "cache").next_check_at >= clock() + timedelta(seconds=5400)
        assert source(app, "busy").error_count == 1
    finally:
        app.close()


def test_failures_back_off_then_disable_with_one_notice_and_admin_reenables(tmp_path, db_url, server):
    clock = Clock()
    route = server.add("/broken", status=500)
    app = make_app(tmp_path, db_url, server, feed_entry(server, "/broken", "broken", more='admin = "console:ops"'),
                   clock=clock)
    try:
        delays = []
        for _ in range(3):
            clock.advance(10_000)
            [report] = tick(app)
            assert report.error == "HTTP 500"
            delays.append((source(app, "broken").next_check_at - clock()).total_seconds())
        assert delays[0] < delays[1] < delays[2]  # exponential backoff
        src = source(app, "broken")
        assert src.error_count == 3 and "3 failures in a row; last: HTTP 500" in src.disabled_reason
        notices = deliveries(app)
        assert sorted(chat for chat, _ in notices) == ["console:kursk-desk", "console:ops"]
        assert all("broken" in title for _, title in notices)
        clock.advance(100_000)
        assert tick(app) == []  # disabled: not polled, no second notice
        assert len(deliveries(app)) == 2

        route.status, route.body = 200, rss(saudi_items(2))
        with transaction(app.factory) as s:
            assert feed_store.enable_feed(s, "broken", clock()) is not None
        [report] = tick(app)
        assert report.error is None and source(app, "broken").error_count == 0
    finally:
        app.close()


def test_refused_address_is_one_clear_line_in_status(tmp_path, db_url, server):
    feeds = '[[feeds.sources]]\nname = "meta"\nurl = "http://169.254.169.254/latest/meta-data/"\n'
    app = make_app(tmp_path, db_url, server, feeds)
    try:
        [report] = poll(app)
        assert report.error == "refused: 169.254.169.254 resolves to a link-local/metadata address (169.254.169.254)"
        assert source(app, "meta").last_error == report.error
    finally:
        app.close()


def test_hostile_feeds_cost_nothing_else(tmp_path, db_url, server):
    from tests.fake_feeds import BILLION_LAUGHS, gzip_bomb

    server.add("/laughs", body=BILLION_LAUGHS)
    server.add("/bomb", raw_gzip=gzip_bomb(100_000_000))
    server.add("/endless", endless=True)
    server.add("/good", body=rss(saudi_items(2)))
    feeds = "".join(feed_entry(server, f"/{n}", n) for n in ("laughs", "bomb", "endless", "good"))
    app = make_app(tmp_path, db_url, server, feeds, "max_bytes = 1000000")
    try:
        reports = {r.source: r for r in poll(app)}
        assert "declares XML entities" in reports["laughs"].error
        assert "decompressed body over the 1000000-byte limit" in reports["bomb"].error
        assert "over the 1000000-byte limit" in reports["endless"].error
        assert reports["good"].error is None and reports["good"].count("new") == 2
        with transaction(app.factory) as s:
            assert s.scalar(select(func.count()).select_from(Article)) == 2
    finally:
        app.close()


def test_tick_polls_only_due_feeds_with_bounded_concurrency_per_host(tmp_path, db_url, server):
    clock = Clock()
    for i in range(6):
        server.add(f"/slow{i}", body=rss(saudi_items(1)), delay=0.2)
    feeds = "".join(feed_entry(server, f"/slow{i}", f"slow{i}") for i in range(6))
    app = make_app(tmp_path, db_url, server, feeds, "per_host = 2\nconcurrency = 10", clock=clock)
    try:
        # Config feeds start spread over their interval, not all at once.
        starts = {source(app, f"slow{i}").next_check_at for i in range(6)}
        assert len(starts) > 1 and all(clock() <= s < clock() + timedelta(seconds=600) for s in starts)
        clock.advance(601)
        reports = tick(app)
        assert len(reports) == 6 and all(r.error is None for r in reports)
        assert server.max_inflight <= 2
        assert tick(app) == []  # nothing due until their next check
    finally:
        app.close()


def test_teaser_items_fetch_the_article_page(tmp_path, db_url, server):
    page = (SHARED_DATA / "newspaper4k_cnn_arabic" / "html_arabic_article.html").read_bytes()
    expected = (SHARED_DATA / "newspaper4k_cnn_arabic" / "txt_arabic_article.txt").read_text(encoding="utf-8")
    server.add("/article", body=page, content_type="text/html; charset=utf-8")
    teaser = NewsItem("عنوان قصير", "مقدمة قصيرة فقط.", server.url("/article"), "t1", Clock()())
    server.add("/feed", body=rss([teaser]))
    app = make_app(tmp_path, db_url, server, feed_entry(server, "/feed", more="fetch_full = true"))
    try:
        [report] = poll(app)
        assert report.count("new") == 1
        with transaction(app.factory) as s:
            body = s.scalar(select(Article.body))
        sentence = max(expected.split("\n"), key=len)[:50]
        assert len(body.split()) > 100 and sentence in body
    finally:
        app.close()


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_cli_end_to_end_kursk_reaches_console_once(tmp_path, db_url, server, capsys, monkeypatch):
    monkeypatch.setenv("RAQIB_FEEDS_ALLOW_HOSTS", "127.0.0.1")
    old = saudi_items(3)
    route = server.add("/feed", body=rss(old))
    config = str(write_config(tmp_path, db_url))
    assert main(["feeds", "add", server.url("/feed"), "--config", config]) == 0
    err = capsys.readouterr().err
    assert "3 items, 3 new, stored without alerts (first fetch)" in err

    from datetime import datetime, timezone

    kursk = kursk_item()
    kursk.published = datetime.now(timezone.utc) - timedelta(hours=1)
    route.body = rss([kursk, *old])
    assert main(["feeds", "poll", "--format", "jsonl", "--config", config]) == 0
    alerts = [a for a in _jsonl(capsys.readouterr().out) if a["topic"] == "kursk"]
    assert [(a["chat"], a["topic"], a["headline"]) for a in alerts] == [("console:kursk-desk", "kursk", kursk.title)]
    assert alerts[0]["url"] == "https://news.example/kursk-report" and "كورسك" in alerts[0]["matched"]

    kursk.guid = "kursk-republished"
    route.body = rss([kursk, *old])
    assert main(["feeds", "poll", server.url("/feed"), "--format", "jsonl", "--config", config]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == "" and "4 duplicate" in out.err

    assert main(["feeds", "list", "--config", config]) == 0
    assert server.url("/feed") in capsys.readouterr().out


def test_cli_refuses_private_feed_and_opml_round_trip(tmp_path, db_url, server, capsys, monkeypatch):
    monkeypatch.setenv("RAQIB_FEEDS_ALLOW_HOSTS", "127.0.0.1")
    config = str(write_config(tmp_path, db_url))
    assert main(["feeds", "add", "http://10.0.0.7/rss", "--config", config]) == 1
    assert "refused: 10.0.0.7 resolves to a private address" in capsys.readouterr().err

    for i in range(2):
        server.add(f"/f{i}", body=rss(saudi_items(1)))
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        f'<outline text="مجلد"><outline type="rss" title="خلاصة أولى" xmlUrl="{server.url("/f0")}"/></outline>'
        f'<outline type="rss" text="ثانية" xmlUrl="{server.url("/f1")}"/></body></opml>',
        encoding="utf-8",
    )
    assert main(["feeds", "import", str(opml), "--config", config]) == 0
    assert "imported 2 of 2" in capsys.readouterr().err
    out = tmp_path / "out.opml"
    assert main(["feeds", "export", str(out), "--config", config]) == 0
    from bot.sources.opml import read_opml

    assert {(f.url, f.title) for f in read_opml(out.read_bytes())} == {
        (server.url("/f0"), "خلاصة أولى"), (server.url("/f1"), "ثانية")}
    bad = tmp_path / "bad.opml"
    bad.write_bytes(b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "b">]><opml><body>&a;</body></opml>')
    assert main(["feeds", "import", str(bad), "--config", config]) == 2
    assert "not valid OPML" in capsys.readouterr().err

    assert main(["feeds", "remove", server.url("/f0"), "--config", config]) == 0
    capsys.readouterr()
    assert main(["feeds", "list", "--config", config]) == 0
    listed = capsys.readouterr().out
    assert server.url("/f1") in listed and server.url("/f0") not in listed


def test_scheduler_tick_job_polls_due_feeds(tmp_path, db_url, server):
    from bot.scheduler import Runner

    clock = Clock()
    server.add("/feed", body=rss(saudi_items(2)))
    app = make_app(tmp_path, db_url, server, feed_entry(server, "/feed"), "tick = 7", clock=clock)
    try:
        async def go():
            runner = Runner(app, {})
            runner.feeds = app.feed_poller()
            runner.schedule()
            job = runner.scheduler.get_job("feeds")
            assert job is not None and job.trigger.interval.total_seconds() == 7
            clock.advance(601)
            await runner._feed_tick()
            await runner.feeds.aclose()

        asyncio.run(go())
        assert source(app).last_success_at == clock() and "2 new" in source(app).last_status
    finally:
        app.close()


def test_every_format_and_arabic_encoding_over_http(tmp_path, db_url, server):
    from tests.fake_feeds import atom, jawhara_items, rdf

    saudi, jawhara = saudi_items(2), jawhara_items(2)
    server.add("/cp1256", body=rss(saudi, encoding="windows-1256", declare=False), content_type="application/rss+xml")
    server.add("/iso", body=rss(saudi_items(4)[2:], encoding="iso-8859-6"), content_type="text/xml")
    server.add("/atom", body=atom(jawhara), content_type="application/atom+xml")
    server.add("/rdf", body=rdf(jawhara_items(4)[2:]), content_type="application/rdf+xml", gzip=True)
    feeds = "".join(feed_entry(server, f"/{n}", n) for n in ("cp1256", "iso", "atom", "rdf"))
    app = make_app(tmp_path, db_url, server, feeds)
    try:
        reports = {r.source: r for r in poll(app)}
        assert all(r.error is None and r.count("new") == 2 for r in reports.values()), reports
        with transaction(app.factory) as s:
            titles = set(s.scalars(select(Article.title)))
        expected = {i.title for i in saudi_items(4)} | {i.title for i in jawhara_items(4)}
        assert titles == expected
    finally:
        app.close()
