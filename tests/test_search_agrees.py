"""Search agrees with alerts: a term is searched for exactly as the watchlist matcher reads it.

Over the seeds' watchlist terms and terms drawn from dev data (SaudiNewsNet dev days, ANT
JawharaFM), stored through the real pipeline, on SQLite and PostgreSQL:
- every form the matcher accepts for a term (proclitics, the article, endings, spelling variants,
  joined and split compounds, generated with its own rules and each verified by it) is found by
  searching the term, and a term with a proclitic finds what the bare term finds;
- on real articles, a word finds exactly the stories the matcher accepts for it, and a quoted
  phrase exactly those it accepts for the phrase; near misses (a proclitic on a later word, the
  words apart or reversed, one word alone) are not found, and are not marked in snippets;
- PostgreSQL's plans (GIN-driven, phrases checked on candidate ids) give the newest hits the plain
  ``ORDER BY article_id DESC LIMIT n`` query gives.
"""

from __future__ import annotations

import json
import random
import re
import zipfile
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import App
from bot.text.arabic import normalize, split_sentences
from bot.article import Article
from bot.config import load_config
from bot.text.matching import Matcher
from bot.pipeline import Pipeline
from bot.search import _matcher, expand, parse_query, query_bases, search
from bot.text.summarize import stopwords
from bot.watchlists import Rules, Watchlist, load_watchlists
from storage import search as store
from storage import sources
from storage.db import transaction
from tests.conftest import SEEDS, SHARED_DATA, write_config

DEV_DAY = "2015-08-02"  # a SaudiNewsNet dev day (2015-08-06 is held out)
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _dev_articles(n: int, stride: int = 37) -> list[tuple[str, str]]:
    """(title, body) of every ``stride``-th article of a dev day, and JawharaFM articles."""
    out: list[tuple[str, str]] = []
    k = 0
    with zipfile.ZipFile(SHARED_DATA / "saudinewsnet" / f"{DEV_DAY}.zip") as zf:
        for name in zf.namelist():
            for item in json.loads(zf.read(name)):
                body = " ".join((item.get("content") or "").split())
                if item.get("title") and len(body.split()) >= 40:
                    if k % stride == 0:
                        out.append((" ".join(item["title"].split()), body))
                    k += 1
    grab = re.compile(r"<(TITLE|TEXT)>(.*?)</\1>", re.S)
    for path in sorted((SHARED_DATA / "ant_v1.1_jawharafm_sample").rglob("JA-*.txt"))[:40]:
        fields = dict(grab.findall(path.read_text(encoding="utf-8", errors="replace")))
        body = " ".join(fields.get("TEXT", "").split())
        if fields.get("TITLE") and len(body.split()) >= 40:
            out.append((" ".join(fields["TITLE"].split()), body))
    return out[:n]


def _seed_terms() -> list[str]:
    terms = []
    for w in load_watchlists(SEEDS / "watchlists.toml"):
        terms += [*(t for g in w.rules.all for t in g), *w.rules.any]
    return list(dict.fromkeys(terms))


def _dev_terms(articles: list[tuple[str, str]], words: int, phrases: int) -> list[str]:
    """Terms an admin could watch, drawn from the articles: words of 4+ letters and two-word
    phrases of titles, no stopwords, a fixed sample."""
    stop = {normalize(w) for w in stopwords()}
    rng = random.Random(5)
    singles, pairs = set(), set()
    for title, body in articles:
        tokens = [t for t in normalize(title + " " + body).split() if re.fullmatch("[\u0621-\u064a]{4,}", t)]
        singles.update(t for t in tokens if t not in stop)
        head = [t for t in normalize(title).split() if re.fullmatch("[\u0621-\u064a]{3,}", t)]
        pairs.update(f"{a} {b}" for a, b in zip(head, head[1:]) if a not in stop and b not in stop)
    return rng.sample(sorted(singles), words) + rng.sample(sorted(pairs), phrases)


