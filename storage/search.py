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
    buffer = IndexBuffer()
    buffer.add(article_id, story_id, source_id, published_at, keys)
    buffer.flush(db)


_DOCS_PG = text(
    "INSERT INTO search_docs (article_id, story_id, source_id, published_at, tsv) "
    "VALUES (:a, :s, :src, :p, to_tsvector('simple', :t))"
)
_DOCS_SQLITE = text("INSERT INTO search_docs (article_id, story_id, source_id, published_at) VALUES (:a, :s, :src, :p)")
_FTS_SQLITE = text("INSERT INTO search_fts (rowid, text) VALUES (:a, :t)")
# The vocabulary in one statement per batch, whatever its size: a set-returning function feeds the
# insert, so no row goes through Python one by one. Sorted, so two PostgreSQL writers adding
# overlapping terms wait for each other in one order and never deadlock.
_TERMS_PG = text(
    "INSERT INTO search_terms (term) SELECT t FROM unnest(CAST(:terms AS text[])) AS t ON CONFLICT DO NOTHING"
)
_TERMS_SQLITE = text("INSERT OR IGNORE INTO search_terms (term) SELECT value FROM json_each(:terms)")


class IndexBuffer:
    """Index rows of several articles written together, in the transaction that stores them.

    Nothing in the storing transaction reads the index, so a batch of articles is indexed with
    one statement per table at its end (``executemany``) and the vocabulary with one statement
    for the batch's distinct terms, instead of statements per article and an insert per term.
    """

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.terms: set[str] = set()

    def add(self, article_id: int, story_id: int, source_id: int, published_at: datetime, keys: str) -> None:
        when = _DT.process_bind_param(published_at, None)
        self.rows.append({"a": article_id, "s": story_id, "src": source_id, "p": when, "t": keys})
        self.terms.update(keys.split())

    def flush(self, db: Executor) -> None:
        """Write what was added (in the caller's transaction) and start empty again."""
        if not self.rows and not self.terms:
            return
        rows, terms = self.rows, sorted(self.terms)
        self.rows, self.terms = [], set()
        if _dialect(db) == "postgresql":
            if rows:
                db.execute(_DOCS_PG, rows)
            if terms:
                db.execute(_TERMS_PG, {"terms": terms})
            return
        if rows:
            db.execute(_DOCS_SQLITE, rows)
            db.execute(_FTS_SQLITE, rows)
        if terms:
            db.execute(_TERMS_SQLITE, {"terms": json.dumps(terms, ensure_ascii=False)})


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


def _range_bounds(ranges: Sequence[tuple[str, bool]]) -> tuple[list[str], list[str]]:
    """(lower bounds, upper bounds) of the key ranges, each ``(text, is_prefix)`` once."""
    bounds: dict[tuple[str, str], None] = {}
    for key, prefix in ranges:
        if key:
            bounds[(key, (key[:-1] + chr(ord(key[-1]) + 1)) if prefix else key + "\x01")] = None
    return [lo for lo, _ in bounds], [hi for _, hi in bounds]


# One primary-key range seek per range, at most :n keys each: a function (migration 0018) whose
# query is planned without JIT, which the lookup's cost estimate would otherwise set off.
_LOOKUP_PG = "SELECT search_terms_in_ranges(CAST(:los AS text[]), CAST(:his AS text[]), :n)"


def terms_in_ranges(db: Executor, ranges: Sequence[tuple[str, bool]], limit: int = 400) -> list[str]:
    """Indexed keys for each ``(text, is_prefix)``: those starting with ``text``, or ``text`` itself;
    one round trip, one primary-key range seek per entry (at most ``limit`` keys per prefix on
    PostgreSQL; SQLite reads each range whole, which the binary order keeps to its prefix)."""
    los, his = _range_bounds(ranges)
    if not los:
        return []
    if _dialect(db) == "postgresql":
        return [r[0] for r in db.execute(text(_LOOKUP_PG), {"los": los, "his": his, "n": limit})]
    sql = text(
        "SELECT DISTINCT t.term FROM json_each(:r) AS j CROSS JOIN search_terms AS t "
        "WHERE t.term >= json_extract(j.value, '$[0]') AND t.term < json_extract(j.value, '$[1]')"
    )
    return [r[0] for r in db.execute(sql, {"r": json.dumps(list(zip(los, his)), ensure_ascii=False)})]


