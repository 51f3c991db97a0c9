"""The same-event decision (bot.text.events) on real SaudiNewsNet reports.

Pairs are named by URL (labels in bench/data/event_pairs.tsv and dedup_template_pairs.tsv); the
texts are read from ../shared/data. bench/bench_events.py prints the same figures beside the
TF-IDF and copy-detector baselines.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.text import events
from bot.text.arabic import tokens
from tests.conftest import SHARED_DATA

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bench_events  # noqa: E402

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent")


@pytest.fixture(scope="module")
def dev() -> dict[str, dict]:
    return bench_events.pair_articles(SHARED_DATA)


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


def test_fetch_times_leave_the_day_of_reports_in_their_own_words_open(dev):
    """SaudiNewsNet's times are crawl batches: «خضيرة يغيب عن يوفنتوس شهرين» fetched 21 h after
    «الإصابة تبعد خضيرة عن الملاعب لمدة شهرين», both leads saying «اليوم». Read as stated
    publication times that is two days; as fetch times (a crawl a day late) it may be one."""
    a, b = (bench_events.profile(dev[u]) for u in (
        "http://www.aleqt.com/2015/08/03/article_978709.html",
        "http://www.alweeam.com.sa/350740/خضيرة-يغيب-عن-يوفنتوس-شهرين-للاصابة/"))
    hours = bench_events.hours_apart(dev["http://www.aleqt.com/2015/08/03/article_978709.html"],
                                     dev["http://www.alweeam.com.sa/350740/خضيرة-يغيب-عن-يوفنتوس-شهرين-للاصابة/"])
    assert not a.dated and not b.dated and 20 < hours < 24
    assert events.same_event(a, b, hours)
    stated_a, stated_b = replace(a, dated=True), replace(b, dated=True)
    assert events.other_day(stated_a, stated_b, hours) and not events.same_event(stated_a, stated_b, hours)
    # A day and a half apart is another day however late the crawl was.
    assert events.other_day(a, b, 36.0)
    # The flag comes from the article's date source and survives storage.
    assert events.event_key("عنوان", "نص", date_source="feed").dated
    assert not events.EventProfile.from_json(a.to_json()).dated


def test_template_wording_keeps_the_strict_day_check_with_fetch_times(dev):
    """Two market-session reports in one template, fetched a day apart: the day is the template's
    slot, so the crawl's slack does not apply to it."""
    a, b = (bench_events.profile(dev[u]) for u in (
        "http://www.alyaum.com/article/4081519",
        "http://aawsat.com/home/article/421416/مؤشر-الأسهم-السعودية-يغلق-على-ارتفاع-طفيف-بـ1341-نقطة"))
    hours = bench_events.hours_apart(dev["http://www.alyaum.com/article/4081519"],
                                     dev["http://aawsat.com/home/article/421416/مؤشر-الأسهم-السعودية-يغلق-على-ارتفاع-طفيف-بـ1341-نقطة"])
    assert not a.dated and events.overlap(a, b) >= events.TEMPLATE_OVERLAP
    assert events.other_day(a, b, hours) and not events.same_event(a, b, hours)


def test_a_wire_report_after_midnight_and_the_papers_rewrite_name_one_day(dev):
    """«هبوط اضطراري لطائرة اباتشي ...» (a wire report, «اليوم») fetched at 01:37 and the morning
    paper's rewrite («أمس») an hour later share their wording, so the day check is the strict one:
    on the calendar days of the fetch times, either report may have appeared up to
    FETCH_TEMPLATE_LAG_HOURS before its fetch, so «اليوم» may be the evening before. A day's
    template fetched a crawl batch (~20 h) later still names another day."""
    url_a = "http://www.alyaum.com/article/4082046"
    url_b = "http://aawsat.com/home/article/423236/طائرة-«أباتشي»-سعودية-تهبط-اضطراريًا-في-جازان-وسلامة-قائدها"
    a, b = bench_events.profile(dev[url_a]), bench_events.profile(dev[url_b])
    hours = bench_events.hours_apart(dev[url_a], dev[url_b])
    assert (a.day, b.day) == (0, -1) and 0 < hours < 2 and not a.dated
    assert events.overlap(a, b) >= events.TEMPLATE_OVERLAP
    assert not events.other_day(a, b, hours) and events.same_event(a, b, hours)
    # Fetched at noon instead, «اليوم» can only be that day: «أمس» an hour later names the one before.
    noon_a = replace(a, published_at=a.published_at.replace(hour=12))
    noon_b = replace(b, published_at=b.published_at.replace(hour=13))
    assert events.other_day(noon_a, noon_b, 1.0)
    # Stated publication times keep the fractional check.
    assert events.other_day(replace(a, dated=True), replace(b, dated=True), hours)


