"""Recognize an article that is only another copy of a story already seen.

Two keys, both derived from the *normalized* body (``bot.text.arabic.normalize``), so diacritics,
tatweel, hamza forms and punctuation never make a copy look new:

* ``body_hash``: exact duplicates (one indexed equality lookup).
* ``Fingerprint``: a MinHash of the word 3-shingles, for republished copies with other
  boilerplate, another title, a trimmed or extended ending, or a moved sentence.

Lookup is two-stage: ``Fingerprint.band_keys()`` finds LSH candidates with one indexed
``band_key`` column, then ``is_near_duplicate`` decides on the signatures alone.

Parameters (measured with ``bench/bench_dedup.py`` on SaudiNewsNet, 8,505 articles):

* ``SHINGLE_K = 3`` word shingles. Copies keep long verbatim runs, two reports on one event
  share only names and stock phrases: random cross-outlet pairs have 3-shingle Jaccard 0.004
  at the 99th percentile (2-shingles: 0.012), wire copies 0.70 median. 4- and 5-shingles
  lower the containment of lightly edited copies (1st percentile 0.60 and 0.54 against 0.65).
* ``NUM_PERM = 128``: Jaccard standard error ≤ 0.044, small beside the gaps the decision
  thresholds sit in. rensa: 0.13 ms/doc from shingles (datasketch ``update_batch``: 1.0 ms).
* LSH ``BANDS = 32`` × ``ROWS = 2`` over the first 64 signature values. Probability that a
  pair with Jaccard J becomes a candidate, 1 - (1 - J²)³²:

  ======  =====  =====  =====  =====  =====  =====  =====  =====
  J       0.01   0.02   0.05   0.1    0.2    0.3    0.4    0.5
  P       0.003  0.013  0.077  0.275  0.729  0.951  0.996  >0.999
  ======  =====  =====  =====  =====  =====  =====  =====  =====

  Two rows because trimmed or extended copies sit at J ≈ 0.3-0.5 (the decision accepts them
  through containment); four rows would catch J = 0.3 only 23 % of the time. Unrelated
  articles sit at J ≈ 0: 2.4e-4 of all corpus pairs become candidates (2 per article), and all
  labelled wire copies do. Each band is one indexed row per article, hence not more bands.
* Decision: Jaccard ≥ 0.5, or containment of the smaller set ≥ 0.6 while the shared part is
  ≥ 0.4 of the larger set. On labelled same-day cross-outlet pairs: recall 0.99 on wire copies
  (0.87 with Jaccard alone), 0 of 1,014 different reports of one event flagged, 0 of 237k
  random pairs, 0 of the SemEval pairs rated "very dissimilar" or even "very similar".

Story boundaries (issue 11; ``relation`` and ``distinct_reports``, both used by the pipeline):

* ``relation`` tells a copy from a text *contained* in a stored one (a copy trimmed to under
  40 %, a brief cut from a longer report: a silent join) and from a text that *contains* a stored
  one plus more of its own (an *update*: it joins the story and is delivered as an update). An
  update must add ≥ ``UPDATE_MIN_NEW`` = 30 shingles (two sentences; a byline does not make an
  update). A new text longer than the stored one that holds only a part of it (≥ ``PART_MIN`` =
  0.15 estimated, ≥ 10 shingles) is related too, as a possible update: heavily edited copies keep
  0.27-0.60 of the original beside a foreign paragraph, and at J ≈ 0.1 the signature estimate is
  too noisy to set a bar on. The words decide (below).
* ``distinct_reports`` reads the words of a pair the signatures accept. First (``_other_report``,
  exact shingle sets): a new text neither mostly inside the stored one nor mostly the stored one is
  that report only if it *opens* with it (≥ 0.8 of its first paragraph's shingles are the stored
  text's: a copy that kept the lead, a fuller account after the brief's lead); otherwise it must
  hold ≥ 0.5 of it, the stored report must be ≥ ``UPDATE_MIN_SHARE`` = 0.1 of it (a 1,000-word
  cabinet session quoting a 40-word decision is another report), and its headline must be about
  it (≥ 1/3 of the headline's content words in the stored title or text: labelled updates 0.40-1.00,
  round-ups and a commentary quoting a brief 0-0.27). Then template news (a cable per head of
  state, a price report per session, a forecast per day) share nearly every shingle and differ in
  a few slots; a run that shares a word with the other run, up to a clitic or a two-letter suffix
  ("تسع سنوات" / "تسعة أعوام", "غرفة" / "الغرفة"), is a rewording, not a name. Daily forecasts
  differ in wording only (no figure, no name in both headlines): what tells them apart is the day
  their "لهذا اليوم" names, resolved against each article's publication time (``_dated_change``,
  so ``distinct_reports`` takes both times). It judges the first text as the new one.
* Candidates: ``lead_band_keys`` adds 12 LSH keys from the first 40 words (a copy trimmed to a
  fifth, J ≈ 0.1-0.2) and 8 keys of 3 rows from the opening 40 words of each paragraph (lines of
  ≥ 12 words, at most 30): a copy behind another banner and headline meets the original's first
  paragraph, and a brief cut from a long report (a cabinet decision, J ≈ 0.03 with the session's
  report) meets the paragraph it was cut from. 2 rows per paragraph band made 16k extra corpus
  pairs (stock openings, "صاحب السمو الملكي الأمير ..."), 3 rows 1.9k. Corpus: +1.20 candidate
  pairs per article (lead keys alone: +0.75).

Measured with ``bench/bench_dedup.py`` (one run; before this issue's part 3 → now; datasketch
``MinHashLSH``):

* Synthetic republications of 1,000 SaudiNewsNet articles, joined (silent + as updates): all edits
  0.963 (0.907 + 0.056) → 0.995 (0.905 + 0.090), datasketch 0.770; paragraph added 0.998 → 1.000
  (0.956 + 0.044), datasketch 0.905; last paragraph cut 1.000 (0.903); the other classes 1.000.
  Of the 5 "all edits" still missed, 4 do not open with the report's first paragraph (its first
  sentence moved to the end and cut) and carry a headline foreign to it: a round-up by the words;
  1 is shorter than the original, so no update.
* Template set (hand-labelled dev days, 279 pairs): different reports joined 0 of 78 (datasketch
  26), same report kept joined 200 of 201 (datasketch 178).
* Contained / containing set (34 hand-labelled dev-day pairs): 34 of 34 as labelled, was 29
  (contained 18 of 18 silent, was 16: the two cabinet briefs were no candidates; updates 11 of
  11; round-ups and a commentary 5 of 5 apart, was 2); datasketch 7 of 34.
* Different reports of one event (verbatim labels, 1,014): 0 joined. Verbatim-labelled wire
  copies joined 2,217 of 2,246 (was 2,201; 3 fewer split by the rewording rule, 13 more through
  the opening and the partial relation): of the 21 split by the slots, 14 are templates the
  verbatim labels call copies (cables to other heads of state, other prices, other temperatures);
  7 are copies (a time in GMT and in local time, a date in the Hijri and the Gregorian calendar,
  synonyms "رجل" / "قدم", two reworded phrases, an age 25 / 55, a death toll 10 / 12).
* Every corpus candidate pair (13,645 with the paragraph keys), the later as new: related as
  updates 613 (was 327): 301 partial copies by the verbatim criterion (was 47), 291 short items
  inside long ones, 17 copies, 4 that share little verbatim (one event rewritten: the Greek
  bourse reopening, one soldier's transfer); copies and contained pairs as before.
"""

