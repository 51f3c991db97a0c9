"""Search: query parsing, Arabic-aware expansion against the index, ranking, hostile input, the
/search command with paging, the CLI; every database test runs on SQLite (FTS5) and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from bot.cli import main as cli
from bot.app import App
from bot.config import load_config
from bot.search import (
    PAGE_SIZE,
    QueryError,
    expand,
    parse_query,
    search,
    snippet,
)
from handlers import router
from storage import search as search_store
from storage.db import transaction
from tests.conftest import SEEDS, write_config
from tests.telegram_support import caller


# --- parsing (no database) --------------------------------------------------------------------


def test_quotes_filters_and_normalization_are_parsed():
    q = parse_query('"كوريا الشمالية" وروسيا topic:Kursk source:files from:2025-08-01 to:٢٠٢٥-١٢-٣١')
    assert q.terms == (("كوريا", "الشماليه"), ("وروسيا",))
    assert q.filters.topic == "kursk" and q.filters.source == "files"
    assert q.filters.start == datetime(2025, 8, 1, tzinfo=timezone.utc)
    assert q.filters.end == datetime(2026, 1, 1, tzinfo=timezone.utc)  # to: includes its day
    # Diacritics, tatweel, hamza forms and ى fold to the matcher's keys; نج is folded to نغ.
    assert parse_query("إِيـــران مُوسى بيونج").terms == (("ايران",), ("موسي",), ("بيونغ",))
    assert parse_query('source:"Saudi Press" النفط').filters.source == "Saudi Press"


@pytest.mark.parametrize(
    "raw, key",
    [
        ("", "search_usage"),
        ("   ", "search_usage"),
        ("في من على", "search_stopwords"),
        ('"في من"', "search_stopwords"),
        ('"كوريا الشمالية', "search_unbalanced"),
        ("from:2025-13-45 روسيا", "search_bad_date"),
        ("from:2025-12-01 to:2025-01-01 روسيا", "search_bad_range"),
        ("topic: روسيا", "search_bad_filter"),
        ("topic:kursk", "search_filters_only"),
        ("روسيا " * 2000, "search_too_long"),
        (" ".join(f"كلمة{i}" for i in range(12)), "search_too_many"),
    ],
)
def test_hostile_queries_are_refused_with_a_named_reason(raw, key):
    with pytest.raises(QueryError) as err:
        parse_query(raw)
    assert err.value.key == key


def test_fts_syntax_in_a_query_is_only_text():
    q = parse_query('روسيا* OR NEAR(a b) AND "x" ^ - : ( )')
    expression = search_store.fts5_expression([[tuple((k,) for k in term)] for term in q.terms])
    # Every key is quoted; the operators typed by the user are gone or quoted, never syntax.
    assert all(part.startswith("(\"") for part in expression.split(" AND "))


def test_snippet_marks_the_matched_words_as_written():
    body = "قال مسؤول إن بيونغ يانغ أرسلت جنودًا إلى روسيا، وإنّ موسكو رحبت."
    pieces = snippet("", body, {"روسيا", "بيونغ"})
    marked = [p for p, hit in pieces if hit]
    assert marked == ["بيونغ", "روسيا،"]
    assert "".join(p for p, _ in pieces) == body


# --- against the index --------------------------------------------------------------------------


def _ids(app, raw, **kw):
    with transaction(app.factory) as s:
        return [r.story_id for r in search(s, parse_query(raw), **kw).results]


def _story_of(app, name):
    with transaction(app.factory) as s:
        return s.execute(text("SELECT story_id FROM articles WHERE url LIKE :u"), {"u": f"%{name}%"}).scalar()


def test_index_is_written_with_the_article(seeded):
    with transaction(seeded.factory) as s:
        assert s.execute(text("SELECT count(*) FROM search_docs")).scalar() == 5
        assert s.execute(text("SELECT count(*) FROM articles")).scalar() == 5
        assert "كورسك" in search_store.terms_with_prefix(s, "كورسك")


def test_proclitics_endings_and_transliterations_are_found(seeded):
    with transaction(seeded.factory) as s:
        clauses, _ = expand(s, parse_query("روسيا"))
        words = {k for path in clauses[0] if len(path) == 1 for k in path[0]}
        assert {"وروسيا", "لروسيا", "روسيا"} <= words
        # The matcher's own rule: الروسية is a form of روسيا.
        assert any(k.startswith("الروسي") for k in words)
    # Seed 003 spells the capital بيونج يانج, seed 000 بيونغ يانغ; either query finds both.
    both = {_story_of(seeded, "003_"), _story_of(seeded, "000_")}
    assert both <= set(_ids(seeded, "بيونج يانج")) and both <= set(_ids(seeded, "بيونغ يانغ"))
    assert _ids(seeded, "Hwasong") == [_story_of(seeded, "001_")]
    assert _ids(seeded, "hwasong") == [_story_of(seeded, "001_")]
    assert _ids(seeded, "زلزال") == []


def test_a_phrase_needs_its_words_in_order(seeded):
    assert _story_of(seeded, "000_") in _ids(seeded, '"كوريا الشمالية"')
    assert _ids(seeded, '"الشمالية كوريا"') == []
    # The words are all there in seed 000, but never as this phrase.
    assert _ids(seeded, '"روسيا كيم"') == [] and _ids(seeded, "روسيا كيم")


def test_filters_narrow_the_results(seeded):
    everything = set(_ids(seeded, "كيم"))
    kursk = set(_ids(seeded, "كيم topic:kursk"))
    assert kursk and kursk < everything
    assert _ids(seeded, "كيم source:nowhere") == []
    assert set(_ids(seeded, "كيم source:FILES")) == everything
    assert _ids(seeded, "كيم from:2025-08-13 to:2025-08-13") == [_story_of(seeded, "004_")]
    assert _story_of(seeded, "004_") not in _ids(seeded, "كيم from:2025-09-01")


def test_ranking_prefers_relevance_and_recency_and_pages_hold_five(tmp_path, db_url):
    # Word salad from one pool: each article its own story, not one event (issue 12 part 1).
    app = App(load_config(write_config(tmp_path, db_url, extra="[events]\nsame_event = false\n")))
    app.bootstrap()
    folder = tmp_path / "articles"
    folder.mkdir()
    cities = ["الرياض", "جدة", "مكة", "الدمام", "تبوك", "أبها", "حائل", "نجران", "جازان", "الطائف", "القصيم", "ينبع"]
    pool = ("سكان أضرار فرق دفاع مدني أحياء مباني طرق مستشفى مدارس كهرباء مياه جسر سوق ميناء مطار شركة "
            "وزارة لجنة تقرير هيئة مساحة رصد محطة قياس درجة عمق مركز جبل وادي ساحل بحر سهل مزرعة قرية").split()
    for i, city in enumerate(cities):
        rng = random.Random(i)
        words = [rng.choice(pool) for _ in range(40)]
        mentions = "الزلزال " * (6 if i == 3 else 1)
        (folder / f"{i:03d}.txt").write_text(
            f"خبر {city} رقم {i}\ndate 2025-0{1 + i % 9}-1{i % 10}\n"
            f"شهدت مدينة {city} {mentions} {' '.join(words)}.",
            encoding="utf-8",
        )
    app.ingest_paths([folder])
    with transaction(app.factory) as s:
        first = search(s, parse_query("زلزال"), 0, now=datetime(2025, 12, 31, tzinfo=timezone.utc))
        second = search(s, parse_query("زلزال"), 1, now=datetime(2025, 12, 31, tzinfo=timezone.utc))
        third = search(s, parse_query("زلزال"), 2, now=datetime(2025, 12, 31, tzinfo=timezone.utc))
    app.close()
    assert first.total == len(cities) and first.pages == 3
    assert len(first.results) == len(second.results) == PAGE_SIZE and len(third.results) == 2
    seen = [r.story_id for p in (first, second, third) for r in p.results]
    assert len(set(seen)) == len(cities)  # no story twice across pages
    scores = [r.score for p in (first, second, third) for r in p.results]
    assert scores == sorted(scores, reverse=True)
    # The article that says الزلزال six times ranks first although it is not the newest.
    assert "الدمام" in first.results[0].headline
    assert any(hit for _, hit in first.results[0].snippet)


def test_a_failed_store_leaves_no_index_rows(tmp_path, db_url, monkeypatch):
    app = App(load_config(write_config(tmp_path, db_url)))
    app.bootstrap()
    from storage import outbox

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox, "enqueue", boom)
    report = app.ingest_paths([SEEDS / "000_c3565df5185bbf54.txt"])  # the failure is the article's outcome
    assert [o.status for o in report.outcomes] == ["failed"]
    with transaction(app.factory) as s:
        assert s.execute(text("SELECT count(*) FROM articles")).scalar() == 0
        assert s.execute(text("SELECT count(*) FROM search_docs")).scalar() == 0
        assert search_store.terms_with_prefix(s, "كورسك") == []
    monkeypatch.undo()
    app.ingest_paths([SEEDS / "000_c3565df5185bbf54.txt"])
    assert _ids(app, "كورسك")
    app.close()


def test_migration_backfill_indexes_articles_stored_before_it(tmp_path, db_url):
    """Revision 0003 indexes the articles a store held before search existed."""
    import importlib

    from storage.db import make_engine

    engine = make_engine(db_url)
    app = App(load_config(write_config(tmp_path, db_url)))
    app.bootstrap()
    app.ingest_paths([SEEDS])
    with engine.begin() as conn:  # the archive as it was before 0003: no search rows at all
        if conn.dialect.name == "sqlite":
            conn.execute(text("INSERT INTO search_fts(search_fts) VALUES('delete-all')"))
        conn.execute(text("DELETE FROM search_terms"))
        conn.execute(text("DELETE FROM search_docs"))
    assert not _ids(app, "كورسك")
    migration = importlib.import_module("storage.migrations.versions.0003_search")
    with engine.begin() as conn:
        migration._backfill(conn)
    assert _ids(app, "كورسك")
    with transaction(app.factory) as s:
        assert s.execute(text("SELECT count(*) FROM search_docs")).scalar() == 5
    app.close()
    engine.dispose()


# --- the command, in chat and on the command line ----------------------------------------------


def test_search_command_pages_with_buttons_and_bolds_matches(env):
    services, clock = env
    app_factory = services.factory
    from bot.pipeline import Pipeline
    from bot.article import Article
    from storage import sources

    with transaction(app_factory) as s:
        src = sources.ensure_source(s, "wire", "files", "-", 0, clock()).id
    # Word salad from one pool, a day apart: each report its own story, not one event (issue 12).
    pipeline = Pipeline(app_factory, clock=clock, same_event=False)
    pool = ("وفد محادثات تجارة طاقة نقل مصادر مسؤولين عاصمة اتفاق صفقة غاز نفط قمح سلاح حدود لجنة خبراء "
            "وزير سفير مؤتمر بيان زيارة ملف قضايا موانئ سكك بنوك عملة استثمار مصانع").split()
    for i in range(7):
        rng = random.Random(100 + i)
        pipeline.process(src, Article(
            "wire", f"https://wire.example/{i}", f"تقرير رقم {i} عن موسكو",
            f"ذكرت مصادر في بموسكو {' '.join(rng.choice(pool) for _ in range(40))}.",
            datetime(2025, 8, 1, tzinfo=timezone.utc) + timedelta(days=i),
        ))
    reply = asyncio.run(router.handle_command(services, caller(1), "search", "موسكو"))
    out = reply.plain()
    assert "صفحة 1 من 2" in out and out.count("↗") == 5
    assert any(s.style == "bold" and "موسكو" in s.text for s in reply.spans)
    assert reply.buttons and reply.buttons[0][0].label == "التالي »"
    data = reply.buttons[0][0].data
    assert len(data.encode()) <= 64
    page2 = asyncio.run(router.handle_callback(services, caller(1), data))
    assert page2.edit and "صفحة 2 من 2" in page2.plain() and page2.plain().count("↗") == 2
    assert [b.label for b in page2.buttons[0]] == ["« السابق"]
    first_headlines = {s.text for s in reply.spans if s.style == "bold" and "تقرير" in s.text}
    second_headlines = {s.text for s in page2.spans if s.style == "bold" and "تقرير" in s.text}
    assert len(first_headlines) == 5 and not first_headlines & second_headlines
    en = asyncio.run(router.handle_command(services, caller(1, language="en"), "search", '"كوريا'))
    assert "quote is not closed" in en.plain()
    assert "too common" in asyncio.run(router.handle_command(services, caller(1, language="en"), "search", "في")).plain()
    assert "لا قصص" in asyncio.run(router.handle_command(services, caller(1), "search", "زلزال")).plain()
    expired = asyncio.run(router.handle_callback(services, caller(1), "srch:unknownkey:1"))
    assert expired.notice == "انتهت صلاحية هذا الزر."


def test_cli_search_jsonl(tmp_path, db_url, capsys):
    config = write_config(tmp_path, db_url)
    assert cli.main(["ingest", str(SEEDS), "--config", str(config)]) == 0
    capsys.readouterr()
    assert cli.main(["search", '"كوريا الشمالية"', "topic:kursk", "--format", "jsonl", "--config", str(config)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(set(r) == {"story_id", "headline", "url", "source", "published", "snippet", "score"} for r in rows)
    assert all(datetime.fromisoformat(r["published"]) for r in rows)
    assert all("كوري" in r["snippet"] for r in rows)
    assert cli.main(["search", "في", "--config", str(config)]) == 2
    assert "too common" in capsys.readouterr().err
    # FTS syntax inside a word is just text: no results, no traceback.
    assert cli.main(["search", 'NEAR("x*', "--config", str(config)]) == 0
    assert "no matching stories" in capsys.readouterr().err


def test_windowed_plans_return_the_plain_querys_newest_hits(tmp_path, db_url, monkeypatch):
    """SQLite reads a phrase window by window (each bounded by the newest hits of its words, the
    keys absent from it dropped, its phrases read oldest first); PostgreSQL reads the relaxed
    query's ids window by window of id buckets (here of 4 ids, so 160 articles make 40) or in
    one scan. Whatever the window sizes and the plan: exactly the newest hits of the plain
    query, in order."""
    from tests.test_search_agrees import _dev_articles, _store

    app, _ = _store(db_url, tmp_path, _dev_articles(160))
    pg = db_url.startswith("postgresql")
    queries = ['"المملكة العربية السعودية"', '"ولي العهد"', '"خادم الحرمين الشريفين"', '"الملك سلمان" الرياض',
               '"أمير منطقة"', "السعودية", "الرياض مجلس", '"مجلس السعودية"']
    hits = 0
    windows: list[int] = []  # the lowest id of every PostgreSQL window of buckets read
    if pg:
        with transaction(app.factory) as s:
            s.execute(text("ANALYZE search_docs"))  # windows are sized from the statistics
        search_store._stats_cache.clear()
        read = search_store._Windows.next

        def spy(self, *args):
            ids = read(self, *args)
            if self.low > 0:  # this scan read a window of buckets, not the rest of the archive
                windows.append(self.low)
            return ids

        monkeypatch.setattr(search_store._Windows, "next", spy)
    try:
        with transaction(app.factory) as s:
            for raw in queries:
                clauses, _ = expand(s, parse_query(raw))
                if not clauses:
                    continue
                for limit in (2, 5, 300):
                    if pg:
                        plain = s.execute(text(
                            "SELECT article_id FROM search_docs WHERE tsv @@ to_tsquery('simple', :q) "
                            "ORDER BY article_id DESC LIMIT :n"),
                            {"q": search_store.tsquery_expression(clauses), "n": limit}).scalars().all()
                    else:
                        plain = s.execute(text(
                            "SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY rowid DESC LIMIT :n"),
                            {"q": search_store.fts5_expression(clauses), "n": limit}).scalars().all()
                    # SQLite: the first window's share of the limit, and key sequences cut to those
                    # occurring together always (1), by default (2), never (8); PostgreSQL: one scan
                    # (reading every id costs nothing), windows sized as by default, windows of one
                    # bucket at a time (each sized for a hundredth of the hits missing).
                    for knob in ((1, 2, 8) if not pg else ((0.0, 1.5), (1e9, 1.5), (1e9, 0.01))):
                        if pg:
                            monkeypatch.setattr(search_store, "WINDOW_BITS", 2)
                            monkeypatch.setattr(search_store, "GIN_COST", knob[0])
                            monkeypatch.setattr(search_store, "WINDOW_MARGIN", knob[1])
                        else:
                            monkeypatch.setattr(search_store, "PHRASE_WINDOW", knob)
                            cut = {1: 0, 2: 24, 8: 10**6}[knob]
                            monkeypatch.setattr(search_store, "CO_OCCUR_PHRASES", cut)
                        got = [c.article_id for c in search_store.candidates(s, clauses, search_store.Filters(), limit)]
                        assert got == plain, (raw, limit, knob)
                hits += bool(plain)
    finally:
        app.close()
    assert hits >= 5  # most queries find something: the comparison is not vacuous
    assert not pg or len(windows) > 20  # ... and windows were read, not only whole scans


def test_postgresql_reads_a_window_through_the_gin_index(seeded):
    """The window condition is the GIN index's second column (migration 0014), so GIN skips to
    the window's ids: the plan reads it in the index, never by testing rows one by one."""
    with transaction(seeded.factory) as s:
        if s.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL plans")
        s.execute(text("SET LOCAL enable_seqscan = off"))
        clauses, _ = expand(s, parse_query("روسيا كوريا"))
        assert len(clauses) == 2  # both words are in the seeds: two clauses, so two GIN conditions
        params: dict = {}
        relaxed = search_store._pg_relaxed_sql(clauses, params)
        windows = search_store._Windows(s, relaxed, "", params, 10**6, 0.5, 0.5)
        plan = "\n".join(s.execute(text("EXPLAIN " + windows.window_sql.text), {
            **params, "before": 10**6, "buckets": "244 | 243", "m": 300, "n": 300, "q": "x", "rest": False,
            "saved": "on", "saved_jit": "on"}).scalars())
        index_cond = [line for line in plan.splitlines() if "Index Cond" in line]
        assert index_cond and "array_to_tsvector" in index_cond[0] and index_cond[0].count("tsv @@") == 2, plan


