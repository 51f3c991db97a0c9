"""The same-event decision (bot.events) on real SaudiNewsNet reports.

Pairs are named by URL (labels in bench/data/event_pairs.tsv and dedup_template_pairs.tsv); the
texts are read from ../shared/data. bench/bench_events.py prints the same figures beside the
TF-IDF and copy-detector baselines.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot import events
from tests.conftest import SHARED_DATA

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bench_events  # noqa: E402

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent")


@pytest.fixture(scope="module")
def dev() -> dict[str, dict]:
    return bench_events.dev_articles(SHARED_DATA)


def _profiles(dev: dict[str, dict], url_a: str, url_b: str) -> tuple[events.EventProfile, events.EventProfile, float]:
    a, b = dev[url_a], dev[url_b]
    return (events.event_key(a["title"], a["content"]), events.event_key(b["title"], b["content"]),
            bench_events.hours_apart(a, b))


# Same event, other outlets, their own words (shingle overlap under 0.3: not copies).
SAME_EVENT = [
    # الجيش النيجيري يحرّر 178 محتجزًا لدى «بوكو حرام» / الجيش النيجيري ينقذ 178 مخطوفا
    ("http://aawsat.com/home/article/421331/الجيش-النيجيري-يحرّر-178-محتجزًا-لدى-«بوكو-حرام»",
     "http://www.alyaum.com/article/4081678"),
    # بكين تنظم الألعاب الشتوية / بكين تستضيف الألعاب الأولمبية الشتوية 2022
    ("http://www.alwatan.com.sa/Sports/News_Detail.aspx?ArticleID=230656&CategoryID=6",
     "http://www.alyaum.com/article/4081256"),
    # إصابة 27 شخصاً بحريق وانفجار مبنى في هامبورج / إصابة 38 شخصًا ... هامبورج (a count that grew)
    ("http://www.3alyoum.com/news/golobal/a/إصابة-27-شخصاً-بحريق-وانفجار-مبنى-في-هام/",
     "http://www.alriyadh.com/1070397"),
]


@pytest.mark.parametrize("url_a,url_b", SAME_EVENT)
def test_same_event_in_other_words(dev, url_a, url_b):
    a, b, hours = _profiles(dev, url_a, url_b)
    assert events.why_not(a, b, hours) is None
    assert events.same_event(b, a, -hours)  # the order of the two reports does not matter


def test_template_cable_to_another_head_of_state_is_another_event(dev):
    """Two congratulation cables of one crawl (Jamaica, Niger): the wording is the template's,
    the head of state differs."""
    a, b, hours = _profiles(dev, "http://www.alyaum.com/article/4081685", "http://www.alyaum.com/article/4081610")
    assert abs(hours) < 1 and events.overlap(a, b) >= events.TEMPLATE_OVERLAP
    assert not events.same_event(a, b, hours)
    assert "جامايكا" in events.why_not(a, b, hours)


def test_market_session_next_day_is_another_event(dev):
    """«مؤشر سوق الأسهم السعودية يغلق على تراجع حاد» and the next session's «يغلق على ارتفاع
    طفيف»: same topic, same template, another day."""
    a, b, hours = _profiles(dev, "http://www.alyaum.com/article/4081519",
                            "http://aawsat.com/home/article/421416/مؤشر-الأسهم-السعودية-يغلق-على-ارتفاع-طفيف-بـ1341-نقطة")
    assert not events.same_event(a, b, hours)
    assert events.other_day(a, b, hours)  # both leads say «اليوم», a day apart
    # Counted as the same day, the sessions still differ in a slot of the template.
    assert not events.other_day(a, b, 0.0) and not events.same_event(a, b, 0.0)
    assert events.distinct_slots(a, b) is not None


def test_reports_beyond_the_window_never_join(dev):
    a, b, _ = _profiles(dev, *SAME_EVENT[0])
    assert events.same_event(a, b, 2.0)
    assert not events.same_event(a, b, events.WINDOW_HOURS + 1)


def test_items_too_short_to_tell_apart(dev):
    """Cartoons of two outlets ("كاريكاتير", no body) share their whole title and nothing else."""
    a, b, hours = _profiles(dev, "http://www.aleqt.com/2015/08/03/article_978533.html",
                            "http://www.alyaum.com/article/4081586")
    assert not events.same_event(a, b, hours)


def test_reference_day_counts_from_publication(dev):
    """«أمس» in a lead published a day later names the same day as «اليوم» the day before."""
    assert events._reference_day("نفذت وزارة الداخلية امس حكم القصاص".split()) == -1
    assert events._reference_day("يلتقي الفريقان اليوم".split()) == 0
    assert events._reference_day("وصل اول امس الى".split()) == -2
    a, b, _ = _profiles(dev, *SAME_EVENT[0])
    today, yesterday = replace(a, day=0), replace(b, day=-1)
    assert not events.other_day(today, yesterday, 24.0)
    assert events.other_day(today, replace(b, day=0), 24.0)


def test_serialised_profile_round_trip(dev):
    """The JSON a story would keep gives the same decisions (without the body, the template
    check falls back to the lead's figures and names) and stays small."""
    for url_a, url_b in [*SAME_EVENT, ("http://www.alyaum.com/article/4081685", "http://www.alyaum.com/article/4081610")]:
        a, b, hours = _profiles(dev, url_a, url_b)
        text = a.to_json()
        assert len(text.encode()) < 4096
        restored = events.EventProfile.from_json(text)
        assert restored.body is None
        assert abs(events.score(restored, b) - events.score(a, b)) < 1e-3
        assert events.same_event(restored, replace(b, body=None), hours) == events.same_event(a, b, hours)
    with pytest.raises(ValueError):
        events.EventProfile.from_json(text.replace('"v":1', '"v":0'))


# --- the labelled sets ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def labelled(dev):
    pairs = bench_events.event_pairs(dev)
    return pairs, [bench_events.decide_articles(a, b) for a, b, _, _ in pairs]


def test_labelled_set_precision_and_no_template_merge(dev, labelled):
    """Measured (bench/bench_events.py): P 0.942, R 0.628 on 207 hand-labelled pairs (129 same
    event); 0 template merges on both sets. Thresholds were chosen on this set."""
    pairs, decisions = labelled
    assert len(pairs) >= 150 and sum(same for _, _, same, _ in pairs) >= 100
    p, r, *_ = bench_events.precision_recall(decisions, [same for _, _, same, _ in pairs])
    assert p >= 0.93 and r >= 0.61
    assert not any(d for d, (*_, kind) in zip(decisions, pairs) if kind == "template")
    for a, b, same, family in bench_events.template_pairs(dev):
        if not same:
            assert not bench_events.decide_articles(a, b), (family, a["url"], b["url"])
