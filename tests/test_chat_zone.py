"""Issue 12: a chat reads every time in its own zone (/timezone), not the configured one.

Alerts through the delivery worker and the real renderers (Telegram over the fake Bot API; the
console's text and JSON; Discord's embed), the replies that state times (the mute button, /status,
/search, /timeline, /watch history), the Discord choices and autocomplete the registry gives the
settings commands, and the held rows of a subscription switched from a digest back to instant alerts.
"""

from __future__ import annotations

import asyncio
import html
import io
import json
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.delivery import digests
from bot.delivery.alerts import ALERT, Alert
from bot.transports.console import ConsoleTransport
from bot.transports.discord import alert_embed
from handlers import router
from handlers.format import alert_reply, chat_zone
from handlers.registry import commands
from handlers.texts import t
from storage import chat_settings, chats, sources
from storage import watchlists as watchlist_store
from storage.db import transaction
from tests.conftest import SEEDS
from tests.telegram_support import add_story, caller
from tests.test_delivery_decide import (  # noqa: F401  (store: the fixture)
    Recording, add_story as add_queued_story, at_riyadh, rows, set_subscription, store, worker,
)

RIYADH = ZoneInfo("Asia/Riyadh")  # the configured zone of the test config (UTC+3 all year)
NEW_YORK = ZoneInfo("America/New_York")  # UTC-4 in August
GROUP = "telegram:-100"


def _set_zone(factory, address: str, name: str | None) -> None:
    with transaction(factory) as s:
        chat_settings.set_timezone(s, address, name, actor="test", now=datetime(2025, 8, 13, tzinfo=timezone.utc))


# --- alerts: through the worker and the real Telegram renderer -----------------------------------


def test_two_chats_get_the_same_story_at_their_own_local_times_over_the_bot_api(tmp_path, db_url):
    from storage import articles
    from tests.fake_telegram import FakeTelegram
    from tests.telegram_support import Harness

    meta = re.compile(r"<b>files</b> · (\d{4}-\d\d-\d\d \d\d:\d\d) (\S+?)[\n ]")

    async def scenario(fake: FakeTelegram) -> None:
        async with Harness(tmp_path, db_url, fake, telegram="command_rate = 1000\ncommand_burst = 1000") as h:
            for user, zone in ((501, "America/New_York"), (502, "Asia/Riyadh")):
                await h.say("/subscribe kursk", user_id=user)
                assert zone in html.unescape((await h.say(f"/timezone {zone}", user_id=user))[-1].text)
            await h.say("/subscribe kursk", user_id=503)  # no zone of its own: the configured one
            await h.ingest(SEEDS)
            await h.deliver()
            with transaction(h.app.factory) as s:
                published = {r.url: r.published_at for r in articles.list_stories(s, limit=100)}
            shown: dict[int, dict[str, tuple[str, str]]] = {}
            for alert in fake.alerts():
                url = html.unescape(re.search(r"<code>([^<]+)</code>", alert.text).group(1))
                moment, label = meta.search(alert.text).groups()
                shown.setdefault(alert.chat_id, {})[url] = (moment, label)
            assert set(shown) == {501, 502, 503} and all(len(v) == 3 for v in shown.values())
            assert set(shown[501]) == set(shown[502]) == set(shown[503]) <= set(published)
            for url in shown[501]:
                at = published[url]
                ny, riyadh = at.astimezone(NEW_YORK), at.astimezone(RIYADH)
                assert shown[501][url] == (ny.strftime("%Y-%m-%d %H:%M"), ny.strftime("%Z"))
                assert shown[502][url] == (riyadh.strftime("%Y-%m-%d %H:%M"), "+03")
                assert shown[503][url] == shown[502][url]  # the configured zone is Riyadh's
                assert shown[501][url][0] != shown[502][url][0]  # the same story, seven hours apart

    with FakeTelegram() as fake:
        asyncio.run(scenario(fake))


