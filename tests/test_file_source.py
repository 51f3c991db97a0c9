"""The file source on the seeds, odd encodings, broken files, Markdown, HTML and SaudiNewsNet."""

from __future__ import annotations

import json
import logging
import os
import re
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from bot.text.arabic import normalize
from bot.sources import files
from bot.sources.files import (
    SkippedFile,
    decode_bytes,
    iter_article_files,
    load_articles,
    read_article_file,
)

SEED_TITLES = [
    "تعزيز العلاقات الكورية الشمالية الروسية في الحرب",
    "منذ بدء الهجوم على أوكرانيا في فبراير 2022، أبدت دول قليلة نفس القدر من الولاء والدعم تجاه"
    " روسيا مثل كوريا الشمالية",
    "بوتين لكيم: صداقة روسيا وكوريا الشمالية لا تُقهر وسط الحرب",
    "كيم جونج أون يتعهد بتعزيز الشراكة الاستراتيجية مع روسيا",
    "أجرى الزعيم الكوري الشمالي كيم جونغ أون والرئيس الروسي فلاديمير بوتين اتصالا هاتفيا لمناقشة"
    " تعزيز العلاقات بين البلدين…",
]

# Boilerplate that must not reach the body, and news that must, per seed.
SEED_BODY = [
    (["شاهد ايضاً", "أخبار ذات صلة", "روسي منفي متهم بالتجسس", "خَبَرَيْن"],
     ["عزز كيم جونغ أون علاقات كوريا الشمالية مع روسيا عبر \"تقاسم الدماء\"",
      "ونقلت المصادر عن كيم قوله", "إزالة الألغام الأرضية في منطقة كورسك"]),
    (["هناك 75%", "الاشتراكات", "يورو"],
     ["ويبدو أن نقل الصواريخ الباليستية Hwasong-11A، أو KN-23",
      "في سبتمبر 2023 ، زار كيم جونغ أون روسيا"]),
    (["اترك تعليقاً", "Your email address", "أذهب إلىالأعلى", "mins read", "ديسمبر 25, 2025"],
     ["بوتين يشيد في رسالة لكيم جونج أون بالصداقة التي لا تقهر",
      "وقد ألقى هذا التعاون بظلاله على الأمن في شرق آسيا"]),
    (["عزيزي الزائر", "النور نيوز", "التعليقات"],
     ["تعهد الزعيم الكوري الشمالي، كيم جونج أون، بتعزيز الشراكة الاستراتيجية",
      "ورغم الانتقادات الموجهة من الولايات المتحدة"]),
    (["اعلان", "date", "2025-08-13"],
     ["كما وافق كيم أيضًا على إرسال الآلاف من عمال البناء العسكريين"]),
]


@pytest.fixture(scope="module")
def seed_articles(seed_files):
    return [read_article_file(path) for path in seed_files]


@pytest.mark.parametrize("index", range(5))
def test_seed_titles(seed_articles, index):
    assert seed_articles[index].title == SEED_TITLES[index]


def test_long_lead_title_is_cut_at_a_word(seed_articles, seed_files):
    title = seed_articles[4].title
    assert len(title) <= files.MAX_TITLE_CHARS + 1 and title.endswith("…")
    lead = seed_files[4].read_text(encoding="utf-8")
    assert title[:-1] + " " in lead  # ends on a whole word


@pytest.mark.parametrize("index", range(5))
def test_seed_bodies(seed_articles, index):
    article = seed_articles[index]
    gone, kept = SEED_BODY[index]
    for fragment in gone:
        assert fragment not in article.body, fragment
    for fragment in kept:
        assert fragment in article.body, fragment
    lines = article.body.split("\n")
    assert all(line.strip() == line and line for line in lines)  # one paragraph per line


def test_heading_title_not_repeated_in_body(seed_articles):
    for index in (0, 2, 3):
        article = seed_articles[index]
        first = article.body.split("\n")[0]
        keys = {normalize(line) for line in article.body.split("\n")}
        assert normalize(article.title) not in keys
        assert normalize(first) != normalize(article.title)
    # seed 002 printed its headline twice with a blank line between: neither copy is body text
    assert seed_articles[2].body.startswith("بوتين يشيد في رسالة لكيم")


def test_lead_paragraph_stays_in_body_when_it_gave_the_title(seed_articles):
    assert seed_articles[1].body.startswith("منذ بدء الهجوم على أوكرانيا في فبراير 2022")
    assert seed_articles[4].body.startswith("أجرى الزعيم الكوري الشمالي كيم جونغ أون")