from __future__ import annotations

import hashlib
import operator
import re
import struct
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

# difflib's SequenceMatcher compiled (Cython, by rapidfuzz's author): the same algorithm and the same
# opcodes, ~4x less CPU for the word alignment of the near-duplicate check.
from cydifflib import SequenceMatcher
from rapidfuzz import fuzz
from rensa import RMinHash

from bot.text.arabic import normalize, tokens
from bot.text.dates import DAY, iter_relative

SHINGLE_K = 3
NUM_PERM = 128
SEED = 20250101
BANDS = 32
ROWS = 2

# Decision thresholds (see is_near_duplicate).
JACCARD_MIN = 0.5
CONTAINMENT_MIN = 0.6
LARGER_COVERAGE_MIN = 0.4
# Below this many shingles (≈ a dozen words) containment means nothing: a short item is
# "contained" in any article that happens to share its few phrases.
MIN_SHINGLES = 10
SHORT_JACCARD_MIN = 0.8

FORMAT_VERSION = 1
_MAGIC = b"RQ"
# magic, format version, shingle k, rensa algorithm version, num_perm, seed, shingle-set size
_HEADER = struct.Struct("<2sBBBHII")
_ALGORITHM_VERSION: int = RMinHash.ALGORITHM_VERSION

if BANDS * ROWS > NUM_PERM:
    raise ValueError("LSH bands need more signature values than NUM_PERM")

# Band keys are salted with every parameter that shapes them, so rows written under other
# parameters can never match a new fingerprint by accident.
_BAND_SALT = struct.pack(
    "<BBBHIHH", FORMAT_VERSION, SHINGLE_K, _ALGORITHM_VERSION, NUM_PERM, SEED, BANDS, ROWS
)


# The keyed hash's state after its key block: each band key copies it (a copy is cheaper than a
# keyed start, and gives the same digest).
_BAND_HASH = hashlib.blake2b(digest_size=8, key=_BAND_SALT)


def _band_key(band: int, rows: tuple[int, ...] | list[int]) -> int:
    """One signed 64-bit key: the band index and its rows, hashed with the parameters' salt."""
    h = _BAND_HASH.copy()
    pack = _ROW_PACKERS.get(len(rows))
    h.update(pack(band, *rows) if pack is not None else struct.pack(f"<H{len(rows)}I", band, *rows))
    return int.from_bytes(h.digest(), "little", signed=True)


# The packers of the band sizes in use, made once (``struct.pack`` parses its format every call).
_ROW_PACKERS = {n: struct.Struct(f"<H{n}I").pack for n in range(1, 9)}


def _joined_shingles(words: list[str]) -> set[str]:
    """The word ``SHINGLE_K``-shingles of ``words`` (at least ``SHINGLE_K`` of them)."""
    return set(_shingle_strings(words))


def _shingle_strings(words: list[str]) -> list[str]:
    """The word ``SHINGLE_K``-shingles of ``words`` in text order, a repeated one as often as it
    occurs: a MinHash takes minima, so it needs no set (hashing each shingle into one was a third
    of the lead keys' cost)."""
    if SHINGLE_K == 3:  # zip of three views: the same strings, no slice per shingle
        return [f"{a} {b} {c}" for a, b, c in zip(words, words[1:], words[2:])]
    return [" ".join(words[i : i + SHINGLE_K]) for i in range(len(words) - SHINGLE_K + 1)]


class FingerprintVersionError(ValueError):
    """Stored fingerprint was made with other parameters; recompute it from the text."""


