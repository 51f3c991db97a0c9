"""Event-date precision end to end: stored beside the date (migration 0007e), shown as found in the
timeline text, in chat and on the chart ("2024", "أغسطس 2025"), never as 2024-01-01."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.timeline import ALL_TIME, Period, render_png, render_text, when_label
from handlers import router
from storage import timeline as timeline_store
from storage.models import Story
from storage.timeline import TimelineRow
from tests.telegram_support import caller

UTC = timezone.utc
RIYADH = timezone(timedelta(hours=3))
NEW_YORK = timezone(timedelta(hours=-5))


def row(sid: int, when: datetime, precision: str | None, headline: str = "خبر") -> TimelineRow:
    return TimelineRow(sid, headline, when, when, 1, 1, f"https://example.org/{sid}", precision)


def test_labels_follow_the_precision_found():
    assert when_label(row(1, datetime(2025, 1, 1, tzinfo=UTC), "year"), RIYADH, "ar") == "2025"
    assert when_label(row(1, datetime(2025, 8, 1, tzinfo=UTC), "month"), RIYADH, "ar") == "أغسطس 2025"
    assert when_label(row(1, datetime(2025, 8, 1, tzinfo=UTC), "month"), RIYADH, "en") == "August 2025"
    assert when_label(row(1, datetime(2025, 8, 13, tzinfo=UTC), "day"), RIYADH, "ar") == "2025-08-13"
    # A stated calendar date stays that date in any time zone; a publication time is converted.
    assert when_label(row(1, datetime(2025, 8, 13, tzinfo=UTC), "day"), NEW_YORK, "ar") == "2025-08-13"
    assert when_label(row(1, datetime(2025, 8, 13, 2, tzinfo=UTC), None), NEW_YORK, "ar") == "2025-08-12"


def test_text_timeline_groups_imprecise_dates_under_their_own_heading():
    rows = [
        row(1, datetime(2024, 1, 1, tzinfo=UTC), "year", "تقرير سنوي"),
        row(2, datetime(2025, 8, 1, tzinfo=UTC), "month", "خلال أغسطس"),
        row(3, datetime(2025, 8, 13, tzinfo=UTC), "day", "اتصال هاتفي"),
    ]
    out = render_text(rows, ALL_TIME, RIYADH)
    lines = out.splitlines()
    assert lines[0] == "2024" and lines[1].startswith("  2024 · تقرير سنوي")
    assert "  أغسطس 2025 · خلال أغسطس" in out and "  2025-08-13 · اتصال هاتفي" in out
    assert "2024-01-01" not in out and "يناير 2024" not in out
    short = Period(datetime(2025, 8, 1, tzinfo=UTC), datetime(2025, 9, 1, tzinfo=UTC))
    by_day = render_text(rows[1:], short, RIYADH).splitlines()
    assert by_day[0] == "أغسطس 2025" and by_day[2] == "13 أغسطس 2025"  # a month-only story: month heading


def test_chart_draws_imprecise_dates():
    rows = [row(1, datetime(2024, 1, 1, tzinfo=UTC), "year"), row(2, datetime(2025, 8, 1, tzinfo=UTC), "month"),
            row(3, datetime(2025, 8, 13, tzinfo=UTC), "day"), row(4, datetime(2025, 9, 2, 9, tzinfo=UTC), None)]
    png = render_png(rows, "كوريا", RIYADH)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_seed_stories_store_and_show_their_precision(seeded):
    from bot.transports.telegram import services_for

    with seeded.factory() as s:
        stored = {headline: (event, precision) for headline, event, precision in
                  s.execute(select(Story.headline, Story.event_date, Story.event_precision))}
        rows = timeline_store.topic_timeline(s, "dprk-russia")
    precisions = sorted(p for _, p in stored.values())
    assert precisions == ["day", "day", "day", "year", "year"], stored
    assert [r.precision for r in rows][:2] == ["year", "year"]  # the two background pieces come first
    services = services_for(seeded, seeded.config)
    out = asyncio.run(router.handle_command(services, caller(1), "timeline", "dprk-russia")).plain()
    assert "2024 · " in out and "2025 · " in out  # year-only dates, as found
    assert "2024-01-01" not in out and "2025-01-01" not in out
    assert "2025-08-13" in out and "2025-12-18" in out
    last_month = asyncio.run(router.handle_command(services, caller(1), "timeline", "dprk-russia الشهر الماضي"))
    assert "فترة غير مفهومة" not in last_month.plain()  # a two-word relative period is understood