def test_key_presence_in_an_id_window_holds_for_many_keys(seeded):
    """SQLite's phrase plan drops the keys absent from a window of ids: asked for more keys than
    one compound SELECT may hold, it still names exactly the keys of the articles in the window."""
    with transaction(seeded.factory) as s:
        if s.get_bind().dialect.name != "sqlite":
            pytest.skip("FTS5 windows")
        keys = s.execute(text("SELECT term FROM search_terms ORDER BY term")).scalars().all()
        assert len(keys) > 2 * search_store.PRESENT_CHUNK
        assert search_store._fts_present(s, keys, 0, 10**9) == set(keys)
        first, second = s.execute(text("SELECT article_id FROM search_docs ORDER BY article_id LIMIT 2")).scalars()
        title, body = s.execute(text("SELECT title, body FROM articles WHERE id = :i"), {"i": first}).one()
        from bot.search import index_keys

        assert search_store._fts_present(s, keys, first - 1, first) == set(index_keys(title, body).split())
        assert search_store._fts_present(s, keys, second, second) == set()


def test_each_term_reads_only_the_keys_of_its_own_ranges(seeded, monkeypatch):
    """Expansion reads, for each term, only the vocabulary keys its own ranges found (a key costs
    the matcher a read), so a term expands the same alone and beside other terms."""
    from bot import search as search_module

    read: dict[str, set[str]] = {}
    accepted = search_module._accepted

    def spy(text_, keys):
        read.setdefault(text_, set()).update(keys)
        return accepted(text_, keys)

    monkeypatch.setattr(search_module, "_accepted", spy)
    with transaction(seeded.factory) as s:
        alone = [expand(s, parse_query(raw))[0] for raw in ('"كوريا الشمالية"', "روسيا", "القوات")]
        own = dict(read)
        read.clear()
        together, _ = expand(s, parse_query('"كوريا الشمالية" روسيا القوات'))
    assert read == own  # each text read the keys it reads alone, none of the other terms'

    def keys(clauses):  # the keys accepted at each position (their order is the database's)
        return [[[sorted(at) for at in path] for path in clause] for clause in clauses]

    assert all(alone) and keys(together) == keys([clause for clauses in alone for clause in clauses])


