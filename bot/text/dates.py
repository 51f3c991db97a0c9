"""Dates written in Arabic (and English) news text.

Arabic outlets name months three ways: Egyptian/Gulf (يناير…ديسمبر), Levantine/Iraqi (كانون الثاني…
كانون الأول) and Maghrebi (جانفي، فيفري، أفريل، جوان…), often two at once ("ديسمبر/كانون الأول",
"أكتوبر (تشرين الأول)"). dateparser only knows the first set, hence this small parser.

A publication date is only looked for near the top of an article; a date deep in the body, or a
date in running prose ("في 29 يوليو 1938 غزت…"), is an event date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Iterator

from bot.text.arabic import normalize

# Month number -> every spelling we accept. Variants in hamza, alef maqsura and diacritics need no
# entry: names are matched tolerantly. Longer names win over their prefixes (مايو before ماي).
MONTHS: dict[int, tuple[str, ...]] = {
    1: ("يناير", "كانون الثاني", "كانون ثاني", "جانفي", "January", "Jan"),
    2: ("فبراير", "شباط", "فيفري", "February", "Feb"),
    3: ("مارس", "آذار", "March", "Mar"),
    4: ("أبريل", "إبريل", "نيسان", "أفريل", "April", "Apr"),
    5: ("مايو", "أيار", "ماي", "May"),
    6: ("يونيو", "يونيه", "حزيران", "جوان", "June", "Jun"),
    7: ("يوليو", "يوليه", "تموز", "جويلية", "يوليوز", "July", "Jul"),
    8: ("أغسطس", "آب", "أوت", "غشت", "أغشت", "August", "Aug"),
    9: ("سبتمبر", "أيلول", "شتنبر", "شتمبر", "September", "Sep", "Sept"),
    10: ("أكتوبر", "تشرين الأول", "تشرين أول", "October", "Oct"),
    11: ("نوفمبر", "تشرين الثاني", "تشرين ثاني", "نونبر", "November", "Nov"),
    12: ("ديسمبر", "كانون الأول", "كانون أول", "دجنبر", "دجمبر", "December", "Dec"),
}

# Words that may share a line with a publication date without making it prose.
_WEEKDAYS = (
    "الأحد", "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت",
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sun", "mon", "tue", "wed", "thu", "fri", "sat",
)
_HIJRI_MONTHS = (
    "محرم", "صفر", "ربيع", "الأول", "الآخر", "الثاني", "جمادى", "الأولى", "الآخرة", "رجب",
    "شعبان", "رمضان", "شوال", "ذو", "ذي", "القعدة", "الحجة",
)
_FILLER = frozenset(
    normalize(w)
    for w in (
        *_WEEKDAYS, *_HIJRI_MONTHS,
        "date", "published", "posted", "updated", "on", "at", "last", "gmt", "utc", "am", "pm",
        "تاريخ", "التاريخ", "النشر", "نشر", "في", "بتاريخ", "الموافق", "آخر", "اخر", "تحديث",
        "التحديث", "م", "هـ", "ه", "ص", "مساء", "مساءً", "صباحا", "صباحاً", "الساعة", "ساعة",
        "بتوقيت", "غرينتش", "جرينتش", "مكة", "المكرمة", "يوم", "واس", "كونا", "وام", "قنا", "بنا",
        "يونا", "رويترز", "reuters", "afp", "ap",
    )
)
# Calendar words that may sit between a dateline's city and its label ("… 18 شوال 1436 هـ الموافق").
_CALENDAR = frozenset(normalize(w) for w in (*_WEEKDAYS, *_HIJRI_MONTHS, "هـ", "ه", "م", "يوم"))
# Prepositions that make a following date an event date ("منذ 3 يناير 2024", "في 5 مايو 2025").
_EVENT_WORDS = frozenset(
    normalize(w)
    for w in ("في", "منذ", "حتى", "قبل", "بعد", "خلال", "من", "إلى", "يوم", "ليلة", "صباح", "مساء",
              "عام", "بين", "since", "on", "in", "until", "from")
)

_DIGITS = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)},
                         **{chr(0x06F0 + i): str(i) for i in range(10)}})

_INDIC_DIGIT = re.compile("[\u0660-\u0669\u06f0-\u06f9]")


def ascii_digits(text: str) -> str:
    """``text`` with Arabic-Indic and Persian digits as ASCII ones, one char for one char (offsets
    stay valid). Most texts hold none: one scan for them is ~20x cheaper than a translate."""
    return text.translate(_DIGITS) if _INDIC_DIGIT.search(text) else text


_MARKS = "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200b-\u200f]*"
_FOLDABLE = [chr(c) for c in (*range(0x0621, 0x064B), *range(0x0671, 0x06D4))]

# Only the first lines of an article can carry its publication date.
HEAD_LINES = 6
# A dateline may start with a place ("إسلام آباد", "الرياض"); more words before it make it prose.
_DATELINE_WORDS = 2
# A dateline without a label must be followed by a dash: "الرياض - 25 ديسمبر 2025 - أعلنت…".
_DATELINE_TAIL = re.compile(r"\s*(?:م|هـ)?\s*[)\]]?\s*[-–—]")


@dataclass(frozen=True)
class DateMatch:
    """A date found in text; ``start``/``end`` are offsets into the searched text."""

    date: datetime
    start: int
    end: int
    numeric: bool = False


def _letter_class(ch: str) -> str:
    key = normalize(ch)
    if not key:
        return re.escape(ch)
    variants = sorted({c for c in _FOLDABLE if normalize(c) == key} | {ch})
    return "[" + "".join(variants) + "]" if len(variants) > 1 else re.escape(ch)


def _units(word: str, space: str = r"\s+") -> list[tuple[str, str]]:
    """``word`` as regex units, each (what matches one character, what may follow it)."""
    units: list[tuple[str, str]] = []
    for ch in word:
        if ch == " ":
            units.append((space, ""))
        elif "\u0600" <= ch <= "\u06ff":
            units.append((_letter_class(ch), _MARKS))
        else:
            units.append((re.escape(ch), ""))
    return units


def _tolerant(word: str) -> str:
    """A regex for ``word`` that also matches its hamza/yeh variants, diacritics and tatweel."""
    return "".join(one + after for one, after in _units(word))


_ANY = frozenset({"any"})


def _unit_chars(unit: str) -> frozenset[str] | None:
    """The characters a unit matches (either case), or None when it may match none or several."""
    if unit.startswith("[") and unit.endswith("]"):
        chars = unit[1:-1]
    elif unit == r"\s+":
        return frozenset({"\\s"})
    elif unit == r"\s*":
        return _ANY  # may match nothing: it overlaps whatever follows
    elif len(unit) == 1 or (len(unit) == 2 and unit[0] == "\\" and not unit[1].isalnum()):
        chars = unit[-1]
    else:
        return None
    return frozenset(chars.lower() + chars.upper())


def _alternation(words: Iterable[str], space: str = r"\s+") -> str:
    """``w1|w2|…`` of the tolerant words, longest first, as a trie: ``ab|ac`` → ``a(?:b|c)``.

    The regex engine tries an alternation's branches one by one at every position, and most
    branches fail only after their first letter; factored, a position costs one test per distinct
    first letter (the month names: 3x faster). Matches are the same as the flat alternation's:
    siblings match disjoint characters, so at most one can go on at a position, and a word ends
    (the empty branch, last) only after every longer word through it was tried, as longest-first
    tries them. When siblings could overlap, the flat alternation is returned.
    """
    ordered = sorted(words, key=len, reverse=True)
    flat = "|".join("".join(a + b for a, b in _units(w, space)) for w in ordered)
    root: dict = {}
    for word in ordered:
        node = root
        for unit in _units(word, space):
            node = node.setdefault(unit, {})
        node[""] = {}  # the word ends here
    branches = _trie_branches(root)
    return flat if branches is None else "|".join(branches)


def _trie_branches(node: dict) -> list[str] | None:
    branches: list[str] = []
    seen: set[str] = set()
    for unit, child in node.items():
        if unit == "":
            continue
        chars = _unit_chars(unit[0])
        if chars is None or seen & chars or (seen and (chars is _ANY or "any" in seen)):
            return None
        seen |= chars
        rest = _trie_branches(child)
        if rest is None:
            return None
        if "" in child:
            rest.append("")  # the shorter word after all longer ones, as longest-first orders them
        tail = rest[0] if len(rest) == 1 else "(?:" + "|".join(rest) + ")"
        branches.append(unit[0] + unit[1] + tail)
    return branches


_MONTH_LOOKUP = {normalize(name): num for num, names in MONTHS.items() for name in names}
_MONTH = _alternation(name for names in MONTHS.values() for name in names)
# The month may be doubled: "ديسمبر/كانون الأول", "أكتوبر (تشرين الأول)", "آب/اغسطس".
_MONTH_GROUP = rf"(?P<month>{_MONTH})\.?(?:\s*(?:/|\(|-)\s*(?:{_MONTH})\s*\)?)?(?![^\W\d_])"
_DAY = r"(?<![\d/.\-])(?P<day>[0-3]?\d)(?!\d)"
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"
_TIME = r"(?:[T\s]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?)?"

_YEAR_HINT = re.compile(r"(?:19|20)\d\d")
# In every match of the two numeric patterns below (y-m-d, d-m-y): found far faster than either.
_NUMERIC_HINT = re.compile(r"\d[-/.]\d\d?[-/.]\d")
_PATTERNS: tuple[tuple[re.Pattern[str], bool], ...] = (
    (re.compile(rf"(?<![\d/.\-]){_YEAR}[-/.](?P<mon>[0-3]?\d)[-/.](?P<day>[0-3]?\d)(?!\d){_TIME}"),
     True),
    (re.compile(rf"{_DAY}[-/.](?P<mon>[0-3]?\d)[-/.]{_YEAR}"), True),
    (re.compile(rf"{_DAY}\s*[-,،.]?\s*{_MONTH_GROUP}\s*[-,،.]?\s*{_YEAR}", re.IGNORECASE), False),
    (re.compile(rf"(?<![^\W\d_]){_MONTH_GROUP}\s*(?P<day>[0-3]?\d)(?!\d)\s*[,،]?\s*{_YEAR}",
                re.IGNORECASE), False),
)

_LABELS = (
    "date", "published on", "published", "posted on", "posted", "updated", "تاريخ النشر",
    "نشر بتاريخ", "نشر في", "نشر", "بتاريخ", "التاريخ", "تاريخ", "الموافق", "آخر تحديث",
)
_LABEL = re.compile(rf"(?<![^\W\d_])(?:{_alternation(_LABELS)})\s*[:：\-–]?\s*$", re.IGNORECASE)
_WEEKDAY = re.compile(rf"(?<![^\W\d_])(?:{_alternation(_WEEKDAYS)})\s*[,،\-–]?\s*$",
                      re.IGNORECASE)


def _build(year: int, month: int, day: int) -> datetime | None:
    try:
        return datetime(year, month, day, tzinfo=timezone.utc)
    except ValueError:
        return None


def _to_date(m: re.Match[str]) -> datetime | None:
    year, day = int(m["year"]), int(m["day"])
    if m.groupdict().get("mon") is not None:
        month = int(m["mon"])
        if month > 12 and day <= 12:  # an American month/day/year
            month, day = day, month
    else:
        month = _MONTH_LOOKUP.get(normalize(m["month"]), 0)
    return _build(year, month, day)


def iter_dates(text: str, *, month_names: bool = True) -> Iterator[DateMatch]:
    """Every full (day, month, year) date in ``text``, in order, without overlaps.

    ``month_names=False``: the caller knows the text names no month where a month name can start
    (``eventdates._MONTH_AT`` found none), so the patterns with a month name are not run."""
    digits = ascii_digits(text)
    if not _YEAR_HINT.search(digits):
        return
    found: list[DateMatch] = []
    # The numeric patterns hold "digit, separator, one or two digits, separator, digit": where that
    # is nowhere (most articles), scanning the text for them finds nothing, so they are skipped.
    numeric_hint = _NUMERIC_HINT.search(digits) is not None
    for pattern, numeric in _PATTERNS:
        if not (numeric_hint if numeric else month_names):
            continue
        for m in pattern.finditer(digits):
            date = _to_date(m)
            if date is None or any(m.start() < f.end and f.start < m.end() for f in found):
                continue
            found.append(DateMatch(date, m.start(), m.end(), numeric))
    yield from sorted(found, key=lambda f: f.start)


def parse_date(text: str) -> datetime | None:
    """The first date in a short string such as a metadata field ("2017-01-20T21:43:00+01:00")."""
    return next((m.date for m in iter_dates(text)), None)


def find_publication_date(text: str) -> datetime | None:
    """The date an article states for itself near its top, as midnight UTC, or None."""
    match = locate_publication_date(text)
    return match.date if match else None


def locate_publication_date(text: str) -> DateMatch | None:
    """Like ``find_publication_date`` but with the span to cut from the text.

    The span covers the date's label and weekday ("date 2025-08-13", "الخميس 25 ديسمبر 2025"), or
    the whole line when the line is nothing but a date stamp.
    """
    latest = datetime.now(timezone.utc) + timedelta(days=2)
    for offset, line in _head_lines(text):
        for m in iter_dates(line):
            if m.date > latest:
                continue  # a publication date is never in the future; a planned event may be
            span = _classify(line, m)
            if span is not None:
                return DateMatch(m.date, offset + span[0], offset + span[1], m.numeric)
    return None


def _head_lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    seen = 0
    for line in text.split("\n"):
        if line.strip():
            yield offset, line
            seen += 1
            if seen >= HEAD_LINES:
                return
        offset += len(line) + 1


def _classify(line: str, m: DateMatch) -> tuple[int, int] | None:
    """The span to cut if ``m`` is stated as the line's own date, else None.

    Accepted: a line that is only a date stamp; a labelled date ("بتاريخ", "الموافق", "date") or a
    dashed dateline after at most a place name; a numeric date opening the line.
    """
    start, labelled = _extend_left(line, m.start)
    before = normalize(line[:start]).split()
    rest = before + normalize(line[m.end:]).split()
    if all(tok in _FILLER or tok.isdigit() for tok in rest):
        lead = len(line) - len(line.lstrip())
        return lead, len(line.rstrip())
    if m.numeric and not before:
        return start, m.end
    place = [t for t in before if not t.isdigit() and t not in _CALENDAR]
    if len(place) > _DATELINE_WORDS:
        return None
    if labelled:
        return start, m.end
    if _DATELINE_TAIL.match(line, m.end) and not (before and before[-1] in _EVENT_WORDS):
        return start, m.end
    return None


def _extend_left(line: str, start: int) -> tuple[int, bool]:
    """Pull a date's start back over a weekday and a label written just before it."""
    labelled = False
    for pattern in (_WEEKDAY, _LABEL, _WEEKDAY):
        found = pattern.search(line, 0, start)
        if found:
            start = found.start()
            labelled = labelled or pattern is _LABEL
    return start, labelled