@dataclass(frozen=True)
class Start:
    """What a PostgreSQL plan reads before its first statement (``_pg_candidates``), read with the
    query's keys in one round trip (``terms_and_start``): on a busy host every round trip waits
    for a core. From then on the sequential scan and JIT are off, until ``candidates`` or
    ``finish`` puts them back (JIT would compile a window's statement once its GIN estimate is
    large: hundreds of ms for a statement that runs in a few)."""

    schema: str  # whose statistics
    saved: str  # enable_seqscan before, put back by the plan's last statement
    top: int  # the newest indexed id
    saved_jit: str = "on"  # jit before, put back with it


# Read left to right: each setting is read before it is turned off (for this transaction only).
_START = (
    "current_schema(), current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true), "
    "(SELECT max(article_id) FROM search_docs), current_setting('jit'), set_config('jit', 'off', true)"
)


def terms_and_start(
    db: Executor, ranges: Sequence[tuple[str, bool]], limit: int = 400
) -> tuple[list[str], Start | None]:
    """``terms_in_ranges`` and, on PostgreSQL, the plan's ``Start`` in the same round trip (then
    ``candidates(..., start=)`` or, if the search stops before, ``finish(start)``)."""
    if _dialect(db) != "postgresql":
        return terms_in_ranges(db, ranges, limit), None
    los, his = _range_bounds(ranges)
    schema, saved, _, top, saved_jit, _, terms = db.execute(
        text(f"SELECT {_START}, ARRAY({_LOOKUP_PG})"), {"los": los, "his": his, "n": limit}
    ).one()
    return list(terms), Start(schema or "", saved, top or 0, saved_jit)


def finish(db: Executor, start: Start | None) -> None:
    """Put back the settings ``terms_and_start`` turned off, when no plan ran after it."""
    if start is not None:
        db.execute(text("SELECT set_config('enable_seqscan', :s, true), set_config('jit', :j, true)"),
                   {"s": start.saved, "j": start.saved_jit})


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


PHRASE_WINDOW = 2  # × limit: the newest hits of a phrase's words that bound its first id window
PHRASE_GROWTH = 4  # least growth of the next window (more when the phrase held in few of them)


def candidates(
    db: Executor, query: Query, filters: Filters, limit: int, start: Start | None = None
) -> list[Candidate]:
    """The newest ``limit`` matching articles with their relevance (``start``: from
    ``terms_and_start``, PostgreSQL; read here when not given).

    Hits are read in descending article id (ingest order, i.e. recency) and only those ``limit``
    rows are scored, so a word found in half the archive costs the same as a rare one.
    """
    if not query:
        finish(db, start)
        return []
    if _dialect(db) == "postgresql":
        return _pg_candidates(db, query, filters, limit, start)
    if any(len(path) > 1 for clause in query for path in clause):
        return _fts_phrase_candidates(db, query, filters, limit)
    params: dict = {"n": limit, "q": fts5_expression(query)}
    where = _filter_sql(filters, params)
    # One statement: bm25() counts each key's documents over the whole index once per statement
    # (FTS5 stores no counts), so the hits are read newest first in one pass, never in ranges.
    sql = (
        "SELECT search_fts.rowid, d.story_id, d.published_at, -bm25(search_fts) "
        "FROM search_fts CROSS JOIN search_docs d ON d.article_id = search_fts.rowid "
        "WHERE search_fts MATCH :q" + where + " ORDER BY search_fts.rowid DESC LIMIT :n"
    )
    return [Candidate(a, s, _parse_dt(p), float(r)) for a, s, p, r in db.execute(text(sql), params)]


def _relaxed_fts5(query: Query) -> str:
    """The FTS5 query with every phrase read as "all its words" (each key once, no positions)."""
    clauses = []
    for clause in query:
        alts = []
        for path in clause:
            alts.append("(" + " AND ".join("(" + " OR ".join(_quote_fts(k) for k in keys) + ")" for keys in path) + ")")
        clauses.append("(" + " OR ".join(alts) + ")")
    return " AND ".join(clauses)


