"""Short extractive Arabic summaries for alerts.

A summary is 2-3 whole sentences copied from the article, in the article's order, so a reader
never sees words the outlet did not write. News puts the essential first, so the lead's first
real sentence always opens the summary when it fits; the others are chosen by score. A sentence
that leans on the one before it ("وأضاف أن…", "من جانبه…") is taken only together with that
one. The one exception to whole sentences: when not even one complete sentence fits
``max_chars``, the lead is cut at a clause boundary (، ؛) and marked "…".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from operator import mul
from pathlib import Path

from rapidfuzz import fuzz

from bot.text.arabic import normalize, split_sentences, tokens, unwrap
from bot.text import boilerplate
from bot.text.analysis import Analyzed
from bot.text.boilerplate import default_rules, fold_text, strip_lead_credit

STOPWORDS_FILE = Path(__file__).resolve().parents[1] / "data" / "stopwords_ar.txt"

ELLIPSIS = "…"
# A complete sentence ends in terminal punctuation, possibly followed by closing quotes/brackets.
_COMPLETE = re.compile(r"[.!?؟…][\"”»’›)\]]*$")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_LATIN_LETTER = re.compile("[A-Za-z]")
_OTHER_CHAR = re.compile("[^\\s\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff]")

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

# Weights measured on EASC (bench/bench_summary.py: a grid over weights, decay and redundancy at
# both budgets); the title weight cannot be measured there (EASC has no titles) and is set to
# count like centrality. News is lead-heavy: position counts twice as much as centrality.
POSITION_WEIGHT = 2.0
CENTRALITY_WEIGHT = 1.0
TITLE_WEIGHT = 1.0
# Lead bias 0.5 ** (rank / POSITION_HALF_LIFE) over candidate sentences: it falls smoothly
# over the first paragraphs instead of collapsing after the first sentence (1 / (1 + rank)).
POSITION_HALF_LIFE = 3.0
# Two sentences sharing this share of their terms say the same thing; keep only one.
REDUNDANCY_LIMIT = 0.6
# Below this many tokens a "sentence" is a byline, a credit or a fragment ("خبرين.").
MIN_TOKENS = 5
# An unpunctuated line this short is a heading, never summary material.
HEADING_MAX_TOKENS = 12
# Discourse openers after which a sentence cannot stand alone: it continues a quote or an
# argument begun in the sentence before. Written as key prefixes (normalize()d, so hamza and
# spelling variants match) with the conjunctions و/ف already removed.
# 1. Attribution verbs (any person/number ending) whose subject is left implicit: the verb is
#    followed at once by what was said ("وأضاف أن", "وأشار إلى أن", "وتابع:", "وقال إنه").
_SAID_VERBS = (
    "قال اضاف اكد اشار اوضح تابع بين لفت شدد ذكر نوه افاد كشف اعتبر راي اردف استطرد مضي زاد "
    "اختتم ختم اعرب طالب دعا حذر ابدي تحدث عبر اعلن اكمل اوضح اوجز لخص رد علق تساءل اعترف "
    "استدرك نفي اشاد ثمن قدر توقع رجح اعتقد يري "
    # present tense, as features quote their speaker ("يقول:", "تضيف أن")
    "يقول تقول يوكد توكد يشير تشير يوضح توضح يبين تبين يلفت تلفت يذكر تذكر يعتبر تعتبر"
).split()
_SAID_ENDINGS = ("", "ت", "وا", "ا", "تا", "ون")
_SAID_COMPLEMENTS = (
    "ان", "انه", "انها", "انهم", "بان", "بانه", "بانها", "الي", "قائلا", "قائله", "في", "علي",
    "خلال", "امس", "اليوم", "ايضا", "كذلك", "بدوره", "بدورها", "له", "لها", "لهم",
)
# Punctuation right after the verb also means its subject was named before: "وأضاف: «…»".
_SAID_MARKS = tuple(":،,؛\"«“'")
# 2. Fixed openers that point back ("من جانبه", "كما", "وفي هذا السياق", "إلى ذلك").
_BACK_POINTERS = (
    "من جانب", "من جهت", "من ناحيت", "بدور", "في المقابل", "في هذا السياق", "في هذا الصدد",
    "في هذا الاطار", "في سياق متصل", "في السياق ذات", "في الاطار ذات", "في الصدد ذات",
    "الي ذلك", "علاوه علي ذلك", "بالاضافه الي ذلك", "فضلا عن ذلك", "اضافه الي ذلك",
    "كما", "كذلك", "ايضا", "لكن", "غير ان", "الا ان", "بيد ان", "رغم ذلك", "مع ذلك",
    "لذلك", "لذا", "لهذا", "عليه", "بالتالي", "من ثم", "ثم", "حيث", "اذ", "بينما", "في حين",
    "هو ما", "هذا ما", "ذلك ما", "هي", "هو", "هم", "هذا", "هذه", "ذلك", "تلك", "اما",
    "فيما", "قائلا", "يضيف", "تضيف", "يتابع", "تتابع", "يردف", "تردف", "يستطرد", "يختم", "تختم",
)
# Verbs that continue a statement ("وأضاف الوزير…", "وتابع…"), and "وعن …" (turning to the next
# question in an interview): only after the conjunction, since "مضى ربع قرن" opens a story.
_AFTER_CONJUNCTION = (
    "اضاف", "تابع", "اختتم", "ختم", "اردف", "استطرد", "مضي", "زاد", "استدرك", "عن",
)
# A preposition before a demonstrative points at the sentence before: "بعد ذلك", "رغم هذا".
_DEMONSTRATIVE_AFTER = re.compile(
    r"^(?:بعد|قبل|اثر|عقب|رغم|مع|الي|علي|خلال|منذ|عن|من|في|ب|ل)\s+(?:ذلك|هذا|هذه|تلك|هولاء)(?:\s|$)"
)
# A short sentence ending on an anaphor says nothing alone: "وقد أعد مرسوم ملكي بذلك."
_ANAPHOR_ENDINGS = frozenset({"ذلك", "بذلك", "لذلك", "كذلك", "ذاته", "ذاتها", "نفسه", "نفسها", "ايضا"})
_SHORT_SENTENCE_WORDS = 8
# A list item ("4 ـ تعيين…", "ثالثاً: وافق…", "- منطقة الرياض…") belongs to its list's heading.
_LIST_ITEM = re.compile(r"^\s*(?:[-–—•*▪]|\(?[0-9٠-٩]{1,2}\s*(?:[-–—ـ)]|\.(?=\s)))")
_ORDINALS = frozenset(
    "اولا ثانيا ثالثا رابعا خامسا سادسا سابعا ثامنا تاسعا عاشرا اخيرا".split()
)
# Pronoun endings that make an opener refer back ("من جانبه", "من جهتها", "بدورهم").
_PRONOUN_ENDINGS = ("ه", "ها", "هم", "هما", "هن")
# A sentence this similar to the title (rapidfuzz ratio on keys) repeats it.
TITLE_REPEAT_RATIO = 90


@dataclass(frozen=True)
class Candidate:
    """A sentence that may enter the summary, with what scoring needs.

    ``needs`` is None for a sentence that stands alone; for one that leans on the sentence
    before it, the ``order`` of that sentence, or -1 when that sentence is not a candidate (then
    it can never be shown: its reader would miss what it refers to).
    """

    order: int
    text: str
    terms: Counter[str]
    score: float = 0.0
    needs: int | None = None


def summarize(
    title: str,
    body: str,
    *,
    max_chars: int = 550,
    max_sentences: int = 3,
    min_sentences: int = 2,
    analyzed: Analyzed | None = None,
) -> str:
    """Pick the article's most central early sentences that fit an alert.

    Fewer than ``min_sentences`` come back only when the article has no fitting set that large;
    a body with fewer complete sentences than that is summarized from its unpunctuated lines too.
    ``analyzed``: the article's analysis (its lines are unwrapped once for every stage).
    """
    title_terms = set(_stems(title))
    candidates = _candidates(title, body, min_sentences, analyzed.lines if analyzed is not None else None)
    if not candidates:
        return ""
    scored = _score(candidates, title_terms)
    chosen = _select(scored, max_chars, max_sentences)
    if chosen:
        return " ".join(c.text for c in chosen)
    # Not one whole sentence fits: the last resort is the lead, cut at a clause boundary.
    return shorten(_lead(scored).text, max_chars)


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
def term_stem(token: str) -> str:
    return _SUFFIX.sub("", _PREFIX.sub("", token))


class _ContentStems(dict):
    """token -> its ``term_stem``, or "" for a token that is no content term (a stop word, a single
    letter): one C-level dict lookup per token instead of a length test, a set test and an
    ``lru_cache`` call. A stem is never empty (the affixes come off only while 3 letters remain)."""

    LIMIT = 200_000  # distinct tokens kept; past it the table starts again (memory stays bounded)

    def __missing__(self, token: str) -> str:
        if len(self) > self.LIMIT:
            self.clear()
        stem = term_stem(token) if len(token) > 1 and token not in stopwords() else ""
        self[token] = stem
        return stem


# Shared with the same-event profile (bot.text.events), which stems the same tokens.
CONTENT_STEMS = _ContentStems()


@lru_cache(maxsize=16384)
def _stems(text: str) -> tuple[str, ...]:
    """The stemmed content terms of a sentence or title, in order (cached: a title is compared with
    every sentence, and each sentence is read by several checks)."""
    return tuple(filter(None, map(CONTENT_STEMS.__getitem__, tokens(text))))


def _terms(text: str) -> Counter[str]:
    return Counter(_stems(text))


# --- candidates ----------------------------------------------------------------------------


def _strip_credit(line: str) -> str:
    """``strip_lead_credit(line)``, asked only of a line whose head a lead rule matches: folding a
    line with offsets for every line of every body was a third of a summary's cost."""
    rules = default_rules()
    if rules.leads and line:
        head = fold_text(line.lstrip().partition("\n")[0][:boilerplate.HEAD_CHARS])
        for rule in rules.leads:
            if not rule.may_match(head):  # the "(" or ":" its credit needs is not there
                continue
            m = rule.pattern.match(head)
            if m is not None and m.end():
                return strip_lead_credit(line)
    return line


