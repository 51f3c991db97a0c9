"""Discord fan-out: one batch of alerts to many webhooks and channels through the outbox.

The real path end to end: the seeds go through the pipeline, the outbox holds one row per
destination and story, and the delivery worker drains it through DiscordWebhookTransport and
DiscordTransport (discord.py) to the fake Discord API on 127.0.0.1, which answers a global 429 to
anything over 50 requests in a trailing second, like Discord. Prints the achieved request rate
and the busiest one-second window beside Discord's 50/s limit, the 429s, and lost/duplicate counts.

    python bench/bench_discord.py                       # 200 webhooks + 100 channels
    python bench/bench_discord.py --webhooks 50 --channels 20
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.transports.discord import DiscordBot, services_for  # noqa: E402
from bot.transports.discord_address import webhook_address  # noqa: E402
from storage import chats as chat_store  # noqa: E402
from storage import outbox  # noqa: E402
from storage import watchlists as watchlist_store  # noqa: E402
from storage.db import transaction  # noqa: E402
from tests.conftest import SEEDS, write_config  # noqa: E402
from tests.fake_discord import TOKEN, FakeDiscord  # noqa: E402

LIMIT = 50  # Discord's global limit, requests per second


def busiest_window(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, t in enumerate(stamps):
        while stamps[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(webhooks: int, channels: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeDiscord(global_limit=LIMIT) as fake:
        path = write_config(Path(tmp), f"sqlite:///{tmp}/bench.db", subscriptions="",
                            extra="[discord]\nconcurrency = 16\n")
        config = load_config(path, env={"RAQIB_DISCORD_API_BASE": fake.api_base, "RAQIB_DISCORD_TOKEN": TOKEN})
        app = App(config)
        app.bootstrap()
        with transaction(app.factory) as s:
            topic = watchlist_store.get_watchlist(s, "dprk-russia").id
            for _ in range(webhooks):
                _, url = fake.add_webhook()
                chat_store.subscribe(s, webhook_address(s, f"discord-webhook:{url}", app.clock()), topic, app.clock())
            for i in range(channels):
                chat_store.subscribe(s, f"discord:{1_300_000_000_000_000_000 + i}", topic, app.clock())
        bot = DiscordBot(config, services_for(app, config), TOKEN, app.factory)
        await bot.start_sending_only()
        app.ingest_paths([SEEDS])
        with transaction(app.factory) as s:
            queued = outbox.counts(s).get("pending", 0)
        worker = app.worker(bot.transports())
        before = len(fake.stamps)
        started = time.monotonic()
        while True:
            await worker.drain()
            with transaction(app.factory) as s:
                if outbox.counts(s).get("pending", 0) == 0:
                    break
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        await bot.stop()
        stamps = fake.stamps[before:]
        per_target = Counter((a.route, a.target, a.embeds[0]["title"]) for a in fake.alerts())
        with transaction(app.factory) as s:
            sent = outbox.counts(s).get("sent", 0)
        app.close()
    print(f"alerts queued          {queued}  (webhooks {webhooks}, channels {channels})")
    print(f"alerts delivered       {sent}  lost {queued - sent}  duplicates {sum(n - 1 for n in per_target.values())}")
    print(f"requests               {len(stamps)} in {elapsed:.1f}s = {len(stamps) / elapsed:.1f}/s   "
          f"(baseline: Discord's global limit {LIMIT}/s; raqib's [discord] rate 45/s)")
    print(f"busiest 1-second window {busiest_window(stamps)} requests   (must stay under {LIMIT})")
    print(f"global 429s received   {fake.rejected_429}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=200)
    parser.add_argument("--channels", type=int, default=100)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.webhooks, args.channels))


if __name__ == "__main__":
    main()