@pytest.mark.parametrize("index,expected", [(2, date(2025, 12, 25)), (4, date(2025, 8, 13))])
def test_stated_dates(seed_articles, index, expected):
    article = seed_articles[index]
    assert article.published_at == datetime(expected.year, expected.month, expected.day,
                                            tzinfo=timezone.utc)
    assert article.date_source == "text"


def test_undated_files_use_mtime(tmp_path, seed_files):
    stamp = datetime(2024, 3, 5, 6, 7, 8, tzinfo=timezone.utc).timestamp()
    for index in (0, 1, 3):
        copy = tmp_path / seed_files[index].name
        copy.write_bytes(seed_files[index].read_bytes())
        os.utime(copy, (stamp, stamp))
        article = read_article_file(copy)
        assert article.date_source == "mtime"
        assert article.published_at == datetime.fromtimestamp(stamp, tz=timezone.utc)


def test_article_fields(seed_files):
    article = read_article_file(seed_files[3], source="local-drop")
    assert article.source == "local-drop"
    assert article.url == str(seed_files[3])
    assert article.published_at.tzinfo is not None


# --- encodings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "index,encoding",
    [(3, "cp1256"), (2, "cp1256"), (0, "utf-8-sig"), (2, "utf-8-sig"), (4, "iso-8859-6"),
     (0, "iso-8859-6"), (1, "utf-16")],
)
def test_legacy_encodings_give_the_same_article(tmp_path, seed_files, seed_articles, index,
                                                encoding):
    original = seed_articles[index]
    path = tmp_path / f"copy_{encoding}.txt"
    path.write_bytes(seed_files[index].read_text(encoding="utf-8").encode(encoding))
    assert path.read_bytes() != seed_files[index].read_bytes()
    article = read_article_file(path)
    assert (article.title, article.body) == (original.title, original.body)


def test_decode_prefers_strict_utf8():
    text = "نص عربي مع é و ™"
    assert decode_bytes(text.encode("utf-8")) == text


# --- bad files -----------------------------------------------------------------------------


@pytest.fixture()
def messy_folder(tmp_path, seed_files):
    folder = tmp_path / "inbox"
    (folder / "nested").mkdir(parents=True)
    (folder / "a_good.txt").write_bytes(seed_files[3].read_bytes())
    (folder / "nested" / "b_good.txt").write_bytes(seed_files[2].read_bytes())
    (folder / "c_empty.txt").write_bytes(b"")
    (folder / "d_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (folder / "e_garbage.txt").write_bytes(bytes(range(0x80, 0xC0)) * 40)
    with open(folder / "f_huge.txt", "wb") as fh:  # sparse: size without the disk space
        fh.truncate(50_000_000)
    (folder / "g_blank.md").write_text(" \n\t\n", encoding="utf-8")
    (folder / "notes.json").write_text("{}", encoding="utf-8")
    (folder / ".hidden.txt").write_bytes(seed_files[0].read_bytes())
    return folder


def test_bad_files_skipped_with_one_warning_each(messy_folder, caplog, monkeypatch):
    opened: list[str] = []
    real_open = open

    def spy(path, *args, **kwargs):
        opened.append(Path(path).name)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(files, "open", spy, raising=False)
    with caplog.at_level(logging.WARNING, logger="bot.sources.files"):
        articles = list(load_articles([messy_folder]))
    assert [a.title for a in articles] == [
        "كيم جونج أون يتعهد بتعزيز الشراكة الاستراتيجية مع روسيا",
        "بوتين لكيم: صداقة روسيا وكوريا الشمالية لا تُقهر وسط الحرب",
    ]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    skipped = {"c_empty.txt": "empty", "d_binary.txt": "binary", "e_garbage.txt": "undecodable",
               "f_huge.txt": "too large", "g_blank.md": "empty"}
    assert len(warnings) == len(skipped)
    for name, reason in skipped.items():
        lines = [r.getMessage() for r in warnings if name in r.getMessage()]
        assert len(lines) == 1 and reason in lines[0], (name, lines)
        assert "\n" not in lines[0]
    assert "f_huge.txt" not in opened  # size is checked before reading


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("empty.txt", b"", "empty"),
        ("spaces.txt", b"  \n\r\n ", "empty"),
        ("nul.txt", "نص".encode() + b"\x00\x01\x02", "binary"),
        ("controls.txt", bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15]) * 20 + b"abc", "binary"),
        ("garbage.txt", bytes(range(0x80, 0x100)) * 10, "undecodable"),
        ("bad_bom.txt", b"\xef\xbb\xbf" + bytes(range(0x80, 0xC0)), "UTF-8"),
        ("only_ads.txt", "اعلان\nإعلان\n// انتهى //\n".encode(), "boilerplate"),
    ],
)
def test_skip_reasons(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SkippedFile) as info:
        read_article_file(path)
    assert reason in info.value.reason
    assert isinstance(info.value, Exception) and "\n" not in str(info.value)


