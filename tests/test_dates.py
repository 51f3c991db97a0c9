"""Publication dates from Arabic article text, checked on the seeds and on real data sets."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.text.dates import find_publication_date, iter_dates, locate_publication_date, parse_date


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


# --- seeds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "index,expected",
    [(0, None), (1, None), (2, date(2025, 12, 25)), (3, None), (4, date(2025, 8, 13))],
)
def test_seed_publication_dates(seed_files, index, expected):
    found = find_publication_date(seed_files[index].read_text(encoding="utf-8"))
    assert _day(found) == expected
    if found is not None:
        assert found.tzinfo is not None and found.utcoffset() == timedelta(0)
        assert (found.hour, found.minute, found.second) == (0, 0, 0)


def test_seed_000_event_dates_are_not_publication_dates(seed_files):
    # "18 ديسمبر/كانون الأول" and "أغسطس/آب 2025" are in the body and lack a year or a day
    text = seed_files[0].read_text(encoding="utf-8")
    assert "ديسمبر/كانون الأول" in text
    assert find_publication_date(text) is None


def test_seed_004_marker_span_covers_label():
    text = " date 2025-08-13 أجرى الزعيم الكوري الشمالي"
    match = locate_publication_date(text)
    assert match is not None
    assert text[match.start:match.end] == "date 2025-08-13"


# --- forms ---------------------------------------------------------------------------------

FORMS = [
    ("date 2025-08-13", date(2025, 8, 13)),
    ("2025-08-13", date(2025, 8, 13)),
    ("2017-01-20T21:43:00+01:00", date(2017, 1, 20)),
    ("ديسمبر 25, 2025", date(2025, 12, 25)),
    ("ديسمبر 25، 2025", date(2025, 12, 25)),
    ("25 ديسمبر 2025", date(2025, 12, 25)),
    ("25/12/2025", date(2025, 12, 25)),
    ("25-12-2025", date(2025, 12, 25)),
    ("٢٥ ديسمبر ٢٠٢٥", date(2025, 12, 25)),
    ("٢٠٢٥-٠٨-١٣", date(2025, 8, 13)),
    ("۲۵/۱۲/۲۰۲۵", date(2025, 12, 25)),
    ("25 ديسمبر/كانون الأول 2025", date(2025, 12, 25)),
    ("18 أكتوبر (تشرين الأول) 1990", date(1990, 10, 18)),
    ("الأربعاء، 28 آب/اغسطس 2013، آخر تحديث 14:00 (GMT+0400)", date(2013, 8, 28)),
    ("الجمعة 8 فيفري 2019", date(2019, 2, 8)),
    ("الخميس 25 ديسمبر 2025", date(2025, 12, 25)),
    ("نشر في 25/12/2025", date(2025, 12, 25)),
    ("تاريخ النشر: 2025-12-25", date(2025, 12, 25)),
    ("بتاريخ 3 مارس 2024", date(2024, 3, 3)),
    ("Published on December 25, 2025", date(2025, 12, 25)),
    ("Dec. 25, 2025", date(2025, 12, 25)),
    ("12/25/2025", date(2025, 12, 25)),  # month first is only read when the day cannot be a month
    ("25 اغسطس 2015", date(2015, 8, 25)),  # no hamza
    ("25 إغسطس 2015", date(2015, 8, 25)),  # wrong hamza
    ("25 دِيسَمْبَر 2025", date(2025, 12, 25)),  # diacritics
    ("25 ديـسـمـبـر 2025", date(2025, 12, 25)),  # tatweel
    ("25 دیسمبر 2025", date(2025, 12, 25)),  # Persian yeh
    ("13 ديسمبر2018", date(2018, 12, 13)),
    ("6 يناير، 2015، الساعة 05:16 مساءً", date(2015, 1, 6)),
    ("الرياض - 25 ديسمبر 2025 - أعلنت وزارة الصحة", date(2025, 12, 25)),
    ("إسلام آباد 18 شوال 1436 هـ الموافق 03 اغسطس 2015 م واس", date(2015, 8, 3)),
]


@pytest.mark.parametrize("text,expected", FORMS)
def test_date_forms(text, expected):
    found = find_publication_date(text)
    assert _day(found) == expected
    assert found.tzinfo is timezone.utc


LEVANTINE = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
             "تشرين الأول", "تشرين الثاني", "كانون الأول"]
MAGHREBI = ["جانفي", "فيفري", "مارس", "أفريل", "ماي", "جوان", "جويلية", "أوت", "سبتمبر",
            "أكتوبر", "نوفمبر", "ديسمبر"]
EGYPTIAN = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
            "أكتوبر", "نوفمبر", "ديسمبر"]


@pytest.mark.parametrize("names", [LEVANTINE, MAGHREBI, EGYPTIAN],
                         ids=["levant", "maghreb", "egypt"])
def test_every_month_of_each_lexicon(names):
    for month, name in enumerate(names, start=1):
        assert _day(find_publication_date(f"7 {name} 2021")) == date(2021, month, 7), name
        assert _day(find_publication_date(f"{name} 7, 2021")) == date(2021, month, 7), name


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2025",  # no such day
        "14-09-1432 هـ",  # Hijri numbers
        "18 ديسمبر/كانون الأول",  # no year
        "أغسطس/آب 2025",  # no day
        "في 29 يوليو 1938 غزت القوات اليابانية الاتحاد السوفييتي",  # prose: an event
        "وقال الوزير إن الاجتماع عقد في 25 ديسمبر 2025 بحضور الوفود",
        # a labelled reference to an older issue, far into the line (Okaz, SaudiNewsNet)
        "يناقش الاتحاد السعودي لكرة القدم اليوم، ما تناولته «عكاظ» في عددها رقم 5149 الصادر يوم "
        "الخميس 07/10/1436هـ، الموافق 23 يوليو 2015م، تحت عنوان (اتحاد القدم تجاهل المحور"
        " القانوني)",
        "رقم الهاتف 0501234567",
        "",
    ],
)
def test_not_a_publication_date(text):
    assert find_publication_date(text) is None


def test_future_date_is_an_event_not_a_publication_date():
    soon = datetime.now(timezone.utc) + timedelta(days=400)
    assert find_publication_date(f"{soon:%Y-%m-%d}") is None
    assert _day(parse_date(f"{soon:%Y-%m-%d}")) == soon.date()


def test_date_deep_in_body_is_ignored():
    body = "\n".join(f"فقرة رقم {i} من نص الخبر." for i in range(10))
    assert find_publication_date(f"عنوان الخبر\n{body}\n25 ديسمبر 2025") is None
    assert _day(find_publication_date(f"عنوان الخبر\n25 ديسمبر 2025\n{body}")) == date(2025, 12, 25)


def test_first_date_near_the_top_wins():
    text = "عنوان\n\n25 ديسمبر 2025\nآخر تحديث: 26 ديسمبر 2025\nنص"
    assert _day(find_publication_date(text)) == date(2025, 12, 25)


def test_iter_dates_finds_every_date_in_order():
    text = "من 2024-01-02 إلى 5 مارس 2024 ثم 06/07/2024"
    assert [m.date.date() for m in iter_dates(text)] == [
        date(2024, 1, 2), date(2024, 3, 5), date(2024, 7, 6)]


# --- shared data ---------------------------------------------------------------------------


def test_dateparser_arabic_cases(shared_data):
    cases = json.loads((shared_data / "dateparser_arabic" / "arabic_date_cases.json").read_text())
    absolute = [c for c in cases if c["kind"] == "translate_absolute"]
    assert absolute
    for case in absolute:
        expected = datetime.strptime(" ".join(case["expected"].split()[:3]), "%d %B %Y").date()
        assert _day(find_publication_date(case["text"])) == expected, case["text"]
    search = next(c for c in cases if c["kind"] == "search_dates")
    expected = [datetime.fromisoformat(iso).date() for _, iso in search["expected"]]
    assert [m.date.date() for m in iter_dates(search["text"])] == expected
    # both dates are events in prose, not the article's own date
    assert find_publication_date(search["text"]) is None


def test_jawharafm_time_fields(shared_data):
    """Both stamp formats of the ANT corpus: ISO with a time zone, and dd/mm/yyyy."""
    stamps = []
    for path in sorted((shared_data / "ant_v1.1_jawharafm_sample").glob("*/*.txt")):
        found = re.search(r"<TIME>(.*?)</TIME>", path.read_text(encoding="utf-8", errors="replace"))
        if found and found.group(1).strip():
            stamps.append(found.group(1).strip())
    assert len(stamps) > 1000
    kinds = set()
    for stamp in stamps:
        if "T" in stamp:
            expected, kinds = datetime.fromisoformat(stamp).date(), kinds | {"iso"}
        else:
            expected, kinds = datetime.strptime(stamp, "%d/%m/%Y").date(), kinds | {"dmy"}
        assert _day(find_publication_date(stamp)) == expected, stamp
    assert kinds == {"iso", "dmy"}


def test_saudinewsnet_no_event_date_taken_for_publication(shared_data):
    """Across ~8,500 real articles a stated date is only taken from datelines, never from prose."""
    found = []
    for archive in sorted((shared_data / "saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                for article in json.loads(zf.read(name)):
                    stated = find_publication_date(article["content"])
                    if stated is not None:
                        extracted = datetime.fromisoformat(article["date_extracted"]).date()
                        found.append((extracted - stated.date()).days)
    assert len(found) >= 2  # the SPA datelines ("… الموافق 03 اغسطس 2015 م واس")
    assert all(0 <= lag <= 1 for lag in found), found


# --- the trie alternation (a faster regex, the same matches) ---------------------------------


def test_trie_alternation_matches_like_the_flat_one():
    """Factored alternations find the same spans as the flat longest-first ones, on names that
    share prefixes (مايو / ماي, Sept / Sep), doubled spellings and diacritics."""
    from bot.text.dates import MONTHS, _alternation, _tolerant

    names = [n for names in MONTHS.values() for n in names]
    flat = "|".join(_tolerant(w) for w in sorted(names, key=len, reverse=True))
    trie = _alternation(names)
    assert trie != flat and len(trie) < len(flat)
    text = ("في مايو وماي وMay وSept وSep 2025 وتشرين الأول وتشرين أول، أَبريل وإبريل، كانون الثاني "
            "وكانونالأول ومارسيل وMarch وMar. ويونيه ويونيو")
    for extra in ("", r"(?![^\W\d_])", r"\s+\d"):
        a = [m.span() for m in re.finditer(f"(?:{flat}){extra}", text, re.IGNORECASE)]
        b = [m.span() for m in re.finditer(f"(?:{trie}){extra}", text, re.IGNORECASE)]
        assert a == b and a


def test_alternation_falls_back_to_flat_when_branches_overlap():
    from bot.text.dates import _alternation

    # "\s*" may match nothing, so it overlaps a letter branch beside it: no factoring.
    words = ["ab c", "abd"]
    assert _alternation(words, space=r"\s*") == r"ab\s*c|abd"
    assert _alternation(["الثاني عشر", "الثاني"], space=r"\s*").count("(?:") == 1


def test_ascii_digits_keeps_offsets():
    from bot.text.dates import ascii_digits

    assert ascii_digits("في ١٢ مايو ۲۰۲۵") == "في 12 مايو 2025"
    text = "no indic digits 12"
    assert ascii_digits(text) is text


# --- the numeric patterns' gate (issue 13: the text stages' CPU) ----------------------------


@pytest.mark.parametrize(
    "text, day",
    [
        ("نشر في 2015-08-10 الساعة", date(2015, 8, 10)),
        ("بتاريخ ١٠/٠٨/٢٠١٥ م", date(2015, 8, 10)),  # Arabic-Indic digits
        ("at 2015.8.1, Riyadh", date(2015, 8, 1)),  # one-digit month and day
        ("الموافق 1-8-2015", date(2015, 8, 1)),
    ],
)
def test_numeric_dates_pass_the_gate(text, day):
    assert [m.date.date() for m in iter_dates(text)] == [day]


def test_numeric_gate_holds_in_every_numeric_match():
    """Skipping the numeric patterns where ``_NUMERIC_HINT`` is absent loses nothing: every text
    either pattern matches holds the hint (random digit and separator strings)."""
    import random

    from bot.text import dates

    rng = random.Random(13)
    alphabet = "0123456789-/. :،ـ\nx"
    numeric = [p for p, is_numeric in dates._PATTERNS if is_numeric]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(4, 24)))
        if any(p.search(text) for p in numeric):
            assert dates._NUMERIC_HINT.search(text), text
