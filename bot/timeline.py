"""A topic's stories in the order events happened: periods, grouping, and the PNG chart.

The chart draws Arabic headlines with matplotlib. Before 3.11 matplotlib neither joined Arabic letters
nor laid text out right to left, so arabic-reshaper picks the contextual letter forms and
python-bidi reorders them; matplotlib 3.11 does both itself through libraqm, and then the text is
handed over as written (see ``shape``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from itertools import groupby

from bot.dates import MONTH, WEEK, YEAR, resolve_relative
from storage.timeline import TimelineRow

AR_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر",
             "نوفمبر", "ديسمبر")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
DAY_GROUPING_MAX = timedelta(days=62)

_PERIOD = re.compile(r"^(?:(?P<year>(?:19|20)\d\d)(?:-(?P<month>0?[1-9]|1[0-2]))?|(?P<n>\d{1,4})(?P<unit>[dwmy]))$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    start: datetime | None
    end: datetime | None

    @property
    def short(self) -> bool:
        return self.start is not None and self.end is not None and self.end - self.start <= DAY_GROUPING_MAX


ALL_TIME = Period(None, None)


def parse_period(raw: str, now: datetime, tz: tzinfo = timezone.utc) -> Period:
    """``2025``, ``2025-08``, the last ``30d`` / ``8w`` / ``6m`` / ``2y``, or a relative phrase read
    by the resolver event dates use ("أمس", "الأسبوع الماضي", "الشهر الجاري", "العام الماضي");
    empty means all."""
    raw = " ".join(raw.split()).lower()
    if not raw:
        return ALL_TIME
    relative = resolve_relative(raw, now.astimezone(tz))
    if relative is not None:
        start = relative.date
        if relative.precision == YEAR:
            end = start.replace(year=start.year + 1)
        elif relative.precision == MONTH:
            end = start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
        elif relative.precision == WEEK:  # the seven days that end on the resolved day
            start, end = start - timedelta(days=6), start + timedelta(days=1)
        else:
            end = start + timedelta(days=1)
        return Period(start.astimezone(timezone.utc), end.astimezone(timezone.utc))
    m = _PERIOD.match(raw)
    if not m:
        raise PeriodError(raw)
    if m["year"]:
        year = int(m["year"])
        if m["month"]:
            month = int(m["month"])
            start = datetime(year, month, 1, tzinfo=tz)
            end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
        else:
            start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
        return Period(start.astimezone(timezone.utc), end.astimezone(timezone.utc))
    n = int(m["n"])
    if n == 0:
        raise PeriodError(raw)
    days = n * {"d": 1, "w": 7, "m": 31, "y": 366}[m["unit"]]
    return Period(now - timedelta(days=days), now + timedelta(days=1))


def month_label(moment: datetime, lang: str) -> str:
    names = EN_MONTHS if lang == "en" else AR_MONTHS
    return f"{names[moment.month - 1]} {moment.year}"


def day_label(moment: datetime, lang: str) -> str:
    return f"{moment.day} {month_label(moment, lang)}"


def local_date(row: TimelineRow, tz: tzinfo) -> datetime:
    """The row's date on the calendar: a date stated in the text is a calendar date already (kept
    as written); a publication time is shown in the chat's time zone."""
    return row.event_date if row.precision else row.event_date.astimezone(tz)


def when_label(row: TimelineRow, tz: tzinfo, lang: str) -> str:
    """The row's date at the precision its text gave: "2025-08-13", "أغسطس 2025", "2025"."""
    local = local_date(row, tz)
    if row.precision == YEAR:
        return str(local.year)
    if row.precision == MONTH:
        return month_label(local, lang)
    if row.precision == WEEK:
        return ("week of " if lang == "en" else "أسبوع ") + local.strftime("%Y-%m-%d")
    return local.strftime("%Y-%m-%d")


