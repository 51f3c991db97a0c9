"""SQL for the same-event decision: stored event profiles and the key index that finds candidates.

The decision itself is bot/text/events.py's (storage imports nothing of ours: profiles come and go
as the JSON text of ``EventProfile.to_json()``, keys as ``EventProfile.keys()``). This module
keeps, per stored news article long enough to profile (bot/pipeline.py writes it with the
article), its profile and the hashes of its few highest-weighted terms
(tables of migration 0013, reached through Core ``Table`` objects of their own). A new article's
candidates are the articles sharing at least one key within the window, best-sharing first and
capped: the lookup runs on the (key, published_at) primary key, so its cost depends on how many
reports share the article's rarest terms, not on how many were stored in the window.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text, bindparam, delete, exists, insert, select, text
from sqlalchemy.orm import Session

from storage.models import Article, Story, UTCDateTime

# Candidates read per article (bot.text.events.CANDIDATES): bounded work per insert.
CANDIDATES = 30
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

_metadata = MetaData()

event_profiles = Table(
    "event_profiles",
    _metadata,
    Column("article_id", Integer, primary_key=True),
    Column("published_at", UTCDateTime, nullable=False),
    Column("profile", Text, nullable=False),
)

event_keys = Table(
    "event_keys",
    _metadata,
    Column("key", BigInteger, primary_key=True),
    Column("published_at", UTCDateTime, primary_key=True),
    Column("article_id", Integer, primary_key=True),
)

_ARTICLES = Article.__table__
_STORIES = Story.__table__


# ``session.info`` key of a batch write's profile rows (``bot.pipeline``): written by
# ``write_profiles`` at the batch's end, two statements for the batch instead of two per article
# (nothing reads them within the batch: its own articles are compared in memory).
PROFILE_BUFFER = "raqib_event_profile_buffer"


def add_profile(session: Session, article_id: int, published_at: datetime, profile: str, keys: list[int]) -> None:
    """Store an article's profile (JSON text) and index its keys, in the caller's transaction (the
    one that stores the article, so a crash leaves both or neither)."""
    row = (article_id, published_at, profile, keys)
    buffer = session.info.get(PROFILE_BUFFER)
    if buffer is not None:
        buffer.append(row)
    else:
        write_profiles(session, [row])


_INSERT_PROFILES = insert(event_profiles)
_INSERT_KEYS = insert(event_keys)
_PROFILES_SQLITE = "INSERT INTO event_profiles (article_id, published_at, profile) VALUES (?, ?, ?)"
_KEYS_SQLITE = 'INSERT INTO event_keys ("key", published_at, article_id) VALUES (?, ?, ?)'
_STAMP = UTCDateTime()


def write_profiles(session: Session, rows: list[tuple[int, datetime, str, list[int]]]) -> None:
    """(article_id, published_at, profile JSON, keys) rows, in two statements (SQLite: plain tuples,
    each article's time converted once, not once per key row)."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        stamp = _STAMP.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        stamped = [(a, stamp(t) if stamp else t, p, ks) for a, t, p, ks in rows]
        conn.exec_driver_sql(_PROFILES_SQLITE, [(a, t, p) for a, t, p, _ in stamped])
        keys = [(k, t, a) for a, t, _, ks in stamped for k in sorted(set(ks))]
        if keys:
            conn.exec_driver_sql(_KEYS_SQLITE, keys)
        return
    conn.execute(_INSERT_PROFILES, [{"article_id": a, "published_at": t, "profile": p} for a, t, p, _ in rows])
    keys = [{"key": k, "published_at": t, "article_id": a} for a, t, _, ks in rows for k in sorted(set(ks))]
    if keys:
        conn.execute(_INSERT_KEYS, keys)


# The lookup, built once: per call only its parameters change (keys, window, cap). The keys are one
# array parameter (JSON text on SQLite), not an expanding IN list, which SQLAlchemy re-renders on
# every call (that rendering cost more than the query).
_CANDIDATES_SQL = (
    "SELECT a.story_id, p.article_id, p.profile{body} FROM ("
    "SELECT article_id, count(*) AS shared, max(published_at) AS at FROM event_keys "
    "WHERE \"key\" IN ({keys}) AND published_at BETWEEN :since AND :until "
    "GROUP BY article_id ORDER BY count(*) DESC, max(published_at) DESC, article_id LIMIT :limit) AS h "
    "JOIN event_profiles p ON p.article_id = h.article_id "
    "JOIN articles a ON a.id = h.article_id AND a.fetched_at >= :stored "
    "JOIN stories s ON s.id = a.story_id AND s.kind = 'news' "
    "ORDER BY h.shared DESC, h.at DESC, h.article_id"
)
_KEYS = {"sqlite": "SELECT value FROM json_each(:keys)", "postgresql": "SELECT unnest(CAST(:keys AS bigint[]))"}


def _candidates_statement(dialect: str, with_text: bool):
    return text(_CANDIDATES_SQL.format(body=", a.body" if with_text else "", keys=_KEYS[dialect])).bindparams(
        bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()),
        bindparam("stored", type_=UTCDateTime()),
    )


