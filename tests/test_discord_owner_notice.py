"""Discord owners hear of alerts given up, as Telegram owners do: through the outbox, in their
direct messages with the bot (``discord-dm:USER_ID``), opened over the fake Discord REST API."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage import chats
from storage import watchlists as watchlist_store
from storage.db import transaction
from storage.models import Chat, Delivery
from tests.conftest import SEEDS
from tests.fake_discord import FakeDiscord
from tests.test_discord_e2e import GUILD_CHANNEL, OWNER, Harness


def test_a_given_up_alert_reaches_the_discord_owner_by_direct_message(tmp_path, db_url):
    with FakeDiscord() as fake:
        async def scenario():
            async with Harness(tmp_path, db_url, fake) as h:
                assert f"discord-dm:{OWNER}" in h.app.owner_chats()
                with transaction(h.app.factory) as s:
                    chats.subscribe(s, f"discord:{GUILD_CHANNEL}", watchlist_store.get_watchlist(s, "kursk").id,
                                    h.clock())
                # Discord refuses every alert in that channel (a rejected body): given up at once.
                fake.fail(rf"POST /channels/{GUILD_CHANNEL}/messages", 400,
                          {"message": "Invalid Form Body", "code": 50035}, times=100)
                await h.ingest(SEEDS)
                first = await h.deliver()
                assert first.failed >= 1
                await h.deliver()  # the owners' notice, queued by the failure
                with transaction(h.app.factory) as s:
                    rows = s.execute(select(Chat.address, Delivery.state).join(Chat, Chat.id == Delivery.chat_id)
                                     .where(Chat.address == f"discord-dm:{OWNER}")).all()
                return rows

        rows = asyncio.run(scenario())
    assert rows == [(f"discord-dm:{OWNER}", "sent")]  # one notice, however many alerts failed
    (dm,) = fake.sent("dm")
    assert fake.channels[int(dm.target)] == {"dm_of": OWNER}  # the owner's own DM channel
    embed = dm.embeds[0]
    assert embed["title"].startswith("⚠️ تعذر توصيل") and "raqib outbox retry --failed" in embed["description"]
