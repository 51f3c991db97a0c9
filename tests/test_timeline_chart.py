"""The /timeline chart, inspected as a matplotlib Figure before PNG encoding (issue 12 part 7): the
axis fits the events shown, months are in Arabic, a volume strip shares the axis, a date's precision
is drawn as a span, text is big enough for a phone, headlines are capped with a "+N" note."""

from __future__ import annotations

import struct
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import matplotlib.dates as mdates
import pytest
from matplotlib.text import Text
from sqlalchemy import select

from bot.timeline import (AR_MONTHS, DPI, HEADLINE_PT, MAX_HEADLINES, MIN_FONT_PT, TEXT_LEFT, TEXT_RIGHT, build_figure,
                          more_label, render_png, shape)
from storage import timeline as timeline_store
from storage.models import Article, Story, StoryTopic, Watchlist
from storage.timeline import DayVolume, TimelineRow
from tests.fake_feeds import saudi_items

UTC = timezone.utc
RIYADH = timezone(timedelta(hours=3))
# Real headlines (seeds and wire copy), so shaping, widths and truncation meet real Arabic.
HEADLINES = [
    "كوريا الشمالية وروسيا توقعان معاهدة شراكة استراتيجية شاملة في فبراير 2022",
    "كيم جونغ أون يتعهد بتعزيز التعاون العسكري مع موسكو",
    "بوتين وكيم يجريان اتصالا هاتفيا لبحث العلاقات الثنائية",
    "لافروف يدعو إلى تعزيز العلاقات الكورية الروسية في كل المجالات",
    "بوتين لكيم: روسيا ستبقى إلى جانب كوريا الشمالية في مواجهة الضغوط الغربية",
]


def row(sid: int, when: datetime, precision: str | None, headline: str = HEADLINES[0], sources: int = 1,
        articles: int = 1) -> TimelineRow:
    return TimelineRow(sid, headline, when, when, sources, articles, f"https://example.org/{sid}", precision)


def axes(fig, gid: str):
    found = [a for a in fig.axes if a.get_gid() == gid]
    return found[0] if found else None


def texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def by_gid(fig, prefix: str) -> list:
    return [a for a in fig.findobj(lambda a: str(a.get_gid() or "").startswith(prefix))]


MIXED = [  # two years, every precision
    row(1, datetime(2024, 1, 1, tzinfo=UTC), "year", HEADLINES[0], sources=2),
    row(2, datetime(2024, 3, 1, tzinfo=UTC), "month", HEADLINES[1]),
    row(3, datetime(2025, 8, 13, tzinfo=UTC), "day", HEADLINES[2], sources=3),
    row(4, datetime(2025, 12, 18, 9, tzinfo=UTC), None, HEADLINES[3]),
    row(5, datetime(2025, 12, 25, tzinfo=UTC), "day", HEADLINES[4], sources=5),
]
VOLUME = [DayVolume(date(2025, 12, 18), 4, 2), DayVolume(date(2025, 12, 19), 1, 1), DayVolume(date(2025, 12, 25), 7, 5)]


def test_axis_fits_the_events_with_arabic_month_ticks():
    fig = build_figure(MIXED, "كوريا الشمالية وروسيا", RIYADH, VOLUME)
    ax = axes(fig, "events")
    lo, hi = (mdates.num2date(x).replace(tzinfo=None) for x in ax.get_xlim())
    first, last = datetime(2024, 1, 1), datetime(2026, 1, 1)  # the 2024 span's start, December 2025's last day
    margin = (last - first) * 0.05
    assert first - margin <= lo < first and datetime(2025, 12, 26) < hi <= last + margin, (lo, hi)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    months = [label.split("\n")[0] for label in labels]
    assert len(labels) >= 4 and set(months) <= {shape(m) for m in AR_MONTHS}, labels
    assert not any(ch.isascii() and ch.isalpha() for label in labels for ch in label)  # no "Jan", "2024-03"
    years = [label.split("\n")[1] for label in labels if "\n" in label]
    assert years[0] == "2024" and "2025" in years  # the year where it changes, in the digits raqib uses
    for tick, label in zip(ax.get_xticks(), labels):  # each name is the month of its tick
        assert label.split("\n")[0] == shape(AR_MONTHS[mdates.num2date(tick).month - 1])