_CANDIDATES = {(d, w): _candidates_statement(d, w) for d in _KEYS for w in (False, True)}


def candidates(
    session: Session, keys: list[int], since: datetime, until: datetime, limit: int = CANDIDATES,
    with_text: bool = False, stored_since: datetime | None = None,
) -> list[tuple]:
    """(story_id, article_id, profile JSON) of news articles published in [since, until] that
    share at least one of ``keys``: most shared keys first, then the most recent, at most ``limit``.
    With ``with_text``, each row also carries the article's body: the same-event decision needs it
    to tell two template reports apart word by word (another day's bulletin), which the stored
    profile alone cannot always do. ``stored_since``: only articles stored (fetched) since then, as
    copies are looked for (a story stays open to other outlets as long as to copies). One statement; the key table's primary key (key,
    published_at, article_id) answers the grouping without reading the table.
    """
    if not keys:
        return []
    conn = session.connection()
    dialect = conn.dialect.name
    wanted = sorted(set(keys))
    rows = conn.execute(
        _CANDIDATES[dialect, with_text],
        {"keys": wanted if dialect == "postgresql" else json.dumps(wanted), "since": since, "until": until,
         "limit": limit, "stored": stored_since or _EPOCH})
    return [tuple(row) for row in rows]


def story_of(session: Session, article_id: int, url: str | None = None) -> int | None:
    """The news story article ``article_id`` belongs to now (None: gone, or not news): the write
    transaction checks that the story the short read chose to join still stands. ``url``: the
    article must also have this URL (an id remembered from a rolled-back transaction may since have
    been given to another article)."""
    if url is None:
        return session.connection().execute(_STORY_OF, {"aid": article_id}).scalar()
    return session.connection().execute(_STORY_OF_URL, {"aid": article_id, "url": url}).scalar()


# story_of's two statements, built once (built per call, a select cost more than running it).
_STORY_OF = (select(_ARTICLES.c.story_id)
             .join(_STORIES, (_STORIES.c.id == _ARTICLES.c.story_id) & (_STORIES.c.kind == "news"))
             .where(_ARTICLES.c.id == bindparam("aid")))
_STORY_OF_URL = _STORY_OF.where(_ARTICLES.c.url == bindparam("url"))


def prune(session: Session, before: datetime, stored_before: datetime | None = None) -> int:
    """Drop the keys of articles published before ``before`` (beyond any window a new article
    can reach); their profiles stay for explanations. With ``stored_before``, only of articles
    also stored (fetched) before it: a backlog of old articles ingested today keeps its keys while
    the rest of that backlog comes in. Returns the keys removed."""
    cond = event_keys.c.published_at < before
    if stored_before is not None:
        cond = cond & exists().where(_ARTICLES.c.id == event_keys.c.article_id, _ARTICLES.c.fetched_at < stored_before)
    result = session.connection().execute(delete(event_keys).where(cond))
    return result.rowcount or 0