def _store(db_url: str, tmp_path: Path, docs: list[tuple[str, str]]) -> tuple[App, list[int]]:
    """Each document stored through the pipeline; the story id of each, in order."""
    app = App(load_config(write_config(tmp_path, db_url)))
    app.bootstrap()
    with transaction(app.factory) as s:
        src = sources.ensure_source(s, "dev", "files", "-", 0, START).id
    # Each document its own story: made-up texts an hour apart are no events to join (issue 12).
    pipeline = Pipeline(app.factory, clock=lambda: START + timedelta(days=400), same_event=False)
    for i, (title, body) in enumerate(docs):
        pipeline.process(src, Article("dev", f"https://dev.example/{i}", title, body, START + timedelta(hours=i)))
    with transaction(app.factory) as s:
        by_url = dict(s.execute(text("SELECT url, story_id FROM articles")).all())
    return app, [by_url.get(f"https://dev.example/{i}") for i in range(len(docs))]


def _found(app: App, raw: str) -> set[int]:
    """Every story a query finds (all pages)."""
    out: set[int] = set()
    with transaction(app.factory) as s:
        query = parse_query(raw)
        page = 0
        while True:
            result = search(s, query, page)
            out.update(r.story_id for r in result.results)
            if page + 1 >= result.pages:
                return out
            page += 1


def _bases(term: str) -> list[str]:
    """The terms a search stands for (``query_bases``): a phrase itself; a word, also without ال
    or a proclitic it carries. Search must find exactly what the matcher accepts for these."""
    return query_bases(normalize(term)) if len(term.split()) == 1 else [term]


def _quoted(term: str) -> str:
    return f'"{term}"' if len(term.split()) > 1 else term


def _accepts(term: str, title: str, body: str) -> bool:
    """The alert side's verdict: a watchlist of this one term matches the text."""
    return bool(_term_matcher(term).match(title, body))


@lru_cache(maxsize=None)
def _term_matcher(term: str) -> Matcher:
    return Matcher([Watchlist("t", "t", Rules(any=(term,)))])


# --- forms the matcher accepts, generated from its own rules ---------------------------------

_CLITICS = ("", "و", "ب", "ل", "ف", "ك", "وب", "ول")
_ENDINGS = ("", "ها", "هم", "ي", "يه", "ين", "ون", "ات", "ان", "ا")


def _forms(term: str, k: int = 30) -> list[str]:
    """Spellings of ``term`` the matcher accepts: its stems (variants, derived forms, joined and
    split) with proclitics, the article and endings; only those the matcher accepts are kept, a
    fixed sample of ``k`` of them (the word as written first)."""
    matcher = _matcher(term)
    candidates: dict[str, None] = {}
    for path in matcher.term_paths(term):
        spellings = [[s for s, _ in matcher.word_spellings(w)][:6] for w in path]
        for i, stems in enumerate(spellings):
            words = [matcher.word_text(w) for w in path]
            for stem in stems:
                for clitic in (_CLITICS if i == 0 else ("",)):
                    for article in ("", "ال"):
                        for ending in _ENDINGS:
                            bare = stem[2:] if stem.startswith("ال") else stem
                            form = words.copy()
                            form[i] = clitic + article + bare + ending
                            candidates[" ".join(form)] = None
    accepted = [f for f in candidates if _accepts(term, "", f)]
    return accepted[:1] + random.Random(term).sample(accepted[1:], min(k - 1, len(accepted) - 1))


def _near_misses(term: str) -> list[str]:
    """Texts holding a phrase's words that the matcher does NOT accept for the phrase."""
    words = term.split()
    if len(words) < 2:
        return []
    options = [
        " ".join([words[0], "و" + words[1], *words[2:]]),  # a proclitic on a later word
        " ".join(reversed(words)),
        " ".join([words[0], "اليوم", *words[1:]]),
        words[-1],
    ]
    return [o for o in options if not _accepts(term, "", o)]


FORM_TERMS = ["روسيا", "موسكو", "بوتين", "الكرملين", "بيونغ يانغ", "بيونغيانغ", "كوريا الشمالية",
              "ترامب", "الحكومة", "السعودية"]