def _fts_phrase_candidates(db: Executor, query: Query, filters: Filters, limit: int) -> list[Candidate]:
    """The newest ``limit`` articles holding the phrases, read window by window of article ids.

    FTS5 has no alternatives inside a phrase, so a phrase is one FTS5 phrase per key sequence
    (hundreds for three words with their clitics and endings), and opening a phrase newest first
    costs in proportion to its words' whole position lists (80 ms for "المملكة العربية السعودية"
    at 200k articles, growing with the archive). So each window of ids is bounded by the newest
    hits of the phrase's words alone (cheap: no positions), its keys are the ones present in the
    window, and the phrases of those keys are read oldest first inside it (no reverse opening);
    the window's hits are then taken newest first. Phrase matches rank by recency alone (bm25()
    would count every phrase's documents over the whole index)."""
    params: dict = {}
    where = _filter_sql(filters, params)
    relaxed = _relaxed_fts5(query)
    bound_sql = text(
        "SELECT search_fts.rowid FROM search_fts CROSS JOIN search_docs d ON d.article_id = search_fts.rowid "
        "WHERE search_fts MATCH :w AND search_fts.rowid <= :hi" + where
        + " ORDER BY search_fts.rowid DESC LIMIT 1 OFFSET :skip"
    )
    hits_sql = (
        "SELECT search_fts.rowid, d.story_id, d.published_at FROM search_fts CROSS JOIN search_docs d "
        "ON d.article_id = search_fts.rowid WHERE search_fts MATCH :q AND search_fts.rowid > :lo "
        "AND search_fts.rowid <= :hi" + where + " ORDER BY search_fts.rowid"
    )
    keys = list(dict.fromkeys(k for clause in query for path in clause for at in path for k in at))
    hi = db.execute(text("SELECT max(article_id) FROM search_docs")).scalar() or 0
    fetch, seen, held = int(limit * PHRASE_WINDOW), 0, 0
    out: list[Candidate] = []
    while hi > 0 and len(out) < limit:
        lo = db.execute(bound_sql, {**params, "w": relaxed, "hi": hi, "skip": fetch - 1}).scalar()
        lo = (lo - 1) if lo else 0  # fewer than ``fetch`` hits of the words left: the rest of the archive
        present = _fts_present(db, keys, lo, hi)
        pruned = [[tuple(tuple(k for k in at if k in present) for at in path) for path in clause] for clause in query]
        pruned = [[path for path in clause if all(path)] for clause in pruned]
        if all(pruned) and hi - lo <= CO_OCCUR_SPAN:
            pruned = [_co_occurring(db, clause, lo, hi) for clause in pruned]
        if all(pruned):
            rows = db.execute(text(hits_sql), {**params, "q": fts5_expression(pruned), "lo": lo, "hi": hi}).all()
            need = limit - len(out)
            out += [Candidate(a, s, _parse_dt(p), 1.0) for a, s, p in reversed(rows[-need:])]
            held += len(rows)
        seen += fetch
        if not lo:
            break
        # The next window: enough words' hits for what is missing at the rate the phrase held.
        rate = max(held / seen, 0.01)
        fetch = max(fetch * PHRASE_GROWTH, int((limit - len(out)) / rate * 1.5))
        hi = lo
    return out


PRESENT_CHUNK = 250  # keys per statement (SQLite allows 500 terms in a compound SELECT)
CO_OCCUR_PHRASES = 24  # a path with more key sequences than this is cut to those some article holds
CO_OCCUR_SPAN = 20_000  # ... in windows of at most this many ids (its keys' ids are read)


