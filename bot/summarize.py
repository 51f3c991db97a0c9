"""Short extractive Arabic summaries for alerts.

A summary is 2-3 whole sentences copied from the article, in the article's order, so a reader
never sees words the outlet did not write. The one exception: when not even one complete
sentence fits ``max_chars``, the best sentence is cut at a clause boundary (، ؛) and marked "…".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from pathlib import Path

from rapidfuzz import fuzz

from bot.arabic import normalize, split_sentences, tokens

STOPWORDS_FILE = Path(__file__).with_name("data") / "stopwords_ar.txt"

ELLIPSIS = "…"
# A complete sentence ends in terminal punctuation, possibly followed by closing quotes/brackets.
_COMPLETE = re.compile(r"[.!?؟…][\"”»’›)\]]*$")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_LATIN_LETTER = re.compile("[A-Za-z]")

# Line openings that only ever introduce links, promos, credits or comment boxes.
BOILERPLATE_OPENINGS = (
    "شاهد أيضاً",
    "اقرأ أيضاً",
    "إقرأ أيضا",
    "طالع أيضاً",
    "اقرأ كذلك",
    "اقرأ المزيد",
    "للمزيد من",
    "أخبار ذات صلة",
    "مواضيع ذات صلة",
    "مقالات ذات صلة",
    "مصدر الصورة",
    "صورة أرشيفية",
)
# Phrases no news sentence needs: paywalls, site greetings, share and comment prompts.
BOILERPLATE_PHRASES = (
    "متبقية للقراءة",
    "اشترك للوصول",
    "للاشتراك في خدمة",
    "عزيزي الزائر",
    "اترك تعليقاً",
    "جميع الحقوق محفوظة",
    "اضغط هنا",
    "انقر هنا",
    "تابعونا على",
    "حمل تطبيق",
)

# Weights measured on EASC (bench/bench_summary.py); the title weight cannot be measured there
# (EASC has no titles) and is set to count like centrality.
POSITION_WEIGHT = 1.0
CENTRALITY_WEIGHT = 1.0
TITLE_WEIGHT = 1.0
# Lead bias 1 / (1 + rank) ** POSITION_DECAY over candidate sentences.
POSITION_DECAY = 1.0
# Two sentences sharing this share of their terms say the same thing; keep only one.
REDUNDANCY_LIMIT = 0.5
# Below this many tokens a "sentence" is a byline, a credit or a fragment ("خبرين.").
MIN_TOKENS = 5
# An unpunctuated line this short is a heading, never summary material.
HEADING_MAX_TOKENS = 12
# Only the best few sentences are combined, which keeps selection cheap on long articles.
TOP_CANDIDATES = 12
# A sentence this similar to the title (rapidfuzz ratio on keys) repeats it.
TITLE_REPEAT_RATIO = 90


@dataclass(frozen=True)
class Candidate:
    """A sentence that may enter the summary, with what scoring needs."""

    order: int
    text: str
    terms: Counter[str]
    score: float = 0.0


def summarize(
    title: str,
    body: str,
    *,
    max_chars: int = 550,
    max_sentences: int = 3,
    min_sentences: int = 2,
) -> str:
    """Pick the article's most central early sentences that fit an alert.

    Fewer than ``min_sentences`` come back only when the article has no fitting set that large;
    a body with fewer complete sentences than that is summarized from its unpunctuated lines too.
    """
    title_terms = set(_terms(title))
    candidates = _candidates(title, body, min_sentences)
    if not candidates:
        return ""
    scored = _score(candidates, title_terms)
    chosen = _select(scored, max_chars, max_sentences)
    if chosen:
        return " ".join(c.text for c in chosen)
    best = max(scored, key=lambda c: c.score)
    return shorten(best.text, max_chars)


# --- terms ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Stop-word keys, shared with search so both ignore the same function words."""
    words: set[str] = set()
    for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.update(tokens(line))
    return frozenset(words)


