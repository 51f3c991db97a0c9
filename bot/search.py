"""Search over stored articles: query parsing, Arabic-aware expansion, ranking, snippets.

Search agrees with alerts: a query term is looked for exactly as the watchlist ``Matcher`` reads
that term. Keys are the matcher's (``arabic.normalize`` then its transliteration fold: بيونج =
بيونغ), each token indexed once as written. At query time the matcher says how the term may be
written (``term_paths``: its words, joined into one, a long word split in two: بيونغيانغ =
بيونغ يانغ) and on which stems each word's tokens are built (``word_spellings``: the word, its
adjective, spelling variants, one-letter variants); the vocabulary is range-scanned for those
stems behind every proclitic/article spelling the matcher takes, and every key found is kept only
if the matcher reads it as that word, after a phrase's first word without a proclitic. A phrase
is then the sequence of those key sets, so "كوريا الشمالية" finds الكوري الشمالي (the matcher
accepts it) but not كوريا والشمالية or a lone الكوريين, and snippets mark only whole phrases.
A typed word also stands for itself without ال and, when the dev data knows the rest better than
the whole, without a proclitic: لموسكو finds what موسكو finds (``query_bases``).

Ranking blends BM25 with recency without scoring every hit: the index returns the newest
``WINDOW`` matching articles (in id order, which is ingest order) with their BM25, and only those
are ranked. A very common word therefore costs the same as a rare one; the price is that an old
article is found for a word in more than ``WINDOW`` articles only with narrower terms or filters.
How the index finds those newest hits on each database is ``storage.search.candidates``.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy.orm import Session

from bot.text.analysis import Analyzed
from bot.text.arabic import normalize
from bot.text.matching import Matcher, _fold, _lexicon
from bot.text.summarize import stopwords
from bot.watchlists import Rules, Watchlist
from storage import search as store

PAGE_SIZE = 5
WINDOW = 300  # newest matching articles ranked per query
MAX_QUERY_CHARS = 500
MAX_TERMS = 8
MAX_FORMS = 400  # indexed keys per position of a term (the vocabulary holds few more)
RELEVANCE_WEIGHT = 0.6
HALF_LIFE_DAYS = 90.0

_ARABIC = re.compile("[\u0600-\u06ff]")
_QUOTES = {'"': '"', "«": "»", "“": "”", "„": "“"}
_FILTER = re.compile(r"^(topic|source|from|to):(.*)$", re.IGNORECASE)
_ENGLISH_STOP = frozenset("a an and the of in on at to for by with from is are was were be or not".split())
# What may stand before a stem in an indexed token: the matcher's own proclitics and article.
_PREFIXES = Matcher.token_prefixes()


class QueryError(ValueError):
    """A query we cannot run; ``key`` names the user-facing text in handlers/texts.py."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[tuple[str, ...], ...]  # each a word or a phrase, as keys
    filters: store.Filters = field(default_factory=store.Filters)
    text: str = ""  # the query as typed, for paging


@dataclass(frozen=True)
class Result:
    story_id: int
    article_id: int
    headline: str
    url: str
    source: str
    published: datetime
    snippet: tuple[tuple[str, bool], ...]  # (text, matched) pieces
    score: float

    @property
    def snippet_text(self) -> str:
        return "".join(piece for piece, _ in self.snippet)


@dataclass(frozen=True)
class Page:
    results: tuple[Result, ...]
    page: int
    total: int  # stories among the ranked window
    capped: bool  # more articles matched than were ranked

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))


# --- keys ------------------------------------------------------------------------------------


def key_tokens(text: str, words: list[str] | None = None) -> list[str]:
    """The search keys of a text, in order: normalized, transliteration-folded tokens (``words``:
    ``normalize(text).split()`` when the caller has it)."""
    return [_fold(tok) for tok in (normalize(text).split() if words is None else words)]


def index_keys(title: str, body: str, analyzed: Analyzed | None = None) -> str:
    """What the index stores for an article: its title then its body, as keys (``analyzed``: the
    article's analysis, whose tokens are these texts' own)."""
    if analyzed is not None:
        return " ".join(key_tokens(title, analyzed.title_words) + key_tokens(body, analyzed.body_words))
    return " ".join(key_tokens(title) + key_tokens(body))