def _co_occurring(db: Executor, clause: Sequence[Path], lo: int, hi: int) -> list[Path]:
    """The clause with each path of many key sequences replaced by the sequences whose keys are
    all in one article of the window (lo, hi]: a phrase can match only there. Each FTS5 phrase
    rereads its keys' position lists in the window, so for a phrase of very common words (a
    quarter of the archive) the hundreds of sequences cost 50 ms at 1M articles, and the few
    that occur together a tenth of that."""
    out: list[Path] = []
    for path in clause:
        combos = 1
        for at in path:
            combos *= len(at)
        if len(path) < 2 or combos <= CO_OCCUR_PHRASES:
            out.append(path)
            continue
        keys = list(dict.fromkeys(k for at in path for k in at))
        ids: dict[str, set[int]] = {k: set() for k in keys}
        for start in range(0, len(keys), PRESENT_CHUNK):
            chunk = keys[start:start + PRESENT_CHUNK]
            parts, params = [], {"lo": lo, "hi": hi}
            for i, key in enumerate(chunk):
                parts.append(
                    f"SELECT {i}, rowid FROM search_fts WHERE search_fts MATCH :k{i} AND rowid > :lo AND rowid <= :hi"
                )
                params[f"k{i}"] = _quote_fts(key)
            for i, rowid in db.execute(text(" UNION ALL ".join(parts)), params):
                ids[chunk[i]].add(rowid)
        docs = set.intersection(*(set().union(*(ids[k] for k in at)) for at in path))
        found: set[tuple[str, ...]] = set()
        for doc in docs:
            found.update(itertools.product(*([k for k in at if doc in ids[k]] for at in path)))
        rank = {k: i for i, k in enumerate(keys)}
        out += [tuple((k,) for k in seq) for seq in sorted(found, key=lambda seq: [rank[k] for k in seq])]
    return list(dict.fromkeys(out))


def _fts_present(db: Executor, keys: Sequence[str], lo: int, hi: int) -> set[str]:
    """Which keys occur in an article with an id in (lo, hi]: one seek per key, a statement per
    PRESENT_CHUNK keys."""
    out: set[str] = set()
    for start in range(0, len(keys), PRESENT_CHUNK):
        chunk = keys[start:start + PRESENT_CHUNK]
        parts, params = [], {"lo": lo, "hi": hi}
        for i, key in enumerate(chunk):
            parts.append(
                f"SELECT {i} WHERE EXISTS (SELECT 1 FROM search_fts WHERE search_fts MATCH :k{i} "
                "AND rowid > :lo AND rowid <= :hi)"
            )
            params[f"k{i}"] = _quote_fts(key)
        out.update(chunk[r[0]] for r in db.execute(text(" UNION ALL ".join(parts)), params))
    return out


