"""The pipeline's order and guarantees: dedup, stories, the time window, one transaction."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.config import load_config
from bot.pipeline import DUPLICATE, FAILED, JOINED, NEW, UPDATE
from bot.sources.files import read_article_file
from storage import outbox
from storage.db import transaction
from storage.models import Article, ArticleBand, Delivery, Story, StoryTopic
from tests.conftest import Clock, write_config



@pytest.fixture
def app(tmp_path, db_url):
    clock = Clock(datetime(2025, 12, 26, 8, 0, tzinfo=timezone.utc))
    a = App(load_config(write_config(tmp_path, db_url), env={}), clock=clock)
    a.bootstrap()
    a.test_clock = clock  # type: ignore[attr-defined]
    yield a
    a.close()


def _count(app: App, model) -> int:
    with transaction(app.factory) as s:
        return s.scalar(select(func.count()).select_from(model))


def _source(app: App) -> int:
    from storage import sources

    with transaction(app.factory) as s:
        return sources.ensure_source(s, "files", "files", "-", 0, app.clock()).id


def _variant(article, n: int):
    """The same report from another outlet: other URL and title, its last n paragraphs cut."""
    paragraphs = article.body.split("\n")
    return replace(article, url=f"https://other.example/{n}", title="عنوان آخر للخبر نفسه", body="\n".join(paragraphs[:-n]))


def test_new_joined_and_duplicate(app, seed_files):
    src = _source(app)
    seed = read_article_file(seed_files[2])
    first = app.pipeline.process(src, seed)
    assert first.status == NEW and set(first.topics) == {"dprk-russia", "kursk"} and first.queued == 2
    assert app.pipeline.process(src, seed).status == DUPLICATE  # same URL
    assert app.pipeline.process(src, replace(seed, url="https://x.example/a")).status == DUPLICATE  # same body
    joined = app.pipeline.process(src, _variant(seed, 1))
    assert joined.status == JOINED and joined.story_id == first.story_id and joined.queued == 0
    assert _count(app, Story) == 1 and _count(app, Article) == 2 and _count(app, Delivery) == 2
    with transaction(app.factory) as s:
        story = s.get(Story, first.story_id)
        assert story.article_count == 2 and story.headline == seed.title


def test_the_five_seeds_stay_five_stories_with_their_topics(app, seed_files):
    """Seeds 000 and 003 are two years' New Year messages from Kim to Putin, dated by their files
    only: a file's time is no publication time, so no same-event join (issue 12 part 1)."""
    src = _source(app)
    outcomes = [app.pipeline.process(src, read_article_file(f)) for f in seed_files]
    assert [o.status for o in outcomes] == [NEW] * 5
    assert len({o.story_id for o in outcomes}) == 5
    kursk = [f.name[:3] for f, o in zip(seed_files, outcomes) if "kursk" in o.topics]
    assert kursk == ["000", "002", "004"]
    assert all("dprk-russia" in o.topics for o in outcomes)
    assert _count(app, StoryTopic) == 8


def test_near_duplicate_window_is_bounded_by_when_we_saw_the_original(app, seed_files):
    src = _source(app)
    seed = read_article_file(seed_files[0])
    original = app.pipeline.process(src, seed)
    app.test_clock.now += timedelta(days=3)
    assert app.pipeline.process(src, _variant(seed, 1)).status == JOINED
    app.test_clock.now += timedelta(days=30)  # past the 14-day window: the old story is not searched
    late = app.pipeline.process(src, _variant(seed, 2))
    assert late.status == NEW and late.story_id != original.story_id


def test_store_and_outbox_are_one_transaction(app, seed_files, monkeypatch):
    src = _source(app)
    seed = read_article_file(seed_files[4])

    def broken_enqueue(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox, "enqueue", broken_enqueue)
    failed = app.pipeline.process(src, seed)  # one article's failure is its outcome, never raised
    assert failed.status == FAILED and "disk full" in failed.detail
    assert (_count(app, Article), _count(app, Story), _count(app, ArticleBand), _count(app, StoryTopic)) == (0, 0, 0, 0)
    monkeypatch.undo()
    assert app.pipeline.process(src, seed).status == NEW  # nothing half-stored blocks the retry
    assert _count(app, Delivery) == 2


def test_concurrent_workers_store_an_article_once(app, seed_files):
    src = _source(app)
    seed = read_article_file(seed_files[1])
    results = []
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        results.append(app.pipeline.process(src, seed).status)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [DUPLICATE] * 3 + [NEW]
    assert _count(app, Article) == 1 and _count(app, Delivery) == 1