def test_a_market_going_the_other_way_is_another_session(dev):
    """«النفط قرب أدنى مستوياته … دون 50 دولارا» and «أسعار خام برنت ترتفع فوق 50 دولاراً»: one
    topic, one source of figures, opposite moves."""
    url_a, url_b = "http://www.aleqt.com/2015/08/06/article_979475.html", "http://www.alyaum.com/article/4082030"
    a, b = bench_events.profile(dev[url_a]), bench_events.profile(dev[url_b])
    assert (a.direction, b.direction) == (-1, 1) and events.other_direction(a, b)
    assert "another session" in events.why_not(a, b, bench_events.hours_apart(dev[url_a], dev[url_b]))
    assert events._direction(tokens("الأسهم السعودية تسجل تراجعاً بـ 51 نقطة")) == -1
    assert events._direction(tokens("أسعار خام برنت تتعافى من أدنى مستوياتها")) == 1  # the first word says it
    assert events._direction(tokens("الهلال يكسب العين")) is None  # a match: a win for one is a loss for the other


def test_figures_clash_only_in_the_same_slot():
    """The profile's template check compares a figure with the figure of the same unit: 180
    hostages against 178 is another report of the slot; 13 million passengers in 7 months against
    5 terminals is not."""
    a = events.event_key("تحرير 180 رهينة", "أعلن الجيش تحرير 180 رهينة من قبضة المسلحين في ولاية بورنو")
    b = events.event_key("تحرير 178 رهينة", "أعلن الجيش تحرير 178 رهينة من قبضة المسلحين في ولاية بورنو")
    assert "180 / 178 رهين" in events._slot_clash(a, b)
    c = events.event_key("13 مليون مسافر خلال 7 أشهر", "استقبل المطار 13 مليون مسافر خلال 7 أشهر")
    d = events.event_key("13 مليون راكب في المطار", "غادر وقدم 13 مليون راكب عبر 5 صالات في المطار")
    assert events._slot_clash(c, d) is None
    assert "15 كم" in events.event_key("رياح", "رياح سطحية بسرعة 15 - 35 كم في الساعة").slots  # a range shares its unit
    assert not any(s.endswith("قال") for s in events.event_key("خليجي", "في 2016 قال المسؤول").slots)


def test_ordinary_nouns_are_not_names():
    """«جثة» and «عشرين» are rare in the background yet ordinary (seen bare and with the article):
    a headline naming them does not swap names; «الأحساء» and «جامايكا» are names."""
    assert not events._name_like("جثه", events.NAME_IDF) and not events._name_like("عشرين", events.NAME_IDF)
    assert events._name_like("احساء", events.NAME_IDF) and events._name_like("جامايكا", events.NAME_IDF)


