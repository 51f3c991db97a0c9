"""Event dates: the expressions of the issue and the seeds, Hijri, resolution against the
publication date, the choice of an article's event date, and accuracy beside plain dateparser."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import pytest

from bot.text.eventdates import event_date, find_dates, parse_expression
from bot.sources.files import read_article_file
from tests.conftest import REPO

sys.path.insert(0, str(REPO))
from bench.bench_eventdates import SEED_CASES, dataset_cases, ours, plain, score  # noqa: E402

UTC = timezone.utc


def d(y, m, day=1):
    return datetime(y, m, day, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, base, expected",
    [
        ("18 ديسمبر/كانون الأول", d(2025, 12, 25), d(2025, 12, 18)),
        ("18 ديسمبر/كانون الأول", d(2026, 1, 3), d(2025, 12, 18)),  # last December, read in January
        ("أغسطس/آب 2025", d(2026, 3, 1), d(2025, 8)),
        ("في أبريل/نيسان", d(2025, 12, 25), d(2025, 4)),
        ("في أبريل/نيسان", d(2025, 2, 10), d(2025, 4)),  # no tense cue: the nearest April
        ("وكان قد زار موسكو في أبريل/نيسان", d(2025, 2, 10), d(2024, 4)),  # past tense: the last April
        ("يونيو الماضي", d(2025, 1, 1), d(2024, 6)),
        ("يونيو الماضي", d(2025, 6, 20), d(2024, 6)),  # "last June" said in June is a year ago
        ("في يونيو من العام الماضي", d(2025, 12, 25), d(2024, 6)),
        ("date 2025-08-13", d(2026, 1, 1), d(2025, 8, 13)),
        ("26 شوال 1436 هـ", d(2026, 1, 1), d(2015, 8, 11)),
        ("الخميس ٢٦ شوّال ١٤٣٦ هـ", d(2026, 1, 1), d(2015, 8, 11)),
        ("14 تشرين الثاني 2023", d(2026, 1, 1), d(2023, 11, 14)),
        ("في شباط", d(2025, 5, 1), d(2025, 2)),
        ("5 فيفري 2024", d(2026, 1, 1), d(2024, 2, 5)),
        ("3 أوت 2024", d(2026, 1, 1), d(2024, 8, 3)),
        ("منذ 3 أيام", d(2025, 12, 25), d(2025, 12, 22)),  # dateparser's part
    ],
)
def test_expressions(text, base, expected):
    got = parse_expression(text, base)
    assert got is not None and got.date() == expected.date()


def test_no_date_is_invented():
    assert find_dates("قال المسؤول إن 18 شخصًا أصيبوا في الحادث", d(2025, 1, 1)) == []
    assert parse_expression("كوريا الشمالية", d(2025, 1, 1)) is None


def test_seed_event_dates_follow_the_story_not_the_file(seed_files):
    dates = {}
    for path in seed_files:
        a = read_article_file(path)
        dates[path.name[:3]] = event_date(a.title, a.body, a.published_at, a.date_source).date()
    assert dates["004"] == d(2025, 8, 13).date()  # the phone call, dated in the text
    assert dates["002"] == d(2025, 12, 25).date()  # Putin's letter: its publication date
    assert dates["000"] == d(2025, 12, 18).date()  # Kim's reply to the letter of 18 December
    assert dates["003"].year == 2025 and dates["001"].year == 2024  # background pieces
    assert dates["001"] < dates["003"] < dates["004"] < dates["000"] < dates["002"]


def test_a_stated_publication_date_keeps_old_background_dates_out():
    body = "زار بوتين بيونغ يانغ في يونيو من العام الماضي. واليوم أعلن الكرملين رسالة جديدة."
    assert event_date("رسالة", body, d(2025, 12, 25), "text") == d(2025, 12, 25)
    body = "أجرى الزعيمان اتصالا هاتفيا في 13 أغسطس/آب."
    assert event_date("اتصال", body, d(2025, 8, 14), "text") == d(2025, 8, 13)


def test_accuracy_beats_plain_dateparser(shared_data):
    data = dataset_cases(shared_data / "dateparser_arabic" / "arabic_date_cases.json")
    assert len(data) >= 15
    ours_data, n = score(data, ours)
    plain_data, _ = score(data, plain)
    assert ours_data >= plain_data and ours_data >= 0.85 * n
    ours_seeds, n_seeds = score(SEED_CASES, ours)
    plain_seeds, _ = score(SEED_CASES, plain)
    assert ours_seeds == n_seeds and plain_seeds < n_seeds


# --- the month-only pattern, tried only near month names (the same matches as a full scan) -----


def _snn_texts(shared_data, limit: int) -> list[str]:
    import json
    import zipfile

    texts: list[str] = []
    for archive in sorted((shared_data / "saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(archive) as zf:
            for item in json.loads(zf.read(zf.namelist()[0])):
                texts.append(f"{item['title']}\n{item['content']}")
                if len(texts) >= limit:
                    return texts
    return texts


def test_month_only_near_month_names_equals_full_scan(shared_data):
    from bot.text.eventdates import _MONTH_ONLY, _month_only

    texts = _snn_texts(shared_data, 1500) + [
        "خلال مارس وجوان ونوفمبر 2015 وفي شهر مايو المقبل",
        "(في   شهر\n ﻣﺎﻳﻮ) ولشهر أبريل، منذ   أغسطس/آب 2025 وفي يوليوز",
        "في مايو مايو مايو",
        "Mar March in May since Sept",
    ]
    found = 0
    for text in texts:
        full = [(m.span(), m.groupdict()) for m in _MONTH_ONLY.finditer(text)]
        near = [(m.span(), m.groupdict()) for m in _month_only(text)]
        assert near == full, text[:120]
        found += len(full)
    assert found > 500


def test_hijri_numeric_gate_holds_in_every_match():
    """``_HIJRI_NUM`` runs only where ``_HIJRI_NUM_HINT`` is found: every match holds it."""
    import random

    from bot.text import eventdates

    rng = random.Random(13)
    alphabet = "0123456789-/ ـه\u0640\nx"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(4, 24)))
        if eventdates._HIJRI_NUM.search(text):
            assert eventdates._HIJRI_NUM_HINT.search(text), text


def test_numeric_hijri_date_is_still_read():
    found = find_dates("وقع ذلك في ١٢/١٠/١٤٣٦هـ في الرياض", datetime(2015, 8, 1, tzinfo=timezone.utc))
    assert found and found[0].date.date().isoformat() == "2015-07-28"


@pytest.mark.parametrize(
    "text, day",
    [
        ("وصل الوفد في 15 الشهر الماضي إلى الرياض", "2015-07-15"),  # no month name: "الشهر" opens the gate
        ("وصل الوفد في الخامس عشر من الشهر الماضي", "2015-07-15"),  # an ordinal before "الشهر"
        ("وصل الوفد في 15 يوليو الماضي", "2015-07-15"),  # a month name
        ("وصل الوفد في الخامس عشر من يوليو", "2015-07-15"),
    ],
)
def test_day_month_patterns_run_with_a_month_or_the_month(text, day):
    found = find_dates(text, datetime(2015, 8, 10, tzinfo=timezone.utc))
    assert [f.date.date().isoformat() for f in found] == [day]


def test_month_gates_skip_nothing_on_random_mixtures():
    """With the gates and without them (every pattern run), the same dates over random mixtures
    of month names, "الشهر", ordinals, digits and separators."""
    import random

    from bot.text import dates, eventdates

    anchor = datetime(2015, 8, 10, tzinfo=timezone.utc)
    words = ["15", "3", "2015", "يوليو", "تموز", "الشهر", "الماضي", "المقبل", "من", "شهر", "في", "الخامس",
             "عشر", "و", "-", "/", "ـ", "،", "غرة", "مارس", "1436", "هـ", "رمضان", "أول", "الثاني", "August"]
    rng = random.Random(13)

    class Always:
        """A pattern stand-in whose ``search`` always finds: every gate open."""

        def __init__(self, pattern):
            self.pattern = pattern

        def search(self, *args):
            return True

        def __getattr__(self, name):
            return getattr(self.pattern, name)

    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(2, 9))) for _ in range(3_000)]
    gated = [repr(find_dates(t, anchor)) for t in texts]
    real_iter = dates.iter_dates
    saved = (eventdates._rel_month, eventdates._HIJRI_NUM_HINT, dates._NUMERIC_HINT)
    try:
        always_rel_month = Always(saved[0]())
        eventdates._rel_month = lambda: always_rel_month
        eventdates._HIJRI_NUM_HINT = Always(saved[1])
        dates._NUMERIC_HINT = Always(saved[2])
        eventdates.iter_dates = lambda text, month_names=True: real_iter(text)
        ungated = [repr(find_dates(t, anchor)) for t in texts]
    finally:
        eventdates._rel_month, eventdates._HIJRI_NUM_HINT, dates._NUMERIC_HINT = saved
        eventdates.iter_dates = real_iter
    assert gated == ungated
