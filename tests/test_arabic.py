"""Arabic normalization, tokenization and sentence splitting on real text."""

from __future__ import annotations

import pytest

from bot.text.arabic import ends_sentence, normalize, split_sentences, strip_marks, tokens, unwrap


@pytest.mark.parametrize(
    "variant, plain",
    [
        ("أَجْرَى الزَّعِيمُ", "اجري الزعيم"),  # diacritics, alef with hamza, alef maqsura
        ("الزعيـــم الكوريّ", "الزعيم الكوري"),  # tatweel, shadda
        ("إيران وآسيا وٱلقدس", "ايران واسيا والقدس"),  # hamza below, madda, wasla
        ("مؤتمر رئيس", "موتمر رييس"),  # hamza on waw / yeh
        ("مدرسة المدرسه", "مدرسه المدرسه"),  # ta marbuta / heh
        ("مستشفى مستشفي", "مستشفي مستشفي"),  # alef maqsura / yeh
        ("عام ٢٠٢٥ و۱۴۰۳", "عام 2025 و1403"),  # Arabic-Indic and Persian digits
        ("گزارش پوتین چین کابل", "كزارش بوتين جين كابل"),  # Persian letters گ پ ی چ ک
        ("«الصداقة التي لا تُقهر»، قال: “نعم”!", "الصداقه التي لا تقهر قال نعم"),  # quotes, punctuation
        ("Putin زار KURSK-region", "putin زار kursk region"),  # mixed Arabic/English
        ("كيم\u200fجونغ\u200c أون", "كيمجونغ اون"),  # direction marks and ZWNJ removed, not spaces
    ],
)
def test_normalize_folds_spelling_variants(variant, plain):
    assert normalize(variant) == plain


def test_normalize_of_long_and_short_text_agree(seed_files):
    text = seed_files[0].read_text(encoding="utf-8")
    lines = [l for l in text.splitlines() if l.strip()]
    assert normalize(text) == " ".join(normalize(l) for l in lines if normalize(l))


def test_strip_marks_keeps_letters_as_written():
    assert strip_marks("أَشَادَ بـِ “الصداقة”") == "أشاد ب “الصداقة”"


def test_tokens_on_a_seed_headline():
    assert tokens("بوتين لكيم: صداقة روسيا وكوريا الشمالية لا تُقهر وسط الحرب") == [
        "بوتين", "لكيم", "صداقه", "روسيا", "وكوريا", "الشماليه", "لا", "تقهر", "وسط", "الحرب",
    ]


def test_sentences_split_at_stops_and_question_marks_not_at_commas():
    text = "قال كيم إن العلاقات قوية، وأضاف أنها ستدوم؛ فهل تستمر؟ نعم. انتهى"
    assert split_sentences(text) == ["قال كيم إن العلاقات قوية، وأضاف أنها ستدوم؛ فهل تستمر؟", "نعم.", "انتهى"]


def test_sentences_do_not_split_inside_quotes_numbers_or_abbreviations():
    text = 'قال د. محمد إن "العلاقات قوية. جدا" بين البلدين. بلغ النمو 3.5 في المئة! ثم U.S. forces left.'
    assert split_sentences(text) == [
        'قال د. محمد إن "العلاقات قوية. جدا" بين البلدين.',
        "بلغ النمو 3.5 في المئة!",
        "ثم U.S. forces left.",
    ]


def test_guillemet_quotes_and_unbalanced_quotes():
    assert split_sentences("وصفها بـ «الصداقة. التي لا تقهر» أمس. ثم غادر.") == [
        "وصفها بـ «الصداقة. التي لا تقهر» أمس.",
        "ثم غادر.",
    ]
    # An opening quote that never closes must not swallow the paragraph.
    assert split_sentences('قال "إنه غادر. ثم عاد. وانتهى') == ['قال "إنه غادر.', "ثم عاد.", "وانتهى"]


def test_sentences_of_a_real_seed_keep_original_spelling(seed_files):
    text = seed_files[2].read_text(encoding="utf-8")
    sentences = split_sentences(text)
    assert "أثنى بوتين على الدور المحوري الذي يلعبه الجنود الكوريون الشماليون في دعم المجهود الحربي الروسي ضد أوكرانيا." in " ".join(sentences)
    assert all(s == s.strip() and s for s in sentences)
    assert "".join(sentences).replace(" ", "") == "".join(text.split())