def test_oversized_limit_is_configurable(tmp_path, seed_files):
    path = tmp_path / "seed.txt"
    path.write_bytes(seed_files[0].read_bytes())
    with pytest.raises(SkippedFile, match="too large"):
        read_article_file(path, max_bytes=100)
    assert read_article_file(path, max_bytes=path.stat().st_size).title == SEED_TITLES[0]


def test_iter_article_files(messy_folder, tmp_path):
    found = iter_article_files([messy_folder])
    assert found == sorted(found)
    assert [p.name for p in found] == [
        "a_good.txt", "c_empty.txt", "d_binary.txt", "e_garbage.txt", "f_huge.txt", "g_blank.md",
        "b_good.txt"]
    upper = tmp_path / "UPPER.HTM"
    upper.write_text("<p>x</p>", encoding="utf-8")
    assert iter_article_files([upper, upper, messy_folder / "a_good.txt"]) == sorted(
        [upper, messy_folder / "a_good.txt"])
    assert iter_article_files([messy_folder / "notes.json"]) == []
    with pytest.raises(FileNotFoundError):
        iter_article_files([tmp_path / "nope"])


# --- Arabic edge cases ---------------------------------------------------------------------


def test_arabic_edge_cases(tmp_path):
    text = "\n".join([
        "عَزِيزِي الزَّائِر، نُرَحِّبُ بِكَ فِي مَوْقِعِنَا",
        "الــرئــيــس يــلــتــقــي وفــد Google فــي الــريــاض – موقع الخبر",
        "٢٥ ديسمبر ٢٠٢٥",
        "إعـــلان",
        "أعلنت شركة Google أنها ستفتح مكتبا في الرياض، وقال متحدث إن الـ AI سيغير السوق.",
        "شـاهِـد أيْـضـاً: خبر آخر",
        "\u200fوتابع المتحدث أن الإعلان الرسمي سيصدر غدا.",
    ])
    path = tmp_path / "edge.txt"
    path.write_text(text, encoding="utf-8")
    article = read_article_file(path)
    assert article.title == "الــرئــيــس يــلــتــقــي وفــد Google فــي الــريــاض"
    assert article.published_at.date() == date(2025, 12, 25)
    assert article.body.split("\n") == [
        "أعلنت شركة Google أنها ستفتح مكتبا في الرياض، وقال متحدث إن الـ AI سيغير السوق.",
        "\u200fوتابع المتحدث أن الإعلان الرسمي سيصدر غدا.",
    ]


# --- markdown ------------------------------------------------------------------------------


def test_markdown(tmp_path):
    path = tmp_path / "note.md"
    path.write_text(
        "# قمة **الرياض** الاقتصادية – العربية\n\n"
        "نشر في 2024-05-06\n\n"
        "افتتحت [القمة](https://example.com/summit) أعمالها *اليوم*\n"
        "بحضور وفود من عشرين دولة.\n\n"
        "## المحاور\n\n"
        "- الطاقة المتجددة\n"
        "- التجارة `الرقمية`\n\n"
        "![صورة](img.png)\n\n"
        "> وقال الأمين العام إن القمة __ناجحة__.\n\n"
        "---\n\n"
        "أخبار ذات صلة\n\n"
        "- [خبر آخر](https://example.com/other)\n",
        encoding="utf-8",
    )
    article = read_article_file(path)
    assert article.title == "قمة الرياض الاقتصادية"
    assert article.published_at.date() == date(2024, 5, 6) and article.date_source == "text"
    assert article.body.split("\n") == [
        "افتتحت القمة أعمالها اليوم بحضور وفود من عشرين دولة.",
        "المحاور",
        "الطاقة المتجددة",
        "التجارة الرقمية",
        "وقال الأمين العام إن القمة ناجحة.",
    ]


def test_markdown_front_matter(tmp_path):
    path = tmp_path / "front.md"
    path.write_text('---\ntitle: "عنوان من البيانات"\ndate: 2023-02-01\n---\nنص الخبر هنا.\n',
                    encoding="utf-8")
    article = read_article_file(path)
    assert (article.title, article.body) == ("عنوان من البيانات", "نص الخبر هنا.")
    assert article.published_at.date() == date(2023, 2, 1)


