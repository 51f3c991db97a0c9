"""Summaries must be whole sentences of the article, in order, short enough for an alert."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.text.arabic import normalize, split_sentences
from bot.text.summarize import ELLIPSIS, content_terms, leans_back, stopwords, summarize

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


# --- the lead, sentences that lean back, shortening (issue 11) -------------------------------

RAIN = [
    "وأغلقت الأمطار الغزيرة عددا من الطرق الرئيسية في جدة صباح اليوم.",
    "وتسببت الأمطار الغزيرة في جدة في تعطل حركة السير على الطرق الرئيسية لساعات.",
    "ودعا الدفاع المدني سكان جدة إلى الابتعاد عن الطرق التي أغلقتها الأمطار الغزيرة.",
]


def test_lead_opens_the_summary_even_when_later_sentences_score_higher():
    # Title words and centrality both favour the rain sentences; the lead shares neither.
    title = "الأمطار الغزيرة تغلق الطرق الرئيسية في جدة"
    body = "\n".join([LEAD, *RAIN])
    assert summarize(title, body).startswith(LEAD)
    # With room for one sentence only, that one is the lead, not the best-scoring one.
    assert summarize(title, body, max_sentences=1, min_sentences=1) == LEAD


@pytest.mark.parametrize(
    "sentence",
    [
        "وأشار إلى أن المستشفى سيفتح أبوابه الشهر المقبل.",
        "وأضاف: «سنفتتح ثلاثة مستشفيات أخرى قبل نهاية العام».",
        "من جانبه، رحب أمير المنطقة بالمشروع الجديد في الرياض.",
        "ومن جهتها أوضحت الوزارة أن التشغيل سيبدأ تدريجيا.",
        "وتابع قائلا إن العمل يجري على مدار الساعة.",
        "كما أكد الوزير أن الكوادر الطبية جاهزة.",
        "وأوضح أن المشروع يضم مركزا للأورام.",
        "وفي هذا السياق، دعا الوزير القطاع الخاص إلى المشاركة.",
        "بعد ذلك توجه خادم الحرمين الشريفين في موكب رسمي إلى المقر المعد لإقامته.",
        "وقد أعد مرسوم ملكي بذلك.",
        "يضيف: فتحت زجاج السيارة ونظرت إليه.",
        "ثالثاً: وافق مجلس الوزراء على تفويض وزير الخارجية.",
        "4 ـ تعيين محمد بن عبدالله على وظيفة مدير عام.",
        "- ما تستدعيه الضرورات الأمنية بحسب ما تراه الجهات الأمنية.",
    ],
)
def test_discourse_continuations_cannot_stand_alone(sentence):
    assert leans_back(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        LEAD,
        SECOND,  # "وقال الوزير إن …": the speaker is named
        "مضى ربع قرن على جرح الكويت، ومع ذلك لا تزال تسترجع الذكريات.",
        "وتبدأ اليابان الثلاثاء تطبيق قواعد جديدة للتجارة مع كوريا الشمالية.",
        "من جهة أخرى، حذرت وزارة العمل من مكاتب الاستقدام غير المرخصة.",
        "1.5 مليون يورو قيمة تعاقد الأهلي مع اللاعب اليوناني.",
        "عن مالطة وأهلها كتب أحمد فارس الشدياق فصولا طويلة.",
    ],
)
def test_sentences_that_stand_alone(sentence):
    assert not leans_back(sentence)


DANGLING = (
    "وأضاف أن افتتاح المستشفى الجديد في الرياض يأتي ضمن خطة الوزارة لتوسيع الخدمات الصحية في"
    " المدن الكبرى بحلول عام 2030."
)
DANGLING_TITLE = "الوزارة: المستشفى الجديد ضمن خطة لتوسيع الخدمات"


def test_sentence_leaning_back_is_shown_only_after_its_predecessor():
    title = DANGLING_TITLE
    # The dangling sentence scores best after the lead, but its predecessor (FOURTH) does not
    # make the cut: it must stay out too.
    body = "\n".join([LEAD, FOURTH, DANGLING, SECOND, THIRD])
    summary = summarize(title, body, max_sentences=2)
    assert summary.startswith(LEAD) and DANGLING not in summary
    # Shown right after the sentence it continues, it is fine.
    body = "\n".join([LEAD, FOURTH, DANGLING, SECOND])
    summary = summarize(title, body, max_sentences=3)
    assert f"{FOURTH} {DANGLING}" in summary or DANGLING not in summary
    pieces = split_sentences(summary)
    for i, sentence in enumerate(pieces):
        if leans_back(sentence):
            assert i > 0 and pieces[i - 1] == FOURTH


def test_a_leaning_sentence_after_a_dropped_line_is_never_shown():
    # The heading between them breaks the chain: "وأضاف" would follow nothing the reader sees.
    body = "\n".join([LEAD, SECOND, "تفاصيل", DANGLING, THIRD])
    summary = summarize(DANGLING_TITLE, body, max_sentences=2)
    assert DANGLING not in summary


def test_a_sentence_inside_a_quote_left_open_continues_that_speech():
    # The quote opened here closes only in the next paragraph, as long statements are written.
    quote = "وقال الوزير: «نحن نعمل منذ سنوات على هذا الملف الكبير."
    inside = "وسنفتتح ثلاثة مستشفيات جديدة في الرياض قبل نهاية العام المقبل."
    closing = "وستكون جاهزة لاستقبال المرضى في الموعد المحدد»."
    body = "\n".join([LEAD, f"{quote} {inside}", closing, THIRD, FOURTH])
    summary = summarize("افتتاح ثلاثة مستشفيات جديدة في الرياض قبل نهاية العام", body, max_sentences=2)
    assert summary.startswith(LEAD) and inside not in summary


def test_no_ellipsis_while_a_whole_sentence_fits():
    clause = "وأوضح المسؤول أن المشروع يشمل مرافق متعددة للرعاية الصحية المتقدمة"
    long_lead = "، ".join([clause] * 12) + "."
    summary = summarize("مشروع صحي", "\n".join([long_lead, SECOND, THIRD]))
    assert ELLIPSIS not in summary and summary == f"{SECOND} {THIRD}"


def test_lead_introducing_a_list_is_kept_with_its_items():
    lead = "أقر مجلس الوزراء عددا من الإجراءات لحماية الشواطئ وتوفير متنفس للناس، ومن بينها ما يأتي:"
    items = [
        "- أن يكون لكل شاطئ مئة متر حرما مفتوحا للعامة لا يجوز التأجير فيه.",
        "- أن تخصص مواقع للخدمات العامة في الجزء الخلفي من ناحية اليابسة.",
    ]
    summary = summarize("حماية الشواطئ", "\n".join([lead, *items]))
    assert summary.startswith(lead)
    assert items[1] not in summary or items[0] in summary


def test_lead_credit_is_removed_before_sentences_are_chosen(monkeypatch):
    """Datelines and bylines are the cleaner's rules (bot.text.boilerplate.strip_lead_credit); the
    summarizer must route every paragraph through it, so none reaches a summary."""
    import bot.text.summarize as module

    seen = []

    def strip(line: str, rules=None) -> str:
        seen.append(line)
        return line.removeprefix("واس - الرياض: ")

    monkeypatch.setattr(module, "strip_lead_credit", strip)
    summary = summarize("مستشفى جديد", "\n".join([f"واس - الرياض: {LEAD}", SECOND, THIRD]))
    assert summary.startswith(LEAD) and "واس" not in summary
    assert seen and seen[0].startswith("واس")


# --- hard-wrapped text (EASC's newspaper articles) -------------------------------------------


def _easc_news(shared_data: Path) -> list[Path]:
    articles = shared_data / "easc" / "EASC-UTF-8" / "Articles"
    copyright_ = (shared_data / "easc" / "COPYRIGHT").read_text(encoding="utf-8", errors="replace")
    names = {
        " ".join(line.split()).lower()
        for line in copyright_.split("* Alwatan Articles", 1)[1].splitlines()
        if line.strip() and not line.lstrip().startswith("*")
    }
    out = []
    for path in sorted(articles.glob("Topic*/*")):
        key = " ".join(path.stem.replace("(", " ").replace(")", " ").split()).lower()
        if path.suffix.lower() == ".txt" and key in names:
            out.append(path)
    return out


def test_hard_wrapped_news_articles_give_whole_sentences(shared_data):
    """EASC's newspaper articles are wrapped at ~78 columns; a summary made from the file as it
    is must hold whole sentences (each in the rejoined text, each ending in a stop), lead first."""
    paths = _easc_news(shared_data)
    assert len(paths) >= 40
    wrapped = 0
    for path in paths:
        raw = path.read_text(encoding="utf-8-sig")
        flat = normalize(" ".join(raw.split()))
        summary = summarize("", raw)
        pieces = split_sentences(summary)
        assert pieces, path.name
        for piece in pieces:
            assert normalize(piece) in flat, (path.name, piece)
        lines = [line for line in raw.splitlines() if line.strip()]
        if any(normalize(piece) not in {normalize(line) for line in lines} for piece in pieces):
            wrapped += 1  # a sentence that spans a line break: the wrap was undone
        assert all(TERMINAL.search(p) or p.endswith(":") for p in pieces[:-1]), (path.name, summary)
    assert wrapped >= 30


def test_a_line_closing_a_quote_opened_on_an_earlier_line_is_not_shown_alone():
    # Half-wrapped bodies leave the end of a quote on a line of its own (SaudiNewsNet, alweeam).
    opening = "وأضافت المصادر أن المقاومة تمكنت من “استدراج ثلاثين عنصرا من الميليشيات"
    closing = "وقتل خلاله قائد الميليشيات في الضالع الذي عثر بحوزته على الرقم العسكري 13598″."
    body = "\n".join([LEAD, opening, closing, SECOND, THIRD])
    summary = summarize("مقتل قائد الميليشيات في الضالع", body, max_sentences=2)
    assert summary.startswith(LEAD) and closing not in summary
    # Quotes an outlet writes as ”…” (one mark on both sides) are a pair, not a dangling end.
    paired = "ووصف المسؤول ما جرى في الضالع بأنه ”ضربة قاصمة للميليشيات”."
    summary = summarize("مقتل قائد الميليشيات في الضالع", "\n".join([LEAD, paired, SECOND]))
    assert paired in summary


def test_mostly_latin_screen_agrees_with_the_full_count():
    """The cheap bound never changes the answer: Latin letters plus digits (``str.isdigit``,
    superscripts included) against Arabic letters."""
    from bot.text.summarize import _ARABIC_LETTER, _LATIN_LETTER, _mostly_latin

    def reference(text: str) -> bool:
        budget = len(_LATIN_LETTER.findall(text)) + sum(map(str.isdigit, text))
        return len(_ARABIC_LETTER.findall(text)) <= budget

    cases = ["قال الوزير إن الاجتماع ناجح.", "Read more at CNN.com", "عدد 12345 ABC", "ab جد", "abc جد",
             "²³¹ جدا", "١٢٣ جدد", "۱۲۳۴ جدد", "", "   ", "https://x.com/a ب", "ⅫⅫ جج", "①② جج"]
    for text in cases:
        assert _mostly_latin(text) == reference(text), text


# --- the content-stem table (issue 13: the text stages' CPU) --------------------------------


@pytest.mark.parametrize("token", ["وروسيا", "الحكومة", "بالرياض", "مسؤوليها", "و", "في", "ب", "من", "ك", "2015"])
def test_content_stem_table_agrees_with_the_functions(token):
    from bot.text.summarize import CONTENT_STEMS, term_stem

    token = normalize(token)
    expected = term_stem(token) if len(token) > 1 and token not in stopwords() else ""
    assert CONTENT_STEMS[token] == expected
    assert CONTENT_STEMS[token] == expected  # the second read is the stored one


def test_content_stem_table_stays_bounded(monkeypatch):
    from bot.text import summarize as s

    table = s._ContentStems()
    monkeypatch.setattr(s._ContentStems, "LIMIT", 3)
    for word in ("روسيا", "الصين", "ايران", "تركيا", "مصر"):
        assert table[word] == s.term_stem(word)
    assert len(table) <= 4


def test_centrality_is_bit_identical_to_the_dict_form():
    """The map-based centrality makes the same floats as the dict-per-sentence form it replaced."""
    import math
    from collections import Counter

    from bot.text.summarize import Candidate, _centrality, _terms

    def reference(candidates):
        n = len(candidates)
        df = Counter(term for c in candidates for term in c.terms)
        idf = {term: math.log((n + 1) / (count + 0.5)) for term, count in df.items()}
        centroid: Counter[str] = Counter()
        for c in candidates:
            centroid.update(c.terms)
        cvec = {t: tf * idf[t] for t, tf in centroid.items()}
        cnorm = math.sqrt(sum(v * v for v in cvec.values())) or 1.0
        raw = []
        for c in candidates:
            vec = {t: tf * idf[t] for t, tf in c.terms.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            raw.append(sum(v * cvec[t] for t, v in vec.items()) / (norm * cnorm))
        top = max(raw, default=0.0) or 1.0
        return [r / top for r in raw]

    sentences = [
        "قال الرئيس الروسي فلاديمير بوتين إن المحادثات مع الرئيس الصيني مستمرة.",
        "وأضاف بوتين أن روسيا والصين ستوقعان اتفاقاً للطاقة والطاقة المتجددة.",
        "...",  # no terms at all
        "The Kremlin said talks with China continue, Putin said.",
        "وأكد الكرملين أن المحادثات الروسية الصينية ستستمر حتى نهاية العام، وأن الاتفاق قريب.",
    ]
    for k in range(1, len(sentences) + 1):
        candidates = [Candidate(i, s, _terms(s)) for i, s in enumerate(sentences[:k])]
        assert repr(_centrality(candidates)) == repr(reference(candidates))
    assert _centrality([]) == reference([]) == []


def test_word_count_is_the_number_of_tokens():
    """``word_count`` (the junk checks' length) counts the spaces of the key: the same number as
    ``len(tokens(text))`` for any text, punctuation, marks, Latin and empty lines included."""
    from bot.text.arabic import tokens
    from bot.text.summarize import word_count

    texts = ["", "   ", "...", "«»", "قال", "قالَ الوزيرُ: «نعم» - اليوم!", "U.S. talks, 2024-05-01",
             "كلمة\u0640طويلة و\u200fعلامة", "a_b c__d", " مسافات   كثيرة\tهنا \n وسطر "]
    for text in texts:
        assert word_count(text) == len(tokens(text)), text


def test_a_sentence_repeats_the_title_at_the_ratio_bar_not_below():
    """The title check asks rapidfuzz with ``score_cutoff``: the same verdict on both sides of
    ``TITLE_REPEAT_RATIO`` as the plain ratio."""
    from rapidfuzz import fuzz

    from bot.text.arabic import normalize
    from bot.text.summarize import TITLE_REPEAT_RATIO, repeats_title

    title = "وزير الخارجية يبحث مع نظيره الفرنسي تطورات الأوضاع في المنطقة اليوم"
    near = "وزير الخارجية يبحث مع نظيره الفرنسي تطورات الأوضاع في المنطقه"  # drops a word
    far = "وزير الخارجية يبحث مع نظيره الفرنسي ملفات التعاون الاقتصادي والتجاري بين البلدين الصديقين"
    assert fuzz.ratio(normalize(near), normalize(title)) >= TITLE_REPEAT_RATIO
    assert repeats_title(near, title)
    assert fuzz.ratio(normalize(far), normalize(title)) < TITLE_REPEAT_RATIO
    assert not repeats_title(far, title)