# --- Relative dates --------------------------------------------------------------------------------
# "أمس", "أول من أمس (الخميس)", "غدا الأحد", "الخميس الماضي", "السبت المقبل", "الأسبوع الجاري",
# "الشهر الماضي", "العام المقبل": one resolver, used by event dates (bot.text.eventdates) and by the
# timeline's periods (bot.timeline.parse_period), so both read a relative phrase the same way.

DAY, WEEK, MONTH, YEAR = "day", "week", "month", "year"
LAST, THIS, NEXT = -1, 0, 1

WEEKDAY_NUMBERS: dict[str, int] = {  # datetime.weekday(): Monday = 0
    normalize(w): n
    for n, names in enumerate((("الاثنين", "الإثنين"), ("الثلاثاء",), ("الأربعاء",), ("الخميس",),
                               ("الجمعة",), ("السبت",), ("الأحد",)))
    for w in names
}
_WD = _alternation(("الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"))
_MARKER_WORDS = {
    # Maghrebi outlets write "الفارط" and "المنقضي" for last, "الموالي" for next.
    LAST: ("الماضي", "الماضية", "الماضيين", "المنصرم", "المنصرمة", "الفائت", "الفائتة", "السابق", "الفارط",
           "الفارطة", "المنقضي", "المنقضية"),
    THIS: ("الجاري", "الجارية", "الحالي", "الحالية"),
    NEXT: ("المقبل", "المقبلة", "القادم", "القادمة", "الموالي", "الموالية"),
}
MARKERS: dict[str, int] = {normalize(w): d for d, words in _MARKER_WORDS.items() for w in words}
MARKER = _alternation(w for words in _MARKER_WORDS.values() for w in words)
_NB = r"(?<![^\W\d_])"  # not inside a word
_NE = r"(?![^\W\d_])"
# Day offsets; "أمس الأول" and "أول (من) أمس" are the day before yesterday.
_OFFSET = rf"(?P<dby>{_tolerant('أول')}\s+(?:{_tolerant('من')}\s+)?{_tolerant('أمس')}" \
          rf"|{_tolerant('أمس')}\s+{_tolerant('الأول')})" \
          rf"|(?P<yday>{_tolerant('أمس')}|{_tolerant('البارحة')})" \
          rf"|(?P<dat>{_tolerant('بعد غد')})" \
          rf"|(?P<tmrw>{_tolerant('غدا')}[\u064b\u064c\u064d]?|{_tolerant('يوم غد')})" \
          rf"|(?P<today>{_tolerant('اليوم')})"