@pytest.fixture(scope="module")
def fillers() -> list[str]:
    """Real sentences to carry the forms (so no two test documents look alike)."""
    sentences = []
    for _, body in _dev_articles(400, stride=7):
        sentences += [s for s in split_sentences(body) if 60 <= len(s) <= 300]
    # Outlets repeat wire sentences, whole or in part: keep one sentence per first or last words.
    seen: set[str] = set()
    out = []
    for sentence in sentences:
        words = normalize(sentence).split()
        ends = {"<" + " ".join(words[:6]), " ".join(words[-6:]) + ">"}
        if seen.isdisjoint(ends):
            seen.update(ends)
            out.append(sentence)
    return out


def test_every_form_the_matcher_accepts_is_found_by_the_term(tmp_path, db_url, fillers):
    plan: list[tuple[str, str, bool]] = []  # (term, form, accepted)
    for term in FORM_TERMS:
        forms = _forms(term)
        assert len(forms) >= 5, (term, forms)  # the generator exercises the rules
        plan += [(term, f, True) for f in forms]
        plan += [(term, f, False) for f in _near_misses(term)]
    docs = []
    for i, (term, form, _) in enumerate(plan):
        a, b = fillers[(2 * i) % len(fillers)], fillers[(2 * i + 1) % len(fillers)]
        docs.append((f"وثيقة رقم {i}", f"{a} {form} {b}"))
    assert len(fillers) >= 2 * len(docs)  # no two documents share their text: each its own story
    app, stories = _store(db_url, tmp_path, docs)
    assert None not in stories and len(set(stories)) == len(docs)
    try:
        for term in FORM_TERMS:
            rows = [(form, ok, stories[i], docs[i]) for i, (t, form, ok) in enumerate(plan) if t == term]
            found = _found(app, _quoted(term))
            # Every accepted form's story is found; every story found is one the matcher accepts.
            missed = [form for form, ok, story, _ in rows if ok and story not in found]
            assert not missed, (term, missed)
            accepted = {i for i, d in enumerate(docs) if any(_accepts(b, *d) for b in _bases(term))}
            assert found == {stories[i] for i in accepted}, term
            # Near misses the filler text does not happen to rescue are not found.
            wrong = [form for form, ok, story, doc in rows if not ok and story in found and not _accepts(term, *doc)]
            assert not wrong, (term, wrong)
            # A form that is the term behind a proclitic finds what the term finds.
            for form, ok, _, _ in rows:
                if ok and " " not in form and term in query_bases(form)[1:]:
                    assert _found(app, form) == found, (term, form)
    finally:
        app.close()


def test_search_finds_what_the_matcher_accepts_on_real_articles(tmp_path, db_url):
    articles = _dev_articles(90)
    seeds = [Path(p) for p in sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))]
    from bot.sources.files import read_article_file

    docs = articles + [(a.title, a.body) for a in map(read_article_file, seeds)]
    terms = _seed_terms() + _dev_terms(articles, words=40, phrases=20)
    app, stories = _store(db_url, tmp_path, docs)
    try:
        checked = 0
        for term in terms:
            expected = {stories[i] for i, d in enumerate(docs) if any(_accepts(b, *d) for b in _bases(term))}
            assert _found(app, _quoted(term)) == expected, term
            checked += bool(expected)
        assert checked >= 40  # most terms are found somewhere: the comparison is not vacuous
    finally:
        app.close()


def test_the_issue_examples_on_the_seeds(seeded):
    """بيونغيانغ finds بيونغ يانغ; لموسكو finds what موسكو finds; a phrase marks only itself."""
    with transaction(seeded.factory) as s:
        by_url = dict(s.execute(text("SELECT url, story_id FROM articles")).all())
        texts = s.execute(text("SELECT story_id, title, body FROM articles")).all()
    split = {story for story, title, body in texts if "بيونغ يانغ" in normalize(title + " " + body)}
    assert split and split <= _found(seeded, "بيونغيانغ")
    assert _found(seeded, "لموسكو") == _found(seeded, "موسكو") != set()
    with transaction(seeded.factory) as s:
        page = search(s, parse_query('"كوريا الشمالية"'))
        assert page.results
        for r in page.results:
            marked = [normalize(p) for p, hit in r.snippet if hit]
            # Marked words come in pairs the matcher reads as the phrase, never a lone الكوريين.
            assert marked and len(marked) % 2 == 0
            for a, b in zip(marked[::2], marked[1::2]):
                assert _accepts("كوريا الشمالية", "", f"{a} {b}"), (a, b)
        clauses, _ = expand(s, parse_query('"كوريا الشمالية"'))
        later = {k for path in clauses[0] if len(path) == 2 for k in path[1]}
        assert later and not any(k.startswith(("و", "ب", "ل")) for k in later)
    assert by_url


