"""Digest periods and the job that closes them.

A subscription in "hourly" mode collects a chat's alerts per clock hour of the chat's zone; in
"daily" mode per day ending at its ``digest_at`` (default 08:00). The delivery worker holds each
such alert with its period's key and closing time (``period_of``); every minute ``run`` turns each
closed period's held rows into one digest row (``storage.digests.bundle``), which the worker then
sends like any alert: a crash or a restart neither loses nor doubles a digest.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from sqlalchemy.orm import Session, sessionmaker

from storage import digests as digest_store
from storage.db import transaction

log = logging.getLogger(__name__)

HOURLY, DAILY = "hourly", "daily"
MODES = ("instant", HOURLY, DAILY)
DEFAULT_DIGEST_AT = 8 * 60  # a daily digest's minute of the day when the subscription names none
CHECK_EVERY_S = 60


def _at(day: date, minute: int, tz: tzinfo) -> datetime:
    """That day's minute in the zone, as UTC (a wall time a DST change skips falls an hour later)."""
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return local.astimezone(timezone.utc)


def period_of(mode: str, digest_at: int | None, tz: tzinfo, at: datetime) -> tuple[str, datetime, datetime]:
    """The digest period ``at`` falls in: its key and its [start, end) in UTC.

    Hourly: the clock hour in the chat's zone ("hourly:2026-11-30T14"). Daily: the day that ends at
    ``digest_at`` in the chat's zone, keyed by that end ("daily:2026-11-30T08:00", which sends at
    08:00 on the 30th the stories since 08:00 on the 29th)."""
    local = at.astimezone(tz)
    if mode == HOURLY:
        start_local = local.replace(minute=0, second=0, microsecond=0)
        start = start_local.astimezone(timezone.utc)
        return f"{HOURLY}:{start_local:%Y-%m-%dT%H}", start, start + timedelta(hours=1)
    if mode != DAILY:
        raise ValueError(f"not a digest mode: {mode!r}")
    minute = DEFAULT_DIGEST_AT if digest_at is None else digest_at
    end_day = local.date()
    if _at(end_day, minute, tz) <= at:
        end_day += timedelta(days=1)
    end = _at(end_day, minute, tz)
    start = _at(end_day - timedelta(days=1), minute, tz)
    return f"{DAILY}:{end_day:%Y-%m-%d}T{minute // 60:02d}:{minute % 60:02d}", start, end


def period_bounds(key: str, tz: tzinfo) -> tuple[datetime, datetime] | None:
    """[start, end) in UTC of a period key made by ``period_of`` (read in the chat's zone); None
    for a key that is not one."""
    mode, _, when = digest_store.base_period(key).partition(":")
    try:
        if mode == HOURLY:
            local = datetime.strptime(when, "%Y-%m-%dT%H").replace(tzinfo=tz)
            start = local.astimezone(timezone.utc)
            return start, start + timedelta(hours=1)
        if mode == DAILY:
            end_local = datetime.strptime(when, "%Y-%m-%dT%H:%M")
            minute = end_local.hour * 60 + end_local.minute
            day = end_local.date()
            return _at(day - timedelta(days=1), minute, tz), _at(day, minute, tz)
    except ValueError:
        return None
    return None


def run(factory: sessionmaker[Session], now: datetime) -> int:
    """Make the digest of every closed period that has held rows; returns digests made. Each digest
    is its own transaction (its row and the bundling of its rows together), so one failure stops
    neither the others nor the next run. First, rows held for a subscription that is instant again
    (changed by any path: /digest, the CLI, the database) go back to the queue, to be sent as alerts."""
    try:
        with transaction(factory) as s:
            released = digest_store.release_instant(s, now)
        if released:
            log.info("digests: %d held alert(s) released: their subscriptions are instant again", released)
    except Exception as exc:  # the digests below are made regardless; the next run releases them
        log.error("releasing held alerts failed: %s; the next run tries again", exc)
    with transaction(factory) as s:
        closed = digest_store.due(s, now)
    made = 0
    for chat_id, period in closed:
        try:
            with transaction(factory) as s:
                if digest_store.bundle(s, chat_id, period, now) is not None:
                    made += 1
        except Exception as exc:  # logged; the rows stay held and the next run tries again
            log.error("digest %s of chat %d failed: %s; the next run tries again", period, chat_id, exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))
    if made:
        log.info("digests: %d made", made)
    return made