class _CountingPattern:
    """Wraps a compiled regex and counts the characters it is handed: a measure of work that,
    unlike wall time, does not depend on the machine."""

    def __init__(self, pattern) -> None:
        self.pattern = pattern
        self.chars = 0

    def search(self, string, *args):
        self.chars += len(string)
        return self.pattern.search(string, *args)

    def fullmatch(self, string, *args):
        self.chars += len(string)
        return self.pattern.fullmatch(string, *args)


def test_a_two_megabyte_one_line_text_splits_in_linear_work(seed_files, monkeypatch):
    """A 2 MB file on one line (the file limit) once took minutes: every full stop re-scanned the
    whole line before it for an abbreviation. The work done per full stop must not grow with the line."""
    import bot.text.arabic as arabic

    seed = " ".join(seed_files[2].read_text(encoding="utf-8").split())
    line = " ".join([seed] * (2_000_000 // len(seed.encode("utf-8")) + 1))
    assert len(line.encode("utf-8")) >= 2_000_000 and "\n" not in line
    small = " ".join([seed] * 20)
    counting = _CountingPattern(arabic._ABBREVIATION)
    monkeypatch.setattr(arabic, "_ABBREVIATION", counting)
    small_sentences = split_sentences(small)
    small_work = counting.chars
    counting.chars = 0
    sentences = split_sentences(line)
    # Linear: the work per input character is the same for 40 KB and for 2 MB (quadratic: ~50x).
    assert counting.chars / len(line) <= 2 * max(small_work / len(small), 1e-9) + 0.01
    assert len(sentences) >= len(small_sentences) * (len(line) // len(small))
    assert "".join(sentences).replace(" ", "") == line.replace(" ", "")


# --- initials and hard wraps (issue 11) ------------------------------------------------------


def test_sentences_do_not_split_inside_name_initials():
    assert split_sentences("اغتيل الرئيس جون إف. كينيدي في دالاس عام 1963. وخلفه جونسون.") == [
        "اغتيل الرئيس جون إف. كينيدي في دالاس عام 1963.",
        "وخلفه جونسون.",
    ]
    assert split_sentences("زار جورج دبليو. بوش بغداد. ثم غادر.") == ["زار جورج دبليو. بوش بغداد.", "ثم غادر."]
    # A title initial written with a space before its stop ("أ . فهد"), and one in brackets.
    assert split_sentences("وبين المتحدث أ . فهد الكريع أن التماسا تسبب بالحريق. وباشر الدفاع المدني.") == [
        "وبين المتحدث أ . فهد الكريع أن التماسا تسبب بالحريق.",
        "وباشر الدفاع المدني.",
    ]
    assert split_sentences("قال المدير (د. سامي) إن العمل بدأ. وانتهى.") == [
        "قال المدير (د. سامي) إن العمل بدأ.",
        "وانتهى.",
    ]
    # A real sentence end with a space before the stop still ends the sentence.
    assert split_sentences("اندلع حريق بمدينة سكاكا . وبين المتحدث أن الحريق بسيط.") == [
        "اندلع حريق بمدينة سكاكا .",
        "وبين المتحدث أن الحريق بسيط.",
    ]


def test_ends_sentence_ignores_an_initials_full_stop():
    assert ends_sentence("وصل الرئيس الأمريكي جون إف.") is False
    assert ends_sentence("وصل الرئيس إلى دالاس.") is True
    assert ends_sentence("«وصل الرئيس إلى دالاس.»") is True
    assert ends_sentence("وصل الرئيس إلى دالاس") is False


def test_paragraph_per_line_text_is_not_unwrapped(seed_files):
    for path in seed_files:
        text = path.read_text(encoding="utf-8")
        assert unwrap(text) == text, path.name


def test_hard_wrapped_lines_are_rejoined_into_paragraphs(shared_data):
    """EASC's Alwatan articles are wrapped at a fixed column: sentences run across line breaks."""
    articles = shared_data / "easc" / "EASC-UTF-8" / "Articles"
    [path] = [p for p in articles.glob("Topic*/*") if p.stem == "politics (7)"]
    raw = path.read_text(encoding="utf-8-sig")
    lines = [line for line in raw.splitlines() if line.strip()]
    joined = unwrap(raw).splitlines()
    assert len(joined) < len(lines) / 3
    # No text is lost or reordered, and every paragraph but a heading ends like a sentence.
    assert "".join(unwrap(raw).split()) == "".join(raw.split())
    assert sum(ends_sentence(p) for p in joined) >= len(joined) - 1
    # Each sentence is whole: none starts in the middle of a wrapped line's sentence.
    sentences = split_sentences(raw)
    assert all(s[-1] in ".!?؟…»\"" for s in sentences[:-1])


def test_unwrap_keeps_headings_and_short_paragraph_ends():
    width_line = "ويرى المحللون أن تلك الخطوة نوع من أنواع العقوبات الاقتصادية التي تفرضها"
    text = "\n".join([
        "عقوبات جديدة",  # a heading: short, no stop
        width_line,
        "اليابان على كوريا الشمالية لفشلها في تحديد مصير المواطنين الذين اختطفوا منذ",
        "عقود طويلة",  # a paragraph's last line, without a stop
        "وتعد اليابان ثالث أكبر شريك تجاري لكوريا الشمالية بعد الصين وكوريا الجنوبية",
        "في المنطقة كلها، ولذلك تحجم عن فرض عقوبات رسمية تخوفا من ردود فعل جارتها.",
        "وتطالب القواعد الجديدة السفن الكورية التي تفوق حمولتها المئة طن بتأمين خاص",
        "وهو ما تفتقر إليه تلك السفن منذ سنوات طويلة بحسب ما ذكر المحللون اليابانيون.",
    ])
    paragraphs = unwrap(text).splitlines()
    assert paragraphs[0] == "عقوبات جديدة"
    assert paragraphs[1].startswith(width_line) and paragraphs[1].endswith("عقود طويلة")
    assert len(paragraphs) == 4


def test_lists_and_uneven_lines_are_not_taken_for_hard_wraps():
    # Lines of uneven length without stops (a schedule, a list of penalties) are not a wrap.
    text = "\n".join([
        "يستضيف نادي حمام الأنف عشية اليوم السبت النادي الإفريقي في نصف نهائي كأس تونس"
        " لكرة القدم بقيادة الحكم.",
        "وفي ما يلي برنامج الدور نصف النهائي والنقل التلفزي :",
        "* السبت 27 ماي بداية من الساعة 15:30",
        "نادي حمام الأنف - النادي الإفريقي / قناة التاسعة",
        "* الأحد 28 ماي بداية من الساعة 15:30",
        "اتحاد بن قردان - الترجي الرياضي التونسي / قناة التاسعة",
    ])
    assert unwrap(text) == text
    # Even in wrapped text, a line opening with a list marker starts a new item.
    wrapped = "\n".join([
        "قرر المكتب الجامعي خلال اجتماعه اليوم تسليط جملة من العقوبات على الأندية",
        "التالية بعد النظر في تقارير الحكام والمراقبين خلال الجولة الماضية من البطولة",
        "- عقوبة مالية قدرها ألفا دينار على النادي الرياضي من أجل إشعال الشماريخ على",
        "المدارج خلال المباراة الأخيرة التي جمعته بمنافسه على ملعبه في الجولة الماضية",
        "- عقوبة مباراة دون حضور الجمهور على الاتحاد الرياضي من أجل إلقاء المقذوفات",
        "على أرضية الملعب والاعتداء على الحكم المساعد بعد نهاية اللقاء بين الفريقين.",
    ])
    paragraphs = unwrap(wrapped).splitlines()
    assert len(paragraphs) == 3 and all(p.startswith("-") for p in paragraphs[1:])


def test_analysis_words_made_by_line_equal_whole_body(shared_data):
    """``Analyzed`` normalizes a body line by line (each line then cached for the stages that read
    lines); the words and the key are those of ``normalize(body)``, on real articles and on line
    breaks next to marks, ligatures and every kind of line separator."""
    import json
    import zipfile

    from bot.text.analysis import Analyzed

    bodies = ["بِسْمِ\nَاللَّه", "ﻻ\r\nبأس\u2028x\u2029y\x1cz\x85w\x0bv\x0cu", "\n\n", "", "word_\n_word", "a\u0640\nb"]
    with zipfile.ZipFile(sorted((shared_data / "saudinewsnet").glob("*.zip"))[0]) as zf:
        bodies += [item["content"] for item in json.loads(zf.read(zf.namelist()[0]))[:400]]
    for body in bodies:
        analyzed = Analyzed("", body)
        assert analyzed.body_words == normalize(body).split()
        assert analyzed.body_key == normalize(body)


# --- the fast word split of normalize (issue 13: the text stages' CPU) -----------------------


def _reference_normalize(text: str) -> str:
    """``normalize`` as it was written before the fast word split: marks first, one regex pass."""
    import unicodedata

    from bot.text import arabic

    text = arabic._MARKS_RE.sub("", unicodedata.normalize("NFKC", text))
    for letter, folded in arabic._FOLD_PAIRS:
        if letter in text:
            text = text.replace(letter, folded)
    return " ".join(arabic._WORDS.findall(text.casefold()))


@pytest.mark.parametrize(
    "text",
    [
        "أَجْرَى الزَّعِيمُ الكوريُّ",  # diacritics inside words: removed, the word stays whole
        "الزعيـــم ـــ ـ",  # tatweel inside a word, alone, and as a whole part
        "قرأ الصلوٰة والزكوٰة",  # superscript alef (a mark that is no letter)
        "صلى\u06e5 الله\u06e6",  # small waw / yeh: marks str.isalnum counts as letters
        "إيران وآسيا وٱلقدس ومؤتمر رئيس",  # hamza forms
        "مدرسة المدرسه مستشفى مستشفي",  # ة/ه, ى/ي
        "عام ٢٠٢٥ و۱۴۰۳ ½ ² ﬁ",  # Arabic-Indic / Persian digits, NFKC compatibility forms
        "Putin زار KURSK-region (الروسية)، قال: «نعم»!",  # mixed Arabic/English, punctuation
        "كيم\u200fجونغ\u200c أون\ufeff \u00ad",  # invisible marks inside and between words
        "snake_case İstanbul STRASSE Straße",  # underscore splits words; casefold of İ and ß
        "a\u00a0b\u2009c\nd\te",  # non-breaking and thin spaces, line breaks, tabs
        "",
        "   ",
        "...،؛",
    ],
)
def test_normalize_matches_the_one_pass_reference(text):
    assert normalize(text) == _reference_normalize(text)


def test_normalize_word_split_is_exact_for_every_code_point():
    """The fast split's premises, over every code point: whitespace is never a letter or a mark,
    and casefold neither changes a mark nor makes one."""
    from bot.text import arabic

    marks = set(map(chr, arabic._MARKS))
    assert set(arabic._ALNUM_MARKS) == {ch for ch in marks if ch.isalnum()}
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        ch = chr(code)
        folded = ch.casefold()
        if ch.isspace():
            assert not ch.isalnum() and ch not in marks and folded == ch
        if ch in marks:
            assert folded == ch
        else:
            assert not marks.intersection(folded)
        if not ch.isspace():
            assert not any(x.isspace() for x in folded)


def test_normalize_agrees_with_the_reference_on_random_mixtures():
    import random

    rng = random.Random(13)
    pool = ("اأإآبتةثجحخدذرزسشصضطظعغفقكلمنهوىيئؤء٠١٢٣۴ abcXYZİßﬁ_-.,،؛:«»()\"'\n\t\u00a0\u2009"
            "\u200b\u200c\u200d\u200f\u064b\u064e\u0650\u0651\u0652\u0670\u0640\u06e5\u06e6\u06d6\ufeff\u00ad½²ک")
    for _ in range(20_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        assert normalize(text) == _reference_normalize(text), repr(text)


def test_long_paragraphs_are_cached_within_bounds():
    """A paragraph is normalized when the file is cleaned and again for its analysis: the second
    comes from a bounded cache; a line past the bound is normalized afresh, with the same key."""
    from bot.text import arabic

    paragraph = "قال الرئيس الروسي فلاديمير بوتين، في مؤتمر صحفي، إنَّ المحادثات مستمرة. " * 10
    assert 400 < len(paragraph) <= arabic._LONG_LINE_CHARS
    before = arabic._normalize_paragraph.cache_info().hits
    first = normalize(paragraph)
    assert normalize(paragraph) is first
    assert arabic._normalize_paragraph.cache_info().hits == before + 1
    assert first == _reference_normalize(paragraph)
    huge = paragraph * 20
    assert len(huge) > arabic._LONG_LINE_CHARS
    misses = arabic._normalize_paragraph.cache_info().misses
    assert normalize(huge) == _reference_normalize(huge)
    assert arabic._normalize_paragraph.cache_info().misses == misses  # never entered the cache
