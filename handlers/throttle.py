"""Per-user command throttle: a token bucket, so a conversation is fine but a flood is not.

Sizing (issue 14): a person reading replies and pressing buttons sends a dozen commands in a
minute at most, in short runs (three subscribe buttons, a few "next page" presses); a script sends
a hundred. The defaults ([telegram]/[discord] command_burst 12, command_rate 30 a minute) let the
first through untouched and refuse the second. A refused user is told once per flood: the notice
comes back only after they have been quiet long enough for the bucket to fill again, however long
the flood goes on (some commands of a long flood still pass, at the refill rate, without a word).

Owners and group admins are not throttled at all: the router asks who the caller is only when
the bucket is empty, so the exemption costs no request in the ordinary case.
"""

from __future__ import annotations

import time
from typing import Callable, Hashable, Literal

Verdict = Literal["go", "warn", "drop"]


class Throttle:
    """``rate_per_minute`` commands on average, up to ``burst`` at once.

    ``allow`` answers "go", "warn" (the first refusal of a flood: tell the user once) or "drop"
    (refused, already told).
    """

    def __init__(self, rate_per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate_per_minute / 60.0
        self._burst = float(max(1, burst))
        self._clock = clock
        self._buckets: dict[Hashable, tuple[float, float, bool]] = {}  # key → (tokens, at, warned)

    def allow(self, key: Hashable) -> Verdict:
        now = self._clock()
        tokens, at, warned = self._buckets.get(key, (self._burst, now, False))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens >= self._burst:
            warned = False  # quiet long enough: a new flood gets a new notice
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now, warned)
            return "go"
        self._buckets[key] = (tokens, now, True)
        if len(self._buckets) > 10_000:
            self._prune(now)
        return "drop" if warned else "warn"

    def _prune(self, now: float) -> None:
        full = [k for k, (tok, at, _) in self._buckets.items() if tok + (now - at) * self._rate >= self._burst]
        for key in full:
            del self._buckets[key]