def test_relaxed_parts_are_the_relaxed_query_word_by_word():
    """PostgreSQL gives GIN one condition per clause, and per word of a single-path clause (a
    phrase): their conjunction is the relaxed query, each key set once."""
    phrase = [(("كوريا", "وكوريا"), ("الشماليه",))]
    word = [(("روسيا",),), (("الروس", "روس"),)]
    parts = search_store.relaxed_parts([phrase, word, phrase])
    assert parts == ["('كوريا' | 'وكوريا')", "('الشماليه')", search_store.relaxed_tsquery([word])]


def test_postgresql_tests_a_phrase_on_the_given_ids_only(seeded):
    """The phrase is tested on the ids the window read, in the same statement, walking the primary
    key newest first under a LIMIT, never answered again from the GIN index (which, for a phrase
    of common words, rechecks every article holding them); the statement restores the planner
    setting only when it is the last one."""
    with transaction(seeded.factory) as s:
        if s.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL plans")
        clauses, _ = expand(s, parse_query('"كوريا الشمالية"'))
        params: dict = {}
        relaxed = search_store._pg_relaxed_sql(clauses, params)
        top = s.execute(text("SELECT max(article_id) FROM search_docs")).scalar()
        windows = search_store._Windows(s, relaxed, "", params, top, None, 0.0, " AND " + search_store._PHRASE_TEST)
        params.update(q=search_store.tsquery_expression(clauses), before=top + 1, m=1000, n=2, rest=True, saved="on",
                      saved_jit="on")
        s.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(s.execute(text("EXPLAIN " + windows.rest_sql.text), params).scalars())
        lines = plan.splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip() == "CTE h")
        depth = len(lines[start]) - len(lines[start].lstrip())
        end = next((i for i in range(start + 1, len(lines)) if len(lines[i]) - len(lines[i].lstrip()) <= depth),
                   len(lines))
        test = "\n".join(lines[start:end])  # the hits' part of the statement
        assert "search_docs_pkey" in test and "ts_match_vq" in test and "ix_search_docs_tsv" not in test, plan
        hits = s.execute(windows.rest_sql, params).all()
        assert hits[0][2] is not None and [h[2] for h in hits] == sorted((h[2] for h in hits), reverse=True)
        assert s.execute(text("SELECT current_setting('enable_seqscan')")).scalar() == "on"  # the last batch
        s.execute(text("SET LOCAL enable_seqscan = off"))
        s.execute(windows.rest_sql, {**params, "n": 10**6, "m": 1}).all()  # more to read: not the last
        assert s.execute(text("SELECT current_setting('enable_seqscan')")).scalar() == "off"
        # Alone, with the sequential scan refused, the test still cannot be read from the index.
        alone = "\n".join(s.execute(text("EXPLAIN SELECT article_id FROM search_docs WHERE "
                                         + search_store._PHRASE_TEST), params).scalars())
        assert "ix_search_docs_tsv" not in alone, alone