def test_postgresql_plans_give_the_plain_querys_hits(tmp_path, db_url, monkeypatch):
    """The GIN-driven plan, the phrase check on candidate ids and the walk for common words
    return exactly the newest hits."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL plans")
    docs = _dev_articles(80)
    app, _ = _store(db_url, tmp_path, docs)
    try:
        with transaction(app.factory) as s:
            s.execute(text("ANALYZE search_docs"))
        store._stats_cache.clear()
        queries = ["السعودية", "المملكة", '"المملكة العربية السعودية"', '"ولي العهد"', "وزارة الصحة",
                   '"الأمم المتحدة" مجلس']
        with transaction(app.factory) as s:
            assert store._pg_stats(s) is not None  # the plan is chosen from statistics here
        plans = [(raw, limit, walk) for raw in queries for limit in (3, 300) for walk in (False, True)]
        hits = 0
        for raw, limit, walk in plans:
            monkeypatch.setattr(store, "GIN_COST", 1e9 if walk else 0.0)  # every word query walks, or none
            with transaction(app.factory) as s:
                clauses, _ = expand(s, parse_query(raw))
                got = [c.article_id for c in store.candidates(s, clauses, store.Filters(), limit)]
                plain = s.execute(text(
                    "SELECT article_id FROM search_docs WHERE tsv @@ to_tsquery('simple', :q) "
                    "ORDER BY article_id DESC LIMIT :n"), {"q": store.tsquery_expression(clauses), "n": limit}
                ).scalars().all()
                assert got == plain, (raw, limit, walk)
                hits += bool(got)
                assert s.execute(text("SELECT current_setting('enable_seqscan')")).scalar() == "on"
        assert hits >= len(plans) - 4  # nearly every query finds something: the comparison is real
    finally:
        app.close()


def test_a_search_reads_its_plans_start_with_the_keys_and_gives_the_same_pages(tmp_path, db_url, monkeypatch):
    """On PostgreSQL ``search`` reads the plan's start (schema, settings, newest id) in the round
    trip that reads the query's keys (``terms_and_start``): the pages are those of the plan reading
    its start itself, and the planner setting is back as it was after every search, whether it
    found something, nothing, or no key at all (and JIT's, which the plan turns off too)."""
    docs = _dev_articles(60)
    app, _ = _store(db_url, tmp_path, docs)
    pg = db_url.startswith("postgresql")
    now = START + timedelta(days=400)
    queries = ["السعودية", "المملكة", '"المملكة العربية السعودية"', '"ولي العهد" الرياض', "وزارة الصحة",
               "المملكه source:dev", "زززقققغغغ", "السعودية source:nowhere", "المكان"]
    try:
        with transaction(app.factory) as s:
            if pg:
                s.execute(text("ANALYZE search_docs"))
        store._stats_cache.clear()
        pages = {}
        for together in (True, False):
            if not together:  # the plan reads its start itself, as ``candidates`` without one does
                monkeypatch.setattr(store, "terms_and_start",
                                    lambda db, ranges: (store.terms_in_ranges(db, ranges), None))
            for raw in queries:
                with transaction(app.factory) as s:
                    settings = "SELECT current_setting('enable_seqscan'), current_setting('jit')"
                    before = s.execute(text(settings)).one() if pg else None
                    got = []
                    for page in range(3):
                        result = search(s, parse_query(raw), page, now)
                        got.append([(r.article_id, r.score, r.snippet) for r in result.results])
                        if pg:
                            assert s.execute(text(settings)).one() == before == ("on", before[1]), raw
                pages.setdefault(raw, []).append(got)
        assert all(a == b for a, b in pages.values())
        assert sum(bool(p[0][0]) for p in pages.values()) >= 5  # most queries find something
    finally:
        app.close()