@lru_cache(maxsize=1)
def _stop_keys() -> frozenset[str]:
    return frozenset(_fold(w) for w in stopwords()) | _ENGLISH_STOP


# --- parsing ---------------------------------------------------------------------------------


def parse_query(raw: str, tz: timezone | None = None) -> ParsedQuery:
    """Split a query into words, quoted phrases and filters; QueryError says what is wrong."""
    raw = raw.strip()
    if not raw:
        raise QueryError("search_usage")
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryError("search_too_long", limit=MAX_QUERY_CHARS)
    pieces, filters = _split(raw)
    filters = _filters(filters, tz or timezone.utc)
    terms: list[tuple[str, ...]] = []
    stop = _stop_keys()
    dropped = False
    for phrase, quoted in pieces:
        keys = key_tokens(phrase)
        if quoted:
            if keys and not all(k in stop for k in keys):
                terms.append(tuple(keys))
            elif keys:
                dropped = True
            continue
        for k in keys:
            if k in stop:
                dropped = True
            else:
                terms.append((k,))
    terms = list(dict.fromkeys(terms))
    if not terms:
        if dropped:
            raise QueryError("search_stopwords")
        if filters != store.Filters():
            raise QueryError("search_filters_only")
        raise QueryError("search_usage")
    if len(terms) > MAX_TERMS:
        raise QueryError("search_too_many", limit=MAX_TERMS)
    return ParsedQuery(tuple(terms), filters, raw)


def _split(raw: str) -> tuple[list[tuple[str, bool]], list[tuple[str, str]]]:
    pieces: list[tuple[str, bool]] = []
    filters: list[tuple[str, str]] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _QUOTES:
            close = raw.find(_QUOTES[ch], i + 1)
            if close < 0:
                raise QueryError("search_unbalanced")
            pieces.append((raw[i + 1:close], True))
            i = close + 1
            continue
        j = i
        while j < n and not raw[j].isspace():
            j += 1
        word = raw[i:j]
        m = _FILTER.match(word)
        if m:
            value = m.group(2)
            if value[:1] in _QUOTES:  # source:"Saudi Press Agency"
                close = raw.find(_QUOTES[value[0]], i + len(m.group(1)) + 2)
                if close < 0:
                    raise QueryError("search_unbalanced")
                value = raw[i + len(m.group(1)) + 2:close]
                j = close + 1
            filters.append((m.group(1).lower(), value))
        else:
            pieces.append((word, False))
        i = j
    return pieces, filters


def _filters(pairs: list[tuple[str, str]], tz) -> store.Filters:
    values: dict[str, object] = {}
    for name, value in pairs:
        value = value.strip()
        if not value:
            raise QueryError("search_bad_filter", name=name)
        if name in ("from", "to"):
            try:
                day = datetime.strptime(value.translate(_DIGITS), "%Y-%m-%d")
            except ValueError:
                raise QueryError("search_bad_date", value=value[:40]) from None
            moment = day.replace(tzinfo=tz).astimezone(timezone.utc)
            values["start" if name == "from" else "end"] = moment if name == "from" else moment + timedelta(days=1)
        else:
            values[name] = value.lower() if name == "topic" else value
    f = store.Filters(**values)  # type: ignore[arg-type]
    if f.start and f.end and f.start >= f.end:
        raise QueryError("search_bad_range")
    return f


_DIGITS = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}})


# --- expansion -------------------------------------------------------------------------------

# A term is searched for exactly as the matcher reads it: its ways of being written (``Matcher.
# term_paths``: the words, joined, split), each word's stems (``word_spellings``) scanned in the
# vocabulary behind every proclitic/article spelling, each key found kept only if ``Matcher.reads``
# reads it as that word (and, after a phrase's first word, without a proclitic).
Keys = tuple[str, ...]  # the indexed keys accepted at one position
Path = tuple[Keys, ...]  # one way of writing a term: a key set per token
_LATER_PREFIXES = ("", "ال")
# Proclitics a query word may carry that are read off it (لموسكو is searched as موسكو too); ف and
# ك start too many words (فروسية, كامل) to be taken off a typed word.
_QUERY_CLITICS = ("وب", "ول", "و", "ب", "ل")