def test_postgresql_tsvectors_are_lz4_compressed_where_the_server_has_lz4(seeded):
    """Migration 0016: tsvectors unpack in half the time of pglz (a phrase reads hundreds)."""
    with transaction(seeded.factory) as s:
        if s.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL storage")
        has_lz4 = s.execute(text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
        method = s.execute(text(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = to_regclass('search_docs') "
            "AND attname = 'tsv'")).scalar()
    assert method == ("l" if has_lz4 else "")


@pytest.mark.parametrize("stretch", [1, 2, 64, 1000])
def test_a_snippet_read_a_stretch_at_a_time_marks_what_reading_all_marks(monkeypatch, stretch):
    """Snippets read the body a stretch at a time until the window after the first hit and a
    phrase's keys past it are read; a phrase at the window's end, across a token that makes no key
    ("-"), is still marked, however short the stretches."""
    import bot.search as search_module

    monkeypatch.setattr(search_module, "SNIPPET_STRETCH", stretch)
    filler = "قال المسؤول في بيان صدر اليوم".split()
    # The first hit is word 104, so the window is words 99-126, and reading 1, 2, 4 … words at a
    # time has read exactly words 0-126 once: كوريا is read, the key after it not yet.
    words = [filler[i % len(filler)] for i in range(104)] + ["روسيا"]
    words += [filler[i % len(filler)] for i in range(21)] + ["كوريا", "-", "الشمالية", "أمس"]
    marks = [(("روسيا",),), (("كوريا",), ("الشماليه",))]
    pieces = snippet("", " ".join(words), marks, width=28)
    assert [p for p, hit in pieces if hit] == ["روسيا", "كوريا"]  # الشمالية is past the window
    assert pieces[0][0].startswith("… ") and pieces[-1] == (" …", False)


def test_postgresql_search_statements_are_never_jit_compiled(seeded):
    """The vocabulary lookup (up to a thousand ranges, priced by the planner far above JIT's
    thresholds once the vocabulary is large) runs in a function planned without JIT (migration
    0018), and the plan's statements after it run with JIT off: compiling cost ~200 ms of CPU for
    a lookup that runs in 15 (a rare word at 30k articles)."""
    with transaction(seeded.factory) as s:
        if s.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL plans")
        if not s.execute(text("SELECT pg_jit_available()")).scalar():
            pytest.skip("the server has no JIT")
        for name in ("jit_above_cost", "jit_optimize_above_cost", "jit_inline_above_cost"):
            s.execute(text(f"SET LOCAL {name} = 100"))  # low thresholds: a small store's lookup passes them
        s.execute(text("SET LOCAL jit = on"))
        letters = [chr(c) for c in range(0x0627, 0x064A)]
        ranges = [("روس", True), ("كوري", True), ("موسكو", False)] + [(a + b, True) for a in letters for b in letters]
        los, his = search_store._range_bounds(ranges)
        params = {"los": los, "his": his, "n": 400}
        plain = s.execute(text("EXPLAIN (ANALYZE) SELECT DISTINCT t.term FROM unnest(CAST(:los AS text[]), "
                               "CAST(:his AS text[])) AS r(lo, hi) CROSS JOIN LATERAL (SELECT term FROM search_terms "
                               "WHERE term >= r.lo AND term < r.hi ORDER BY term LIMIT :n) AS t"), params).scalars().all()
        assert any(line.startswith("JIT:") for line in plain)  # the same query, as a statement: compiled
        lookup = "\n".join(s.execute(text("EXPLAIN (ANALYZE) " + search_store._LOOKUP_PG), params).scalars())
        assert "JIT:" not in lookup, lookup
        keys, start = search_store.terms_and_start(s, ranges)
        assert set(keys) == set(search_store.terms_in_ranges(s, ranges)) and "روسيا" in keys
        assert s.execute(text("SELECT current_setting('jit')")).scalar() == "off"  # for the plan's statements
        search_store.finish(s, start)
        assert s.execute(text("SELECT current_setting('jit')")).scalar() == "on"
