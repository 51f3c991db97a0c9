"""The outbox: deliveries claimed, sent, retried or given up, so "already sent" is a stored fact.

A claim is a lease (``claimed_by``, ``lease_until``): the holder renews it while it works, and every
mark checks that the row is still the caller's, so a worker that lost its lease cannot overwrite
the state another worker now owns. ``attempts`` counts failed tries and only drives the backoff;
a row is given up on a permanent answer, or by ``expire`` once it has kept failing for longer than
the operator's ``give_up_after_hours``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import and_, bindparam, case, delete, func, literal, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from storage.models import Article, Chat, Delivery, Mute, Source, Story, StoryTopic, Subscription, Watchlist


PENDING, SENDING, SENT, FAILED, DEAD = "pending", "sending", "sent", "failed", "dead"
# Not sent on purpose (the chat muted the subscription): recorded with the reason, never retried.
SKIPPED = "skipped"
# Migration 0012: a digest subscription's row waiting for its period to close (``period`` names it,
# ``next_attempt_at`` is when it closes), and a row folded into the digest or archive row ``bundle_id``.
HELD, BUNDLED = "held", "bundled"
STATES = (PENDING, SENDING, SENT, FAILED, DEAD, SKIPPED, HELD, BUNDLED)
ALERT, UPDATE = "alert", "update"  # a row's kind (migration 0009)
EDIT, REPORT, DIGEST, ARCHIVE = "edit", "report", "digest", "archive"  # migration 0012
# Kinds that follow the chat's alert of the story: they wait while it is on its way.
FOLLOW_UPS = (UPDATE, EDIT, REPORT)


@dataclass(frozen=True)
class DeliveryJob:
    """Everything a transport needs to render one alert, read in the claiming transaction."""

    delivery_id: int
    attempts: int
    chat_id: int
    chat: str
    platform: str
    language: str | None
    thread_id: str | None
    story_id: int
    topic: str
    topic_name: str
    headline: str
    summary: str
    url: str
    source: str
    published_at: datetime
    matched: list[str]
    created_at: datetime | None = None  # when the row was queued: the give-up age counts from it
    # "update": headline, summary, url, source and time are the updating article's, not the lead's.
    kind: str = ALERT
    watchlist_id: int | None = None
    # How many outlets carry the story (its articles' distinct sources), for the alert's meta line.
    source_count: int = 1
    # The subscription's mute in force when the row was claimed: the worker skips the row.
    muted_until: datetime | None = None
    # Migration 0012. "news", "notice" (raqib's own message: never held for a digest) or "burst".
    story_kind: str = "news"
    # The chat's settings: zone (None = the configured one), quiet window and what it does, summaries.
    timezone: str | None = None
    quiet_start: int | None = None
    quiet_end: int | None = None
    quiet_mode: str = "silent"
    summary_length: str = "normal"
    # The subscription's delivery mode ("instant", "hourly", "daily") and daily digest minute.
    mode: str = "instant"
    digest_at: int | None = None
    # Other outlets carrying the story, in the order they reported it (the shown article's excluded).
    also: tuple[str, ...] = ()
    # UPDATE/REPORT reply to the chat's alert of the story; EDIT re-draws it (its message id).
    reply_to: str | None = None
    edit_of: str | None = None
    # The state of the chat's alert of the story (follow-ups only): an edit of a never-sent alert is moot.
    alert_state: str | None = None
    # DIGEST and ARCHIVE: the stories folded into the row, oldest first; a digest's period key, and
    # the span of the listed stories' dates (an archive's "period").
    items: tuple["JobItem", ...] = ()
    period: str | None = None
    span: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class JobItem:
    """One story listed in a digest or an archive (its summary whole: the worker cuts it)."""

    story_id: int
    headline: str
    url: str
    published: datetime
    summary: str
    source_count: int
    topic: str


def enqueue(
    session: Session, story_id: int, targets: list[tuple[int, int, str | None]], now: datetime,
    article_id: int | None = None,
) -> int:
    """Insert one pending row per chat; a chat already holding this story is left alone.
    ``article_id``: the alert shows that article rather than the story's lead (a chat's first
    alert of a story that reaches it through an update: the new development is the news)."""
    seen: set[int] = set()
    rows = []
    for chat_id, watchlist_id, thread_id in targets:
        if chat_id in seen:
            continue
        seen.add(chat_id)
        rows.append(
            dict(
                chat_id=chat_id,
                story_id=story_id,
                watchlist_id=watchlist_id,
                thread_id=thread_id,
                state=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                article_id=article_id,
            )
        )
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Delivery).values(rows).on_conflict_do_nothing(
        # A literal, not a bound parameter: once psycopg prepares the statement (its 6th run), a
        # generic plan cannot match "kind = $1" to the partial unique index, and PostgreSQL refuses.
        index_elements=["chat_id", "story_id"], index_where=text(f"kind = '{ALERT}'")
    )
    return len(session.execute(stmt.returning(Delivery.id)).all())


def enqueue_update(session: Session, story_id: int, article_id: int, now: datetime) -> int:
    """One update row per chat that was sent the story's alert or still waits for it; a chat that
    has this update already is left alone. Chats whose alert was given up or that are gone get no
    update: it would refer to an alert they never saw. A story the chat got in a digest or an
    archive (its alert "bundled") counts as had. Rows are copied from the alert's (topic,
    forum thread), so the update lands where the alert did."""
    alerts = session.execute(
        select(Delivery.chat_id, Delivery.watchlist_id, Delivery.thread_id)
        .join(Chat, Chat.id == Delivery.chat_id)
        .where(
            Delivery.story_id == story_id, Delivery.kind == ALERT,
            Delivery.state.in_([PENDING, SENDING, SENT, BUNDLED]), Chat.active.is_(True),
        )
        .order_by(Delivery.chat_id)
    ).all()
    if not alerts:
        return 0
    rows = [
        dict(chat_id=chat_id, story_id=story_id, article_id=article_id, kind=UPDATE, watchlist_id=watchlist_id,
             thread_id=thread_id, state=PENDING, attempts=0, next_attempt_at=now, created_at=now)
        for chat_id, watchlist_id, thread_id in alerts
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Delivery).values(rows).on_conflict_do_nothing(
        index_elements=["chat_id", "story_id", "article_id"], index_where=text(f"kind = '{UPDATE}'")
    )
    return len(session.execute(stmt.returning(Delivery.id)).all())


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# Edits of one alert are at least this far apart: joins within it make one edit (issue 12: "a few minutes").
EDIT_COALESCE_S = 180.0


# enqueue_followups' reads, built once (a join is followed up by a pipeline write: building them per
# call cost more than running them).
_CARRIED = (
    select(func.count()).select_from(Article)
    .where(
        Article.story_id == bindparam("story_id"),
        Article.source_id == select(Article.source_id).where(Article.id == bindparam("article_id")).scalar_subquery(),
        Article.id < bindparam("article_id"),
    )
)
_FOLLOWED = (
    select(Delivery.chat_id, Delivery.watchlist_id, Delivery.thread_id, Delivery.state, Subscription.reports)
    .join(Chat, Chat.id == Delivery.chat_id)
    .join(Subscription, and_(Subscription.chat_id == Delivery.chat_id,
                             Subscription.watchlist_id == Delivery.watchlist_id))
    .where(
        Delivery.story_id == bindparam("story_id"), Delivery.kind == ALERT,
        # Not ``in_``: its list is rendered again on every call.
        or_(*(Delivery.state == state for state in (PENDING, SENDING, SENT, BUNDLED))), Chat.active.is_(True),
    )
    .order_by(Delivery.chat_id)
)


def enqueue_followups(
    session: Session, story_id: int, article_id: int, now: datetime, coalesce_s: float = EDIT_COALESCE_S
) -> int:
    """Another outlet's article joined a known story: follow it up in each chat that has the story.

    A chat whose subscription wants one alert per story gets an EDIT of its alert, due in
    ``coalesce_s``: while that edit waits, further joins add nothing (uq_delivery_edit), so an alert
    is re-drawn at most once per ``coalesce_s`` and shows every outlet that joined meanwhile. A chat
    that wants every report gets a REPORT row for this article. Only chats whose alert was sent or
    is on its way (an every-report chat: or got it in a digest or archive) are followed up: an edit
    of an alert that never went out edits nothing. An outlet's second copy of a story it already
    carried changes nothing a chat sees, and is not followed up. Returns rows queued."""
    # Core reads on the session's connection (after its pending rows are flushed, as the session's
    # own execute would): the same rows without the ORM's per-statement cost, once per join.
    session.flush()
    conn = session.connection()
    carried = conn.scalar(_CARRIED, {"story_id": story_id, "article_id": article_id})
    if carried:
        return 0
    rows = conn.execute(_FOLLOWED, {"story_id": story_id}).all()
    edits, reports = [], []
    for chat_id, watchlist_id, thread_id, state, wants in rows:
        base = dict(chat_id=chat_id, story_id=story_id, watchlist_id=watchlist_id, thread_id=thread_id,
                    state=PENDING, attempts=0, created_at=now)
        if wants == "every":
            reports.append(dict(base, kind=REPORT, article_id=article_id, next_attempt_at=now))
        elif state != BUNDLED:
            edits.append(dict(base, kind=EDIT, next_attempt_at=now + timedelta(seconds=coalesce_s)))
    insert = _insert(session)
    queued = 0
    if edits:
        stmt = insert(Delivery).values(edits).on_conflict_do_nothing(
            index_elements=["chat_id", "story_id"], index_where=text(f"kind = '{EDIT}' AND state = '{PENDING}'")
        )
        queued += len(session.execute(stmt.returning(Delivery.id)).all())
    if reports:
        stmt = insert(Delivery).values(reports).on_conflict_do_nothing(
            index_elements=["chat_id", "story_id", "article_id"], index_where=text(f"kind = '{REPORT}'")
        )
        queued += len(session.execute(stmt.returning(Delivery.id)).all())
    return queued


def enqueue_archive(
    session: Session, chat_id: int, watchlist_id: int, thread_id: str | None, story_ids: list[int], now: datetime
) -> int:
    """A new subscription's backlog as ONE archive row (sent silently, «من الأرشيف»), with an alert
    row per story recorded as bundled into it: the chat never gets those stories again as alerts,
    and their later updates still find that the chat had them. A story the chat already had is
    left out; nothing left → no archive. Returns the stories listed."""
    if not story_ids:
        return 0
    newest = session.scalar(
        select(Story.id).where(Story.id.in_(story_ids)).order_by(Story.published_at.desc(), Story.id.desc()).limit(1)
    )
    archive_id = session.execute(
        _insert(session)(Delivery).values(
            chat_id=chat_id, story_id=newest, watchlist_id=watchlist_id, thread_id=thread_id, kind=ARCHIVE,
            state=PENDING, attempts=0, next_attempt_at=now, created_at=now,
        ).returning(Delivery.id)
    ).scalar_one()
    rows = [
        dict(chat_id=chat_id, story_id=story_id, watchlist_id=watchlist_id, thread_id=thread_id, kind=ALERT,
             state=BUNDLED, bundle_id=archive_id, attempts=0, next_attempt_at=now, created_at=now)
        for story_id in dict.fromkeys(story_ids)
    ]
    stmt = _insert(session)(Delivery).values(rows).on_conflict_do_nothing(
        index_elements=["chat_id", "story_id"], index_where=text(f"kind = '{ALERT}'")
    )
    listed = len(session.execute(stmt.returning(Delivery.id)).all())
    if not listed:
        session.execute(delete(Delivery).where(Delivery.id == archive_id))
    elif newest not in {r.story_id for r in session.execute(
            select(Delivery.story_id).where(Delivery.bundle_id == archive_id))}:
        # The row's story is its newest listed one (the column is not null): not one the chat had before.
        listed_newest = session.scalar(
            select(Delivery.story_id).join(Story, Story.id == Delivery.story_id)
            .where(Delivery.bundle_id == archive_id).order_by(Story.published_at.desc(), Story.id.desc()).limit(1)
        )
        session.execute(update(Delivery).where(Delivery.id == archive_id).values(story_id=listed_newest))
    return listed


def claim(
    session: Session, platforms: list[str], worker: str, now: datetime, lease_s: int, limit: int
) -> list[DeliveryJob]:
    """Lease due rows to this worker. On PostgreSQL, SKIP LOCKED lets several workers share the table;
    on SQLite the transaction's BEGIN IMMEDIATE serializes claimers instead.

    A row whose lease ran out (its worker died mid-send) is due again.
    """
    due = or_(
        and_(Delivery.state == PENDING, Delivery.next_attempt_at <= now),
        and_(Delivery.state == SENDING, Delivery.lease_until < now),
    )
    # A follow-up (update, edit, report) waits while its chat's alert of the story is still on its way.
    alert = aliased(Delivery)
    alert_waiting = (
        select(alert.id)
        .where(alert.chat_id == Delivery.chat_id, alert.story_id == Delivery.story_id, alert.kind == ALERT,
               alert.state.in_([PENDING, SENDING]))
        .exists()
    )
    ids_q = (
        select(Delivery.id)
        .join(Chat, Chat.id == Delivery.chat_id)
        .where(due, Chat.platform.in_(platforms), Chat.active.is_(True),
               or_(Delivery.kind.not_in(FOLLOW_UPS), ~alert_waiting))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
    )
    ids = list(session.scalars(ids_q))
    if not ids:
        return []
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(state=SENDING, lease_until=now + timedelta(seconds=lease_s), claimed_by=worker)
    )
    return _jobs(session, ids)


def _jobs(session: Session, ids: list[int]) -> list[DeliveryJob]:
    # An update or a report shows its own article (title, summary, link, source, time), and so does
    # an alert naming one (``enqueue``'s ``article_id``); every other row the story's lead (a
    # digest's or an archive's row: its newest listed story's).
    own = or_(Delivery.kind.in_([UPDATE, REPORT]), and_(Delivery.kind == ALERT, Delivery.article_id.isnot(None)))
    q = (
        select(
            Delivery.id,
            Delivery.attempts,
            Chat.id,
            Chat.address,
            Chat.platform,
            Chat.language,
            Delivery.thread_id,
            Story.id,
            Watchlist.slug,
            Watchlist.name,
            case((own, Article.title), else_=Story.headline),
            case((own, func.coalesce(Article.summary, Story.summary)), else_=Story.summary),
            Article.url,
            Source.name,
            case((own, Article.published_at), else_=Story.published_at),
            StoryTopic.matched_terms,
            Delivery.created_at,
            Delivery.kind,
            Delivery.watchlist_id,
            _source_count(),
            Mute.until,
            Story.kind,
            Chat.timezone,
            Chat.quiet_start,
            Chat.quiet_end,
            Chat.quiet_mode,
            Chat.summary_length,
            Subscription.mode,
            Subscription.digest_at,
            Delivery.period,
            Article.source_id,
        )
        .join(Chat, Chat.id == Delivery.chat_id)
        .join(Story, Story.id == Delivery.story_id)
        .join(Watchlist, Watchlist.id == Delivery.watchlist_id)
        .join(Article, Article.id == func.coalesce(Delivery.article_id, Story.lead_article_id))
        .join(Source, Source.id == Article.source_id)
        .outerjoin(
            StoryTopic, and_(StoryTopic.story_id == Story.id, StoryTopic.watchlist_id == Delivery.watchlist_id)
        )
        .outerjoin(Mute, and_(Mute.chat_id == Delivery.chat_id, Mute.watchlist_id == Delivery.watchlist_id))
        .outerjoin(Subscription, and_(Subscription.chat_id == Delivery.chat_id,
                                      Subscription.watchlist_id == Delivery.watchlist_id))
        .where(Delivery.id.in_(ids))
        .order_by(Story.published_at, Delivery.kind, Delivery.id)
    )
    rows = session.execute(q).all()
    outlets = _outlets(session, {row[7] for row in rows})
    alerts = _chat_alerts(session, [(row[2], row[7]) for row in rows if row[17] in FOLLOW_UPS])
    items = _items(session, [row[0] for row in rows if row[17] in (DIGEST, ARCHIVE)])
    jobs = []
    for row in rows:
        (*head, matched, created_at, kind, watchlist_id, sources, muted, story_kind, tz, quiet_start, quiet_end,
         quiet_mode, summary_length, mode, digest_at, period, shown_source) = row
        delivery_id, chat_id, story_id = head[0], head[2], head[7]
        alert_state, alert_message = alerts.get((chat_id, story_id), (None, None))
        listed = tuple(items.get(delivery_id, ()))
        bundle = kind in (DIGEST, ARCHIVE)
        jobs.append(
            DeliveryJob(
                *head, matched=json.loads(matched) if matched else [], created_at=created_at, kind=kind,
                watchlist_id=watchlist_id, source_count=max(1, sources or 0), muted_until=muted,
                story_kind=story_kind, timezone=tz, quiet_start=quiet_start, quiet_end=quiet_end,
                quiet_mode=quiet_mode or "silent", summary_length=summary_length or "normal",
                mode=mode or "instant", digest_at=digest_at,
                also=() if bundle else tuple(name for sid, name in outlets.get(story_id, ()) if sid != shown_source),
                reply_to=alert_message if kind in (UPDATE, REPORT) and alert_state == SENT else None,
                edit_of=alert_message if kind == EDIT and alert_state == SENT else None,
                alert_state=alert_state, items=listed, period=period,
                span=(listed[0].published, listed[-1].published) if listed else None,
            )
        )
    return jobs


def _source_count():
    """How many outlets carry the row's story (correlated to ``Story``)."""
    return (
        select(func.count(func.distinct(Article.source_id)))
        .where(Article.story_id == Story.id)
        .correlate(Story)
        .scalar_subquery()
    )