def content_terms(text: str) -> list[str]:
    """Normalized tokens that carry topic: no stop words, no single letters."""
    stop = stopwords()
    return [t for t in tokens(text) if len(t) > 1 and t not in stop]


# Light stemming: attached article/conjunction/preposition in front, common plural and pronoun
# endings behind, only while a 3-letter stem remains. It lets "وروسيا" meet "روسيا" (+0.01 R-1
# on EASC news).
_PREFIX = re.compile(r"^(?:وال|بال|كال|فال|لل|ال|و)(?=\w{3})")
_SUFFIX = re.compile(r"(?<=\w{3})(?:ها|ات|ون|ين|ان|يه|ه|ي)$")


@lru_cache(maxsize=65536)
def _stem(token: str) -> str:
    return _SUFFIX.sub("", _PREFIX.sub("", token))


def _terms(text: str) -> Counter[str]:
    return Counter(_stem(t) for t in content_terms(text))


# --- candidates ----------------------------------------------------------------------------


def _candidates(title: str, body: str, min_sentences: int) -> list[Candidate]:
    complete: list[str] = []
    fragments: list[str] = []
    for line in body.splitlines():
        if _is_junk_line(line):
            continue
        for sentence in split_sentences(line):
            if _is_junk_sentence(sentence, title):
                continue
            (complete if _COMPLETE.search(sentence) else fragments).append(sentence)
    # A body written without full stops (some feeds) still deserves a summary from its lines.
    texts = complete
    if len(complete) < min_sentences:
        texts = _in_body_order(body, complete + fragments)
    return _dedupe([Candidate(i, t, _terms(t)) for i, t in enumerate(texts)])


def _in_body_order(body: str, texts: list[str]) -> list[str]:
    return sorted(texts, key=body.find)