@dataclass(frozen=True)
class Fingerprint:
    """MinHash signature (rensa ``RMinHash`` digest) plus the shingle-set size.

    The size is kept because containment needs it: Jaccard alone cannot tell a trimmed copy
    from a different article.
    """

    signature: tuple[int, ...]
    size: int

    def __post_init__(self) -> None:
        if len(self.signature) != NUM_PERM:
            raise ValueError(f"signature has {len(self.signature)} values, expected {NUM_PERM}")

    def to_bytes(self) -> bytes:
        """Compact little-endian form (15-byte header + 4 bytes per permutation)."""
        header = _HEADER.pack(
            _MAGIC, FORMAT_VERSION, SHINGLE_K, _ALGORITHM_VERSION, NUM_PERM, SEED, self.size
        )
        return header + struct.pack(f"<{NUM_PERM}I", *self.signature)

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        """Parse ``to_bytes`` output; refuse bytes made under other parameters."""
        if len(data) < _HEADER.size:
            raise ValueError("fingerprint bytes too short")
        magic, version, k, algorithm, num_perm, seed, size = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError("not a raqib fingerprint")
        found = (version, k, algorithm, num_perm, seed)
        expected = (FORMAT_VERSION, SHINGLE_K, _ALGORITHM_VERSION, NUM_PERM, SEED)
        if found != expected:
            raise FingerprintVersionError(
                f"fingerprint (version, k, algorithm, num_perm, seed) = {found}, "
                f"expected {expected}"
            )
        if len(data) != _HEADER.size + 4 * num_perm:
            raise ValueError("fingerprint bytes truncated")
        return cls(struct.unpack_from(f"<{num_perm}I", data, _HEADER.size), size)

    def band_keys(self) -> list[int]:
        """One signed 64-bit key per LSH band; the band index is hashed in.

        An empty text has no keys: otherwise every empty article would share one bucket.
        """
        if self.size == 0:
            return []
        signature = self.signature
        return [_band_key(band, signature[band * ROWS : (band + 1) * ROWS]) for band in range(BANDS)]


# Lead bands: a copy cut to a fifth of the original has Jaccard ≈ 0.1-0.2 with it, which the
# 32 × 2 bands above catch 27-73 % of the time; its opening words, though, are the original's.
# A small MinHash of the first LEAD_WORDS words gives LEAD_BANDS extra keys (2 rows each): a
# 24-word copy of a 40-word lead (J = 0.58) is a candidate with p = 0.993.
LEAD_WORDS = 40
LEAD_BANDS = 12
_LEAD_SEED = SEED + 1
_LEAD_BAND_OFFSET = 1 << 15  # band indices of lead keys never meet those of the full text


# A paragraph is a line of at least this many words: shorter lines are an outlet's chrome (banner,
# byline, headline, tags), which a republication swaps.
PARAGRAPH_WORDS = 12
# Paragraph keys: a copy behind another outlet's banner and headline starts its first 40 words a
# dozen words later than the original and shares only half of them (J ≈ 0.35: a candidate with
# p ≈ 0.8), but its first paragraph is one of the original's; a brief cut from a long report (a
# cabinet decision from the session's report) opens with one of that report's paragraphs. Every
# paragraph's opening words (up to ``LEAD_WORDS``) give ``PARAGRAPH_BANDS`` keys in one key space,
# so the first paragraph of one text meets any paragraph of the other: a paragraph copied with a
# few words changed (J ≥ 0.7) is a candidate with p ≥ 0.98.
PARAGRAPH_BANDS = 8
PARAGRAPH_ROWS = 3
# Paragraphs indexed per text: a session report of 21 paragraphs holds its decisions in all of them.
MAX_PARAGRAPHS = 30
_PARAGRAPH_BAND_OFFSET = _LEAD_BAND_OFFSET + LEAD_BANDS


# A pair check reads each of its two bodies up to three times (shingles, words, headline share), and
# a new article meets several candidates: the few bodies of the moment are normalized once. Short
# texts are in ``normalize``'s own cache; huge ones are not kept.
_BODY_CACHE_CHARS = 20_000


@lru_cache(maxsize=32)
def _cached_key(text: str) -> str:
    return normalize(text)


def _key(text: str) -> str:
    """``normalize(text)``."""
    return _cached_key(text) if len(text) <= _BODY_CACHE_CHARS else normalize(text)


def _shingle_list(words: list[str]) -> set[str]:
    return _joined_shingles(words)


def opening_words(text: str) -> list[str]:
    """The first paragraph's words (normalized, at most ``LEAD_WORDS``): where a news text says
    what it reports. Without a paragraph line, the first words of the text."""
    for line in text.splitlines():
        words = tokens(line)
        if len(words) >= PARAGRAPH_WORDS:
            return words[:LEAD_WORDS]
    return tokens(text)[:LEAD_WORDS]


def _paragraphs(text: str) -> list[list[str]]:
    """Opening words of each paragraph line (see ``PARAGRAPH_WORDS``), at most ``MAX_PARAGRAPHS``."""
    found = []
    for line in text.splitlines():
        words = tokens(line)
        if len(words) >= PARAGRAPH_WORDS:
            found.append(words[:LEAD_WORDS])
            if len(found) == MAX_PARAGRAPHS:
                break
    return found


def _lead_keys(words: list[str], offset: int, bands: int = LEAD_BANDS, rows_per_band: int = ROWS) -> list[int]:
    if len(words) < SHINGLE_K + MIN_SHINGLES:
        return []  # a short text: its full-text bands already cover all of it
    minhash = RMinHash(bands * rows_per_band, _LEAD_SEED)
    minhash.update(_shingle_strings(words))
    signature = minhash.digest()
    return [_band_key(offset + band, signature[band * rows_per_band : (band + 1) * rows_per_band])
            for band in range(bands)]