def _outlets(session: Session, story_ids: set[int]) -> dict[int, list[tuple[int, str]]]:
    """Each story's outlets (source id, name) in the order their first article arrived."""
    if not story_ids:
        return {}
    first = func.min(Article.id)
    q = (
        select(Article.story_id, Article.source_id, Source.name, first)
        .join(Source, Source.id == Article.source_id)
        .where(Article.story_id.in_(story_ids))
        .group_by(Article.story_id, Article.source_id, Source.name)
        .order_by(Article.story_id, first)
    )
    found: dict[int, list[tuple[int, str]]] = {}
    for story_id, source_id, name, _ in session.execute(q):
        found.setdefault(story_id, []).append((source_id, name))
    return found


def _chat_alerts(session: Session, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, str | None]]:
    """The state and message id of each (chat, story)'s alert row."""
    if not pairs:
        return {}
    q = select(Delivery.chat_id, Delivery.story_id, Delivery.state, Delivery.message_id).where(
        Delivery.kind == ALERT, tuple_(Delivery.chat_id, Delivery.story_id).in_(sorted(set(pairs)))
    )
    return {(chat_id, story_id): (state, message_id) for chat_id, story_id, state, message_id in session.execute(q)}


def _items(session: Session, bundle_ids: list[int]) -> dict[int, list[JobItem]]:
    """The stories folded into each digest or archive row, one item per story, oldest first. A
    story whose alert is in the bundle shows its lead; one that came only as an update or report
    (its alert went out before) shows the newest such report."""
    if not bundle_ids:
        return {}
    own = Delivery.kind.in_([UPDATE, REPORT])
    published = case((own, Article.published_at), else_=Story.published_at)
    q = (
        select(
            Delivery.bundle_id, Delivery.kind, Story.id,
            case((own, Article.title), else_=Story.headline),
            Article.url,
            published,
            case((own, func.coalesce(Article.summary, Story.summary)), else_=Story.summary),
            _source_count(),
            Watchlist.slug,
        )
        .join(Story, Story.id == Delivery.story_id)
        .join(Watchlist, Watchlist.id == Delivery.watchlist_id)
        .join(Article, Article.id == func.coalesce(Delivery.article_id, Story.lead_article_id))
        .where(Delivery.bundle_id.in_(bundle_ids), Delivery.state == BUNDLED)
        .order_by(Delivery.bundle_id, published, Delivery.id)
    )
    chosen: dict[int, dict[int, tuple[bool, JobItem]]] = {}
    for bundle_id, kind, story_id, headline, url, when, summary, sources, topic in session.execute(q):
        item = JobItem(story_id, headline, url, when, summary, max(1, sources or 0), topic)
        stories = chosen.setdefault(bundle_id, {})
        had = stories.get(story_id)
        if had is None or (not had[0] and (kind == ALERT or when >= had[1].published)):
            stories[story_id] = (kind == ALERT, item)
    return {
        bundle_id: sorted((item for _, item in stories.values()), key=lambda i: (i.published, i.story_id))
        for bundle_id, stories in chosen.items()
    }