def groups(rows: list[TimelineRow], by_day: bool, tz: tzinfo, lang: str) -> list[tuple[str, list[TimelineRow]]]:
    """Rows (already in event order) under month headings, or day headings for short periods; a
    date known only to its month or year goes under a heading of that month or year."""
    def key(row: TimelineRow) -> tuple[int, ...]:
        local = local_date(row, tz)
        if row.precision == YEAR:
            return (local.year,)
        if by_day and row.precision != MONTH:
            return (local.year, local.month, local.day)
        return (local.year, local.month)

    out = []
    for k, members in groupby(rows, key=key):
        first = list(members)
        local = local_date(first[0], tz)
        heading = str(k[0]) if len(k) == 1 else day_label(local, lang) if len(k) == 3 else month_label(local, lang)
        out.append((heading, first))
    return out


def render_text(rows: list[TimelineRow], period: Period, tz: tzinfo, lang: str = "ar") -> str:
    """The plain text timeline the CLI prints: headings, then ``date · headline · N sources``."""
    lines = []
    for heading, members in groups(rows, period.short, tz, lang):
        lines.append(heading)
        for r in members:
            when = when_label(r, tz, lang)
            unit = "source(s)" if lang == "en" else "مصدر"
            lines.append(f"  {when} · {r.headline} · {r.sources} {unit}")
    return "\n".join(lines)


def matplotlib_shapes_text() -> bool:
    """Matplotlib ≥ 3.11 lays text out with libraqm (HarfBuzz shaping + FriBidi order) itself."""
    from matplotlib import ft2font

    return bool(getattr(ft2font, "__libraqm_version__", ""))


def shape(text: str, raqm: bool | None = None) -> str:
    """Arabic as matplotlib must be given it.

    With libraqm, the logical text (matplotlib shapes and reorders it; doing it here as well would
    reverse it twice). Without: joined letter forms from arabic-reshaper in visual order from
    python-bidi.
    """
    if raqm is None:
        raqm = matplotlib_shapes_text()
    if raqm:
        return text
    import arabic_reshaper
    from bidi import get_display

    return get_display(arabic_reshaper.reshape(text))


def _short(headline: str, limit: int = 60) -> str:
    headline = " ".join(headline.split())
    return headline if len(headline) <= limit else headline[: limit - 1].rstrip() + "…"


def render_png(rows: list[TimelineRow], title: str, tz: tzinfo) -> bytes:
    """A dated chart: one marker per story (size = number of sources), headline beside it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    height = max(3.0, 0.55 * len(rows) + 1.5)
    fig = Figure(figsize=(11, height), dpi=100)
    ax = fig.add_subplot()
    dates = [local_date(r, tz).replace(tzinfo=None) for r in rows]
    ys = list(range(len(rows), 0, -1))
    sizes = [40 + 30 * (r.sources - 1) for r in rows]
    # A date known only to its month or year: a hollow marker, and the label says which.
    precise = [r.precision in (None, "day") for r in rows]
    ax.scatter(dates, ys, s=sizes, facecolors=["#1f6f8b" if p else "none" for p in precise], edgecolors="#1f6f8b",
               zorder=3)
    ax.hlines(ys, min(dates), dates, color="#cccccc", linewidth=0.8, zorder=1)
    for x, y, r in zip(dates, ys, rows):
        # Date and headline apart: inside one bidi run the date's digits would be reordered.
        ax.annotate(shape(when_label(r, tz, "ar")), (x, y), xytext=(8, 0), textcoords="offset points", va="center",
                    ha="left", fontsize=8, color="#555555", fontfamily="DejaVu Sans")
        ax.annotate(shape(_short(r.headline)), (x, y), xytext=(72, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=9, fontfamily="DejaVu Sans")
    ax.set_title(shape(title), fontfamily="DejaVu Sans")
    ax.set_yticks([])
    ax.set_ylim(0, len(rows) + 1)
    span = (max(dates) - min(dates)) if dates else timedelta(0)
    pad = max(span * 0.05, timedelta(days=3))
    ax.set_xlim(min(dates) - pad, max(dates) + span * 1.2 + pad)  # room for the labels
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
