"""When did the reported event happen? Dates stated in the text, resolved against the publication.

dateparser 1.5 knows Egyptian/Gulf month names only and gives up on every doubled form news
agencies write ("18 ديسمبر/كانون الأول", "أغسطس/آب 2025"), on "يونيو الماضي", on ordinal days
("الثامن من مايو") and on Hijri dates written with month names. This module finds those
expressions with ``bot.text.dates``' month lexicon (Levantine, Maghrebi and doubled names included) and
resolves each one to a date *with its precision* (day, week, month, year):

- a year-less date is read by its marker ("المقبل/القادم" → the next occurrence, "الماضي" → the
  previous one, "الجاري/الحالي" → this year, "من العام الماضي" → last year); unmarked, by the tense
  of its clause ("سيعقد", "من المقرر" → forward; "كان", "منذ" → back), else the occurrence nearest
  the publication date (see ``FUTURE_WINDOW``);
- a range ("يومي 10 و11 أبريل", "من 14 يونيو حتى 15 يوليو 2018", "من الثامن إلى العاشر من
  ديسمبر") gives its first day, its last in ``EventDate.until``, and the year stated at its end;
- a Hijri date followed by its Gregorian equivalent ("… 1437هـ (الموافق 2 نوفمبر 2015م)") takes
  the Gregorian one (Umm al-Qura tables and the outlet can differ by a day); alone it is converted
  with hijridate;
- relative days (أمس، غدا الأحد، الخميس الماضي، الشهر الجاري، الأسبوع المقبل) go through
  ``bot.text.dates.iter_relative``, the same resolver the timeline's periods use.

``parse_expression`` falls back to dateparser for what only it parses ("منذ 3 أيام", "قبل ساعة").
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, replace
from typing import Iterator
from datetime import datetime, timedelta, timezone

from bot.text.arabic import normalize
from bot.text.dates import (
    DAY, LAST, MARKER, MARKERS, MONTH, NEXT, THIS, WEEK, YEAR, _MONTH, _MONTH_LOOKUP, _alternation, _tolerant,
    ascii_digits, iter_dates, iter_relative,
)

__all__ = ["DAY", "WEEK", "MONTH", "YEAR", "EventDate", "EventMoment", "find_dates", "event_date",
           "parse_expression", "FUTURE_WINDOW"]


_HIJRI_NAMES: dict[int, tuple[str, ...]] = {
    1: ("محرم",),
    2: ("صفر",),
    3: ("ربيع الأول",),
    4: ("ربيع الآخر", "ربيع الثاني"),
    5: ("جمادى الأولى", "جمادى الأول"),
    6: ("جمادى الآخرة", "جمادى الثانية", "جمادى الآخر"),
    7: ("رجب",),
    8: ("شعبان",),
    9: ("رمضان",),
    10: ("شوال",),
    11: ("ذو القعدة", "ذي القعدة"),
    12: ("ذو الحجة", "ذي الحجة"),
}
_HIJRI_LOOKUP = {normalize(n): m for m, names in _HIJRI_NAMES.items() for n in names}
_HIJRI_MONTH = _alternation(n for names in _HIJRI_NAMES.values() for n in names)

# Ordinal day words, as news writes them for a day of the month ("الثامن من مايو").
_UNITS = ("الأول", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع", "العاشر")
_ORDINALS: dict[str, int] = {w: i for i, w in enumerate(_UNITS, 1)}
_ORDINALS["الحادي عشر"] = 11
_ORDINALS.update({f"{w} عشر": i for i, w in enumerate(_UNITS[1:9], 12)})
_ORDINALS["العشرين"] = 20
_ORDINALS["الثلاثين"] = 30
for _tens, _base in (("العشرين", 20), ("الثلاثين", 30)):
    for _i, _w in enumerate(("الحادي", *_UNITS[1:9]), 1):
        if _base + _i <= 31:
            _ORDINALS[f"{_w} و{_tens}"] = _base + _i
_ORDINAL_LOOKUP = {normalize(w).replace(" ", ""): n for w, n in _ORDINALS.items()}
_ORD = _alternation(_ORDINALS, space=r"\s*")
# An ordinal after these nouns counts something else: "النصف الثاني من ديسمبر", "الأسبوع الأول من…".
_NOT_A_DAY = frozenset(normalize(w) for w in (
    "النصف", "الربع", "الثلث", "الأسبوع", "الأسبوعين", "العشر", "العشرة", "الأيام", "الشوط", "الدور", "الجزء",
    "الفصل", "الثلاثي", "السداسي", "المركز", "المرتبة", "الجولة", "الموسم", "الطابق"))
# A date that names something ("قوى 14 آذار", "ثورة 25 يناير", "شارع 26 يوليو") is no event date.
_NAMED_BY = frozenset(normalize(w) for w in (
    "ثورة", "حركة", "قوى", "فريق", "تحالف", "تيار", "انتفاضة", "ذكرى", "أحداث", "هجمات", "شارع", "ميدان",
    "جسر", "جامعة", "مدينة", "ملعب", "مستشفى", "نادي", "كتائب", "لواء", "ساحة", "جمعية", "مجموعة"))

_B = r"(?<![^\W\d_])"  # not inside a word
_E = r"(?![^\W\d_])"
_SEP = r"(?:و|-|–|—|ـ+|" + _alternation(("إلى", "حتى", "لغاية", "ولغاية", "وحتى", "وإلى")) + ")"
_D = r"(?:(?:ال|لل)ـ*\s*)?[0-3]?\d(?!\d)"  # "12", "ال12", "الـ 12", "ال١٢"
_MG = (rf"(?P<month>{_MONTH})\.?(?:\s*(?:/|\(|-)\s*(?:{_MONTH})\s*\)?|\s+(?:{_MONTH}))?{_E}"
       rf"|(?P<relmonth>{_tolerant('الشهر')})\s+(?P<relmark>{MARKER}){_E}")
_YR = r"(?P<year>1[5-9]\d\d|20\d\d)(?!\d)"
_YEAR_WORD = _alternation(("عام", "العام", "سنة", "السنة"))
_TAIL = (rf"(?:\s*[,،]?\s*(?:(?P<mark>{MARKER}){_E}"
         rf"|(?:من\s+)?(?:{_YEAR_WORD})\s+(?P<ymark>{MARKER}){_E}"
         rf"|(?:من\s+)?(?P<ythis>{_tolerant('هذا العام')}|{_tolerant('هذه السنة')}){_E}"
         rf"|(?:من\s+)?(?:(?:{_YEAR_WORD})\s+)?{_YR}))?")

_DAY_MONTH = re.compile(
    rf"(?<![\w.])(?<!\d[/\-])(?P<day>{_D})(?P<rest>(?:\s*{_SEP}\s*{_D})*)"
    rf"\s*(?:{_tolerant('من')}\s+)?(?:{_tolerant('شهر')}\s+)?(?:{_MG}){_TAIL}", re.IGNORECASE)
_ORDINAL = re.compile(
    rf"{_B}(?:(?P<ord>{_ORD})(?P<orest>(?:\s*{_SEP}\s*(?:{_ORD}))*)\s+{_tolerant('من')}\s+"
    rf"|(?P<first>{_tolerant('غرة')})\s+)(?:{_tolerant('شهر')}\s+)?"  # "غرة أفريل": the first of April
    rf"(?:{_MG}){_TAIL}", re.IGNORECASE)
_TRIGGER = _alternation((
    "في", "ففي", "وفي", "منذ", "خلال", "حتى", "وحتى", "بحلول", "مطلع", "نهاية", "بنهاية", "أواخر", "أوائل", "منتصف",
    "بداية", "ببداية", "أواسط", "قبل", "بعد", "من", "إلى", "الى", "غاية", "لغاية", "اعتبارا", "بدءا", "in", "since"))
_MONTH_ONLY = re.compile(  # "…" after a trigger word, "شهر", or "و" in a list ("خلال مارس وجوان ونوفمبر 2015")
    rf"(?:{_B}|(?<=\sو))(?:(?P<pre>{_TRIGGER})\s+(?:{_tolerant('شهر')}\s+)?|(?P<shahr>ل?{_tolerant('شهر')})\s+)?"
    rf"(?P<month>{_MONTH})\.?(?:\s*(?:/|\(|-)\s*(?:{_MONTH})\s*\)?|\s+(?:{_MONTH}))?{_E}{_TAIL}", re.IGNORECASE)
# Where a month name can start in _MONTH_ONLY: after a non-letter (a space, a digit, the start) or
# after the "و" of a list. Zero width, so overlapping names are all found.
_MONTH_AT = re.compile(rf"(?:{_B}|(?<=و))(?=(?:{_MONTH}))", re.IGNORECASE)
# The same starts found by the character before them (one that is not a letter, or و): the regex
# engine then skips a word's other letters in C instead of trying each position (see _month_starts).
_MONTH_AFTER = re.compile(rf"[\W\d_و](?=(?:{_MONTH}))", re.IGNORECASE)


def _month_starts(text: str) -> list[int]:
    """``[m.start() for m in _MONTH_AT.finditer(text)]``: where a month name can start (~1.4x faster).

    ``_MONTH_AT`` holds at a position after a non-letter or و, or at the text's start; a match of
    ``_MONTH_AFTER`` takes that one character and ends where the next may begin, so its matches
    give every such position after the first."""
    starts = [0] if _MONTH_AT.match(text) else []
    starts += [m.start() + 1 for m in _MONTH_AFTER.finditer(text)]
    return starts


_MONTH_ONLY_RUNS = 2  # a trigger word and "شهر": the most a match holds before its month


@lru_cache(maxsize=1)
def _rel_month() -> re.Pattern[str]:
    """The other way _DAY_MONTH and _ORDINAL name a month ("15 الشهر الماضي"): their gate beside
    _MONTH_AT. Compiled on first use (its mark classes cost milliseconds: not at import)."""
    return re.compile(_tolerant("الشهر"), re.IGNORECASE)


def _month_only(text: str, anchors: list[int] | None = None) -> Iterator[re.Match[str]]:
    """``_MONTH_ONLY.finditer(text)``, tried only where a match can start.

    A match holds a month name, and before it at most a trigger word and "شهر" (two runs of
    non-space characters and the spaces after them). So the match starting leftmost from any
    position is found by trying ``match`` at each position from two runs before each month name
    up to the name, in order: far fewer tries than a scan of every position of the text (where
    Python's engine has no literal prefix to skip by), the same matches.
    """
    pos = 0
    tried = -1
    for end in anchors if anchors is not None else _month_starts(text):
        if end < pos:
            continue
        start = end
        for _ in range(_MONTH_ONLY_RUNS):
            while start > 0 and text[start - 1].isspace():
                start -= 1
            while start > 0 and not text[start - 1].isspace():
                start -= 1
        for p in range(max(start, pos, tried + 1), end + 1):
            tried = p
            m = _MONTH_ONLY.match(text, p)
            if m is not None:
                yield m
                pos = m.end()
                break


_HIJRI = re.compile(  # "26 شوال 1436 هـ", "12-14 شوال 1436هـ", "التاسع من شهر رمضان 1436هـ"
    rf"(?:(?<![\w.])(?<!\d[/\-])(?P<day>[0-3]?\d)(?P<rest>(?:\s*{_SEP}\s*[0-3]?\d)*)"
    rf"|{_B}(?P<hord>{_ORD})\s+{_tolerant('من')}(?:\s+{_tolerant('شهر')})?)\s+(?P<hmonth>{_HIJRI_MONTH})\s*"
    rf"(?:(?:من\s+)?(?:{_YEAR_WORD})\s*)?(?P<hyear>1[34]\d\d)(?!\d)\s*(?:هـ|ه)?", re.IGNORECASE)
_HIJRI_NUM = re.compile(
    r"(?<![\d/.\-])(?P<day>[0-3]?\d)\s*(?:[-/]|ـ+)\s*(?P<mon>[01]?\d)\s*(?:[-/]|ـ+)\s*(?P<hyear>1[34]\d\d|\d\d)(?!\d)"
    r"\s*(?P<h>هـ|ه)?")
_YEAR_ONLY = re.compile(
    rf"{_B}(?:(?:العام|السنة)\s+الجديد[ةه]?|{_YEAR_WORD}|in|since){_E}\s*(?P<year>(?:19|20)\d\d)(?!\d)", re.IGNORECASE)
# Necessary for the two patterns above (their year groups), found far faster than either.
_HIJRI_YEAR = re.compile(r"1[34]\d\d")
# In every match of _HIJRI_NUM (day, separator, month, separator, year), found far faster.
_HIJRI_NUM_HINT = re.compile(r"\d\s*(?:[-/]|ـ+)\s*\d\d?\s*(?:[-/]|ـ+)\s*\d")
_BARE_YEAR = re.compile(r"(?:19|20)\d\d")
_NEW_YEAR = re.compile(rf"{_B}(?:العام|السنة)\s+الجديد[ةه]?\s+(?P<year>(?:19|20)\d\d)")
# Between a Hijri date and the Gregorian date that restates it.
_EQUIVALENT = re.compile(
    r"^\s*[(\[،,]?\s*(?:م\s*)?[(\[]?\s*(?:" + _tolerant("الموافق") + r")\s*(?:ل|من)?\s*[:(\[]?\s*$")
# What may stand between a range's (or a list's) dates: "إلى", "-", "/", "و", and months in a list.
_CONNECTOR = re.compile(rf"^\s*[)\]]?\s*(?:(?:{_SEP}|/|[،,])\s*(?:(?:{_MONTH})\s*)?)+$")
_ADJACENT = re.compile(rf"^\s*[(\[،,]?\s*(?:{_tolerant('الموافق')}\s*)?[(\[]?\s*$")

# The tense of the clause around an unmarked date.
_FUTURE_WORDS = frozenset(normalize(w) for w in (
    "سوف", "المقبل", "المقبلة", "القادم", "القادمة", "المقرر", "المقررة", "مقرر", "مقررة", "المزمع", "المزمعة",
    "مزمع", "المرتقب", "المرتقبة", "مرتقب", "مرتقبة", "المنتظر", "المنتظرة", "ينتظر", "يعتزم", "تعتزم", "يعتزمون",
    "غدا", "المرتقبين", "المقررين", "يرتقب", "يترقب", "تترقب", "المتوقع", "يتوقع", "يُتوقع", "يفترض", "ويفترض",
    "موعد", "موعدا", "موعدًا", "كموعد",
    # Imperfect verbs that schedule an event read as future in news: "تقام البطولة من 14 يونيو".
    "تقام", "يقام", "تنطلق", "ينطلق", "تنعقد", "ينعقد", "تلتئم", "يلتئم", "تجرى", "يجرى", "تختتم", "يختتم",
    "تنتظم", "ينتظم", "تحتضن", "يحتضن", "تستضيف", "يستضيف"))
_PAST_WORDS = frozenset(normalize(w) for w in (
    "كان", "كانت", "وكان", "وكانت", "كانوا", "منذ", "أمس", "الماضي", "الماضية", "المنصرم", "السابق", "سابق",
    "سابقا", "الفائت", "قبيل"))
# Words that start like a future verb (سيـ/ستـ/سنـ) but are not one.
_NOT_FUTURE = frozenset(normalize(w) for w in (
    "سيارة", "سيارات", "سياسة", "سياسي", "سياسية", "سياسيين", "سيدة", "سيدات", "سيطرة", "سيناء", "سينما", "سيول",
    "سيادة", "سياحة", "سياحي", "سياحية", "سياق", "سيرة", "سيف", "سيكون", "ستة", "ستين", "ستون", "ستار", "ستاد",
    "سنة", "سنوات", "سنوي", "سنوية", "سنين", "سنتين", "سنغافورة", "سنغال", "ستراتيجية", "سياج", "سيمفونية"))
_FUTURE_VERB = re.compile(r"^[وف]?س[يتنأ]\w{2,}$")
_SENTENCE = re.compile(r"[.!?؟؛\n]")
_CUE_BEFORE, _CUE_AFTER = 60, 25  # characters of the clause searched for a tense cue

# An unmarked date with no tense cue: the next occurrence when it is at most this far ahead of the
# publication date, else the previous one (6 months would be "the nearest occurrence"). On the gold
# set (bench/data/eventdates_gold.tsv, ``bench_eventdates.py --windows``) 0 months loses 17 of 287,
# 1 month 5, 2 months 2, 3 months 1 (4: 2, 5 and 6: 1); on the seeds, 6 months loses "أكدت … في
# أبريل/نيسان" read on 31 December (a past verb this module cannot see). News without a future cue
# reports the past, and plans carry one (سـ، المقرر، المقبل، تقام، تنطلق), so the window stays short.
FUTURE_WINDOW = {DAY: timedelta(days=92), MONTH: 3}

_KNOWN_SOURCES = ("text", "feed")
RECENT = timedelta(days=31)  # a stated date this close before publication is the event's


@dataclass(frozen=True)
class EventDate:
    """A date found in text: ``date`` at ``precision``; ``until`` is a range's last day."""

    date: datetime
    precision: str
    start: int
    end: int
    until: datetime | None = None
    relative: bool = False  # from a relative phrase ("أمس", "غدا", "الخميس الماضي")


class EventMoment(datetime):
    """A datetime that remembers how much of it the text stated ("day", "week", "month", "year").

    Only ``of`` sets it: a datetime derived from one (``replace``, ``astimezone``, arithmetic) has
    precision None, as a date whose precision is unknown.
    """

    precision: str | None = None

    @classmethod
    def of(cls, when: datetime, precision: str) -> "EventMoment":
        moment = cls(when.year, when.month, when.day, when.hour, when.minute, when.second, when.microsecond,
                     tzinfo=when.tzinfo or timezone.utc)
        moment.precision = precision
        return moment


@dataclass
class _Raw:
    """A date expression before its year is decided."""

    start: int
    end: int
    precision: str
    month: int = 0
    day: int = 1
    year: int | None = None
    mark: int | None = None  # المقبل / الماضي / الجاري after the month
    ymark: int | None = None  # العام المقبل / الماضي / الجاري
    last_day: int | None = None  # a range's last day in the same month
    fixed: datetime | None = None  # already absolute (Hijri, numeric, relative)
    explicit: bool = False  # a year or a marker was written
    hijri: bool = False
    relative: bool = False


def _month(name: str) -> int:
    return _MONTH_LOOKUP.get(normalize(name), 0)


def _utc(y: int, m: int, d: int) -> datetime | None:
    try:
        return datetime(y, m, d, tzinfo=timezone.utc)
    except ValueError:
        return None


def _hijri(day: int, month: int, year: int) -> datetime | None:
    from hijridate import Hijri

    if year < 100:
        year += 1400 if year < 50 else 1300
    try:
        g = Hijri(year, month, day).to_gregorian()
    except (ValueError, OverflowError):
        if day != 30:
            return None
        # A 30th in a 29-day Umm al-Qura month (sightings differ): the day after the 29th.
        try:
            g = Hijri(year, month, 29).to_gregorian() + timedelta(days=1)
        except (ValueError, OverflowError):
            return None
    return _utc(g.year, g.month, g.day)


def _day_number(token: str) -> int:
    return int(re.sub(r"\D", "", token))


def _tail(raw: _Raw, m: re.Match[str]) -> None:
    """The marker or year written after the month."""
    if m["year"]:
        raw.year, raw.explicit = int(m["year"]), True
    elif m["ymark"]:
        raw.ymark, raw.explicit = MARKERS[normalize(m["ymark"])], True
    elif m["ythis"]:
        raw.ymark, raw.explicit = THIS, True
    elif m["mark"]:
        raw.mark, raw.explicit = MARKERS[normalize(m["mark"])], True


def _month_slot(raw: _Raw, m: re.Match[str], anchor: datetime) -> bool:
    """The month of a day expression: a named month, or "الشهر الجاري/الماضي/المقبل"."""
    if m["month"]:
        raw.month = _month(m["month"])
        return raw.month > 0
    step = MARKERS[normalize(m["relmark"])]
    index = anchor.year * 12 + anchor.month - 1 + step
    raw.year, raw.month, raw.explicit = index // 12, index % 12 + 1, True
    return True


def _tense(text: str, start: int, end: int) -> int:
    """NEXT or LAST when the clause around [start, end) reads as future or past, else THIS.

    The cue nearest the date wins: future verbs (سيعقد، ستنطلق، سوف), plans (المقرر، المزمع،
    المرتقب، يعتزم), past auxiliaries and markers (كان، منذ، الماضي).
    """
    lo = max(0, start - _CUE_BEFORE)
    hi = min(len(text), end + _CUE_AFTER)
    before = text[lo:start]
    cut = max((b.end() for b in _SENTENCE.finditer(before)), default=0)
    before = before[cut:]
    after = text[end:hi]
    stop = _SENTENCE.search(after)
    after = after[: stop.start()] if stop else after
    cues: list[tuple[int, int]] = []
    words = [(len(before) - i, w) for i, w in _positions(before)] + [(i, w) for i, w in _positions(after)]
    for distance, word in words:
        key = normalize(word)
        future_verb = _FUTURE_VERB.match(key) and key not in _NOT_FUTURE and key.lstrip("وف") not in _NOT_FUTURE
        if key in _FUTURE_WORDS or future_verb:
            cues.append((distance, NEXT))
        elif key in _PAST_WORDS:
            cues.append((distance, LAST))
    return min(cues)[1] if cues else THIS


def _positions(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in re.finditer(r"[^\W\d_]+", text)]


def _occurrence(raw: _Raw, anchor: datetime, direction: int) -> datetime | None:
    """The year of a year-less (month, day): by marker, else by the clause's tense, else nearest."""
    if raw.year is not None:
        return _utc(raw.year, raw.month, raw.day)
    if raw.ymark is not None:
        return _utc(anchor.year + raw.ymark, raw.month, raw.day)
    if raw.mark == THIS:
        return _utc(anchor.year, raw.month, raw.day)
    options = [d for d in (_utc(anchor.year + k, raw.month, raw.day) for k in (-1, 0, 1)) if d is not None]
    if not options:
        return None
    today = datetime(anchor.year, anchor.month, anchor.day, tzinfo=timezone.utc)
    by_month = raw.precision == MONTH
    this_month = datetime(anchor.year, anchor.month, 1, tzinfo=timezone.utc)

    # The anchor's own month (a day either side, for a day) counts as both past and future.
    if by_month:
        past = [d for d in options if d <= this_month]
        future = [d for d in options if d >= this_month]
    else:
        past = [d for d in options if d <= today + timedelta(days=1)]
        future = [d for d in options if d >= today - timedelta(days=1)]
    if raw.mark == LAST:
        strict = [d for d in options if (d < this_month if by_month else d < today)]
        return max(strict) if strict else None
    if raw.mark == NEXT:
        strict = [d for d in options if (d > this_month if by_month else d >= today)]
        return min(strict) if strict else None
    if direction == NEXT and future:
        return min(future)
    if direction == LAST and past:
        return max(past)
    nxt = min(future) if future else None
    prev = max(past) if past else None
    if nxt is not None and (prev is None or nxt == prev or _within_window(nxt, anchor, raw.precision)):
        return nxt
    return prev


def _within_window(d: datetime, anchor: datetime, precision: str) -> bool:
    if precision == MONTH:
        return (d.year - anchor.year) * 12 + d.month - anchor.month <= FUTURE_WINDOW[MONTH]
    return d - anchor <= FUTURE_WINDOW[DAY]


def _collect(digits: str, anchor: datetime) -> list[_Raw]:
    """Every date expression, most specific pattern first, without overlaps."""
    found: list[_Raw] = []

    def free(start: int, end: int) -> bool:
        return not any(start < f.end and f.start < end for f in found)

    def named(start: int) -> bool:
        before = normalize(digits[max(0, start - 25):start]).replace("(", " ").split()
        return bool(before) and before[-1] in _NAMED_BY

    # A pattern is run only where what it cannot match without is there: a Hijri year (1300-1499)
    # for a Hijri date, a year 1900-2099 for a bare year (the cheap scans find them at once).
    hijri = _HIJRI.finditer(digits) if _HIJRI_YEAR.search(digits) else ()
    for m in hijri:
        day = int(m["day"]) if m["day"] else _ORDINAL_LOOKUP.get(normalize(m["hord"]).replace(" ", ""), 0)
        date = _hijri(day, _HIJRI_LOOKUP.get(normalize(m["hmonth"]), 0) or 1, int(m["hyear"])) if day else None
        if date and free(m.start(), m.end()):
            found.append(_Raw(m.start(), m.end(), DAY, fixed=date, explicit=True, hijri=True))
    for m in _HIJRI_NUM.finditer(digits) if _HIJRI_NUM_HINT.search(digits) else ():
        if (m["hyear"].startswith(("13", "14")) and len(m["hyear"]) == 4) or m["h"]:
            date = _hijri(int(m["day"]), int(m["mon"]), int(m["hyear"]))
            if date and free(m.start(), m.end()):
                found.append(_Raw(m.start(), m.end(), DAY, fixed=date, explicit=True, hijri=True))
    # Where a month name can start (read once): a text naming no month has no match of the
    # patterns built around one (``_DAY_MONTH`` and ``_ORDINAL`` unless "الشهر" is there for their
    # "15 الشهر الماضي"; ``iter_dates``' named-month patterns), so they are not run on it.
    months = _month_starts(digits)
    day_month = bool(months) or _rel_month().search(digits) is not None
    full_dates = list(iter_dates(digits, month_names=bool(months)))  # read once, used twice: numeric dates now, the rest below
    for dm in full_dates:
        if dm.numeric and free(dm.start, dm.end):
            found.append(_Raw(dm.start, dm.end, DAY, fixed=dm.date, explicit=True))
    for m in _DAY_MONTH.finditer(digits) if day_month else ():
        raw = _Raw(m.start(), m.end(), DAY, day=_day_number(m["day"]))
        if not free(m.start(), m.end()) or named(m.start()) or not 1 <= raw.day <= 31:
            continue
        if not _month_slot(raw, m, anchor):
            continue
        _tail(raw, m)
        if m["rest"]:
            raw.last_day = _day_number(re.findall(r"\d+", m["rest"])[-1])
        found.append(raw)
    for m in _ORDINAL.finditer(digits) if day_month else ():
        before = normalize(digits[max(0, m.start() - 25):m.start()]).split()
        if not free(m.start(), m.end()) or (before and before[-1] in _NOT_A_DAY):
            continue
        day = 1 if m["first"] else _ORDINAL_LOOKUP.get(normalize(m["ord"]).replace(" ", ""), 0)
        raw = _Raw(m.start(), m.end(), DAY, day=day)
        if not raw.day or not _month_slot(raw, m, anchor):
            continue
        _tail(raw, m)
        if m["orest"]:
            words = re.split(_SEP.replace("و|", "", 1), m["orest"])
            last = normalize(words[-1]).replace(" ", "").lstrip("و")
            raw.last_day = _ORDINAL_LOOKUP.get(last)
        found.append(raw)
    for dm in full_dates:  # "ديسمبر 25, 2025" and other orders of a full date
        if free(dm.start, dm.end):
            found.append(_Raw(dm.start, dm.end, DAY, fixed=dm.date, explicit=True))
    for m in _month_only(digits, months):
        raw = _Raw(m.start(), m.end(), MONTH, month=_month(m["month"]))
        _tail(raw, m)
        if not raw.month or not (m["pre"] or m["shahr"] or raw.explicit) or not free(m.start(), m.end()):
            continue
        found.append(raw)
    for m in _YEAR_ONLY.finditer(digits) if _BARE_YEAR.search(digits) else ():
        if free(m.start(), m.end()):
            found.append(_Raw(m.start(), m.end(), YEAR, month=1, year=int(m["year"]), explicit=True))
    return sorted(found, key=lambda f: f.start)


def find_dates(text: str, anchor: datetime) -> list[EventDate]:
    """Every date expression in ``text``, resolved; year-less and relative ones against ``anchor``."""
    digits = ascii_digits(text)  # one char for one char: offsets stay valid
    raws = _collect(digits, anchor)
    # Relative days, unless a stated date says the same thing beside them ("اليوم السبت 18 مارس 2017").
    for rel in iter_relative(digits, anchor):
        if any(rel.start < f.end and f.start < rel.end for f in raws):
            continue
        following = next((f for f in raws if f.start >= rel.end), None)
        if following is not None and _ADJACENT.match(digits[rel.end:following.start]):
            continue
        date = rel.date
        if rel.weekday_only and _tense(digits, rel.start, rel.end) == NEXT and date < _midnight(anchor):
            date += timedelta(days=7)
        raws.append(_Raw(rel.start, rel.end, rel.precision, fixed=date, explicit=True, relative=True))
    raws.sort(key=lambda f: f.start)

    # Ranges and restatements read right to left: a year-less start takes the year of its end
    # ("من 1 يناير إلى 30 يونيو 2015"), a Hijri date takes the Gregorian date restating it.
    resolved: list[EventDate | None] = [None] * len(raws)
    for i in range(len(raws) - 1, -1, -1):
        raw = raws[i]
        nxt = raws[i + 1] if i + 1 < len(raws) else None
        between = digits[raw.end:nxt.start] if nxt else ""
        if nxt is not None and resolved[i + 1] is not None:
            later = resolved[i + 1]
            if raw.hijri and _EQUIVALENT.match(between) and later.precision == DAY and not nxt.relative:
                resolved[i] = replace(later, start=raw.start)
                resolved[i + 1] = None
                continue
            if raw.fixed is None and not raw.explicit and _CONNECTOR.match(between) and nxt.fixed is None:
                # "من 14 يونيو حتى 15 يوليو [2018]": one range, its end's year (a year before when
                # the start's month is later), its end as ``until``.
                year = later.date.year - (1 if raw.month > later.date.month else 0)
                date = _utc(year, raw.month, raw.day)
                if date is not None:
                    resolved[i] = EventDate(date, raw.precision, raw.start, raw.end, later.date)
                    continue
        if raw.fixed is not None:
            date = raw.fixed
        else:
            direction = THIS if raw.explicit else _tense(digits, raw.start, raw.end)
            date = _occurrence(raw, anchor, direction)
        if date is None:
            continue
        until = None
        if raw.last_day is not None and raw.last_day > date.day:
            until = _utc(date.year, date.month, raw.last_day)
        resolved[i] = EventDate(date, raw.precision, raw.start, raw.end, until, raw.relative)
    return [r for r in resolved if r is not None]


def _midnight(d: datetime) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


def _anchor(text: str, published: datetime, date_source: str) -> datetime:
    """What year-less dates are read against: the publication date when the article stated it;
    otherwise the year the text itself points at ("العام الجديد 2025", the latest year named)."""
    if date_source in _KNOWN_SOURCES:
        return published
    digits = ascii_digits(text)
    new_year = _NEW_YEAR.search(digits)
    if new_year:
        return datetime(int(new_year["year"]), 1, 1, tzinfo=timezone.utc)
    years = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", digits) if int(y) <= published.year]
    if years:
        return datetime(max(years), 12, 31, tzinfo=timezone.utc)
    return published


# How much of a body is read for its event date: far beyond any real article's lead and context.
EVENT_SCAN_CHARS = 20_000


def event_date(title: str, body: str, published: datetime, date_source: str = "text") -> datetime:
    """The date of the event an article reports: an ``EventMoment`` (a datetime with its precision)
    when the text states it, else the publication datetime itself.

    With a stated publication date: the latest date in the text within a month before it (a
    report of a phone call on the 13th published on the 14th), else the publication date itself;
    older dates are background, later ones are plans. Without one (a file's mtime, the fetch
    time): the latest date the text states, read against the year the text points at, else the
    publication date (a plain datetime: no precision, shown in the reader's time zone).
    """
    # The event is stated near the top; a 2 MB one-line file must not cost seconds of regex work.
    text = f"{title}\n{body[:EVENT_SCAN_CHARS]}"
    anchor = _anchor(text, published, date_source)
    found = find_dates(text, anchor)
    if date_source in _KNOWN_SOURCES:
        # A relative day after the publication day is a plan ("غدا"), never the reported event.
        pool = [f for f in found if f.precision == DAY and published - RECENT <= f.date
                and f.date <= (_midnight(published) if f.relative else published + timedelta(days=1))]
    else:
        # Relative days need the publication date they count from: without one they mean nothing.
        pool = [f for f in found if not f.relative and f.date <= published + timedelta(days=1)]
    if not pool:
        return published
    best = max(pool, key=lambda f: (f.date, f.precision == DAY))
    return EventMoment.of(best.date, best.precision)


def parse_expression(expression: str, base: datetime) -> EventMoment | None:
    """One date expression (its first date, a range's start): ours first, then dateparser
    (durations such as "منذ 3 أيام", times of day)."""
    found = find_dates(expression, base)
    if found:
        return EventMoment.of(found[0].date, found[0].precision)
    import dateparser

    parsed = dateparser.parse(
        expression,
        languages=["ar"],
        settings={"RELATIVE_BASE": base.replace(tzinfo=None), "PREFER_DATES_FROM": "past", "DATE_ORDER": "DMY"},
    )
    return None if parsed is None else EventMoment.of(parsed.replace(tzinfo=timezone.utc), DAY)
