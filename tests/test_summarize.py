"""Summaries must be whole sentences of the article, in order, short enough for an alert."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.arabic import normalize, split_sentences
from bot.summarize import ELLIPSIS, content_terms, stopwords, summarize

MAX_CHARS = 550
TERMINAL = re.compile(r"[.!?؟…][\"”»’›)\]]*$")

# Which raw seed line is the headline (None: the file starts with the story itself).
SEED_TITLE_LINE = {"000": 0, "001": None, "002": 0, "003": 1, "004": None}
# Outlet furniture present in the raw seeds; none of it may reach a summary.
SEED_BOILERPLATE = (
    "شاهد ايضاً",
    "أخبار ذات صلة",
    "اشترك للوصول",
    "الاشتراكات",
    "عزيزي الزائر",
    "mins read",
    "Your email",
    "اترك تعليقاً",
    "التعليقات",
    "اعلان",
    "صورة أرشيفية",
)
# The feed cleaner's job, not the summarizer's: seed 004 carries a "date 2025-08-13 " prefix.
_DATE_PREFIX = re.compile(r"^\s*date \d{4}-\d{2}-\d{2}\s+")


def _seed(path: Path) -> tuple[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    index = SEED_TITLE_LINE[path.name[:3]]
    title = lines[index] if index is not None else ""
    body = [line for i, line in enumerate(lines) if index is None or i > index]
    return title, _DATE_PREFIX.sub("", "\n".join(body))


def _pieces(summary: str, body: str) -> list[int]:
    """Indexes of the article sentences that, joined by spaces, make up ``summary``."""
    sentences = split_sentences(body)

    def match(pos: int, after: int) -> list[int] | None:
        if pos == len(summary):
            return []
        for i in range(after + 1, len(sentences)):
            s = sentences[i]
            end = pos + len(s)
            if summary.startswith(s, pos) and (end == len(summary) or summary[end] == " "):
                rest = match(end + 1 if end < len(summary) else end, i)
                if rest is not None:
                    return [i, *rest]
        return None

    found = match(0, -1)
    assert found is not None, f"not whole article sentences in article order:\n{summary}"
    return found


def _headings(body: str) -> set[str]:
    lines = (line.strip() for line in body.splitlines())
    return {line for line in lines if line and not TERMINAL.search(line)}


# --- real seeds ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds(seed_files: list[Path]) -> list[tuple[str, str, str]]:
    return [(p.name, *_seed(p)) for p in seed_files]


def test_seed_summaries_are_two_or_three_article_sentences_in_order(seeds):
    for name, title, body in seeds:
        summary = summarize(title, body)
        assert 0 < len(summary) <= MAX_CHARS, name
        picked = _pieces(summary, body)
        assert 2 <= len(picked) <= 3, (name, summary)
        assert picked == sorted(picked), name


def test_seed_summaries_hold_only_complete_sentences(seeds):
    for name, title, body in seeds:
        sentences = split_sentences(body)
        for i in _pieces(summarize(title, body), body):
            assert TERMINAL.search(sentences[i]), (name, sentences[i])
            assert not sentences[i].endswith(ELLIPSIS), (name, sentences[i])


def test_seed_summaries_skip_headings_and_boilerplate(seeds):
    present = set()
    for name, title, body in seeds:
        summary = summarize(title, body)
        sentences = split_sentences(body)
        for i in _pieces(summary, body):
            assert sentences[i] not in _headings(body), (name, sentences[i])
        for marker in SEED_BOILERPLATE:
            if marker in body:
                present.add(marker)
            assert marker not in summary, (name, marker)
    # The seeds really carry this furniture, so the check above means something.
    assert len(present) >= 8


def test_seed_000_section_headings_stay_out(seeds):
    _, title, body = next(s for s in seeds if s[0].startswith("000"))
    summary = summarize(title, body)
    headings = ("رسالة كيم جونغ أون إلى بوتين", "الدعم العسكري الكوري الشمالي لروسيا", "خَبَرَيْن.")
    for heading in headings:
        assert heading in body
        assert heading not in summary


def test_seed_summaries_never_restate_the_title(seeds):
    for name, title, body in seeds:
        if not title:
            continue
        for sentence in split_sentences(summarize(title, body)):
            assert normalize(sentence) != normalize(title), name


# --- synthetic cases -----------------------------------------------------------------------

LEAD = "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض يضم خمسمائة سرير."
SECOND = "وقال الوزير إن المستشفى سيخدم أكثر من مليون مواطن في المنطقة الوسطى."
THIRD = "ويأتي المشروع ضمن خطة وطنية لتوسيع الخدمات الصحية في جميع مناطق المملكة."
FOURTH = "وكانت الوزارة قد افتتحت ثلاثة مستشفيات مماثلة خلال العام الماضي في جدة والدمام."


def test_choices_follow_article_order():
    body = "\n".join([LEAD, SECOND, THIRD, FOURTH])
    summary = summarize("افتتاح مستشفى جديد في الرياض", body)
    picked = _pieces(summary, body)
    assert picked == sorted(picked) and 2 <= len(picked) <= 3


def test_sentence_repeating_the_title_is_skipped():
    title = "وزارة الصحة تفتتح مستشفى جديدا في الرياض"
    body = "\n".join(["وزارة الصحة تفتتح مستشفى جديدا في الرياض.", LEAD, SECOND, THIRD])
    summary = summarize(title, body)
    assert "وزارة الصحة تفتتح مستشفى جديدا في الرياض." not in summary
    assert LEAD in summary


def test_headings_and_boilerplate_lines_are_skipped_even_at_the_top():
    body = "\n".join(
        [
            "مستشفى جديد في الرياض",
            "شاهد أيضاً: افتتاح مستشفى جديد في مدينة الرياض يضم خمسمائة سرير.",
            "https://example.com/news/12345",
            "Click here to read more about the new hospital in Riyadh today.",
            "2025-08-13 10:30 GMT",
            LEAD,
            "تفاصيل المشروع",
            SECOND,
            THIRD,
        ]
    )
    summary = summarize("", body)
    chosen = [split_sentences(body)[i] for i in _pieces(summary, body)]
    assert chosen and set(chosen) <= {LEAD, SECOND, THIRD}
    assert chosen[0] == LEAD


def test_unpunctuated_caption_is_not_a_sentence():
    caption = (
        "الرئيس الروسي فلاديمير بوتين وزعيم كوريا الشمالية كيم جونج أون خلال حفل توقيع"
        " الشراكة الجديدة في بيونغ يانغ كريستينا كورميليتسينا/سبوتنيك"
    )
    body = "\n".join([caption, LEAD, SECOND, THIRD])
    assert caption not in summarize("", body)


def test_bylines_and_outlet_names_are_not_sentences():
    body = "\n".join(["الرياض - رويترز.", f"{LEAD} خبرين.", SECOND, THIRD])
    summary = summarize("", body)
    assert "رويترز" not in summary and "خبرين" not in summary
    assert LEAD in summary


def test_duplicate_sentence_is_used_once():
    body = "\n".join([LEAD, LEAD, SECOND, THIRD])
    assert summarize("", body).count(LEAD) <= 1


def test_too_long_sentence_is_passed_over_for_whole_ones():
    clause = "وأوضح المسؤول أن المشروع يشمل مرافق متعددة للرعاية الصحية المتقدمة"
    long_one = "، ".join([clause] * 12) + "."
    assert len(long_one) > MAX_CHARS
    body = "\n".join([long_one, SECOND, THIRD])
    summary = summarize("", body)
    assert summary == f"{SECOND} {THIRD}"


def test_single_very_long_sentence_is_cut_at_a_clause_boundary():
    clauses = [f"وأشار التقرير إلى ارتفاع المؤشر رقم {i} في القطاع الصناعي" for i in range(20)]
    sentence = "، ".join(clauses) + "."
    assert len(sentence) > MAX_CHARS
    summary = summarize("تقرير اقتصادي", sentence)
    assert summary.endswith(ELLIPSIS) and len(summary) <= MAX_CHARS
    kept = summary[: -len(ELLIPSIS)]
    assert sentence.startswith(kept)
    assert sentence[len(kept)] in "،؛"
    assert len(kept) > MAX_CHARS // 2, "cut far earlier than needed"


def test_empty_or_junk_only_body_gives_empty_summary():
    assert summarize("عنوان", "") == ""
    assert summarize("عنوان", "   \n\n  ") == ""
    assert summarize("عنوان", "أخبار ذات صلة\nhttps://example.com\nشاهد أيضاً: خبر آخر.") == ""


def test_diacritics_and_tatweel_are_kept_as_written():
    marked = "أعلنَ الرئيـــسُ اليومَ عن خُطّةٍ جديدةٍ لدعمِ المـزارعين في المناطقِ الريفيّة."
    body = "\n".join([marked, SECOND, THIRD])
    summary = summarize("خطة لدعم المزارعين", body)
    assert marked in summary
    assert "ـــ" in summary and "ُ" in summary


def test_mixed_arabic_english_sentences_are_kept_verbatim():
    mixed = "كشفت شركة Apple عن هاتف iPhone 17 الجديد خلال مؤتمرها السنوي في Cupertino الأمريكية."
    english = "The company said the phone will ship worldwide in September this year."
    local = "وقالت الشركة إن الهاتف سيطرح في الأسواق العربية خلال الشهر المقبل."
    body = "\n".join([mixed, english, local])
    summary = summarize("آبل تكشف عن iPhone 17", body)
    assert mixed in summary
    assert english not in summary


def test_body_without_full_stops_still_summarized_from_whole_lines():
    lines = [
        "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض يضم خمسمائة سرير"
        " ويخدم سكان الأحياء الشمالية",
        "ردود فعل واسعة في الشارع السعودي اليوم",
        "وقال الوزير إن المستشفى سيخدم أكثر من مليون مواطن في المنطقة الوسطى"
        " خلال السنوات الخمس المقبلة",
    ]
    summary = summarize("", "\n".join(lines))
    assert summary == f"{lines[0]} {lines[2]}"


def test_max_chars_is_respected_with_whole_sentences():
    body = "\n".join([LEAD, SECOND, THIRD, FOURTH])
    summary = summarize("", body, max_chars=170)
    assert len(summary) <= 170 and not summary.endswith(ELLIPSIS)
    assert _pieces(summary, body)


# --- stop words ----------------------------------------------------------------------------


def test_stopwords_are_normalized_keys_and_dropped_from_terms():
    words = stopwords()
    assert {"في", "من", "الي", "علي", "التي", "هذه"} <= words
    assert all(normalize(w) == w for w in words)
    assert content_terms("إلى أن وصلت القوات في هذه المدينة") == ["وصلت", "القوات", "المدينه"]


def test_lead_sentence_that_became_a_shortened_headline_is_not_repeated():
    lead = (
        "أجرى الزعيم الكوري الشمالي كيم جونغ أون والرئيس الروسي فلاديمير بوتين اتصالا هاتفيا "
        "لمناقشة تعزيز العلاقات بين البلدين وجهود الحرب في أوكرانيا، حسبما ذكرت وسائل الإعلام الرسمية."
    )
    title = lead[:100].rsplit(" ", 1)[0] + "…"
    body = "\n".join(
        [
            lead,
            "وتأتي هذه المكالمة الهاتفية في الوقت الذي يستعد فيه الرئيس الروسي للقاء نظيره الأمريكي الجمعة في ألاسكا.",
            "وقالت وكالة الأنباء المركزية الكورية إن كيم قال لبوتين إن بيونغ يانغ ستدعم بشكل كامل جميع الإجراءات الروسية.",
        ]
    )
    summary = summarize(title, body)
    assert lead not in summary
    assert summary.startswith("وتأتي هذه المكالمة")