def _held_by(worker: str):
    """The row is still leased to this worker: nobody re-claimed it since."""
    return and_(Delivery.state == SENDING, Delivery.claimed_by == worker)


def renew(session: Session, worker: str, now: datetime, lease_s: float) -> int:
    """Extend the lease of every row this worker holds, so a slow send is not re-claimed."""
    result = session.execute(
        update(Delivery)
        .where(_held_by(worker))
        .values(lease_until=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def mark_sent(session: Session, delivery_id: int, worker: str, message_id: str, now: datetime) -> bool:
    """Record a message that went out. False when another worker holds the row now (it re-claimed
    it after our lease ran out): that worker owns the row, and ours is not written over it.

    A row nobody holds (pending again, or given up meanwhile) is still recorded as sent: the
    message did go out, and recording it is what keeps it from going out twice.
    """
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            or_(_held_by(worker), Delivery.state.in_([PENDING, FAILED])),
        )
        .values(
            state=SENT, message_id=message_id, sent_at=now, lease_until=None, last_error=None, failed_at=None,
            claimed_by=worker,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def mark_skipped(session: Session, delivery_id: int, worker: str, reason: str, now: datetime) -> bool:
    """Record a row deliberately not sent (a muted subscription), with the reason; False when the
    lease was lost. A skipped row is final: it is never claimed, retried or counted as failed."""
    done = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, _held_by(worker))
        .values(state=SKIPPED, lease_until=None, last_error=reason[:2000], failed_at=None)
    )
    return bool(done.rowcount)


