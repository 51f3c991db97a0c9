"""/watch and /explain: chat admins and owners only (the router), each watchlist editable only by
whoever owns its scope, validated before anything is stored, audited, live at once."""

from __future__ import annotations

import asyncio

import pytest

from handlers import router
from handlers import watchlist as watch
from storage import watchlists as store
from storage.db import transaction
from tests.telegram_support import caller

ARTICLE = "انقطاع الكهرباء عن محطة زابوريجيا النووية للمرة الثامنة"



def _rules(services, slug, scope="global"):
    with transaction(services.factory) as s:
        row = store.get_watchlist(s, slug, scope)
        return None if row is None else row.rules


def _edits(services, slug, scope="global"):
    with transaction(services.factory) as s:
        return [(e.action, e.detail, e.actor) for e in store.edits(s, slug, scope)]


def _matches(services, text):
    with transaction(services.factory) as s:
        services.topics.refresh(s)
    return [m.slug for m in services.topics.matcher.match("", text)]


def run(services, who, args):
    services.clock.advance(1)  # each edit at its own time, as in life
    return asyncio.run(watch.watch(services, who, args)).plain()


OWNER = caller(1, owner=True)
GROUP_A = "telegram:-5"
ADMIN_A = caller(3, chat=GROUP_A, chat_type="supergroup", group_admin=True)
MEMBER_A = caller(4, chat=GROUP_A, chat_type="group", group_admin=False)


def test_members_are_refused_and_nothing_is_stored(env):
    services, _ = env
    before = _edits(services, "kursk")
    for args in ("add kursk بلغورود", "new x y", "delete kursk", "show kursk", "history kursk"):
        assert "للمشرفين فقط" in run(services, MEMBER_A, args)
    refused = asyncio.run(router.handle_command(services, MEMBER_A, "explain", ARTICLE))
    assert "للمشرفين فقط" in refused.plain()
    assert _edits(services, "kursk") == before
    assert _rules(services, "kursk") == {"all": [], "any": ["كورسك", "Kursk"], "none": []}


def test_chat_admins_may_not_edit_or_delete_global_topics(env):
    services, _ = env
    before = _edits(services, "kursk")
    for who in (caller(2), ADMIN_A):  # a private chat's user administers only that chat
        for args in ("add kursk بلغورود", "exclude kursk x", "remove kursk كورسك", "delete kursk"):
            assert "عام يديره مالكو البوت" in run(services, who, args)
        assert "مالكو البوت" in run(services, who, "new global:x اسم")
    assert _edits(services, "kursk") == before
    assert _rules(services, "kursk") == {"all": [], "any": ["كورسك", "Kursk"], "none": []}
    # the confirmation button of an owner's delete, pressed by a group admin, is refused too
    ask = asyncio.run(watch.watch(services, OWNER, "delete kursk"))
    refused = asyncio.run(router.handle_callback(services, ADMIN_A, ask.buttons[0][0].data))
    assert "عام" in refused.notice and _rules(services, "kursk") is not None


def test_a_group_admin_edits_the_groups_own_topic_and_no_other_chat_sees_it(env):
    services, _ = env
    assert "أُنشئ" in run(services, ADMIN_A, "new elections الانتخابات")
    assert "أُضيف" in run(services, ADMIN_A, "add elections الانتخابات، الاقتراع")
    assert _rules(services, "elections", GROUP_A)["any"] == ["الانتخابات", "الاقتراع"]
    assert _rules(services, "elections") is None  # not global
    assert [e[0] for e in _edits(services, "elections", GROUP_A)] == ["create", "add"]
    admin_b = caller(5, chat="telegram:-6", chat_type="supergroup", group_admin=True)
    assert "لا يوجد موضوع" in run(services, admin_b, "add elections x")
    assert "لا يوجد موضوع" in run(services, admin_b, "show elections")
    assert "لا يوجد موضوع" in run(services, admin_b, f"show {GROUP_A}:elections")  # naming its scope is for owners
    assert "لا يوجد موضوع" in run(services, admin_b, "delete elections")
    # matching still sees it (once, with every other topic), under its scoped name
    assert _matches(services, "جرت الانتخابات أمس") == [f"elections@{GROUP_A}"]


def test_owners_edit_global_and_any_chats_topics_and_the_audit_says_so(env):
    services, _ = env
    assert "أُنشئ" in run(services, OWNER, "new global:zpp محطة زابوريجيا")
    assert "أُضيف" in run(services, OWNER, "add global:zpp زابوريجيا")
    assert _rules(services, "zpp")["any"] == ["زابوريجيا"]
    run(services, ADMIN_A, "new elections الانتخابات")
    assert "أُضيف" in run(services, OWNER, f"add {GROUP_A}:elections الاقتراع")
    edits = _edits(services, "elections", GROUP_A)
    assert edits[-1][2] == "telegram:user:1 (tester) [owner]"
    with transaction(services.factory) as s:
        last = store.edits(s, "elections", GROUP_A)[-1]
    assert last.chat == "telegram:1" and '"الاقتراع"' in last.after and '"الاقتراع"' not in last.before
    shown = run(services, OWNER, f"history {GROUP_A}:elections")
    assert "[owner]" in shown and "telegram:1" in shown


