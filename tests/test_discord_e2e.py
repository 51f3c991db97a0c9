"""End to end: real discord.py against the fake Discord REST API; slash commands in, embeds out.

Interactions are handed to discord.py's own ``parse_interaction_create`` (what its gateway reader
does with INTERACTION_CREATE); every answer, alert and notice travels over HTTP to the fake.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.config import load_config
from bot.transports.discord import DiscordBot, escape, services_for
from handlers.router import COMMANDS
from storage import articles, chats, outbox
from storage.db import transaction
from storage.models import Chat, Delivery
from tests.conftest import SEEDS, Clock, write_config
from tests.discord_support import options_for
from tests.fake_discord import APP_ID, GUILD_ID, TOKEN, FakeDiscord

GUILD_CHANNEL = 1_200_000_000_000_000_600
THREAD = 1_200_000_000_000_000_700
FORUM = 1_200_000_000_000_000_650
OWNER = 4242


@pytest.fixture
def fake():
    with FakeDiscord() as server:
        yield server


class Harness:
    """raqib's App and DiscordBot on a test database, logged in to the fake; a hand-moved clock
    drives the outbox and the rate-limit memory alike."""

    def __init__(self, tmp_path: Path, db_url: str, fake: FakeDiscord, token: str | None = TOKEN,
                 subscriptions: str = "") -> None:
        path = write_config(tmp_path, db_url, extra=f"[discord]\nowners = [{OWNER}]\nbacklog = 0\ncommand_rate = 1000\n"
                                                 "command_burst = 1000\n",
                            subscriptions=subscriptions,
                            delivery="backoff_base = 1\nbackoff_max = 2\nmax_attempts = 8\n")
        env = {"RAQIB_DISCORD_API_BASE": fake.api_base}
        if token:
            env["RAQIB_DISCORD_TOKEN"] = token
        self.config = load_config(path, env=env)
        self.fake = fake
        self.clock = Clock(datetime.now(timezone.utc))
        self.app = App(self.config, clock=self.clock)
        self.app.bootstrap()
        self.bot = DiscordBot(self.config, services_for(self.app, self.config), self.config.discord_token,
                              self.app.factory)
        self.slept: list[float] = []

        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)

        self.bot.pacer._clock = lambda: self.clock.now.timestamp()
        self.bot.pacer._sleep = sleep
        self.worker = self.app.worker(self.bot.transports())

    async def __aenter__(self) -> "Harness":
        await self.bot.start(connect=False)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.bot.stop()
        self.app.close()

    async def command(self, name: str, args: str | None = None, **kw) -> str:
        """Run a slash command; return the text of the follow-up that answers it."""
        before = len(self.fake.sent("followup"))
        options = options_for(name, args)  # named options, as Discord sends them (issue 10)
        self.bot.client._connection.parse_interaction_create(self.fake.interaction(name, options=options, **kw))
        assert await self.fake.until(lambda f: len(f.sent("followup")) > before), f"no answer to /{name}"
        answer = self.fake.sent("followup")[before]
        return answer.content + "".join(e.get("description") or "" for e in answer.embeds)

    def subscribe_webhook(self, url: str, topic: str) -> str:
        """Subscribe a webhook URL as `raqib subscriptions add` does; returns the stored address."""
        from bot.transports.discord_address import webhook_address
        from storage import watchlists

        with transaction(self.app.factory) as s:
            address = webhook_address(s, f"discord-webhook:{url}", self.clock())
            chats.subscribe(s, address, watchlists.get_watchlist(s, topic).id, self.clock())
        return address

    async def ingest(self, *paths: Path) -> None:
        await asyncio.to_thread(self.app.ingest_paths, list(paths))

    async def deliver(self):
        return await self.worker.drain()

    def rows(self) -> list[tuple[str, str, int, str | None]]:
        with transaction(self.app.factory) as s:
            q = select(Chat.address, Delivery.state, Delivery.attempts, Delivery.last_error).join(
                Chat, Chat.id == Delivery.chat_id).order_by(Delivery.id)
            return [tuple(r) for r in s.execute(q)]  # type: ignore[misc]

    def states(self) -> dict[str, int]:
        with transaction(self.app.factory) as s:
            return outbox.counts(s)

    def subscriptions(self) -> list[tuple[str, str, str | None]]:
        with transaction(self.app.factory) as s:
            return [(r.chat, r.topic, r.thread_id) for r in chats.list_subscriptions(s)]

    def stories(self) -> dict[str, object]:
        with transaction(self.app.factory) as s:
            return {r.headline: r for r in articles.list_stories(s, limit=100)}


def test_slash_subscription_then_seeds_then_one_embed_per_story(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            assert {c["name"] for c in fake.commands} == set(COMMANDS)  # the router's commands, no list here
            answer = await h.command("subscribe", "kursk", channel_id=GUILD_CHANNEL, manage_guild=True)
            assert "كورسك" in answer
            assert h.subscriptions() == [(f"discord:{GUILD_CHANNEL}", "kursk", None)]
            deferred = fake.sent("callback")[-1]
            assert deferred.payload["type"] == 5  # "thinking…" first: handlers may take more than 3 s

            await h.ingest(SEEDS)
            report = await h.deliver()
            alerts = fake.alerts()
            assert report.sent == len(alerts) == 3
            stories = h.stories()
            for alert in alerts:
                assert alert.route == "channel" and alert.target == str(GUILD_CHANNEL)
                assert alert.payload["allowed_mentions"] == {"parse": []}
                (embed,) = alert.embeds
                story = stories[embed["title"]]
                assert embed["description"] == escape(story.summary)
                assert embed["footer"]["text"] == "#kursk · كورسك"
                names = [f["name"] for f in embed["fields"]]
                assert names[:2] == ["المصدر", "الوقت"]
                assert embed["fields"][0]["value"] == "files"
                assert embed["fields"][1]["value"].endswith("+03")
                assert "url" not in embed  # a file source has no web link: it is shown as a field
                assert embed["fields"][2]["value"].endswith(".txt")

            # Nothing twice: another drain and the same seeds again send nothing.
            await h.ingest(SEEDS)
            again = await h.deliver()
            assert again.sent == 0 and len(fake.alerts()) == 3
            assert h.states() == {"sent": 3}

    asyncio.run(scenario())


def test_members_without_manage_server_cannot_subscribe_the_channel_or_edit_topics(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            refused = await h.command("subscribe", "kursk", channel_id=GUILD_CHANNEL)
            assert "للمشرفين" in refused or "مشرف" in refused
            assert h.subscriptions() == []
            watch = await h.command("watch", "add kursk زابوريجيا", channel_id=GUILD_CHANNEL, locale="en-US")
            assert "admin" in watch.lower()
            # The configured owner may, even without the permission in this server.
            owner = await h.command("watch", "new zpp محطة زابوريجيا", channel_id=GUILD_CHANNEL, user_id=OWNER)
            assert "zpp" in owner
            with transaction(h.app.factory) as s:
                from storage import watchlists

                row = watchlists.get_watchlist(s, "zpp", f"discord-guild:{GUILD_ID}")  # the server's own topic
                assert row is not None
                assert {e.actor for e in watchlists.edits(s, "zpp", row.scope)} == {
                    f"discord:user:{OWNER} (@user{OWNER})"}

    asyncio.run(scenario())


def test_a_subscription_made_in_a_thread_posts_in_that_thread(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            answer = await h.command("subscribe", "dprk-russia", channel_id=THREAD, channel_type=11,
                                     parent_id=FORUM, manage_guild=True)
            assert "ستصل التنبيهات إلى هذا الموضوع" in answer  # the handler's thread note
            assert h.subscriptions() == [(f"discord:{THREAD}", "dprk-russia", str(THREAD))]
            await h.ingest(SEEDS)
            await h.deliver()
            alerts = fake.alerts()
            assert alerts and {a.target for a in alerts} == {str(THREAD)}
            assert all(a.embeds[0]["footer"]["text"].startswith("#dprk_russia · ") for a in alerts)

    asyncio.run(scenario())


def test_topic_buttons_subscribe_and_redraw_the_board(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            await h.command("topics", channel_id=GUILD_CHANNEL, manage_guild=True)
            board = fake.sent("followup")[-1]
            buttons = dict(board.custom_ids())
            kursk = buttons["➕ كورسك"]  # issue 10: buttons name the watchlist by id ("sub:#2")
            assert kursk.startswith("sub:#")
            h.bot.client._connection.parse_interaction_create(
                fake.press(kursk, board.message_id, channel_id=GUILD_CHANNEL, manage_guild=True))
            assert await fake.until(lambda f: f.sent("callback") and f.sent("callback")[-1].payload["type"] == 7)
            edited = fake.sent("callback")[-1]
            assert ("✖ كورسك", "un" + kursk) in edited.custom_ids()
            assert h.subscriptions() == [(f"discord:{GUILD_CHANNEL}", "kursk", None)]
            # A member without the permission gets a private refusal, and nothing changes.
            h.bot.client._connection.parse_interaction_create(
                fake.press("un" + kursk, board.message_id, channel_id=GUILD_CHANNEL))
            assert await fake.until(lambda f: f.sent("callback")[-1].payload["type"] == 4)
            refusal = fake.sent("callback")[-1].payload["data"]
            assert refusal["flags"] & 64  # ephemeral
            assert h.subscriptions() == [(f"discord:{GUILD_CHANNEL}", "kursk", None)]

    asyncio.run(scenario())


def test_a_short_429_is_waited_out_and_a_long_one_goes_back_to_the_outbox(tmp_path, db_url, fake):
    subs = f'[[subscriptions]]\nchat = "discord:{GUILD_CHANNEL}"\ntopics = ["dprk-russia"]\n'

    async def scenario():
        async with Harness(tmp_path, db_url, fake, subscriptions=subs) as h:
            await h.ingest(SEEDS)
            expected = len(h.rows())
            assert expected >= 2
            # A short per-route 429: discord.py waits retry_after on that route and retries.
            fake.fail(r"POST /channels/\d+/messages", 429, {"message": "You are being rate limited.",
                                                            "retry_after": 0.05, "global": False})
            first = await h.deliver()
            assert first.sent == expected and first.retried == 0
            assert [s for m, p, s in fake.requests if p.endswith("/messages")].count(429) == 1

    asyncio.run(scenario())


def test_a_long_429_reschedules_without_using_an_attempt(tmp_path, db_url, fake):
    subs = f'[[subscriptions]]\nchat = "discord:{GUILD_CHANNEL}"\ntopics = ["dprk-russia"]\n'

    async def scenario():
        async with Harness(tmp_path, db_url, fake, subscriptions=subs) as h:
            await h.ingest(SEEDS)
            total = len(h.rows())
            fake.fail(r"POST /channels/\d+/messages", 429, {"message": "You are being rate limited.",
                                                            "retry_after": 120, "global": True})
            report = await h.deliver()
            # The 429 one and every other one on that route wait: none was sent, none lost an attempt.
            assert report.sent == 0 and report.retried == total
            assert {(state, attempts) for _, state, attempts, _ in h.rows()} == {("pending", 0)}
            assert len([s for _, _, s in fake.requests if s == 429]) == 1  # the others never asked
            assert await h.deliver() == type(report)()  # not due yet
            h.clock.advance(121)
            late = await h.deliver()
            assert late.sent == total and len(fake.alerts()) == total
            assert h.states() == {"sent": total}

    asyncio.run(scenario())


def test_an_unknown_channel_stops_deliveries_there_and_tells_the_owners(tmp_path, db_url, fake):
    gone = 1_200_000_000_000_000_999
    subs = (f'[[subscriptions]]\nchat = "discord:{gone}"\ntopics = ["dprk-russia"]\n'
            f'[[subscriptions]]\nchat = "discord:{GUILD_CHANNEL}"\ntopics = ["dprk-russia"]\n')
    fake.gone_channels.add(gone)

    async def scenario():
        async with Harness(tmp_path, db_url, fake, subscriptions=subs) as h:
            await h.ingest(SEEDS)
            report = await h.deliver()
            states = {}
            for address, state, _, _ in h.rows():
                states.setdefault(address, set()).add(state)
            assert states == {f"discord:{gone}": {"dead"}, f"discord:{GUILD_CHANNEL}": {"sent"}}
            assert report.dropped >= 1
            # One request to the dead channel, then the rest of its backlog was dropped unsent.
            assert len([p for m, p, s in fake.requests if p.endswith(f"/channels/{gone}/messages")]) == 1
            with transaction(h.app.factory) as s:
                chat = s.scalar(select(Chat).where(Chat.address == f"discord:{gone}"))
                assert chat.active is False and "Unknown Channel" in (chat.inactive_reason or "")
            dms = fake.sent("dm")
            assert len(dms) == 1 and str(gone) in dms[0].content
            assert dms[0].payload["allowed_mentions"] == {"parse": []}

    asyncio.run(scenario())


def test_a_webhook_destination_gets_embeds_with_wait_and_no_gateway(tmp_path, db_url, fake, caplog):
    ident, url = fake.add_webhook()
    token = url.rsplit("/", 1)[1]

    async def scenario():
        async with Harness(tmp_path, db_url, fake, token=None) as h:  # webhooks only: no bot token
            address = h.subscribe_webhook(url, "dprk-russia")
            assert address == f"discord-webhook:{ident}"
            await h.ingest(SEEDS)
            report = await h.deliver()
            hooks = fake.sent("webhook")
            assert report.sent == len(hooks) >= 2
            assert all(p.params.get("wait") == "true" and p.target == ident for p in hooks)
            assert all(p.payload["allowed_mentions"] == {"parse": []} for p in hooks)
            with transaction(h.app.factory) as s:
                ids = set(s.scalars(select(Delivery.message_id).where(Delivery.state == "sent")))
            assert ids == {str(p.message_id) for p in hooks}  # wait=true: Discord's message id is recorded
            assert not any("/users/@me" in p for _, p, _ in fake.requests)  # never logged in

    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
    assert token not in caplog.text


def test_webhook_429_waits_per_route_and_global_then_delivers_once(tmp_path, db_url, fake):
    ident, url = fake.add_webhook()

    async def scenario():
        async with Harness(tmp_path, db_url, fake, token=None) as h:
            h.subscribe_webhook(url, "dprk-russia")
            await h.ingest(SEEDS)
            total = len(h.rows())
            fake.fail(rf"POST /webhooks/{ident}/", 429, {"message": "You are being rate limited.",
                                                         "retry_after": 30, "global": False})
            first = await h.deliver()
            assert first.sent == 0 and first.retried == total
            assert len(fake.requests) == 1  # after the 429 the route was not asked again
            assert {(state, attempts) for _, state, attempts, _ in h.rows()} == {("pending", 0)}
            assert h.bot.pacer.blocked_for(f"webhook:{ident}") == pytest.approx(30, abs=0.01)
            assert h.bot.pacer.blocked_for("webhook:other") == 0  # per route, not global

            h.clock.advance(31)
            fake.fail(rf"POST /webhooks/{ident}/", 429, {"message": "global", "retry_after": 2, "global": True})
            second = await h.deliver()
            # The 429'd alert goes back to the outbox; the ones queued behind it sleep the short wait.
            assert (second.sent, second.retried) == (total - 1, 1)
            assert h.slept and h.slept[-1] == pytest.approx(2, abs=0.01)
            assert h.bot.pacer.blocked_for("webhook:other") == pytest.approx(2, abs=0.01)  # global: every route
            h.clock.advance(3)
            await h.deliver()
            assert h.states() == {"sent": total}
            assert len(fake.sent("webhook")) == total  # each alert exactly once

    asyncio.run(scenario())


def test_an_unknown_webhook_is_disabled_with_a_notice_to_the_owners(tmp_path, db_url, fake, caplog):
    ident, url = fake.add_webhook()
    token = url.rsplit("/", 1)[1]

    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            address = h.subscribe_webhook(url, "dprk-russia")
            del fake.webhooks[ident]  # someone deleted the webhook in Discord
            await h.ingest(SEEDS)
            report = await h.deliver()
            assert report.sent == 0 and report.dropped >= 1
            assert {state for _, state, _, _ in h.rows()} == {"dead"}
            assert len([p for _, p, _ in fake.requests if "/webhooks/" in p and str(APP_ID) not in p]) == 1
            with transaction(h.app.factory) as s:
                chat = s.scalar(select(Chat).where(Chat.address == address))
                assert chat.active is False and "10015" in (chat.inactive_reason or "")
            (dm,) = fake.sent("dm")
            assert ident in dm.content and token not in dm.content

    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
    assert token not in caplog.text and TOKEN not in caplog.text  # neither the webhook's nor the bot's


def test_webhook_server_errors_retry_and_rejected_content_fails_alone(tmp_path, db_url, fake):
    ident, url = fake.add_webhook()

    async def scenario():
        async with Harness(tmp_path, db_url, fake, token=None) as h:
            address = h.subscribe_webhook(url, "dprk-russia")
            await h.ingest(SEEDS)
            total = len(h.rows())
            fake.fail(rf"POST /webhooks/{ident}/", 502, {"message": "Bad Gateway"})
            fake.fail(rf"POST /webhooks/{ident}/", 400, {"message": "Invalid Form Body", "code": 50035})
            first = await h.deliver()
            assert (first.sent, first.retried, first.failed) == (total - 2, 1, 1)
            rows = h.rows()
            assert sorted((state, attempts) for _, state, attempts, _ in rows if state != "sent") == [
                ("failed", 1), ("pending", 1)]
            h.clock.advance(5)
            await h.deliver()
            assert h.states() == {"sent": total - 1, "failed": 1}
            with transaction(h.app.factory) as s:
                assert s.scalar(select(Chat.active).where(Chat.address == address)) is True  # the webhook stays

    asyncio.run(scenario())


def test_every_router_command_answers_in_a_dm_and_long_help_fits(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            await h.ingest(SEEDS)
            for name, entry in COMMANDS.items():  # whatever the registry holds, Discord answers it
                target = entry.subcommands[-1] if entry.subcommands else entry
                words = [target.name] if entry.subcommands else []
                words += ["kursk" if a.kind == "topic" else "x" for a in target.args if a.required]
                args = " ".join(words)
                answer = await h.command(name, args, guild=False, channel_id=1_200_000_000_000_000_800,
                                         user_id=777, locale="en-US")
                assert answer.strip(), name
            help_ = fake.sent("followup")[0]
            assert help_.content or help_.embeds  # long answers become an embed within 4,096
            found = await h.command("search", "كيم", guild=False, channel_id=1_200_000_000_000_000_800, user_id=777)
            assert "كيم" in found or "Kim" in found
            # In a DM anyone manages their own subscriptions.
            await h.command("subscribe", "kursk", guild=False, channel_id=1_200_000_000_000_000_800, user_id=777)
            assert h.subscriptions() == [("discord:1200000000000000800", "kursk", None)]

    asyncio.run(scenario())


def test_a_throttled_user_is_told_once_then_the_thinking_message_goes(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            h.bot.services.throttle = type(h.bot.services.throttle)(1, 2)  # 2 at once, then 1 a minute
            answers = [await h.command("mysubs", channel_id=GUILD_CHANNEL, user_id=888) for _ in range(3)]
            assert "أرسلت أوامر كثيرة بسرعة" in answers[-1]
            assert len(fake.sent("delete")) == 0
            h.bot.client._connection.parse_interaction_create(
                fake.interaction("mysubs", channel_id=GUILD_CHANNEL, user_id=888))
            assert await fake.until(lambda f: len(f.sent("delete")) == 1)
            assert len(fake.sent("followup")) == 3

    asyncio.run(scenario())


def test_timeline_chart_arrives_as_an_attachment_and_search_pages_are_buttons(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            await h.ingest(SEEDS)
            await h.command("timeline", "dprk-russia", channel_id=GUILD_CHANNEL)
            answer = fake.sent("followup")[-1]
            with transaction(h.app.factory) as s:
                from storage import stories

                has_stories = bool(stories.topic_stories(s, "dprk-russia", 5))
            assert has_stories
            from handlers import timeline as timeline_cmd

            (chart_id,) = [cid for _, cid in answer.custom_ids() if cid.startswith(timeline_cmd.CHART_CALLBACK + ":")]
            h.bot.client._connection.parse_interaction_create(
                fake.press(chart_id, answer.message_id, channel_id=GUILD_CHANNEL))
            assert await fake.until(lambda f: any(p.files == 1 for p in f.sent("callback")))
            (chart,) = [p for p in fake.sent("callback") if p.files == 1]
            assert chart.payload["type"] == 4 and chart.payload["data"]["allowed_mentions"] == {"parse": []}
            reply = await h.command("search", "روسيا", channel_id=GUILD_CHANNEL)
            assert reply.strip()
            for _, custom_id in fake.sent("followup")[-1].custom_ids():
                assert len(custom_id) <= 100

    asyncio.run(scenario())