@lru_cache(maxsize=4096)
def _matcher(term: str) -> Matcher:
    return Matcher([Watchlist("q", "q", Rules(any=(term,)))])


@lru_cache(maxsize=65_536)
def _reads(term: str, key: str) -> tuple[tuple[int, bool], ...]:
    """What an indexed key reads as for ``term``'s matcher. The index folds a key whole (بنجاح is
    stored بنغاح, the matcher folds after the clitic), so the unfolded spelling is read too."""
    matcher = _matcher(term)
    hits = matcher.reads(key)
    if "نغ" in key[1:]:
        for word, clitic in matcher.reads(key[0] + key[1:].replace("نغ", "نج")).items():
            hits[word] = hits.get(word, True) and clitic
    return tuple(hits.items())


def _lexicon_count(word: str) -> int:
    bare, definite = _lexicon().get(word, (0, 0))
    return bare + definite


def query_bases(word: str) -> list[str]:
    """The terms a typed query word stands for: the word, the word without ال (الهجوم finds
    هجوم too), and the word without a proclitic when the matcher reads it so and the dev data knows the rest
    better than the whole (لموسكو → موسكو; not لبنان → بنان, not لجنة → جنة)."""
    if not _ARABIC.search(word):
        return [word]
    bases = [word]
    for clitic in _QUERY_CLITICS:
        rest = word[len(clitic):]
        if not word.startswith(clitic) or len(rest) < 3:
            continue
        if clitic.endswith("ل") and rest.startswith("ل"):
            rest = "ا" + rest  # لل = ل + ال
        core = rest[2:] if rest.startswith("ال") and len(rest) >= 5 else rest
        if _lexicon_count(core) > _lexicon_count(word) and _reads(core, word):
            bases.append(rest)
    out = []
    for base in bases:
        out.append(base)
        if base.startswith("ال") and len(base) >= 5:
            out.append(base[2:])
    return list(dict.fromkeys(out))


def _scan_base(word: str) -> str:
    """The prefix every indexed form of ``word`` starts with (after any clitic)."""
    stem = word[2:] if word.startswith("ال") and len(word) >= 5 else word
    if len(stem) >= 5 and stem.endswith("ين"):
        return stem[:-2]  # بوتين → بوتن
    if len(stem) >= 4 and stem[-1] in "اهي":
        return stem[:-1]  # روسيا → الروسي، حكومه → حكومتها
    return stem


@lru_cache(maxsize=4096)
def _ranges(text: str, word_id: int, first: bool) -> tuple[tuple[str, bool], ...]:
    """(key or prefix, is a prefix) to look up for one word of term ``text``: every stem behind
    every proclitic/article spelling; a prefix when the stem takes endings, else the exact key.
    Cached: the matcher's spellings of a word cost milliseconds and queries repeat."""
    prefixes = _PREFIXES if first else _LATER_PREFIXES
    out: list[tuple[str, bool]] = []
    for stem, endings in _matcher(text).word_spellings(word_id):
        if not _ARABIC.search(stem):
            out.append((stem, False))
            continue
        base = _scan_base(stem) if endings else (stem[2:] if stem.startswith("ال") and len(stem) >= 5 else stem)
        for prefix in prefixes:
            key = prefix + base
            out.append((key, endings))
            folded = _fold(key)
            if folded != key:
                out.append((folded, endings))
    return tuple(out)


def _accepted(text: str, keys: Sequence[str]) -> dict[tuple[int, bool], list[str]]:
    """The keys each word of term ``text`` accepts, in ``keys`` order, in one pass over the keys:
    ``(word_id, False)`` as a term's first word (a proclitic allowed), ``(word_id, True)`` after
    it (none allowed)."""
    out: dict[tuple[int, bool], list[str]] = {}
    for k in keys:
        for word_id, clitic in _reads(text, k):
            out.setdefault((word_id, False), []).append(k)
            if not clitic:
                out.setdefault((word_id, True), []).append(k)
    return out


def _in_ranges(keys: Sequence[str], ranges: AbstractSet[tuple[str, bool]]) -> list[str]:
    """The keys (in order) that are a range's key or start with a range's prefix."""
    exact = {k for k, prefix in ranges if not prefix}
    prefixes = {k for k, prefix in ranges if prefix}
    sizes = sorted({len(k) for k in prefixes})
    return [k for k in keys if k in exact or any(k[:n] in prefixes for n in sizes)]


