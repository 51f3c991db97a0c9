"""Input PostgreSQL cannot store must cost that item only (issue 9, defect 7).

A NUL byte after the binary sniff's first 64 KB of a .txt, a NUL in a feed title, a 5,000-character
link (over PostgreSQL's btree row size for the old ``UNIQUE (url)``): each used to escape the
pipeline, stop ``raqib ingest`` with a traceback before the files after it, and make
``FeedPoller.poll`` raise so the feed's newer items were never stored and its status said nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from sqlalchemy import select

from bot.article import MAX_GUID_CHARS
from bot.cli.main import main
from bot.pipeline import DUPLICATE, FAILED, NEW
from bot.sources.files import read_article_file
from storage import articles as article_store
from storage.db import transaction
from storage.models import Article, text_key
from tests.conftest import write_config
from tests.fake_feeds import NewsItem, rss, saudi_items
from tests.test_feeds import feed_entry, make_app, poll, source


def _long_link(chars: int) -> str:
    """A link of ``chars`` characters that does not compress (PostgreSQL compresses an index entry
    before it checks the ~2.7 KB limit, so a repetitive link would slip under it)."""
    tokens = (hashlib.sha256(str(i).encode()).hexdigest() for i in range(chars))
    link = "https://news.example/article?id=" + "&".join(f"t{i}={t}" for i, t in enumerate(tokens))
    return link[:chars]


def _stored(app) -> dict[str, Article]:
    with transaction(app.factory) as s:
        rows = list(s.scalars(select(Article)))
        for r in rows:
            s.expunge(r)
    return {r.url: r for r in rows}


def _nul_file(path, items: list[NewsItem]) -> None:
    """A real report longer than 64 KB with one NUL byte after the first 64 KB."""
    paragraphs = [p for it in items for p in it.body.splitlines() if p.strip()]
    text = items[0].title + "\n" + "\n".join(paragraphs)
    while len(text.encode("utf-8")) < 70_000:
        text += "\n" + "\n".join(paragraphs)
    data = text.encode("utf-8")
    path.write_bytes(data[:68_000].rsplit(b"\n", 1)[0] + b"\x00\n" + data[68_000:].split(b"\n", 1)[1])


def test_a_nul_after_64_kb_costs_nothing_and_later_files_are_ingested(tmp_path, db_url, seed_files):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "1_good.txt").write_bytes(seed_files[0].read_bytes())
    _nul_file(folder / "2_nul.txt", saudi_items(40, min_words=150))
    (folder / "3_good.txt").write_bytes(seed_files[1].read_bytes())
    app = make_app(tmp_path, db_url, None)
    try:
        report = app.ingest_paths([folder])
        assert [o.status for o in report.outcomes] == [NEW, NEW, NEW], [o.detail for o in report.outcomes]
        stored = _stored(app)
        nul = stored[str(folder / "2_nul.txt")]
        assert "\x00" not in nul.body and len(nul.body) > 30_000
        assert str(folder / "3_good.txt") in stored
    finally:
        app.close()


def test_raqib_ingest_goes_on_after_an_article_it_cannot_store(tmp_path, db_url, seed_files, monkeypatch, capsys):
    """Whatever an article's failure (here the store itself refuses one), the CLI reports it in one
    line and ingests the files after it; no traceback, exit 1 (a file was not stored)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i, f in enumerate(seed_files[:3]):
        (folder / f"{i}.txt").write_bytes(f.read_bytes())
    refused = read_article_file(folder / "1.txt").title
    real_add = article_store.add_article

    def picky_add(session, story_id, new):
        if new.title == refused:
            raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        return real_add(session, story_id, new)

    monkeypatch.setattr(article_store, "add_article", picky_add)
    config = write_config(tmp_path, db_url)
    assert main(["ingest", str(folder), "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "2 new stories" in err and "1 not stored" in err and "NUL (0x00)" in err
    assert "Traceback" not in err


def test_five_thousand_character_link_and_long_arabic_guid_are_stored_and_deduplicated(tmp_path, db_url, seed_files):
    app = make_app(tmp_path, db_url, None)
    try:
        with transaction(app.factory) as s:
            from storage import sources

            src = sources.ensure_source(s, "feed-x", "feed", "https://news.example/rss", 600, app.clock()).id
        seed = read_article_file(seed_files[2])
        long_url = _long_link(5_000)
        guid = "معرف-" + _long_link(3_000)  # past PostgreSQL's btree limit even when compressed
        first = app.pipeline.process(src, replace(seed, url=long_url, guid=guid))
        assert first.status == NEW, first.detail
        # The same link again (another body) is a duplicate by the hashed URL ...
        again = app.pipeline.process(src, replace(read_article_file(seed_files[3]), url=long_url))
        assert again.status == DUPLICATE and "url" in again.detail
        # ... and the same guid by the hashed guid; a link that differs only at its end is another article.
        by_guid = app.pipeline.process(src, replace(read_article_file(seed_files[3]), url="https://n.example/g", guid=guid))
        assert by_guid.status == DUPLICATE and "guid" in by_guid.detail
        other = app.pipeline.process(src, replace(read_article_file(seed_files[4]), url=long_url[:-1] + "x"))
        assert other.status == NEW, other.detail
        stored = _stored(app)
        # The guid is capped at the source boundary (still ~4 KB of UTF-8: over the old btree limit).
        assert stored[long_url].guid == guid[:MAX_GUID_CHARS] and stored[long_url].url_hash == text_key(long_url)
    finally:
        app.close()


def _items() -> list[NewsItem]:
    items = saudi_items(4)
    items[1].title = "عاجل\x00 " + items[1].title
    items[2].link = _long_link(5_000)
    return items


def test_feed_with_a_nul_title_and_a_huge_link_stores_every_item(tmp_path, db_url):
    from tests.fake_feeds import FakeFeeds

    with FakeFeeds() as server:
        items = _items()
        server.add("/rss", body=rss(items))
        app = make_app(tmp_path, db_url, server, feed_entry(server, "/rss"))
        try:
            [report] = poll(app)
            assert report.error is None and [o.status for o in report.outcomes].count(NEW) == 4, report.outcomes
            titles = {a.title for a in _stored(app).values()}
            assert items[1].title.replace("\x00", "") in titles and not any("\x00" in t for t in titles)
            assert any(len(u) > 5_000 for u in _stored(app))
            assert source(app).last_error is None
        finally:
            app.close()


def test_an_item_that_cannot_be_stored_is_recorded_and_the_feeds_other_items_are_stored(
    tmp_path, db_url, monkeypatch
):
    from tests.fake_feeds import FakeFeeds

    with FakeFeeds() as server:
        items = saudi_items(4)
        server.add("/rss", body=rss(items), etag='"v1"')
        app = make_app(tmp_path, db_url, server, feed_entry(server, "/rss"))
        real_add = article_store.add_article

        def picky_add(session, story_id, new):
            if new.title == items[1].title:
                raise ValueError("index row size 5016 exceeds btree version 4 maximum 2704")
            return real_add(session, story_id, new)

        monkeypatch.setattr(article_store, "add_article", picky_add)
        try:
            [report] = poll(app)
            assert report.error is None
            assert sorted(o.status for o in report.outcomes) == [FAILED, NEW, NEW, NEW]
            row = source(app)
            assert "1 item not stored" in row.last_error and "index row size" in row.last_error
            assert "1 failed" in row.last_status and row.error_count == 0
            assert len(_stored(app)) == 3
            # Once storing works again the next poll retries the item: validators were not kept.
            monkeypatch.setattr(article_store, "add_article", real_add)
            [report] = poll(app)
            assert report.count(NEW) == 1 and len(_stored(app)) == 4
            assert source(app).last_error is None
        finally:
            app.close()


def test_feed_poll_never_raises(tmp_path, db_url, monkeypatch):
    from tests.fake_feeds import FakeFeeds

    import bot.sources.feed_poller as feed_poller

    def broken_parse(*args, **kwargs):
        raise RuntimeError("parser bug")

    with FakeFeeds() as server:
        server.add("/rss", body=rss(saudi_items(2)))
        app = make_app(tmp_path, db_url, server, feed_entry(server, "/rss"))
        monkeypatch.setattr(feed_poller, "parse_feed", broken_parse)
        try:
            [report] = poll(app)
            assert "internal error: RuntimeError: parser bug" in report.error
            row = source(app)
            assert "parser bug" in row.last_error and row.error_count == 1
        finally:
            app.close()


def test_nul_and_surrogates_are_dropped_at_the_source_boundary():
    from datetime import datetime, timezone

    from bot.article import sanitize
    from bot.sources.feeds import FeedItem, to_article

    when = datetime(2025, 8, 13, tzinfo=timezone.utc)
    item = FeedItem("guid\x00\udc80", "https://a.example/\x00x", "عنوان\x00", "نص\x00 الخبر", when, "feed")
    art = to_article(item, "feed", when)
    assert (art.title, art.body, art.url, art.guid) == ("عنوان", "نص الخبر", "https://a.example/x", "guid")
    assert sanitize(art) is art  # already clean: nothing copied
    assert len(sanitize(replace(art, title="خبر " * 1000)).title) <= 1000


def test_a_file_source_poll_records_the_file_it_could_not_store(tmp_path, db_url, seed_files, monkeypatch):
    from bot.app import App
    from bot.config import load_config
    from storage import sources as source_store

    folder = tmp_path / "desk"
    folder.mkdir()
    for i, f in enumerate(seed_files[:3]):
        (folder / f"{i}.txt").write_bytes(f.read_bytes())
    refused = read_article_file(folder / "0.txt").title
    real_add = article_store.add_article

    def picky_add(session, story_id, new):
        if new.title == refused:
            raise ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return real_add(session, story_id, new)

    extra = f'[[sources]]\nname = "desk"\ntype = "files"\npath = "{folder}"\ninterval = 300\n'
    app = App(load_config(write_config(tmp_path, db_url, extra=extra), env={}))
    app.bootstrap()
    monkeypatch.setattr(article_store, "add_article", picky_add)
    try:
        report = app.poll_source("desk")
        assert sorted(o.status for o in report.outcomes) == [FAILED, NEW, NEW]
        with transaction(app.factory) as s:
            row = next(r for r in source_store.list_sources(s) if r.name == "desk")
            assert "1 file(s) not stored" in row.last_error and "0.txt" in row.last_error
    finally:
        app.close()