def test_a_city_and_the_region_holding_it_are_not_swapped_names():
    """One report names الأحساء, the other «المنطقة الشرقية» that holds it (bot/data/places_ar.tsv):
    not two places. A city of the same region (القطيف) stays another place even when its report
    names the region too, and a country (اليمن, named by every report from it) explains no city."""
    ahsa = events.event_key("سيول تحتجز أسرة في الأحساء", "احتجزت السيول أسرة من خمسة أفراد في الأحساء أمس "
                            "وباشر الدفاع المدني إنقاذهم من الموقع بعد بلاغ")
    region = events.event_key("الدوسري: الدفاع المدني ينقذ أسرة بالمنطقة الشرقية",
                              "أنقذ الدفاع المدني في المنطقة الشرقية أسرة من خمسة أفراد احتجزتها السيول "
                              "أمس وقال المتحدث العقيد منصور الدوسري إن الفرق باشرت")
    assert events.swapped_names(ahsa, region) is None
    qatif = events.event_key("سيول تحتجز أسرة في القطيف", "احتجزت السيول أسرة في القطيف أمس في المنطقة "
                             "الشرقية وباشر الدفاع المدني إنقاذهم")
    assert "احساء" in events.swapped_names(ahsa, qatif)
    taiz = events.event_key("اشتباكات في تعز", "اندلعت اشتباكات عنيفة في تعز أمس في اليمن وقال مسؤولون محليون")
    lahij = events.event_key("اشتباكات في لحج", "اندلعت اشتباكات عنيفة في لحج أمس في اليمن وقال مسؤولون محليون")
    assert "تعز" in events.swapped_names(taiz, lahij)
    up, down = events._gazetteer().around("الأحساء")
    assert "المنطقة الشرقية" in up and "السعودية" not in up and "الهفوف" in down


def test_the_stored_text_restores_the_word_by_word_template_check(dev):
    """Two weather bulletins of one crawl («سماء غائمة …»), wind 15–35 km/h and 10–30 km/h: from
    the stored JSON alone they pass for one event; with the stored article's text (a fourth
    element, ``storage.events.candidates(..., with_text=True)``) the copy layer tells them apart."""
    first, second = dev["http://www.aleqt.com/2015/08/04/article_978856.html"], dev["http://www.aleqt.com/2015/08/04/article_978933.html"]
    new, stored = bench_events.profile(second), bench_events.profile(first).to_json()
    assert events.find_event(new, [(5, 50, stored)]) == 5
    assert events.find_event(new, [(5, 50, stored, first["content"])]) is None


def test_serialised_profile_round_trip(dev):
    """The JSON a story would keep gives the same decisions (without the body, the template
    check falls back to the lead's figures and names) and stays small."""
    for url_a, url_b in [*SAME_EVENT, ("http://www.alyaum.com/article/4081685", "http://www.alyaum.com/article/4081610")]:
        a, b, hours = _profiles(dev, url_a, url_b)
        text = a.to_json()
        assert len(text.encode()) < 4096
        restored = events.EventProfile.from_json(text)
        assert restored.body is None
        assert (restored.slots, restored.direction, restored.dated) == (a.slots, a.direction, a.dated)
        assert abs(events.score(restored, b) - events.score(a, b)) < 1e-3
        assert events.same_event(restored, replace(b, body=None), hours) == events.same_event(a, b, hours)
    with pytest.raises(ValueError):
        events.EventProfile.from_json(text.replace(f'"v":{events.PROFILE_VERSION}', '"v":0'))


def test_spelling_variants_of_a_name_meet_in_score_and_keys(dev):
    """«هامبورج» in one outlet, «هامبورغ» in the other: one name for the score, one index key."""
    a, b, _ = _profiles(dev, *SAME_EVENT[2])
    assert events.term_key("هامبورغ") == events.term_key("هامبورج")
    assert events.term_key("هامبورغ") != events.term_key("هامبورت")
    exact = sum(w * b.weights.get(t, 0.0) for t, w in a.weights.items())
    assert events.similarity(a, b) > exact + 0.01  # the variant counts in the cosine
    assert set(a.keys()) & set(b.keys())


def test_keys_are_the_few_heaviest_terms_stable_across_processes(dev):
    a, _, _ = _profiles(dev, *SAME_EVENT[0])
    keys = a.keys()
    assert len(keys) == len(set(keys)) == events.KEYS
    heaviest = max(a.weights, key=a.weights.get)
    assert events.term_key(heaviest) in keys
    # blake2b of the folded term, not hash(): keys stored by one process match another's.
    assert events.term_key("بوكو") == int.from_bytes(
        hashlib.blake2b("بوجو".encode(), digest_size=8).digest(), "big", signed=True)


