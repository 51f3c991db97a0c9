"""/timezone, /quiet, /digest, /settings and /mysubs (issue 12): parsing what people type (Arabic-
Indic digits, zones, windows across midnight), the storage behind them, the router's tier check,
and the same commands end to end through the fake Bot API and the fake Discord gateway."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from handlers import router
from handlers import settings as st
from handlers.texts import t
from storage import audit, chat_settings, chats, mutes
from storage import watchlists as watchlist_store
from storage.db import transaction
from tests.telegram_support import caller

GROUP = "telegram:-100"


def cmd(services, who, name, args=""):
    """Through the router, as every platform calls it: the tier is checked there."""
    return asyncio.run(router.handle_command(services, who, name, args))


def press(services, who, data):
    return asyncio.run(router.handle_callback(services, who, data))


def _settings(services, address):
    with transaction(services.factory) as s:
        return chat_settings.get(s, address)


def _subs(services, address):
    with transaction(services.factory) as s:
        return chat_settings.subscriptions(s, address)


def _wid(services, slug):
    with transaction(services.factory) as s:
        return watchlist_store.get_watchlist(s, slug).id


def _member():
    return caller(7, chat=GROUP, chat_type="supergroup", group_admin=False)


def _admin(language="ar"):
    return caller(8, chat=GROUP, chat_type="supergroup", group_admin=True, language=language)


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, minutes", [
    ("23:00", 1380), ("7", 420), ("07.30", 450), ("0:05", 5), ("٢٣:٠٠", 1380), ("۰۷:۳۰", 450),
    ("٧", 420), ("\u200f٢١:٣٠", 1290),
])
def test_clock_times_in_western_and_arabic_indic_digits(typed, minutes):
    assert st.parse_clock(typed) == minutes


@pytest.mark.parametrize("typed", ["24:00", "7:60", "7:5", "x", "", "-1", "12:00:00", "٢٥:٠٠"])
def test_impossible_clock_times_are_refused(typed):
    with pytest.raises(st.ParseError) as err:
        st.parse_clock(typed)
    assert err.value.key == "bad_time"


@pytest.mark.parametrize("typed, window", [
    ("23:00-07:00", (1380, 420)),  # wraps midnight
    ("٢٣:٠٠-٠٧:٠٠", (1380, 420)),
    ("22:30 – 06:15", (1350, 375)),  # an en dash, spaced
    ("13:00-14:30", (780, 870)),  # within a day
    ("23 إلى 7", (1380, 420)),
    ("23 to 7", (1380, 420)),
    ("\u200f٢٣:٠٠\u200f-\u200f٠٧:٠٠", (1380, 420)),  # direction marks from an RTL keyboard
])
def test_quiet_windows(typed, window):
    assert st.parse_window(typed) == window


@pytest.mark.parametrize("typed, key", [
    ("23:00", "quiet_bad"), ("23:00-", "quiet_bad"), ("25:00-07:00", "quiet_bad"), ("night", "quiet_bad"),
    ("07:00-07:00", "quiet_empty"), ("٧-٧", "quiet_empty"),
])
def test_unreadable_or_empty_windows_are_refused(typed, key):
    with pytest.raises(st.ParseError) as err:
        st.parse_window(typed)
    assert err.value.key == key


@pytest.mark.parametrize("typed, name, hours", [
    ("Asia/Riyadh", "Asia/Riyadh", 3), ("asia/riyadh", "Asia/Riyadh", 3), ("America/New York", "America/New_York", -4),
    ("UTC+3", "Etc/GMT-3", 3), ("utc-5", "Etc/GMT+5", -5), ("GMT+٣", "Etc/GMT-3", 3), ("+4", "Etc/GMT-4", 4),
    ("UTC+03:00", "Etc/GMT-3", 3), ("UTC", "UTC", 0), ("UTC+0", "UTC", 0), ("الرياض", "Asia/Riyadh", 3),
    ("القاهرة", "Africa/Cairo", 3), ("ابوظبي", "Asia/Dubai", 4), ("الدار البيضاء", "Africa/Casablanca", 1),
])
def test_zones_by_name_offset_or_arabic_city(typed, name, hours):
    assert st.parse_zone(typed) == name
    # the stored name is a real IANA zone with the offset the user meant (POSIX inverts Etc/GMT signs)
    at = datetime(2025, 8, 13, 12, tzinfo=timezone.utc)
    assert at.astimezone(ZoneInfo(name)).utcoffset() == timedelta(hours=hours)


@pytest.mark.parametrize("typed, key", [
    ("Mars/Olympus", "tz_bad"), ("../../etc/passwd", "tz_bad"), ("UTC+15", "tz_bad"), ("UTC-13", "tz_bad"),
    ("UTC+5:30", "tz_half"), ("+03:30", "tz_half"), ("طرابلس", "tz_bad"), ("", "tz_bad"),
])
def test_unknown_zones_are_refused_with_a_reason(typed, key):
    with pytest.raises(st.ParseError) as err:
        st.parse_zone(typed)
    assert err.value.key == key


def test_reset_words_return_to_the_configured_zone():
    assert st.parse_zone("default") is None and st.parse_zone("افتراضي") is None


def test_zone_labels_show_the_offset_of_the_moment():
    summer = datetime(2025, 8, 13, 12, tzinfo=timezone.utc)
    winter = datetime(2025, 1, 13, 12, tzinfo=timezone.utc)
    assert st.zone_label(ZoneInfo("Asia/Riyadh"), summer) == "Asia/Riyadh (UTC+3)"
    assert st.zone_label(ZoneInfo("Etc/GMT-3"), summer) == "UTC+3"
    assert st.zone_label(ZoneInfo("Asia/Kolkata"), summer) == "Asia/Kolkata (UTC+5:30)"
    assert st.zone_label(ZoneInfo("UTC"), summer) == "UTC"
    assert st.zone_label(ZoneInfo("Europe/London"), summer) == "Europe/London (UTC+1)"
    assert st.zone_label(ZoneInfo("Europe/London"), winter) == "Europe/London (UTC+0)"
    assert st.zone_label(ZoneInfo("America/New_York"), winter) == "America/New_York (UTC-5)"


@pytest.mark.parametrize("words, choice", [
    (["hourly"], st.DigestChoice("hourly")), (["instant"], st.DigestChoice("instant")),
    (["daily"], st.DigestChoice("daily")), (["daily", "21:30"], st.DigestChoice("daily", 1290)),
    (["daily", "at", "6"], st.DigestChoice("daily", 360)), (["يومي", "٠٨:٠٠"], st.DigestChoice("daily", 480)),
    (["21:30"], st.DigestChoice("daily", 1290)), (["كل", "ساعة"], st.DigestChoice("hourly")),
    (["فوري"], st.DigestChoice("instant")), (["HOURLY"], st.DigestChoice("hourly")),
    (["يوميّاً", "الساعة", "٧:٣٠"], st.DigestChoice("daily", 450)),  # diacritics and «الساعة» as people type
])
def test_digest_choices(words, choice):
    assert st.parse_digest(words) == choice


@pytest.mark.parametrize("words, key", [
    (["weekly"], "digest_bad_mode"), (["hourly", "08:00"], "digest_time_only_daily"),
    (["daily", "25:00"], "bad_time"), (["daily", "8", "9"], "digest_time_only_daily"), ([], "digest_bad_mode"),
])
def test_digest_choices_refused(words, key):
    with pytest.raises(st.ParseError) as err:
        st.parse_digest(words)
    assert err.value.key == key


# --- storage ------------------------------------------------------------------------------------


def test_reading_settings_creates_no_chat_and_gives_the_defaults(env):
    services, clock = env
    with transaction(services.factory) as s:
        assert chat_settings.get(s, "telegram:404") == chat_settings.ChatSettings()
        assert chat_settings.subscriptions(s, "telegram:404") == {}
        assert chats.list_subscriptions(s, "telegram:404") == []
        from sqlalchemy import select

        from storage.models import Chat
        assert s.scalar(select(Chat).where(Chat.address == "telegram:404")) is None


def test_settings_are_stored_validated_and_audited(env):
    services, clock = env
    with transaction(services.factory) as s:
        chat_settings.set_timezone(s, "telegram:5", "Africa/Cairo", actor="me", now=clock())
        chat_settings.set_quiet(s, "telegram:5", 1380, 420, "hold", actor="me", now=clock())
        chat_settings.set_summary_length(s, "telegram:5", "short", actor="me", now=clock())
        for bad in ((1380, 1380, None), (1380, None, None), (1440, 0, None), (0, 60, "loud")):
            with pytest.raises(ValueError):
                chat_settings.set_quiet(s, "telegram:5", *bad, actor="me", now=clock())
        with pytest.raises(ValueError):
            chat_settings.set_summary_length(s, "telegram:5", "long", actor="me", now=clock())
    got = _settings(services, "telegram:5")
    assert got == chat_settings.ChatSettings("Africa/Cairo", 1380, 420, "hold", "short") and got.has_quiet
    with transaction(services.factory) as s:
        chat_settings.set_quiet(s, "telegram:5", None, None, actor="me", now=clock())
        chat_settings.set_summary_length(s, "telegram:5", "short", actor="me", now=clock())  # unchanged: no row
        rows = audit.latest(s, kind="setting")
    assert not _settings(services, "telegram:5").has_quiet and _settings(services, "telegram:5").quiet_mode == "hold"
    assert [(r.target, r.before, r.after) for r in rows] == [
        ("telegram:5 quiet", "1380-420 hold", "off"),
        ("telegram:5 summary", "normal", "short"),
        ("telegram:5 quiet", "off", "1380-420 hold"),
        ("telegram:5 timezone", "", "Africa/Cairo"),
    ]


def test_subscription_modes_only_for_a_subscribed_topic(env):
    services, clock = env
    kursk = _wid(services, "kursk")
    with transaction(services.factory) as s:
        assert chat_settings.set_mode(s, "telegram:5", kursk, "hourly", actor="me", now=clock()) is None
        chats.subscribe(s, "telegram:5", kursk, clock())
        assert chat_settings.subscriptions(s, "telegram:5") == {kursk: chat_settings.SubscriptionSettings(kursk)}
        daily = chat_settings.set_mode(s, "telegram:5", kursk, "daily", 1290, actor="me", now=clock())
        assert (daily.mode, daily.digest_at) == ("daily", 1290)
        assert chat_settings.set_mode(s, "telegram:5", kursk, "daily", actor="me", now=clock()).digest_at == 480
        assert chat_settings.set_reports(s, "telegram:5", kursk, "every", actor="me", now=clock()).reports == "every"
        with pytest.raises(ValueError):
            chat_settings.set_mode(s, "telegram:5", kursk, "weekly", actor="me", now=clock())
        with pytest.raises(ValueError):
            chat_settings.set_reports(s, "telegram:5", kursk, "some", actor="me", now=clock())
    assert _subs(services, "telegram:5")[kursk] == chat_settings.SubscriptionSettings(kursk, "daily", 480, "every")


# --- the commands, through the router -----------------------------------------------------------


def test_timezone_shows_sets_refuses_and_resets(env):
    services, clock = env  # the clock: 2025-08-13 09:00 UTC; the configured zone: Asia/Riyadh
    admin, member = _admin(), _member()
    shown = cmd(services, member, "timezone").plain()
    assert "Asia/Riyadh (UTC+3)" in shown and "12:00" in shown and "الافتراضية" in shown
    assert "/timezone Asia/Riyadh" not in shown  # the hint is for those who may change it
    assert "مشرفو المجموعة" in cmd(services, member, "timezone", "Africa/Cairo").plain()
    assert _settings(services, GROUP).timezone is None
    done = cmd(services, admin, "timezone", "UTC+5").plain()
    assert "UTC+5" in done and "14:00" in done and _settings(services, GROUP).timezone == "Etc/GMT-5"
    bad = cmd(services, admin, "timezone", "Riyadh/Asia").plain()
    assert "«Riyadh/Asia»" in bad and "Asia/Riyadh" in bad and "UTC+3" in bad
    assert _settings(services, GROUP).timezone == "Etc/GMT-5"
    english = cmd(services, _admin("en"), "timezone", "europe/london").plain()
    assert english == "Time zone set: Europe/London (UTC+1); it is 10:00 there now."
    assert "Europe/London (UTC+1)" in cmd(services, member, "timezone").plain()
    assert "Asia/Riyadh" in cmd(services, admin, "timezone", "default").plain()
    assert _settings(services, GROUP).timezone is None


def test_quiet_hours_with_arabic_digits_modes_and_off(env):
    services, clock = env
    admin, member = _admin(), _member()
    assert "لا ساعات هدوء" in cmd(services, member, "quiet").plain()
    assert "مشرفو المجموعة" in cmd(services, member, "quiet", "23:00-07:00").plain()
    assert not _settings(services, GROUP).has_quiet
    assert "حددها أولًا" in cmd(services, admin, "quiet", "hold").plain()
    done = cmd(services, admin, "quiet", "٢٣:٠٠-٠٧:٠٠").plain()
    assert "23:00–07:00 (بلا صوت)" in done and "Asia/Riyadh" in done and "بلا صوت" in done
    got = _settings(services, GROUP)
    assert (got.quiet_start, got.quiet_end, got.quiet_mode) == (1380, 420, "silent")
    held = cmd(services, admin, "quiet", "hold").plain()  # the mode alone keeps the window
    assert "تُؤجَّل التنبيهات" in held
    assert (_settings(services, GROUP).quiet_start, _settings(services, GROUP).quiet_mode) == (1380, "hold")
    cmd(services, admin, "quiet", "22:30 - 06:00 silent")
    got = _settings(services, GROUP)
    assert (got.quiet_start, got.quiet_end, got.quiet_mode) == (1350, 360, "silent")
    assert "22:30–06:00" in cmd(services, member, "quiet").plain()
    assert "لم أفهم «25:00-07:00»" in cmd(services, admin, "quiet", "25:00-07:00").plain()
    assert "واحدة" in cmd(services, admin, "quiet", "07:00-07:00").plain()
    assert _settings(services, GROUP).quiet_start == 1350  # a refused change changes nothing
    # the zone moves the window with it, and says so
    assert "22:30–06:00" in cmd(services, admin, "timezone", "Africa/Cairo").plain()
    assert "أُلغيت" in cmd(services, admin, "quiet", "إيقاف").plain()
    assert not _settings(services, GROUP).has_quiet


def test_digest_only_for_a_subscribed_topic_and_only_by_admins(env):
    services, clock = env
    admin, member = _admin(), _member()
    kursk = _wid(services, "kursk")
    assert "اشترك أولًا: /subscribe kursk" in cmd(services, admin, "digest", "kursk daily").plain()
    cmd(services, admin, "subscribe", "kursk")
    assert "مشرفو المجموعة" in cmd(services, member, "digest", "kursk hourly").plain()
    assert _subs(services, GROUP)[kursk].mode == "instant"
    done = cmd(services, admin, "digest", "kursk daily ٢١:٣٠").plain()
    assert done == "كورسك: ملخص يومي الساعة 21:30 بتوقيت Asia/Riyadh (UTC+3)"
    assert (_subs(services, GROUP)[kursk].mode, _subs(services, GROUP)[kursk].digest_at) == ("daily", 1290)
    assert cmd(services, admin, "digest", "kursk hourly").plain() == "كورسك: ملخص كل ساعة"
    assert "اختر instant" in cmd(services, admin, "digest", "kursk weekly").plain()
    assert "daily 08:00" in cmd(services, admin, "digest", "kursk hourly 08:00").plain()
    assert "لا يوجد موضوع" in cmd(services, admin, "digest", "nope hourly").plain()
    assert "/digest" in cmd(services, admin, "digest", "kursk").plain()
    assert _subs(services, GROUP)[kursk].mode == "hourly"
    assert cmd(services, admin, "digest", "kursk فوري").plain() == "كورسك: تنبيه فوري"


def test_settings_view_buttons_and_subcommands(env):
    services, clock = env
    admin, member = _admin(), _member()
    kursk = _wid(services, "kursk")
    view = cmd(services, member, "settings")
    assert "Asia/Riyadh (UTC+3)" in view.plain() and "عادي" in view.plain() and view.buttons == []
    assert cmd(services, member, "settings", "show").plain() == view.plain()
    assert "مشرفو المجموعة" in cmd(services, member, "settings", "summary short").plain()
    assert "/settings reports" in cmd(services, member, "settings", "nope").plain()  # the usage
    mine = cmd(services, admin, "settings")
    assert [b.data for row in mine.buttons for b in row] == ["cset:sum.short", "cset:sum.normal"]
    assert [b.label for row in mine.buttons for b in row] == ["ملخص قصير", "✓ ملخص عادي"]
    # a member's press is refused with a notice, and changes nothing
    refused = press(services, member, "cset:sum.short")
    assert refused.spans == [] and "مشرفو المجموعة" in refused.notice
    assert _settings(services, GROUP).summary_length == "normal"
    pressed = press(services, admin, "cset:sum.short")
    assert pressed.edit and "قصير" in pressed.notice and _settings(services, GROUP).summary_length == "short"
    assert [b.label for row in pressed.buttons for b in row] == ["✓ ملخص قصير", "ملخص عادي"]
    # with quiet hours the view offers their mode too
    cmd(services, admin, "quiet", "23:00-07:00")
    held = press(services, admin, "cset:quiet.hold")
    assert _settings(services, GROUP).quiet_mode == "hold" and "23:00–07:00 (تأجيل)" in held.plain()
    assert ("✓ ⏸ تأجيل", "cset:quiet.hold") in [(b.label, b.data) for row in held.buttons for b in row]
    assert press(services, admin, "cset:bogus.x").notice == t("ar", "button_expired")
    assert "عادي" in cmd(services, admin, "settings", "summary عادي").plain()
    assert _settings(services, GROUP).summary_length == "normal"
    assert "short أو normal" in cmd(services, admin, "settings", "summary long-ish").plain()
    # reports, per subscription
    assert "اشترك أولًا" in cmd(services, admin, "settings", "reports kursk every").plain()
    cmd(services, admin, "subscribe", "kursk")
    assert cmd(services, admin, "settings", "reports kursk every").plain() == "كورسك: تنبيه لكل تقرير"
    assert _subs(services, GROUP)[kursk].reports == "every"
    assert "مشرفو المجموعة" in cmd(services, member, "settings", "reports kursk story").plain()
    assert "/settings reports" in cmd(services, admin, "settings", "reports kursk").plain()


def test_mysubs_shows_modes_reports_mutes_and_the_footer_in_the_chats_zone(env):
    services, clock = env
    admin, member = _admin("en"), _member()
    kursk, dprk = _wid(services, "kursk"), _wid(services, "dprk-russia")
    cmd(services, admin, "subscribe", "kursk")
    cmd(services, admin, "subscribe", "dprk-russia")
    cmd(services, admin, "digest", "kursk daily 07:15")
    cmd(services, admin, "settings", "reports dprk-russia every")
    cmd(services, admin, "quiet", "23:00-07:00 hold")
    cmd(services, admin, "timezone", "Africa/Cairo")
    with transaction(services.factory) as s:
        mutes.mute(s, GROUP, dprk, clock() + timedelta(hours=1), "me", clock())
    shown = cmd(services, admin, "mysubs").plain()
    lines = shown.splitlines()
    assert lines[0] == "This chat's subscriptions:"
    assert "daily digest at 07:15 · one alert per story" in shown
    # muted until 10:00 UTC = 13:00 in Cairo (UTC+3 in August), in the chat's zone, not the bot's
    assert "instant alerts · every report · muted until 13:00" in shown
    assert "Quiet hours: 23:00–07:00 (held) · Time zone: Africa/Cairo (UTC+3)" in shown
    assert "/digest" in shown
    mine = cmd(services, admin, "mysubs")
    assert [b.data for row in mine.buttons for b in row] == [f"unsub:#{dprk}", f"unsub:#{kursk}"]
    arabic = cmd(services, member, "mysubs")
    assert "ملخص يومي الساعة 07:15" in arabic.plain() and "مكتوم حتى 13:00" in arabic.plain()
    assert "ساعات الهدوء: 23:00–07:00 (تأجيل)" in arabic.plain() and arabic.buttons == []
    assert "/digest" not in arabic.plain()


# --- end to end: the fake Bot API and the fake Discord gateway -----------------------------------

TG_GROUP, TG_ADMIN, TG_MEMBER = -1001, 11, 12


def test_settings_commands_through_the_fake_bot_api(tmp_path, db_url):
    import re

    from tests.fake_telegram import FakeTelegram
    from tests.telegram_support import Harness, visible

    allowed = re.compile(r"</?(b|i|code|a)( href=\"[^\"<>]*\")?>")
    group = f"telegram:{TG_GROUP}"

    async def scenario(fake: FakeTelegram):
        async with Harness(tmp_path, db_url, fake, telegram="command_rate = 1000\ncommand_burst = 1000") as h:
            async def say(text: str, user: int = TG_ADMIN):
                return (await h.say(text, user_id=user, chat_id=TG_GROUP, chat_type="supergroup"))[-1]

            services = h.bot.services
            for text in ("/quiet 23:00-07:00", "/digest kursk hourly", "/timezone UTC+3", "/settings summary short"):
                assert "مشرفو المجموعة" in visible((await say(text, TG_MEMBER)).text), text
            assert _settings(services, group) == chat_settings.ChatSettings()
            assert "اشترك أولًا" in visible((await say("/digest kursk daily")).text)
            await say("/subscribe kursk")
            assert "ملخص يومي الساعة 21:30" in visible((await say("/digest kursk daily ٢١:٣٠")).text)
            assert "23:00–07:00 (تأجيل)" in visible((await say("/quiet ٢٣:٠٠-٠٧:٠٠ hold")).text)
            assert "Africa/Cairo (UTC" in visible((await say("/timezone Africa/Cairo")).text)
            assert "تنبيه لكل تقرير" in visible((await say("/settings reports kursk every")).text)
            # what the user typed comes back escaped
            bad = await say("/timezone <b>Mars</b>")
            assert "«<b>Mars</b>»" in visible(bad.text) and "&lt;b&gt;Mars" in bad.text

            view = await say("/settings")
            buttons = dict(view.buttons())
            assert set(buttons) == {"ملخص قصير", "✓ ملخص عادي", "🔕 بلا صوت", "✓ ⏸ تأجيل"}
            fake.press(view, buttons["ملخص قصير"], user_id=TG_MEMBER)  # refused: a toast, nothing changes
            assert await fake.until(lambda f: sum(m == "answerCallbackQuery" for m, _ in f.calls) >= 1)
            assert _settings(services, group).summary_length == "normal"
            fake.press(view, buttons["ملخص قصير"], user_id=TG_ADMIN)
            assert await fake.until(lambda f: bool(f.messages_to(TG_GROUP, "editMessageText")))
            edited = fake.messages_to(TG_GROUP, "editMessageText")[-1]
            assert ("✓ ملخص قصير", "cset:sum.short") in edited.buttons()
            assert _settings(services, group).summary_length == "short"

            mine = await say("/mysubs", TG_MEMBER)
            shown = visible(mine.text)
            assert "ملخص يومي الساعة 21:30 · تنبيه لكل تقرير" in shown
            assert "ساعات الهدوء: 23:00–07:00 (تأجيل) · المنطقة الزمنية: Africa/Cairo" in shown
            assert mine.buttons() == []
            for sent in (mine, view, await say("/mysubs"), await say("/quiet", TG_MEMBER)):
                leftover = allowed.sub("", sent.text)
                assert "<" not in leftover and ">" not in leftover
            got = _settings(services, group)
            assert (got.timezone, got.quiet_start, got.quiet_end, got.quiet_mode) == ("Africa/Cairo", 1380, 420, "hold")

    with FakeTelegram() as fake:
        fake.admins[TG_GROUP] = {TG_ADMIN}
        asyncio.run(scenario(fake))


def test_settings_commands_through_the_fake_discord_gateway(tmp_path, db_url):
    from tests.fake_discord import FakeDiscord
    from tests.test_discord_e2e import GUILD_CHANNEL, Harness

    channel = f"discord:{GUILD_CHANNEL}"

    async def scenario(fake: FakeDiscord):
        async with Harness(tmp_path, db_url, fake) as h:
            synced = {c["name"]: c for c in fake.commands}
            digest = synced["digest"]
            assert [(o["name"], o.get("required", False)) for o in digest["options"]] == [
                ("topic", True), ("frequency", True), ("at", False)]
            assert digest["options"][0]["autocomplete"] and int(digest["default_member_permissions"]) == 1 << 5
            for name, options in (("quiet", ["hours", "action"]), ("timezone", ["zone"])):
                assert [o["name"] for o in synced[name]["options"]] == options
                assert not any(o.get("required") for o in synced[name]["options"])
                assert synced[name].get("default_member_permissions") is None  # everyone may read them
            settings = {o["name"]: o for o in synced["settings"]["options"]}
            assert set(settings) == {"show", "summary", "reports"} and all(o["type"] == 1 for o in settings.values())
            assert [o["name"] for o in settings["reports"]["options"]] == ["topic", "reports"]

            async def run(name: str, args: str | None = None, admin: bool = True, **kw) -> str:
                return await h.command(name, args, channel_id=GUILD_CHANNEL, manage_guild=admin, user_id=555, **kw)

            assert "مشرفو المجموعة" in await run("quiet", "23:00-07:00", admin=False)
            assert "مشرفو المجموعة" in await run("settings", "summary short", admin=False)
            assert "لا ساعات هدوء" in await run("quiet", admin=False)
            assert "اشترك أولًا" in await run("digest", "kursk hourly")
            await run("subscribe", "kursk")
            assert "ملخص كل ساعة" in await run("digest", "kursk hourly")
            assert "22:00–06:30 (بلا صوت)" in await run("quiet", "22:00-06:30")
            assert "UTC+4" in await run("timezone", "UTC+4")
            english = await run("settings", "show", admin=False, locale="en-US")
            assert "Time zone: UTC+4" in english and "Quiet hours: 22:00–06:30 (silent)" in english
            mine = await run("mysubs", admin=False)
            assert "ملخص كل ساعة · تنبيه واحد لكل قصة" in mine and "المنطقة الزمنية: UTC+4" in mine

            await run("settings", "show")  # a Discord group has no bare form: its "show" subcommand
            view = fake.sent("followup")[-1]
            short = dict(view.custom_ids())["ملخص قصير"]
            h.bot.client._connection.parse_interaction_create(
                fake.press(short, view.message_id, channel_id=GUILD_CHANNEL, manage_guild=True))
            assert await fake.until(lambda f: f.sent("callback") and f.sent("callback")[-1].payload["type"] == 7)
            assert ("✓ ملخص قصير", short) in fake.sent("callback")[-1].custom_ids()
            services = h.bot.services
            got = _settings(services, channel)
            assert (got.summary_length, got.timezone) == ("short", "Etc/GMT-4")
            assert (got.quiet_start, got.quiet_end) == (1320, 390)
            assert _subs(services, channel)[_wid(services, "kursk")].mode == "hourly"

    with FakeDiscord() as fake:
        asyncio.run(scenario(fake))