def _candidates(title: str, body: str, min_sentences: int, lines: list[str] | None = None) -> list[Candidate]:
    """Summary material in body order; what is dropped still breaks the chain of sentences, so
    a sentence leaning on a dropped one is never shown without it."""
    # (sentence, complete, inside a quote opened before it) or None for a dropped one
    sequence: list[tuple[str, bool, bool] | None] = []
    for line in lines if lines is not None else unwrap(body).splitlines():
        line = _strip_credit(line)
        if _is_junk_line(line):
            sequence.append(None)
            continue
        quote_depth, straight_open = 0, False
        for sentence in split_sentences(line):
            # A sentence that goes on inside a quote left open before it, or that closes a quote
            # it never opened (the quote began on an earlier line), continues that speech.
            inside = quote_depth > 0 or straight_open or _closes_unopened_quote(sentence)
            quote_depth = max(0, quote_depth + _quote_balance(sentence))
            straight_open ^= sentence.count('"') % 2 == 1
            # A lead that introduces a list or a quote ("…وفق الشروط التالية:") is still the lead.
            introduces = sentence.rstrip().endswith(":") and not any(sequence)
            if _is_junk_sentence(sentence, title, allow_colon=introduces):
                sequence.append(None)
            else:
                complete = introduces or bool(_COMPLETE.search(sentence))
                sequence.append((sentence, complete, inside))
    # A body written without full stops (some feeds) still deserves a summary from its lines.
    if sum(1 for item in sequence if item and item[1]) >= min_sentences:
        sequence = [item if item and item[1] else None for item in sequence]
    out: list[Candidate] = []
    seen: set[str] = set()
    previous_kept = False
    for item in sequence:
        key = normalize(item[0]) if item else ""
        if item is None or key in seen:
            previous_kept = False
            continue
        seen.add(key)
        needs = None
        if item[2] or leans_back(item[0]):
            needs = len(out) - 1 if previous_kept else -1
        out.append(Candidate(len(out), item[0], _terms(item[0]), needs=needs))
        previous_kept = True
    return out