def test_find_event_joins_the_story_of_the_same_event_only(dev):
    """Candidates as storage returns them (story, article, JSON): the Nigerian army's rescue joins
    the story of the other outlet's report; a congratulation cable of the same hour does not."""
    from datetime import datetime, timedelta, timezone

    t0 = datetime(2015, 8, 2, 8, 0, tzinfo=timezone.utc)
    url_a, url_b = SAME_EVENT[0]
    new = events.event_key(dev[url_a]["title"], dev[url_a]["content"], t0)
    same = events.event_key(dev[url_b]["title"], dev[url_b]["content"], t0 - timedelta(hours=5))
    cable = dev["http://www.alyaum.com/article/4081685"]
    other = events.event_key(cable["title"], cable["content"], t0 - timedelta(hours=1))
    rows = [(7, 70, other.to_json()), (9, 90, same.to_json())]
    assert events.find_event(new, rows) == 9
    assert events.find_event(new, rows[:1]) is None
    assert events.find_event(new, []) is None
    match = events.best_event(new, list(reversed(rows)))
    assert (match.story_id, match.article_id) == (9, 90) and match.margin >= 0
    # The hours come from the stored publication times: the same report 3 days earlier is out.
    late = replace(new, published_at=t0 + timedelta(days=3))
    assert events.hours_between(same, late) > events.WINDOW_HOURS
    assert events.find_event(late, rows) is None


# --- the labelled sets ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def labelled(dev):
    pairs = bench_events.event_pairs(dev)
    return pairs, [bench_events.decide_articles(a, b) for a, b, _, _ in pairs]


def test_labelled_set_precision_and_no_template_merge(dev, labelled):
    """Measured (bench/bench_events.py): P 0.955, R 0.753 on 287 hand-labelled pairs (170 same
    event); 0 template merges on both sets. The model and its bar are fitted on all older pairs
    (this set, the tune candidates, the fresh set, the template set) at precision 0.93; before, fitted
    on the tune part alone at 0.95: P 0.945, R 0.812 here but P 0.750 on the fresh candidate pairs.
    5-fold cross-validation over all older pairs (``--cv``): P 0.921, R 0.690 (this set 0.945 /
    0.742). The held-out day (2015-08-06, 80 pairs) alone: P 0.970, R 0.780."""
    pairs, decisions = labelled
    assert len(pairs) >= 250 and sum(same for _, _, same, _ in pairs) >= 150
    p, r, *_ = bench_events.precision_recall(decisions, [same for _, _, same, _ in pairs])
    assert p >= 0.93 and r >= 0.73
    held = [i for i, (a, b, *_) in enumerate(pairs) if bench_events.half(a, b) == "held-out"]
    assert len(held) >= 60
    p, r, *_ = bench_events.precision_recall([decisions[i] for i in held], [pairs[i][2] for i in held])
    assert p >= 0.93 and r >= 0.75
    assert not any(d for d, (*_, kind) in zip(decisions, pairs) if kind == "template")
    for a, b, same, family in bench_events.template_pairs(dev):
        if not same:
            assert not bench_events.decide_articles(a, b), (family, a["url"], b["url"])


def _named_elsewhere(*names: str) -> set[str]:
    """URLs the given bench/data sets name."""
    return {u for name in names for row in bench_events.tsv(name) for u in row if u.startswith("http")}


def _judged(pairs: list) -> tuple[float, float, int]:
    """Precision and recall of the decision on labelled pairs, and the template pairs it merged."""
    decisions = [bench_events.decide_articles(a, b) for a, b, _, _ in pairs]
    p, r, *_ = bench_events.precision_recall(decisions, [same for _, _, same, _ in pairs])
    return p, r, sum(1 for d, (*_, kind) in zip(decisions, pairs) if d and kind == "template")


