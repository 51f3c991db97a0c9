"""Issue 10 through the fake Discord gateway: slash commands from the registry with named options,
topic autocomplete over the watchlists the server may see, Manage Server as the default permission
of admin commands, and an owner-only command refused to a server admin."""

from __future__ import annotations

import asyncio

import pytest

from handlers.registry import Tier, commands
from storage import watchlists as watchlist_store
from storage.db import transaction
from tests.discord_support import options_for
from tests.fake_discord import GUILD_ID, FakeDiscord
from tests.test_discord_e2e import GUILD_CHANNEL, OWNER, Harness

DM = 1_200_000_000_000_000_900
SERVER = f"discord-guild:{GUILD_ID}"


@pytest.fixture
def fake():
    with FakeDiscord() as server:
        yield server


def _synced(fake: FakeDiscord) -> dict[str, dict]:
    return {c["name"]: c for c in fake.commands}


def test_slash_commands_have_named_options_permissions_and_both_languages(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake):
            pass

    asyncio.run(scenario())
    synced = _synced(fake)
    assert set(synced) == set(commands())
    for name, entry in commands().items():
        payload = synced[name]
        permission = payload.get("default_member_permissions")
        if entry.menu_tier >= Tier.ADMIN:
            assert permission is not None and int(permission) == 1 << 5, name  # MANAGE_GUILD
        else:
            assert permission is None, name
        assert payload["description_localizations"]["en-US"] and payload["description"] != \
            payload["description_localizations"]["en-US"]  # Arabic by default, English for English clients
    (topic,) = synced["subscribe"]["options"]
    assert topic["name"] == "topic" and topic["required"] and topic["autocomplete"] and topic["type"] == 3
    assert topic["description"] == "الموضوع" and topic["description_localizations"]["en-US"] == "The topic"
    timeline = {o["name"]: o for o in synced["timeline"]["options"]}
    assert timeline["topic"]["autocomplete"] and not timeline["period"]["required"]
    assert [o["name"] for o in synced["search"]["options"]] == ["query"]
    watch = {o["name"]: o for o in synced["watch"]["options"]}
    assert set(watch) == {"new", "add", "exclude", "remove", "show", "history", "delete"}
    assert all(o["type"] == 1 for o in watch.values())  # subcommands
    assert [o["name"] for o in watch["add"]["options"]] == ["topic", "terms"]
    assert [o["name"] for o in watch["new"]["options"]] == ["slug", "name"]
    feed = {o["name"]: o for o in synced["feed"]["options"]}
    assert [o["name"] for o in feed["add"]["options"]] == ["url"] and not feed["list"].get("options")


def _autocomplete(h: Harness, fake: FakeDiscord, name: str, text: str, focused: str, **kw) -> int:
    """Deliver an autocomplete request; returns how many callbacks the fake held before it."""
    before = len(fake.sent("callback"))
    payload = fake.interaction(name, options=options_for(name, text, focused=focused), kind=4, **kw)
    h.bot.client._connection.parse_interaction_create(payload)
    return before


def test_topic_autocomplete_offers_only_what_the_server_may_see(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            made = await h.command("watch", "new gdesk مكتب الخليج", channel_id=GUILD_CHANNEL, manage_guild=True)
            assert "gdesk" in made
            with transaction(h.app.factory) as s:
                assert watchlist_store.get_watchlist(s, "gdesk", SERVER) is not None  # the server's own

            async def choices(text: str, focused: str = "topic", name: str = "subscribe", **kw) -> list[str]:
                before = _autocomplete(h, fake, name, text, focused, **kw)
                assert await fake.until(lambda f: len(f.sent("callback")) > before)
                answer = fake.sent("callback")[before].payload
                assert answer["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
                return [c["value"] for c in answer["data"]["choices"]]

            assert await choices("", channel_id=GUILD_CHANNEL) == ["dprk-russia", "gdesk", "kursk"]
            assert await choices("gd", channel_id=GUILD_CHANNEL) == ["gdesk"]
            assert await choices("add كورس", name="watch", channel_id=GUILD_CHANNEL) == ["kursk"]  # by Arabic name
            # another place (a DM) does not see the server's own watchlist
            assert await choices("", channel_id=DM, guild=False, user_id=777) == ["dprk-russia", "kursk"]

            # the named options reach the handler as one command
            added = await h.command("watch", "add gdesk الخليج، مجلس التعاون", channel_id=GUILD_CHANNEL,
                                    manage_guild=True)
            assert "أُضيف" in added
            with transaction(h.app.factory) as s:
                assert watchlist_store.get_watchlist(s, "gdesk", SERVER).rules["any"] == ["الخليج", "مجلس التعاون"]

    asyncio.run(scenario())


def test_owner_only_commands_are_refused_to_a_server_admin(tmp_path, db_url, fake):
    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            for text in ("add https://news.example/rss", "remove https://news.example/rss",
                         "enable https://news.example/rss"):
                refused = await h.command("feed", text, channel_id=GUILD_CHANNEL, manage_guild=True)
                assert "لمالكي البوت فقط" in refused
            english = await h.command("feed", "add https://news.example/rss", channel_id=GUILD_CHANNEL,
                                      manage_guild=True, locale="en-US")
            assert "Only the bot's owners" in english
            assert "لا مصادر" in await h.command("feed", "list", channel_id=GUILD_CHANNEL, manage_guild=True)
            # nor may a server admin edit a global topic
            assert "مالكو البوت" in await h.command("watch", "delete kursk", channel_id=GUILD_CHANNEL,
                                                    manage_guild=True)
            owner = await h.command("feed", "add http://10.0.0.1/rss", channel_id=GUILD_CHANNEL, user_id=OWNER)
            assert "لمالكي" not in owner  # the owner gets past the router (the fetch guards answer)

    asyncio.run(scenario())


def test_every_registry_entry_is_refused_below_its_tier_through_the_gateway(tmp_path, db_url, fake):
    """Discord's default permissions only hide commands; the router still refuses every
    (sub)command whose tier is above the caller's, sent through the fake gateway."""
    from handlers.texts import t

    refusals = {t("ar", k) for k in ("admins_only", "owners_only", "group_admins_only")}

    async def scenario():
        async with Harness(tmp_path, db_url, fake) as h:
            for cmd in commands().values():
                for entry in cmd.subcommands or (cmd,):
                    words = [entry.name] if cmd.subcommands else []
                    # a setting's command sent bare shows it to everyone: given its arguments, it changes it
                    words += ["kursk" if a.kind == "topic" else "x" for a in entry.args if a.required or entry.show]
                    whom = [(False, Tier.EVERYONE)] + ([(True, Tier.ADMIN)] if entry.tier == Tier.OWNER else [])
                    for manage, tier in whom:
                        answer = await h.command(cmd.name, " ".join(words), channel_id=GUILD_CHANNEL,
                                                 manage_guild=manage, user_id=555)
                        assert (answer in refusals) == (entry.tier > tier), (cmd.name, words, tier.name, answer)

    asyncio.run(scenario())
