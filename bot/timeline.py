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
from datetime import date, datetime, timedelta, timezone, tzinfo
from itertools import groupby
from typing import TYPE_CHECKING, Any

from bot.text.dates import MONTH, WEEK, YEAR, resolve_relative
from handlers.texts import counted
from storage.timeline import DayVolume, TimelineRow

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
            lines.append(f"  {when} · {r.headline} · {counted(lang, r.sources, 'source')}")
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



# --- the chart ------------------------------------------------------------------------------------
# Telegram shows a photo at most ~1280 px wide and a phone scales that to ~400 CSS px, so the figure
# is 1280 px wide and its text is large for its size: 14 pt at 100 dpi is 19 px, headlines 19 pt.
FIG_WIDTH_IN = 12.8
DPI = 100
MIN_FONT_PT = 14.0
HEADLINE_PT = 19.0
TITLE_PT = 24.0
MAX_HEADLINES = 14  # more rows would shrink below readable once Telegram scales the photo down
ROW_IN = 0.56
VOLUME_IN = 1.9
FONT = "DejaVu Sans"  # has Arabic glyphs and ships with matplotlib
INK, MUTED, ACCENT, LIGHT = "#222222", "#666666", "#1f6f8b", "#a9cfdc"
# The figure's columns (fractions of its width): the time axis on the left, headlines on the right,
# read right to left: headline, its date, then its mark on the axis.
TIME_LEFT, TIME_RIGHT, TEXT_LEFT, TEXT_RIGHT = 0.035, 0.43, 0.455, 0.985
DATE_COLUMN_PX = 150  # the narrowest date column: "2025-08-13" and a gap


@dataclass(frozen=True)
class Span:
    """Where a story sits on the time axis: a day is a point; a week, month or year a span."""

    start: datetime
    end: datetime
    point: bool
    at: datetime | None = None  # a point's place: a stated day's noon, or the publication time


def event_span(row: TimelineRow, tz: tzinfo) -> Span:
    """The stretch of calendar the row's date covers at its precision (naive local datetimes)."""
    local = local_date(row, tz).replace(tzinfo=None)
    if row.precision == YEAR:
        start = datetime(local.year, 1, 1)
        return Span(start, start.replace(year=local.year + 1), False)
    if row.precision == MONTH:
        start = datetime(local.year, local.month, 1)
        return Span(start, start.replace(year=local.year + (local.month == 12), month=local.month % 12 + 1), False)
    if row.precision == WEEK:
        start = datetime(local.year, local.month, local.day)
        return Span(start, start + timedelta(days=7), False)
    day = datetime(local.year, local.month, local.day)
    # A stated day: the middle of it, where the day's tick stands. Either way the whole calendar
    # day is in the axis, so its volume bar is too.
    at = day + timedelta(hours=12) if row.precision is not None else local
    return Span(day, day + timedelta(days=1), True, at)


def chart_when(row: TimelineRow, tz: tzinfo, lang: str) -> str:
    """The date beside a headline on the chart: as in the text, but a week in words ("أسبوع 3
    فبراير 2025"), since an ISO date after Arabic words is reordered by the bidi algorithm."""
    if row.precision == WEEK:
        return ("week of " if lang == "en" else "أسبوع ") + day_label(local_date(row, tz), lang)
    return when_label(row, tz, lang)


def more_label(n: int, lang: str) -> str:
    """"+N stories more" with the noun and its adjective agreeing with N (قصتان أخريان, 3 قصص أخرى)."""
    if lang == "en":
        return f"+{counted(lang, n, 'story')} more"
    return f"+{counted(lang, n, 'story')} {'أخريان' if n == 2 else 'أخرى'}"


def _month_shift(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1)


