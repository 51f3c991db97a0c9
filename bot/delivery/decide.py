"""Delivery's decide stage, as named stages (Prometheus Alertmanager's pipeline): what a claimed
outbox row becomes before anything is sent.

Each stage takes the row, the alert drawn from it so far and a ``Context`` (the clock's now, the
chat's zone), and returns either a verdict that ends the row's trip here (``Skip``, ``Hold``,
``Defer``) or the alert, possibly changed, for the next stage. ``STAGES`` is their order; the
worker runs them through ``decide``, then sends, then records. Stages read no database and no
clock of their own, so each is a pure function a test calls with a fixed time.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Callable, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.delivery import digests
from bot.delivery.alerts import Alert, AlertItem
from bot.text.arabic import split_sentences
from storage import outbox

log = logging.getLogger(__name__)


# --- verdicts: the row is recorded, not sent -------------------------------------------------


@dataclass(frozen=True)
class Skip:
    """Recorded as skipped, with why (a muted subscription, an edit of an alert that never went out)."""

    reason: str


@dataclass(frozen=True)
class Hold:
    """Held for a digest subscription's period ``period`` (a key of ``digests.period_of``), which
    closes at ``closes``; the digest run bundles it then."""

    period: str
    closes: datetime


@dataclass(frozen=True)
class Defer:
    """Put back until ``until``, the end of the chat's quiet hours: a wait, not a failed attempt."""

    until: datetime


Verdict = Union[Skip, Hold, Defer]


@dataclass(frozen=True)
class Context:
    """What the stages need beyond the row: the time of the decision and the chat's zone."""

    now: datetime
    zone: tzinfo


Stage = Callable[[outbox.DeliveryJob, Alert, Context], Union[Verdict, Alert]]


# --- rules the stages (and digests, and tests) share -------------------------------------------


def first_sentence(text: str) -> str:
    """A summary cut to its first sentence (a short summary, a digest's line)."""
    sentences = split_sentences(text)
    return sentences[0] if sentences else text.strip()