def test_watchlist_edit_applies_to_the_next_article_without_restart(app, seed_files):
    from bot.topics import rules_to_json
    from bot.watchlists import Rules
    from storage import chats, watchlists

    src = _source(app)
    with transaction(app.factory) as s:
        row = watchlists.save_watchlist(
            s, "kremlin", "الكرملين", rules_to_json(Rules(all=(), any=("كومسومولسك",), none=())), "admin:1", "create", "", app.clock()
        )
        chats.subscribe(s, "console:k", row.id, app.clock())
    outcome = app.pipeline.process(src, read_article_file(seed_files[1]))
    assert "kremlin" in outcome.topics
    with transaction(app.factory) as s:
        assert [e.actor for e in watchlists.edits(s, "kremlin")] == ["admin:1"]
        jobs = outbox.claim(s, ["console"], "w", app.clock(), 60, 10)
    assert {j.chat for j in jobs} == {"console:korea-desk", "console:k"}


def test_bodies_of_a_few_words_do_not_make_different_articles_duplicates(app, seed_files):
    src = _source(app)
    seed = read_article_file(seed_files[0])
    byline = "محمد العتيبي - الرياض"
    a = app.pipeline.process(src, replace(seed, url="https://a.example/1", title="أمطار غزيرة على الرياض", body=byline))
    b = app.pipeline.process(src, replace(seed, url="https://a.example/2", title="افتتاح معرض الكتاب في جدة", body=byline))
    assert (a.status, b.status) == (NEW, NEW) and a.story_id != b.story_id


def test_outage_notices_ride_the_outbox_but_are_never_listed_as_news(app, seed_files):
    from storage import articles as article_store
    from storage import feeds as feed_store
    from storage import sources
    from storage.models import Source

    src = _source(app)
    app.pipeline.process(src, read_article_file(seed_files[2]))
    with transaction(app.factory) as s:
        feed = sources.ensure_source(s, "feed-x", "feed", "https://news.example/rss", 600, app.clock())
        s.get(Source, feed.id).topics = '["kursk"]'
        queued = feed_store.queue_notice(s, feed.id, "تعطل المصدر", "توقف جلب الخلاصة بعد أخطاء متتالية.", app.clock())
    assert queued == 1
    with transaction(app.factory) as s:
        jobs = outbox.claim(s, ["console"], "w", app.clock(), 60, 10)
        listed = article_store.list_stories(s)
    assert "تعطل المصدر" in {j.headline for j in jobs if j.chat == "console:kursk-desk"}
    assert [r.headline for r in listed] == [read_article_file(seed_files[2]).title]


def test_timeline_counts_the_sources_that_carried_a_story(app, seed_files):
    from storage import sources
    from storage.timeline import topic_timeline

    seed = read_article_file(seed_files[2])
    with transaction(app.factory) as s:
        other = sources.ensure_source(s, "other-outlet", "feed", "https://other.example/rss", 600, app.clock()).id
    app.pipeline.process(_source(app), seed)
    assert app.pipeline.process(other, _variant(seed, 1)).status == JOINED
    with transaction(app.factory) as s:
        rows = topic_timeline(s, "kursk")
    assert [(r.sources, r.articles) for r in rows] == [(2, 2)]


def test_a_copy_processed_with_a_clock_slightly_behind_joins_the_story(app, seed_files):
    """Workers' clocks differ: a copy whose clock reads 1 ms before the stored report's ``seen_at``
    once fell outside a window ending at its own ``now`` and became a second story."""
    src = _source(app)
    seed = read_article_file(seed_files[3])
    original = app.pipeline.process(src, seed)
    app.test_clock.now -= timedelta(milliseconds=1)
    copy = app.pipeline.process(src, _variant(seed, 1))
    assert copy.status == JOINED and copy.story_id == original.story_id


def _cpu_stages_outside_transactions(monkeypatch) -> list[str]:
    """Make every CPU stage of the pipeline fail its test if it runs while a transaction is open;
    returns the list the stages append their names to as they run."""
    import bot.pipeline as pipeline
    from bot.text.matching import Matcher

    open_tx: list = []
    ran: list[str] = []
    real_transaction = pipeline.transaction

    @contextmanager
    def watched(factory):
        with real_transaction(factory) as s:
            open_tx.append(s)
            try:
                yield s
            finally:
                open_tx.pop()

    def outside(name, fn):
        def stage(*args, **kwargs):
            assert not open_tx, f"{name} ran inside a transaction"
            ran.append(name)
            return fn(*args, **kwargs)
        return stage

    monkeypatch.setattr(pipeline, "transaction", watched)
    for name in ("summarize", "event_date", "index_keys"):
        monkeypatch.setattr(pipeline, name, outside(name, getattr(pipeline, name)))
    monkeypatch.setattr(pipeline.dedup, "fingerprint", outside("fingerprint", pipeline.dedup.fingerprint))
    monkeypatch.setattr(Matcher, "match", outside("match", Matcher.match))
    return ran


