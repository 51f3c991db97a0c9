"""Issue 14, part 5: counted nouns agree with their numbers (Arabic and English), chat replies are
wholly in the user's language, and rules are numbered one way everywhere ("rule 1", «القاعدة 1»)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bot.cli.main import main
from handlers import watchlist as watch
from handlers.texts import AR, EN, NOUNS, counted, error_text, t
from tests.conftest import SEEDS, write_config
from tests.telegram_support import caller

REPO = Path(__file__).resolve().parents[1]
LATIN = re.compile(r"[A-Za-z]")


@pytest.mark.parametrize(
    "n, story, source",
    [
        (0, "لا قصص", "لا مصادر"),
        (1, "قصة واحدة", "مصدر واحد"),
        (2, "قصتان", "مصدران"),
        (3, "3 قصص", "3 مصادر"),
        (5, "5 قصص", "5 مصادر"),
        (10, "10 قصص", "10 مصادر"),
        (11, "11 قصة", "11 مصدرًا"),
        (25, "25 قصة", "25 مصدرًا"),
        (99, "99 قصة", "99 مصدرًا"),
        (100, "100 قصة", "100 مصدر"),
        (101, "101 قصة", "101 مصدر"),
        (102, "102 قصة", "102 مصدر"),
        (103, "103 قصص", "103 مصادر"),
        (111, "111 قصة", "111 مصدرًا"),
        (1000, "1000 قصة", "1000 مصدر"),
    ],
)
def test_arabic_number_agreement(n, story, source):
    assert counted("ar", n, "story") == story
    assert counted("ar", n, "source") == source


def test_every_noun_has_its_forms_and_english_plurals():
    for key, noun in NOUNS.items():
        forms = [counted("ar", n, key) for n in (0, 1, 2, 3, 11, 100)]
        assert len(set(forms)) == 6, key  # none, one, two, few, many, hundred: six distinct phrasings
        assert counted("en", 1, key) == f"1 {noun.en_singular}"
        assert counted("en", 2, key) == f"2 {noun.en_plural}" and counted("en", 0, key) == f"0 {noun.en_plural}"
    assert counted("ar", 1, "minute") == "دقيقة واحدة" and counted("ar", 2, "hour") == "ساعتان"
    assert counted("ar", 7, "day") == "7 أيام" and counted("ar", 12, "day") == "12 يومًا"
    assert counted("ar", 4, "subscriber") == "4 مشتركين" and counted("ar", 2, "chat") == "محادثتان"
    assert counted("en", 1, "story") == "1 story" and counted("en", 2, "story") == "2 stories"


def test_templates_count_through_the_helper():
    # The defects of issue 14: "5 قصة", "1 مصدر", "(s)" in a reply.
    assert t("ar", "timeline_sources", n=1) == "مصدر واحد"
    assert t("ar", "timeline_sources", n=5) == "5 مصادر"
    assert t("ar", "backlog_note", n=2) == "ستصلك آخر قصص هذا الموضوع (قصتان)، ثم كل جديد."
    assert t("en", "timeline_sources", n=1) == "1 source" and t("en", "timeline_sources", n=3) == "3 sources"
    assert "5 قصص" in t("ar", "search_title", total=5, more="", page=1, pages=1)
    assert t("ar", "feed_line", name="x", minutes=2).endswith("دقيقتان")
    for table in (AR, EN):
        for key, template in table.items():
            assert "(s)" not in template and "(ies)" not in template, key


def test_no_count_rendering_in_the_cli_or_handlers_bypasses_the_helper():
    """A grep of the code: no "(s)"/"(ies)" plural in what users read."""
    sources = [*sorted((REPO / "bot" / "cli").glob("*.py")), REPO / "bot" / "timeline.py", REPO / "bot" / "sources" / "feed_poller.py",
               *sorted((REPO / "handlers").glob("*.py"))]
    for path in sources:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "print(" in line or "f\"" in line or "t(" in line:
                assert not re.search(r"\w\((s|ies)\)", line), f"{path.name}:{number}: {line.strip()}"


def test_error_classes_are_arabic_sentences_without_the_raw_error():
    for raw in ("ConnectError: [Errno -2] Name or service not known", "cannot resolve x.invalid: [Errno -2] ...",
                "HTTP 404", "HTTP 503", "timed out (ReadTimeout)", "refused: 10.0.0.1 resolves to a private address",
                "not a feed: no <rss>", "internal error: KeyError: 'x'", "200: 1 item(s), 1 new"):
        sentence = error_text("ar", raw)
        assert not LATIN.search(sentence.replace("RSS", "").replace("Atom", "").replace("http", "")), (raw, sentence)
        assert "Errno" not in sentence and "404" not in sentence
    assert error_text("ar", "[Errno -2] Name or service not known") == AR["err_dns"]
    assert error_text("en", "HTTP 500") == EN["err_server"]


def test_one_rule_numbering_in_the_cli_the_explain_and_the_chat(tmp_path, capsys, env):
    config = str(write_config(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}"))
    assert main(["watchlists", "dprk-russia", "--config", config]) == 0
    listed = capsys.readouterr().out
    assert "rule 1 (one of)" in listed and "rule 2 (one of)" in listed and "all[" not in listed
    seed = next(p for p in sorted(SEEDS.glob("0*.txt")) if "كورسك" in p.read_text(encoding="utf-8"))
    assert main(["explain", str(seed), "--topic", "dprk-russia", "--config", config]) == 0
    explained = capsys.readouterr().out
    assert "rule 1 (one of)" in explained and "all[" not in explained

    services, _ = env
    owner = caller(1, owner=True)
    shown = asyncio.run(watch.show(services, owner, "dprk-russia")).plain()
    assert "القاعدة 1" in shown and "القاعدة 2" in shown and "المجموعة 1" not in shown
    why = asyncio.run(watch.explain(services, owner, "قوات بيونغ يانغ تقاتل في كورسك إلى جانب موسكو")).plain()
    assert "القاعدة 1" in why and "all[" not in why
    en = asyncio.run(watch.show(services, caller(1, owner=True, language="en"), "dprk-russia")).plain()
    assert "rule 1" in en and "rule 2" in en
    refused = asyncio.run(watch.watch(services, caller(1, owner=True), "add dprk-russia 3 x")).plain()
    assert "لا توجد القاعدة 3؛ قواعد هذا الموضوع: قاعدتان." == refused


def test_cli_counts_agree(tmp_path, capsys):
    """`raqib ingest` and `raqib search` once printed "stor(ies)" and "(1 stories)"."""
    config = str(write_config(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}"))
    assert main(["ingest", str(SEEDS), "--config", config]) == 0
    ingested = capsys.readouterr().err
    assert "(ies)" not in ingested and "(s)" not in ingested
    m = re.search(r"files: (\d+) articles?: (\d+) new (story|stories)", ingested)
    assert m and counted("en", int(m.group(2)), "new_story") in ingested
    for words in ("كورسك", "بيونغ يانغ", "روسيا"):
        assert main(["search", words, "--config", config]) == 0
        err = capsys.readouterr().err
        total = re.search(r"page 1 of \d+ \((\d+)", err)
        assert total, err
        assert f"({counted('en', int(total.group(1)), 'story')})" in err and "(1 stories)" not in err


def test_a_bad_topic_name_is_refused_in_arabic(env):
    """The validator's English message ("name '…' is 230 characters; the limit is 200") stayed
    inside the Arabic reply."""
    services, _ = env
    owner = caller(1, owner=True)
    long = asyncio.run(watch.watch(services, owner, "new long-one " + "كورسك " * 40)).plain()
    assert long == "الاسم طويل جدًا (239 حرفًا)؛ الحد 200 حرف."
    markup = asyncio.run(watch.watch(services, owner, "new tagged <b>كورسك</b>")).plain()
    assert markup == AR["name_markup"] and not LATIN.search(markup)
