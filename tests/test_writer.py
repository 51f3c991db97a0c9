"""The lean writer (issue 13): a batch's write reuses its short read only while that read is true,
counts its stories once per story, and keeps band rows lean (migration 0017_writer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text

from bot.app import App
from bot.config import load_config
from bot.pipeline import DUPLICATE, JOINED, NEW, UPDATE, Pipeline
from bot.sources.files import read_article_file
from storage import articles as article_store
from storage.db import transaction
from storage.models import Article, ArticleBand, Story
from tests.conftest import bootstrapped_app, write_config


@pytest.fixture
def app(tmp_path, db_url):
    with bootstrapped_app(tmp_path, db_url) as a:
        yield a


def _source(app: App) -> int:
    from storage import sources

    with transaction(app.factory) as s:
        return sources.ensure_source(s, "files", "files", "-", 0, app.clock()).id


def _trimmed(article, n: int = 1):
    """Another outlet's copy: other URL and title, its last ``n`` paragraphs cut."""
    paragraphs = article.body.split("\n")
    return replace(article, url=f"https://other.example/{n}", title="عنوان آخر للخبر نفسه",
                   body="\n".join(paragraphs[:-n]))


def _watch_lookups(monkeypatch) -> list[bool]:
    """Whether each batch write's lookup reused the batch's short read."""
    seen: list[bool] = []
    real = article_store.BatchLookup.__init__

    def init(self, *args, **kwargs):
        real(self, *args, **kwargs)
        seen.append(self.reused)

    monkeypatch.setattr(article_store.BatchLookup, "__init__", init)
    return seen


def test_a_batch_write_reuses_its_read_when_nothing_was_committed_since(app, seed_files, monkeypatch, db_url):
    """SQLite, one writer: the write reads nothing again, and the outcomes are those of a fresh read
    (a copy inside the batch still joins the article stored before it). PostgreSQL always reads again."""
    seen = _watch_lookups(monkeypatch)
    seed = read_article_file(seed_files[0])
    got = list(app.pipeline.process_many(_source(app), [seed, _trimmed(seed), seed], batch=10))
    assert [o.status for o in got] == [NEW, JOINED, DUPLICATE]
    assert seen == [db_url.startswith("sqlite")]


def test_a_batch_write_reads_again_when_another_writer_committed_after_its_read(
    app, tmp_path, db_url, seed_files, monkeypatch
):
    """Between the batch's read and its write another process stores a copy of the batch's first
    article: the write must see it (a stale read would make the article a story of its own)."""
    seen = _watch_lookups(monkeypatch)
    seed = read_article_file(seed_files[0])
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other = App(load_config(write_config(other_dir, db_url), env={}), clock=app.pipeline._clock)
    stored = []
    real_prepare = Pipeline._prepare

    def prepare(self, prepared, known):
        if self is app.pipeline and not stored:  # after the batch's read, before its write
            stored.append(other.pipeline.process(_source(other), _trimmed(seed)))
        return real_prepare(self, prepared, known)

    monkeypatch.setattr(Pipeline, "_prepare", prepare)
    try:
        got = list(app.pipeline.process_many(_source(app), [seed, read_article_file(seed_files[1])], batch=10))
    finally:
        other.close()
    assert stored[0].status == NEW
    assert got[0].status in (JOINED, UPDATE) and got[0].story_id == stored[0].story_id, got[0]
    assert got[1].status == NEW
    assert seen[0] is False


def _one_at_a_time(tmp_path, app: App, articles: list, snapshot: Callable[[App], list]) -> tuple[list, list]:
    """The reference: ``articles`` stored one at a time by a second app (its own SQLite file, the
    same clock); their statuses and ``snapshot`` of what it stored."""
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    one = App(load_config(write_config(ref_dir, f"sqlite:///{ref_dir / 'ref.db'}"), env={}), clock=app.pipeline._clock)
    one.bootstrap()
    try:
        src = _source(one)
        return [one.pipeline.process(src, a).status for a in articles], snapshot(one)
    finally:
        one.close()


def test_story_counts_written_per_batch_match_one_article_at_a_time(app, tmp_path, seed_files):
    """Count, lead and last update of each story: the batch writes them once per story."""
    seeds = [read_article_file(f) for f in seed_files]
    articles = [seeds[0], _trimmed(seeds[0], 1), seeds[1], _trimmed(seeds[0], 2), seeds[2]]

    def stories(a: App) -> list[tuple]:
        with transaction(a.factory) as s:
            rows = s.execute(
                select(Story.id, Story.article_count, Story.lead_article_id, Story.last_updated).order_by(Story.id)
            ).all()
            firsts = dict(s.execute(select(Article.id, Article.url)).all())
        return [(count, firsts[lead], updated) for _, count, lead, updated in rows]

    expected, ref = _one_at_a_time(tmp_path, app, articles, stories)
    got = [o.status for o in app.pipeline.process_many(_source(app), articles, batch=10)]
    assert got == expected and JOINED in got
    assert stories(app) == ref
    assert ref[0][0] == 3