def time_ticks(lo: datetime, hi: datetime, lang: str = "ar") -> list[tuple[datetime, str]]:
    """Tick dates and labels for the axis [lo, hi]: days, weeks, months or years by the span, about
    six labels on the narrow time column; the month (or year) is written where it changes."""
    names = EN_MONTHS if lang == "en" else AR_MONTHS
    days = (hi - lo).total_seconds() / 86400
    out: list[tuple[datetime, str]] = []
    if days <= 75:  # days: every 1…10 days
        step = 1 if days <= 10 else 2 if days <= 18 else 4 if days <= 30 else 7 if days <= 50 else 10
        tick = datetime(lo.year, lo.month, lo.day, 12)  # a day's tick in its middle, under its bar
        if tick < lo:
            tick += timedelta(days=1)
        last_month = None
        while tick <= hi:
            label = str(tick.day)
            if (tick.year, tick.month) != last_month:
                label += f"\n{names[tick.month - 1]}"
                last_month = (tick.year, tick.month)
            out.append((tick, label))
            tick += timedelta(days=step)
        return out
    months = days / 30.44
    if months <= 40:  # months: every 1, 2, 3, 4 or 6
        step = next(k for k in (1, 2, 3, 4, 6) if months / k <= 7)
        tick = _month_shift(datetime(lo.year, lo.month, 1), 1)
        while (tick.month - 1) % step:
            tick = _month_shift(tick, 1)
        last_year = None
        while tick <= hi:
            label = names[tick.month - 1]
            if tick.year != last_year:
                label += f"\n{tick.year}"
                last_year = tick.year
            out.append((tick, label))
            tick = _month_shift(tick, step)
        return out
    years = days / 365.25
    step = next(k for k in (1, 2, 5, 10, 20, 50) if years / k <= 7)
    year = lo.year + 1
    year += (-year) % step
    while datetime(year, 1, 1) <= hi:
        out.append((datetime(year, 1, 1), str(year)))
        year += step
    return out


def x_limits(spans: list[Span]) -> tuple[datetime, datetime]:
    """The events' stretch (a month or year span whole) with a small margin. Coverage days outside it
    (an old event reported today) are counted in a note, not allowed to stretch the axis."""
    lo, hi = min(s.start for s in spans), max(s.end for s in spans)
    if hi - lo < timedelta(days=2):  # one day: show it with a day either side
        middle = lo + (hi - lo) / 2
        lo, hi = middle - timedelta(days=1.5), middle + timedelta(days=1.5)
    margin = (hi - lo) * 0.03
    return lo - margin, hi + margin


def _pick(rows: list[TimelineRow], cap: int) -> tuple[list[TimelineRow], list[TimelineRow]]:
    """The ``cap`` most covered stories (sources, then articles), kept in event order; the rest."""
    if len(rows) <= cap:
        return rows, []
    ranked = sorted(range(len(rows)), key=lambda i: (-rows[i].sources, -rows[i].articles, i))
    keep = set(ranked[:cap])
    return [r for i, r in enumerate(rows) if i in keep], [r for i, r in enumerate(rows) if i not in keep]


def _fit(text_artist: Any, text: str, max_px: float, renderer: Any, raqm: bool) -> None:
    """Shorten the headline word by word (ending in "…") until it fits its column."""
    words = " ".join(text.split()).split(" ")
    candidate = " ".join(words)
    while True:
        text_artist.set_text(shape(candidate, raqm))
        if text_artist.get_window_extent(renderer).width <= max_px or len(words) <= 1:
            return
        words = words[:-1]
        candidate = " ".join(words).rstrip("،,:؛-–") + "…"


