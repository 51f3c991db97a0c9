"""Bursts of coverage («تغطية مكثفة»): a topic whose last hour is far above its usual hour.

A topic bursts when the articles of its stories published in the last hour are at least ``factor``
times its usual hourly rate AND at least ``min_articles``; its chats then get one alert listing the
burst's top stories, and the topic cannot burst again for ``cooldown_hours``.

The usual rate is the median of the topic's hourly counts over the ``window_days`` before the last
hour, every hour counted, hours without an article as 0. A median, not a mean, so one earlier
burst does not raise the bar for a week. Most topics are quiet most hours, so their median is 0,
and "3 × 0" would make any single article a burst: the median is floored at FLOOR (one article an
hour), and ``min_articles`` is what decides for a quiet topic ("ten reports in an hour on a topic
that is usually silent"). For a busy topic the median takes over (a topic usually at 6 an hour
needs 18). A mean-based fallback was not used: a week's mean is pulled up by the very bursts the
detector exists to catch, and it would still be below 1 for a quiet topic, where the floor rules.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy.orm import Session, sessionmaker

from bot.config import BurstsConfig
from handlers.texts import counted
from storage import bursts as burst_store
from storage.db import transaction

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
FLOOR = 1.0  # the least "usual rate" a topic is compared with: one article an hour
CHECK_EVERY_S = 600  # how often `raqib run` looks for bursts
TOP_STORIES = 5


@dataclass(frozen=True)
class Rate:
    """A topic's last hour and the usual rate it is measured against."""

    last_hour: int
    median: float

    @property
    def baseline(self) -> float:
        return max(self.median, FLOOR)


@dataclass(frozen=True)
class Announced:
    """A burst that was detected and queued."""

    topic: str
    articles: int
    baseline: float
    queued: int


def hourly_counts(times: Iterable[datetime], now: datetime, window_days: int) -> tuple[int, list[int]]:
    """(articles in the last hour, counts of each earlier hour of the window, oldest last).

    Hour k covers (now - (k+1)h, now - k h]: hours slide with ``now``, so a check every few
    minutes always compares a full last hour with full earlier hours. Later-than-now times (a
    wrong clock at the source) and times before the window are ignored.
    """
    hours = window_days * 24
    buckets = [0] * (hours + 1)
    for t in times:
        if t > now:
            continue
        k = int((now - t) // HOUR)
        if k <= hours:
            buckets[k] += 1
    return buckets[0], buckets[1:]


def rate(times: Iterable[datetime], now: datetime, window_days: int) -> Rate:
    last, history = hourly_counts(times, now, window_days)
    return Rate(last, float(statistics.median(history)) if history else 0.0)


def is_burst(r: Rate, cfg: BurstsConfig) -> bool:
    """Far above the usual rate (``factor`` × the floored median) and not a handful of articles."""
    return r.last_hour >= cfg.min_articles and r.last_hour >= cfg.factor * r.baseline


def cooling_down(last: datetime | None, now: datetime, cfg: BurstsConfig) -> bool:
    """True while the topic's previous burst alert is less than ``cooldown_hours`` old."""
    return last is not None and now - last < timedelta(hours=cfg.cooldown_hours)


def render(topic_name: str, articles: int, stories: list[burst_store.BurstStory]) -> tuple[str, str]:
    """The alert's headline and body: the burst's top stories, most outlets first, each with its
    link when it has a web address (Telegram and Discord make a bare URL a link)."""
    headline = f"تغطية مكثفة: {topic_name} — {counted('ar', articles, 'article')} في الساعة الأخيرة"
    lines = []
    for story in stories:
        lines.append(f"• {story.headline} ({counted('ar', story.sources, 'source')})")
        if story.url and story.url.startswith(("http://", "https://")):
            lines.append(story.url)
    return headline, "\n".join(lines)


def detect(session: Session, cfg: BurstsConfig, now: datetime) -> list[Announced]:
    """Find the topics bursting now and queue one alert for each; in the caller's transaction."""
    burst_store.lock(session)  # two runners checking at once must not both announce
    since = now - timedelta(days=cfg.window_days) - HOUR
    times = burst_store.article_times(session, since, now)
    out: list[Announced] = []
    for topic in burst_store.topics(session):
        r = rate(times.get(topic.id, ()), now, cfg.window_days)
        if not is_burst(r, cfg) or cooling_down(burst_store.last_burst_at(session, topic.id), now, cfg):
            continue
        stories = burst_store.top_stories(session, topic.id, now - HOUR, now, limit=TOP_STORIES)
        headline, body = render(topic.name, r.last_hour, stories)
        link = next((st.url for st in stories if st.url and st.url.startswith(("http://", "https://"))), None)
        queued = burst_store.record_burst(session, topic.id, now, r.last_hour, r.baseline, headline, body, link)
        log.info("burst: %s has %d articles in the last hour (usual %.1f); %d chat(s) queued",
                 topic.slug, r.last_hour, r.baseline, queued)
        out.append(Announced(topic.slug, r.last_hour, r.baseline, queued))
    return out


def check(factory: sessionmaker[Session], cfg: BurstsConfig, now: datetime) -> list[Announced]:
    """One check in its own transaction: what `raqib run` calls every CHECK_EVERY_S seconds."""
    with transaction(factory) as s:
        return detect(s, cfg, now)
