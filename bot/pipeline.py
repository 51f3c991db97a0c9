"""The one place that owns the order of the stages.

source (already cleaned) → analyze (hashes, fingerprint, search keys; for a new story also match,
summary, event date; for an update its own summary) → one write transaction holding SQL only: lock
the article's LSH bands, exact dedup, near-dup/story, store + outbox.

A known story is joined four ways: a copy or a text contained in a stored one joins silently
(``JOINED``, ``dedup.relation``); another outlet's report of the same event in its own words joins
silently too (``JOINED``, "same event as article N": ``bot.text.events``, looked up in the short
read among the reports sharing a key within two days, and in memory among a batch's earlier
articles); both re-draw the chats' alerts with the outlets that carried it (coalesced edits). A
text that holds a stored report plus a development of its own joins and is delivered as an update
to the chats that had the story's alert (``UPDATE``). Template news
(the same agency wording about another head of state or another price) is told apart by its words
(``dedup.distinct_reports``, checked once per candidate in the short read before the write).

Storing the article, its story, its topic matches and its outbox rows is one transaction, so a
crash leaves either all of it or none of it; the CPU work is done before it opens, so a long
article never holds the database's write lock.

Bulk ingest (``process_many``: ``raqib ingest``, a feed poll with many new items) stores a batch
of articles per write transaction: one short read for the batch (its duplicates, bands and
same-event candidates in a few statements), the drafts made, then one write that takes the batch's
duplicates and bands from that read when nothing was committed since (SQLite: ``Snapshot``), else
reads them once (``storage.articles.BatchLookup``), stores the articles in order (each sees the
ones before it) and writes their band, search, same-event and story-count rows together.
The outcomes are those of one article at a time; an article whose write fails sends its batch
back to be stored one article at a time, so only it fails.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable, Iterable, Iterator, Sequence

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.text import dedup, events
from bot.text.analysis import Analyzed
from bot.article import Article, sanitize, storable, utcnow
from bot.text.eventdates import event_date
from bot.text.matching import TopicMatch
from bot.search import index_keys
from bot.text.summarize import summarize
from bot.topics import TopicIndex
from storage import articles as article_store
from storage import chats as chat_store
from storage import events as event_store
from storage import joins as join_store
from storage import outbox
from storage import search as search_store
from storage import watchlists as watchlist_store
from storage.db import read_transaction, transaction

log = logging.getLogger(__name__)

NEW, JOINED, DUPLICATE, FAILED = "new", "joined", "duplicate", "failed"
# A later report of a known story that adds a development: stored in the story and delivered as an
# update to the chats that had the story's alert.
UPDATE = "update"
# ``Match.relation`` of another outlet's report of the same event in its own words
# (``bot.text.events``): it joins the story like a copy (an edit of the alert, no new alert), and
# its outcome's detail says "same event as article N".
SAME_EVENT = "event"
MIN_BODY_WORDS = 12
# Stored same-event profiles kept parsed (``Pipeline._stored_profile``): a few hours of reports.
PROFILE_CACHE = 4096
# Which stored article a new one is matched to when several qualify: a copy first (silent), then a
# text that holds the new one (silent), then one the new text extends (an update).
_RELATION_ORDER = {dedup.COPY: 0, dedup.CONTAINED: 1, dedup.UPDATE: 2}
# PostgreSQL's deadlock and serialization failures: the transaction is retried, not the article lost.
_RETRY_SQLSTATES = frozenset({"40P01", "40001"})
_ATTEMPTS = 3
# Articles stored per write transaction in bulk (``process_many``): a commit per article cost more
# than storing it (on SQLite ~358 KiB of WAL each); a batch of 100 holds the write lock well under a
# second, so the delivery worker's marks never wait long.
BATCH = 100


@dataclass(frozen=True)
class Outcome:
    status: str
    url: str
    story_id: int | None = None
    topics: tuple[str, ...] = ()
    queued: int = 0
    detail: str = ""
    # A JOINED article's ``Match.relation``: a copy (``dedup`` relations) or ``SAME_EVENT``.
    relation: str = ""


@dataclass
class PollReport:
    """What one poll of one source produced, whatever kind of source it is."""

    source: str
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None

    def count(self, status: str, relation: str | None = None) -> int:
        return sum(1 for o in self.outcomes
                   if o.status == status and (relation is None or o.relation == relation))


def short_body(article: Article) -> bool:
    """A body of a few words (a cartoon, a photo item, a byline left by a failed extraction) is too
    short to fingerprint: its shingles would be a few stock words that many items share."""
    # At most MIN_BODY_WORDS + 1 pieces: the same answer without splitting a long body whole.
    return len(article.body.split(maxsplit=MIN_BODY_WORDS)) < MIN_BODY_WORDS


def dedup_text(article: Article) -> str:
    """The body identifies a report; a short body does not, so then the title is part of the
    identity too (its exact hash only: ``Pipeline.analyze`` gives it no fingerprint)."""
    if short_body(article):
        return f"{article.title}\n{article.body}"
    return article.body


@dataclass(frozen=True)
class Match:
    """The stored article a new one belongs with, and how (``dedup.relation``)."""

    story_id: int
    article_id: int
    relation: str


@dataclass(frozen=True)
class StoryDraft:
    """What a new story needs besides SQL: made before the write transaction opens."""

    summary: str
    event_date: datetime
    matches: tuple[TopicMatch, ...]
    topics_version: int | None


@dataclass
class EventLook:
    """The short read's same-event decision for one article, reused by its write (like
    ``Analysis.verdicts``): the stored report it joins (``match``), or the earlier article of its
    own batch it joins (``lead``, not stored when the read ran); and, once the write stored the
    article, its (article id, story id), which a later article of the batch joining it reads."""

    match: events.EventMatch | None = None
    lead: "Analysis | None" = None
    stored: tuple[int, int] | None = None
    # What the decision weighed for ``match`` (``events.evidence``), recorded with the join
    # (``storage.joins``) for «لماذا؟» and ``raqib explain``.
    why: events.Evidence | None = None


@dataclass(frozen=True)
class Analysis:
    """An article analyzed once, before any transaction: every stage reads from here."""

    article: Article
    body_hash: str
    fingerprint: dedup.Fingerprint
    band_keys: list[int]
    search_keys: str
    text: Analyzed = field(compare=False)
    # Stored article id → why it is another report (None: it is not): the word check of a candidate
    # runs once, in the short read before the write transaction, and is reused inside it.
    verdicts: dict[int, str | None] = field(default_factory=dict, compare=False)
    # Stored article id → ``dedup.relation`` of the new fingerprint to its (the same reuse).
    relations: dict[int, str | None] = field(default_factory=dict, compare=False)
    # The same-event profile (``bot.text.events``) with its JSON and index keys, made here so the
    # write only stores them; None for a short body (too few words to weigh).
    event: events.EventProfile | None = field(default=None, compare=False)
    event_json: str = field(default="", compare=False)
    event_keys: list[int] = field(default_factory=list, compare=False)
    look: EventLook = field(default_factory=EventLook, compare=False)


class _NeedsDraft(Exception):
    """The write transaction found a new story (or changed watchlists) the analysis did not
    prepare for: roll back, prepare outside the transaction, try again."""


class _NeedsUpdateSummary(Exception):
    """The write transaction found the article to be an update, which the analysis did not
    summarize: roll back, summarize outside the transaction, try again."""


@dataclass(frozen=True)
class Ready:
    """An article analyzed before it reached the pipeline (``bot.sources.analysis_pool``: in a
    worker process), with the draft it would need as a new story, made on speculation (None: not
    made); ``process_many`` stores it like an ``Article``, and redoes a draft made with watchlists
    that changed since."""

    analysis: Analysis
    draft: StoryDraft | None = None


@dataclass
class _Prepared:
    """An article of a batch between its analysis and its write: what was made for it so far."""

    analysis: Analysis
    alert: bool
    draft: StoryDraft | None = None
    update_summary: str | None = None
    rounds: int = 0


@dataclass
class _WriteContext:
    """What one write transaction reads once for all its articles: the watchlists' version (a
    change commits an edit row; inside one transaction SQLite cannot see one, and PostgreSQL sees it
    at worst one batch late, as one article's transaction would at its own start), the chats
    subscribed to a set of topics, and (a batch) its duplicate lookups."""

    lookup: article_store.BatchLookup | None = None
    _version: int | None = None
    _subscribers: dict[tuple[int, ...], list] = field(default_factory=dict)

    def topics_version(self, session: Session) -> int:
        if self._version is None:
            self._version = watchlist_store.version(session)
        return self._version

    def subscribers(self, session: Session, watchlist_ids: list[int]) -> list:
        key = tuple(sorted(watchlist_ids))
        if key not in self._subscribers:
            self._subscribers[key] = chat_store.subscribers(session, watchlist_ids)
        return self._subscribers[key]


def _sqlstate(exc: OperationalError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


class Pipeline:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        dedup_window: timedelta = timedelta(days=14),
        clock: Callable[[], datetime] = utcnow,
        topics: TopicIndex | None = None,
        same_event: bool = True,
    ) -> None:
        self._factory = factory
        self._window = dedup_window
        # [events] same_event: other outlets' reports of a story's event, in their own words, join it.
        self.same_event = same_event
        # Stored profiles read back (JSON → profile with its text), the most recent kept: a report
        # is a candidate for many later ones, and its parse and derived term tables cost more than
        # the lookup. Keyed by the JSON itself, so an id reused after a rollback never misleads.
        self._profiles: OrderedDict[str, events.EventProfile] = OrderedDict()
        self._profiles_lock = threading.Lock()  # feed polls may share the pipeline across threads
        self._clock = clock
        self.topics = topics or TopicIndex()

    def process_many(
        self, source_id: int, articles: Iterable[Article | Ready], *,
        alert: bool | Callable[[Article], bool] = True, batch: int = BATCH,
    ) -> Iterator[Outcome]:
        """Store many articles, ``batch`` per write transaction, one outcome each, in order.

        Each article is still its own unit: its story, topic matches and outbox rows are stored with
        it, and an article that cannot be stored costs only itself (the batch is rolled back and its
        articles stored one at a time, so the others are kept). ``alert`` as for ``process``, or
        a function telling it per article (called with the article as given). An item may come
        analyzed already (``Ready``): its CPU stages are not run again."""
        chunk: list[Article | Ready] = []
        for article in articles:
            chunk.append(article)
            if len(chunk) >= batch:
                yield from self._process_batch(source_id, chunk, alert)
                chunk = []
        if chunk:
            yield from self._process_batch(source_id, chunk, alert)

    def process(self, source_id: int, article: Article, *, alert: bool = True) -> Outcome:
        """Store one article; never raises: an article that cannot be stored costs only itself and
        comes back as a ``FAILED`` outcome whose ``detail`` says why (logged once).

        ``alert=False`` stores and matches the article but queues no alert (a new feed's first
        fetch, an item older than the configured age): later copies still count as seen."""
        try:
            return self._process(source_id, sanitize(article), alert)
        except Exception as exc:  # one bad item must not stop the batch or the feed behind it
            return self._failed(article, exc)

    def prune_events(self) -> int:
        """Drop the same-event keys of articles published and stored before the copy window and the
        event window (``raqib run``, hourly): no new report reaches them any more, and the key table
        stays the size of a few weeks. A backlog of old articles ingested lately keeps its keys."""
        cutoff = self._clock() - self._window - timedelta(hours=events.WINDOW_HOURS)
        with transaction(self._factory) as session:
            return event_store.prune(session, cutoff, stored_before=cutoff)

    @staticmethod
    def _failed(article: Article, exc: Exception) -> Outcome:
        reason = storable(" ".join(f"{type(exc).__name__}: {exc}".split()))[:300]
        log.warning("could not store %s: %s", str(article.url)[:200], reason)
        log.debug("store failure of %s", str(article.url)[:200], exc_info=True)
        return Outcome(FAILED, storable(str(article.url)), detail=reason)

    def analyze(self, article: Article) -> Analysis:
        """The CPU stages every stored article needs (hashes, fingerprint, search keys), from one
        analysis of its text (``bot.text.analysis``: the body is normalized once for all stages)."""
        analyzed = Analyzed(article.title, article.body)
        # A short body gets an empty fingerprint (no bands): only URL, guid or title + body match it.
        short = short_body(article)
        if short:
            text = dedup_text(article)
            fingerprint = dedup.fingerprint("")
            band_keys = fingerprint.band_keys()
            body_hash = dedup.body_hash(text)
        else:
            text, words = article.body, analyzed.body_words
            fingerprint = dedup.fingerprint(text, words)
            # The lead's keys make a heavily trimmed copy a candidate (dedup.lead_band_keys).
            band_keys = fingerprint.band_keys() + dedup.lead_band_keys(text, words)
            body_hash = dedup.body_hash(text, analyzed.body_key)
        profile = None
        # A file's modification time is not a publication time (a folder copied at once shares
        # one): an article placed in time by nothing else can't be shown to be within the event
        # window of another report, so it neither joins an event nor is joined to one (copies still
        # join: they need no time).
        if not short and self.same_event and article.date_source != "mtime":
            profile = events.event_key(article.title, article.body, article.published_at,
                                       body_words=analyzed.body_words, date_source=article.date_source)
        return Analysis(
            article, body_hash, fingerprint, band_keys,
            # Indexed by add_article in the write transaction: search never lags behind the store.
            index_keys(article.title, article.body, analyzed),
            analyzed,
            event=profile,
            event_json=profile.to_json() if profile is not None else "",
            event_keys=profile.keys() if profile is not None else [],
        )

    def draft(self, article: Article, analyzed: Analyzed | None = None) -> StoryDraft:
        """The CPU stages of a new story: match (against watchlists refreshed by a short read),
        summary and event date."""
        with read_transaction(self._factory) as session:
            self.topics.refresh(session)
        return self._draft(article, analyzed)

    def _draft(self, article: Article, analyzed: Analyzed | None = None) -> StoryDraft:
        # Version first: a refresh between the two reads then only causes a needless re-match.
        version = self.topics.version
        analyzed = analyzed or Analyzed(article.title, article.body)
        matches = tuple(self.topics.matcher.match(article.title, article.body, analyzed))
        return StoryDraft(
            summarize(article.title, article.body, analyzed=analyzed),
            event_date(article.title, article.body, article.published_at, article.date_source),
            matches,
            version,
        )

    def _process(self, source_id: int, article: Article, alert: bool) -> Outcome:
        return self._process_analyzed(source_id, self.analyze(article), alert)

    def _process_analyzed(
        self, source_id: int, analysis: Analysis, alert: bool, prepared: _Prepared | None = None
    ) -> Outcome:
        """One article, one write transaction (retried on a deadlock); ``prepared``: what a batch
        already read and made for it, so nothing is done twice."""
        article = analysis.article
        if prepared is None:
            # A short read first: a duplicate (most items of a re-polled feed) or a copy of a known
            # story needs no summary; a new story gets its draft made here, outside the write
            # transaction.
            with read_transaction(self._factory) as session:
                outcome, known = self._look(session, source_id, analysis)
                if outcome is not None:
                    return outcome
                if known is None:
                    self.topics.refresh(session)
            prepared = _Prepared(analysis, alert)
            self._prepare(prepared, known)
        draft, update_summary = prepared.draft, prepared.update_summary
        attempt = 0
        while True:
            attempt += 1
            try:
                with transaction(self._factory) as session:
                    return self._store(session, source_id, analysis, draft, alert, update_summary)
            except _NeedsDraft:
                draft = self.draft(article, analysis.text)
            except _NeedsUpdateSummary:
                update_summary = self._update_summary(article, analysis.text)
            except IntegrityError:
                # Another worker stored the same URL, guid or body between our check and our insert.
                with read_transaction(self._factory) as session:
                    dup_key = article_store.exact_duplicate(
                        session, source_id, article.url, article.guid, analysis.body_hash
                    )
                if dup_key is None:
                    raise
                log.info("concurrent duplicate of %s", article.url)
                return Outcome(DUPLICATE, article.url, detail=f"same {dup_key} stored concurrently by another worker")
            except OperationalError as exc:
                if _sqlstate(exc) not in _RETRY_SQLSTATES or attempt >= _ATTEMPTS:
                    raise
                log.info("retrying %s after %s", article.url, _sqlstate(exc))
            if attempt >= _ATTEMPTS:
                raise RuntimeError("watchlists kept changing while the article was stored")

    def _look(self, session: Session, source_id: int, analysis: Analysis) -> tuple[Outcome | None, Match | None]:
        """The short read before the write: a stored duplicate (the outcome), else the known story
        the article belongs with, if any."""
        article = analysis.article
        dup_key = article_store.exact_duplicate(session, source_id, article.url, article.guid, analysis.body_hash)
        if dup_key is not None:
            return Outcome(DUPLICATE, article.url, detail=f"same {dup_key} as a stored article"), None
        known = self._match(session, self._clock(), analysis)
        return None, known if known is not None else self._event(session, analysis)

    def _event(
        self, session: Session, analysis: Analysis, earlier: Sequence[Analysis] = (), rows: list | None = None,
    ) -> Match | None:
        """In the short read, for an article that is no copy: the story of the same event it joins,
        if any (``bot.text.events.best_event`` over the stored reports sharing a key within
        ``WINDOW_HOURS`` of its publication, with their texts for the template check, and over the
        ``earlier`` articles of its batch, which the read cannot see yet). The decision is kept on
        the analysis for the write. An earlier batch article it joins has no story id yet: the
        Match then carries a negative placeholder, and the write finds the story that article got."""
        look = analysis.look
        look.match, look.lead, look.why = None, None, None
        profile = analysis.event
        if profile is None or not self.same_event:
            return None
        at = analysis.article.published_at
        window = timedelta(hours=events.WINDOW_HOURS)
        # Stored reports in the copy window only: a story stays open to other outlets as long as to
        # copies (and the cost stays that of a bounded window).
        if rows is None:  # else a batch's short read found them for all its articles at once
            rows = event_store.candidates(session, analysis.event_keys, at - window, at + window,
                                          events.CANDIDATES, with_text=True,
                                          stored_since=self._clock() - self._window)
        found: list = [row for row in (self._stored_profile(*row) for row in rows) if row is not None]
        keys = set(analysis.event_keys)
        for n, other in enumerate(earlier):
            if other.event is not None and not keys.isdisjoint(other.event_keys):
                found.append((-1 - n, -1 - n, other.event))
        match = events.best_event(profile, found)
        if match is None:
            return None
        look.match = match
        if match.article_id < 0:
            look.lead = earlier[-1 - match.article_id]
        chosen = next(p for _, article_id, p in found if article_id == match.article_id)
        try:
            look.why = events.evidence(profile, chosen)
        except Exception:  # an explanation must never cost the article its join
            log.warning("no evidence for %s", analysis.article.url, exc_info=True)
        return Match(match.story_id, match.article_id, SAME_EVENT)

    def _stored_profile(self, story_id: int, article_id: int, text: str, body: str | None) -> tuple | None:
        """A candidate row with its profile parsed (cached); None for a profile of another version."""
        with self._profiles_lock:
            profile = self._profiles.get(text)
            if profile is not None:
                self._profiles.move_to_end(text)
                return story_id, article_id, profile
        try:
            profile = events.EventProfile.from_json(text)
        except (ValueError, KeyError, TypeError):
            return None
        if body is not None:
            profile = replace(profile, body=body)
        with self._profiles_lock:
            self._profiles[text] = profile
            if len(self._profiles) > PROFILE_CACHE:
                self._profiles.popitem(last=False)
        return story_id, article_id, profile

    def _events_in_batch(
        self, session: Session, pending: list[tuple[int, "_Prepared", Match | None]]
    ) -> list[tuple[int, "_Prepared", Match | None]]:
        """The batch read's same-event decisions, in order: an article that is no copy is compared
        with the stored reports and, in memory, with the batch's earlier articles (stored before it
        by the write, so one by one it would have read them): batched outcomes are those of one
        article at a time."""
        if not self.same_event:
            return pending
        earlier: list[Analysis] = []
        seen: set[tuple[str, str | None]] = set()
        decided = []
        # The stored candidates of every article that is no copy, in two statements for the batch.
        asking = [p.analysis for _, p, known in pending if known is None and p.analysis.event is not None]
        window = timedelta(hours=events.WINDOW_HOURS)
        found = event_store.candidates_many(
            session, [(a.event_keys, a.article.published_at - window, a.article.published_at + window) for a in asking],
            events.CANDIDATES, with_text=True, stored_since=self._clock() - self._window,
        )
        stored = {id(a): rows for a, rows in zip(asking, found)}
        for i, prepared, known in pending:
            analysis = prepared.analysis
            if known is None:
                known = self._event(session, analysis, earlier, stored.get(id(analysis)))
            else:
                analysis.look.match, analysis.look.lead, analysis.look.why = None, None, None
            # A repeat of an earlier batch article (its URL, guid or text again) is a duplicate the
            # write will not store: only the first is a report to join.
            article = analysis.article
            ids = {("url", article.url), ("guid", article.guid), ("body", analysis.body_hash)}
            if analysis.event is not None and not ids & seen:
                earlier.append(analysis)
            seen |= {k for k in ids if k[1] is not None}
            decided.append((i, prepared, known))
        return decided

    def _event_join(self, session: Session, analysis: Analysis) -> Match | None:
        """In the write: the story the read decided the article joins as a report of its event, if
        that still holds (the stored report is still in a news story; an earlier article of the
        batch was stored, and where). None: the article starts a story after all."""
        look = analysis.look
        if look.match is None or not self.same_event:
            return None
        if look.lead is None:
            story_id = event_store.story_of(session, look.match.article_id)
            article_id = look.match.article_id
        elif look.lead.look.stored is not None:
            article_id, _ = look.lead.look.stored
            story_id = event_store.story_of(session, article_id, look.lead.article.url)
        else:
            return None
        return None if story_id is None else Match(story_id, article_id, SAME_EVENT)

    def _prepare(self, prepared: _Prepared, known: Match | None) -> None:
        """The CPU a write will need, made before it opens: a new story's draft, an update's summary."""
        article = prepared.analysis.article
        draft = prepared.draft  # made on speculation by a worker process (``Ready``), if any
        if known is None:
            if draft is None or draft.topics_version != self.topics.version:
                prepared.draft = self._draft(article, prepared.analysis.text)
        elif known.relation == dedup.UPDATE:
            # An update's summary is the one a new story's draft holds (``_update_summary``).
            prepared.update_summary = (
                draft.summary if draft is not None else self._update_summary(article, prepared.analysis.text)
            )

    def _process_batch(
        self, source_id: int, items: list[Article | Ready], alert: bool | Callable[[Article], bool]
    ) -> list[Outcome]:
        """Store ``items`` in as few write transactions as possible, with the outcomes ``process``
        would give one by one (an article reads every article stored before it, in the batch too)."""
        articles = [item.analysis.article if isinstance(item, Ready) else item for item in items]
        outcomes: list[Outcome | None] = [None] * len(articles)
        todo: list[tuple[int, _Prepared]] = []
        for i, (raw, item) in enumerate(zip(articles, items)):
            try:
                wanted = alert(raw) if callable(alert) else alert
                if isinstance(item, Ready):
                    todo.append((i, _Prepared(item.analysis, wanted, item.draft)))
                else:
                    todo.append((i, _Prepared(self.analyze(sanitize(raw)), wanted)))
            except Exception as exc:  # one bad item costs only itself
                outcomes[i] = self._failed(raw, exc)
        # One short read for the batch: stored duplicates, and which articles need a draft.
        try:
            with read_transaction(self._factory) as session:
                pending: list[tuple[int, _Prepared, Match | None]] = []
                # What this read finds, the write reuses if nothing was committed in between (SQLite).
                snapshot = article_store.Snapshot()
                dups = article_store.exact_duplicates(session, source_id, [
                    (p.analysis.article.url, p.analysis.article.guid, p.analysis.body_hash) for _, p in todo
                ], snapshot)
                now = self._clock()
                fresh = [(i, p) for (i, p), dup in zip(todo, dups) if dup is None]
                nears = article_store.near_candidates_many(
                    session, [p.analysis.band_keys for _, p in fresh], now - self._window, snapshot=snapshot
                )
                snapshot.seal(session)
                for (i, prepared), dup_key in zip(todo, dups):
                    if dup_key is not None:
                        url = prepared.analysis.article.url
                        outcomes[i] = Outcome(DUPLICATE, url, detail=f"same {dup_key} as a stored article")
                for (i, prepared), candidates in zip(fresh, nears):
                    pending.append((i, prepared, self._match(session, now, prepared.analysis, candidates)))
                pending = self._events_in_batch(session, pending)
                if any(known is None for _, _, known in pending):
                    self.topics.refresh(session)
        except Exception:
            log.warning("batch read failed; storing its %d articles one at a time", len(todo), exc_info=True)
            pending = [(i, p, None) for i, p in todo if outcomes[i] is None]
            return self._one_by_one(source_id, articles, outcomes, [(i, p) for i, p, _ in pending], fresh=True)
        queue: list[tuple[int, _Prepared]] = []
        for i, prepared, known in pending:
            try:
                self._prepare(prepared, known)
                queue.append((i, prepared))
            except Exception as exc:
                outcomes[i] = self._failed(articles[i], exc)
        while queue:
            try:
                stored, stopped = self._write_batch(source_id, queue, snapshot)
            except Exception as exc:
                # Rolled back whole: store the batch's articles one at a time, so only a bad one fails.
                log.info("batch of %d not stored (%s); storing its articles one at a time", len(queue),
                         type(exc).__name__)
                return self._one_by_one(source_id, articles, outcomes, queue, fresh=False)
            for (i, _), outcome in zip(queue, stored):
                outcomes[i] = outcome
            queue = queue[len(stored):]
            if stopped is not None and queue:
                # The write found what the read could not see (an earlier article of this batch):
                # the next article needs a draft or an update summary; made now, outside it.
                i, prepared = queue[0]
                prepared.rounds += 1
                try:
                    if prepared.rounds > _ATTEMPTS:
                        raise RuntimeError("watchlists kept changing while the article was stored")
                    analysis = prepared.analysis
                    if stopped is _NeedsDraft:
                        prepared.draft = self.draft(analysis.article, analysis.text)
                    else:
                        prepared.update_summary = self._update_summary(analysis.article, analysis.text)
                except Exception as exc:
                    outcomes[i] = self._failed(articles[i], exc)
                    queue = queue[1:]
        return [o for o in outcomes if o is not None]

    def _write_batch(
        self, source_id: int, queue: list[tuple[int, _Prepared]], snapshot: article_store.Snapshot | None = None,
    ) -> tuple[list[Outcome], type[Exception] | None]:
        """One write transaction storing the queue's articles in order, until one needs CPU the read
        did not foresee (its exception type is returned; the ones before it are committed).
        ``snapshot``: the batch's short read, reused when still true (``article_store.Snapshot``)."""
        stored: list[Outcome] = []
        stopped: type[Exception] | None = None
        with transaction(self._factory) as session:
            # Every band of the batch locked at once, in one sorted sweep: two batch writers then
            # never wait for each other in opposite orders.
            article_store.lock_bands(session, [k for _, p in queue for k in p.analysis.band_keys])
            # The batch's duplicate lookups read once; its band and search rows written at its end
            # (add_article reads these).
            lookup = article_store.BatchLookup(session, source_id, [
                (p.analysis.article.url, p.analysis.article.guid, p.analysis.body_hash, p.analysis.band_keys)
                for _, p in queue
            ], self._clock() - self._window, snapshot)
            context = _WriteContext(lookup)
            session.info[article_store.BATCH_LOOKUP] = lookup
            bands = session.info[article_store.BAND_BUFFER] = []
            index = session.info[article_store.INDEX_BUFFER] = search_store.IndexBuffer()
            profiles = session.info[event_store.PROFILE_BUFFER] = []
            counts = session.info[article_store.STORY_COUNTS] = article_store.StoryCounts()
            joins = session.info[join_store.JOIN_BUFFER] = []
            for _, prepared in queue:
                try:
                    stored.append(self._store(
                        session, source_id, prepared.analysis, prepared.draft, prepared.alert,
                        prepared.update_summary, context,
                    ))
                except (_NeedsDraft, _NeedsUpdateSummary) as exc:
                    stopped = type(exc)
                    break
            for key in (article_store.INDEX_BUFFER, article_store.BAND_BUFFER, article_store.BATCH_LOOKUP,
                        event_store.PROFILE_BUFFER, article_store.STORY_COUNTS, join_store.JOIN_BUFFER):
                del session.info[key]
            counts.flush(session)
            join_store.write(session, joins)
            article_store.write_bands(session, bands)
            event_store.write_profiles(session, profiles)
            index.flush(session.connection())
        return stored, stopped

    def _one_by_one(
        self, source_id: int, articles: list[Article], outcomes: list[Outcome | None],
        queue: list[tuple[int, _Prepared]], fresh: bool,
    ) -> list[Outcome]:
        for i, prepared in queue:
            # What was decided about articles of a rolled-back batch is forgotten: SQLite may give
            # their ids to other articles.
            prepared.analysis.relations.clear()
            prepared.analysis.verdicts.clear()
            try:
                outcomes[i] = self._process_analyzed(
                    source_id, prepared.analysis, prepared.alert, None if fresh else prepared
                )
            except Exception as exc:
                outcomes[i] = self._failed(articles[i], exc)
        return [o for o in outcomes if o is not None]

    @staticmethod
    def _update_summary(article: Article, analyzed: Analyzed | None = None) -> str:
        """An update's alert shows the new report: its own summary, made like a story's."""
        return summarize(article.title, article.body, analyzed=analyzed)

    def _store(
        self, session: Session, source_id: int, analysis: Analysis, draft: StoryDraft | None, alert: bool = True,
        update_summary: str | None = None, context: _WriteContext | None = None,
    ) -> Outcome:
        """SQL only: every CPU stage ran before this transaction opened. ``context``: a batch's
        transaction, whose bands are locked already."""
        article = analysis.article
        if context is None:
            # Locks first: the exact and near-duplicate lookups below must see whatever a worker
            # holding one of these bands committed, and no other worker may assign a story to them
            # until we commit.
            article_store.lock_bands(session, analysis.band_keys)
        now = self._clock()
        lookup = context.lookup if context is not None else None
        if lookup is not None:
            dup_key = lookup.exact(source_id, article.url, article.guid, analysis.body_hash)
        else:
            dup_key = article_store.exact_duplicate(session, source_id, article.url, article.guid, analysis.body_hash)
        if dup_key is not None:
            return Outcome(DUPLICATE, article.url, detail=f"same {dup_key} as a stored article")

        new = article_store.NewArticle(
            source_id=source_id,
            url=article.url,
            guid=article.guid,
            title=article.title,
            body=article.body,
            published_at=article.published_at,
            date_source=article.date_source,
            fetched_at=now,
            body_hash=analysis.body_hash,
            fingerprint=analysis.fingerprint.to_bytes(),
            band_keys=analysis.band_keys,
            search_keys=analysis.search_keys,
        )
        known = self._match(session, now, analysis, lookup.near(analysis.band_keys) if lookup is not None else None)
        if known is None:
            known = self._event_join(session, analysis)
        if known is not None and known.relation == dedup.UPDATE:
            if update_summary is None:
                raise _NeedsUpdateSummary()
            article_id = self._add(session, known.story_id, replace(new, summary=update_summary), analysis)
            self._record_join(session, article_id, known, analysis)
            detail = f"update of story {known.story_id} (extends article {known.article_id})"
            if not alert:
                return Outcome(UPDATE, article.url, known.story_id, detail=f"{detail}; stored without alert")
            queued = outbox.enqueue_update(session, known.story_id, article_id, now)
            # A subscriber that never had the story's alert (the story was stored without one: a
            # new feed's first fetch, an old item; or it subscribed since) gets the development as
            # the story's alert: a new development must not go silent for want of an earlier alert.
            if context is None:
                context = _WriteContext()
            unalerted = context.subscribers(session, article_store.story_watchlists(session, known.story_id))
            queued += outbox.enqueue(session, known.story_id, unalerted, now, article_id)
            return Outcome(UPDATE, article.url, known.story_id, queued=queued, detail=detail)
        if known is not None:
            article_id = self._add(session, known.story_id, new, analysis)
            self._record_join(session, article_id, known, analysis)
            if known.relation == SAME_EVENT:
                match = analysis.look.match
                score = f", score {match.score:.2f}" if match is not None else ""
                detail = f"same event as article {known.article_id} of story {known.story_id}{score}"
            else:
                how = "near-duplicate of" if known.relation == dedup.COPY else "contained in"
                detail = f"{how} story {known.story_id}"
            # Another outlet carrying the story: the chats' alerts are re-drawn with it (coalesced),
            # or, for an every-report subscription, the report is sent.
            queued = outbox.enqueue_followups(session, known.story_id, article_id, now) if alert else 0
            return Outcome(JOINED, article.url, known.story_id, queued=queued, detail=detail,
                           relation=known.relation or "")

        if context is None:
            context = _WriteContext()
        if draft is None or draft.topics_version != context.topics_version(session):
            raise _NeedsDraft()
        matches = draft.matches
        story_id = article_store.insert_story(
            session, article.title, draft.summary, article.published_at, now, draft.event_date
        )
        self._add(session, story_id, new, analysis)
        priority = {}
        for rank, m in enumerate(matches):
            wid = self.topics.watchlist_id(m.slug)
            priority[wid] = rank
            article_store.add_story_topic(session, story_id, wid, list(m.terms), now)
        if not alert:
            return Outcome(NEW, article.url, story_id, tuple(m.slug for m in matches), 0, detail="stored without alert")
        # A chat subscribed to several matched topics gets one alert, tagged with the first topic.
        targets = sorted(context.subscribers(session, list(priority)), key=lambda t: (t[0], priority[t[1]]))
        queued = outbox.enqueue(session, story_id, targets, now)
        return Outcome(NEW, article.url, story_id, tuple(m.slug for m in matches), queued)

    def _add(self, session: Session, story_id: int, new: article_store.NewArticle, analysis: Analysis) -> int:
        """Store the article in its story with its same-event profile (same transaction: a crash
        leaves both or neither), and note where it went for a later article of its batch."""
        article_id = article_store.add_article(session, story_id, new)
        if analysis.event is not None and self.same_event:
            event_store.add_profile(session, article_id, new.published_at, analysis.event_json, analysis.event_keys)
        analysis.look.stored = (article_id, story_id)
        return article_id

    @staticmethod
    def _record_join(session: Session, article_id: int, known: Match, analysis: Analysis) -> None:
        """Why the article joined a known story (its relation to the stored article it was matched
        to; for the same event, the decision's evidence), stored with it for «لماذا؟»."""
        why = analysis.look.why if known.relation == SAME_EVENT else None
        join_store.record(session, article_id, known.article_id, known.relation,
                          why.to_dict() if why is not None else None)

    def _match(
        self, session: Session, now: datetime, analysis: Analysis,
        candidates: list[article_store.Candidate] | None = None,
    ) -> Match | None:
        """The stored article the new one is a copy of, is contained in, or extends.

        Look among articles stored since the window's start: bounded cost, however large the
        archive. No end: a copy stored by a worker whose clock runs ahead is still a copy. The
        signatures pick the candidates; their words then rule out template news (the same agency
        wording about another head of state, another day's prices: ``dedup.distinct_reports``).
        """
        found: list[tuple[int, int, article_store.Candidate, str]] = []
        if candidates is None:  # else a batch's short read found them for all its articles at once
            candidates = article_store.near_candidates(session, analysis.band_keys, now - self._window)
        relations = analysis.relations
        for rank, cand in enumerate(candidates):
            # A stored fingerprint never changes: the write reuses what the short read decided.
            if cand.article_id in relations:
                how = relations[cand.article_id]
            else:
                how = relations[cand.article_id] = dedup.relation(
                    analysis.fingerprint, dedup.Fingerprint.from_bytes(cand.fingerprint)
                )
            if how is not None:
                found.append((_RELATION_ORDER[how], rank, cand, how))
        if not found:
            return None
        texts = article_store.article_texts(
            session, [cand.article_id for _, _, cand, _ in found if cand.article_id not in analysis.verdicts]
        )
        article = analysis.article
        for _, _, cand, how in sorted(found, key=lambda f: f[:2]):
            if cand.article_id not in analysis.verdicts:
                title, body, published = texts[cand.article_id]
                analysis.verdicts[cand.article_id] = dedup.distinct_reports(
                    article.body, body, article.title, title, article.published_at, published
                )
            reason = analysis.verdicts[cand.article_id]
            if reason is None:
                return Match(cand.story_id, cand.article_id, how)
            log.debug("%s is not a copy of article %s: %s", article.url, cand.article_id, reason)
        return None
