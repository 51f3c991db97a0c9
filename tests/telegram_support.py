"""Helpers shared by the handler and Telegram tests: a database with the seed topics, stories,
callers, and an in-process bot wired to the fake Bot API."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from bot.config import load_config
from bot.topics import TopicIndex, seed_watchlists
from bot.search import index_keys
from bot.transports.telegram import TelegramBot, services_for
from handlers.base import Caller
from handlers.services import Services
from handlers.throttle import Throttle
from storage import articles, outbox, sources
from storage import status as status_store
from storage.db import make_engine, session_factory, transaction, upgrade
from storage.models import Chat, Delivery
from tests.conftest import SEEDS, Clock, write_config
from tests.fake_telegram import TOKEN, FakeTelegram

TZ = ZoneInfo("Asia/Riyadh")



def make_services(db_url: str, clock: Clock | None = None, backlog: int = 3, throttle: Throttle | None = None):
    """Services over a fresh database holding the seed watchlists; returns (services, engine)."""
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    clock = clock or Clock()
    with transaction(factory) as s:
        seed_watchlists(s, SEEDS / "watchlists.toml", clock())
    services = Services(
        factory=factory, timezone=TZ, topics=TopicIndex(), clock=clock, backlog=backlog,
        throttle=throttle or Throttle(10_000, 10_000),
    )
    return services, engine


def add_story(factory, clock: Clock, n: int, slug: str, headline: str | None = None, summary: str = "ملخص.") -> int:
    """A stored story matched to ``slug``, published ``n`` hours after the clock's start."""
    with transaction(factory) as s:
        src = sources.ensure_source(s, "files", "files", "-", 0, clock())
        from storage import watchlists

        wl = watchlists.get_watchlist(s, slug)
        published = clock() + timedelta(hours=n)
        story = articles.create_story(s, headline or f"عنوان {n}", summary, published, clock())
        articles.add_article(
            s, story.id,
            articles.NewArticle(src.id, f"https://news.example/{n}", None, headline or f"عنوان {n}", "نص", published,
                                "text", clock(), f"{n:064d}", b"fp", [n],
                                search_keys=index_keys(headline or f"عنوان {n}", "نص")),
        )
        articles.add_story_topic(s, story.id, wl.id, ["كورسك"], clock())
        return story.id


def caller(
    user_id: int | None = 1,
    chat: str | None = None,
    chat_type: str = "private",
    language: str = "ar",
    owner: bool = False,
    group_admin: bool = False,
    thread: str | None = None,
) -> Caller:
    checks: list[int] = []

    async def check(_: Caller) -> bool:
        checks.append(1)
        return group_admin

    c = Caller(
        user_id=user_id, chat=chat or f"telegram:{user_id}", chat_type=chat_type, language=language,  # type: ignore[arg-type]
        thread_id=thread, user_name="tester", is_owner=owner, admin_check=check,
    )
    object.__setattr__(c, "_checks", checks)
    return c


def queued(factory, address: str) -> list[tuple[int, str, str | None]]:
    """(story_id, state, thread_id) of the chat's outbox rows."""
    with transaction(factory) as s:
        q = (
            select(Delivery.story_id, Delivery.state, Delivery.thread_id)
            .join(Chat, Chat.id == Delivery.chat_id)
            .where(Chat.address == address)
            .order_by(Delivery.id)
        )
        return [tuple(r) for r in s.execute(q)]  # type: ignore[misc]


def visible(text: str) -> str:
    """What a Telegram user sees of an HTML message."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


# --- an in-process bot against the fake Bot API ----------------------------------------------------


class Harness:
    """raqib's App and TelegramBot on a test database, polling the fake server for real."""

    def __init__(self, tmp_path: Path, db_url: str, fake: FakeTelegram, *, telegram: str = "",
                 subscriptions: str = "", env: dict | None = None) -> None:
        extra = f"[telegram]\n{telegram}\npoll_timeout = 1\n"
        path = write_config(tmp_path, db_url, extra=extra, subscriptions=subscriptions,
                            delivery="backoff_base = 1\nbackoff_max = 2\nmax_attempts = 8\n")
        self.config = load_config(path, env={"RAQIB_TELEGRAM_BASE_URL": fake.base_url, "RAQIB_TELEGRAM_TOKEN": TOKEN,
                                             **(env or {})})
        self.fake = fake
        self.app = App(self.config)
        self.app.bootstrap()
        self.bot = TelegramBot(self.config, services_for(self.app, self.config), TOKEN)
        self.worker = self.app.worker({"telegram": self.bot.transport})

    async def __aenter__(self) -> "Harness":
        await self.bot.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.bot.stop()
        self.app.close()

    async def say(self, text: str, *, user_id: int, chat_id: int | None = None, timeout: float = 30, **kw) -> list:
        """Send a message and wait for the bot's next message (or edit) in that chat."""
        target = chat_id if chat_id is not None else user_id
        before = len(self.fake.messages_to(target))
        self.fake.send_text(text, user_id=user_id, chat_id=chat_id, **kw)
        assert await self.fake.until(lambda f: len(f.messages_to(target)) > before, timeout), f"no reply to {text!r}"
        return self.fake.messages_to(target)[before:]

    async def ingest(self, *paths: Path) -> None:
        await asyncio.to_thread(self.app.ingest_paths, list(paths))

    def pending(self) -> int:
        with transaction(self.app.factory) as s:
            return status_store.outbox_health(s).pending

    async def deliver(self, timeout: float = 60) -> None:
        """Drain until nothing waits in the outbox (retries included)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.worker.drain()
            if await asyncio.to_thread(self.pending) == 0:
                return
            assert loop.time() < deadline, "outbox did not drain"
            await asyncio.sleep(0.2)

    def states(self) -> dict[str, int]:
        with transaction(self.app.factory) as s:
            return outbox.counts(s)
