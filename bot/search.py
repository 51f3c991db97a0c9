"""Search over stored articles: query parsing, Arabic-aware expansion, ranking, snippets.

Keys are the matcher's: ``arabic.normalize`` then the matcher's transliteration fold (بيونج =
بيونغ), so the index holds every token once, as written. Clitics and endings are handled at query
time: a query word is expanded to the indexed keys that are forms of it (وروسيا، بروسيا، الروسية)
by a prefix range scan of the vocabulary, each candidate verified by the watchlist ``Matcher``
itself, so search and alerts agree on what "contains روسيا" means.

Ranking blends BM25 with recency without scoring every hit: the index returns the newest
``WINDOW`` matching articles (in id order, which is ingest order) with their BM25, and only those
are ranked. A very common word therefore costs the same as a rare one; the price is that an old
article is found for a word in more than ``WINDOW`` articles only with narrower terms or filters.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy.orm import Session

from bot.arabic import normalize
from bot.matching import Matcher, _fold
from bot.summarize import stopwords
from bot.watchlists import Rules, Watchlist
from storage import search as store

PAGE_SIZE = 5
WINDOW = 300  # newest matching articles ranked per query
MAX_QUERY_CHARS = 500
MAX_TERMS = 8
MAX_FORMS = 48  # indexed forms per query word
MAX_PHRASES = 16  # alternatives (FTS phrases) per quoted phrase
RELEVANCE_WEIGHT = 0.6
HALF_LIFE_DAYS = 90.0

_ARABIC = re.compile("[\u0600-\u06ff]")
_QUOTES = {'"': '"', "«": "»", "“": "”", "„": "“"}
_FILTER = re.compile(r"^(topic|source|from|to):(.*)$", re.IGNORECASE)
_ENGLISH_STOP = frozenset("a an and the of in on at to for by with from is are was were be or not".split())
# Proclitic spellings a query word may be indexed with (the matcher decides which are real).
_PREFIXES = ("", "ال", "و", "ب", "ل", "ف", "ك", "وال", "بال", "لل", "فال", "كال", "ولل", "فلل",
             "وب", "ول", "وك", "فب", "فل", "فك", "وبال", "فبال")


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


def key_tokens(text: str) -> list[str]:
    """The search keys of a text, in order: normalized, transliteration-folded tokens."""
    return [_fold(tok) for tok in normalize(text).split()]


def index_keys(title: str, body: str) -> str:
    """What the index stores for an article: its title then its body, as keys."""
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


def _scan_base(word: str) -> str:
    """The prefix every indexed form of ``word`` starts with (after any clitic)."""
    stem = word[2:] if word.startswith("ال") and len(word) >= 5 else word
    if len(stem) >= 5 and stem.endswith("ين"):
        return stem[:-2]  # بوتين → بوتن
    if len(stem) >= 4 and stem[-1] in "اهي":
        return stem[:-1]  # روسيا → الروسي، حكومه → حكومتها
    return stem


@lru_cache(maxsize=4096)
def _matcher(word: str) -> Matcher:
    return Matcher([Watchlist("q", "q", Rules(any=(word,)))])


def expand_word(db: Session, word: str, first: bool = True) -> list[str]:
    """Indexed keys that are forms of ``word``; only a phrase's first word may carry a clitic."""
    if not _ARABIC.search(word):
        return [word] if store.terms_with_prefix(db, word, 1) == [word] else []
    if word.startswith("ال") and len(word) >= 5:
        word = word[2:]  # a query for الهجوم also finds هجوم; the matcher adds ال back itself
    base = _scan_base(word)
    prefixes = _PREFIXES if first else ("", "ال")
    matcher = _matcher(word)
    forms: list[str] = []
    seen: set[str] = set()
    for key in store.terms_with_prefixes(db, [prefix + base for prefix in prefixes]):
        if key in seen:
            continue
        seen.add(key)
        if key == word or matcher.match(key, ""):
            forms.append(key)
    forms.sort(key=lambda k: (k != word, len(k)))
    return forms[:MAX_FORMS]


def expand(db: Session, query: ParsedQuery) -> tuple[list[list[tuple[str, ...]]], set[str]]:
    """The index query (clauses of alternatives) and every key that counts as a hit."""
    clauses: list[list[tuple[str, ...]]] = []
    hit_keys: set[str] = set()
    for term in query.terms:
        options = [expand_word(db, w, first=(i == 0)) for i, w in enumerate(term)]
        if any(not o for o in options):
            return [], set()
        for o in options:
            hit_keys.update(o)
        if len(term) == 1:
            clauses.append([(k,) for k in options[0]])
        else:
            clauses.append(list(itertools.product(*_phrase_forms(term, options))))
    return clauses, hit_keys


def _phrase_forms(term: tuple[str, ...], options: list[list[str]]) -> list[list[str]]:
    """The likeliest forms of each phrase word, few enough that their combinations (each one an
    FTS phrase) stay within MAX_PHRASES: the word as typed or with ال first (المملكه العربيه
    السعوديه), then clitic and ending forms, the first word getting more of them."""
    ranked = []
    for word, forms in zip(term, options):
        bare = word[2:] if word.startswith("ال") and len(word) >= 5 else word
        ranked.append(sorted(forms, key=lambda k, b=bare: (k not in (b, "ال" + b), len(k), k)))
    take = [1] * len(ranked)
    grown = True
    while grown:
        grown = False
        for i, forms in enumerate(ranked):
            if take[i] < len(forms) and math.prod(take) // take[i] * (take[i] + 1) <= MAX_PHRASES:
                take[i] += 1
                grown = True
    return [forms[:n] for forms, n in zip(ranked, take)]


# --- ranking and results ---------------------------------------------------------------------


def search(db: Session, query: ParsedQuery, page: int = 0, now: datetime | None = None) -> Page:
    """One page of results, one per story (its best article), best first."""
    clauses, hit_keys = expand(db, query)
    if not clauses:
        return Page((), page, 0, False)
    cands = store.candidates(db, clauses, query.filters, WINDOW)
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
    texts = store.articles(db, [c.article_id for _, c in chosen])
    heads = store.story_headlines(db, [c.story_id for _, c in chosen])
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
                snippet=snippet(art.title, art.body, hit_keys),
                score=round(score, 4),
            )
        )
    return Page(tuple(results), page, len(best), len(cands) >= WINDOW)


SNIPPET_SCAN = 400


def snippet(title: str, body: str, hit_keys: set[str], width: int = 28) -> tuple[tuple[str, bool], ...]:
    """About ``width`` words of the body from just before the first hit, hits marked."""
    words = body.split() or title.split()

    def hit(word: str) -> bool:
        return any(k in hit_keys for k in key_tokens(word))

    # Words are normalized one by one (to mark them as written), so look only as far as needed:
    # the first hit within SNIPPET_SCAN words opens the window.
    first = next((i for i, w in enumerate(words[:SNIPPET_SCAN]) if hit(w)), None)
    start = 0 if first is None else max(0, first - 5)
    window = [(w, (start + i == first) or (first is not None and start + i > first and hit(w)))
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
