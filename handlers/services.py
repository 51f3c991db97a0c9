"""What handlers may use: the database (through storage/), the topic index and the clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Callable, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.article import utcnow
from bot.topics import TopicIndex
from handlers.throttle import Throttle
from storage.db import transaction

T = TypeVar("T")


@dataclass
class Services:
    factory: sessionmaker[Session]
    timezone: tzinfo
    topics: TopicIndex = field(default_factory=TopicIndex)
    clock: Callable[[], datetime] = utcnow
    backlog: int = 3
    throttle: Throttle = field(default_factory=lambda: Throttle(20, 5))
    # bot.sources.feed_poller.FeedPoller for /feed and /explain <url>; None where nothing may be fetched.
    feeds: Any = None

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction on a worker thread, so the event loop keeps polling."""

        def run() -> T:
            with transaction(self.factory) as session:
                return work(session)

        return await asyncio.to_thread(run)
