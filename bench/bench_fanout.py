"""Fan-out: one story to N subscribed private chats through the fake Bot API enforcing 30 msg/s.

The real path end to end: the pipeline stores the story and queues N outbox rows, the delivery
worker drains them through TelegramTransport (PTB Bot, AIORateLimiter, per-chat pacing) to the
fake server on 127.0.0.1, which answers 429 to anything over its 30/s budget. Prints the achieved
rate as a fraction of 30/s, the 429s received, and the lost and duplicate counts.

    python bench/bench_fanout.py                 # 10,000 chats, about six minutes
    python bench/bench_fanout.py --chats 1000    # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.transports.telegram import TelegramBot, services_for  # noqa: E402
from storage import chats as chat_store  # noqa: E402
from storage import status as status_store  # noqa: E402
from storage import watchlists as watchlist_store  # noqa: E402
from storage.db import transaction  # noqa: E402
from tests.conftest import SEEDS, write_config  # noqa: E402
from tests.fake_telegram import TOKEN, FakeTelegram  # noqa: E402

LIMIT = 30.0  # Telegram's overall broadcast limit, messages per second
FIRST_CHAT = 10_000_000


def _subscribe(app: App, n: int) -> None:
    with transaction(app.factory) as s:
        topic = watchlist_store.get_watchlist(s, "dprk-russia")
        assert topic is not None
        now = app.clock()
        for i in range(n):
            chat_store.subscribe(s, f"telegram:{FIRST_CHAT + i}", topic.id, now)


def _pending(app: App) -> int:
    with transaction(app.factory) as s:
        return status_store.outbox_health(s).pending


async def _deliver(app: App, bot: TelegramBot, timeout: float) -> None:
    worker = app.worker({"telegram": bot.transport})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await worker.drain()
        if await asyncio.to_thread(_pending, app) == 0:
            return
        await asyncio.sleep(0.2)  # rows put back after a 429 are due again shortly


def run(chats: int, concurrency: int, batch: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram(rate_limit=LIMIT) as fake:
        tmp_path = Path(tmp)
        config_path = write_config(
            tmp_path, f"sqlite:///{tmp_path / 'fanout.db'}",
            extra=f"[telegram]\nconcurrency = {concurrency}\n", subscriptions="",
            delivery=f"batch_size = {batch}\nlease = 600\nmax_attempts = 20\nbackoff_base = 1\n",
        )
        config = load_config(config_path, env={"RAQIB_TELEGRAM_BASE_URL": fake.base_url})
        app = App(config)
        app.bootstrap()
        _subscribe(app, chats)
        report = app.ingest_paths([SEEDS / "000_c3565df5185bbf54.txt"])
        queued = sum(o.queued for o in report.outcomes)
        assert queued == chats, f"expected {chats} queued alerts, got {queued}"

        async def main() -> None:
            bot = TelegramBot(config, services_for(app, config), TOKEN)
            await bot.start_sending_only()
            try:
                await _deliver(app, bot, timeout=chats / LIMIT * 3 + 120)
            finally:
                await bot.stop()

        started = time.monotonic()
        asyncio.run(main())
        wall = time.monotonic() - started
        app.close()

        alerts = [s for s in fake.sent if s.method == "sendMessage"]
        received = {s.chat_id for s in alerts}
        span = alerts[-1].at - alerts[0].at if len(alerts) > 1 else float("nan")
        rate = (len(alerts) - 1) / span if len(alerts) > 1 else 0.0
        return {
            "chats": chats,
            "rate": rate,
            "fraction": rate / LIMIT,
            "rejected_429": fake.rejected_429,
            "lost": chats - len(received & {FIRST_CHAT + i for i in range(chats)}),
            "duplicates": len(alerts) - len(received),
            "wall_s": wall,
        }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chats", type=int, default=10_000)
    p.add_argument("--concurrency", type=int, default=16, help="telegram.concurrency")
    p.add_argument("--batch", type=int, default=50, help="delivery.batch_size")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    r = run(args.chats, args.concurrency, args.batch)
    print(f"fan-out to {r['chats']:,} private chats through a fake Bot API enforcing {LIMIT:g} msg/s")
    print(f"  achieved rate   {r['rate']:.2f} msg/s = {r['fraction']:.3f} of {LIMIT:g}/s  (baseline: 1.0)")
    print(f"  429 answers     {r['rejected_429']}")
    print(f"  lost            {r['lost']}  (baseline: 0)")
    print(f"  duplicates      {r['duplicates']}  (baseline: 0)")
    print(f"  wall time       {r['wall_s']:.1f} s")
    return 0 if r["lost"] == 0 and r["duplicates"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