# --- html ----------------------------------------------------------------------------------


def _paragraphs(text: str) -> list[str]:
    return [normalize(p) for p in text.split("\n") if p.strip()]


def test_html_cnn_arabic(shared_data):
    folder = shared_data / "newspaper4k_cnn_arabic"
    article = read_article_file(folder / "html_arabic_article.html")
    meta = json.loads((folder / "metadata_arabic_article.json").read_text(encoding="utf-8"))
    assert article.title == meta["title"]
    expected = _paragraphs((folder / "txt_arabic_article.txt").read_text(encoding="utf-8"))
    body = _paragraphs(article.body)
    assert len(expected) == 7
    for paragraph in expected:
        assert paragraph in body
    assert len(body) == len(expected)  # nothing else: the comment policy lines are gone
    assert "ترحب شبكة CNN" not in article.body
    # the stamp printed under the headline: "الأربعاء، 28 آب/اغسطس 2013، آخر تحديث 14:00"
    assert article.published_at == datetime(2013, 8, 28, tzinfo=timezone.utc)


def test_html_assabah_snippets(shared_data):
    folder = shared_data / "trafilatura_assabah"
    evaluation = next(iter(json.loads((folder / "evaldata_assabah.json").read_text()).values()))
    article = read_article_file(folder / evaluation["file"])
    text = article.title + "\n" + article.body
    for snippet in evaluation["with"]:
        assert snippet in text, snippet
    for snippet in evaluation["without"]:
        assert snippet not in text, snippet
    assert article.title == " ".join(evaluation["title"].split())
    assert not article.body.startswith(article.title)
    # dc:date and the stamp under the headline: "الجمعة 8 فيفري 2019"
    assert article.published_at.date() == date(2019, 2, 8)


def test_html_without_text_is_skipped(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><head><title>x</title></head><body><script>var a = 1;</script>"
                    "</body></html>", encoding="utf-8")
    with pytest.raises(SkippedFile, match="no article text"):
        read_article_file(path)


def test_html_in_windows_1256(tmp_path, shared_data):
    html = (shared_data / "newspaper4k_cnn_arabic" / "html_arabic_article.html").read_text(
        encoding="utf-8")
    html = html.replace("charset=UTF-8", "charset=windows-1256")
    path = tmp_path / "page.htm"
    path.write_bytes(html.encode("cp1256", errors="replace"))
    article = read_article_file(path)
    assert article.title == "معارضون يسيطرون على مخازن للصواريخ بريف دمشق"
    assert "المرصد السوري لحقوق الإنسان" in article.body


# --- SaudiNewsNet through the file source --------------------------------------------------

SNN_JUNK = re.compile(r"//\s*انتهى\s*//|^\.{3,}المزيد$|– عين اليوم$|^عين اليوم –|SMS$|^\d{6} - ",
                      re.MULTILINE)


def test_saudinewsnet_articles_from_files(shared_data, tmp_path):
    picked = []
    with zipfile.ZipFile(shared_data / "saudinewsnet" / "2015-08-06.zip") as zf:
        articles = json.loads(zf.read(zf.namelist()[0]))
    for article in articles:
        if SNN_JUNK.search(article["content"]) and article["title"].strip():
            picked.append(article)
    assert len(picked) >= 20
    for i, article in enumerate(picked):
        path = tmp_path / f"snn_{i:03}.txt"
        path.write_text(article["title"] + "\n" + article["content"], encoding="utf-8")
    loaded = list(load_articles([tmp_path]))
    assert len(loaded) == len(picked)
    for source, article in zip(picked, loaded):
        assert article.title == " ".join(source["title"].split())
        assert not SNN_JUNK.search(article.body), article.url
        paragraphs = [" ".join(p.split()) for p in source["content"].splitlines()]
        longest = max(paragraphs, key=len)
        assert longest[:100] in article.body, article.url  # tag lists may be cut off its end


def test_a_one_line_file_is_searched_for_its_date_only_at_its_start(tmp_path, seed_files, monkeypatch):
    """A 2 MB file on one line took minutes: the stated-date search re-read the whole line for
    every date in it. It reads the start of the first lines only, whatever the file's length."""
    seed = " ".join(seed_files[2].read_text(encoding="utf-8").split())
    path = tmp_path / "one_line.txt"
    path.write_text("بتاريخ 13 أغسطس 2025 " + " ".join([seed] * 60), encoding="utf-8")
    seen: list[int] = []
    real = files.locate_publication_date

    def counting(text: str):
        seen.append(len(text))
        return real(text)

    monkeypatch.setattr(files, "locate_publication_date", counting)
    article = read_article_file(path, max_bytes=3_000_000)
    assert path.stat().st_size > 300_000 and max(seen) <= 2 * files.HEAD_LINES * (files._DATE_SCAN_CHARS + 1)
    assert article.published_at.date() == date(2025, 8, 13) and article.date_source == "text"
    assert "13 أغسطس 2025" not in article.body[:200] and len(article.body) > 150_000


