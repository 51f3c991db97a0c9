"""The search index: SQL only. Callers hand in text already reduced to search keys.

SQLite: a contentless FTS5 table (rowid = article id, ``ascii`` tokenizer, so every run of
non-space characters of the key text is one token) beside ``search_docs`` (story, source, date).
PostgreSQL: ``search_docs.tsv`` (``to_tsvector('simple', …)``) with a GIN index.
Both keep ``search_terms``, the vocabulary, so a query word can be expanded to the indexed forms
that carry clitics and endings (a prefix range scan: an index lookup, never a scan).

A query is ``Query``: clauses that must all match; a clause is alternatives; an alternative is a
sequence of keys (one key for a word, several for a phrase).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence, Union

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.models import UTCDateTime

Clause = Sequence[Sequence[str]]
Query = Sequence[Clause]
Executor = Union[Session, Connection]

_DT = UTCDateTime()


@dataclass(frozen=True)
class Filters:
    topic: str | None = None
    # The one watchlist ``topic`` means for the chat searching (its own, else the global one):
    # set, it replaces the slug, which repeats across chat scopes.
    topic_id: int | None = None
    source: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


@dataclass(frozen=True)
class Candidate:
    article_id: int
    story_id: int
    published_at: datetime
    relevance: float  # higher is better (negated bm25 / ts_rank)


@dataclass(frozen=True)
class ArticleText:
    article_id: int
    story_id: int
    title: str
    body: str
    url: str
    source: str
    published_at: datetime


def _dialect(db: Executor) -> str:
    bind = db.get_bind() if isinstance(db, Session) else db
    return bind.dialect.name


def index_article(
    db: Executor, article_id: int, story_id: int, source_id: int, published_at: datetime, keys: str
) -> None:
    """Index one article's key text; runs in the caller's transaction (the one storing it)."""
    pg = _dialect(db) == "postgresql"
    when = _DT.process_bind_param(published_at, None)
    if pg:
        db.execute(
            text(
                "INSERT INTO search_docs (article_id, story_id, source_id, published_at, tsv) "
                "VALUES (:a, :s, :src, :p, to_tsvector('simple', :t))"
            ),
            {"a": article_id, "s": story_id, "src": source_id, "p": when, "t": keys},
        )
    else:
        db.execute(
            text("INSERT INTO search_docs (article_id, story_id, source_id, published_at) VALUES (:a, :s, :src, :p)"),
            {"a": article_id, "s": story_id, "src": source_id, "p": when},
        )
        db.execute(text("INSERT INTO search_fts (rowid, text) VALUES (:a, :t)"), {"a": article_id, "t": keys})
    terms = sorted(set(keys.split()))
    if terms:
        verb = "INSERT INTO search_terms (term) VALUES (:t) ON CONFLICT DO NOTHING" if pg else (
            "INSERT OR IGNORE INTO search_terms (term) VALUES (:t)"
        )
        db.execute(text(verb), [{"t": t} for t in terms])


def terms_with_prefix(db: Executor, prefix: str, limit: int = 400) -> list[str]:
    """Indexed keys starting with ``prefix`` (binary order, so a range on the primary key)."""
    if not prefix:
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    rows = db.execute(
        text("SELECT term FROM search_terms WHERE term >= :lo AND term < :hi ORDER BY term LIMIT :n"),
        {"lo": prefix, "hi": upper, "n": limit},
    )
    return [r[0] for r in rows]


def terms_with_prefixes(db: Executor, prefixes: Sequence[str], limit: int = 400) -> list[str]:
    """``terms_with_prefix`` for several prefixes in one round trip (one range scan each)."""
    prefixes = [p for p in dict.fromkeys(prefixes) if p]
    if not prefixes:
        return []
    parts, params = [], {"n": limit}
    for i, prefix in enumerate(prefixes):
        params[f"lo{i}"], params[f"hi{i}"] = prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
        parts.append(
            f"SELECT term FROM (SELECT term FROM search_terms WHERE term >= :lo{i} AND term < :hi{i} "
            f"ORDER BY term LIMIT :n) AS p{i}"
        )
    return [r[0] for r in db.execute(text(" UNION ALL ".join(parts)), params)]


def _quote_fts(key: str) -> str:
    return '"' + key.replace('"', '""') + '"'


def fts5_expression(query: Query) -> str:
    """The FTS5 MATCH string: every key quoted, so no user character is FTS syntax."""
    clauses = []
    for clause in query:
        alts = [_quote_fts(" ".join(seq)) for seq in clause]
        clauses.append("(" + " OR ".join(alts) + ")")
    return " AND ".join(clauses)


def _quote_ts(key: str) -> str:
    return "'" + key.replace("'", "''").replace("\\", "\\\\") + "'"


def tsquery_expression(query: Query) -> str:
    clauses = []
    for clause in query:
        alts = []
        for seq in clause:
            inner = " <-> ".join(_quote_ts(k) for k in seq)
            alts.append(f"({inner})" if len(seq) > 1 else inner)
        clauses.append("(" + " | ".join(alts) + ")")
    return " & ".join(clauses)


def _filter_sql(filters: Filters, params: dict) -> str:
    sql = ""
    if filters.start is not None:
        sql += " AND d.published_at >= :start"
        params["start"] = _DT.process_bind_param(filters.start, None)
    if filters.end is not None:
        sql += " AND d.published_at < :end"
        params["end"] = _DT.process_bind_param(filters.end, None)
    if filters.source is not None:
        sql += " AND d.source_id IN (SELECT id FROM sources WHERE lower(name) = lower(:source))"
        params["source"] = filters.source
    if filters.topic_id is not None:
        sql += " AND d.story_id IN (SELECT st.story_id FROM story_topics st WHERE st.watchlist_id = :topic_id)"
        params["topic_id"] = filters.topic_id
    elif filters.topic is not None:
        sql += (
            " AND d.story_id IN (SELECT st.story_id FROM story_topics st JOIN watchlists w"
            " ON w.id = st.watchlist_id WHERE w.slug = :topic)"
        )
        params["topic"] = filters.topic
    return sql


FIRST_RANGE = 20_000  # article ids searched first (the newest), then ×RANGE_GROWTH older each time
RANGE_GROWTH = 8


def candidates(db: Executor, query: Query, filters: Filters, limit: int) -> list[Candidate]:
    """The newest ``limit`` matching articles with their relevance.

    Hits are read in descending article id (ingest order, i.e. recency) and only those ``limit``
    rows are scored, so a word found in half the archive costs the same as a rare one.
    """
    if not query:
        return []
    params: dict = {"n": limit}
    where = _filter_sql(filters, params)
    if _dialect(db) == "postgresql":
        params["q"] = tsquery_expression(query)
        sql = (
            "SELECT d.article_id, d.story_id, d.published_at, ts_rank(d.tsv, to_tsquery('simple', :q)) "
            "FROM search_docs d WHERE d.tsv @@ to_tsquery('simple', :q)" + where
            + " ORDER BY d.article_id DESC LIMIT :n"
        )
        rows = db.execute(text(sql), params)
        return [Candidate(a, s, _DT.process_result_value(p, None), float(r)) for a, s, p, r in rows]
    params["q"] = fts5_expression(query)
    # bm25() first counts every phrase's documents over the whole index (FTS5 has no stored
    # phrase statistics): 50-150 ms at 1M articles. Phrase queries therefore rank their exact
    # matches by recency alone; word queries get bm25 (a word's count is its doclist size).
    phrases = any(len(seq) > 1 for clause in query for seq in clause)
    relevance = "1.0" if phrases else "-bm25(search_fts)"
    sql = (
        f"SELECT search_fts.rowid, d.story_id, d.published_at, {relevance} "
        "FROM search_fts CROSS JOIN search_docs d ON d.article_id = search_fts.rowid "
        "WHERE search_fts MATCH :q AND search_fts.rowid > :lo AND search_fts.rowid <= :hi" + where
        + " ORDER BY search_fts.rowid DESC LIMIT :n"
    )
    # Newest first, in widening id ranges: FTS5 seeks to a rowid range, so a phrase of words found
    # in half the archive reads only the recent part of their position lists.
    hi = db.execute(text("SELECT max(article_id) FROM search_docs")).scalar() or 0
    step = FIRST_RANGE
    out: list[Candidate] = []
    while hi > 0 and len(out) < limit:
        lo = max(0, hi - step)
        params.update(lo=lo, hi=hi, n=limit - len(out))
        out += [Candidate(a, s, _parse_dt(p), float(r)) for a, s, p, r in db.execute(text(sql), params)]
        hi, step = lo, step * RANGE_GROWTH
    return out


def plain_bm25(db: Executor, query: Query, limit: int = 10) -> list[int]:
    """The baseline the benchmark compares with: every hit scored, best ``limit`` by bm25."""
    if _dialect(db) == "postgresql":
        sql = (
            "SELECT article_id FROM search_docs WHERE tsv @@ to_tsquery('simple', :q) "
            "ORDER BY ts_rank(tsv, to_tsquery('simple', :q)) DESC LIMIT :n"
        )
        return [r[0] for r in db.execute(text(sql), {"q": tsquery_expression(query), "n": limit})]
    sql = "SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY bm25(search_fts) LIMIT :n"
    return [r[0] for r in db.execute(text(sql), {"q": fts5_expression(query), "n": limit})]


def _parse_dt(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _DT.process_result_value(value, None)  # type: ignore[return-value]


def articles(db: Executor, ids: Sequence[int]) -> dict[int, ArticleText]:
    """Title, body, link and source of the given articles, for result lines and snippets."""
    if not ids:
        return {}
    stmt = text(
        "SELECT a.id, a.story_id, a.title, a.body, a.url, s.name, a.published_at FROM articles a "
        "JOIN sources s ON s.id = a.source_id WHERE a.id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    rows = db.execute(stmt, {"ids": list(ids)})
    return {r[0]: ArticleText(r[0], r[1], r[2], r[3], r[4], r[5], _parse_dt(r[6])) for r in rows}


def story_headlines(db: Executor, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = text("SELECT id, headline FROM stories WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    return {r[0]: r[1] for r in db.execute(stmt, {"ids": list(ids)})}


def index_size(db: Executor) -> int:
    """Bytes used by the index (SQLite: dbstat when compiled in; PostgreSQL: relation sizes)."""
    if _dialect(db) == "postgresql":
        sql = (
            "SELECT pg_total_relation_size('search_docs') + pg_total_relation_size('search_terms')"
        )
        return int(db.execute(text(sql)).scalar() or 0)
    try:
        sql = (
            "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search_fts%' OR name LIKE 'search_docs%' "
            "OR name LIKE 'search_terms%' OR name LIKE 'sqlite_autoindex_search%' OR name LIKE 'ix_search%'"
        )
        return int(db.execute(text(sql)).scalar() or 0)
    except Exception:
        return -1