_UNITS = {normalize(w): u for w, u in (("الأسبوع", WEEK), ("الشهر", MONTH), ("العام", YEAR), ("السنة", YEAR))}
_UNIT = _alternation(("الأسبوع", "الشهر", "العام", "السنة"))
RELATIVE = re.compile(
    rf"{_NB}(?:"
    rf"(?:{_OFFSET}){_NE}(?:\s*[(،,]?\s*(?:يوم\s+)?(?P<owd>{_WD})(?:\s+(?P<owdmark>{MARKER}))?{_NE}\s*\)?)?"
    rf"|(?:يوم\s+)?(?P<wd>{_WD})(?:\s+(?P<wdmark>{MARKER}))?{_NE}"
    rf"|(?P<unit>{_UNIT})\s+(?P<umark>{MARKER}){_NE}"
    rf"|{_tolerant('هذا')}\s+(?P<thisunit>{_tolerant('الأسبوع')}|{_tolerant('الشهر')}|{_tolerant('العام')})"
    rf"|{_tolerant('هذه')}\s+(?P<thisyear>{_tolerant('السنة')})"
    rf"){_NE}",
    re.IGNORECASE,
)
# "اليوم" that is not today: "في اليوم" (per day), "طيلة اليوم", "اليوم التالي", outlets' names.
_NOT_TODAY_BEFORE = frozenset(normalize(w) for w in (
    "في", "طيلة", "طوال", "نفس", "ذات", "هذا", "ذلك", "لحظات", "منتصف", "عين", "روسيا", "مصر", "بوابة", "جريدة",
    "لجريدة", "صحيفة", "لصحيفة", "قناة", "موقع"))
