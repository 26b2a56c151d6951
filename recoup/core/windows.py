"""Windows of local time: open or shut at an instant, and the exact next opening across clock changes.

An ``Hours`` is a span of wall-clock time ``[start, end)`` on some ISO weekdays, less the public
holidays of a calendar where one is given. ``open_at`` reads it in one or more time zones at
once (every zone must be open: a debtor whose own zone is unknown). Clock changes:

- spring forward: a wall time inside the skipped hour never exists; a window whose start falls
  there opens at the first instant after it, the jump itself;
- fall back: each wall time counts once. The second pass of the repeated hour (``fold=1``) is
  outside every window, so a window that covers the repeated hour does not get it twice.

``next_open`` finds the first open instant exactly, without stepping: being an intersection of
windows, the open set can only begin at a window's start on some local date, at a clock change
(the jump) or where a repeated hour ends, in one of the zones; each such candidate is checked in
order. No clock is read; no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from recoup.core.calendar import BusinessCalendar

UTC = timezone.utc
EVERY_DAY = frozenset(range(1, 8))
WORKING_DAYS = frozenset(range(1, 6))
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Hours:
    """Open from ``start`` until before ``end`` (local wall time) on ``weekdays`` (ISO: 1 = Monday),
    shut on the public holidays of ``calendar`` where given."""

    start: time
    end: time
    weekdays: frozenset[int] = EVERY_DAY
    calendar: BusinessCalendar | None = None

    def open_local(self, local: datetime) -> bool:
        """Whether the window is open at this aware local time (the second pass of a repeated hour never is)."""
        return (local.fold == 0 and self.start <= local.time() < self.end and local.isoweekday() in self.weekdays
                and not (self.calendar is not None and self.calendar.is_holiday(local.date())))


def describe_days(weekdays: Iterable[int]) -> str:
    """ISO weekdays in words: "Mon-Fri", "Mon, Wed, Fri", "every day"."""
    days = sorted(set(weekdays))
    if len(days) == 7:
        return "every day"
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0] - 1]}-{DAY_NAMES[run[-1] - 1]}")
        else:
            parts.extend(DAY_NAMES[d - 1] for d in run)
    return ", ".join(parts)


def open_at(windows: Sequence[Hours], zones: Sequence[ZoneInfo], at: datetime) -> bool:
    """Whether every window is open at instant ``at`` in every zone."""
    for zone in zones:
        local = at.astimezone(zone)
        if not all(w.open_local(local) for w in windows):
            return False
    return True


def _offset(zone: ZoneInfo, at: datetime) -> timedelta:
    return at.astimezone(zone).utcoffset()


@lru_cache(maxsize=2048)
def clock_changes(zone: ZoneInfo, first: date, days: int) -> tuple[datetime, ...]:
    """The instants (UTC) from local ``first`` for ``days`` days at which ``zone``'s clock jumps,
    and for a fall-back also the instant the repeated hour ends (when its wall times count again).

    Found per local day (offsets at consecutive midnights differ) and pinned to the second by
    bisection (tz data changes clocks on whole seconds); one change per day at most.
    """
    found: list[datetime] = []
    midnights = [datetime.combine(first + timedelta(days=d), time(0), tzinfo=zone).astimezone(UTC)
                 for d in range(days + 2)]
    for lo, hi in zip(midnights, midnights[1:]):
        before, after = _offset(zone, lo), _offset(zone, hi)
        if before == after:
            continue
        lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
        while hi_s - lo_s > 1:
            mid = (lo_s + hi_s) // 2
            if _offset(zone, datetime.fromtimestamp(mid, UTC)) == before:
                lo_s = mid
            else:
                hi_s = mid
        change = datetime.fromtimestamp(hi_s, UTC)
        found.append(change)
        if after < before:  # fall back: wall times from here repeat for (before - after)
            found.append(change + (before - after))
    return tuple(found)


def next_open(windows: Sequence[Hours], zones: Sequence[ZoneInfo], at: datetime, days: int) -> datetime | None:
    """The first instant at or after ``at`` at which every window is open in every zone, looking
    ``days`` local days ahead; None when there is none. Returned in ``at``'s time zone."""
    if open_at(windows, zones, at):
        return at
    candidates: set[datetime] = set()
    for zone in zones:
        first = at.astimezone(zone).date()
        for d in range(days + 1):
            day = first + timedelta(days=d)
            for w in windows:
                # A start in a skipped hour gives an instant after the jump; the jump is a candidate too.
                candidates.add(datetime.combine(day, w.start, tzinfo=zone).astimezone(UTC))
        candidates.update(clock_changes(zone, first, days))
    for t in sorted(c for c in candidates if c > at):
        if open_at(windows, zones, t):
            return t.astimezone(at.tzinfo)
    return None


__all__ = ["Hours", "EVERY_DAY", "WORKING_DAYS", "clock_changes", "describe_days", "next_open", "open_at"]