# --- PostgreSQL: the plan chosen per query from how many articles hold its terms ---------------
#
# PostgreSQL's planner prices ``tsv @@ query`` as cheap, but testing a row reads (detoasts) its
# whole tsvector, ~25 µs: for ``ORDER BY article_id DESC LIMIT n`` it walks the primary key
# backwards and tests every row (1.7 s for a rare word at 200k articles). So the plan is ours:
# - the GIN index alone answers the query with every phrase relaxed to "all its words" (no phrase
#   operator, so no row is rechecked): the matching ids, newest first, read from the compact heap
#   of ``search_docs`` (the tsvectors live in TOAST) and sorted;
# - a query whose terms are common enough that reading all their ids costs more than reading a
#   few windows (their share × rows × GIN_COST against buckets × BUCKET_COST) reads them window
#   by window, newest first: the GIN index's second column (migration 0014) holds each article's
#   bucket of 2**WINDOW_BITS ids, and a condition on the buckets of a window has GIN skip, in
#   every term's posting tree, straight to the ids in the window, so the cost is the window's
#   hits, not the archive's (``العام``, in 40% of 200k articles: 19 ms for every id, 0.7 ms for
#   the newest bucket); a window is sized for the hits still missing at the share known
#   (PostgreSQL's statistics, then what the windows read held; common words whose conjunction
#   the statistics cannot size get a small first window that measures it), and what is left
#   once a window would cost more than the rest is read in one scan;
# - the GIN condition is one tsquery per clause and per word of a phrase (``relaxed_parts``): GIN
#   ANDs them key by key instead of testing every id of every key against one large query;
# - a query with phrases then tests the phrase on each batch of those ids, in the statement that
#   read them (``_BATCH``: the ids never leave the server), walking them newest first and stopping
#   at the hits still missing (ts_rank read in the same pass); a word's batch is ranked there too;
# - only the ``limit`` hits kept are read whole, for ts_rank; unpacking a tsvector is half the cost
#   of reading one, so migration 0016 stores them LZ4-compressed (6 µs against pglz's 12);
# - the schema, the newest id and the settings (sequential scan and JIT off) come with the
#   query's keys in one round trip (``terms_and_start``), the settings restored by the plan's last
#   batch: on a busy host every round trip waits for a core (a word query is three, with the
#   page's texts); JIT would compile a statement the planner prices high (the vocabulary lookup
#   of a word with many spellings: ~200 ms for 15), so the lookup is a function planned without it
#   (migration 0018) and the plan's statements run with it off.
# The shares are PostgreSQL's own statistics: ANALYZE keeps the most common lexemes of
# ``search_docs.tsv`` with their share of rows (pg_stats.most_common_elems); a key not listed is
# rarer than the least common listed. Without statistics yet, the whole archive is one window.
GIN_COST = 0.45  # µs per matching id read through the GIN bitmap and heap (measured at 200k here)
BUCKET_COST = 80.0  # µs per bucket a window covers (its ids' GIN entries read: ~20 ns per id)
PROBE_BUCKETS = 4  # the first window of a query whose hits the statistics cannot tell
WINDOW_BITS = 12  # ids per bucket: 2**12; the index expression of migration 0014 says the same
WINDOW_MARGIN = 1.5  # a window is sized for this many times the hits still missing
PHRASE_FETCH = 8  # × limit: the most ids of a phrase's words fetched per scan
STATS_TTL = 300.0  # seconds a reading of the statistics is reused
# The second column of the GIN index: an article's bucket as a one-lexeme tsvector (no extension
# needed; as an index expression it costs no column and no write-side change). Any other
# WINDOW_BITS gives the same hits, only without the index (the tests use small buckets).
_BUCKET = "array_to_tsvector(ARRAY[(d.article_id >> {bits})::text])"
_stats_cache: dict[str, tuple[float, "_Stats | None"]] = {}


@dataclass(frozen=True)
class _Stats:
    freqs: dict[str, float]
    floor: float  # share of rows below which a key is not listed
    rows: float  # rows of search_docs, as ANALYZE counted them


def _pg_stats(db: Executor, schema: str | None = None) -> "_Stats | None":
    """The statistics of ``search_docs.tsv`` in ``schema`` (the current one when not given)."""
    bind = db.get_bind() if isinstance(db, Session) else db.engine
    if schema is None:
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


# The phrase tested as a function, not the ``@@`` operator: the planner must not answer it from
# the GIN index when the ids to test are at hand (it prices a phrase of three common words at
# ~300 rows, then rechecks the 20,000 holding its words: 250 ms instead of 10).
_PHRASE_TEST = "ts_match_vq(tsv, to_tsquery('simple', :q))"
# A batch of the relaxed query's ids (``{ids}``, newest first, at most :m) and, in the same
# statement, its hits ranked newest first (``{check}``: the phrase test, when there is one) under
# :n, the hits still missing: the ids never leave the server, and a query costs one round trip per
# batch. The batch's count and lowest id come on every row (one row of NULL hits when it holds
# none), and so does the planner setting put back (:saved) when this batch is the last one (its
# hits are all that were missing, or it read the rest of the archive whole: :rest), so the last
# statement restores it in the same round trip (and JIT's, :saved_jit).
_BATCH = (
    "WITH w AS MATERIALIZED ({ids}), "
    "h AS MATERIALIZED (SELECT article_id, story_id, published_at, ts_rank(tsv, to_tsquery('simple', :q)) AS r "
    "FROM search_docs WHERE article_id = ANY(ARRAY(SELECT id FROM w)){check} ORDER BY article_id DESC LIMIT :n), "
    "c AS (SELECT count(*) AS n, min(id) AS low, (SELECT count(*) FROM h) >= :n OR (count(*) < :m AND :rest) "
    "AS last FROM w) "
    "SELECT c.n, c.low, h.article_id, h.story_id, h.published_at, h.r, "
    "set_config('enable_seqscan', CASE WHEN c.last THEN :saved ELSE 'off' END, true), "
    "set_config('jit', CASE WHEN c.last THEN :saved_jit ELSE 'off' END, true) "
    "FROM c LEFT JOIN h ON true ORDER BY h.article_id DESC"
)


