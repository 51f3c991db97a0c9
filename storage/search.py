"""The search index: SQL only. Callers hand in text already reduced to search keys.

SQLite: a contentless FTS5 table (rowid = article id, ``ascii`` tokenizer, so every run of
non-space characters of the key text is one token) beside ``search_docs`` (story, source, date).
PostgreSQL: ``search_docs.tsv`` (``to_tsvector('simple', …)``) with a GIN index, queried with a
plan chosen per query from PostgreSQL's own lexeme statistics (see ``_pg_candidates``).
Both keep ``search_terms``, the vocabulary, so a query word can be expanded to the indexed forms
that carry clitics and endings (a prefix range scan: an index lookup, never a scan).

A query is ``Query``: clauses that must all match; a clause is alternatives; an alternative is a
path, a sequence of positions (one for a word, several for a phrase), each the keys accepted there.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence, Union

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.models import UTCDateTime

Path = Sequence[Sequence[str]]  # one way of writing a term: the keys accepted at each position
Clause = Sequence[Path]  # alternatives
Query = Sequence[Clause]  # all must match
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


def terms_in_ranges(db: Executor, ranges: Sequence[tuple[str, bool]], limit: int = 400) -> list[str]:
    """Indexed keys for each ``(text, is_prefix)``: those starting with ``text``, or ``text`` itself;
    one round trip, one primary-key range seek per entry (at most ``limit`` keys per prefix on
    PostgreSQL; SQLite reads each range whole, which the binary order keeps to its prefix)."""
    bounds: dict[tuple[str, str], None] = {}
    for key, prefix in ranges:
        if key:
            bounds[(key, (key[:-1] + chr(ord(key[-1]) + 1)) if prefix else key + "\x01")] = None
    if not bounds:
        return []
    los, his = [lo for lo, _ in bounds], [hi for _, hi in bounds]
    if _dialect(db) == "postgresql":
        sql = text(
            "SELECT DISTINCT t.term FROM unnest(CAST(:los AS text[]), CAST(:his AS text[])) AS r(lo, hi) "
            "CROSS JOIN LATERAL (SELECT term FROM search_terms WHERE term >= r.lo COLLATE \"C\" "
            "AND term < r.hi COLLATE \"C\" ORDER BY term LIMIT :n) AS t"
        )
        return [r[0] for r in db.execute(sql, {"los": los, "his": his, "n": limit})]
    sql = text(
        "SELECT DISTINCT t.term FROM json_each(:r) AS j CROSS JOIN search_terms AS t "
        "WHERE t.term >= json_extract(j.value, '$[0]') AND t.term < json_extract(j.value, '$[1]')"
    )
    return [r[0] for r in db.execute(sql, {"r": json.dumps(list(bounds), ensure_ascii=False)})]


def _quote_fts(key: str) -> str:
    return '"' + key.replace('"', '""') + '"'


MAX_FTS_PHRASES = 2000  # FTS5 phrases per clause (it has no OR inside a phrase: one per key sequence)


def fts5_expression(query: Query) -> str:
    """The FTS5 MATCH string: every key quoted, so no user character is FTS syntax. A path of
    several positions becomes one phrase per key sequence (FTS5 has no alternatives in a phrase)."""
    clauses = []
    for clause in query:
        alts: list[str] = []
        for path in clause:
            for seq in itertools.islice(itertools.product(*path), MAX_FTS_PHRASES - len(alts)):
                alts.append(_quote_fts(" ".join(seq)))
        clauses.append("(" + " OR ".join(alts) + ")")
    return " AND ".join(clauses)


def _quote_ts(key: str) -> str:
    return "'" + key.replace("'", "''").replace("\\", "\\\\") + "'"


def tsquery_expression(query: Query, followed_by: str = " <-> ") -> str:
    """The tsquery: a phrase is ``(a | b) <-> (c | d)``, alternatives inside the phrase."""
    clauses = []
    for clause in query:
        alts = []
        for path in clause:
            positions = ["(" + " | ".join(_quote_ts(k) for k in keys) + ")" for keys in path]
            alts.append("(" + followed_by.join(positions) + ")")
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
    if _dialect(db) == "postgresql":
        return _pg_candidates(db, query, filters, limit)
    params: dict = {"n": limit}
    where = _filter_sql(filters, params)
    params["q"] = fts5_expression(query)
    # bm25() first counts every phrase's documents over the whole index (FTS5 has no stored
    # phrase statistics): 50-150 ms at 1M articles. Phrase queries therefore rank their exact
    # matches by recency alone; word queries get bm25 (a word's count is its doclist size).
    phrases = any(len(path) > 1 for clause in query for path in clause)
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


# --- PostgreSQL: the plan chosen per query from how many articles hold its terms ---------------
#
# PostgreSQL's planner prices ``tsv @@ query`` as cheap, but testing a row reads (detoasts) its
# whole tsvector, ~25 µs: for ``ORDER BY article_id DESC LIMIT n`` it walks the primary key
# backwards and tests every row (1.7 s for a rare word at 200k articles). So the plan is ours:
# - by default the GIN index alone answers the query with every phrase relaxed to "all its
#   words" (no phrase operator, so no row is rechecked): the matching ids, newest first, read
#   from the compact heap of ``search_docs`` (the tsvectors live in TOAST) and sorted;
# - a query with phrases then tests the phrase on those ids, newest first, a chunk at a time
#   sized by how many held it so far, until it has ``limit`` (ts_rank read in the same pass);
# - a query so common that reading its ids costs more than testing the newest rows
#   (share × rows × GIN_COST > limit / share × ROW_COST: a word in 20% of 100k articles) walks
#   the primary key backwards after all, bounded to 3 × limit / share rows (an estimate too high
#   costs no more; the GIN plan then finds the rest below the bound);
# - only the ``limit`` hits kept are read whole, for ts_rank.
# The shares are PostgreSQL's own statistics: ANALYZE keeps the most common lexemes of
# ``search_docs.tsv`` with their share of rows (pg_stats.most_common_elems); a key not listed is
# rarer than the least common listed. Without statistics yet, the GIN plan is used.
GIN_COST = 1.5  # µs per matching id read through the GIN bitmap and heap (measured at 100k here)
ROW_COST = 25.0  # µs per row whose tsvector is read and tested
PHRASE_FETCH = 8  # × limit ids of a phrase's words fetched per GIN scan (×4 more each further scan)
STATS_TTL = 300.0  # seconds a reading of the statistics is reused
_stats_cache: dict[str, tuple[float, "_Stats | None"]] = {}


@dataclass(frozen=True)
class _Stats:
    freqs: dict[str, float]
    floor: float  # share of rows below which a key is not listed
    rows: float  # rows of search_docs, as ANALYZE counted them


def _pg_stats(db: Executor) -> "_Stats | None":
    bind = db.get_bind() if isinstance(db, Session) else db.engine
    schema = db.execute(text("SELECT current_schema()")).scalar() or ""
    cache_key = f"{bind.url!r}|{schema}"
    now = time.monotonic()
    cached = _stats_cache.get(cache_key)
    if cached and now - cached[0] < STATS_TTL:
        return cached[1]
    row = db.execute(text(
        "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples FROM pg_stats s "
        "JOIN pg_class c ON c.oid = to_regclass('search_docs') "
        "WHERE s.schemaname = current_schema() AND s.tablename = 'search_docs' AND s.attname = 'tsv'"
    )).first()
    stats = None
    if row is not None and row[0]:
        elems, freqs = list(row[0]), list(row[1])
        # The frequencies end with the least and the greatest of them (and for arrays the nulls).
        floor = float(freqs[len(elems)]) if len(freqs) > len(elems) else 0.0
        stats = _Stats(dict(zip(elems, freqs)), floor, max(float(row[2] or 0), 0.0))
    _stats_cache[cache_key] = (now, stats)
    return stats


def estimated_share(stats: _Stats, query: Query) -> float:
    """About the share of articles the query matches: a phrase is no more common than its rarest
    position, a clause as common as its commonest alternative, clauses independent."""
    share = 1.0
    for clause in query:
        best = 0.0
        for path in clause:  # the alternatives mostly overlap (a word's two readings): the largest
            best = max(best, min(_position_share(stats, keys) for keys in path))
        share *= best
    return share


def _position_share(stats: _Stats, keys: Sequence[str]) -> float:
    """Articles holding any of the keys, the keys taken as independent (a word's forms overlap, so
    their shares do not add up); the unlisted ones together count as one half-floor (PostgreSQL's
    own guess for one unlisted element): forms nobody lists are rare, however many there are."""
    shares = [stats.freqs[k] for k in keys if k in stats.freqs]
    if any(k not in stats.freqs for k in keys):
        shares.append(stats.floor / 2)
    missing = 1.0
    for share in shares:
        missing *= 1.0 - min(share, 1.0)
    return 1.0 - missing


def relaxed_tsquery(query: Query) -> str:
    """The query with every phrase read as "all its words": what the GIN index answers alone."""
    return tsquery_expression(query, followed_by=" & ")


def _pg_walk(db: Executor, query: Query, filters: Filters, limit: int, floor: int) -> list[Candidate]:
    """The newest rows above ``floor`` tested one by one, walking the primary key backwards."""
    params: dict = {"q": tsquery_expression(query), "n": limit, "floor": floor}
    where = _filter_sql(filters, params)
    rows = db.execute(text(
        "SELECT d.article_id, d.story_id, d.published_at, ts_rank(d.tsv, to_tsquery('simple', :q)) "
        "FROM search_docs d WHERE d.tsv @@ to_tsquery('simple', :q) AND d.article_id > :floor" + where
        + " ORDER BY d.article_id DESC LIMIT :n"
    ), params)
    return [Candidate(a, s, _DT.process_result_value(p, None), float(r)) for a, s, p, r in rows]


def _pg_candidates(db: Executor, query: Query, filters: Filters, limit: int) -> list[Candidate]:
    params: dict = {"w": relaxed_tsquery(query)}
    where = _filter_sql(filters, params)
    phrases = any(len(path) > 1 for clause in query for path in clause)
    stats = _pg_stats(db)
    before = 2**62
    out: list[Candidate] = []
    # A phrase is rarer than its words, by how much the statistics cannot say: phrases never walk
    # (a word written as two, بيونغ يانغ for بيونغيانغ, is an alternative of a word and may).
    words_only = all(any(len(path) == 1 for path in clause) for clause in query)
    if stats and words_only:
        share = max(estimated_share(stats, query), 1e-9)
        if share * stats.rows * GIN_COST > limit / share * ROW_COST:
            # The walk is bounded to the rows it should need three times over: an estimate too
            # high costs that much, then the GIN plan finds the rest below the bound.
            top = db.execute(text("SELECT max(article_id) FROM search_docs")).scalar() or 0
            before = max(0, top - int(3 * limit / share)) + 1
            out = _pg_walk(db, query, filters, limit, before - 1)
            if len(out) >= limit or before <= 1:
                return out
    # ``article_id + 0``: neither the order nor the bound may be read from the primary key, so
    # the plan is the GIN bitmap (a sequential scan, which reads every tsvector, is refused).
    ids_sql = text(
        "SELECT d.article_id FROM search_docs d WHERE d.tsv @@ to_tsquery('simple', :w)" + where
        + " AND d.article_id + 0 < :before ORDER BY d.article_id + 0 DESC LIMIT :m"
    )
    saved = db.execute(text(
        "SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)"
    )).scalar()
    ranked = (
        "SELECT article_id, story_id, published_at, ts_rank(tsv, to_tsquery('simple', :q)) FROM search_docs "
        "WHERE article_id = ANY(:ids){check} ORDER BY article_id DESC"
    )
    q = tsquery_expression(query)
    if not phrases:
        params.update(before=before, m=limit - len(out))
        ids = [r[0] for r in db.execute(ids_sql, params)]
        db.execute(text("SELECT set_config('enable_seqscan', :s, true)"), {"s": saved})
        rows = db.execute(text(ranked.format(check="")), {"ids": ids, "q": q}) if ids else []
        return out + [Candidate(a, s, _DT.process_result_value(p, None), float(r)) for a, s, p, r in rows]
    # Phrases: the relaxed query's ids, newest first, fetched PHRASE_FETCH × limit at a time (one
    # GIN scan each), tested a chunk at a time; a chunk is sized by the share of ids that held
    # the phrase so far, so about as many tsvectors are read as the hits need.
    check = text(ranked.format(check=" AND tsv @@ to_tsquery('simple', :q)"))
    pending: list[int] = []
    fetch, tested, held = limit * PHRASE_FETCH, 0, 0
    exhausted = False
    while len(out) < limit:
        if not pending:
            if exhausted:
                break
            params.update(before=before, m=fetch)
            pending = [r[0] for r in db.execute(ids_sql, params)]
            exhausted = len(pending) < fetch
            if not pending:
                break
            before, fetch = pending[-1], fetch * 4
        need = limit - len(out)
        rate = (held + 1) / (tested + 1)
        size = min(len(pending), max(need, int(need / max(rate, 0.02) * 1.2)))
        chunk, pending = pending[:size], pending[size:]
        rows = db.execute(check, {"ids": chunk, "q": q}).all()
        tested, held = tested + len(chunk), held + len(rows)
        out += [Candidate(a, s, _DT.process_result_value(p, None), float(r)) for a, s, p, r in rows[:need]]
    db.execute(text("SELECT set_config('enable_seqscan', :s, true)"), {"s": saved})
    return out


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