def test_every_cpu_stage_runs_outside_any_transaction(app, seed_files, monkeypatch):
    """The write transaction holds SQL only: a long article's analysis never holds the database's
    write lock (SQLite: the delivery worker's marks waited on it until 'database is locked')."""
    ran = _cpu_stages_outside_transactions(monkeypatch)
    src = _source(app)
    seed = read_article_file(seed_files[2])
    assert app.pipeline.process(src, seed).status == NEW
    assert app.pipeline.process(src, _variant(seed, 1)).status == JOINED
    assert {"summarize", "event_date", "index_keys", "fingerprint", "match"} <= set(ran)


def test_two_articles_racing_for_one_url_are_one_stored_and_one_duplicate(app, seed_files):
    """Different bodies share no LSH band, so nothing serializes them: the unique URL index decides,
    and the loser's IntegrityError is reported as the duplicate it is, never as a failure."""
    src = _source(app)
    a = read_article_file(seed_files[0])
    b = replace(read_article_file(seed_files[1]), url=a.url)
    results = []
    barrier = threading.Barrier(2)

    def work(article) -> None:
        barrier.wait()
        results.append(app.pipeline.process(src, article))

    threads = [threading.Thread(target=work, args=(x,)) for x in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.status for o in results) == [DUPLICATE, NEW], [o.detail for o in results]
    assert "url" in next(o for o in results if o.status == DUPLICATE).detail
    assert _count(app, Article) == 1


# --- bulk: batches of articles per write transaction (Pipeline.process_many) -----------------


def _bulk_articles(tmp_path, seed_files, shared_data, n: int = 40) -> list:
    """Real reports (SaudiNewsNet's first ``n``, the seeds) with what a bulk ingest meets inside one
    batch: the same URL twice, the same body under another URL, a trimmed copy (joins) and, after
    a trimmed version, the full text (an update of it)."""
    import json
    import zipfile

    folder = tmp_path / "bulk"
    folder.mkdir()
    with zipfile.ZipFile(sorted((shared_data / "saudinewsnet").glob("*.zip"))[0]) as zf:
        items = json.loads(zf.read(zf.namelist()[0]))[:n]
    for i, item in enumerate(items):
        (folder / f"{i:03d}.txt").write_text(
            f"{item['title']}\n{item['date_extracted'][:10]}\n{item['content']}\n", encoding="utf-8"
        )
    articles = [read_article_file(f) for f in sorted(folder.glob("*.txt"))]
    seeds = [read_article_file(f) for f in seed_files]
    out = []
    for i, article in enumerate(articles):
        out.append(article)
        if i % 9 == 3:
            out.append(article)  # the same URL again
        if i % 11 == 5:
            out.append(replace(article, url=f"https://copy.example/{i}"))  # the same body elsewhere
    out[5:5] = [seeds[0], _variant(seeds[0], 1), seeds[1]]
    # Positions 15-17, one batch of 7: the trimmed text first, then the full one.
    out[15:15] = [_lead_only(seeds[3]), seeds[2], seeds[3]]
    out += [seeds[4], _variant(seeds[4], 1)]
    return out


def _lead_only(article, paragraphs: int = 4):
    """The first report of a story, its first paragraphs: the full text later is an update of it."""
    return replace(article, url="https://first.example/lead", body="\n".join(article.body.split("\n")[:paragraphs]))


def _shape(outcomes) -> list[tuple]:
    """Outcomes with story ids replaced by the index of the story's first article (ids may differ)."""
    first: dict[int, int] = {}
    shaped = []
    for i, o in enumerate(outcomes):
        story = None if o.story_id is None else first.setdefault(o.story_id, i)
        # The detail's kind too: a same-event join is told from a copy ("same event as article N").
        shaped.append((o.status, story, o.topics, o.queued, o.detail.split(" ")[0] if o.status == JOINED else ""))
    return shaped


