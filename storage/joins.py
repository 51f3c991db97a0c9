"""Why an article joined a known story (migration 0017_why): SQL only.

The pipeline records, in the transaction that stores an article into an existing story, which
stored article it was matched to and how (``bot.pipeline``: a copy, a text contained in it, an
update, or another outlet's report of the same event), with the same-event decision's evidence as
JSON (``bot.text.events.Evidence.to_dict``; storage imports nothing of ours, so it stays text
here). «لماذا؟», /explain and ``raqib explain --story`` read it back with both articles' outlet
and headline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, case, func, insert, select
from sqlalchemy.orm import Session, aliased

from storage.models import Article, Source, Story, text_key

_metadata = MetaData()

# Reached through a Core table of its own, like storage/events.py's (the ORM models stay as they are).
article_joins = Table(
    "article_joins",
    _metadata,
    Column("article_id", Integer, primary_key=True),
    Column("joined_article_id", Integer, nullable=True),
    Column("relation", String(16), nullable=False),
    Column("evidence", Text, nullable=True),
)


@dataclass(frozen=True)
class Join:
    """One article of a story that joined it after its start, and what it was matched to."""

    article_id: int
    source: str
    title: str
    url: str
    relation: str  # "copy", "contained", "update" (bot.text.dedup) or "event" (bot.pipeline.SAME_EVENT)
    joined_article_id: int | None  # None: that article is gone
    joined_source: str | None
    joined_title: str | None
    evidence: dict | None  # the same-event decision's evidence; None for the other relations


# ``session.info`` key of a batch's writer: a list collecting the rows ``record`` would insert, written
# together by ``write`` before the commit (nothing in the batch reads them).
JOIN_BUFFER = "raqib_join_buffer"
_INSERT_JOIN = insert(article_joins)


def record(session: Session, article_id: int, joined_article_id: int, relation: str,
           evidence: dict | None = None) -> None:
    """Note why ``article_id`` joined its story, in the caller's transaction (the one storing it);
    collected in the session's ``JOIN_BUFFER`` when its owner set one."""
    row = {
        "article_id": article_id, "joined_article_id": joined_article_id, "relation": relation[:16],
        "evidence": None if evidence is None else json.dumps(evidence, ensure_ascii=False, separators=(",", ":")),
    }
    buffer = session.info.get(JOIN_BUFFER)
    if buffer is not None:
        buffer.append(row)
    else:
        session.connection().execute(_INSERT_JOIN, [row])


def write(session: Session, rows: list[dict]) -> None:
    """The rows ``record`` collected in ``JOIN_BUFFER``, in one ``executemany`` (the same rows)."""
    if rows:
        session.connection().execute(_INSERT_JOIN, rows)


def _query():
    joined = aliased(Article.__table__, name="joined")
    joined_source = aliased(Source.__table__, name="joined_source")
    articles, sources = Article.__table__, Source.__table__
    return (
        select(articles.c.id, sources.c.name, articles.c.title, articles.c.url, article_joins.c.relation,
               article_joins.c.joined_article_id, joined_source.c.name, joined.c.title, article_joins.c.evidence)
        .select_from(article_joins)
        .join(articles, articles.c.id == article_joins.c.article_id)
        .join(sources, sources.c.id == articles.c.source_id)
        .outerjoin(joined, joined.c.id == article_joins.c.joined_article_id)
        .outerjoin(joined_source, joined_source.c.id == joined.c.source_id)
    )


def _join(row) -> Join:
    *head, evidence = row
    try:
        parsed = json.loads(evidence) if evidence else None
    except ValueError:  # never written so; a hand-edited row explains less, it does not fail
        parsed = None
    return Join(*head, evidence=parsed if isinstance(parsed, dict) else None)


def story_joins(session: Session, story_id: int, limit: int = 5,
                relations: tuple[str, ...] | None = None) -> tuple[list[Join], int]:
    """(at most ``limit`` articles that joined story ``story_id``: the same event's first, each
    kind in the order stored; how many joined in all). ``relations``: only these kinds."""
    articles = Article.__table__
    cond = articles.c.story_id == story_id
    if relations is not None:
        cond = cond & article_joins.c.relation.in_(relations)
    # Reports of the same event in other words first (their evidence is what a reader asks for; a
    # wire copy explains itself), then in the order they were stored.
    first = case((article_joins.c.relation == "event", 0), else_=1)
    rows = session.execute(_query().where(cond).order_by(first, articles.c.id).limit(max(0, limit))).all()
    total = session.scalar(
        select(func.count()).select_from(article_joins)
        .join(articles, articles.c.id == article_joins.c.article_id).where(cond)
    )
    return [_join(r) for r in rows], int(total or 0)


def article_join(session: Session, article_id: int) -> Join | None:
    """Why one article joined its story; None when it started it (or joined before 0017_why)."""
    row = session.execute(_query().where(article_joins.c.article_id == article_id)).first()
    return None if row is None else _join(row)


def article_join_by_url(session: Session, url: str) -> Join | None:
    """``article_join`` of the stored article with this URL (by its indexed hash)."""
    article_id = session.scalar(select(Article.id).where(Article.url_hash == text_key(url), Article.url == url))
    return None if article_id is None else article_join(session, article_id)


def story_headline(session: Session, story_id: int) -> str | None:
    """The story's headline; None when there is no such story."""
    return session.scalar(select(Story.headline).where(Story.id == story_id))