def _quote_balance(sentence: str) -> int:
    """Quotes opened minus quotes closed (curly quotes and guillemets)."""
    opened = sum(sentence.count(q) for q in "“«")
    closed = sum(sentence.count(q) for q in "”»″")
    return opened - closed


def _closes_unopened_quote(sentence: str) -> bool:
    """A » without its «, or a lone ” / ″ (some outlets write ”…” or “…″ for a pair)."""
    if sentence.count("»") > sentence.count("«"):
        return True
    openers = sentence.count("“")
    closers = sentence.count("”") + sentence.count("″")
    if openers:
        return closers > openers
    # A lone ” may open a quote in those outlets; it closes one only at the sentence's end.
    return closers % 2 == 1 and sentence.rstrip(" .!?؟…")[-1:] in "”″"


def leans_back(sentence: str) -> bool:
    """True when the sentence opens with a discourse continuation and cannot stand alone."""
    all_words = normalize(sentence).split()
    words = all_words[:4]
    if not words:
        return False
    first = words[0]
    # The conjunctions و and ف attach to the opener: "وأضاف", "فيما", "ومن جانبه".
    stems = [first[1:]] if first[:1] in ("و", "ف") and len(first) > 2 else []
    stems.append(first)
    rest = words[1:]
    raw = sentence.split(maxsplit=2)
    marked = raw[0].endswith(_SAID_MARKS) or (len(raw) > 1 and raw[1].startswith(_SAID_MARKS))
    if _LIST_ITEM.match(sentence) or (first in _ORDINALS and marked):
        return True
    tail = " ".join(rest)
    for stem in stems:
        if _said_without_subject(stem, rest, marked):
            return True
        phrase = f"{stem} {tail}" if tail else stem
        if _BACK_POINTER_RE.match(phrase):
            return True
        if _DEMONSTRATIVE_AFTER.match(phrase):
            return True
        if stem != first and _AFTER_CONJUNCTION_RE.match(phrase):
            return True
    return len(all_words) <= _SHORT_SENTENCE_WORDS and all_words[-1] in _ANAPHOR_ENDINGS