def test_band_rows_are_lean_and_found(app, seed_files):
    """One row per (band key, time, article), no surrogate id; the copy is found through them."""
    seed = read_article_file(seed_files[0])
    src = _source(app)
    first = app.pipeline.process(src, seed)
    with transaction(app.factory) as s:
        keys = s.scalar(select(func.count()).select_from(ArticleBand).where(ArticleBand.article_id == 1))
        columns = [c.name for c in ArticleBand.__table__.columns]
    assert columns == ["band_key", "seen_at", "article_id"]
    analysis = app.pipeline.analyze(seed)
    assert keys == len(set(analysis.band_keys)) > 0
    assert app.pipeline.process(src, _trimmed(seed)).story_id == first.story_id


def test_migration_0017_keeps_the_band_rows(db_url):
    """Band rows stored under 0016's layout survive the upgrade (a repeated key once) and the
    downgrade back."""
    from alembic import command

    from storage.db import _alembic_config, make_engine

    engine = make_engine(db_url)
    cfg = _alembic_config(engine)
    t = "2025-08-13 09:00:00"
    try:
        command.upgrade(cfg, "0016")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO sources (id, name, kind, location, interval_s, error_count, created_at)"
                " VALUES (1, 'files', 'files', '-', 0, 0, :t)"), {"t": t})
            conn.execute(text(
                "INSERT INTO stories (id, headline, summary, article_count, published_at, first_seen, last_updated)"
                " VALUES (1, 'h', 's', 1, :t, :t, :t)"), {"t": t})
            conn.execute(text(
                "INSERT INTO articles (id, source_id, story_id, url, url_hash, title, body, published_at, date_source,"
                " fetched_at, body_hash, fingerprint) VALUES (1, 1, 1, 'u', 'uh', 't', 'b', :t, 'text', :t, 'bh', :fp)"),
                {"t": t, "fp": b"RQ"})
            for key in (5, 7, 7):
                conn.execute(text("INSERT INTO article_bands (band_key, article_id, seen_at) VALUES (:k, 1, :t)"),
                             {"k": key, "t": t})
        command.upgrade(cfg, "0017_writer")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT band_key, article_id FROM article_bands ORDER BY 1")).all()
            assert [tuple(r) for r in rows] == [(5, 1), (7, 1)]
        command.downgrade(cfg, "0016")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT band_key FROM article_bands ORDER BY 1")).scalars().all() == [5, 7]
        command.upgrade(cfg, "head")
    finally:
        engine.dispose()


def test_a_batch_reads_the_same_event_candidates_as_one_article_at_a_time(app, tmp_path, shared_data):
    """``events.candidates_many`` (two statements for a batch) gives each article the rows, in the
    order, that ``events.candidates`` gives it alone: the cap chosen before the other conditions,
    ties by the latest then the lowest id, the window and the stored-since bound per article."""
    import json
    import zipfile
    from datetime import timedelta

    from storage import events as event_store

    folder = tmp_path / "some"
    folder.mkdir()
    with zipfile.ZipFile(sorted((shared_data / "saudinewsnet").glob("*.zip"))[0]) as zf:
        items = json.loads(zf.read(zf.namelist()[0]))[:120]
    for i, item in enumerate(items):
        (folder / f"{i:03d}.txt").write_text(
            f"{item['title']}\n{item['date_extracted'][:10]}\n{item['content']}\n", encoding="utf-8")
    articles = [read_article_file(f) for f in sorted(folder.glob("*.txt"))]
    list(app.pipeline.process_many(_source(app), articles, batch=50))
    with transaction(app.factory) as s:
        stored = s.execute(text("SELECT count(*) FROM event_keys")).scalar()
    assert stored > 0
    asks = []
    for article in articles:
        analysis = app.pipeline.analyze(article)
        if analysis.event is None:
            continue
        at = article.published_at
        for hours in (1, 48, 24 * 30):
            asks.append((analysis.event_keys, at - timedelta(hours=hours), at + timedelta(hours=hours)))
    asks.append(([], articles[0].published_at, articles[0].published_at))
    stored_since = app.clock() - timedelta(days=14)
    with transaction(app.factory) as s:
        for limit in (3, 30):
            for with_text in (False, True):
                many = event_store.candidates_many(s, asks, limit, with_text=with_text, stored_since=stored_since)
                one = [[tuple(r) for r in event_store.candidates(s, keys, since, until, limit, with_text=with_text,
                                                                 stored_since=stored_since)]
                       for keys, since, until in asks]
                assert [[tuple(r) for r in rows] for rows in many] == one
                assert sum(len(rows) for rows in one) > len(asks) // 2