def expand(db: Session, query: ParsedQuery) -> tuple[list[list[Path]], list[Path]]:
    """The index query (clauses of alternative paths) and every path that marks a hit.

    A clause is empty when its term is nowhere in the index, and then so is the whole query."""
    return _expand(query, lambda ranges: store.terms_in_ranges(db, ranges))


def _expand(
    query: ParsedQuery, lookup: Callable[[list[tuple[str, bool]]], list[str]]
) -> tuple[list[list[Path]], list[Path]]:
    """``expand`` with the vocabulary read by ``lookup`` (ranges to keys)."""
    plans: list[list[tuple[str, tuple[int, ...]]]] = []
    wanted: dict[tuple[str, bool], None] = {}
    # The ranges scanned for each text's term (all its texts'): a text reads only the keys found
    # there, not every key of the query (each key read costs the matcher ~15 µs when not cached).
    own: dict[str, set[tuple[str, bool]]] = {}
    for term in query.terms:
        texts = query_bases(term[0]) if len(term) == 1 else [" ".join(term)]
        plan = []
        term_ranges: dict[tuple[str, bool], None] = {}
        for text in texts:
            for path in _matcher(text).term_paths(text):
                plan.append((text, path))
                for i, word_id in enumerate(path):
                    term_ranges.update(dict.fromkeys(_ranges(text, word_id, i == 0)))
        wanted.update(term_ranges)
        for text in texts:
            own.setdefault(text, set()).update(term_ranges)
        plans.append(plan)
    keys = lookup(list(wanted))
    clauses: list[list[Path]] = []
    marks: list[Path] = []
    readings: dict[str, dict[tuple[int, bool], list[str]]] = {}
    for plan in plans:
        clause: list[Path] = []
        for text, path in plan:
            if text not in readings:
                # One term: every key found is its own.
                readings[text] = _accepted(text, keys if len(plans) == 1 else _in_ranges(keys, own[text]))
            positions = []
            for i, word_id in enumerate(path):
                accepted = tuple(readings[text].get((word_id, i > 0), ()))
                if not accepted:
                    break
                positions.append(accepted[:MAX_FORMS])
            else:
                clause.append(tuple(positions))
        clause = list(dict.fromkeys(clause))
        if not clause:
            return [], []
        clauses.append(clause)
        marks.extend(clause)
    return clauses, marks


# --- ranking and results ---------------------------------------------------------------------


