"""When did the reported event happen? Dates stated in the text, resolved against the publication.

dateparser 1.5 knows Egyptian/Gulf month names only and gives up on every doubled form news
agencies write ("18 ديسمبر/كانون الأول", "أغسطس/آب 2025"), on "يونيو الماضي" and on Hijri dates
written with month names. This module finds those expressions with ``bot.dates``' month lexicon
(Levantine, Maghrebi and doubled names included), resolves year-less ones against an anchor, and
converts Hijri dates with hijridate (Umm al-Qura). ``parse_expression`` falls back to dateparser
for what it does parse (relative phrases such as "منذ 3 أيام", "أمس"), so it extends dateparser
rather than replacing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.arabic import normalize
from bot.dates import _MONTH, _MONTH_LOOKUP, _tolerant, iter_dates

DAY, MONTH, YEAR = "day", "month", "year"

_DIGITS = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}})

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
_HIJRI_MONTH = "|".join(_tolerant(n) for names in _HIJRI_NAMES.values() for n in sorted(names, key=len, reverse=True))
_B = r"(?<![^\W\d_])"  # not inside a word
_E = r"(?![^\W\d_])"
_MG = rf"(?P<month>{_MONTH})\.?(?:\s*(?:/|\(|-)\s*(?:{_MONTH})\s*\)?)?{_E}"
_YR = r"(?P<year>(?:19|20)\d\d)(?!\d)"

_HIJRI = re.compile(rf"(?<!\d)(?P<day>[0-3]?\d)\s+(?P<hmonth>{_HIJRI_MONTH})\s*(?P<hyear>1[34]\d\d)(?!\d)")
_HIJRI_NUM = re.compile(r"(?<![\d/.\-])(?P<day>[0-3]?\d)[-/](?P<mon>[01]?\d)[-/](?P<hyear>1[34]\d\d|\d\d)(?!\d)\s*(?:هـ|ه)?")
_DAY_MONTH = re.compile(rf"(?<![\d/.\-])(?P<day>[0-3]?\d)\s+{_MG}(?!\s*[,،]?\s*(?:19|20)\d\d)", re.IGNORECASE)
_MONTH_LAST_YEAR = re.compile(rf"{_B}{_MG}\s+(?:من\s+)?(?:العام|السنة|عام)\s+(?:الماضي|الماضية|المنصرم|الفائت)", re.IGNORECASE)
_MONTH_LAST = re.compile(rf"{_B}{_MG}\s+(?:الماضي|المنصرم|الفائت){_E}", re.IGNORECASE)
_MONTH_THIS_YEAR = re.compile(rf"{_B}{_MG}\s+(?:من\s+)?(?:هذا\s+العام|العام\s+الحالي|العام\s+الجاري){_E}", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"{_B}{_MG}\s*[,،]?\s*(?:(?:من\s+)?(?:عام|العام|سنة)\s+)?{_YR}", re.IGNORECASE)
_IN_MONTH = re.compile(rf"{_B}(?:في|منذ|خلال|حتى|بحلول|in|since)\s+(?:شهر\s+)?{_MG}(?!\s*[,،]?\s*\d)", re.IGNORECASE)
_YEAR_ONLY = re.compile(rf"{_B}(?:عام|العام(?:\s+الجديد)?|سنة|in|since){_E}\s*{_YR}", re.IGNORECASE)
_NEW_YEAR = re.compile(rf"{_B}(?:العام|السنة)\s+الجديد[ةه]?\s+{_YR}")

_KNOWN_SOURCES = ("text", "feed")
RECENT = timedelta(days=31)  # a stated date this close before publication is the event's


@dataclass(frozen=True)
class EventDate:
    date: datetime
    precision: str
    start: int
    end: int


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


def _last_before(month: int, day: int, anchor: datetime, strict: bool = False) -> datetime | None:
    """The latest (month, day) not after ``anchor`` (strictly before its month when ``strict``)."""
    year = anchor.year
    if month > anchor.month or (strict and month == anchor.month) or (month == anchor.month and day > anchor.day + 1):
        year -= 1
    return _utc(year, month, day)


def find_dates(text: str, anchor: datetime) -> list[EventDate]:
    """Every date expression in ``text``, resolved; year-less ones against ``anchor``."""
    digits = text.translate(_DIGITS)
    found: list[EventDate] = []

    def add(date: datetime | None, precision: str, m: re.Match[str]) -> None:
        if date is None or any(m.start() < f.end and f.start < m.end() for f in found):
            return
        found.append(EventDate(date, precision, m.start(), m.end()))

    for m in _HIJRI.finditer(digits):
        add(_hijri(int(m["day"]), _HIJRI_LOOKUP.get(normalize(m["hmonth"]), 0) or 1, int(m["hyear"])), DAY, m)
    for m in _HIJRI_NUM.finditer(digits):
        if m["hyear"].startswith(("13", "14")) or "ه" in m.group(0):
            add(_hijri(int(m["day"]), int(m["mon"]), int(m["hyear"])), DAY, m)
    for dm in iter_dates(digits):
        if not any(dm.start < f.end and f.start < dm.end for f in found):
            found.append(EventDate(dm.date, DAY, dm.start, dm.end))
    for m in _DAY_MONTH.finditer(digits):
        add(_last_before(_month(m["month"]), int(m["day"]), anchor), DAY, m)
    for m in _MONTH_LAST_YEAR.finditer(digits):
        add(_utc(anchor.year - 1, _month(m["month"]), 1), MONTH, m)
    for m in _MONTH_LAST.finditer(digits):
        add(_last_before(_month(m["month"]), 1, anchor, strict=True), MONTH, m)
    for m in _MONTH_THIS_YEAR.finditer(digits):
        add(_utc(anchor.year, _month(m["month"]), 1), MONTH, m)
    for m in _MONTH_YEAR.finditer(digits):
        add(_utc(int(m["year"]), _month(m["month"]), 1), MONTH, m)
    for m in _IN_MONTH.finditer(digits):
        add(_last_before(_month(m["month"]), 1, anchor), MONTH, m)
    for m in _YEAR_ONLY.finditer(digits):
        add(_utc(int(m["year"]), 1, 1), YEAR, m)
    return sorted(found, key=lambda f: f.start)


def _anchor(text: str, published: datetime, date_source: str) -> datetime:
    """What year-less dates are read against: the publication date when the article stated it;
    otherwise the year the text itself points at ("العام الجديد 2025", the latest year named)."""
    if date_source in _KNOWN_SOURCES:
        return published
    digits = text.translate(_DIGITS)
    new_year = _NEW_YEAR.search(digits)
    if new_year:
        return datetime(int(new_year["year"]), 1, 1, tzinfo=timezone.utc)
    years = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", digits) if int(y) <= published.year]
    if years:
        return datetime(max(years), 12, 31, tzinfo=timezone.utc)
    return published


def event_date(title: str, body: str, published: datetime, date_source: str = "text") -> datetime:
    """The date of the event an article reports.

    With a stated publication date: the latest date in the text within a month before it (a
    report of a phone call on the 13th published on the 14th), else the publication date itself;
    older dates are background. Without one (a file's mtime, the fetch time): the latest date the
    text states, read against the year the text points at, else the publication date.
    """
    text = f"{title}\n{body}"
    anchor = _anchor(text, published, date_source)
    dates = [d.date for d in find_dates(text, anchor)]
    if date_source in _KNOWN_SOURCES:
        recent = [d for d in dates if published - RECENT <= d <= published + timedelta(days=1)]
        return max(recent) if recent else published
    past = [d for d in dates if d <= published + timedelta(days=1)]
    return max(past) if past else published


def parse_expression(expression: str, base: datetime) -> datetime | None:
    """One date expression: ours first, then dateparser (relative phrases, times of day)."""
    found = find_dates(expression, base)
    if found:
        return found[0].date
    import dateparser

    parsed = dateparser.parse(
        expression,
        languages=["ar"],
        settings={"RELATIVE_BASE": base.replace(tzinfo=None), "PREFER_DATES_FROM": "past", "DATE_ORDER": "DMY"},
    )
    return None if parsed is None else parsed.replace(tzinfo=timezone.utc)