def test_fresh_held_out_set(dev):
    """The fresh set (bench/data/event_pairs_fresh.tsv, 129 candidate pairs as the pipeline draws
    them, 47 same event). Measured once with the decision it was built after: P 0.750, R 0.702, 0
    template merges. It has since been fitted on (with every older pair): P 0.929, R 0.553 in
    sample; out of fold (``--cv``) P 0.897, R 0.553 (the previous day model 0.889 / 0.511)."""
    pairs = bench_events.fresh_pairs(dev)
    assert len(pairs) >= 120 and sum(same for _, _, same, _ in pairs) >= 45
    p, r, template_merges = _judged(pairs)
    assert p >= 0.90 and r >= 0.50
    assert template_merges == 0
    named = _named_elsewhere("event_pairs.tsv", "dedup_template_pairs.tsv", "dedup_containment_pairs.tsv")
    assert not named & {x["url"] for a, b, *_ in pairs for x in (a, b)}  # material no other set names


def test_second_held_out_set(dev):
    """The second held-out set (bench/data/event_pairs_heldout2.tsv: 164 candidate pairs of
    2015-08-03/04/06 drawn by bench/build_event_pairs.py as the pipeline draws them, 60 same event),
    labelled before the decision changed and measured once after it was frozen: P 0.893, R 0.833
    (tp 50, fp 6, fn 10), 0 template merges; the decision before (5d7250b), measured once on it too:
    P 0.891, R 0.817 (tp 49, fp 6, fn 11). Floors a little under the measured figures."""
    pairs = bench_events.held_out_2(dev)
    assert len(pairs) >= 150 and sum(same for _, _, same, _ in pairs) >= 55
    p, r, template_merges = _judged(pairs)
    assert p >= 0.87 and r >= 0.80
    assert template_merges == 0
    named = _named_elsewhere("event_pairs.tsv", "dedup_template_pairs.tsv", "dedup_containment_pairs.tsv",
                             bench_events.FRESH, *bench_events.TUNE_CANDIDATES, "eventdates_gold.tsv",
                             "summary_audit.tsv")
    assert not named & {x["url"] for a, b, *_ in pairs for x in (a, b)}  # material no other set names
    urls = [(a["url"], b["url"]) for a, b, *_ in pairs]
    assert len(set(urls)) == len(urls) and len({u for pair in urls for u in pair}) == 2 * len(urls)


def test_tune_candidates(dev):
    """The tune part's candidate pairs (bench/data/event_pairs_tune_candidates*.tsv, drawn as the key
    index draws them, 163 pairs, 98 same): P 0.890, R 0.663 (fitted on; out of fold 0.888 / 0.663;
    the decision fitted on the tune part alone: P 0.831, R 0.755); the false joins are follow-ups
    and same-topic events the words cannot tell apart."""
    pairs = bench_events.tune_candidates(dev)
    assert len(pairs) >= 150 and all(bench_events.half(a, b) == "tune" for a, b, *_ in pairs)
    urls = [(a["url"], b["url"]) for a, b, *_ in pairs]
    assert len(set(urls)) == len(urls)  # no pair labelled twice
    decisions = [bench_events.decide_articles(a, b) for a, b, _, _ in pairs]
    p, r, *_ = bench_events.precision_recall(decisions, [same for _, _, same, _ in pairs])
    assert p >= 0.86 and r >= 0.63


def test_skeleton_lets_forms_of_one_word_meet():
    """A verb and its noun, a broken plural and its singular share a skeleton; a figure or a
    too-short remainder has none, and unrelated words stay apart."""
    stem = events.terms
    assert events.skeleton(stem("يكسب")[0]) == events.skeleton(stem("الكسب")[0])
    assert events.skeleton(stem("خمور")[0]) == events.skeleton(stem("خمر")[0])
    assert events.skeleton(stem("هبوط")[0]) == events.skeleton(stem("يهبط")[0])
    assert events.skeleton(stem("الفيضانات")[0]) == events.skeleton(stem("الفياضانات")[0])
    assert events.skeleton("2015") is None and events.skeleton("طاير") is None
    assert events.skeleton(stem("مسجد")[0]) != events.skeleton(stem("مستشفى")[0])