def test_bulk_batches_give_the_outcomes_of_one_article_at_a_time(app, tmp_path, seed_files, shared_data):
    """Stored 7 per transaction, every article reads the ones stored before it in its own batch:
    copies join, repeats are duplicates, a fuller text is an update, exactly as one by one."""
    articles = _bulk_articles(tmp_path, seed_files, shared_data)
    reference_dir = tmp_path / "one_by_one"
    reference_dir.mkdir()
    one = App(load_config(write_config(reference_dir, f"sqlite:///{reference_dir / 'ref.db'}"), env={}),
              clock=app.test_clock)
    one.bootstrap()
    try:
        ref_src = _source(one)
        expected = [one.pipeline.process(ref_src, a) for a in articles]
        ref_rows = _index_rows(one)
    finally:
        one.close()
    src = _source(app)
    got = list(app.pipeline.process_many(src, articles, batch=7))
    assert _shape(got) == _shape(expected)
    statuses = {o.status for o in got}
    assert {NEW, JOINED, DUPLICATE, UPDATE} <= statuses, statuses
    assert _count(app, Article) == sum(o.status != DUPLICATE for o in got)
    # Bands, search entries and the vocabulary written per batch are those written per article.
    assert _index_rows(app) == ref_rows


def _index_rows(app: App) -> tuple[int, ...]:
    from sqlalchemy import text

    with transaction(app.factory) as s:
        return (
            _count(app, ArticleBand),
            s.execute(text("SELECT count(*) FROM search_docs")).scalar(),
            s.execute(text("SELECT count(*) FROM search_terms")).scalar(),
            s.execute(text("SELECT sum(article_count) FROM stories")).scalar(),
            # Same-event profiles and keys, buffered per batch: as many as one by one.
            s.execute(text("SELECT count(*) FROM event_profiles")).scalar(),
            s.execute(text("SELECT count(*) FROM event_keys")).scalar(),
        )


def test_a_failing_article_in_a_batch_costs_only_itself(app, seed_files, monkeypatch):
    """The batch is rolled back and stored again one article at a time: the others are kept, and the
    bad one leaves no story, band, topic or outbox row behind."""
    src = _source(app)
    seeds = [read_article_file(f) for f in seed_files]
    real_enqueue = outbox.enqueue
    refused = seeds[2].title

    def picky_enqueue(session, story_id, targets, now):
        headline = session.get(Story, story_id).headline
        if headline == refused:
            raise RuntimeError("disk full")
        return real_enqueue(session, story_id, targets, now)

    monkeypatch.setattr(outbox, "enqueue", picky_enqueue)
    got = list(app.pipeline.process_many(src, seeds, batch=10))
    assert [o.status for o in got] == [NEW, NEW, FAILED, NEW, NEW]
    assert "disk full" in got[2].detail
    assert (_count(app, Article), _count(app, Story)) == (4, 4)
    with transaction(app.factory) as s:
        assert s.scalar(select(func.count()).select_from(Story).where(Story.headline == refused)) == 0
    monkeypatch.undo()
    again = list(app.pipeline.process_many(src, seeds, batch=10))
    assert [o.status for o in again] == [DUPLICATE, DUPLICATE, NEW, DUPLICATE, DUPLICATE]


def test_bulk_write_transaction_holds_sql_only(app, seed_files, monkeypatch):
    """Batches keep the rule of one article: summaries, dates, matches and fingerprints are made
    before a write transaction opens, also when the write finds an update inside its own batch."""
    _cpu_stages_outside_transactions(monkeypatch)
    seed = read_article_file(seed_files[3])
    src = _source(app)
    got = list(app.pipeline.process_many(src, [_lead_only(seed), seed, _variant(seed, 1)], batch=10))
    assert [o.status for o in got] == [NEW, UPDATE, JOINED], got
    assert all(o.story_id == got[0].story_id for o in got)


@pytest.mark.parametrize("words, short", [(0, True), (11, True), (12, False), (13, False), (400, False)])
@pytest.mark.parametrize("space", [" ", "\n", " \t\n "])
def test_short_body_counts_words_as_a_whole_split_would(words, short, space):
    """A body under MIN_BODY_WORDS words is short (split at most that many times: the same answer
    as splitting it whole), whatever the whitespace around and between its words."""
    from bot.article import Article as NewsArticle
    from bot.pipeline import MIN_BODY_WORDS, short_body

    body = space + space.join(f"كلمة{n}" for n in range(words)) + space
    article = NewsArticle("s", "https://x.example/1", "عنوان", body, datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert short_body(article) is short
    assert short_body(article) is (len(body.split()) < MIN_BODY_WORDS)