def test_console_text_and_json_show_the_chats_zone(store):
    from sqlalchemy import delete

    from bot.delivery.worker import DeliveryWorker, RetryPolicy
    from storage import outbox
    from storage.models import Delivery

    class Clock:
        now = at_riyadh(12, 30)

        def __call__(self) -> datetime:
            return self.now

    clock = Clock()
    story = add_queued_story(store, clock, 1, ["console:ny", "console:plain"], queue=False)
    with transaction(store) as s:
        chat_settings.set_timezone(s, "console:ny", "America/New_York", actor="test", now=clock())
    out = {"text": io.StringIO(), "jsonl": io.StringIO()}
    for fmt, stream in out.items():  # the same story to both chats, once per console format
        with transaction(store) as s:
            s.execute(delete(Delivery))
            ids = [chats.ensure_chat(s, a, clock()).id for a in ("console:ny", "console:plain")]
            wid = watchlist_store.get_watchlist(s, "t").id
            outbox.enqueue(s, story, [(i, wid, None) for i in ids], clock())
        transport = ConsoleTransport(RIYADH, fmt, stream)
        report = asyncio.run(DeliveryWorker(store, {"console": transport}, RetryPolicy(10, 60), clock=clock,
                                            zone=RIYADH).drain())
        assert report.sent == 2
    text = out["text"].getvalue()
    assert "2025-08-13 05:30 EDT" in text and "2025-08-13 12:30 +03" in text
    lines = [json.loads(line) for line in out["jsonl"].getvalue().splitlines()]
    assert {d["chat"]: d["published"] for d in lines} == {"console:ny": "2025-08-13T05:30:00-04:00",
                                                         "console:plain": "2025-08-13T12:30:00+03:00"}


def _alert(**kw) -> Alert:
    base = dict(chat="discord:1", thread_id=None, language="ar", topic="kursk", topic_name="كورسك", story_id=1,
                headline="معارك قرب كورسك", summary="تواصلت المعارك.", url="https://news.example/1", source="الجزيرة",
                published=datetime(2025, 8, 13, 21, 30, tzinfo=timezone.utc), matched=("كورسك",), kind=ALERT)
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def test_every_renderer_prefers_the_alerts_zone_to_the_transports():
    plain, ny = _alert(), _alert(zone=NEW_YORK)
    fields = lambda a: {f["name"]: f["value"] for f in alert_embed(a, RIYADH).to_dict()["fields"]}  # noqa: E731
    assert fields(plain)["الوقت"] == "2025-08-14 00:30 +03"
    assert fields(ny)["الوقت"] == "2025-08-13 17:30 EDT"
    assert "2025-08-13 17:30 EDT" in alert_reply(ny, RIYADH).plain()
    assert "2025-08-14 00:30 +03" in alert_reply(plain, RIYADH).plain()


# --- replies that state times -----------------------------------------------------------------


def _subscribe(services, address: str, slug: str) -> int:
    with transaction(services.factory) as s:
        wid = watchlist_store.get_watchlist(s, slug).id
        chats.subscribe(s, address, wid, services.clock())
        return wid


def test_the_mute_button_names_its_end_in_the_chats_zone(env):
    services, clock = env  # 2025-08-13 09:00 UTC
    admin = caller(8, chat=GROUP, chat_type="supergroup", group_admin=True)
    wid = _subscribe(services, GROUP, "kursk")
    riyadh = asyncio.run(router.handle_callback(services, admin, f"mute:{wid}.h"))
    assert "13:00" in riyadh.notice  # 10:00 UTC in the configured zone
    _set_zone(services.factory, GROUP, "America/New_York")
    ny = asyncio.run(router.handle_callback(services, admin, f"mute:{wid}.h"))
    assert "06:00" in ny.notice and "13:00" not in ny.notice
    assert asyncio.run(chat_zone(services, admin)) == NEW_YORK


