"""/watch and /explain: admins only, validated before anything is stored, audited, live at once."""

from __future__ import annotations

import asyncio

import pytest

from handlers import router
from handlers import watchlist as watch
from storage import watchlists as store
from storage.db import transaction
from tests.telegram_support import caller

ARTICLE = "انقطاع الكهرباء عن محطة زابوريجيا النووية للمرة الثامنة"



def _rules(services, slug):
    with transaction(services.factory) as s:
        row = store.get_watchlist(s, slug)
        return None if row is None else row.rules


def _edits(services, slug):
    with transaction(services.factory) as s:
        return [(e.action, e.detail, e.actor) for e in store.edits(s, slug)]


def _matches(services, text):
    with transaction(services.factory) as s:
        services.topics.refresh(s)
    return [m.slug for m in services.topics.matcher.match("", text)]


def run(services, who, args):
    services.clock.advance(1)  # each edit at its own time, as in life
    return asyncio.run(watch.watch(services, who, args)).plain()


OWNER = caller(1, owner=True)


def test_non_admins_are_refused_and_nothing_is_stored(env):
    services, _ = env
    before = _edits(services, "kursk")
    for who in (caller(2), caller(3, chat="telegram:-5", chat_type="group", group_admin=False)):
        for args in ("add kursk بلغورود", "new x y", "delete kursk", "show kursk"):
            assert "للمشرفين فقط" in run(services, who, args)
        assert "للمشرفين فقط" in asyncio.run(watch.explain(services, who, ARTICLE)).plain()
    assert _edits(services, "kursk") == before
    assert _rules(services, "kursk") == {"all": [], "any": ["كورسك", "Kursk"], "none": []}


def test_a_group_admin_may_edit(env):
    services, _ = env
    admin = caller(3, chat="telegram:-5", chat_type="supergroup", group_admin=True)
    assert "أُضيف" in run(services, admin, "add kursk بلغورود")
    assert _rules(services, "kursk")["any"] == ["كورسك", "Kursk", "بلغورود"]


def test_new_topic_matches_nothing_until_a_term_is_added_then_at_once(env):
    services, _ = env
    assert "أُنشئ" in run(services, OWNER, "new zpp محطة زابوريجيا")
    assert "zpp" not in _matches(services, ARTICLE)
    assert "يوجد موضوع" in run(services, OWNER, "new zpp another")
    assert "أُضيف" in run(services, OWNER, "add zpp زابوريجيا، إنرهودار")
    assert _rules(services, "zpp") == {"all": [], "any": ["زابوريجيا", "إنرهودار"], "none": []}
    assert _matches(services, ARTICLE) == ["zpp"]  # the next article sees it, no restart
    assert "موجود من قبل" in run(services, OWNER, "add zpp زابوريجيا")
    edits = _edits(services, "zpp")
    assert [e[0] for e in edits] == ["create", "add"]
    assert all(e[2].startswith("telegram:user:1") for e in edits)


def test_exclude_and_remove(env):
    services, _ = env
    run(services, OWNER, "new zpp محطة")
    run(services, OWNER, "add zpp زابوريجيا")
    assert "المستبعدات" in run(services, OWNER, "exclude zpp الكهرباء")
    assert _matches(services, ARTICLE) == []
    assert "حُذف" in run(services, OWNER, "remove zpp الكهرباء")
    assert _matches(services, ARTICLE) == ["zpp"]
    assert "ليس في قواعد" in run(services, OWNER, "remove zpp غير_موجود")
    out = run(services, OWNER, "remove zpp زابوريجيا")
    assert "لا يطابق أي خبر" in out and _matches(services, ARTICLE) == []


def test_all_groups_need_a_group_number(env):
    services, _ = env
    before = _rules(services, "dprk-russia")
    out = asyncio.run(watch.watch(services, caller(1, owner=True, language="en"), "add dprk-russia بيونغيانغ")).plain()
    assert "Say which group" in out and "1: كوريا الشمالية" in out
    assert "no group 3" in asyncio.run(
        watch.watch(services, caller(1, owner=True, language="en"), "add dprk-russia 3 x")).plain()
    assert _rules(services, "dprk-russia") == before
    run(services, OWNER, "add dprk-russia 2 الاتحاد الروسي")
    assert _rules(services, "dprk-russia")["all"][1][-1] == "الاتحاد الروسي"