def relaxed_parts(query: Query) -> list[str]:
    """The relaxed query as tsqueries that must all match: one per clause, and one per position
    of a clause with a single path (a phrase's words, a two-word term's halves), duplicates
    dropped. Their conjunction is exactly ``relaxed_tsquery(query)``."""
    parts: dict[str, None] = {}
    for clause in query:
        if len(clause) == 1:
            for keys in clause[0]:
                parts["(" + " | ".join(_quote_ts(k) for k in keys) + ")"] = None
        else:
            parts[relaxed_tsquery([clause])] = None
    return list(parts)


def _pg_relaxed_sql(query: Query, params: dict) -> str:
    """The relaxed query as GIN conditions, one tsquery per clause or phrase word (``relaxed_parts``).

    GIN reads one scan key per condition and ANDs them as it goes, calling each key's consistent
    function with that key's few operands; one tsquery of every key would make it union all the
    keys' postings and test each id against the whole query (two common words: 20 ms against 8
    at 200k articles). (Reading it key by key, ``tsv @@ ANY(one tsquery per key)``, hides the keys
    from the planner, which then reads a window's every row and tests its tsvector instead of
    intersecting the keys with the window.)"""
    conds = []
    for i, part in enumerate(relaxed_parts(query)):
        params[f"w{i}"] = part
        conds.append(f"d.tsv @@ to_tsquery('simple', :w{i})")
    return " AND ".join(conds)


class _Windows:
    """The relaxed query's ids, newest first, one scan per batch: a window of buckets (ids of
    the buckets below ``before``) while windows pay, then the rest of the archive in one scan.

    ``next(need, held, m, n)``: the hits of the next batch (``_BATCH``), at most ``m`` ids, for
    ``need`` hits still missing, ``held`` of them found so far in the ids already read; at most
    ``n`` hits, newest first."""

    def __init__(
        self, db: Executor, relaxed: str, where: str, params: dict, top: int, share: float | None, spread: float,
        check: str = "",
    ):
        # share: of articles the query matches; spread: the ids of its clauses' keys per article,
        # which a scan of the whole archive reads (GIN intersects the clauses' posting lists).
        self.db, self.params, self.share, self.spread = db, params, share, spread
        cond = "SELECT d.article_id AS id FROM search_docs d WHERE " + relaxed + where
        cond += " AND d.article_id + 0 < :before"
        # ``article_id + 0``: neither the order nor the bound may be read from the primary key, so
        # the plan is the GIN bitmap (a sequential scan, which reads every tsvector, is refused).
        self.window_sql = text(_BATCH.format(check=check, ids=(
            cond + " AND " + _BUCKET.format(bits=WINDOW_BITS) + " @@ CAST(:buckets AS tsquery)"
            " ORDER BY d.article_id + 0 DESC LIMIT :m"
        )))
        self.rest_sql = text(_BATCH.format(check=check, ids=cond + " ORDER BY d.article_id + 0 DESC LIMIT :m"))
        self.top = top
        self.before = top + 1  # ids below this are still to read
        self.low = self.before  # the current window reaches down to this id (its last bucket's first)
        self.done = top <= 0

    def next(self, need: int, held: int, m: int, n: int) -> list[Candidate]:
        if self.done:
            return []
        if self.before <= self.low:  # the window is read: size the next one
            seen = self.top + 1 - self.before
            rate = max(held, 0.5) / seen if seen else self.share
            rest = self.before - 1
            buckets = max(1, -(-int(WINDOW_MARGIN * need / rate) >> WINDOW_BITS)) if rate else 0  # rounded up
            whole = max(self.spread, rate or 0.0) * rest * GIN_COST
            if rate and whole > buckets * BUCKET_COST + WINDOW_MARGIN * need * GIN_COST:
                pass  # the window the hits need
            elif not seen and whole > 4 * PROBE_BUCKETS * BUCKET_COST:
                # Too few hits expected to pay for windows, but many postings to read: the estimate
                # of a query of several words (taken as independent) may be far too low, so a
                # small window says what the share is (the next is sized by what it held).
                buckets = PROBE_BUCKETS
            else:
                buckets = 0
            if not buckets or (buckets << WINDOW_BITS) >= rest:
                self.low = 0  # the rest in one scan
            else:
                self.low = max(0, ((self.before - 1) >> WINDOW_BITS) - buckets + 1) << WINDOW_BITS
        params = {**self.params, "before": self.before, "m": m, "n": n, "rest": self.low <= 0}
        if self.low > 0:
            params["buckets"] = " | ".join(
                str(b) for b in range((self.before - 1) >> WINDOW_BITS, (self.low >> WINDOW_BITS) - 1, -1)
            )
            rows = self.db.execute(self.window_sql, params).all()
        else:
            rows = self.db.execute(self.rest_sql, params).all()
        count, lowest = rows[0][0], rows[0][1]
        if count < m:  # the window is read whole
            self.before = self.low
            self.done = self.low <= 0
        else:
            self.before = lowest
        return [Candidate(a, s, _DT.process_result_value(p, None), float(r)) for _, _, a, s, p, r, _, _ in rows
                if a is not None]