def mark_held(session: Session, delivery_id: int, worker: str, period: str, closes: datetime) -> bool:
    """A digest subscription's row waits, held, for its period (``period``) to close at ``closes``;
    the digest job then folds it into that period's digest. False when the lease was lost."""
    done = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, _held_by(worker))
        .values(state=HELD, period=period, next_attempt_at=closes, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)


def mark_deferred(session: Session, delivery_id: int, worker: str, until: datetime) -> bool:
    """Put the row back until ``until`` (the chat's quiet hours end): not a failure, so neither the
    attempts nor the error (which the give-up age looks at) change. False when the row is no longer ours."""
    done = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, _held_by(worker))
        .values(state=PENDING, next_attempt_at=until, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)


def mark_retry(
    session: Session, delivery_id: int, worker: str, error: str, retry_at: datetime, count_attempt: bool = True
) -> bool:
    """Put the row back for later; only a failed try counts an attempt (it lengthens the backoff),
    a flood-control wait does not. False when the row is no longer ours."""
    values: dict = dict(state=PENDING, next_attempt_at=retry_at, lease_until=None, last_error=error[:2000])
    if count_attempt:
        values["attempts"] = Delivery.attempts + 1
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, _held_by(worker))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def mark_failed(
    session: Session, delivery_id: int, worker: str, error: str, now: datetime, state: str = FAILED
) -> bool:
    """Give the row up (a permanent answer). False when the row is no longer ours."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, _held_by(worker))
        .values(
            state=state, attempts=Delivery.attempts + 1, lease_until=None, last_error=error[:2000], failed_at=now
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class GivenUp:
    delivery_id: int
    chat_id: int
    watchlist_id: int
    created_at: datetime


def expire(session: Session, cutoff: datetime, now: datetime, limit: int = 1000) -> list[GivenUp]:
    """Give up the news alerts queued before ``cutoff`` that have been tried and keep failing.

    Only rows with a recorded failure (``last_error``) expire: an alert that simply waited (raqib
    was down, the queue was long) is sent late rather than dropped. Notices (raqib's own messages
    to owners) never expire. Rows are locked with SKIP LOCKED, so two workers sweeping at once
    neither deadlock nor fail the same row twice.
    """
    nobody_holds = or_(Delivery.state == PENDING, and_(Delivery.state == SENDING, Delivery.lease_until < now))
    q = (
        select(Delivery.id, Delivery.chat_id, Delivery.watchlist_id, Delivery.created_at)
        .join(Story, Story.id == Delivery.story_id)
        .where(nobody_holds, Delivery.created_at < cutoff, Delivery.last_error.is_not(None), Story.kind == "news")
        .order_by(Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
    )
    rows = [GivenUp(*row) for row in session.execute(q)]
    if not rows:
        return []
    hours = (now - cutoff).total_seconds() / 3600
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_([r.delivery_id for r in rows]))
        .values(
            state=FAILED,
            failed_at=now,
            lease_until=None,
            last_error=literal(f"gave up after {hours:g} h; last error: ") + func.coalesce(Delivery.last_error, ""),
        )
        .execution_options(synchronize_session=False)
    )
    return rows


# --- telling the owners ------------------------------------------------------------------------

NOTICE_SOURCE = "raqib outbox"  # the source a give-up notice's article is filed under
NOTICE_KIND = "internal"
NOTICE_LOCATION = "raqib:outbox"
_NOTICE_LOCK = 0x72617169  # "raqi": the advisory lock key that serializes notices on PostgreSQL


@dataclass(frozen=True)
class GiveUpSummary:
    """What a notice tells: how many alerts were given up since the previous notice, and since when."""

    count: int
    oldest: datetime
    last_error: str | None


NoticeText = Callable[[GiveUpSummary], tuple[str, str]]


def _notice_source(session: Session, now: datetime) -> Source:
    src = session.scalar(select(Source).where(Source.kind == NOTICE_KIND, Source.location == NOTICE_LOCATION))
    if src is None:
        src = Source(name=NOTICE_SOURCE, kind=NOTICE_KIND, location=NOTICE_LOCATION, interval_s=0,
                     created_at=now, error_count=0)
        session.add(src)
        session.flush()
    return src


def queue_give_up_notice(
    session: Session, owners: Iterable[str], now: datetime, render: NoticeText, anchor_watchlist: int | None = None
) -> int:
    """Tell the owners, through the outbox, that alerts were given up; returns rows queued.

    Coalesced: while the previous give-up notice still waits in the outbox (an outage holds it
    too), it is rewritten to count the new failures instead of queuing another, so an outage of
    many alerts makes one notice. A notice counts the news alerts given up since the last notice
    that left the queue. Like a feed's notice, it is a story of kind "notice".
    """
    addresses = sorted(set(owners))
    if not addresses:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _NOTICE_LOCK})
    src = _notice_source(session, now)
    # A notice counts the failures up to its last rewrite (last_updated); the next one counts on from there.
    notices = session.execute(
        select(Story.id, Story.last_updated)
        .join(Article, Article.id == Story.lead_article_id)
        .where(Article.source_id == src.id, Story.kind == "notice")
        .order_by(Story.id.desc())
        .limit(2)
    ).all()
    target: int | None = None
    since: datetime | None = None
    if notices:
        latest_id, latest_at = notices[0]
        left_queue = session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.story_id == latest_id, Delivery.state != PENDING)
        )
        if left_queue:
            since = latest_at
        else:
            target = latest_id
            since = notices[1][1] if len(notices) > 1 else None
    summary = _given_up_since(session, since)
    if summary is None:
        return 0
    headline, body = render(summary)
    if target is not None:
        story = session.get(Story, target)
        assert story is not None
        story.headline, story.summary, story.last_updated = headline, body, now
        return 0
    if anchor_watchlist is None:
        anchor_watchlist = session.scalar(select(Watchlist.id).order_by(Watchlist.id).limit(1))
    if anchor_watchlist is None:
        return 0
    from storage import articles as article_store  # local: storage.articles is heavier than the outbox needs
    from storage import chats as chat_store

    key = hashlib.sha256(f"give-up\n{now.isoformat()}\n{uuid.uuid4()}".encode()).hexdigest()
    story = article_store.create_notice(session, src.id, f"{NOTICE_LOCATION}#{key[:16]}", key, headline, body, now)
    targets = []
    for address in addresses:
        chat = chat_store.ensure_chat(session, address, now)
        if chat.active:
            targets.append((chat.id, anchor_watchlist, None))
    return enqueue(session, story.id, targets, now)


def _given_up_since(session: Session, since: datetime | None) -> GiveUpSummary | None:
    where = [Delivery.state == FAILED, Delivery.failed_at.is_not(None), Story.kind == "news"]
    if since is not None:
        where.append(Delivery.failed_at > since)
    count, oldest = session.execute(
        select(func.count(), func.min(Delivery.created_at)).join(Story, Story.id == Delivery.story_id).where(*where)
    ).one()
    if not count:
        return None
    last_error = session.scalar(
        select(Delivery.last_error).join(Story, Story.id == Delivery.story_id).where(*where)
        .order_by(Delivery.failed_at.desc(), Delivery.id.desc()).limit(1)
    )
    return GiveUpSummary(count, oldest, last_error)


# --- by hand (raqib outbox) ---------------------------------------------------------------------


def requeue(session: Session, now: datetime, include_failed: bool = False) -> dict[str, int]:
    """Make rows waiting on a backoff due now; with ``include_failed``, give failed rows of active
    chats another go. Their error (and for failed rows the attempts) is cleared, so the give-up age
    cannot fail them before they are tried: it applies again only if they fail again. Rows of
    chats that are gone (dead, or inactive) are left alone."""
    active = select(Chat.id).where(Chat.active.is_(True))
    waiting = session.execute(
        update(Delivery)
        .where(Delivery.state == PENDING, Delivery.next_attempt_at > now, Delivery.chat_id.in_(active))
        .values(next_attempt_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount or 0
    failed = 0
    if include_failed:
        failed = session.execute(
            update(Delivery)
            .where(Delivery.state == FAILED, Delivery.chat_id.in_(active))
            .values(state=PENDING, next_attempt_at=now, attempts=0, last_error=None, failed_at=None,
                    lease_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount or 0
    return {"waiting": waiting, "failed": failed}


@dataclass(frozen=True)
class OutboxRow:
    delivery_id: int
    chat: str
    story_id: int
    headline: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: str | None
    kind: str = ALERT


def list_rows(session: Session, states: list[str], limit: int = 50) -> list[OutboxRow]:
    """The oldest rows in these states, for ``raqib outbox list``."""
    q = (
        select(Delivery.id, Chat.address, Story.id, Story.headline, Delivery.state, Delivery.attempts,
               Delivery.created_at, Delivery.next_attempt_at, Delivery.last_error, Delivery.kind)
        .join(Chat, Chat.id == Delivery.chat_id)
        .join(Story, Story.id == Delivery.story_id)
        .where(Delivery.state.in_(states))
        .order_by(Delivery.created_at, Delivery.id)
        .limit(limit)
    )
    return [OutboxRow(*row) for row in session.execute(q)]


def release(session: Session, worker: str) -> int:
    """Hand back what this worker claimed but did not send (clean shutdown)."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == SENDING, Delivery.claimed_by == worker)
        .values(state=PENDING, lease_until=None)
    )
    return result.rowcount or 0


def drop_chat_backlog(session: Session, chat_id: int, reason: str) -> int:
    """A chat that blocked or left us gets nothing more: its waiting rows (held ones too) become dead."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.state.in_([PENDING, SENDING, HELD]))
        .values(state=DEAD, last_error=reason, lease_until=None)
    )
    return result.rowcount or 0


def counts(session: Session) -> dict[str, int]:
    return {state: n for state, n in session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))}