def test_status_search_and_timeline_state_times_in_the_chats_zone(env):
    services, clock = env
    admin = caller(8, chat=GROUP, chat_type="supergroup", group_admin=True)
    with transaction(services.factory) as s:
        src = sources.ensure_source(s, "okaz", "files", "/x", 60, clock())
        sources.record_poll(s, src.id, clock(), clock(), None)
    # 21:00 UTC: past midnight in Riyadh (the 14th), still the afternoon of the 13th in New York
    add_story(services.factory, clock, 12, "kursk", "معارك عنيفة قرب كورسك")

    def say(name: str, args: str = "") -> str:
        return asyncio.run(router.handle_command(services, admin, name, args)).plain()

    assert "2025-08-13 12:00 +03" in say("status")
    assert "2025-08-14 · files" in say("search", "كورسك")
    assert "2025-08-14 · معارك عنيفة" in say("timeline", "kursk 2025")
    assert "2025-08-13 12:00 +03 · create" in say("watch", "history kursk")
    _set_zone(services.factory, GROUP, "America/New_York")
    assert "2025-08-13 05:00 EDT" in say("status")
    assert "2025-08-13 05:00 EDT · create" in say("watch", "history kursk")
    assert "2025-08-13 · files" in say("search", "كورسك")
    assert "2025-08-13 · معارك عنيفة" in say("timeline", "kursk 2025")
    # a date typed in a query is the chat's day too: from:2025-08-14 starts at midnight in New York
    assert "لا قصص" in say("search", "كورسك from:2025-08-14")


# --- Discord: choices and autocomplete from the registry ------------------------------------------


def test_the_registry_gives_the_settings_arguments_their_values():
    cmds = commands()
    freq = {a.name: a for a in cmds["digest"].args}["frequency"]
    assert [c.value for c in freq.choices] == ["instant", "hourly", "daily"]
    assert [c.value for c in cmds["settings"].sub("summary").args[0].choices] == ["short", "normal"]
    assert [c.value for c in cmds["settings"].sub("reports").args[1].choices] == ["story", "every"]
    assert [c.value for c in cmds["quiet"].args[1].choices] == ["silent", "hold"]
    assert cmds["timezone"].args[0].complete is not None and cmds["subscribe"].args[0].complete is not None
    for arg in (freq, cmds["quiet"].args[1]):  # every label exists in both languages
        assert all(c.text("ar") != c.text("en") for c in arg.choices)


def test_settings_options_are_lists_and_the_zone_is_autocompleted_over_the_gateway(tmp_path, db_url):
    from tests.discord_support import options_for
    from tests.fake_discord import FakeDiscord
    from tests.test_discord_e2e import GUILD_CHANNEL, Harness

    async def scenario(fake: FakeDiscord) -> None:
        async with Harness(tmp_path, db_url, fake) as h:
            synced = {c["name"]: c for c in fake.commands}

            def option(command: dict, name: str) -> dict:
                return next(o for o in command["options"] if o["name"] == name)

            freq = option(synced["digest"], "frequency")
            assert [c["value"] for c in freq["choices"]] == ["instant", "hourly", "daily"]
            assert not freq.get("autocomplete")
            names = [c["name"] for c in freq["choices"]]
            assert names == [t("ar", "mode_instant"), t("ar", "mode_hourly"), "ملخص يومي"]
            assert freq["choices"][2]["name_localizations"]["en-US"] == "Daily digest"
            settings = {o["name"]: o for o in synced["settings"]["options"]}
            assert [c["value"] for c in option(settings["summary"], "length")["choices"]] == ["short", "normal"]
            assert [c["value"] for c in option(settings["reports"], "reports")["choices"]] == ["story", "every"]
            assert option(settings["reports"], "topic")["autocomplete"]
            assert [c["value"] for c in option(synced["quiet"], "action")["choices"]] == ["silent", "hold"]
            zone = option(synced["timezone"], "zone")
            assert zone["autocomplete"] and not zone.get("choices")

            async def suggest(typed: str) -> list[str]:
                before = len(fake.sent("callback"))
                payload = fake.interaction("timezone", options=options_for("timezone", typed, focused="zone"), kind=4,
                                           channel_id=GUILD_CHANNEL)
                h.bot.client._connection.parse_interaction_create(payload)
                assert await fake.until(lambda f: len(f.sent("callback")) > before)
                answer = fake.sent("callback")[before].payload
                assert answer["type"] == 8
                return [c["value"] for c in answer["data"]["choices"]]

            assert (await suggest("الرياض"))[0] == "Asia/Riyadh"
            assert "America/New_York" in await suggest("new_york")
            assert (await suggest("UTC+4"))[0] == "Etc/GMT-4"
            first = await suggest("")
            assert first[0] == "default" and "Africa/Cairo" in first and len(first) <= 25

            async def run(name: str, args: str) -> str:
                return await h.command(name, args, channel_id=GUILD_CHANNEL, manage_guild=True, user_id=555)

            await run("subscribe", "kursk")
            assert "ملخص يومي الساعة 21:30" in await run("digest", "kursk daily 21:30")  # picked, then typed
            assert "(تأجيل)" in await run("quiet", "23:00-07:00 hold")
            assert "America/New\\_York" in await run("timezone", "America/New_York")  # markdown-escaped
            with transaction(h.app.factory) as s:
                got = chat_settings.get(s, f"discord:{GUILD_CHANNEL}")
            assert (got.timezone, got.quiet_mode) == ("America/New_York", "hold")

    with FakeDiscord() as fake:
        asyncio.run(scenario(fake))


