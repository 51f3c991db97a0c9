"""Arabic normalization, tokenization and sentence splitting on real text."""

from __future__ import annotations

import pytest

from bot.arabic import normalize, split_sentences, strip_marks, tokens


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
    import bot.arabic as arabic

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