def build_figure(rows: list[TimelineRow], title: str, tz: tzinfo, volume: list[DayVolume] | None = None,
                 lang: str = "ar", max_headlines: int = MAX_HEADLINES) -> Figure:
    """The timeline chart as a matplotlib Figure (so tests can inspect it before PNG encoding).

    ``volume`` is ``storage.timeline.daily_volume``'s rows (articles and outlets per day); None
    leaves the volume strip out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.ticker
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    raqm = matplotlib_shapes_text()
    shown, hidden = _pick(rows, max_headlines)
    n_rows = len(shown) + (1 if hidden else 0)
    header_in, axis_in = 1.15, 0.95
    strip_in = VOLUME_IN + 0.35 if volume is not None else 0.0
    events_in = n_rows * ROW_IN + 0.2
    height_in = header_in + strip_in + events_in + axis_in
    fig = Figure(figsize=(FIG_WIDTH_IN, height_in), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()

    def frac(inches: float) -> float:
        return inches / height_in

    spans = [event_span(r, tz) for r in rows]
    lo, hi = x_limits(spans)

    def noon(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 12)

    inside = [v for v in (volume or []) if lo <= noon(v.day) <= hi]
    outside = sum(v.articles for v in (volume or [])) - sum(v.articles for v in inside)

    ev_bottom = frac(axis_in)
    ax = fig.add_axes((TIME_LEFT, ev_bottom, TIME_RIGHT - TIME_LEFT, frac(events_in)))
    ax.set_gid("events")
    vol = None
    if volume is not None:
        vol = fig.add_axes((TIME_LEFT, frac(axis_in + events_in + 0.35), TIME_RIGHT - TIME_LEFT, frac(VOLUME_IN)),
                           sharex=ax)
        vol.set_gid("volume")
    text_ax = fig.add_axes((TEXT_LEFT, ev_bottom, TEXT_RIGHT - TEXT_LEFT, frac(events_in)), sharey=ax)
    text_ax.set_gid("headlines")
    text_ax.axis("off")

    # Events: top row first, in event order.
    by_story = {r.story_id: s for r, s in zip(rows, spans)}
    xmax = mdates.date2num(hi)
    column_px = (TEXT_RIGHT - TEXT_LEFT) * FIG_WIDTH_IN * DPI
    for i, r in enumerate(shown):
        y = n_rows - i
        span = by_story[r.story_id]
        x0, x1 = mdates.date2num(span.start), mdates.date2num(span.end)
        if span.point:
            x0 = x1 = mdates.date2num(span.at)
            size = 90 + 55 * (min(r.sources, 8) - 1)
            ax.scatter([x0], [y], s=size, color=ACCENT, zorder=3, gid=f"point:{r.story_id}")
        else:  # a week, month or year known, not the day: drawn across it, with end caps
            bar = ax.barh(y, x1 - x0, left=x0, height=0.34, color=LIGHT, edgecolor=ACCENT, linewidth=1.5, zorder=3)
            bar.patches[0].set_gid(f"span:{r.precision}:{r.story_id}")
        ax.hlines(y, x1, xmax, colors="#d5d5d5", linewidth=1, linestyles=":", zorder=1)
        when = text_ax.text(0.0, y, shape(chart_when(r, tz, lang), raqm), ha="left", va="center",
                            fontsize=MIN_FONT_PT, color=MUTED, fontfamily=FONT, transform=text_ax.get_yaxis_transform(),
                            gid=f"date:{r.story_id}")
        headline = text_ax.text(1.0, y, "", ha="right", va="center", fontsize=HEADLINE_PT, color=INK,
                                fontfamily=FONT, transform=text_ax.get_yaxis_transform(), gid=f"headline:{r.story_id}")
        date_px = max(DATE_COLUMN_PX, when.get_window_extent(renderer).width + 24)
        _fit(headline, r.headline, column_px - date_px, renderer, raqm)
    if hidden:  # the stories left out: small marks on their own row, and how many
        xs = [mdates.date2num(by_story[r.story_id].at or by_story[r.story_id].start) for r in hidden]
        ax.scatter(xs, [1] * len(xs), s=30, color="#9a9a9a", zorder=3, gid="hidden")
        text_ax.text(1.0, 1, shape(more_label(len(hidden), lang), raqm), ha="right", va="center",
                     fontsize=MIN_FONT_PT + 1, color=MUTED, fontfamily=FONT, transform=text_ax.get_yaxis_transform(),
                     gid="more")
    ax.set_ylim(0.4, n_rows + 0.6)
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)

    ax.set_xlim(mdates.date2num(lo), xmax)
    ticks = time_ticks(lo, hi, lang)
    ax.set_xticks([mdates.date2num(t) for t, _ in ticks], [label for _, label in ticks])
    ax.tick_params(axis="x", labelsize=MIN_FONT_PT + 1, length=5, colors=INK)
    for label in ax.get_xticklabels():
        label.set_fontfamily(FONT)
    ax.grid(axis="x", color="#eeeeee", linewidth=1, zorder=0)

    if vol is not None:
        xs = [mdates.date2num(noon(v.day)) for v in inside]
        vol.bar(xs, [v.articles for v in inside], width=0.9, color=LIGHT, edgecolor=LIGHT, linewidth=0.6,
                zorder=2, label="articles")
        vol.bar(xs, [v.outlets for v in inside], width=0.45, color=ACCENT, edgecolor=ACCENT, linewidth=0.6,
                zorder=3, label="outlets")
        peak = max([v.articles for v in inside], default=0)
        if outside:
            note = (f"published outside this span: {counted(lang, outside, 'article')}" if lang == "en"
                    else f"نُشر خارج هذه الفترة: {counted(lang, outside, 'article')}")
            vol.text(0.99, 0.97, shape(note, raqm), transform=vol.transAxes, ha="right", va="top",
                     fontsize=MIN_FONT_PT, color=MUTED, fontfamily=FONT, gid="outside")
        vol.set_ylim(0, max(peak, 1) * 1.15)
        vol.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=3, integer=True))
        vol.tick_params(axis="y", labelsize=MIN_FONT_PT, colors=MUTED)
        vol.tick_params(axis="x", labelbottom=False, length=0)
        vol.grid(axis="y", color="#eeeeee", linewidth=1, zorder=0)
        for side in ("top", "right"):
            vol.spines[side].set_visible(False)
        handles = [Patch(color=LIGHT), Patch(color=ACCENT)]
        labels = [shape("مقالات في اليوم" if lang != "en" else "articles a day", raqm),
                  shape("مصادر في اليوم" if lang != "en" else "outlets a day", raqm)]
        vol.legend(handles, labels, loc="upper right", bbox_to_anchor=(TEXT_RIGHT, frac(axis_in + events_in + 0.35
                   + VOLUME_IN)), bbox_transform=fig.transFigure, frameon=False, prop={"family": FONT,
                   "size": MIN_FONT_PT + 1}, handlelength=1.2, alignment="right", markerfirst=False)

    # Header: the topic, then how much the chart holds and the key to the marks.
    fig.text(TEXT_RIGHT, 1 - frac(0.2), shape(title, raqm), ha="right", va="top", fontsize=TITLE_PT,
             fontweight="bold", color=INK, fontfamily=FONT, gid="title")
    total = sum(r.articles for r in rows)
    sub = f"{counted(lang, len(rows), 'story')} · {counted(lang, total, 'article')}"
    fig.text(TEXT_RIGHT, 1 - frac(0.75), shape(sub, raqm), ha="right", va="top", fontsize=MIN_FONT_PT + 1,
             color=MUTED, fontfamily=FONT, gid="subtitle")
    key = [Line2D([], [], marker="o", linestyle="", color=ACCENT, markersize=11),
           Patch(facecolor=LIGHT, edgecolor=ACCENT, linewidth=1.5)]
    key_labels = [shape("يوم معروف" if lang != "en" else "day known", raqm),
                  shape("الشهر أو السنة فقط" if lang != "en" else "month or year only", raqm)]
    fig.legend(key, key_labels, loc="upper left", bbox_to_anchor=(TIME_LEFT, 1 - frac(0.15)), frameon=False,
               prop={"family": FONT, "size": MIN_FONT_PT}, ncols=1, handlelength=1.2, markerfirst=False,
               alignment="left")
    return fig


def render_png(rows: list[TimelineRow], title: str, tz: tzinfo, volume: list[DayVolume] | None = None,
               lang: str = "ar") -> bytes:
    """The chart as PNG bytes, 1280 px wide: what Telegram shows without scaling it down further."""
    fig = build_figure(rows, title, tz, volume, lang)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
