"""Several ingest workers over one database must still make one story per report (issue 9, defect 2).

Three processes store a report and two trimmed copies of it at the same moment (a Barrier makes
them collide), each with its own clock a millisecond apart, as separate machines have. Before the
fix, story assignment was not serialized and the window ended at a ``now`` read before the
transaction, so PostgreSQL split 9-10 pairs of 10 and SQLite 2-4.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from bot.text import dedup
from bot.app import App
from bot.article import Article
from bot.config import load_config
from bot.pipeline import DUPLICATE, JOINED, NEW
from storage import sources
from storage.db import transaction
from storage.models import Article as ArticleRow
from storage.models import Story
from tests.conftest import write_config
from tests.fake_feeds import saudi_items

ROUNDS = 8
WORKERS = 3
START = datetime(2015, 8, 4, 12, 0, tzinfo=timezone.utc)


def _triples(n: int) -> list[list[Article]]:
    """A real report and two copies: last paragraph cut, first paragraph cut, other titles and URLs;
    every two of the three are near-duplicates by the pipeline's own decision."""
    out: list[list[Article]] = []
    for item in saudi_items(400, min_words=150):
        paras = [p for p in item.body.splitlines() if p.strip()]
        if len(paras) < 5:
            continue
        base = Article("snn", item.link, item.title, "\n".join(paras), item.published, guid=None)
        copies = [
            base,
            replace(base, url=item.link + "?copy=1", title="نقلا عن واس: " + item.title, body="\n".join(paras[:-1])),
            replace(base, url=item.link + "?copy=2", title=item.title + " (محدث)", body="\n".join(paras[1:])),
        ]
        fps = [dedup.fingerprint(c.body) for c in copies]
        if all(dedup.is_near_duplicate(a, b) for i, a in enumerate(fps) for b in fps[i + 1:]):
            out.append(copies)
        if len(out) == n:
            break
    assert len(out) == n, "not enough long SaudiNewsNet reports with five paragraphs"
    return out


def _worker(config_path: str, index: int, triples: list[list[Article]], barrier, results) -> None:
    """One ingest process: its own engine, its own clock (worker i runs i ms behind worker 0)."""
    skew = timedelta(milliseconds=-index)
    app = App(load_config(config_path, env={}), clock=lambda: START + skew)
    try:
        with transaction(app.factory) as s:
            src = sources.ensure_source(s, "files", "files", "-", 0, START).id
        for triple in triples:
            barrier.wait(timeout=60)
            outcome = app.pipeline.process(src, triple[index])
            results.put((index, outcome.status, outcome.story_id, outcome.detail))
    except BaseException as exc:  # reported to the parent, which fails the test with it
        results.put((index, "crash", None, repr(exc)))
        barrier.abort()
    finally:
        app.close()


def test_workers_storing_a_report_and_its_copies_at_once_make_one_story(tmp_path, db_url):
    config_path = write_config(tmp_path, db_url)
    app = App(load_config(config_path, env={}), clock=lambda: START)
    app.bootstrap()
    with transaction(app.factory) as s:
        sources.ensure_source(s, "files", "files", "-", 0, START)
    triples = _triples(ROUNDS)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(config_path), i, triples, barrier, results)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    got = [results.get(timeout=300) for _ in range(WORKERS * ROUNDS)]
    for p in procs:
        p.join(timeout=60)
    crashes = [r for r in got if r[1] == "crash"]
    assert not crashes, crashes
    assert all(p.exitcode == 0 for p in procs)
    statuses = sorted(r[1] for r in got)
    assert statuses.count(NEW) == ROUNDS and statuses.count(JOINED) == ROUNDS * (WORKERS - 1), statuses
    assert DUPLICATE not in statuses
    with transaction(app.factory) as s:
        stories = s.scalar(select(func.count()).select_from(Story))
        per_story = dict(s.execute(select(ArticleRow.story_id, func.count()).group_by(ArticleRow.story_id)).all())
    assert stories == ROUNDS and sorted(per_story.values()) == [WORKERS] * ROUNDS
    app.close()