def search(db: Session, query: ParsedQuery, page: int = 0, now: datetime | None = None) -> Page:
    """One page of results, one per story (its best article), best first."""
    # The vocabulary and what the index's plan reads first, in one round trip.
    start: list[store.Start | None] = []

    def lookup(ranges: list[tuple[str, bool]]) -> list[str]:
        keys, begun = store.terms_and_start(db, ranges)
        start.append(begun)
        return keys

    clauses, marks = _expand(query, lookup)
    if not clauses:
        store.finish(db, start[0] if start else None)
        return Page((), page, 0, False)
    cands = store.candidates(db, clauses, query.filters, WINDOW, start[0] if start else None)
    if not cands:
        return Page((), page, 0, False)
    now = now or datetime.now(timezone.utc)
    top = max(c.relevance for c in cands) or 1.0
    best: dict[int, tuple[float, store.Candidate]] = {}
    for c in cands:
        age = max(0.0, (now - c.published_at).total_seconds() / 86400)
        recency = 0.5 ** (age / HALF_LIFE_DAYS)
        score = RELEVANCE_WEIGHT * max(c.relevance, 0.0) / top + (1 - RELEVANCE_WEIGHT) * recency
        if c.story_id not in best or score > best[c.story_id][0]:
            best[c.story_id] = (score, c)
    ranked = sorted(best.values(), key=lambda sc: (-sc[0], -sc[1].article_id))
    chosen = ranked[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    texts, heads = store.page_texts(db, [c.article_id for _, c in chosen], [c.story_id for _, c in chosen])
    results = []
    for score, c in chosen:
        art = texts[c.article_id]
        results.append(
            Result(
                story_id=c.story_id,
                article_id=c.article_id,
                headline=heads.get(c.story_id, art.title),
                url=art.url,
                source=art.source,
                published=art.published_at,
                snippet=snippet(art.title, art.body, marks),
                score=round(score, 4),
            )
        )
    return Page(tuple(results), page, len(best), len(cands) >= WINDOW)


SNIPPET_SCAN = 400
SNIPPET_STRETCH = 64  # words read first for a snippet (then twice as many each time)


@lru_cache(maxsize=32_768)
def _word_keys(word: str) -> tuple[str, ...]:
    """``key_tokens`` of one word as written, cached: a snippet reads up to SNIPPET_SCAN words of
    each result, news prose repeats its words, and normalizing each anew was most of its cost."""
    return tuple(key_tokens(word))


def _marked(keys: list[str], marks: "Sequence[Path] | AbstractSet[str]", begin: int = 0) -> set[int]:
    """Indexes of the keys that are hits: a word's accepted key, or a phrase's keys where the
    whole phrase is there in order (الكوريين alone is no hit for "كوريا الشمالية"); only hits
    starting at ``begin`` or later."""
    paths: list[Path] = [((k,),) for k in marks] if isinstance(marks, AbstractSet) else list(marks)
    out: set[int] = set()
    singles = {k for path in paths if len(path) == 1 for k in path[0]}
    longer = [[set(keys_at) for keys_at in path] for path in paths if len(path) > 1]
    # Only a key that can open a phrase is tried as its start (most keys open none).
    starts = set().union(*(path[0] for path in longer))
    for i in range(begin, len(keys)):
        key = keys[i]
        if key in singles:
            out.add(i)
        if key not in starts:
            continue
        for path in longer:
            if i + len(path) <= len(keys) and all(keys[i + j] in at for j, at in enumerate(path)):
                out.update(range(i, i + len(path)))
    return out


def snippet(
    title: str, body: str, marks: "Sequence[Path] | AbstractSet[str]", width: int = 28
) -> tuple[tuple[str, bool], ...]:
    """About ``width`` words of the body from just before the first hit, hits marked.

    ``marks`` are the query's paths (``expand``), or a plain set of single-word keys."""
    words = body.split() or title.split()
    # Words are normalized one by one (to mark them as written), so look only as far as needed:
    # the first hit within SNIPPET_SCAN words opens the window. They are read a stretch at a time
    # (doubling) until the window after the first hit is read whole and a phrase's length of keys
    # past it (a phrase running past the words read is found once they are): mostly one stretch.
    end = min(len(words), SNIPPET_SCAN + width)
    longest = 1 if isinstance(marks, AbstractSet) else max((len(path) for path in marks), default=1)
    keys: list[str] = []
    owner: list[int] = []
    hit_words: set[int] = set()
    read, stretch = 0, SNIPPET_STRETCH
    while True:
        known = len(keys)  # hits starting before known - longest + 1 were all found already
        for i in range(read, min(end, read + stretch)):
            for k in _word_keys(words[i]):
                keys.append(k)
                owner.append(i)
        read, stretch = min(end, read + stretch), stretch * 2
        hit_words.update(owner[i] for i in _marked(keys, marks, max(0, known - longest + 1)))
        first = min((i for i in hit_words if i < SNIPPET_SCAN), default=None)
        start = 0 if first is None else max(0, first - 5)
        if read >= end or (first is not None and read >= start + width
                           and len(keys) - bisect_left(owner, start + width) >= longest - 1):
            break
    window = [(w, first is not None and start + i in hit_words and start + i >= first)
              for i, w in enumerate(words[start:start + width])]
    pieces: list[tuple[str, bool]] = []
    if start > 0:
        pieces.append(("… ", False))
    for i, (w, marked) in enumerate(window):
        sep = " " if i < len(window) - 1 else ""
        if marked:
            pieces.append((w, True))
            if sep:
                pieces.append((sep, False))
        elif pieces and not pieces[-1][1]:
            pieces[-1] = (pieces[-1][0] + w + sep, False)
        else:
            pieces.append((w + sep, False))
    if start + width < len(words):
        pieces.append((" …", False))
    return tuple(pieces)
