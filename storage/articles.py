"""Articles, stories, the persisted near-duplicate index and topic matches."""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import repeat
from typing import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from storage import search as search_store
from storage.models import Article, ArticleBand, Source, Story, StoryTopic, UTCDateTime, Watchlist, text_key


@dataclass(frozen=True)
class Candidate:
    article_id: int
    story_id: int
    fingerprint: bytes


@dataclass(frozen=True)
class NewArticle:
    source_id: int
    url: str
    guid: str | None
    title: str
    body: str
    published_at: datetime
    date_source: str
    fetched_at: datetime
    body_hash: str
    fingerprint: bytes
    band_keys: list[int]
    # The article's search keys (bot.search.index_keys); given, they are indexed with the article.
    search_keys: str | None = None
    # An update's own summary (shown in its alert); None for every other article.
    summary: str | None = None


@dataclass(frozen=True)
class StoryRow:
    id: int
    headline: str
    summary: str
    published_at: datetime
    article_count: int
    url: str
    source: str
    topics: dict[str, list[str]]


# The write path's statements, built once: SQLAlchemy compiles each a single time and caches it, and
# they run on the session's connection (Core), with no ORM object made per row.
_EXACT = text(
    "SELECT url_hash, body_hash, guid_hash FROM articles "
    "WHERE url_hash = :u OR body_hash = :b OR (source_id = :s AND guid_hash = :g) LIMIT 1"
)
_EXACT_NO_GUID = text("SELECT url_hash, body_hash, guid_hash FROM articles WHERE url_hash = :u OR body_hash = :b LIMIT 1")
_ARTICLES = Article.__table__
_INSERT_ARTICLE = insert(_ARTICLES)
_INSERT_STORY = insert(Story.__table__)
_INSERT_TOPIC = insert(StoryTopic.__table__)
# The two one-row INSERTs every stored article runs (its story's, its own), on SQLite as prepared
# text with positional values: Core's per-call work (compiled-cache lookup, bind processing of a
# dict, primary key fetch) cost as much as SQLite's insert. The columns are Core's, in the same
# order; the times bound as ``UTCDateTime`` binds them (``_stamp``). PostgreSQL keeps Core.
_INSERT_ARTICLE_SQLITE = (
    "INSERT INTO articles (source_id, story_id, url, url_hash, guid, guid_hash, title, body, published_at, "
    "date_source, fetched_at, body_hash, fingerprint, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_STORY_SQLITE = (
    "INSERT INTO stories (headline, summary, article_count, published_at, event_date, first_seen, last_updated, "
    "kind, event_precision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _stamp(conn) -> Callable[[datetime | None], object] | None:
    """SQLite: how a ``UTCDateTime`` value is bound (None passes through); None on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        return None
    stamp = _STAMPS.get(conn.dialect)
    if stamp is None:
        process = _SEEN_AT.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        stamp = _STAMPS[conn.dialect] = process or (lambda value: value)
    return stamp


_STAMPS: dict[object, Callable[[datetime | None], object]] = {}
# A story counts its articles; the first one stored becomes its lead.
_COUNT_IN_STORY = (
    update(Story.__table__)
    .where(Story.__table__.c.id == bindparam("sid"))
    .values(
        article_count=Story.__table__.c.article_count + bindparam("n"),
        last_updated=bindparam("at", type_=UTCDateTime()),
        lead_article_id=func.coalesce(Story.__table__.c.lead_article_id, bindparam("aid")),
    )
)
# Band rows from one array parameter: one statement per article, no Python loop over its ~86 keys.
# A key repeated within one article (only a hash collision makes one) is kept once: the primary key
# is (band_key, seen_at, article_id) (migration 0017_writer).
_SEEN_AT = UTCDateTime()
_BANDS_SQLITE = text(
    "INSERT OR IGNORE INTO article_bands (band_key, seen_at, article_id) SELECT value, :t, :a FROM json_each(:keys)"
).bindparams(bindparam("t", type_=UTCDateTime()))
_BANDS_PG = text(
    "INSERT INTO article_bands (band_key, seen_at, article_id) SELECT k, :t, :a FROM unnest(CAST(:keys AS bigint[])) AS k "
    "ON CONFLICT DO NOTHING"
).bindparams(bindparam("t", type_=UTCDateTime()))
# The keys as one array parameter (an expanding IN list is re-rendered on every call).
_NEAR = (
    "SELECT a.id, a.story_id, a.fingerprint FROM articles a JOIN ("
    "SELECT article_id, count(*) AS shared FROM article_bands WHERE band_key IN ({keys}) AND seen_at >= :start "
    "GROUP BY article_id ORDER BY count(*) DESC, article_id LIMIT :n) AS h ON h.article_id = a.id"
)
_NEAR_SQLITE = text(_NEAR.format(keys="SELECT value FROM json_each(:keys)")).bindparams(
    bindparam("start", type_=UTCDateTime())
)
_NEAR_PG = text(_NEAR.format(keys="SELECT unnest(CAST(:keys AS bigint[]))")).bindparams(
    bindparam("start", type_=UTCDateTime())
)


def exact_duplicate(session: Session, source_id: int, url: str, guid: str | None, body_hash: str) -> str | None:
    """Name the key an identical article was already stored under, if any (three index lookups)."""
    url_hash = text_key(url)
    guid_hash = text_key(guid) if guid else None
    conn = session.connection()
    if guid_hash:
        hit = conn.execute(_EXACT, {"u": url_hash, "b": body_hash, "s": source_id, "g": guid_hash}).first()
    else:
        hit = conn.execute(_EXACT_NO_GUID, {"u": url_hash, "b": body_hash}).first()
    if hit is None:
        return None
    if hit.url_hash == url_hash:
        return "url"
    return "body" if hit.body_hash == body_hash else "guid"


_EXACT_MANY_SQLITE = text(
    "SELECT url_hash, body_hash, source_id, guid_hash FROM articles "
    "WHERE url_hash IN (SELECT value FROM json_each(:u)) OR body_hash IN (SELECT value FROM json_each(:b)) "
    "OR (source_id = :s AND guid_hash IN (SELECT value FROM json_each(:g)))"
)
_EXACT_MANY_PG = text(
    "SELECT url_hash, body_hash, source_id, guid_hash FROM articles "
    "WHERE url_hash = ANY(CAST(:u AS text[])) OR body_hash = ANY(CAST(:b AS text[])) "
    "OR (source_id = :s AND guid_hash = ANY(CAST(:g AS text[])))"
)


def exact_duplicates(
    session: Session, source_id: int, articles: list[tuple[str, str | None, str]],
    snapshot: "Snapshot | None" = None,
) -> list[str | None]:
    """``exact_duplicate`` of many ``(url, guid, body_hash)`` in one read (a batch's short read):
    the key each was stored under, the URL named first, then the body, then the guid.
    ``snapshot``: keeps what was read, for the batch's write (``Snapshot``)."""
    if not articles:
        return []
    keys = [(text_key(url), text_key(guid) if guid else None, body) for url, guid, body in articles]
    params = {"u": [u for u, _, _ in keys], "b": [b for _, _, b in keys], "s": source_id,
              "g": [g for _, g, _ in keys if g]}
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_EXACT_MANY_PG, params)
    else:
        rows = conn.execute(_EXACT_MANY_SQLITE, {k: json.dumps(v) if isinstance(v, list) else v for k, v in params.items()})
    urls, bodies, guids = set(), set(), set()
    for url_hash, body, src, guid_hash in rows:
        urls.add(url_hash)
        bodies.add(body)
        if src == source_id and guid_hash:
            guids.add(guid_hash)
    if snapshot is not None:
        snapshot.exact(source_id, keys, urls, bodies, guids)
    return [
        "url" if u in urls else "body" if b in bodies else "guid" if g and g in guids else None
        for u, g, b in keys
    ]


_BANDS_MANY_SQLITE = text(
    "SELECT band_key, article_id, seen_at FROM article_bands "
    "WHERE band_key IN (SELECT value FROM json_each(:keys)) AND seen_at >= :start"
).bindparams(bindparam("start", type_=UTCDateTime()))
_BANDS_MANY_PG = text(
    "SELECT band_key, article_id, seen_at FROM article_bands WHERE band_key = ANY(CAST(:keys AS bigint[])) AND seen_at >= :start"
).bindparams(bindparam("start", type_=UTCDateTime()))
_FINGERPRINTS_SQLITE = text("SELECT id, story_id, fingerprint FROM articles WHERE id IN (SELECT value FROM json_each(:ids))")
_FINGERPRINTS_PG = text("SELECT id, story_id, fingerprint FROM articles WHERE id = ANY(CAST(:ids AS integer[]))")


def near_candidates_many(
    session: Session, band_keys: list[list[int]], start: datetime, limit: int = 50,
    snapshot: "Snapshot | None" = None,
) -> list[list[Candidate]]:
    """``near_candidates`` of many articles in two reads (a batch's short read): the band rows of
    all their keys, counted per article here, then the fingerprints of the best ``limit`` of each
    (most shared bands first, then the oldest). ``snapshot``: keeps what was read, for the
    batch's write (``Snapshot``)."""
    wanted = sorted({k for keys in band_keys for k in keys})
    if not wanted:
        if snapshot is not None:
            snapshot.bands([], start, [], {})
        return [[] for _ in band_keys]
    conn = session.connection()
    pg = conn.dialect.name == "postgresql"
    rows = rows_read = conn.execute(_BANDS_MANY_PG if pg else _BANDS_MANY_SQLITE,
                                    {"keys": wanted if pg else json.dumps(wanted), "start": start}).fetchall()
    holders: defaultdict[int, list[int]] = defaultdict(list)  # no empty list made per row
    for key, article_id, _ in rows:
        holders[key].append(article_id)
    tops: list[list[int]] = []
    for keys in band_keys:
        shared: dict[int, int] = {}
        for key in set(keys):
            for article_id in holders.get(key, ()):
                shared[article_id] = shared.get(article_id, 0) + 1
        tops.append([a for a, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]])
    ids = sorted({a for top in tops for a in top})
    found: dict[int, Candidate] = {}
    if ids:
        rows = conn.execute(_FINGERPRINTS_PG if pg else _FINGERPRINTS_SQLITE,
                            {"ids": ids if pg else json.dumps(ids)}).fetchall()
        found = {row[0]: Candidate(*row) for row in rows}
    if snapshot is not None:
        snapshot.bands(wanted, start, rows_read, found)
    return [[found[a] for a in top if a in found] for top in tops]