def test_skeleton_match_raises_the_score_of_a_reworded_report(dev):
    """«"موبايلي" تخسر 945 مليون ريال ويُرفع تعليق تداول أسهمها» / «"تداول" ترفع تعليق تداول سهم
    "موبايلي"» (one decision, two outlets): يُرفع / ترفع meet by their skeleton, so the cosine and
    the headline coverage rise, never past 1."""
    a, b, _ = _profiles(dev, "http://www.aleqt.com/2015/08/02/article_978317.html",
                        "http://www.al-jazirah.com/2015/20150803/ec7.htm")
    saved = events.SKELETON_FACTOR
    try:
        events.SKELETON_FACTOR = 0.0
        plain = events.similarity(a, b), events.title_coverage(a, b)
    finally:
        events.SKELETON_FACTOR = saved
    assert events.similarity(a, b) > plain[0] and events.title_coverage(a, b) > plain[1]
    assert events.similarity(a, b) <= 1.0


def test_score_is_the_model_and_the_bar_rises_with_hours(dev):
    """The score is the logistic model of :func:`events.features`; the bar is THRESHOLD at 0 hours
    and rises with the hours between the reports, so a pair that joins at 0 h can fail at 40 h."""
    assert events.threshold(0.0) == pytest.approx(events.THRESHOLD)
    assert events.threshold(12.0) < events.threshold(40.0) < 1.0
    a, b, _ = _profiles(dev, *SAME_EVENT[0][:2])
    f = events.features(a, b)
    assert set(f) == set(events.MODEL)
    z = events.INTERCEPT + sum(events.MODEL[k] * v for k, v in f.items())
    assert events.score(a, b) == pytest.approx(1.0 / (1.0 + 2.718281828459045 ** -z), rel=1e-6)
    # A shared word the background corpus never saw weighs no more than a name seen twice.
    assert f["rarest"] <= events._shared_idf_cap() + 1e-9


def test_score_bound_never_prunes_a_pair_that_clears_the_bar(dev):
    """The decision's cheap rejection (``_features`` with a bar) is an upper bound of the score:
    on every labelled pair, both ways, asked for a bar at the pair's own score it still computes
    the features (exactly those of :func:`events.features`), and whatever it prunes at the real
    bar the full score fails too. And it prunes: most labelled pairs of another event, few of one."""
    pruned = {True: 0, False: 0}
    for a_doc, b_doc, same, _ in bench_events.event_pairs(dev):
        a, b, hours = bench_events.profile(a_doc), bench_events.profile(b_doc), bench_events.hours_apart(a_doc, b_doc)
        for x, y in ((a, b), (b, a)):
            full = events.features(x, y)
            value = events.score(x, y)
            assert events._features(x, y, value) == full
            needed = events.threshold(events.effective_hours(x, y, hours))
            bounded = events._features(x, y, needed)
            if bounded is None:
                assert value < needed
                pruned[same] += 1
            else:
                assert bounded == full
    assert pruned[False] > 0 and pruned[True] < pruned[False]


def test_best_event_is_the_widest_margin_of_why_not(dev):
    """best_event (cheap checks first, the score once) picks what why_not and score pick: the
    candidates of one article among labelled reports of its days, stored as the pipeline reads
    them (JSON with the text put back)."""
    urls = sorted({u for pair in SAME_EVENT for u in pair} | {"http://www.alyaum.com/article/4081685",
                                                              "http://www.alyaum.com/article/4081610"})
    for url in urls:
        new = bench_events.profile(dev[url])
        rows = []
        for n, other in enumerate(u for u in urls if u != url):
            stored = events.EventProfile.from_json(bench_events.profile(dev[other]).to_json())
            rows.append((n, 100 + n, replace(stored, body=dev[other]["content"])))
        expected = None
        for story, article, stored in rows:
            hours = events.hours_between(new, stored)
            if events.why_not(new, stored, hours) is None:
                value = events.score(new, stored)
                margin = value - events.threshold(events.effective_hours(new, stored, hours))
                if expected is None or (margin, -article) > (expected[3], -expected[1]):
                    expected = (story, article, value, margin)
        match = events.best_event(new, rows)
        assert (None if match is None else (match.story_id, match.article_id, match.score, match.margin)) == expected
    assert any(events.best_event(bench_events.profile(dev[a]), [(1, 2, bench_events.profile(dev[b]))])
               for a, b in SAME_EVENT)


