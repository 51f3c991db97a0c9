"""The same-event decision: a looser layer above copies.

Five outlets reporting one match, one attack or one decision in their own words share few
shingles, so the copy detector (``bot.dedup``) rightly keeps them apart; for the reader they are
still one development. Each article is reduced once, before any write transaction, to an
:class:`EventProfile` (:func:`event_key`): the light-stemmed content terms of its headline and
lead weighted by inverse document frequency over a background corpus (SaudiNewsNet dev days,
term counts only, ``bot/data/event_idf.tsv``), plus what tells one event from the next: the
figures, the headline names the lead repeats, the day the lead speaks of ("أمس", "اليوم") and
hashed word pairs. :func:`same_event` then says yes only when

* the two reports are within the window (``WINDOW_HOURS``) and their :func:`score` (weighted
  cosine blended with headline coverage) clears a bar that rises with the hours between them;
* they do not speak of different days (:func:`other_day`: today's forecast and tomorrow's);
* neither headline names someone or somewhere the other report never mentions
  (:func:`swapped_names`: another region's inspection, another head of state);
* when they share their wording (:func:`overlap`, template news), no slot is filled differently
  (:func:`distinct_slots`: the copy layer's word-by-word check on the whole texts, or the lead's
  figures when only serialised profiles are at hand).

Measured with ``bench/bench_events.py`` (labels in ``bench/data/event_pairs.tsv``); the
thresholds favour precision and 0 template merges over recall.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz

from bot import dedup
from bot.arabic import tokens
from bot.summarize import content_terms, term_stem

IDF_FILE = Path(__file__).with_name("data") / "event_idf.tsv"

# Headline words count this much more than lead words: the headline names the event.
TITLE_WEIGHT = 2.0
# Words of the body kept in a profile: the lead carries who/what/where; later paragraphs drift
# into background that other events on the topic share.
LEAD_WORDS = 120
# Terms in more than this share of the background corpus say nothing about the event.
MAX_DF_SHARE = 0.04
# Reports farther apart than this are never one event (the story window).
WINDOW_HOURS = 48.0
# The cosine two reports of one event reach, at 0 hours apart; the bar rises by RISE_PER_DAY
# for each day between them (a follow-up or the next day's template shares the topic words).
THRESHOLD = 0.44
RISE_PER_DAY = 0.05
# Blend of headline coverage into the score (the rest is the cosine).
TITLE_BLEND = 0.25
# Leads sharing this share of word pairs are rewrites of one text or one template.
TEMPLATE_OVERLAP = 0.4
# A headline name this uncommon (IDF, natural log) tells two reports apart when the other
# report never mentions it.
NAME_IDF = 4.0
# Template-like pairs this close in wording are checked for figures in the whole body too.
BODY_FIGURE_OVERLAP = 0.7
# Fewer weighted terms than this (a cartoon, a photo item) cannot be told apart by words.
MIN_TERMS = 4
# Two names this alike (rapidfuzz ratio, folded letters) are one name spelled two ways.
SPELLING_RATIO = 75
PROFILE_VERSION = 1

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class EventProfile:
    """What the same-event decision needs of one article, computed once per article."""

    weights: dict[str, float]  # term -> tf-idf weight, L2-normalised over title + lead
    title: frozenset[str]  # stemmed content terms of the headline
    figures: frozenset[str] = field(default_factory=frozenset)  # figures of headline + lead
    bigrams: frozenset[int] = field(default_factory=frozenset)  # crc32 of word pairs, headline + lead
    day: int | None = None  # the day the lead speaks of, relative to publication (امس = -1)
    echoed: frozenset[str] = field(default_factory=frozenset)  # headline terms the lead repeats
    body_figures: frozenset[str] = field(default_factory=frozenset)  # figures of the whole body
    headline: str = ""
    common: frozenset[str] = field(default_factory=frozenset)  # headline + lead terms too common to weigh
    # The article text, for the word-by-word template check (bot.dedup.distinct_reports); not
    # serialised: the storage layer keeps the text already and can put it back (dataclasses.replace).
    body: str | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> str:
        """Compact serialisation the storage layer can keep per story (a few hundred bytes)."""
        return json.dumps(
            {
                "v": PROFILE_VERSION,
                "w": {t: round(w, 4) for t, w in self.weights.items()},
                "t": sorted(self.title),
                "f": sorted(self.figures),
                "b": sorted(self.bigrams),
                "d": self.day,
                "e": sorted(self.echoed),
                "g": sorted(self.body_figures),
                "h": self.headline,
                "c": sorted(self.common),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> "EventProfile":
        data = json.loads(text)
        if data.get("v") != PROFILE_VERSION:
            raise ValueError(f"event profile version {data.get('v')}, expected {PROFILE_VERSION}")
        return cls(dict(data["w"]), frozenset(data["t"]), frozenset(data["f"]), frozenset(data["b"]),
                   data["d"], frozenset(data["e"]), frozenset(data["g"]), data["h"],
                   frozenset(data["c"]))


@lru_cache(maxsize=1)
def _idf_table() -> tuple[int, dict[str, int]]:
    """Document count and per-term document frequency of the background corpus."""
    lines = IDF_FILE.read_text(encoding="utf-8").splitlines()
    docs = 0
    df: dict[str, int] = {}
    for line in lines:
        if not line or line.startswith("#"):
            continue
        term, count = line.split("\t")
        if term == "__docs__":
            docs = int(count)
        else:
            df[term] = int(count)
    return docs, df


def idf(term: str) -> float:
    """Smoothed inverse document frequency; a term the corpus never saw counts as rarest."""
    docs, df = _idf_table()
    return math.log((docs + 1) / (df.get(term, 0) + 1))


def terms(text: str) -> list[str]:
    """Light-stemmed content terms, the same reduction summaries use ("وروسيا" meets "روسيا")."""
    return [term_stem(t) for t in content_terms(text)]


def event_key(title: str, body: str) -> EventProfile:
    """The profile of one article: cheap (no database), so it is computed before the write."""
    docs, df = _idf_table()
    limit = MAX_DF_SHARE * docs
    title_terms = terms(title)
    lead = " ".join(body.split()[:LEAD_WORDS])
    counts: Counter[str] = Counter()
    for t in title_terms:
        counts[t] += TITLE_WEIGHT
    lead_terms = terms(lead)
    for t in lead_terms:
        counts[t] += 1.0
    weights = {t: (1.0 + math.log(n)) * idf(t) for t, n in counts.items() if df.get(t, 0) <= limit}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    words = tokens(title + " " + lead)
    return EventProfile(
        weights={t: w / norm for t, w in weights.items()},
        title=frozenset(t for t in title_terms if df.get(t, 0) <= limit),
        figures=frozenset(n.lstrip("0") or "0" for n in _DIGITS.findall(" ".join(words))),
        day=_reference_day(words),
        echoed=frozenset(title_terms) & frozenset(lead_terms),
        common=frozenset(t for t in counts if t not in weights),
        body_figures=frozenset(n.lstrip("0") or "0" for n in _DIGITS.findall(" ".join(tokens(body)))),
        headline=title,
        body=body,
        bigrams=frozenset(zlib.crc32(f"{x} {y}".encode()) for x, y in zip(words, words[1:])),
    )


def similarity(a: EventProfile, b: EventProfile) -> float:
    """Weighted cosine of two profiles (0..1)."""
    if len(a.weights) > len(b.weights):
        a, b = b, a
    return sum(w * b.weights.get(t, 0.0) for t, w in a.weights.items())


# Relative day words (normalized) and the day they name, relative to the day of publication.
_DAY_WORDS = {"اليوم": 0, "الليله": 0, "امس": -1, "البارحه": -1, "غدا": 1}
_DAY_PAIRS = {("اول", "امس"): -2, ("بعد", "غد"): 2}


def _reference_day(words: list[str]) -> int | None:
    """The day the headline and lead speak of ("أمس" in a lead is the day before publication)."""
    for x, y in zip(words, [*words[1:], ""]):
        if (x, y) in _DAY_PAIRS:
            return _DAY_PAIRS[x, y]
        for prefix in ("", "و", "ف"):
            if x.startswith(prefix) and x[len(prefix):] in _DAY_WORDS:
                return _DAY_WORDS[x[len(prefix):]]
    return None


def other_day(a: EventProfile, b: EventProfile, hours_apart: float) -> bool:
    """Both leads name their day and, counted from the publication times, the days differ:
    today's forecast and tomorrow's, yesterday's session and today's."""
    if a.day is None or b.day is None:
        return False
    return a.day != round(hours_apart / 24.0) + b.day


def overlap(a: EventProfile, b: EventProfile) -> float:
    """Share of the smaller lead's word pairs found in the other: high for rewrites of one wire
    and for template reports, low for reports written independently."""
    if not a.bigrams or not b.bigrams:
        return 0.0
    return len(a.bigrams & b.bigrams) / min(len(a.bigrams), len(b.bigrams))


def distinct_slots(a: EventProfile, b: EventProfile) -> str | None:
    """Why two template-like reports are two events (a slot filled differently), or None.

    Only asked of pairs that share much of their wording (:func:`overlap`), where a changed
    figure or name is the whole difference, not a rewrite. With both texts at hand it is the copy
    layer's word-by-word check (``bot.dedup.distinct_reports``: another price, another head of
    state); from serialised profiles alone, figures each side's headline and lead hold and the
    other lacks (and, for near-identical leads, figures of the whole body: another day's
    temperatures).
    """
    if a.body is not None and b.body is not None:
        return dedup.distinct_reports(a.body, b.body, a.headline, b.headline)
    only_a, only_b = a.figures - b.figures, b.figures - a.figures
    if only_a and only_b:
        return f"figure {' '.join(sorted(only_a))} / {' '.join(sorted(only_b))}"
    if overlap(a, b) >= BODY_FIGURE_OVERLAP:
        only_a, only_b = a.body_figures - b.body_figures, b.body_figures - a.body_figures
        if only_a and only_b:
            return f"figure {' '.join(sorted(only_a)[:3])} / {' '.join(sorted(only_b)[:3])}"
    return None


def swapped_names(a: EventProfile, b: EventProfile, rarity: float = NAME_IDF) -> str | None:
    """Each headline names someone or somewhere the other report never mentions: a headline term
    the lead repeats (names are repeated, a headline's verb rarely is), not common, and absent
    from the other report's headline and lead."""
    names_a = {t for t in a.echoed - b.title if _name_like(t, rarity) and not _mentions(b, t)}
    names_b = {t for t in b.echoed - a.title if _name_like(t, rarity) and not _mentions(a, t)}
    if names_a and names_b:
        return f"name {' '.join(sorted(names_a))} / {' '.join(sorted(names_b))}"
    return None


def _name_like(term: str, rarity: float) -> bool:
    return idf(term) >= rarity and not _DIGITS.fullmatch(term)


_FOLD = str.maketrans({"غ": "ج", "ق": "ج", "ك": "ج", "ظ": "ض", "ذ": "د", "ث": "ت", "ى": "ي"})


def _mentions(profile: EventProfile, term: str) -> bool:
    """The report names ``term``, perhaps spelled another way (فولفسبورغ / فولفسبورج)."""
    if term in profile.weights or term in profile.common:
        return True
    folded = term.translate(_FOLD)
    return any(
        abs(len(t) - len(term)) <= 2 and fuzz.ratio(folded, t.translate(_FOLD)) >= SPELLING_RATIO
        for t in profile.weights
    )


def threshold(hours_apart: float) -> float:
    """The similarity a pair needs at this distance in time."""
    return THRESHOLD + RISE_PER_DAY * abs(hours_apart) / 24.0


def score(a: EventProfile, b: EventProfile) -> float:
    """How strongly two reports share their event's words: the weighted cosine of the profiles,
    blended with how much of each headline's weight the other report covers."""
    if not a.title or not b.title:
        return similarity(a, b)  # no headline (a body alone): the cosine alone
    return (1.0 - TITLE_BLEND) * similarity(a, b) + TITLE_BLEND * title_coverage(a, b)


def title_coverage(a: EventProfile, b: EventProfile) -> float:
    """Mean share of each headline's IDF mass found in the other report's headline or lead."""
    def one(x: EventProfile, y: EventProfile) -> float:
        total = sum(idf(t) for t in x.title)
        return sum(idf(t) for t in x.title if t in y.weights) / total if total else 0.0
    return (one(a, b) + one(b, a)) / 2.0


def why_not(a: EventProfile, b: EventProfile, hours_apart: float = 0.0) -> str | None:
    """Why two reports are not one event, or None when they are (for explanations and tests).

    ``hours_apart`` is signed: b's publication time minus a's (the day check needs the order).
    """
    if abs(hours_apart) > WINDOW_HOURS:
        return f"{abs(hours_apart):.0f} h apart, beyond the {WINDOW_HOURS:.0f} h window"
    if min(len(a.weights), len(b.weights)) < MIN_TERMS:
        return "too short to tell (a cartoon, a photo item)"
    value, needed = score(a, b), threshold(hours_apart)
    if value < needed:
        return f"score {value:.2f} < {needed:.2f}"
    if other_day(a, b, hours_apart):
        return f"another day ({a.day:+d} / {round(hours_apart / 24.0) + b.day:+d})"
    names = swapped_names(a, b)
    if names:
        return f"other names, {names}"
    if overlap(a, b) >= TEMPLATE_OVERLAP:
        slot = distinct_slots(a, b)
        if slot:
            return f"template, {slot}"
    return None


def same_event(a: EventProfile, b: EventProfile, hours_apart: float = 0.0) -> bool:
    """True when the two reports are one event: within the window, sharing their rare words,
    and, when they share their wording too, no template slot filled differently."""
    return why_not(a, b, hours_apart) is None
