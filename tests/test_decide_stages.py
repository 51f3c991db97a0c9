"""Delivery's decide stages one by one (bot/delivery/decide.py): pure functions of a claimed row, the
alert drawn from it and a fixed time, so no database, no transport and no network. The worker's
whole path through them is covered by tests/test_delivery_decide.py and its neighbours."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import decide as d
from bot.delivery.alerts import Alert
from storage import outbox
from tests.conftest import SEEDS, Clock

RIYADH = ZoneInfo("Asia/Riyadh")  # UTC+3 all year
UTC = timezone.utc


def seed_summary() -> str:
    """The second line of a seed article: its lead, several sentences of real Arabic news text."""
    return (SEEDS / "000_c3565df5185bbf54.txt").read_text(encoding="utf-8").splitlines()[1]


def job(**values) -> outbox.DeliveryJob:
    base = dict(
        delivery_id=1, attempts=0, chat_id=7, chat="console:desk", platform="console", language="ar",
        thread_id=None, story_id=3, topic="korea", topic_name="كوريا", headline="تعزيز العلاقات الكورية الشمالية الروسية",
        summary=seed_summary(), url="https://news.example/1", source="خبرين",
        published_at=datetime(2025, 8, 13, 6, 0, tzinfo=UTC), matched=["كوريا"],
    )
    base.update(values)
    return outbox.DeliveryJob(**base)


def at_riyadh(hour: int, minute: int = 0, day: int = 13) -> datetime:
    return datetime(2025, 8, day, hour, minute, tzinfo=RIYADH).astimezone(UTC)


def run(stage: d.Stage, row: outbox.DeliveryJob, now: datetime, zone=RIYADH) -> d.Verdict | Alert:
    return stage(row, d.alert_from_job(row, zone), d.Context(now, zone))


def test_the_stages_run_in_the_documented_order():
    assert [s.__name__ for s in d.STAGES] == ["mute", "edit_target", "digest", "quiet_hours", "short_summary"]


# --- mute --------------------------------------------------------------------------------------


def test_mute_skips_until_it_ends_with_why():
    clock = Clock(at_riyadh(10))
    row = job(muted_until=at_riyadh(12))
    assert run(d.mute, row, clock()) == d.Skip("muted until 2025-08-13T09:00+00:00")
    clock.advance(2 * 3600)  # the mute ends at this very moment: the alert goes out
    assert isinstance(run(d.mute, row, clock()), Alert)


def test_mute_never_holds_back_a_digest():
    row = job(kind=outbox.DIGEST, muted_until=at_riyadh(12))
    assert isinstance(run(d.mute, row, at_riyadh(10)), Alert)


# --- edit target -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, edit_of, why",
    [
        (outbox.SKIPPED, "m1", "no edit: its alert was skipped"),
        (outbox.FAILED, "m1", "no edit: its alert was given up"),
        (outbox.HELD, "m1", "no edit: its story waits for a digest"),
        (outbox.BUNDLED, "m1", "no edit: its story went out in a digest or an archive"),
        (outbox.SENT, None, "no edit: its alert has no message to edit"),
    ],
)
def test_an_edit_of_an_alert_that_never_went_out_is_skipped(state, edit_of, why):
    assert run(d.edit_target, job(kind=outbox.EDIT, alert_state=state, edit_of=edit_of), at_riyadh(10)) == d.Skip(why)


def test_an_edit_of_a_sent_alert_goes_on_and_other_kinds_are_untouched():
    sent = run(d.edit_target, job(kind=outbox.EDIT, alert_state=outbox.SENT, edit_of="m1"), at_riyadh(10))
    assert isinstance(sent, Alert) and sent.edit_of == "m1"
    assert isinstance(run(d.edit_target, job(kind=outbox.UPDATE, alert_state=outbox.SKIPPED), at_riyadh(10)), Alert)


# --- digest ------------------------------------------------------------------------------------


def test_an_hourly_subscription_holds_its_alert_for_the_chats_clock_hour():
    assert run(d.digest, job(mode="hourly"), at_riyadh(10, 25)) == d.Hold("hourly:2025-08-13T10", at_riyadh(11))
    # the same instant read in UTC is another hour: the period follows the zone the stage is given
    assert run(d.digest, job(mode="hourly"), at_riyadh(10, 25), zone=UTC) == d.Hold("hourly:2025-08-13T07", at_riyadh(11))


def test_a_daily_subscription_holds_until_its_digest_minute():
    row = job(mode="daily", kind=outbox.REPORT, digest_at=20 * 60)
    assert run(d.digest, row, at_riyadh(21)) == d.Hold("daily:2025-08-14T20:00", at_riyadh(20, day=14))
    assert run(d.digest, row, at_riyadh(19, 59)) == d.Hold("daily:2025-08-13T20:00", at_riyadh(20))


@pytest.mark.parametrize("values", [
    dict(mode="instant"),
    dict(mode="hourly", story_kind="notice"),  # raqib's own notices are never held
    dict(mode="hourly", kind=outbox.EDIT, alert_state=outbox.SENT, edit_of="m1"),
    dict(mode="daily", kind=outbox.DIGEST),
])
def test_what_a_digest_does_not_hold(values):
    assert isinstance(run(d.digest, job(**values), at_riyadh(10)), Alert)


# --- quiet hours -------------------------------------------------------------------------------

NIGHT = dict(quiet_start=23 * 60, quiet_end=7 * 60)


def test_quiet_hours_that_hold_defer_to_the_windows_end():
    assert run(d.quiet_hours, job(quiet_mode="hold", **NIGHT), at_riyadh(23, 30)) == d.Defer(at_riyadh(7, day=14))
    assert run(d.quiet_hours, job(quiet_mode="hold", **NIGHT), at_riyadh(3)) == d.Defer(at_riyadh(7))


def test_silent_quiet_hours_send_without_sound_and_only_inside_the_window():
    inside = run(d.quiet_hours, job(quiet_mode="silent", **NIGHT), at_riyadh(3))
    assert isinstance(inside, Alert) and inside.silent
    outside = run(d.quiet_hours, job(quiet_mode="hold", **NIGHT), at_riyadh(7))
    assert isinstance(outside, Alert) and not outside.silent


def test_quiet_hours_leave_an_edit_alone():
    row = job(kind=outbox.EDIT, alert_state=outbox.SENT, edit_of="m1", quiet_mode="hold", **NIGHT)
    out = run(d.quiet_hours, row, at_riyadh(3))
    assert isinstance(out, Alert) and not out.silent


# --- short summary -----------------------------------------------------------------------------


def test_a_short_summary_is_the_first_sentence_of_the_real_lead():
    whole = seed_summary()
    short = run(d.short_summary, job(summary_length="short"), at_riyadh(10))
    assert isinstance(short, Alert)
    assert short.summary == d.first_sentence(whole)
    assert whole.startswith(short.summary) and len(short.summary) < len(whole)
    normal = run(d.short_summary, job(), at_riyadh(10))
    assert isinstance(normal, Alert) and normal.summary == whole


# --- the whole chain ---------------------------------------------------------------------------


def test_decide_stops_at_the_first_verdict():
    now = at_riyadh(3)
    # muted, and a digest subscription, in quiet hours: the mute is weighed first
    both = job(muted_until=at_riyadh(12), mode="hourly", quiet_mode="hold", **NIGHT)
    assert isinstance(d.decide(both, now, RIYADH), d.Skip)
    # a digest subscription in quiet hours: held for its digest, not deferred
    assert isinstance(d.decide(dataclasses.replace(both, muted_until=None), now, RIYADH), d.Hold)


def test_decide_reads_times_in_the_chats_own_zone():
    row = job(timezone="Asia/Riyadh", mode="hourly")
    # the configured zone is UTC; the chat chose Riyadh, so its hour is Riyadh's
    assert d.decide(row, at_riyadh(10, 25), UTC) == d.Hold("hourly:2025-08-13T10", at_riyadh(11))
    # a zone this system lacks falls back to the configured one
    assert d.decide(dataclasses.replace(row, timezone="Mars/Olympus"), at_riyadh(10, 25), UTC) == d.Hold(
        "hourly:2025-08-13T07", at_riyadh(11)
    )


def test_decide_passes_each_stages_change_to_the_next():
    row = job(summary_length="short", quiet_mode="silent", timezone="Asia/Riyadh", **NIGHT)
    out = d.decide(row, at_riyadh(2), UTC)
    assert isinstance(out, Alert)
    assert out.silent and out.summary == d.first_sentence(seed_summary()) and out.zone == RIYADH
    assert d.decide(row, at_riyadh(2), UTC, stages=(d.short_summary,)).silent is False


def test_a_clock_moving_past_the_window_lets_the_alert_through():
    clock = Clock(at_riyadh(6, 59))
    row = job(quiet_mode="hold", **NIGHT)
    assert isinstance(d.decide(row, clock(), RIYADH), d.Defer)
    clock.advance(60)
    assert isinstance(d.decide(row, clock(), RIYADH), Alert)
    assert timedelta(0) == clock() - at_riyadh(7)