def test_a_chats_own_slug_shadows_the_global_one_inside_that_chat(env):
    services, _ = env
    out = run(services, ADMIN_A, "new kursk كورسك عندنا")
    assert "global:kursk" in out  # the reply says which one is meant from now on
    assert "أُضيف" in run(services, ADMIN_A, "add kursk سودجا")
    assert _rules(services, "kursk", GROUP_A)["any"] == ["سودجا"]
    assert _rules(services, "kursk")["any"] == ["كورسك", "Kursk"]
    shown = run(services, ADMIN_A, "show kursk")
    assert "خاص بهذه المحادثة" in shown and "سودجا" in shown
    assert "Kursk" in run(services, ADMIN_A, "show global:kursk")


def test_history_hides_other_chats_from_chat_admins(env):
    services, _ = env
    run(services, OWNER, "add kursk بلغورود")
    seen_by_admin = run(services, ADMIN_A, "history kursk")
    assert "any += بلغورود" in seen_by_admin
    assert "telegram:user:1" not in seen_by_admin and "telegram:1" not in seen_by_admin
    seen_by_owner = run(services, OWNER, "history kursk")
    assert "telegram:user:1 (tester)" in seen_by_owner


def test_new_topic_matches_nothing_until_a_term_is_added_then_at_once(env):
    services, _ = env
    assert "أُنشئ" in run(services, OWNER, "new global:zpp محطة زابوريجيا")
    assert "zpp" not in _matches(services, ARTICLE)
    assert "يوجد موضوع" in run(services, OWNER, "new global:zpp another")
    assert "أُضيف" in run(services, OWNER, "add zpp زابوريجيا، إنرهودار")
    assert _rules(services, "zpp") == {"all": [], "any": ["زابوريجيا", "إنرهودار"], "none": []}
    assert _matches(services, ARTICLE) == ["zpp"]  # the next article sees it, no restart
    assert "موجود من قبل" in run(services, OWNER, "add zpp زابوريجيا")
    edits = _edits(services, "zpp")
    assert [e[0] for e in edits] == ["create", "add"]
    assert all(e[2].startswith("telegram:user:1") for e in edits)


def test_exclude_and_remove(env):
    services, _ = env
    run(services, OWNER, "new global:zpp محطة")
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
    assert "Say which rule" in out and "1: كوريا الشمالية" in out
    assert "no rule 3" in asyncio.run(
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
    assert "الاسم فارغ" in run(services, OWNER, "new fine")


def test_show_lists_rules_and_who_changed_them(env):
    services, _ = env
    run(services, OWNER, "add kursk بلغورود")
    shown = asyncio.run(watch.watch(services, caller(1, owner=True, language="en"), "show kursk")).plain()
    assert "any of: كورسك، Kursk، بلغورود" in shown
    assert "telegram:user:1 (tester) · telegram:1 · add: any += بلغورود" in shown  # owners see where, too


def test_delete_needs_the_confirmation_button(env):
    services, _ = env
    ask = asyncio.run(watch.watch(services, OWNER, "delete kursk"))
    delete, keep = [b.data for row in ask.buttons for b in row]
    assert delete.startswith("wdel:#") and keep.startswith("wkeep:#")  # the row id: slugs repeat across chats
    assert _rules(services, "kursk") is not None
    cancelled = asyncio.run(router.handle_callback(services, OWNER, keep))
    assert cancelled.edit and _rules(services, "kursk") is not None
    # A member pressing the button in a group is refused.
    refused = asyncio.run(router.handle_callback(services, MEMBER_A, delete))
    assert "للمشرفين" in refused.notice and _rules(services, "kursk") is not None
    done = asyncio.run(router.handle_callback(services, OWNER, delete))
    assert done.edit and "kursk" in done.plain()
    assert _rules(services, "kursk") is None
    assert _edits(services, "kursk")[-1][0] == "delete"
    assert "kursk" not in _matches(services, "معارك في كورسك")
    expired = asyncio.run(router.handle_callback(services, OWNER, delete))
    assert "انتهت" in expired.notice


def test_explain_shows_only_the_topics_this_chat_may_see(env):
    services, _ = env
    run(services, ADMIN_A, "new elections الانتخابات")
    run(services, ADMIN_A, "add elections الانتخابات")
    other = caller(5, chat="telegram:-6", chat_type="supergroup", group_admin=True)
    out = asyncio.run(router.handle_command(services, other, "explain", "جرت الانتخابات في كورسك")).plain()
    assert "kursk" in out and "elections" not in out
    mine = asyncio.run(router.handle_command(services, ADMIN_A, "explain", "جرت الانتخابات في كورسك")).plain()
    assert "elections — الانتخابات: ✅" in mine


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


def test_a_migrated_group_keeps_its_own_topics(env):
    from storage import chats

    services, clock = env
    run(services, ADMIN_A, "new elections الانتخابات")
    with transaction(services.factory) as s:
        chat = chats.ensure_chat(s, GROUP_A, clock())
        chats.move_chat(s, chat.id, "telegram:-1005", clock())
    moved = caller(3, chat="telegram:-1005", chat_type="supergroup", group_admin=True)
    assert "أُضيف" in run(services, moved, "add elections الاقتراع")
    assert _rules(services, "elections", "telegram:-1005")["any"] == ["الاقتراع"]
    assert _rules(services, "elections", GROUP_A) is None
