"""Rate limits as pure arithmetic: how long to wait before the next request, and after a 429.

Time is a number of seconds on any monotonic clock, passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """At most ``count`` requests in any ``window`` seconds (e.g. Xero: 60 in 60, 5000 in 86400)."""

    count: int
    window: float


def wait_before_next(sent: Sequence[float], now: float, limits: Sequence[Limit]) -> float:
    """Seconds to wait at ``now`` so that one more request keeps every limit.

    Args: sent: the times of earlier requests, oldest first; limits: the limits to keep.
    Returns: 0.0 when a request may go now.
    """
    wait = 0.0
    while True:
        at = now + wait
        extra = 0.0
        for limit in limits:
            recent = [t for t in sent if t > at - limit.window]
            if len(recent) >= limit.count:
                # The oldest request that must leave the window before one more fits.
                # (At least a nanosecond: float sums can leave it a hair inside the window.)
                extra = max(extra, recent[len(recent) - limit.count] + limit.window - at, 1e-9)
        if extra == 0:
            return wait
        wait += extra  # and checked again at the new time


def retry_wait(attempt: int, retry_after: float | None, *, base: float = 1.0, cap: float = 60.0) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...): the server's Retry-After when it
    gave one, else exponential backoff from ``base`` doubled per attempt, never above ``cap``."""
    if retry_after is not None and retry_after >= 0:
        return float(retry_after)
    return min(cap, base * 2 ** (attempt - 1))


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (the delta-seconds form the providers send); None when absent or odd."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