# ``words`` / ``key`` below: ``normalize(text).split()`` / ``normalize(text)`` when the caller has
# them already (bot.text.analysis: an article's body is normalized once for every stage).


def lead_band_keys(text: str, words: list[str] | None = None) -> list[int]:
    """Extra LSH keys from the opening words of the text and of each of its paragraphs
    (normalized), stored beside ``Fingerprint.band_keys``: they only make candidates, the decision
    stays ``relation``."""
    words = _key(text).split() if words is None else words
    keys = _lead_keys(words[:LEAD_WORDS], _LEAD_BAND_OFFSET)
    for paragraph in _paragraphs(text):
        keys.extend(_lead_keys(paragraph, _PARAGRAPH_BAND_OFFSET, PARAGRAPH_BANDS, PARAGRAPH_ROWS))
    return list(dict.fromkeys(keys))  # a paragraph repeated (a banner line) keys once


def body_hash(text: str, key: str | None = None) -> str:
    """Exact-duplicate key: sha256 hex of the normalized text."""
    return hashlib.sha256((_key(text) if key is None else key).encode("utf-8")).hexdigest()


def shingles(text: str, words: list[str] | None = None) -> set[str]:
    """Word ``SHINGLE_K``-shingles of the normalized text; a shorter text is one shingle."""
    words = _key(text).split() if words is None else words
    if len(words) <= SHINGLE_K:
        return {" ".join(words)} if words else set()
    return _joined_shingles(words)


def fingerprint(text: str, words: list[str] | None = None) -> Fingerprint:
    """Fingerprint of an article *body*.

    Pass the body, not title + body: a republished copy usually has another title, and the
    title's shingles only lower the score of true copies (bench: recall 0.984 with the title,
    0.991 without).
    """
    return fingerprint_shingles(shingles(text, words))


def fingerprint_shingles(shingle_set: set[str]) -> Fingerprint:
    """Fingerprint of an already computed shingle set (bench and bulk re-indexing)."""
    minhash = RMinHash(NUM_PERM, SEED)
    if shingle_set:
        minhash.update(list(shingle_set))
    return Fingerprint(tuple(minhash.digest()), len(shingle_set))


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    if a.size == 0 or b.size == 0:
        return 0.0
    return sum(map(operator.eq, a.signature, b.signature)) / len(a.signature)


def containment(a: Fingerprint, b: Fingerprint) -> tuple[float, float]:
    """Estimated share of the (smaller, larger) shingle set that the two have in common."""
    return _containment(a, b, similarity(a, b))


def _containment(a: Fingerprint, b: Fingerprint, jaccard: float) -> tuple[float, float]:
    # |A∩B| = J·(|A|+|B|)/(1+J) follows from the Jaccard estimate and the set sizes.
    small, large = sorted((a.size, b.size))
    if small == 0:
        return 0.0, 0.0
    common = jaccard * (a.size + b.size) / (1.0 + jaccard)
    return min(1.0, common / small), min(1.0, common / large)


def is_near_duplicate(a: Fingerprint, b: Fingerprint) -> bool:
    """True when one text is a republished copy of the other.

    Jaccard alone misses trimmed or extended copies, so a pair also qualifies when most of
    the smaller text lies inside the larger one *and* that shared part is a real share of the
    larger one: a short brief quoted inside a long round-up is not a copy of the round-up.
    """
    jaccard = similarity(a, b)
    if min(a.size, b.size) < MIN_SHINGLES:
        return min(a.size, b.size) > 0 and jaccard >= SHORT_JACCARD_MIN
    if jaccard >= JACCARD_MIN:
        return True
    of_smaller, of_larger = _containment(a, b, jaccard)
    return of_smaller >= CONTAINMENT_MIN and of_larger >= LARGER_COVERAGE_MIN


# --- how a new text relates to a stored one ---------------------------------------------------

COPY, CONTAINED, UPDATE = "copy", "contained", "update"
# An update must add at least this many shingles of its own (about two sentences): an outlet's
# extra byline or closing line is a copy, not a development.
UPDATE_MIN_NEW = 30
# ... and, unless it opens with the stored report, that report must be a real part of it (exact
# shingles, ``_other_report``): a cabinet session's 1,000 words quoting a 40-word decision already
# reported are another report (0.03, 0.07), a fuller account of a relief flight around its brief
# an update (0.145).
UPDATE_MIN_SHARE = 0.1


# A new text holding at least this share of a stored one (estimated on the signatures) and this
# many of its shingles may be an edited copy or an update; ``distinct_reports`` decides on the words.
# "All edits" republications keep 0.24-0.60 of the original (a paragraph of two, one sentence
# moved); at J ≈ 0.1 the estimate's standard error is about 0.03.
PART_MIN = 0.15
PART_MIN_SHINGLES = MIN_SHINGLES