_NOT_TODAY_AFTER = frozenset(normalize(w) for w in (
    "التالي", "الموالي", "الأول", "الثاني", "الثالث", "الأخير", "العالمي", "الوطني", "الدولي", "السابع",
    "الواحد", "الذي", "التي"))
# A weekday that names something else: "صلاة الجمعة", "خطبة الجمعة", "كل سبت".
_NOT_WEEKDAY_BEFORE = frozenset(normalize(w) for w in (
    "صلاة", "صلاه", "خطبة", "خطب", "مقتطفات", "سوق", "حافز", "كل", "أيام", "يومي", "أيامي", "ليالي"))
# "غدا" is also a verb, "became": "فالسواد غدا أكثر من راية".
_GHADA_VERB_AFTER = frozenset(normalize(w) for w in ("أكثر", "أقل", "أشبه", "مثل", "كأنه", "واضحا", "جزءا"))


@dataclass(frozen=True)
class RelativeDate:
    """A relative phrase resolved against an anchor; ``start``/``end`` are offsets in the text."""

    date: datetime
    precision: str
    start: int
    end: int
    weekday_only: bool = False  # a bare weekday ("الخميس"): its direction came from the caller


def _midnight(d: datetime) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=d.tzinfo or timezone.utc)


def shift_months(d: datetime, months: int) -> datetime:
    """The first of the month ``months`` away from ``d``'s month."""
    index = d.year * 12 + d.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=d.tzinfo or timezone.utc)