def test_join_reasons_written_per_batch_match_one_article_at_a_time(app, tmp_path, seed_files):
    """The batch writes its join reasons together at its end: the rows one article at a time writes."""
    from storage import joins as join_store

    seeds = [read_article_file(f) for f in seed_files]
    articles = [seeds[0], _trimmed(seeds[0], 1), seeds[1], _trimmed(seeds[0], 2),
                replace(_trimmed(seeds[1], 1), url="https://other.example/b1"), seeds[2]]

    def reasons(a: App) -> list[tuple]:
        with transaction(a.factory) as s:
            urls = dict(s.execute(select(Article.id, Article.url)).all())
            rows = s.execute(select(join_store.article_joins).order_by(join_store.article_joins.c.article_id)).all()
        return [(urls[aid], urls[joined], relation, evidence) for aid, joined, relation, evidence in rows]

    expected, ref = _one_at_a_time(tmp_path, app, articles, reasons)
    batches: list[int] = []
    real = join_store.write

    def write(session, rows):
        batches.append(len(rows))
        real(session, rows)

    join_store.write = write
    try:
        got = [o.status for o in app.pipeline.process_many(_source(app), articles, batch=10)]
    finally:
        join_store.write = real
    assert got == expected and got.count(JOINED) == 3
    assert reasons(app) == ref and len(ref) == 3
    assert batches == [3]  # one write for the batch's three joins


def test_story_and_article_inserts_store_what_core_stores_and_fail_as_it_does(app, seed_files):
    """The writer's one-row INSERTs of a story and an article: the stored values read back as
    written, and a unique key broken is SQLAlchemy's IntegrityError, rolling back the whole unit."""
    from sqlalchemy.exc import IntegrityError

    src = _source(app)
    at = datetime(2025, 12, 25, 21, 30, 15, 123456, tzinfo=timezone.utc)
    new = article_store.NewArticle(src, "https://x.example/1", "g-1", "عنوان", "نص الخبر", at, "fetch", at,
                                   "b" * 64, b"\x01\x02", [5, 7], summary="ملخص")
    with transaction(app.factory) as s:
        story_id = article_store.insert_story(s, "عنوان", "ملخص", at, at)
        article_id = article_store.add_article(s, story_id, new)
    with transaction(app.factory) as s:
        story = s.get(Story, story_id)
        article = s.get(Article, article_id)
        assert (story.headline, story.published_at, story.first_seen, story.article_count) == ("عنوان", at, at, 1)
        assert story.lead_article_id == article_id
        assert (article.url, article.guid, article.published_at, article.fetched_at, article.fingerprint,
                article.summary, article.story_id) == (new.url, "g-1", at, at, b"\x01\x02", "ملخص", story_id)
    with pytest.raises(IntegrityError):
        with transaction(app.factory) as s:
            other = article_store.insert_story(s, "قصة أخرى", "ملخص", at, at)
            article_store.add_article(s, other, replace(new, url="https://x.example/2", guid=None))
    with transaction(app.factory) as s:  # rolled back whole, the story inserted before it too
        assert s.scalar(select(func.count()).select_from(Article)) == 1
        assert s.scalar(select(func.count()).select_from(Story)) == 1


@pytest.mark.parametrize("statement, table, left_out", [
    ("_INSERT_ARTICLE_SQLITE", "articles", {"id"}),
    ("_INSERT_STORY_SQLITE", "stories", {"id", "lead_article_id"}),
])
def test_hand_written_sqlite_inserts_name_every_column_of_their_table(statement, table, left_out):
    """The SQLite one-row INSERTs list their columns by hand: a column added to the table (by a
    migration, with a value the writer must give) fails here, not as a NULL in production."""
    import re

    from storage.models import Base

    sql = getattr(article_store, statement)
    named = re.search(rf"INSERT INTO {table} \(([^)]*)\)", sql).group(1).split(", ")
    assert len(named) == sql.count("?")
    assert set(named) == {c.name for c in Base.metadata.tables[table].columns} - left_out