def relation(new: Fingerprint, stored: Fingerprint) -> str | None:
    """How a new text relates to a stored one, judged on the signatures alone.

    * ``COPY``: the same report (Jaccard, or most of the smaller inside a real share of the
      larger, as ``is_near_duplicate``).
    * ``CONTAINED``: the new text lies mostly inside the stored one but is a small part of it (a
      copy trimmed to under 40 %, a brief cut from a round-up): nothing new, a silent join.
    * ``UPDATE``: the stored text, or a part of it (``PART_MIN``), lies inside a longer new one
      that adds at least ``UPDATE_MIN_NEW`` shingles of its own: old wire paragraphs around a
      development, or a heavily edited copy. Provisional: ``distinct_reports`` reads the words
      (``_other_report``) before the pipeline joins it.
    * ``None``: not the same report.
    """
    jaccard = similarity(new, stored)
    if min(new.size, stored.size) < MIN_SHINGLES:
        return COPY if min(new.size, stored.size) > 0 and jaccard >= SHORT_JACCARD_MIN else None
    if jaccard >= JACCARD_MIN:
        return COPY
    common = jaccard * (new.size + stored.size) / (1.0 + jaccard)
    of_new, of_stored = min(1.0, common / new.size), min(1.0, common / stored.size)
    if new.size <= stored.size and of_new >= CONTAINMENT_MIN:
        return COPY if of_stored >= LARGER_COVERAGE_MIN else CONTAINED
    if of_stored >= CONTAINMENT_MIN and of_new >= LARGER_COVERAGE_MIN:
        return COPY
    if new.size > stored.size and of_stored >= PART_MIN and common >= PART_MIN_SHINGLES:
        # The stored report, or a part of it, beside more words of the new text's own: an update,
        # a copy edited heavily (a paragraph kept, a longer one added) or another report quoting it.
        # Only the words tell them apart (``distinct_reports``: ``_other_report``).
        return UPDATE if new.size - common >= UPDATE_MIN_NEW else COPY
    return None


# --- template news: same wording, another report ------------------------------------------------

# A slot is a short run replaced by another short run inside otherwise aligned text: a name, a
# place, a figure. Longer replaced runs are rewritten sentences, which copies have too.
MAX_SLOT = 6
# A name is a few words ("باتريك ألين", "جمهورية النيجر"); a longer replaced run holding headline
# words is a headline line inside the body, which copies change at will.
MAX_NAME_SLOT = 4
# Rounding and spelling out ("7 مليون" for 7,726,135; "نحو 15 مليون") change digits, not facts.
_MAGNITUDE = frozenset(
    "الف الفا الاف الفين مليون مليونا ملايين مليار مليارا مليارات نحو حوالي قرابه".split()
)
# Words outlets rewrite in a copy (a print copy says "امس" where the wire said "اليوم").
_DEICTIC = frozenset(
    "اليوم امس غدا البارحه الليله الان هذا هذه ذلك تلك يوم اول الاول الماضي الجاري الحالي "
    "المقبل القادم صباح مساء ظهر فجر عصر".split()
)
# Letters foreign names are spelled with interchangeably (غوغل/جوجل/قوقل), folded before the
# spelling-variant test.
_FOLD = str.maketrans({"غ": "ج", "ق": "ج", "ك": "ج", "ظ": "ض", "ذ": "د", "ث": "ت"})
_DIGITS = re.compile(r"\d+")
# How far into the body a page's own headline is looked for (banner and byline words before it).
_HEADLINE_SEARCH = 30
# Two runs this similar (rapidfuzz ratio on folded letters) are one name spelled two ways.
_VARIANT_RATIO = 60
# A numeric slot is mostly figures: at most this many words beside them on either side.
_MAX_NUMBER_CONTEXT = 2
# Figures this close are one value rounded ("8820.65" and "8821").
_ROUNDING = 0.001


def _numbers(words: list[str]) -> list[str]:
    # One scan of the words joined by a space (no digit run crosses it), not one per word.
    return _DIGITS.findall(" ".join(words))


def _rounded(x: str, y: str) -> bool:
    a, b = float(x), float(y)
    return abs(a - b) <= _ROUNDING * max(a, b, 1.0)


def _rounded_fraction(x: list[str], y: list[str]) -> bool:
    """Decimals after the same whole part, one the other rounded ("0.15" / "0.2")."""
    if len(x) != 1 or len(y) != 1 or not (x[0].isdigit() and y[0].isdigit()):
        return False
    short, long = sorted((x[0], y[0]), key=len)
    rounded = Decimal("0." + long).quantize(Decimal(1).scaleb(-len(short)), rounding=ROUND_HALF_UP)
    return rounded == Decimal("0." + short)


def _number_slot(
    x: list[str], y: list[str], counts_a: Counter[str], counts_b: Counter[str], after_number: bool
) -> bool:
    """The run swaps one figure for another that the other text does not have as often."""
    if after_number and _rounded_fraction(x, y):
        return False
    nx, ny = _numbers(x), _numbers(y)
    if not nx or not ny:
        return False  # a figure spelled out, added or dropped: formatting, not another value
    if len(x) - len(nx) > _MAX_NUMBER_CONTEXT or len(y) - len(ny) > _MAX_NUMBER_CONTEXT:
        return False  # a rewritten clause that happens to hold figures
    raw_x, raw_y = "".join(nx), "".join(ny)
    dx, dy = "".join(n.lstrip("0") for n in nx), "".join(n.lstrip("0") for n in ny)
    if raw_x == raw_y or dx == dy or dx.startswith(dy) or dy.startswith(dx):
        return False  # "44,793" / "44793", "05:15" / "5 15", "7" / "793" of a split figure
    if _MAGNITUDE & set(x + y) or _rounded(nx[0], ny[0]):
        return False
    return any(counts_a[n] > counts_b[n] for n in nx) and any(counts_b[n] > counts_a[n] for n in ny)


def _new_words(run: list[str], other: set[str]) -> set[str]:
    return {
        w for w in run
        if w not in other and w not in _DEICTIC and len(w) > 2 and not _DIGITS.search(w)
    }