def test_cached_comparison_data_leaves_equality_and_json_alone(dev):
    """What a profile keeps for later comparisons (IDF, skeletons, names) is no field: a profile
    that compared stays equal to a fresh one and serialises the same."""
    a, b, hours = _profiles(dev, *SAME_EVENT[0])
    fresh = replace(a)
    text = a.to_json()
    events.same_event(a, b, hours)
    events.swapped_names(a, b)
    assert "term_idf" in a.__dict__ and "term_idf" not in fresh.__dict__
    assert a == fresh and a.to_json() == text == fresh.to_json()


def test_term_facts_are_what_each_profile_would_compute():
    """The per-process term table gives each profile the values its own definitions give: idf,
    skeleton, and the folded form exactly for the rare terms of 4+ letters without a figure."""
    for term in ("هامبورغ", "الهلال", "يكسب", "2015", "قال", "فولفسبورج"):
        value, skel, folded = events._TERM_FACTS[term]
        assert value == events.idf(term)
        assert skel == events.skeleton(term)
        rare = len(term) >= 4 and value >= events.SOFT_IDF and not events._DIGITS.fullmatch(term)
        assert folded == (term.translate(events._FOLD) if rare else None)
    assert events._TERM_FACTS["هامبورغ"][2] == "هامبورج"  # a rare name, folded
    assert events._TERM_FACTS["2015"][2] is None  # a figure is never sought as a spelling


def test_spelling_bound_and_prescreen_keep_the_soft_match():
    """A rare name spelled two ways still counts in the cosine after the pruning and the
    one-call prescreen of the spelling matches (values as the unpruned features give)."""
    a = events.event_key("فولفسبورغ يهزم هامبورغ في الدوري", "فاز فولفسبورغ على هامبورغ بهدفين في الدوري الالماني")
    b = events.event_key("فولفسبورج يهزم هامبورج", "فاز فولفسبورج على هامبورج بهدفين في مباراة الدوري الالماني")
    assert events._soft_matches(a, b) > 0.0
    full = events.features(a, b)
    pruned = events._features(a, b, 0.0)
    assert pruned == full


def test_slots_read_figures_as_the_digits_pattern_does():
    """``_slots`` tells a figure by ``str.isdecimal`` (Unicode category Nd, what ``\\d`` reads):
    superscripts and fractions are no figures, other scripts' digits are."""
    for word in ("15", "٣", "۴", "2015", "²", "½", "15a", "a15", "", "١٥٠", "Ⅻ"):
        assert word.isdecimal() == bool(events._DIGITS.fullmatch(word)), word
    assert events._slots(["15", "كم", "²", "مترا", "180", "178", "رهينه"]) == frozenset(
        {"15 كم", "180 رهين", "178 رهين"})


def test_skeleton_index_keeps_one_term_alone_and_sorts_the_others():
    profile = events.EventProfile(weights={"كتب": 0.2, "كاتب": 0.5, "مكتوب": 0.5, "روسيا": 0.3}, title=frozenset())
    index = profile.skeleton_index
    for skeleton, terms in index.items():
        assert isinstance(terms, tuple)
        assert list(terms) == sorted(terms, key=lambda t: (profile.weights[t], t), reverse=True)
    assert sorted(t for ts in index.values() for t in ts) == sorted(profile.skeletons)


def test_profile_lead_is_the_first_lead_words_of_the_body():
    """The lead is the body's first ``LEAD_WORDS`` words (read without splitting the whole body)."""
    words = [f"كلمه{chr(0x0628 + i % 20)}{chr(0x0628 + i // 20)}" for i in range(events.LEAD_WORDS + 40)]
    body = "  " + "\n".join(" ".join(words[i:i + 7]) for i in range(0, len(words), 7))
    profile = events.event_key("", body)
    lead = events.event_key("", " ".join(words[:events.LEAD_WORDS]))
    assert profile.weights == lead.weights and profile.bigrams == lead.bigrams