# A batch's candidates (``candidates_many``): the key rows of all its articles' keys in the span of
# their windows, then the profiles of each article's best ``limit`` (two statements for the batch).
_KEY_ROWS_SQL = 'SELECT "key", published_at, article_id FROM event_keys WHERE "key" IN ({keys}) AND published_at BETWEEN :since AND :until'
_KEY_ROWS = {
    d: text(_KEY_ROWS_SQL.format(keys=k)).bindparams(bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()))
    for d, k in _KEYS.items()
}
_PROFILE_ROWS_SQL = (
    "SELECT p.article_id, a.story_id, p.profile{body} FROM event_profiles p "
    "JOIN articles a ON a.id = p.article_id AND a.fetched_at >= :stored "
    "JOIN stories s ON s.id = a.story_id AND s.kind = 'news' WHERE p.article_id IN ({ids})"
)
_IDS = {"sqlite": "SELECT value FROM json_each(:ids)", "postgresql": "SELECT unnest(CAST(:ids AS integer[]))"}
_PROFILE_ROWS = {
    (d, w): text(_PROFILE_ROWS_SQL.format(body=", a.body" if w else "", ids=_IDS[d])).bindparams(
        bindparam("stored", type_=UTCDateTime()))
    for d in _IDS for w in (False, True)
}


def candidates_many(
    session: Session, wanted: list[tuple[list[int], datetime, datetime]], limit: int = CANDIDATES,
    with_text: bool = False, stored_since: datetime | None = None,
) -> list[list[tuple]]:
    """``candidates`` of many ``(keys, since, until)`` in two statements (a batch's short read):
    the same rows in the same order as asking one at a time (the best ``limit`` by shared keys,
    then the latest, then the lowest id, chosen before the other conditions, as there)."""
    out: list[list[tuple]] = [[] for _ in wanted]
    asks = [(n, sorted(set(keys)), since, until) for n, (keys, since, until) in enumerate(wanted) if keys]
    if not asks:
        return out
    conn = session.connection()
    dialect = conn.dialect.name
    pg = dialect == "postgresql"
    every = sorted({k for _, keys, _, _ in asks for k in keys})
    rows = conn.execute(_KEY_ROWS[dialect], {
        "keys": every if pg else json.dumps(every),
        "since": min(a[2] for a in asks), "until": max(a[3] for a in asks),
    }).fetchall()  # all at once: SQLAlchemy's per-row fetch cost more than the rows (thousands a batch)
    holders: defaultdict[int, list[tuple]] = defaultdict(list)  # no empty list made per row
    for key, published, article_id in rows:
        holders[key].append((published, article_id))
    # Times compared as the database holds them (SQLite: its text form, which sorts as time).
    stamp = _STAMP.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    tops: list[tuple[int, list[int]]] = []
    for n, keys, since, until in asks:
        lo, hi = (stamp(since), stamp(until)) if stamp else (since, until)
        shared: dict[int, int] = {}
        latest: dict[int, object] = {}
        for key in keys:
            for published, article_id in holders.get(key, ()):
                if lo <= published <= hi:
                    shared[article_id] = shared.get(article_id, 0) + 1
                    if article_id not in latest or published > latest[article_id]:
                        latest[article_id] = published
        ranked = sorted(sorted(shared), key=lambda a: (shared[a], latest[a]), reverse=True)[:limit]
        tops.append((n, ranked))
    ids = sorted({a for _, top in tops for a in top})
    if not ids:
        return out
    found = {row[0]: row for row in conn.execute(_PROFILE_ROWS[dialect, with_text], {
        "ids": ids if pg else json.dumps(ids), "stored": stored_since or _EPOCH,
    }).fetchall()}
    for n, top in tops:
        out[n] = [(found[a][1], a, *found[a][2:]) for a in top if a in found]
    return out