def _without_headline(words: list[str], title: str) -> list[str]:
    """The body without its own headline near the top (pages often repeat it, after a banner or
    a byline): an outlet's other headline is not a slot."""
    head = tokens(title)
    if not head:
        return words
    for start in range(min(_HEADLINE_SEARCH, len(words)) + 1):  # after a banner or a byline
        if words[start : start + len(head)] == head:
            return words[:start] + words[start + len(head) :]
    return words


def _in_headline(words: set[str], headline: set[str]) -> bool:
    """A word of the run is in the headline, perhaps with a clitic in front ("وبنين", "لجامايكا")."""
    return any(h == w or (h.endswith(w) and len(h) - len(w) <= 2) for w in words for h in headline)


def distinct_reports(
    a_text: str,
    b_text: str,
    a_title: str = "",
    b_title: str = "",
    a_published: datetime | None = None,
    b_published: datetime | None = None,
) -> str | None:
    """Why two near-identical texts are still two reports (template news), or None.

    Agency templates (a cable to each head of state, a price report per session, a forecast per
    day) share almost every shingle; what differs are a few *slots*. The texts are aligned word
    by word (normalized tokens, difflib) and each short run replaced by another inside aligned
    text is checked:

    * a figure replaced by another figure that the other text does not hold as often
      (``1093`` / ``1086.06``, temperatures ``15 35`` / ``10 30``), unless it is the same value
      written another way or rounded;
    * a name replaced by another name, when each side's new words are found nowhere in the other
      text and each article's headline names its own (``بنين`` / ``النيجر`` in both the bodies
      and the titles of two cables). Synonyms a copy editor swaps rarely reach the headline on
      both sides; spelling variants (``غوغل`` / ``جوجل``) and relative days are skipped.

    * a day: with both publication times, relative days at aligned places ("اليوم" in both, or
      "اليوم" / "أمس") resolved against each text's own date name other days, and the wording was
      changed too (``_dated_change``): yesterday's forecast and today's.

    Added or removed sentences, bylines and boilerplate are insertions or deletions, or long
    replaced runs: they never decide. Measured with ``bench/bench_dedup.py``.
    """
    other = _other_report(a_text, b_text, a_title, b_title)
    if other:
        return other
    if _body_words(a_text, a_title) == _body_words(b_text, b_title):
        return None
    # difflib's alignment depends on the order: a slot one order merges into a long run shows up
    # in the other, so both are read.
    return (
        _cached_slot_change(a_text, a_title, b_text, b_title)
        or _cached_slot_change(b_text, b_title, a_text, a_title)
        or _dated_change(a_text, b_text, a_published, b_published)
    )


# A text meets up to 30 candidates, and the same-event decision checks a pair in both orders: what
# one side of a pair costs (its words, its signatures, the slot alignment) is kept for the next
# call. Keyed by the texts themselves (equal strings, equal results); huge texts are not kept.
_PAIR_CACHE = 256


def _cacheable(*texts: str) -> bool:
    return all(len(t) <= _BODY_CACHE_CHARS for t in texts)


@lru_cache(maxsize=64)
def _cached_body_words(text: str, title: str) -> list[str]:
    return _without_headline(_key(text).split(), title)


def _body_words(text: str, title: str) -> list[str]:
    """The normalized body words without the page's own headline (not to be mutated: cached)."""
    if _cacheable(text, title):
        return _cached_body_words(text, title)
    return _without_headline(_key(text).split(), title)


@dataclass(frozen=True)
class _Side:
    """What ``_slot_change`` reads of one text, whichever pair it is in."""

    words: list[str]
    word_set: frozenset[str]
    counts: Counter[str]
    title_words: frozenset[str]


def _side(words: list[str], title: str) -> _Side:
    return _Side(words, frozenset(words), Counter(_numbers(words)), frozenset(tokens(title)))


@lru_cache(maxsize=64)
def _cached_side(text: str, title: str) -> _Side:
    return _side(_cached_body_words(text, title), title)


@lru_cache(maxsize=_PAIR_CACHE)
def _slot_change_memo(a_text: str, a_title: str, b_text: str, b_title: str) -> str | None:
    a, b = _cached_side(a_text, a_title), _cached_side(b_text, b_title)
    ops = SequenceMatcher(None, a.words, b.words, autojunk=False).get_opcodes()
    return _slot_change_sides(a, b, ops)


def _cached_slot_change(a_text: str, a_title: str, b_text: str, b_title: str) -> str | None:
    """``_slot_change`` on the two bodies, once per ordered pair of texts."""
    if _cacheable(a_text, a_title, b_text, b_title):
        return _slot_change_memo(a_text, a_title, b_text, b_title)
    return _slot_change(_body_words(a_text, a_title), _body_words(b_text, b_title), a_title, b_title)


@lru_cache(maxsize=64)
def _cached_shingles(text: str) -> set[str]:
    """``shingles(text)``, shared between calls: not to be mutated."""
    return shingles(text)


@lru_cache(maxsize=64)
def _cached_opening(text: str) -> set[str]:
    return _shingle_list(opening_words(text))


# --- a part of a report inside another -----------------------------------------------------------

