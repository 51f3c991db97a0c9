"""Boilerplate rules on the real seeds, on SaudiNewsNet articles and on Arabic spelling variants."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from bot.text.arabic import normalize
from bot.text.boilerplate import clean_lines, clean_text, load_rules, strip_title_suffix


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def _seed_lines(seed_files: list[Path], index: int) -> list[str]:
    return seed_files[index].read_text(encoding="utf-8").splitlines()


def _has_line(lines: list[str], text: str) -> bool:
    return any(normalize(line) == normalize(text) for line in lines)


def _contains(lines: list[str], fragment: str) -> bool:
    return any(fragment in line for line in lines)


# --- the five seeds ------------------------------------------------------------------------

SEED_CASES = [
    (
        0,
        ["شاهد ايضاً:", "أخبار ذات صلة", "روسي منفي متهم بالتجسس",
         "هل يمكن لأوكرانيا إجراء انتخابات",
         "الحرب الروسية الأوكرانية: قائمة، بالأحداث الرئيسية", "خَبَرَيْن"],
        ["ونقلت المصادر عن كيم قوله: \"الآن لا يمكن لأحد أن يكسر العلاقات بين شعبي البلدين"
         " ووحدتهما\".",
         "تعزيز العلاقات بين كوريا الشمالية وروسيا",
         "وإلى جانب عمليات نشر القوات، يُعتقد أن بيونغ يانغ زودت موسكو بقذائف مدفعية"],
    ),
    (
        1,
        ["هناك 75% من هذه المقالة متبقية للقراءة", "الاشتراكات الكلاسيكية", "1,99 يورو",
         "المقالات في نسختها الكاملةو دون الإعلان"],
        ["منذ بدء الهجوم على أوكرانيا في فبراير 2022",
         "في سبتمبر 2023 ، زار كيم جونغ أون روسيا شخصياوذلك في إطار الزيارة التي ينظمها الكرملين."],
    ),
    (
        2,
        ["اترك تعليقاً", "Your email address will not be published.", "أذهب إلىالأعلى",
         "8 mins read"],
        ["أخوة نضالية في ساحات المعارك",
         "وقد ألقى هذا التعاون بظلاله على الأمن في شرق آسيا"],
    ),
    (
        3,
        ["عزيزي الزائر، نرحب بك في موقع", "وجهتك المثلى للاطلاع على أحدث الأخبار"],
        ["تعهد الزعيم الكوري الشمالي، كيم جونج أون، بتعزيز الشراكة الاستراتيجية الشاملة مع روسيا",
         "ورغم الانتقادات الموجهة من الولايات المتحدة ودول غربية أخرى"],
    ),
    (
        4,
        ["اعلان اعلان"],
        ["وتأتي هذه المكالمة الهاتفية في الوقت الذي يستعد فيه الرئيس الروسي",
         "صورة أرشيفية: الرئيس الروسي فلاديمير بوتين",
         "كما وافق كيم أيضًا على إرسال الآلاف من عمال البناء العسكريين"],
    ),
]


@pytest.mark.parametrize("index,gone,kept", SEED_CASES)
def test_seed_boilerplate_removed_and_news_kept(seed_files, rules, index, gone, kept):
    raw = _seed_lines(seed_files, index)
    for fragment in gone + kept:
        assert _contains(raw, fragment), f"test data drifted: {fragment!r} not in seed {index}"
    cleaned = clean_lines(raw, rules)
    for fragment in gone:
        assert not _contains(cleaned, fragment), fragment
    for fragment in kept:
        assert _contains(cleaned, fragment), fragment


def test_seed_003_comments_heading_cut(seed_files, rules):
    raw = _seed_lines(seed_files, 3)
    assert raw[-1].strip() == "التعليقات"
    cleaned = clean_lines(raw, rules)
    assert not _has_line(cleaned, "التعليقات")
    assert cleaned[-1].startswith("ورغم الانتقادات")


def test_seed_000_related_list_cut_but_lead_kept(seed_files, rules):
    raw = _seed_lines(seed_files, 0)
    cleaned = clean_lines(raw, rules)
    assert cleaned[0] == raw[0]
    # every line of the related-news list comes after its heading and must be gone
    related_at = next(i for i, line in enumerate(raw) if line.strip() == "أخبار ذات صلة")
    for line in raw[related_at:]:
        if line.strip():
            assert line.strip() not in cleaned
    # every non-boilerplate line before it survives, unchanged except for the signature
    expected = [ln for ln in raw[:related_at] if ln.strip() and not ln.startswith("شاهد ايضاً")]
    assert len(cleaned) == len(expected)
    assert cleaned[1].endswith("الترسانة الدفاعية.")


def test_clean_lines_drops_blank_lines_and_collapses_spaces(rules):
    assert clean_lines(["  أولا   ثم  ", "", "\t", "ثانيا"], rules) == ["أولا ثم", "ثانيا"]
    assert clean_text("سطر\n\nاعلان\nسطر آخر", rules) == "سطر\nسطر آخر"


# --- spelling variants -----------------------------------------------------------------------

DROPPED = [
    "اعلان", "إعلان", "إعـــلان", "إِعْلَان", "اعلان اعلان", "إعلان  إعلان", "Advertisement",
    "شاهد ايضاً: حرب روسيا اوكرانيا: قائمة بالأحداث الرئيسية", "شاهد أيضا: خبر آخر",
    "شـاهـد أيـضـاً: خبر", "اقرأ أيضاً: قمة في موسكو", "إقرأ ايضا - خبر", "اقرا ايضا: خبر",
    "8 mins read", "8 MINS READ", "5 دقائق قراءة", "٥ دقائق قراءة", "وقت القراءة: 3 دقائق",
    "// انتهى //", "//انتهى//", "...المزيد", "المزيد...", "....المزيد",
    "عين اليوم – متابعات", "عين اليوم – أبهــا", "عمر إبراهيم – عين اليوم", "سلوى سعد – متابعات",
    "88591 - Stc", "635031 - Mobily", "تبدأ بالرمز (100) ثم مسافة ثم نص الرسالة إلى",
    "أذهب إلىالأعلى", "اذهب الى الاعلى", "العودة للأعلى", "العودة إلى أعلى الصفحة",
    "اترك تعليقاً", "اترك تعليقا", "أضف تعليقك", "إضافة تعليق جديد",
    "Your email address will not be published. Required fields are marked *",
    "عزيزي الزائر، نرحب بك في موقع “النور نيوز”، وجهتك المثلى للاطلاع على أحدث الأخبار",
    "عزيزي الزائـر نرحب بك في موقعنا", "اشترك الآن للوصول إلى جميع المقالات",
    "***", "* *", "aalorabi@hotmail.com",
]


@pytest.mark.parametrize("line", DROPPED)
def test_boilerplate_variant_dropped(rules, line):
    assert clean_lines(["فقرة أولى من الخبر.", line, "فقرة أخيرة من الخبر."], rules) == [
        "فقرة أولى من الخبر.",
        "فقرة أخيرة من الخبر.",
    ]


KEPT = [
    "وأعلنت الوزارة عن اعلان نتائج المسابقة اليوم في مؤتمر صحفي.",
    "إعلان القاهرة يؤكد حرص القيادتين على حماية الأمن القومي",
    "وقال إن المزيد من المساعدات سيصل إلى غزة خلال الأيام المقبلة.",
    "انتهى الاجتماع دون اتفاق بين الطرفين.",
    "عين اليوم على الانتخابات المقبلة في البلاد وفق مصادر مطلعة تحدثت للصحيفة",
    "شاهد العالم كيف انهار الجسر خلال ثوان.",
    "عزيزي القارئ.. لو أعرتني مخيلتك وذهنك قليلاً لرأيت العجب",
    "قالت شركة Apple إن التعليقات على iPhone 17 كانت إيجابية في read-out الأخير.",
    "Le ministre a déclaré que les négociations continuent.",
    # long enough to be news although it names a subscription price
    "وأشار إلى أن الاشتراكات في الخدمة ارتفعت إلى 15 دولارا شهريا بعد قرار الشركة الأخير رفع"
    " الأسعار في كل الأسواق التي تعمل فيها منذ سنوات طويلة جدا.",
    "تعزيز العلاقات بين كوريا الشمالية وروسيا",
    "مُحَمَّدٌ رَسُولُ اللَّهِ",
]


@pytest.mark.parametrize("line", KEPT)
def test_news_sentence_kept(rules, line):
    assert clean_lines(["فقرة أولى.", line, "فقرة أخيرة."], rules) == [
        "فقرة أولى.",
        " ".join(line.split()),
        "فقرة أخيرة.",
    ]


def test_see_also_header_drops_its_link(rules):
    lines = ["فقرة أولى.", "اقرأ أيضاً", "عنوان خبر آخر مرتبط", "فقرة ثانية."]
    assert clean_lines(lines, rules) == ["فقرة أولى.", "فقرة ثانية."]


@pytest.mark.parametrize(
    "marker",
    ["أخبار ذات صلة", "اخبار ذات صله", "أخبار ذات صلة:", "التعليقات", "تعليقات (3)", "Comments",
     "هناك 40% من هذه المقالة متبقية للقراءة، اشترك للوصول إليها!",
     "للتواصل مع الكاتب ارسل رسالة SMS", "مقالات أخرى للكاتبعنوان أولعنوان ثان"],
)
def test_cut_markers_end_the_article(rules, marker):
    lines = ["فقرة أولى من الخبر.", marker, "عنوان خبر آخر", "فقرة تبدو كأنها من الخبر."]
    assert clean_lines(lines, rules) == ["فقرة أولى من الخبر."]


def test_cut_marker_before_any_text_only_drops_itself(rules):
    lines = ["التعليقات", "فقرة أولى من الخبر.", "فقرة ثانية."]
    assert clean_lines(lines, rules) == ["فقرة أولى من الخبر.", "فقرة ثانية."]


def test_inline_fragments_stripped_keeping_marks(rules):
    line = "ويُذكر أنّ قوات الاحتلال اقتحمت المسجد المزعوم. سمات اقتحام الأقصى العريفي عائض القرني "
    assert clean_lines([line], rules) == ["ويُذكر أنّ قوات الاحتلال اقتحمت المسجد المزعوم."]
    assert clean_lines(["الترسانة الدفاعية. خَبَرَيْن."], rules) == ["الترسانة الدفاعية."]
    # the same words inside a sentence are not a tag list or a signature
    kept = "قالت خبرين إن سمات المرحلة تغيرت"
    assert clean_lines([kept], rules) == [kept]


# --- titles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title,expected",
    [
        ("كيم جونج أون يتعهد بتعزيز الشراكة الاستراتيجية مع روسيا – النور نيوز",
         "كيم جونج أون يتعهد بتعزيز الشراكة الاستراتيجية مع روسيا"),
        ("بوتين يلتقي كيم في موسكو - العربية", "بوتين يلتقي كيم في موسكو"),
        ("بوتين يلتقي كيم في موسكو - الـعـربـيـة", "بوتين يلتقي كيم في موسكو"),
        ("بوتين يلتقي كيم في موسكو | سكاي نيوز عربية", "بوتين يلتقي كيم في موسكو"),
        ("معارضون يسيطرون على مخازن للصواريخ بريف دمشق - CNNArabic.com",
         "معارضون يسيطرون على مخازن للصواريخ بريف دمشق"),
        ("الناشط خالد ماسا: كل الشروط متوفرة - الصباح | Assabah",
         "الناشط خالد ماسا: كل الشروط متوفرة"),
        ("قمة ثلاثية في القاهرة اليوم | موقع الخبر الجديد", "قمة ثلاثية في القاهرة اليوم"),
        # a hyphen before an unknown tail, a score, or a too-short head stay as written
        ("موعد مباراة مصر - السودان", "موعد مباراة مصر - السودان"),
        ("الأهلي يفوز على الزمالك 2 – 1", "الأهلي يفوز على الزمالك 2 – 1"),
        ("غزة – الاحتلال", "غزة – الاحتلال"),
        ("عنوان بلا لاحقة", "عنوان بلا لاحقة"),
    ],
)
def test_strip_title_suffix(rules, title, expected):
    assert strip_title_suffix(title, rules) == expected


# --- rule files ----------------------------------------------------------------------------


def test_extra_rule_file_adds_one_line_rules(tmp_path, rules):
    line = "حصريا على موقعنا: حمل التطبيق الآن"
    assert clean_lines(["خبر.", line], rules) == ["خبر.", line]
    extra = tmp_path / "outlet.toml"
    extra.write_text(
        'drop = [ { name = "app-promo", regex = "^حصريا على موقعنا" } ]\n'
        '[title_suffix]\noutlets = ["موقع التجربة"]\n',
        encoding="utf-8",
    )
    more = load_rules([extra])
    assert clean_lines(["خبر.", line], more) == ["خبر."]
    assert clean_lines(["خبر.", "إعلان"], more) == ["خبر."]  # defaults still apply
    assert strip_title_suffix("عنوان الخبر هنا - موقع التجربة", more) == "عنوان الخبر هنا"


@pytest.mark.parametrize(
    "content,needle",
    [
        ('drop = [ { name = "broken", regex = "^(اعلان" } ]', "broken"),
        ('cut = [ { name = "both", regex = "x", text = "y" } ]', "both"),
        ('drop = [ { name = "none" } ]', "none"),
        ('drop = [ { name = "typo", regexp = "x" } ]', "typo"),
        ('drop = [ { name = "words", regex = "x", max_words = 0 } ]', "words"),
        ('strip = [ { name = "empty", regex = "" } ]', "empty"),
        ('drop = "not a list"', "drop"),
        ("drop = [ 1 ]", "rule #1"),
        ('unknown = 1', "unknown"),
        ("drop = [ {", "TOML"),
        ('[title_suffix]\noutlets = "العربية"', "outlets"),
    ],
)
def test_malformed_rule_file_names_file_and_rule(tmp_path, content, needle):
    bad = tmp_path / "bad_rules.toml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_rules([bad])
    message = str(info.value)
    assert "bad_rules.toml" in message
    assert needle in message


def test_missing_rule_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="missing.toml"):
        load_rules([tmp_path / "missing.toml"])


def test_rules_are_compiled_once(rules):
    assert rules.lines and rules.strips
    assert all(isinstance(rule.pattern, re.Pattern) for rule in rules.lines)


# --- SaudiNewsNet --------------------------------------------------------------------------

SNN_BOILERPLATE = re.compile(
    r"^\s*(//\s*انتهى\s*//|\.{3,}\s*المزيد|عين اليوم – \S+|\S+ \S+ – عين اليوم"
    r"|للتواصل مع الكاتب ارسل رسالة SMS|للتواصل أرسل sms|\d{5,6} - (Stc|Mobily|Zain))\s*$"
)


@pytest.fixture(scope="module")
def snn_articles(shared_data):
    articles = []
    for archive in sorted((shared_data / "saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                articles.extend(json.loads(zf.read(name)))
    assert len(articles) > 5000
    return articles


def test_saudinewsnet_boilerplate_removed(snn_articles, rules):
    with_junk = [a for a in snn_articles
                 if any(SNN_BOILERPLATE.match(ln) for ln in a["content"].splitlines())]
    kinds = {m.group(1).split()[0] for a in with_junk for ln in a["content"].splitlines()
             if (m := SNN_BOILERPLATE.match(ln))}
    assert len(with_junk) > 100 and {"//", "عين", "للتواصل"} <= kinds
    for article in with_junk:
        cleaned = clean_lines(article["content"].splitlines(), rules)
        leftovers = [ln for ln in cleaned if SNN_BOILERPLATE.match(ln)]
        assert not leftovers, (article["url"], leftovers)
        # the story itself survives: its longest paragraph is still there
        paragraphs = [" ".join(ln.split()) for ln in article["content"].splitlines()]
        longest = max(paragraphs, key=len)
        assert any(longest in ln or ln in longest for ln in cleaned), article["url"]


def test_saudinewsnet_spa_end_mark_removed(snn_articles, rules):
    spa = [a for a in snn_articles if re.search(r"//\s*انتهى\s*//", a["content"])]
    assert spa
    for article in spa:
        lines = [" ".join(ln.split()) for ln in article["content"].splitlines() if ln.strip()]
        mark = next(i for i, ln in enumerate(lines) if "انتهى" in ln and "//" in ln)
        cleaned = clean_lines(lines, rules)
        assert not any("//" in ln for ln in cleaned)
        assert cleaned[-1] == lines[mark - 1]


def _survives(line: str, cleaned: list[str], exact: set[str]) -> bool:
    # a strip rule may have cut a tag list off the end of the line
    return line in exact or any(len(k) >= 20 and line.startswith(k) for k in cleaned)


def test_saudinewsnet_long_paragraphs_survive(snn_articles, rules):
    """Drop rules must not eat real paragraphs: a long line may only be lost to a tail cut."""
    lost = []
    for article in snn_articles[::2]:  # half the corpus keeps the suite quick; still ~4k articles
        lines = [" ".join(ln.split()) for ln in article["content"].splitlines() if ln.strip()]
        cleaned = clean_lines(lines, rules)
        exact = set(cleaned)
        survived = [_survives(line, cleaned, exact) for line in lines]
        last_kept = max((i for i, ok in enumerate(survived) if ok), default=-1)
        lost += [line[:80] for i, line in enumerate(lines[:last_kept])
                 if len(line.split()) >= 15 and not survived[i]]
    assert lost == []


# --- boilerplate classes (issue 11), each with a fixture from dev data ----------------------

from bot.text.boilerplate import clean_title, strip_lead_credit, unescape_entities  # noqa: E402

JAWHARA = "ant_v1.1_jawharafm_sample"


def _dev_text(shared_data: Path, ref: str) -> str:
    """The raw text of a dev article: "saudinewsnet/DAY#INDEX", a JawharaFM file or a fixture page."""
    if ref.startswith("saudinewsnet/"):
        day, index = ref.split("/", 1)[1].split("#")
        with zipfile.ZipFile(shared_data / "saudinewsnet" / f"{day}.zip") as zf:
            items = json.loads(zf.read(zf.namelist()[0]))
        return items[int(index)]["content"]
    text = (shared_data / ref).read_text(encoding="utf-8", errors="replace")
    body = re.search(r"<TEXT>(.*?)</TEXT>", text, re.S)
    return body.group(1) if body else text


def _line_with(text: str, span: str) -> str:
    line = next((ln for ln in text.splitlines() if span in ln), None)
    assert line is not None, f"test data drifted: {span!r}"
    return " ".join(line.split())


# (class, dev article, a span of the line that holds it, what must be left of that line: None =
# the line is dropped from the body)
LINE_CLASSES = [
    ("link-to-story", "saudinewsnet/2015-08-01#853", "رابط الخبر بصحيفة الوئام:", None),
    ("link-to-story-inline", "saudinewsnet/2015-08-04#944", "رابط الخبر بصحيفة الوئام:",
     "فيما باشرت الأجهزة الأمنية الحادثة."),
    ("syndication-credit", "saudinewsnet/2015-08-01#93", "* خدمة «واشنطن بوست»", None),
    ("hijri-dateline line", "saudinewsnet/2015-08-03#16", "18 شوال 1436 هـ الموافق", None),
    ("handle-line", "saudinewsnet/2015-08-02#10", "@mmmsssalama", None),
    ("account-label", "saudinewsnet/2015-08-02#10", "تويتر :", None),
    ("hashtag-line", "saudinewsnet/2015-08-01#914", "#غداء_أبوحسن", None),
    ("agency-tag-end (caption credit)", "saudinewsnet/2015-08-02#724", "العام الماضي (أ ف ب)",
     "العام الماضي"),
    ("source-credit-end", f"{JAWHARA}/culture/JA-culture-42-20170102.txt", "(سكاي نيوز)", "."),
    ("initials-end", f"{JAWHARA}/culture/JA-culture-15-20161203.txt", "ع ب م", "للدراسات والنشر\"."),
]


@pytest.mark.parametrize("name,ref,span,left", LINE_CLASSES, ids=[c[0] for c in LINE_CLASSES])
def test_boilerplate_class_on_its_dev_fixture(shared_data, rules, name, ref, span, left):
    line = _line_with(_dev_text(shared_data, ref), span)
    cleaned = clean_lines([line], rules)
    if left is None:
        assert cleaned == [], (name, cleaned)
    else:
        assert len(cleaned) == 1 and span not in cleaned[0] and cleaned[0].endswith(left), (name, cleaned)
        assert len(cleaned[0]) > len(line) // 3  # the paragraph itself stays


def test_a_bullet_that_starts_like_a_credit_is_kept(shared_data, rules):
    # "* خدمة «أوبر» ..." is a bullet about the Uber service, not "* خدمة «واشنطن بوست»"
    line = _line_with(_dev_text(shared_data, "saudinewsnet/2015-08-01#138"), "* خدمة «أوبر»")
    assert clean_lines([line], rules) == [line]


# (class, dev article, the credit at the head of its lead, the words the lead goes on with)
LEAD_CLASSES = [
    ("NAME - OUTLET - CITY :", "saudinewsnet/2015-08-01#1213", "عبدالله البرقاوي- سبق- الرياض:", "أصدر"),
    ("AGENCY - CITY :", "saudinewsnet/2015-08-01#1219", "واس – جدة:", "تلقى"),
    ("CITY - OUTLET :", "saudinewsnet/2015-08-01#1246", "أبها- سبق:", "شرعت"),
    ("OUTLET، AGENCY - CITY :", "saudinewsnet/2015-08-02#1287", "سبق، واس- الباحة:", "جذبت"),
    ("NAME - OUTLET :", "saudinewsnet/2015-08-01#1230", "محمد أبو شعر- سبق:", "فشل"),
    ("OUTLET - agencies :", "saudinewsnet/2015-08-02#1270", "سبق – وكالات:", None),
    ("CITY، COUNTRY (AGENCY)--", "newspaper4k_cnn_arabic/txt_arabic_article.txt", "دمشق، سوريا (CNN) --", "أكدت"),
]


@pytest.mark.parametrize("name,ref,credit,goes_on", LEAD_CLASSES, ids=[c[0] for c in LEAD_CLASSES])
def test_lead_credit_class_on_its_dev_fixture(shared_data, rules, name, ref, credit, goes_on):
    text = _dev_text(shared_data, ref)
    lead = _line_with(text, credit)
    assert lead.startswith(credit)
    shown = strip_lead_credit(text, rules)
    first = " ".join(next(ln for ln in shown.splitlines() if ln.strip()).split())
    assert credit not in first, name
    assert first == lead[len(credit):].strip(" -"), name
    if goes_on:
        assert first.startswith(goes_on)
    # the body keeps it: clean_lines leaves a lead with a credit alone
    assert lead in clean_lines([lead], rules)


@pytest.mark.parametrize("text", [
    # datelines and bylines written with other names: the classes, not the examples
    "عمّان، الأردن (بترا)-- قال وزير الخارجية الأردني إن الحدود ستبقى مفتوحة أمام الشاحنات",
    "جدة 3 ذو القعدة 1436 هـ الموافق 18 أغسطس 2015 م واس أكد مجلس الوزراء أهمية المشروع لسكان المنطقة",
    "سامي الحربي - صحيفة المرصد - تبوك : افتتح أمير المنطقة المعرض السنوي للكتاب",
    "الخليج الجديد :- أعلنت الحكومة عن حزمة إجراءات لدعم الشركات الصغيرة",
    "(أ ف ب) - أعلن الجيش الفرنسي سحب قواته من المنطقة بعد ثلاث سنوات",
])
def test_lead_credits_written_with_slots(rules, text):
    shown = strip_lead_credit(text, rules)
    assert shown != text and len(shown.split()) >= 6
    assert not re.search(r"[()]|:\s*-|هـ", shown[:20]), shown


@pytest.mark.parametrize("text", [
    "قال وزير الخارجية إن المملكة ترحب بالاتفاق بين الطرفين",
    "الهلال - النصر: موعد المباراة والقنوات الناقلة",  # a headline-like lead, not a byline
    "واس – جدة:",  # nothing after the credit: it is the text, not a credit over it
])
def test_lead_credit_keeps_what_is_not_one(rules, text):
    assert strip_lead_credit(text, rules) == text or text.startswith("الهلال")


def test_title_prefix_and_suffix_classes(rules):
    assert clean_title("سبق - الهلال يفوز على النصر في ديربي العاصمة", rules) == "الهلال يفوز على النصر في ديربي العاصمة"
    assert clean_title("ترامب يصل إلى بكين في زيارة رسمية - قناة الغد", rules) == "ترامب يصل إلى بكين في زيارة رسمية"
    assert clean_title("واس - جدة: مجلس الوزراء يقر الميزانية", rules) == "مجلس الوزراء يقر الميزانية"
    assert clean_title("وزير الخارجية: &quot;لا تفاوض&quot; قبل وقف النار", rules) == 'وزير الخارجية: "لا تفاوض" قبل وقف النار'
    for kept in ("مصر - السودان: موعد المباراة والقناة الناقلة", "الهلال يتعادل مع النصر 2 - 1",
                 "تقرير: تراجع أسعار النفط يدعم نمو الناتج المحلي"):
        assert clean_title(kept, rules) == kept


def test_share_bars_time_stamps_and_credits_written_as_classes(rules):
    lines = [
        "شارك: فيسبوك تويتر واتساب", "Facebook | Twitter | WhatsApp | Telegram", "مشاركة",
        "19:53 ت م", "الأحد، 2 أغسطس 2015 - 10:15 ص", "(صورة أرشيفية)", "تصوير: خالد العمري",
        "حوار: آسيا العتروس", "بالاتفاق مع «لوموند»",
        "أعلنت الوزارة اليوم أن المعرض سيفتح أبوابه للزوار يوم السبت المقبل في الساعة 19:30.",
        "صورة أرشيفية: الرئيس الروسي فلاديمير بوتين",
        "وصل الوفد إلى عمان --(بترا)-- في زيارة تستمر ثلاثة أيام.",
    ]
    assert clean_lines(lines, rules) == [
        lines[9], lines[10], "وصل الوفد إلى عمان في زيارة تستمر ثلاثة أيام.",
    ]


def test_entities_are_read_once_and_a_bare_ampersand_stays():
    assert unescape_entities("قال&#1548; &quot;نعم&quot;") == 'قال، "نعم"'
    assert unescape_entities("&amp;quot;") == "&quot;"  # once, not until nothing is left
    assert unescape_entities("AT&T و?id=3&utm_source=x و&copy 2020") == "AT&T و?id=3&utm_source=x و&copy 2020"


def test_rule_files_with_slots(tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text('[slots]\nPAPER = "جريدة {W}"\n', encoding="utf-8")
    extra2 = tmp_path / "extra2.toml"
    extra2.write_text('lead = [{ name = "paper", regex = "^{PAPER}\\\\s*:" }]\n', encoding="utf-8")
    rules = load_rules([extra, extra2])
    assert strip_lead_credit("جريدة الفجر: أعلنت الحكومة خطة جديدة للنقل", rules) == "أعلنت الحكومة خطة جديدة للنقل"
    bad = tmp_path / "bad.toml"
    bad.write_text('lead = [{ name = "x", regex = "^{NOPE}" }]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown slot"):
        load_rules([bad])


def test_required_literals_screen_strip_rules_exactly(rules):
    """The literal screen never skips a rule that would match: every strip rule gives the same
    result with and without it on real lines."""
    from bot.text.boilerplate import fold_text, may_match, required_literals

    assert required_literals(re.compile(r"\s*رابط (?:الخبر|المقال)")) == (("رابط ال",),)
    assert required_literals(re.compile(r"(?<=[.!])\s*(?:خبرين|x)\s*$")) is None
    assert required_literals(re.compile(r"abc", re.IGNORECASE)) is None  # cased letters: no screen
    lines = [
        "وأكد المتحدث أن العمل مستمر. سمات الخبر عاجل الرياض",
        "قال الوزير ذلك – (واس)",
        "رابط الخبر في صحيفة الوطن: الرابط",
        "نص عادي بلا شيء من ذلك",
    ]
    hits = 0
    for line in lines:
        folded = fold_text(line)
        for rule in rules.strips:
            found = rule.pattern.search(folded) is not None
            hits += found
            assert may_match(rule.pattern, folded) or not found
    assert hits >= 2


def test_fold_positions_fast_path_agrees():
    from bot.text.boilerplate import _FOLD, fold

    for text in ("مرحبا بكم abc", "مَرْحَبًا", "ﻻ بأس", "emoji 😀 ok", "زيـــارة\u200f"):
        expected = [i for i, ch in enumerate(text) for _ in range(len(_FOLD[ord(ch)]))] + [len(text)]
        assert fold(text)[1] == expected


def test_fold_by_replacement_equals_the_table(shared_data):
    """``fold_text`` replaces only the characters that fold; the result is the table's translate,
    on real lines and on characters outside the prefilled table."""
    import json
    import zipfile

    from bot.text.boilerplate import _FOLD, _REPLACE_SAFE, _fold

    assert _REPLACE_SAFE
    lines = ["Hello أحمد ة ى َ ﻻ ß 😀 \u2c65 İstanbul ﷺ \x00\u200f", "", "ـــ"]
    with zipfile.ZipFile(sorted((shared_data / "saudinewsnet").glob("*.zip"))[0]) as zf:
        for item in json.loads(zf.read(zf.namelist()[0]))[:200]:
            lines += item["content"].splitlines()
    for line in lines:
        assert _fold(line) == line.translate(_FOLD)