def test_a_few_days_get_day_ticks():
    rows = [row(i, datetime(2025, 12, 18 + i, 8, tzinfo=UTC), None, HEADLINES[i]) for i in range(4)]
    fig = build_figure(rows, "قصير", RIYADH, [])
    ax = axes(fig, "events")
    lo, hi = ax.get_xlim()
    assert 3 <= hi - lo <= 5  # 18–21 December and a margin, not a month
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert [label.split("\n")[0] for label in labels] == ["18", "19", "20", "21"]
    assert labels[0].split("\n")[1] == shape("ديسمبر")


def test_volume_strip_shares_the_axis_and_holds_the_counts():
    fig = build_figure(MIXED, "كوريا", RIYADH, VOLUME)
    vol, ax = axes(fig, "volume"), axes(fig, "events")
    assert vol is not None and vol.get_shared_x_axes().joined(vol, ax)
    assert vol.get_position().y0 > ax.get_position().y1  # above the events
    articles = [c for c in vol.containers if c.get_label() == "articles"][0]
    outlets = [c for c in vol.containers if c.get_label() == "outlets"][0]
    assert [p.get_height() for p in articles] == [4, 1, 7] and [p.get_height() for p in outlets] == [2, 1, 5]
    centers = [mdates.num2date(p.get_x() + p.get_width() / 2).replace(tzinfo=None) for p in articles]
    assert centers == [datetime(2025, 12, d, 12) for d in (18, 19, 25)]
    assert axes(build_figure(MIXED, "كوريا", RIYADH), "volume") is None  # no counts given, no strip
    assert not by_gid(fig, "outside")


def test_coverage_long_after_the_events_does_not_stretch_the_axis():
    """Old events reported today (the seeds' background pieces): the axis keeps to the events and a
    note counts the articles it leaves out."""
    late = VOLUME + [DayVolume(date(2026, 11, 30), 3, 1)]
    fig = build_figure(MIXED, "كوريا", RIYADH, late)
    hi = mdates.num2date(axes(fig, "events").get_xlim()[1]).replace(tzinfo=None)
    assert hi < datetime(2026, 2, 1)
    articles = [c for c in axes(fig, "volume").containers if c.get_label() == "articles"][0]
    assert [p.get_height() for p in articles] == [4, 1, 7]
    assert by_gid(fig, "outside")[0].get_text() == shape("نُشر خارج هذه الفترة: 3 مقالات")


def test_precision_drawn_as_spans_and_points():
    fig = build_figure(MIXED, "كوريا", RIYADH, VOLUME)
    year = by_gid(fig, "span:year:1")[0]
    month = by_gid(fig, "span:month:2")[0]
    assert year.get_width() == pytest.approx(366, abs=1)  # 2024, a leap year: across the whole year
    assert mdates.num2date(year.get_x()).date() == date(2024, 1, 1)
    assert month.get_width() == pytest.approx(31, abs=0.01)  # March
    points = {a.get_gid() for a in by_gid(fig, "point:")}
    assert points == {"point:3", "point:4", "point:5"}  # days are points, not spans
    assert not by_gid(fig, "span:day")
    dates = {a.get_gid(): a.get_text() for a in by_gid(fig, "date:")}
    assert dates["date:1"] == "2024" and dates["date:2"] == shape("مارس 2024") and dates["date:3"] == "2025-08-13"


def test_text_is_readable_on_a_phone():
    fig = build_figure(MIXED, "كوريا الشمالية وروسيا", RIYADH, VOLUME)
    width_px = fig.get_figwidth() * fig.dpi
    assert width_px == 1280  # Telegram's largest photo width: not scaled down before the phone does
    assert MIN_FONT_PT * DPI / 72 >= 14 and HEADLINE_PT * DPI / 72 >= 24
    sizes = {t.get_text(): t.get_fontsize() for t in texts(fig)}
    assert sizes and min(sizes.values()) >= MIN_FONT_PT, sorted(sizes.items(), key=lambda kv: kv[1])[:3]
    headlines = by_gid(fig, "headline:")
    assert len(headlines) == 5 and all(h.get_fontsize() == HEADLINE_PT for h in headlines)
    # Each headline stays inside its column, right-aligned (Arabic starts at the right).
    renderer = fig.canvas.get_renderer()
    for h in headlines:
        box = h.get_window_extent(renderer)
        assert h.get_ha() == "right" and box.x0 >= TEXT_LEFT * width_px and box.x1 <= TEXT_RIGHT * width_px + 1


def test_long_headline_truncated_to_its_column():
    long = " ".join(HEADLINES)
    fig = build_figure([row(1, datetime(2025, 8, 13, tzinfo=UTC), "day", long)], "كوريا", RIYADH)
    h = by_gid(fig, "headline:1")[0]
    assert h.get_text().endswith("…") and long.startswith(h.get_text()[:-1].rstrip())
    assert h.get_window_extent(fig.canvas.get_renderer()).width <= (TEXT_RIGHT - TEXT_LEFT) * 1280