def weekday_date(weekday: int, anchor: datetime, direction: int, around: datetime | None = None) -> datetime:
    """The date of ``weekday``: strictly before ``anchor`` (LAST), strictly after (NEXT), or the one
    nearest ``around`` (default the anchor itself) for THIS; ties go to the past."""
    day = _midnight(anchor)
    if direction == LAST:
        return day - timedelta(days=(day.weekday() - weekday) % 7 or 7)
    if direction == NEXT:
        return day + timedelta(days=(weekday - day.weekday()) % 7 or 7)
    center = _midnight(around or anchor)
    back = (center.weekday() - weekday) % 7
    return center - timedelta(days=back) if back <= 3 else center + timedelta(days=7 - back)


def _word_before(text: str, start: int) -> str:
    words = normalize(text[max(0, start - 30):start]).split()
    return words[-1] if words else ""


def _word_after(text: str, end: int) -> str:
    words = normalize(text[end:end + 30]).split()
    return words[0] if words else ""


def _inside_quotes(text: str, start: int) -> bool:
    """A weekday a word or two into a quotation ("برنامج "لقاء الخميس"") names a title, not a day;
    deeper into a quotation it is quoted speech, and a date."""
    line = text[text.rfind("\n", 0, start) + 1:start]
    opened = line.count("«") - line.count("»") + line.count("“") - line.count("”") > 0 or line.count('"') % 2 == 1
    last_quote = max(line.rfind(q) for q in ('"', "«", "“"))
    return opened and len(line[last_quote + 1:].split()) <= 2


