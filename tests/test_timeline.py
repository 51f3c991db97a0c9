"""/timeline: the seeds in event order, periods, grouping, the chart (in chat as a photo and from
the CLI), and right-to-left shaping of Arabic for matplotlib."""

from __future__ import annotations

import asyncio
import struct
from datetime import datetime, timezone

import pytest

from bot.cli import main as cli
from bot.timeline import PeriodError, parse_period, shape
from handlers import router
from tests.conftest import SEEDS, write_config
from tests.telegram_support import caller

NOW = datetime(2026, 1, 10, tzinfo=timezone.utc)
# Words of each seed's headline, in the order the events happened.
ORDER = ["فبراير 2022", "يتعهد بتعزيز", "اتصالا هاتفيا", "تعزيز العلاقات الكورية", "بوتين لكيم"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_seeds_timeline_in_event_order_in_chat(seeded):
    from bot.transports.telegram import services_for

    services = services_for(seeded, seeded.config)
    reply = asyncio.run(router.handle_command(services, caller(1), "timeline", "dprk-russia"))
    out = reply.plain()
    positions = [out.index(words) for words in ORDER]
    assert positions == sorted(positions)
    # Grouped by month, with the number of sources on each line.
    assert out.index("أغسطس 2025") < out.index("اتصالا هاتفيا") < out.index("ديسمبر 2025")
    assert out.count("مصدر واحد") == 5 and "1 مصدر" not in out  # number agreement (issue 14)
    assert "2025-08-13" in out and "2025-12-18" in out and "2025-12-25" in out
    chart = reply.buttons[0][0]
    assert chart.data.startswith("tlc:#") and chart.data.endswith(":")  # the watchlist's id: slugs repeat across chats
    photo = asyncio.run(router.handle_callback(services, caller(1), chart.data))
    width, height = _png_size(photo.photo)
    assert width > 500 and height > 200 and "كوريا الشمالية وروسيا" in photo.plain()


def test_periods_filter_and_short_periods_group_by_day(seeded):
    from bot.transports.telegram import services_for

    services = services_for(seeded, seeded.config)
    december = asyncio.run(router.handle_command(services, caller(1), "timeline", "dprk-russia 2025-12")).plain()
    assert "بوتين لكيم" in december and "اتصالا هاتفيا" not in december and "فبراير 2022" not in december
    assert "18 ديسمبر 2025" in december and "25 ديسمبر 2025" in december  # day headings
    en = asyncio.run(router.handle_command(services, caller(1, language="en"), "timeline", "dprk-russia 2025"))
    assert "August 2025" in en.plain() and "1 source" in en.plain() and "source(s)" not in en.plain()
    bad = asyncio.run(router.handle_command(services, caller(1), "timeline", "dprk-russia yesterday")).plain()
    assert "فترة غير مفهومة" in bad
    none = asyncio.run(router.handle_command(services, caller(1), "timeline", "dprk-russia 1999")).plain()
    assert "لا قصص" in none


def test_parse_period():
    assert parse_period("", NOW).start is None
    p = parse_period("2025-08", NOW)
    assert (p.start, p.end, p.short) == (datetime(2025, 8, 1, tzinfo=timezone.utc),
                                         datetime(2025, 9, 1, tzinfo=timezone.utc), True)
    assert not parse_period("2025", NOW).short
    assert parse_period("30d", NOW).start == datetime(2025, 12, 11, tzinfo=timezone.utc)
    for bad in ("0d", "2025-13", "abc", "12345"):
        with pytest.raises(PeriodError):
            parse_period(bad, NOW)


def test_cli_text_and_png(tmp_path, db_url, capsys):
    config = write_config(tmp_path, db_url)
    assert cli.main(["ingest", str(SEEDS), "--config", str(config)]) == 0
    capsys.readouterr()
    assert cli.main(["timeline", "dprk-russia", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    positions = [out.index(words) for words in ORDER]
    assert positions == sorted(positions)
    png = tmp_path / "chart.png"
    assert cli.main(["timeline", "dprk-russia", "--png", str(png), "--config", str(config)]) == 0
    assert _png_size(png.read_bytes())[0] > 500
    assert cli.main(["timeline", "mars", "--config", str(config)]) == 2
    assert "no watchlist" in capsys.readouterr().err


def test_shaping_for_matplotlib_without_and_with_libraqm():
    text = "كوريا الشمالية"
    shaped = shape(text, raqm=False)
    # Presentation forms (joined letters), in visual order: the last word comes first.
    assert all("\ufe70" <= ch <= "\ufeff" for ch in shaped.replace(" ", ""))
    assert shaped.split(" ")[0] != text.split(" ")[0] and len(shaped.split(" ")) == 2
    assert shape(text, raqm=True) == text  # libraqm shapes and orders by itself