def test_dense_topic_capped_with_a_counted_note():
    items = saudi_items(60)
    rows = [row(i, item.published, None, item.title, sources=1 + i % 5, articles=1 + i % 7)
            for i, item in enumerate(sorted(items, key=lambda it: it.published))]
    fig = build_figure(rows, "السعودية", RIYADH, [])
    headlines = by_gid(fig, "headline:")
    assert len(headlines) == MAX_HEADLINES
    shown = {int(h.get_gid().split(":")[1]) for h in headlines}
    assert min(rows[i].sources for i in shown) >= max(r.sources for r in rows if r.story_id not in shown)
    ys = [h.get_position()[1] for h in sorted(headlines, key=lambda h: int(h.get_gid().split(":")[1]))]
    assert ys == sorted(ys, reverse=True)  # still in event order, top to bottom
    note = by_gid(fig, "more")[0].get_text()
    assert note == shape(f"+{60 - MAX_HEADLINES} قصة أخرى")
    hidden = by_gid(fig, "hidden")[0]
    assert len(hidden.get_offsets()) == 60 - MAX_HEADLINES  # the rest still marked on the axis


def test_more_label_agrees_with_its_number():
    assert more_label(1, "ar") == "+قصة واحدة أخرى"
    assert more_label(2, "ar") == "+قصتان أخريان"
    assert more_label(5, "ar") == "+5 قصص أخرى"
    assert more_label(46, "ar") == "+46 قصة أخرى"
    assert more_label(100, "ar") == "+100 قصة أخرى"
    assert more_label(3, "en") == "+3 stories more"


def test_png_is_a_valid_image_of_the_figure_size():
    png = render_png(MIXED, "كوريا", RIYADH, VOLUME)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    fig = build_figure(MIXED, "كوريا", RIYADH, VOLUME)
    assert (width, height) == (1280, round(fig.get_figheight() * DPI))


@pytest.mark.parametrize("offset_h", [0, 3, -11])
def test_daily_volume_counts_articles_and_outlets_per_local_day(seeded, offset_h):
    """The SQL day count against the same count done here, article by article, on both databases."""
    offset = timedelta(hours=offset_h)
    with seeded.factory() as s:
        wl = s.execute(select(Watchlist).where(Watchlist.slug == "dprk-russia")).scalars().first()
        got = timeline_store.daily_volume(s, "dprk-russia", watchlist_id=wl.id, utc_offset=offset)
        published = s.execute(
            select(Article.published_at, Article.source_id).join(Story, Story.id == Article.story_id)
            .join(StoryTopic, StoryTopic.story_id == Story.id).where(StoryTopic.watchlist_id == wl.id)).all()
        late = timeline_store.daily_volume(s, "dprk-russia", datetime(2025, 12, 1, tzinfo=UTC), watchlist_id=wl.id,
                                           utc_offset=offset)
    days: dict[date, list[int]] = {}
    for when, source in published:
        days.setdefault((when + offset).date(), []).append(source)
    want = [DayVolume(d, len(v), len(set(v))) for d, v in sorted(days.items())]
    assert got == want and sum(v.articles for v in got) == len(published) >= 5
    assert Counter(v.day for v in got) and sum(v.articles for v in late) < sum(v.articles for v in got)


def test_chat_chart_button_draws_the_volume_strip(seeded, monkeypatch):
    """The chart button passes the topic's daily counts, in the chat's language, to the chart."""
    import asyncio

    from bot.transports.telegram import services_for
    from handlers import router
    from handlers import timeline as timeline_handler
    from tests.telegram_support import caller

    seen = {}

    def spy(rows, title, tz, volume=None, lang="ar"):
        seen.update(rows=rows, volume=volume, lang=lang)
        return render_png(rows, title, tz, volume, lang)

    monkeypatch.setattr(timeline_handler, "render_png", spy)
    services = services_for(seeded, seeded.config)
    reply = asyncio.run(router.handle_command(services, caller(1), "timeline", "dprk-russia"))
    photo = asyncio.run(router.handle_callback(services, caller(1), reply.buttons[0][0].data))
    assert photo.photo[:8] == b"\x89PNG\r\n\x1a\n" and seen["lang"] == "ar"
    assert seen["volume"] and sum(v.articles for v in seen["volume"]) == sum(r.articles for r in seen["rows"])