@pytest.mark.parametrize(
    "term, expect",
    [
        ("", "فارغ"),
        ("   ", "فارغ"),
        ("ب" * 1000, "طويل جدًا (1000"),
        ("<b>كورسك</b>", "رموز تنسيق"),
        ("كورسك & بلغورود", "رموز تنسيق"),
        ("*كورسك*", "رموز تنسيق"),
        ("[x](https://evil)", "رموز تنسيق"),
        ("كورسك\x00", "رموز تنسيق"),
        ("!!!", "غير صالح"),
    ],
)
def test_bad_terms_get_a_clear_reply_and_store_nothing(env, term, expect):
    services, _ = env
    before, edits = _rules(services, "kursk"), _edits(services, "kursk")
    for sub in ("add", "exclude", "remove"):
        assert expect in run(services, OWNER, f"{sub} kursk {term}")
    assert _rules(services, "kursk") == before and _edits(services, "kursk") == edits


def test_one_bad_term_in_a_list_stores_none_of_them(env):
    services, _ = env
    before = _rules(services, "kursk")
    assert "رموز تنسيق" in run(services, OWNER, "add kursk بلغورود، <i>x</i>")
    assert _rules(services, "kursk") == before


def test_usage_bad_slug_and_unknown_topic(env):
    services, _ = env
    assert "/watch new" in run(services, OWNER, "")
    assert "/watch new" in run(services, OWNER, "frobnicate kursk")
    assert "غير صالح" in run(services, OWNER, "show Bad_Slug!")
    assert "لا يوجد موضوع" in run(services, OWNER, "add nope x")
    assert "الاسم غير صالح" in run(services, OWNER, "new fine")


def test_show_lists_rules_and_who_changed_them(env):
    services, _ = env
    run(services, OWNER, "add kursk بلغورود")
    shown = asyncio.run(watch.watch(services, caller(1, owner=True, language="en"), "show kursk")).plain()
    assert "any of: كورسك، Kursk، بلغورود" in shown
    assert "telegram:user:1 (tester) · add: any += بلغورود" in shown


def test_delete_needs_the_confirmation_button(env):
    services, _ = env
    ask = asyncio.run(watch.watch(services, OWNER, "delete kursk"))
    assert [b.data for row in ask.buttons for b in row] == ["wdel:kursk", "wkeep:kursk"]
    assert _rules(services, "kursk") is not None
    cancelled = asyncio.run(router.handle_callback(services, OWNER, "wkeep:kursk"))
    assert cancelled.edit and _rules(services, "kursk") is not None
    # A member pressing the button in a group is refused.
    member = caller(4, chat="telegram:-5", chat_type="group", group_admin=False)
    refused = asyncio.run(router.handle_callback(services, member, "wdel:kursk"))
    assert "للمشرفين" in refused.notice and _rules(services, "kursk") is not None
    done = asyncio.run(router.handle_callback(services, OWNER, "wdel:kursk"))
    assert done.edit and "kursk" in done.plain()
    assert _rules(services, "kursk") is None
    assert _edits(services, "kursk")[-1][0] == "delete"
    assert "kursk" not in _matches(services, "معارك في كورسك")
    expired = asyncio.run(router.handle_callback(services, OWNER, "wdel:kursk"))
    assert "انتهت" in expired.notice


def test_explain_text_names_terms_and_their_spellings(env):
    services, _ = env
    out = asyncio.run(watch.explain(services, caller(1, owner=True, language="en"),
                                    "قوات بيونغ يانغ تقاتل في كورسك إلى جانب موسكو")).plain()
    assert "kursk — كورسك: ✅ matches" in out
    assert "dprk-russia — كوريا الشمالية وروسيا: ✅ matches" in out
    assert "بيونغ يانغ (بيونغ يانغ)" in out
    negative = asyncio.run(watch.explain(services, OWNER, "خبر عن الطقس")).plain()
    assert "❌ لا يطابق" in negative and "لا شيء من" in negative


def test_explain_unknown_url_is_not_fetched(env):
    services, _ = env
    out = asyncio.run(watch.explain(services, OWNER, "https://example.com/a")).plain()
    assert "لا يجلب البوت الصفحات" in out
