"""Per-user command throttle: a token bucket, so a burst is fine but a flood is not."""

from __future__ import annotations

import time
from typing import Callable, Hashable


class Throttle:
    """``rate_per_minute`` commands on average, up to ``burst`` at once.

    ``allow`` answers "go", "warn" (first refusal: tell the user once) or "drop" (already told).
    """

    def __init__(self, rate_per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate_per_minute / 60.0
        self._burst = float(max(1, burst))
        self._clock = clock
        self._buckets: dict[Hashable, tuple[float, float, bool]] = {}  # key → (tokens, at, warned)

    def allow(self, key: Hashable) -> str:
        now = self._clock()
        tokens, at, warned = self._buckets.get(key, (self._burst, now, False))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now, False)
            return "go"
        self._buckets[key] = (tokens, now, True)
        if len(self._buckets) > 10_000:
            self._prune(now)
        return "drop" if warned else "warn"

    def _prune(self, now: float) -> None:
        full = [k for k, (tok, at, _) in self._buckets.items() if tok + (now - at) * self._rate >= self._burst]
        for key in full:
            del self._buckets[key]