def _sqlite_mark(session: Session) -> tuple | None:
    """Where a SQLite connection's view of the database stands: the DBAPI connection, its
    ``PRAGMA data_version`` (changes when another connection commits) and its own change count.
    None on PostgreSQL (several writers: a batch's write always reads again)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return None
    raw = conn.connection.driver_connection
    return raw, raw.execute("PRAGMA data_version").fetchone()[0], raw.total_changes


class Snapshot:
    """What a batch's short read found (its exact keys, its band rows, their fingerprints), kept
    so that the batch's write need not read it again.

    The write reuses it only on SQLite, on the same connection, when ``PRAGMA data_version`` and
    the connection's own change count say that nothing was committed since the read (SQLite has
    one writer at a time, and the write holds the lock from ``BEGIN IMMEDIATE``: what is unchanged
    then stays so until it commits), and for articles and a window the read covered. Otherwise the
    write reads again, as it always does on PostgreSQL."""

    def __init__(self) -> None:
        self.urls: set[str] = set()
        self.bodies: set[str] = set()
        self.guids: set[str] = set()
        self.found: dict[int, Candidate] = {}
        self._source_id: int | None = None
        self._asked: set[tuple[str, str | None, str]] = set()
        self._keys: set[int] = set()
        self._start: datetime | None = None
        self._rows: list = []
        self._mark: tuple | None = None

    def exact(self, source_id: int, asked: list, urls: set, bodies: set, guids: set) -> None:
        self._source_id, self._asked = source_id, set(asked)
        self.urls, self.bodies, self.guids = urls, bodies, guids

    def bands(self, keys: list[int], start: datetime, rows: list, found: dict[int, Candidate]) -> None:
        self._keys, self._start, self._rows, self.found = set(keys), start, rows, found

    def seal(self, session: Session) -> None:
        """Called in the read transaction, after its reads: marks where the database stood."""
        self._mark = _sqlite_mark(session) if self._start is not None and self._source_id is not None else None

    def covers(
        self, session: Session, source_id: int, keys: list[tuple[str, str | None, str]],
        articles: list[tuple[str, str | None, str, list[int]]], start: datetime,
    ) -> bool:
        """True when the write may use this read instead of reading again (see the class)."""
        if self._mark is None or self._start is None or source_id != self._source_id or start < self._start:
            return False
        if not self._asked.issuperset(keys) or any(not self._keys.issuperset(bands) for *_, bands in articles):
            return False
        mark = _sqlite_mark(session)
        return mark is not None and mark[0] is self._mark[0] and mark[1:] == self._mark[1:]

    def holders(self, conn, start: datetime) -> dict[int, list[int]]:
        """Band key → articles holding it, seen since ``start`` (no earlier than the read's start)."""
        holders: defaultdict[int, list[int]] = defaultdict(list)
        rows = self._rows
        if start > self._start:  # the window moved on a little since the read: drop what fell out of it
            stamp = _SEEN_AT.dialect_impl(conn.dialect).bind_processor(conn.dialect)
            cut = stamp(start) if stamp else start
            rows = [row for row in rows if row[2] >= cut]
        for key, article_id, _ in rows:
            holders[key].append(article_id)
        return holders


class BatchLookup:
    """The exact and near-duplicate lookups of a batch's write transaction, read for all its
    articles at once and kept up to date with the articles it stores.

    Built after the batch's bands are locked: no other writer can then store an article sharing
    one of them until the batch commits (PostgreSQL; SQLite has one writer at a time), so what
    it read stays true, and the articles stored in the batch are added as they are stored. What a
    concurrent writer stores under the same URL, guid or body still meets the unique indexes. The
    answers are those of ``exact_duplicate`` and ``near_candidates`` asked one article at a time.
    """

    def __init__(
        self, session: Session, source_id: int, articles: list[tuple[str, str | None, str, list[int]]],
        start: datetime, snapshot: "Snapshot | None" = None,
    ) -> None:
        self._session, self._source_id = session, source_id
        conn = session.connection()
        self._pg = conn.dialect.name == "postgresql"
        keys = [(text_key(url), text_key(guid) if guid else None, body) for url, guid, body, _ in articles]
        self._found: dict[int, Candidate] = {}
        self.reused = snapshot is not None and snapshot.covers(session, source_id, keys, articles, start)
        if self.reused:
            # Nothing was committed since the batch's short read: what it read is still the truth.
            self._urls, self._bodies, self._guids = set(snapshot.urls), set(snapshot.bodies), set(snapshot.guids)
            self._holders = snapshot.holders(conn, start)
            self._found = dict(snapshot.found)
            return
        params = {"u": [u for u, _, _ in keys], "b": [b for _, _, b in keys], "s": source_id,
                  "g": [g for _, g, _ in keys if g]}
        if not self._pg:
            params = {k: json.dumps(v) if isinstance(v, list) else v for k, v in params.items()}
        self._urls: set[str] = set()
        self._bodies: set[str] = set()
        self._guids: set[str] = set()
        for url_hash, body, src, guid_hash in conn.execute(_EXACT_MANY_PG if self._pg else _EXACT_MANY_SQLITE, params):
            self._urls.add(url_hash)
            self._bodies.add(body)
            if src == source_id and guid_hash:
                self._guids.add(guid_hash)
        wanted = sorted({k for *_, bands in articles for k in bands})
        self._holders: defaultdict[int, list[int]] = defaultdict(list)
        if wanted:
            rows = conn.execute(_BANDS_MANY_PG if self._pg else _BANDS_MANY_SQLITE,
                                {"keys": wanted if self._pg else json.dumps(wanted), "start": start}).fetchall()
            for key, article_id, _ in rows:
                self._holders[key].append(article_id)

    def exact(self, source_id: int, url: str, guid: str | None, body_hash: str) -> str | None:
        """``exact_duplicate`` (the URL named first, then the body, then the guid)."""
        if text_key(url) in self._urls:
            return "url"
        if body_hash in self._bodies:
            return "body"
        if guid and source_id == self._source_id and text_key(guid) in self._guids:
            return "guid"
        return None

    def near(self, band_keys: list[int], limit: int = 50) -> list[Candidate]:
        """``near_candidates`` since the batch's window start: most shared bands first, then oldest."""
        shared: dict[int, int] = {}
        for key in set(band_keys):
            for article_id in self._holders.get(key, ()):
                shared[article_id] = shared.get(article_id, 0) + 1
        top = [a for a, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
        missing = [a for a in top if a not in self._found]
        if missing:
            conn = self._session.connection()
            rows = conn.execute(_FINGERPRINTS_PG if self._pg else _FINGERPRINTS_SQLITE,
                                {"ids": missing if self._pg else json.dumps(missing)})
            self._found.update((row[0], Candidate(*row)) for row in rows)
        return [self._found[a] for a in top if a in self._found]

    def added(self, article_id: int, story_id: int, source_id: int, new: NewArticle) -> None:
        """An article the batch stored: later ones find it as ``exact`` and ``near`` would."""
        self._urls.add(text_key(new.url))
        self._bodies.add(new.body_hash)
        if new.guid and source_id == self._source_id:
            self._guids.add(text_key(new.guid))
        holders = self._holders
        for key in new.band_keys:
            holders[key].append(article_id)
        self._found[article_id] = Candidate(article_id, story_id, new.fingerprint)


# PostgreSQL's lock table is one for the whole server, max_locks_per_transaction (default 64) entries
# per connection slot: ~7,800 by default. A batch of 100 articles has up to 28,400 band keys (32 +
# 12 + 8 per paragraph, up to 30 paragraphs, each): locked one by one they filled it, the batch
# failed on "out of shared memory" (so could any other session then), was rolled back, its story
# and article ids lost to the sequences, and stored one at a time. So no transaction takes more
# than this many band locks (one article's 284 always fit).
BAND_LOCK_LIMIT = 512
# Above the limit a transaction takes this one lock, exclusive, instead of its band locks; at or
# under it, shared, before its band locks: a writer of either kind then waits for the other. Its
# second half is the schema, as for ``storage.db.MIGRATION_LOCK``. "raqc" in ASCII.
ALL_BANDS_LOCK = 0x72617163


def lock_bands(session: Session, band_keys: list[int]) -> None:
    """Serialize story assignment per LSH band until the caller's transaction ends.

    Two workers storing a report and its copy at once each looked for candidates before the other
    had inserted, and both made a story. On PostgreSQL each band key is taken as a transaction-level
    advisory lock (band keys are already signed 64-bit, the lock's own key space), in ascending
    order so that two transactions wanting overlapping sets never deadlock; call it before the
    candidate lookup. More keys than ``BAND_LOCK_LIMIT`` (a batch): one lock on every band instead.
    SQLite needs nothing: ``BEGIN IMMEDIATE`` (storage.db) already makes every write transaction
    wait for the one before it.
    """
    if not band_keys or session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted(set(band_keys))
    whole = len(keys) > BAND_LOCK_LIMIT
    session.execute(
        text(f"SELECT pg_advisory_xact_lock{'' if whole else '_shared'}(:k, hashtext(coalesce(current_schema(), '')))"),
        {"k": ALL_BANDS_LOCK},
    )
    if whole:
        return
    # unnest keeps the array's order, so the locks are taken in the sorted order in one round trip.
    session.execute(
        text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"), {"keys": keys}
    ).all()


def near_candidates(
    session: Session, band_keys: list[int], start: datetime, end: datetime | None = None, limit: int = 50
) -> list[Candidate]:
    """Articles sharing an LSH band seen since ``start``: an index lookup, never a scan.

    Normally no ``end``: an article a worker with a clock a little ahead stored "in the future" is
    still in the window, and a copy must join it rather than start another story.
    """
    if not band_keys:
        return []
    if end is None:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            rows = conn.execute(_NEAR_PG, {"keys": list(band_keys), "start": start, "n": limit})
        else:
            rows = conn.execute(_NEAR_SQLITE, {"keys": json.dumps(list(band_keys)), "start": start, "n": limit})
        return [Candidate(*row) for row in rows]
    hits = (
        select(ArticleBand.article_id, func.count().label("shared"))
        .where(ArticleBand.band_key.in_(band_keys), ArticleBand.seen_at.between(start, end))
        .group_by(ArticleBand.article_id)
        .order_by(func.count().desc(), ArticleBand.article_id)
        .limit(limit)
        .subquery()
    )
    q = select(Article.id, Article.story_id, Article.fingerprint).join(hits, hits.c.article_id == Article.id)
    return [Candidate(*row) for row in session.execute(q)]


def article_texts(session: Session, article_ids: list[int]) -> dict[int, tuple[str, str, datetime]]:
    """Title, body and publication time of these articles: the near-duplicate decision compares a
    candidate's words with the new text's (template news differ only in a name, a figure, or the
    day its "اليوم" names)."""
    if not article_ids:
        return {}
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        rows = conn.execute(_TEXTS_PG, {"ids": list(article_ids)})
    else:
        rows = conn.execute(_TEXTS_SQLITE, {"ids": json.dumps(list(article_ids))})
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


_TEXTS = "SELECT id, title, body, published_at FROM articles WHERE id {ids}"
_TEXTS_SQLITE = text(_TEXTS.format(ids="IN (SELECT value FROM json_each(:ids))")).columns(
    Article.id, Article.title, Article.body, Article.published_at
)
_TEXTS_PG = text(_TEXTS.format(ids="= ANY(CAST(:ids AS integer[]))")).columns(
    Article.id, Article.title, Article.body, Article.published_at
)


def create_story(
    session: Session, headline: str, summary: str, published_at: datetime, now: datetime, kind: str = "news"
) -> Story:
    story = Story(
        headline=headline, summary=summary, published_at=published_at, article_count=0, first_seen=now,
        last_updated=now, kind=kind,
    )
    session.add(story)
    session.flush()
    return story


def create_notice(
    session: Session, source_id: int, url: str, key: str, headline: str, body: str, now: datetime,
    kind: str = "notice",
) -> Story:
    """A message of raqib's own (a feed disabled, alerts given up; ``kind`` "burst" for a burst of
    coverage) as a story with one article: the outbox delivers stories, and a notice has no bands,
    no topic match and no search entry, so it never joins, matches or lists as news. ``key`` stands
    in for the body hash."""
    story = create_story(session, headline, body, now, now, kind=kind)
    add_article(session, story.id, NewArticle(source_id, url, None, headline, body, now, "fetch", now, key, b"", []))
    return story


def insert_story(
    session: Session, headline: str, summary: str, published_at: datetime, now: datetime,
    event_date: datetime | None = None, kind: str = "news",
) -> int:
    """A new story's row (Core, no ORM object): its id. ``add_article`` counts its articles."""
    conn = session.connection()
    # A date from bot.text.eventdates carries its precision (as Story's validator records it).
    precision = getattr(event_date, "precision", None)
    stamp = _stamp(conn)
    if stamp is not None:  # SQLite: the prepared text, values bound as Core would bind them
        return int(conn.exec_driver_sql(_INSERT_STORY_SQLITE, (
            headline, summary, 0, stamp(published_at), stamp(event_date), stamp(now), stamp(now), kind, precision,
        )).lastrowid)
    result = conn.execute(_INSERT_STORY, {
        "headline": headline, "summary": summary, "published_at": published_at, "article_count": 0,
        "first_seen": now, "last_updated": now, "kind": kind, "event_date": event_date,
        "event_precision": precision,
    })
    return int(result.inserted_primary_key[0])


# ``session.info`` key: a ``search.IndexBuffer`` there collects the search rows of the articles
# this session stores, for its owner to write together before it commits (a batch's writer).
INDEX_BUFFER = "raqib_search_index_buffer"
# ``session.info`` keys of a batch's writer: a ``BatchLookup`` told of every article stored, and a
# list collecting the articles' band rows, written together by ``write_bands`` before the commit
# (nothing but the lookup reads them in the meantime).
BATCH_LOOKUP = "raqib_batch_lookup"
BAND_BUFFER = "raqib_band_buffer"
# ``session.info`` key of a batch's writer: a ``StoryCounts`` collecting the stories' article counts,
# written by ``StoryCounts.flush`` before the commit (nothing in the batch reads them).
STORY_COUNTS = "raqib_story_counts"


class StoryCounts:
    """The story rows a batch's articles count in, one UPDATE per story at the batch's end (one
    ``executemany``) instead of one statement per article: the same values as counting each article
    as it is stored (the count, the last article's time, the first article as lead if none)."""

    def __init__(self) -> None:
        self._stories: dict[int, dict] = {}

    def add(self, story_id: int, at: datetime, article_id: int) -> None:
        row = self._stories.get(story_id)
        if row is None:
            self._stories[story_id] = {"sid": story_id, "n": 1, "at": at, "aid": article_id}
        else:
            row["n"] += 1
            row["at"] = at

    def flush(self, session: Session) -> None:
        """Write what was added (in the caller's transaction), stories in id order: two PostgreSQL
        writers counting in the same stories lock their rows in one order."""
        if self._stories:
            rows = [self._stories[sid] for sid in sorted(self._stories)]
            self._stories = {}
            session.connection().execute(_COUNT_IN_STORY, rows)


_BANDS_ROWS_SQLITE = "INSERT OR IGNORE INTO article_bands (band_key, seen_at, article_id) VALUES (?, ?, ?)"


def write_bands(session: Session, rows: list[dict]) -> None:
    """The band rows ``add_article`` collected in ``BAND_BUFFER``, in one statement.

    SQLite: one ``executemany`` of plain tuples (no JSON made and parsed again per row), in primary
    key order, so the (band_key, seen_at, article_id) B-tree is walked once from end to end instead
    of at a random page per row (past a few thousand articles its pages no longer all fit the page
    cache, and random inserts cost more with every article stored)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_BANDS_PG, rows)
        return
    stamp = _SEEN_AT.dialect_impl(conn.dialect).bind_processor(conn.dialect)  # the stored form, as bound
    flat: list[tuple] = []
    for row in rows:
        keys = row["keys"]
        # The tuples made in C (zip), not in a comprehension's Python loop: ~86 per article.
        flat.extend(zip(keys, repeat(stamp(row["t"]) if stamp else row["t"], len(keys)), repeat(row["a"], len(keys))))
    flat.sort()
    conn.exec_driver_sql(_BANDS_ROWS_SQLITE, flat)


def add_article(session: Session, story_id: int, new: NewArticle) -> int:
    """Store the article and its band keys, and count it in its story.

    Core statements on the session's connection: no ORM object per row. Its search entry is
    written now, or collected in the session's ``INDEX_BUFFER`` when its owner set one."""
    session.flush()  # ORM rows a caller made in this session (its story) must exist first; free when none
    conn = session.connection()
    guid_hash = None if new.guid is None else text_key(new.guid)
    stamp = _stamp(conn)
    if stamp is not None:  # SQLite: the prepared text, values bound as Core would bind them
        article_id = int(conn.exec_driver_sql(_INSERT_ARTICLE_SQLITE, (
            new.source_id, story_id, new.url, text_key(new.url), new.guid, guid_hash, new.title, new.body,
            stamp(new.published_at), new.date_source, stamp(new.fetched_at), new.body_hash, new.fingerprint,
            new.summary,
        )).lastrowid)
    else:
        result = conn.execute(_INSERT_ARTICLE, {
            "source_id": new.source_id, "story_id": story_id, "url": new.url, "url_hash": text_key(new.url),
            "guid": new.guid, "guid_hash": guid_hash,
            "title": new.title, "body": new.body, "published_at": new.published_at, "date_source": new.date_source,
            "fetched_at": new.fetched_at, "body_hash": new.body_hash, "fingerprint": new.fingerprint,
            "summary": new.summary,
        })
        article_id = int(result.inserted_primary_key[0])
    lookup = session.info.get(BATCH_LOOKUP)
    if lookup is not None:
        lookup.added(article_id, story_id, new.source_id, new)
    bands = session.info.get(BAND_BUFFER)
    if new.band_keys and bands is not None:
        bands.append({"a": article_id, "t": new.fetched_at, "keys": list(new.band_keys)})
    elif new.band_keys:
        if conn.dialect.name == "postgresql":
            conn.execute(_BANDS_PG, {"a": article_id, "t": new.fetched_at, "keys": list(new.band_keys)})
        else:
            conn.execute(_BANDS_SQLITE, {"a": article_id, "t": new.fetched_at, "keys": json.dumps(list(new.band_keys))})
    if new.search_keys is not None:
        index = session.info.get(INDEX_BUFFER)
        if index is None:
            search_store.index_article(conn, article_id, story_id, new.source_id, new.published_at, new.search_keys)
        else:
            index.add(article_id, story_id, new.source_id, new.published_at, new.search_keys)
    counts = session.info.get(STORY_COUNTS)
    if counts is not None:
        counts.add(story_id, new.fetched_at, article_id)
    else:
        conn.execute(_COUNT_IN_STORY, {"sid": story_id, "n": 1, "at": new.fetched_at, "aid": article_id})
    # A story object the caller holds in this session is read again, with its count and lead (a
    # writer's session holds none: Core only, so its per-article identity lookup is skipped).
    if session.identity_map:
        story = session.identity_map.get(session.identity_key(Story, story_id))
        if story is not None:
            session.expire(story, ["article_count", "last_updated", "lead_article_id"])
    return article_id


def add_story_topic(session: Session, story_id: int, watchlist_id: int, terms: list[str], now: datetime) -> None:
    session.connection().execute(_INSERT_TOPIC, {
        "story_id": story_id, "watchlist_id": watchlist_id,
        "matched_terms": json.dumps(terms, ensure_ascii=False), "matched_at": now,
    })


def story_watchlists(session: Session, story_id: int) -> list[int]:
    """The watchlists a story matched."""
    return list(session.scalars(select(StoryTopic.watchlist_id).where(StoryTopic.story_id == story_id)))


def list_stories(session: Session, topic: str | None = None, limit: int = 100) -> list[StoryRow]:
    q = select(Story).where(Story.kind == "news").order_by(Story.published_at.desc(), Story.id.desc()).limit(limit)
    if topic is not None:
        q = q.join(StoryTopic, StoryTopic.story_id == Story.id).join(
            Watchlist, Watchlist.id == StoryTopic.watchlist_id
        ).where(Watchlist.slug == topic)
    stories = list(session.scalars(q))
    return [_story_row(session, s) for s in stories]


def _story_row(session: Session, story: Story) -> StoryRow:
    lead = session.execute(
        select(Article.url, Source.name)
        .join(Source, Source.id == Article.source_id)
        .where(Article.id == story.lead_article_id)
    ).one()
    topics = {
        slug: json.loads(terms)
        for slug, terms in session.execute(
            select(Watchlist.slug, StoryTopic.matched_terms)
            .join(Watchlist, Watchlist.id == StoryTopic.watchlist_id)
            .where(StoryTopic.story_id == story.id)
            .order_by(Watchlist.slug)
        )
    }
    return StoryRow(
        story.id, story.headline, story.summary, story.published_at, story.article_count, lead.url, lead.name, topics
    )


def count_articles(session: Session) -> int:
    return int(session.scalar(select(func.count(Article.id))) or 0)