def test_a_reader_crash_on_one_file_skips_that_file_only(tmp_path, seed_files, monkeypatch, caplog):
    for i, f in enumerate(seed_files[:3]):
        (tmp_path / f"{i}.txt").write_bytes(f.read_bytes())
    real = files._assemble

    def crash_on_second(parsed, rules):
        if any("1.txt" in str(a) for a in crash_on_second.paths[-1:]):
            raise RecursionError("maximum recursion depth exceeded")
        return real(parsed, rules)

    crash_on_second.paths = []
    real_read = files._read_bytes

    def reading(path, max_bytes):
        crash_on_second.paths.append(path)
        return real_read(path, max_bytes)

    monkeypatch.setattr(files, "_read_bytes", reading)
    monkeypatch.setattr(files, "_assemble", crash_on_second)
    with caplog.at_level(logging.WARNING):
        got = [a.url for a in files.load_articles([tmp_path])]
    assert [Path(u).name for u in got] == ["0.txt", "2.txt"]
    assert "unexpected RecursionError" in caplog.text


# --- cleaning (issue 11): entities, datelines and bylines in headlines ------------------------


def test_entities_in_a_text_file_are_read_once_and_a_bare_ampersand_stays(tmp_path, seed_files):
    seed = seed_files[2].read_text(encoding="utf-8")
    first_comma = seed.index("،")
    text = seed[:first_comma] + "&#1548;" + seed[first_comma + 1:]
    text += "\nالمصدر: https://www.jawharafm.net/ar/article?id=77363&utm_source=rss &amp;quot;\n"
    path = tmp_path / "escaped.txt"
    path.write_text(text, encoding="utf-8")
    article = read_article_file(path)
    plain = read_article_file(seed_files[2])
    assert "&#1548;" not in article.body and article.body.startswith(plain.body[:200])
    assert "id=77363&utm_source=rss &quot;" in article.body  # bare "&" kept, "&amp;" read once


def test_a_headline_made_from_the_lead_has_no_byline_or_dateline(shared_data, tmp_path):
    with zipfile.ZipFile(shared_data / "saudinewsnet" / "2015-08-01.zip") as zf:
        items = json.loads(zf.read(zf.namelist()[0]))
    content = items[1213]["content"]
    assert content.lstrip().startswith("عبدالله البرقاوي- سبق- الرياض:")
    path = tmp_path / "untitled.txt"
    path.write_text(content, encoding="utf-8")  # no heading line: the title comes from the lead
    article = read_article_file(path)
    assert article.title.startswith("أصدر مكتب تحقيقات الطيران") and "سبق" not in article.title
    assert article.body.startswith("عبدالله البرقاوي- سبق- الرياض:")  # kept for search
    cnn = tmp_path / "cnn.txt"
    cnn.write_text((shared_data / "newspaper4k_cnn_arabic" / "txt_arabic_article.txt").read_text(encoding="utf-8"),
                   encoding="utf-8")
    assert read_article_file(cnn).title.startswith("أكدت جهات سورية معارضة")


def test_a_description_cut_short_gives_only_its_whole_sentences_as_the_lead(tmp_path):
    page = (Path(__file__).parent / "data" / "lost_lead.html").read_text(encoding="utf-8")
    lead = "أعلنت بلدية المدينة الساحلية صباح اليوم افتتاح جسر المشاة الجديد فوق الوادي بعد عامين من الأشغال المتواصلة."
    assert page.count(lead) == 3
    cut = tmp_path / "cut.html"
    cut.write_text(page.replace(f'content="{lead}"', 'content="أعلنت بلدية المدينة الساحلية صباح اليوم افتتاح ..."'),
                   encoding="utf-8")
    assert read_article_file(cut).body.startswith("وأوضح رئيس البلدية")  # half a sentence is no lead
    two = tmp_path / "two.html"
    two.write_text(page.replace(f'content="{lead}"', f'content="{lead} وأكد الوالي أن الجسر ..."'), encoding="utf-8")
    assert read_article_file(two).body.startswith(lead + "\nوأوضح رئيس البلدية")