# The new text opens with the stored report when this share of its first paragraph's shingles are
# the stored text's: a copy or an update, however much it adds or drops after it.
OPENING_SHARE_MIN = 0.8
# A new text that holds the stored report but opens with another is an update when its headline is
# about the stored report: this share of the headline's content words are found in the stored title
# or text (dev-day labels: updates 0.40-1.00, round-ups and commentaries quoting a brief 0-0.27).
HEADLINE_SHARE_MIN = 1 / 3
# ... and holds at least this share of it (a wire report rewritten in places, after an interview
# that opens the new text, keeps 0.55 of it; two reports sharing a quoted statement, less).
PART_OF_STORED_MIN = 0.5
# Content words of a headline: longer than this (particles and short function words aside).
_CONTENT_LETTERS = 3
_PROCLITICS = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل")


def _stem(word: str) -> str:
    """The word without a proclitic or article, for a headline word to be found in a text."""
    for prefix in _PROCLITICS:
        if word.startswith(prefix) and len(word) - len(prefix) >= _CONTENT_LETTERS:
            return word[len(prefix) :]
    return word


def _headline_share(title: str, text: str, other_title: str) -> float | None:
    words = {_stem(w) for w in tokens(title) if len(w) > _CONTENT_LETTERS}
    if not words:
        return None
    found = {_stem(w) for w in _key(text).split()} | {_stem(w) for w in tokens(other_title)}
    return len(words & found) / len(words)


def _other_report(new_text: str, stored_text: str, new_title: str, stored_title: str) -> str | None:
    """Why a new text sharing only a part of its words with a stored one is another report.

    The signatures relate a text that holds a stored report or part of it (``relation``: an
    update, or a copy edited heavily). On the words: a text mostly inside the other, or holding
    most of it while half of it is the stored report's, is that report. Otherwise it must open
    with the stored report's words (its first paragraph: a copy that kept the lead and dropped or
    replaced the rest, a fuller account after the brief's lead). One that opens with its own words
    is an update only when it holds most of the stored report, that report is a real share of it
    (``UPDATE_MIN_SHARE``: a 1,000-word cabinet session quoting a 40-word decision is another
    report), and its headline is about it: a round-up of fixtures or a commentary quoting a brief
    has its own subject.
    """
    if _cacheable(new_text, stored_text):
        new, stored = _cached_shingles(new_text), _cached_shingles(stored_text)
    else:
        new, stored = shingles(new_text), shingles(stored_text)
    if min(len(new), len(stored)) < MIN_SHINGLES:
        return None
    common = len(new & stored)
    of_new, of_stored = common / len(new), common / len(stored)
    if of_new >= CONTAINMENT_MIN or (of_stored >= CONTAINMENT_MIN and of_new >= LARGER_COVERAGE_MIN):
        return None
    opening = _cached_opening(new_text) if _cacheable(new_text) else _shingle_list(opening_words(new_text))
    if of_stored < PART_MIN or common < PART_MIN_SHINGLES:
        return f"part: {of_stored:.2f} of the stored text"
    if opening and len(opening & stored) >= OPENING_SHARE_MIN * len(opening):
        return None
    if of_stored < PART_OF_STORED_MIN:
        return f"part: {of_stored:.2f} of the stored text, {of_new:.2f} of the new one, another opening"
    if of_new < UPDATE_MIN_SHARE:
        return f"round-up: the stored text is {of_new:.2f} of the new one"
    share = _headline_share(new_title, stored_text, stored_title)
    if share is not None and share < HEADLINE_SHARE_MIN:
        return f"round-up: {share:.2f} of the headline in the stored report"
    return None


# --- recurring bulletins: the same wording about another day ------------------------------------

# Two texts published less than this apart may name one day differently (a copy at 00:10 of a wire
# sent at 23:50, local midnight three hours from UTC's): their relative days are not compared. A
# daily bulletin comes a day later.
MIN_BULLETIN_GAP = timedelta(hours=12)
# A text republished a day late ("اليوم" left as it was, a few words respelled or edited) is a stale
# copy of the same report, not the next bulletin: the next one is rewritten. Content words changed
# inside the aligned text, spelling variants and relative-day words aside, that make a rewriting:
# about a sentence. Measured (bench, SaudiNewsNet): labelled next-day forecasts change 40 to 105
# such words; the forecast republished unchanged a day later 0; cross-day pairs the signatures
# join, corpus-wide, split 98 with 20 (125 with 3), 28 of them forecasts (30 with 3).
MIN_REWORDED = 20
_DAY_OFFSETS = frozenset(normalize(w) for w in ("اليوم", "أمس", "البارحة", "غدا", "غد"))
_DATE_MARK = "\x00date"  # one token per relative date; normalize() never yields it