def iter_relative(text: str, anchor: datetime, bare_weekday: int = LAST) -> Iterator[RelativeDate]:
    """Every relative date in ``text``, resolved against ``anchor`` (the publication date).

    ``bare_weekday`` says which way an unmarked weekday ("قالت الخميس") points: LAST (the latest
    one not after the anchor, news's usual reading) or NEXT (the next one not before it); the caller
    decides from the sentence's tense. A weekday named after a day offset ("أمس الخميس", "غدا
    الأحد") wins over the offset: it survives a publication date that is a day off.
    """
    day = _midnight(anchor)
    for m in RELATIVE.finditer(text):
        start, end = m.start(), m.end()
        resolved: tuple[datetime, str] | None = None
        bare = False
        offset = next((o for g, o in (("dby", -2), ("yday", -1), ("today", 0), ("tmrw", 1), ("dat", 2)) if m[g]), None)
        if offset is not None:
            if m["today"] and not m["owd"] and (
                _word_before(text, start) in _NOT_TODAY_BEFORE or _word_after(text, end) in _NOT_TODAY_AFTER
            ):
                continue
            if m["tmrw"] and not m["owd"] and _word_after(text, end) in _GHADA_VERB_AFTER:
                continue
            target = day + timedelta(days=offset)
            if m["owd"]:
                wd = WEEKDAY_NUMBERS[normalize(m["owd"])]
                mark = MARKERS.get(normalize(m["owdmark"] or ""), THIS)
                target = weekday_date(wd, day, mark, around=target)
            resolved = (target, DAY)
        elif m["wd"]:
            if _word_before(text, start) in _NOT_WEEKDAY_BEFORE or _inside_quotes(text, start):
                continue
            wd = WEEKDAY_NUMBERS[normalize(m["wd"])]
            if m["wdmark"]:
                resolved = (weekday_date(wd, day, MARKERS[normalize(m["wdmark"])]), DAY)
            else:
                back = (day.weekday() - wd) % 7
                ahead = (wd - day.weekday()) % 7
                shift = timedelta(days=ahead) if bare_weekday == NEXT else -timedelta(days=back)
                resolved, bare = (day + shift, DAY), True
        else:
            unit = _UNITS[normalize(m["unit"] or m["thisunit"] or m["thisyear"])] if (
                m["unit"] or m["thisunit"]) else YEAR
            step = MARKERS[normalize(m["umark"])] if m["umark"] else THIS
            if unit == WEEK:
                resolved = (day + timedelta(days=7 * step), WEEK)
            elif unit == MONTH:
                resolved = (shift_months(day, step), MONTH)
            else:
                resolved = (datetime(day.year + step, 1, 1, tzinfo=day.tzinfo), YEAR)
        yield RelativeDate(resolved[0], resolved[1], start, end, bare)


def resolve_relative(phrase: str, anchor: datetime) -> RelativeDate | None:
    """A phrase that is a relative date and nothing else ("الشهر الماضي", "أمس"), or None."""
    phrase = phrase.strip()
    for found in iter_relative(phrase, anchor):
        if found.start == 0 and found.end == len(phrase):
            return found
    return None