def _dedupe(candidates: list[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    out: list[Candidate] = []
    for c in candidates:
        key = normalize(c.text)
        if key not in seen:
            seen.add(key)
            out.append(Candidate(len(out), c.text, c.terms))
    return out


def _is_junk_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped or is_boilerplate(stripped):
        return True
    if not _URL.sub("", stripped).strip(" \t-–—|:·•"):
        return True
    # Headings: short lines that do not end like a sentence.
    return not _COMPLETE.search(stripped) and len(tokens(stripped)) <= HEADING_MAX_TOKENS


def _is_junk_sentence(sentence: str, title: str) -> bool:
    if len(tokens(sentence)) < MIN_TOKENS or _URL.search(sentence):
        return True
    if is_boilerplate(sentence):
        return True
    if _mostly_latin(sentence) or sentence.rstrip().endswith(":"):
        return True
    return bool(title.strip()) and repeats_title(sentence, title)


def is_boilerplate(text: str) -> bool:
    """Outlet furniture that a cleaner may have missed, matched on keys so spelling can vary."""
    key = f" {normalize(text)} "
    openings, phrases = _boilerplate_keys()
    # Padded with spaces so that whole words match: "المصدر" must not match "المصدرون".
    return any(key.startswith(f" {o} ") for o in openings) or any(f" {p} " in key for p in phrases)


@lru_cache(maxsize=1)
def _boilerplate_keys() -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(map(normalize, BOILERPLATE_OPENINGS)), tuple(map(normalize, BOILERPLATE_PHRASES))


def _mostly_latin(text: str) -> bool:
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    digits = sum(ch.isdigit() for ch in text)
    return arabic <= latin + digits


def repeats_title(sentence: str, title: str) -> bool:
    """True when the sentence adds nothing the title does not already say."""
    s_key, t_key = normalize(sentence), normalize(title)
    if not s_key or not t_key:
        return False
    if fuzz.ratio(s_key, t_key) >= TITLE_REPEAT_RATIO:
        return True
    # A headline made from the lead sentence and shortened with "…": that sentence is the title.
    if title.rstrip().endswith(("…", "...")) and len(t_key) >= 20 and s_key.startswith(t_key):
        return True
    s_terms = set(_terms(sentence))
    return bool(s_terms) and len(s_terms - set(_terms(title))) <= 1


# --- scoring -------------------------------------------------------------------------------


def _score(candidates: list[Candidate], title_terms: set[str]) -> list[Candidate]:
    centrality = _centrality(candidates)
    scored = []
    for c, cent in zip(candidates, centrality):
        position = 1.0 / (1 + c.order) ** POSITION_DECAY
        title = len(title_terms & c.terms.keys()) / len(title_terms) if title_terms else 0.0
        score = POSITION_WEIGHT * position + CENTRALITY_WEIGHT * cent + TITLE_WEIGHT * title
        scored.append(Candidate(c.order, c.text, c.terms, score))
    return scored


def _centrality(candidates: list[Candidate]) -> list[float]:
    """Cosine of each sentence with the whole article (tf-idf over sentences), scaled to 0..1."""
    n = len(candidates)
    df = Counter(term for c in candidates for term in c.terms)
    idf = {term: math.log((n + 1) / (count + 0.5)) for term, count in df.items()}
    centroid: Counter[str] = Counter()
    for c in candidates:
        centroid.update(c.terms)
    cvec = {t: tf * idf[t] for t, tf in centroid.items()}
    cnorm = math.sqrt(sum(v * v for v in cvec.values())) or 1.0
    raw = []
    for c in candidates:
        vec = {t: tf * idf[t] for t, tf in c.terms.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        raw.append(sum(v * cvec[t] for t, v in vec.items()) / (norm * cnorm))
    top = max(raw, default=0.0) or 1.0
    return [r / top for r in raw]


# --- selection -----------------------------------------------------------------------------


def _select(scored: list[Candidate], max_chars: int, max_sentences: int) -> list[Candidate]:
    """Best-scoring set of whole sentences that fits, preferring more sentences."""
    fitting = [c for c in scored if len(c.text) <= max_chars]
    pool = sorted(fitting, key=lambda c: c.score, reverse=True)[:TOP_CANDIDATES]
    # Fewer than min_sentences only when the article offers no fitting set of that size.
    for size in range(min(max_sentences, len(pool)), 0, -1):
        best = _best_of_size(pool, size, max_chars)
        if best:
            return sorted(best, key=lambda c: c.order)
    return []


def _best_of_size(pool: list[Candidate], size: int, max_chars: int) -> list[Candidate] | None:
    best: tuple[Candidate, ...] | None = None
    best_score = -math.inf
    for combo in combinations(pool, size):
        if _length(combo) > max_chars or _redundant(combo):
            continue
        total = sum(c.score for c in combo)
        if total > best_score:
            best, best_score = combo, total
    return list(best) if best else None


def _length(combo: tuple[Candidate, ...]) -> int:
    return sum(len(c.text) for c in combo) + len(combo) - 1


def _redundant(combo: tuple[Candidate, ...]) -> bool:
    return any(_overlap(a, b) > REDUNDANCY_LIMIT for a, b in combinations(combo, 2))


def _overlap(a: Candidate, b: Candidate) -> float:
    small = min(len(a.terms), len(b.terms))
    return len(a.terms.keys() & b.terms.keys()) / small if small else 0.0


# --- the one exception ---------------------------------------------------------------------


def shorten(sentence: str, max_chars: int) -> str:
    """Cut at the last clause boundary (، ؛) that fits, else at a word, and mark the cut."""
    if len(sentence) <= max_chars:
        return sentence
    room = max_chars - len(ELLIPSIS)
    head = sentence[:room]
    cut = max(head.rfind("،"), head.rfind("؛"))
    if cut <= 0:
        cut = head.rfind(" ")
    if cut <= 0:
        cut = room
    return sentence[:cut].rstrip(" ،؛,;") + ELLIPSIS