def _utc(moment: datetime) -> datetime:
    """One clock for both texts (a feed may give +03:00, the database gives UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _dated_tokens(text: str, published: datetime) -> tuple[list[str], list[tuple[datetime, str]]]:
    """Tokens with each relative date replaced by one marker token, and per marker its resolved
    date and its words (normalized)."""
    words: list[str] = []
    dates: list[tuple[datetime, str]] = []
    last = 0
    for found in iter_relative(text, published):
        phrase = normalize(text[found.start : found.end])
        if found.precision != DAY or not _DAY_OFFSETS & set(phrase.split()):
            # A weekday alone ("الثلاثاء المقبل" written on a Monday: tomorrow or next week?) and a
            # week or a month are read differently from two days; their words stay words.
            continue
        words.extend(tokens(text[last : found.start]))
        words.append(_DATE_MARK)
        dates.append((found.date, phrase))
        last = found.end
    words.extend(tokens(text[last:]))
    return words, dates


def _reworded(a: list[str], b: list[str]) -> int:
    """Words changed inside two aligned texts, spelling variants and relative-day words aside.

    Only runs between aligned text count: what differs before the first or after the last aligned
    word is an outlet's banner, headline or "رابط الخبر" footer, not the report.
    """
    changed = 0
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal" or k in (0, len(ops) - 1):
            continue
        x, y = a[i1:i2], b[j1:j2]
        if tag == "replace" and fuzz.ratio(" ".join(x).translate(_FOLD), " ".join(y).translate(_FOLD)) >= _VARIANT_RATIO:
            continue
        changed += sum(1 for w in x + y if w not in _DEICTIC and len(w) > 2)
    return changed


def _dated_change(
    a_text: str, b_text: str, a_published: datetime | None, b_published: datetime | None
) -> str | None:
    """The same relative day, at the same place in two near-identical texts, resolves to two dates.

    "اليوم" in yesterday's forecast and in today's names two days: two reports. A copy republished
    the next day that says "أمس" where the original said "اليوم" names the same day: one report.
    Only aligned relative dates count (the markers are aligned with the words), so a date one text
    adds or drops never decides; and a text republished unchanged a day late is a stale copy.
    """
    if a_published is None or b_published is None:
        return None
    a_published, b_published = _utc(a_published), _utc(b_published)
    if abs(a_published - b_published) < MIN_BULLETIN_GAP:
        return None
    if a_published.date() == b_published.date():
        # One calendar day: "اليوم" / "أمس" is a copy editor's rewrite (a print edition out at
        # local midnight says "أمس" of the wire's "اليوم"), not another bulletin.
        return None
    words_a, dates_a = _dated_tokens(a_text, a_published)
    words_b, dates_b = _dated_tokens(b_text, b_published)
    if not dates_a or not dates_b:
        return None
    marks_a = [i for i, w in enumerate(words_a) if w == _DATE_MARK]
    marks_b = [j for j, w in enumerate(words_b) if w == _DATE_MARK]
    rank_a = {i: n for n, i in enumerate(marks_a)}
    rank_b = {j: n for n, j in enumerate(marks_b)}
    differ: list[tuple[datetime, datetime]] = []
    agree = 0
    for block in SequenceMatcher(None, words_a, words_b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            i, j = block.a + k, block.b + k
            if words_a[i] != _DATE_MARK:
                continue
            (day_a, phrase_a), (day_b, phrase_b) = dates_a[rank_a[i]], dates_b[rank_b[j]]
            if day_a.date() == day_b.date():
                agree += 1
            elif phrase_a == phrase_b:
                differ.append((day_a, day_b))
    # Only the same words naming two days decide ("اليوم" in both). "اليوم" / "أمس" is a copy
    # editor's rewrite whose two dates agree when the publication times are right; when they do not
    # (a print edition stamped at local midnight, hours off UTC) it would split a copy.
    # Most aligned days must disagree: a copy editor who rewrote "اليوم" as "أمس" may have missed
    # another one, and a bulletin's "حتى السبت المقبل" can name one Saturday from two days.
    # The whole texts, headlines kept: a forecast's first sentence can be its own headline.
    if len(differ) <= agree or _reworded(words_a, words_b) < MIN_REWORDED:
        return None
    first_a, first_b = differ[0]
    return f"day {first_a.date().isoformat()} / {first_b.date().isoformat()}"


# A word and the same word with a suffix ("تسع" / "تسعه", "موهوب" / "موهوبا"): at most this many
# letters more.
_MAX_SUFFIX = 2


def _one_word(u: str, v: str) -> bool:
    """The same word with or without a proclitic, the article or a short suffix ("غرفه" /
    "الغرفه"). Two names swapped in a template share no word: the aligned text around them holds
    what they share ("رئيس جمهوريه")."""
    u, v = _stem(u), _stem(v)
    short, long = sorted((u, v), key=len)
    return len(short) >= _CONTENT_LETTERS and long.startswith(short) and len(long) - len(short) <= _MAX_SUFFIX


def _slot_change(a: list[str], b: list[str], a_title: str, b_title: str) -> str | None:
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return _slot_change_sides(_side(a, a_title), _side(b, b_title), ops)


def _slot_change_sides(side_a: _Side, side_b: _Side, ops: list[tuple[str, int, int, int, int]]) -> str | None:
    a, b = side_a.words, side_b.words
    set_a, set_b = side_a.word_set, side_b.word_set
    counts_a, counts_b = side_a.counts, side_b.counts
    headline_a = side_a.title_words - side_b.title_words
    headline_b = side_b.title_words - side_a.title_words
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag != "replace" or k in (0, len(ops) - 1) or max(i2 - i1, j2 - j1) > MAX_SLOT:
            continue
        x, y = a[i1:i2], b[j1:j2]
        after_number = i1 > 0 and a[i1 - 1].isdigit()  # aligned: the equal run before holds it too
        if _number_slot(x, y, counts_a, counts_b, after_number):
            return f"figure {' '.join(x)} / {' '.join(y)}"
        if _numbers(x) or _numbers(y):
            continue
        if max(len(x), len(y)) > MAX_NAME_SLOT:
            continue  # a headline line or a clause rewritten, not a name
        if fuzz.ratio(" ".join(x).translate(_FOLD), " ".join(y).translate(_FOLD)) >= _VARIANT_RATIO:
            continue
        if any(_one_word(u, v) for u in x for v in y):
            continue  # a phrase reworded around one word ("تسع سنوات" / "تسعه اعوام"): not a name
        if _in_headline(_new_words(x, set_b), headline_a) and _in_headline(_new_words(y, set_a), headline_b):
            return f"name {' '.join(x)} / {' '.join(y)}"
    return None