# --- a digest subscription switched back to instant ------------------------------------------------


def test_held_rows_of_a_subscription_back_on_instant_are_sent_once(store):
    class Clock:
        now = at_riyadh(12, 10)

        def __call__(self) -> datetime:
            return self.now

    clock = Clock()
    add_queued_story(store, clock, 0, ["console:a"])
    set_subscription(store, "console:a", mode="hourly")
    t1 = Recording()
    asyncio.run(worker(store, t1, clock).drain())
    clock.now = at_riyadh(12, 20)
    add_queued_story(store, clock, 1, ["console:a"])
    asyncio.run(worker(store, t1, clock).drain())
    assert t1.sent == [] and [r[1] for r in rows(store)] == ["held", "held"]

    set_subscription(store, "console:a", mode="instant")  # by any path (the CLI, the database)
    clock.now = at_riyadh(12, 21)
    assert digests.run(store, clock()) == 0  # no digest: the rows go back to the queue
    assert [(r[0], r[1], r[5]) for r in rows(store)] == [("alert", "pending", None)] * 2
    t2 = Recording()
    assert asyncio.run(worker(store, t2, clock).drain()).sent == 2
    assert [a.kind for a in t2.sent] == [ALERT, ALERT]
    # once: the hour closes with nothing held, another drain and run send nothing more
    clock.now = at_riyadh(13, 5)
    assert digests.run(store, clock()) == 0
    assert asyncio.run(worker(store, t2, clock).drain()).sent == 0 and len(t2.sent) == 2
    assert [r[1] for r in rows(store)] == ["sent", "sent"]


def test_digest_instant_releases_the_chats_held_rows_at_once(env):
    services, clock = env
    admin = caller(8, chat=GROUP, chat_type="supergroup", group_admin=True)
    kursk = _subscribe(services, GROUP, "kursk")
    dprk = _subscribe(services, GROUP, "dprk-russia")
    from sqlalchemy import select, update

    from storage import outbox
    from storage.models import Delivery

    story_k = add_story(services.factory, clock, 1, "kursk", "معارك قرب كورسك")
    story_d = add_story(services.factory, clock, 2, "dprk-russia", "رسالة من بيونغ يانغ")
    with transaction(services.factory) as s:
        chat_id = chats.ensure_chat(s, GROUP, clock()).id
        outbox.enqueue(s, story_k, [(chat_id, kursk, None)], clock())
        outbox.enqueue(s, story_d, [(chat_id, dprk, None)], clock())
        s.execute(update(Delivery).values(state=outbox.HELD, period="daily:2025-08-14T08:00",
                                          next_attempt_at=clock() + timedelta(hours=20)))
    for slug in ("kursk", "dprk-russia"):
        assert "ملخص يومي" in asyncio.run(router.handle_command(services, admin, "digest", f"{slug} daily")).plain()
    answer = asyncio.run(router.handle_command(services, admin, "digest", "kursk instant")).plain()
    assert t("ar", "mode_instant") in answer
    with transaction(services.factory) as s:
        got = dict(s.execute(select(Delivery.watchlist_id, Delivery.state)).all())
    assert got == {kursk: outbox.PENDING, dprk: outbox.HELD}  # only the subscription switched back