def _pg_candidates(
    db: Executor, query: Query, filters: Filters, limit: int, start: Start | None = None
) -> list[Candidate]:
    params: dict = {}
    relaxed = _pg_relaxed_sql(query, params)
    where = _filter_sql(filters, params)
    phrases = any(len(path) > 1 for clause in query for path in clause)
    if start is None:  # one round trip for what every plan needs (``Start``)
        schema, saved, _, top, saved_jit, _ = db.execute(text(f"SELECT {_START}")).one()
        start = Start(schema or "", saved, top or 0, saved_jit)
    schema, top = start.schema, start.top
    stats = _pg_stats(db, schema)
    share = max(estimated_share(stats, query), 1e-9) if stats else None
    spread = sum(estimated_share(stats, [clause]) for clause in query) if stats else 0.0
    params.update(q=tsquery_expression(query), saved=start.saved, saved_jit=start.saved_jit)
    # Words: every id of the relaxed query is a hit, so a batch is at most the hits still missing.
    # Phrases: at most PHRASE_FETCH × limit ids of its words per batch, the phrase tested on them
    # newest first, stopping at the hits still missing (a backward walk of the primary key over
    # the batch's ids under a LIMIT), so no more tsvectors are read than the hits need.
    windows = _Windows(db, relaxed, where, params, top or 0, share, spread,
                       " AND " + _PHRASE_TEST if phrases else "")
    if windows.done:  # nothing indexed: no batch to put the settings back
        finish(db, start)
    out: list[Candidate] = []
    while len(out) < limit and not windows.done:
        need = limit - len(out)
        out += windows.next(need, len(out), limit * PHRASE_FETCH if phrases else need, need)
    return out


def _parse_dt(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _DT.process_result_value(value, None)  # type: ignore[return-value]


def page_texts(
    db: Executor, article_ids: Sequence[int], story_ids: Sequence[int]
) -> tuple[dict[int, ArticleText], dict[int, str]]:
    """Title, body, link and source of the given articles, and the given stories' headlines, for
    a page of results: one statement (each round trip waits for a core on a busy host)."""
    if not article_ids:
        return {}, {}
    stmt = text(
        "SELECT a.id, a.story_id, a.title, a.body, a.url, s.name, a.published_at, NULL AS headline FROM articles a "
        "JOIN sources s ON s.id = a.source_id WHERE a.id IN :ids "
        "UNION ALL SELECT NULL, id, NULL, NULL, NULL, NULL, NULL, headline FROM stories WHERE id IN :sids"
    ).bindparams(bindparam("ids", expanding=True), bindparam("sids", expanding=True))
    texts: dict[int, ArticleText] = {}
    heads: dict[int, str] = {}
    for r in db.execute(stmt, {"ids": list(article_ids), "sids": list(story_ids) or [-1]}):
        if r[0] is None:
            heads[r[1]] = r[7]
        else:
            texts[r[0]] = ArticleText(r[0], r[1], r[2], r[3], r[4], r[5], _parse_dt(r[6]))
    return texts, heads


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