def _said_without_subject(verb: str, rest: list[str], marked: bool) -> bool:
    if verb not in _said_forms():
        return False
    return marked or not rest or rest[0] in _SAID_COMPLEMENTS


@lru_cache(maxsize=1)
def _said_forms() -> frozenset[str]:
    return frozenset(f"{v}{e}" for v in _SAID_VERBS for e in _SAID_ENDINGS)


def _openers(openers: tuple[str, ...]) -> re.Pattern[str]:
    """``_opens_with`` for any of ``openers`` as one regex: one scan instead of ~70 prefix tests."""
    alternatives = "|".join(map(re.escape, sorted(openers, key=len, reverse=True)))
    endings = "|".join(map(re.escape, _PRONOUN_ENDINGS))
    return re.compile(f"(?:{alternatives})(?:{endings})?(?= |\\Z)")


_BACK_POINTER_RE = _openers(_BACK_POINTERS)
_AFTER_CONJUNCTION_RE = _openers(_AFTER_CONJUNCTION)


def _opens_with(phrase: str, opener: str) -> bool:
    """Whole-word prefix match; an opener ending in a bare stem also takes a pronoun ending."""
    if phrase == opener or phrase.startswith(opener + " "):
        return True
    return any(
        phrase == opener + e or phrase.startswith(f"{opener}{e} ") for e in _PRONOUN_ENDINGS
    )


def _is_junk_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped or is_boilerplate(stripped):
        return True
    if not _URL.sub("", stripped).strip(" \t-–—|:·•"):
        return True
    # Headings: short lines that do not end like a sentence.
    return not _COMPLETE.search(stripped) and word_count(stripped) <= HEADING_MAX_TOKENS


def _is_junk_sentence(sentence: str, title: str, allow_colon: bool = False) -> bool:
    if word_count(sentence) < MIN_TOKENS or _URL.search(sentence):
        return True
    if is_boilerplate(sentence):
        return True
    if _mostly_latin(sentence) or (sentence.rstrip().endswith(":") and not allow_colon):
        return True
    return bool(title.strip()) and repeats_title(sentence, title)


def word_count(text: str) -> int:
    """``len(tokens(text))`` without the list: a key is its words joined by single spaces."""
    key = normalize(text)
    return key.count(" ") + 1 if key else 0


def is_boilerplate(text: str) -> bool:
    """Outlet furniture that a cleaner may have missed, matched on keys so spelling can vary."""
    key = f" {normalize(text)} "
    openings, phrases = _boilerplate_keys()
    # Padded with spaces so that whole words match: "المصدر" must not match "المصدرون".
    return key.startswith(openings) or any(p in key for p in phrases)