def chat_zone(job: outbox.DeliveryJob, default: tzinfo) -> tzinfo:
    """The chat's zone, or the configured one when it has none (or names one this system lacks)."""
    if job.timezone:
        try:
            return ZoneInfo(job.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("chat %s: unknown time zone %r; using the configured one", job.chat, job.timezone)
    return default


def quiet_until(start: int | None, end: int | None, tz: tzinfo, at: datetime) -> datetime | None:
    """When the quiet window ``at`` falls in ends (UTC), or None outside one. Minutes after midnight
    in the chat's zone; a window may wrap midnight (23:00-07:00 = 1380..420); start == end is none."""
    if start is None or end is None or start == end:
        return None
    local = at.astimezone(tz)
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return None
    day: date = local.date()
    until = datetime.combine(day, time(end // 60, end % 60), tzinfo=tz)
    if until <= local:
        until = datetime.combine(day + timedelta(days=1), time(end // 60, end % 60), tzinfo=tz)
    return until.astimezone(timezone.utc)


def alert_from_job(job: outbox.DeliveryJob, tz: tzinfo = timezone.utc, silent: bool = False) -> Alert:
    """The platform-neutral alert of a claimed row, before the stages: ``tz`` is the chat's zone
    (``chat_zone``, loaded once): a digest's period, and ``Alert.zone`` when the chat chose one, so
    every renderer shows the chat its own times (a chat that chose none gets the transport's). The
    summary is the row's whole; ``short_summary`` cuts it when the chat asked for short ones."""
    items = tuple(
        AlertItem(i.story_id, i.headline, i.url, i.published, first_sentence(i.summary), i.source_count, i.topic)
        for i in job.items
    )
    period = job.span if job.kind == outbox.ARCHIVE else None
    if job.kind == outbox.DIGEST and job.period:
        period = digests.period_bounds(job.period, tz)
    if period is not None:  # in the chat's zone: the transport names the hour or day as the chat reads it
        period = (period[0].astimezone(tz), period[1].astimezone(tz))
    return Alert(
        chat=job.chat,
        thread_id=job.thread_id,
        language=job.language,
        topic=job.topic,
        topic_name=job.topic_name,
        story_id=job.story_id,
        headline=job.headline,
        summary=job.summary,
        url=job.url,
        source=job.source,
        published=job.published_at,
        matched=tuple(job.matched),
        update=job.kind == outbox.UPDATE,
        source_count=job.source_count,
        watchlist_id=job.watchlist_id,
        kind=job.kind,
        also=job.also,
        silent=silent or job.kind == outbox.ARCHIVE,
        reply_to=job.reply_to,
        edit_of=job.edit_of,
        items=items,
        period=period,
        zone=tz if job.timezone else None,
    )


# --- the stages, in the order they run ---------------------------------------------------------


def mute(job: outbox.DeliveryJob, alert: Alert, ctx: Context) -> Verdict | Alert:
    """A muted subscription's row is skipped, with why. A digest lists rows of several topics, each
    of which was weighed against its mute when it was held, so a digest is never muted here."""
    if job.kind != outbox.DIGEST and job.muted_until is not None and job.muted_until > ctx.now:
        return Skip(f"muted until {job.muted_until.isoformat(timespec='minutes')}")
    return alert


# Why an edit is not made: the chat's alert it would re-draw never went out.
NO_EDIT = {
    outbox.FAILED: "its alert was given up",
    outbox.DEAD: "its alert was given up",
    outbox.SKIPPED: "its alert was skipped",
    outbox.BUNDLED: "its story went out in a digest or an archive",
    outbox.HELD: "its story waits for a digest",
}


def edit_target(job: outbox.DeliveryJob, alert: Alert, ctx: Context) -> Verdict | Alert:
    """An edit re-draws the chat's alert: when that alert never went out there is nothing to edit."""
    if job.kind == outbox.EDIT and (job.alert_state in NO_EDIT or job.edit_of is None):
        return Skip(f"no edit: {NO_EDIT.get(job.alert_state or '', 'its alert has no message to edit')}")
    return alert


# Kinds a digest subscription holds for its period; raqib's own notices are never held.
HELD_KINDS = (outbox.ALERT, outbox.UPDATE, outbox.REPORT)


def digest(job: outbox.DeliveryJob, alert: Alert, ctx: Context) -> Verdict | Alert:
    """A digest subscription's alerts wait for its period's digest (in the chat's zone)."""
    if job.kind in HELD_KINDS and job.mode in (digests.HOURLY, digests.DAILY) and job.story_kind != "notice":
        period, _, closes = digests.period_of(job.mode, job.digest_at, ctx.zone, ctx.now)
        return Hold(period, closes)
    return alert


def quiet_hours(job: outbox.DeliveryJob, alert: Alert, ctx: Context) -> Verdict | Alert:
    """Inside the chat's quiet window (its zone): put back until the window ends, or sent without
    sound, as the chat chose. An edit makes no sound anyway."""
    if job.kind == outbox.EDIT:
        return alert
    until = quiet_until(job.quiet_start, job.quiet_end, ctx.zone, ctx.now)
    if until is None:
        return alert
    if job.quiet_mode == "hold":
        return Defer(until)
    return dataclasses.replace(alert, silent=True)


def short_summary(job: outbox.DeliveryJob, alert: Alert, ctx: Context) -> Verdict | Alert:
    """A chat that asked for short summaries gets the first sentence."""
    if job.summary_length == "short":
        return dataclasses.replace(alert, summary=first_sentence(alert.summary))
    return alert


STAGES: tuple[Stage, ...] = (mute, edit_target, digest, quiet_hours, short_summary)


def decide(
    job: outbox.DeliveryJob, now: datetime, default_zone: tzinfo, stages: tuple[Stage, ...] = STAGES
) -> Verdict | Alert:
    """Run the row through the stages: the first verdict ends it, else the alert to send."""
    ctx = Context(now, chat_zone(job, default_zone))
    alert = alert_from_job(job, ctx.zone)
    for stage in stages:
        outcome = stage(job, alert, ctx)
        if not isinstance(outcome, Alert):
            return outcome
        alert = outcome
    return alert