@lru_cache(maxsize=1)
def _boilerplate_keys() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The openings and phrases as keys, padded with spaces (whole words)."""
    return (
        tuple(f" {normalize(o)} " for o in BOILERPLATE_OPENINGS),
        tuple(f" {normalize(p)} " for p in BOILERPLATE_PHRASES),
    )


def _mostly_latin(text: str) -> bool:
    # Latin letters and digits are among the characters that are neither Arabic letters nor
    # spaces: more Arabic letters than those is more than the budget, found without testing every
    # character for a digit (which was most of a summary's cost of this check).
    if _more_arabic_than(text, len(_OTHER_CHAR.findall(text))):
        return False
    return not _more_arabic_than(text, len(_LATIN_LETTER.findall(text)) + sum(map(str.isdigit, text)))


def _more_arabic_than(text: str, budget: int) -> bool:
    # Arabic letters are counted only up to the budget: an Arabic sentence is decided at once.
    for seen, _ in enumerate(_ARABIC_LETTER.finditer(text)):
        if seen >= budget:
            return True
    return False


def repeats_title(sentence: str, title: str) -> bool:
    """True when the sentence adds nothing the title does not already say."""
    s_key, t_key = normalize(sentence), normalize(title)
    if not s_key or not t_key:
        return False
    # score_cutoff: rapidfuzz returns 0 below the bar, and rules most pairs out by their lengths alone.
    if fuzz.ratio(s_key, t_key, score_cutoff=TITLE_REPEAT_RATIO) >= TITLE_REPEAT_RATIO:
        return True
    # A headline made from the lead sentence and shortened with "…": that sentence is the title.
    if title.rstrip().endswith(("…", "...")) and len(t_key) >= 20 and s_key.startswith(t_key):
        return True
    s_terms = set(_stems(sentence))
    return bool(s_terms) and len(s_terms - set(_stems(title))) <= 1


# --- scoring -------------------------------------------------------------------------------


def _score(candidates: list[Candidate], title_terms: set[str]) -> list[Candidate]:
    centrality = _centrality(candidates)
    scored = []
    for c, cent in zip(candidates, centrality):
        position = 0.5 ** (c.order / POSITION_HALF_LIFE)
        title = len(title_terms & c.terms.keys()) / len(title_terms) if title_terms else 0.0
        score = POSITION_WEIGHT * position + CENTRALITY_WEIGHT * cent + TITLE_WEIGHT * title
        scored.append(Candidate(c.order, c.text, c.terms, score, c.needs))
    return scored


def _centrality(candidates: list[Candidate]) -> list[float]:
    """Cosine of each sentence with the whole article (tf-idf over sentences), scaled to 0..1."""
    # Every product and every sum below is the one the dict-per-sentence form made, in the same
    # order (so the floats are the same to the bit), by C-level maps instead of Python loops.
    n = len(candidates)
    df = Counter(chain.from_iterable(c.terms for c in candidates))
    idf = {term: math.log((n + 1) / (count + 0.5)) for term, count in df.items()}
    # The summed term counts, keys in first-seen order (what Counter.update per sentence made).
    centroid = Counter(chain.from_iterable(c.terms.elements() for c in candidates))
    cvec = {t: tf * idf[t] for t, tf in centroid.items()}
    cvalues = list(cvec.values())
    cnorm = math.sqrt(sum(map(mul, cvalues, cvalues))) or 1.0
    raw = []
    for c in candidates:
        terms = c.terms
        vec = list(map(mul, terms.values(), map(idf.__getitem__, terms)))
        norm = math.sqrt(sum(map(mul, vec, vec))) or 1.0
        raw.append(sum(map(mul, vec, map(cvec.__getitem__, terms))) / (norm * cnorm))
    top = max(raw, default=0.0) or 1.0
    return [r / top for r in raw]


# --- selection -----------------------------------------------------------------------------


def _lead(candidates: list[Candidate]) -> Candidate:
    """The lead's first real sentence: the first candidate that stands alone."""
    return next((c for c in candidates if c.needs is None), candidates[0])


def _select(scored: list[Candidate], max_chars: int, max_sentences: int) -> list[Candidate]:
    """The lead when it fits, then the best-scoring sentences that fit, in body order.

    Greedy by score, earlier first on ties. A sentence that leans on its predecessor becomes
    eligible only once that predecessor is chosen.
    """
    chosen: list[Candidate] = []
    lead = _lead(scored)
    if lead.needs is None and len(lead.text) <= max_chars:
        chosen.append(lead)
    while len(chosen) < max_sentences:
        taken = {c.order for c in chosen}
        room = max_chars - _length(chosen) - (1 if chosen else 0)
        eligible = [
            c
            for c in scored
            if c.order not in taken
            and len(c.text) <= room
            and (c.needs is None or c.needs in taken)
            and not any(_overlap(c, o) > REDUNDANCY_LIMIT for o in chosen)
        ]
        if not eligible:
            break
        chosen.append(max(eligible, key=lambda c: (c.score, -c.order)))
    return sorted(chosen, key=lambda c: c.order)


def _length(combo: list[Candidate]) -> int:
    return sum(len(c.text) for c in combo) + max(len(combo) - 1, 0)


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
