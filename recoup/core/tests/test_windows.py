"""Windows of local time across clock changes (recoup.core.windows), property-tested.

The answer of ``next_open`` is checked against the plain definition, minute by minute: open when
the local wall time is in [start, end) on one of the weekdays and is not the second pass of a
repeated hour. Time zones are drawn from every zone Python knows, with the ones whose changes are
odd (30-minute DST on Lord Howe, 45-minute offsets on the Chatham Islands) forced in, and instants
are pushed towards the 2026 and 2027 changes in the US and the EU (and those zones' own).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import given, settings, strategies as st

from recoup.core.windows import Hours, clock_changes, describe_days, next_open, open_at

UTC = timezone.utc
NAMED = ("America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "Australia/Lord_Howe",
         "Pacific/Chatham")
ALL_ZONES = sorted(available_timezones())
# The clock changes of 2026 and 2027 (UTC): US, EU, Lord Howe, Chatham.
CHANGES = [datetime(*t, tzinfo=UTC) for t in (
    (2026, 3, 8, 7), (2026, 3, 8, 10), (2026, 11, 1, 6), (2026, 11, 1, 9), (2027, 3, 14, 7), (2027, 11, 7, 6),
    (2026, 3, 29, 1), (2026, 10, 25, 1), (2027, 3, 28, 1), (2027, 10, 31, 1),
    (2026, 4, 4, 15), (2026, 10, 3, 15, 30), (2026, 4, 4, 14), (2026, 9, 26, 14))]

zones = st.one_of(st.sampled_from(NAMED), st.sampled_from(ALL_ZONES)).map(ZoneInfo)
instants = st.one_of(
    st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)),
    st.builds(lambda change, minutes, seconds: change + timedelta(minutes=minutes, seconds=seconds),
              st.sampled_from(CHANGES), st.integers(-3 * 24 * 60, 2 * 24 * 60), st.sampled_from([0, 0, 0, 17])))
minutes_of_day = st.integers(0, 24 * 60 - 1)
# Windows near the small hours (where the clocks change) as often as anywhere else.
spans = st.one_of(st.tuples(minutes_of_day, minutes_of_day), st.tuples(st.integers(0, 240), st.integers(0, 240)))
weekdays = st.sets(st.integers(1, 7), min_size=1).map(frozenset)


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def hours_from(span: tuple[int, int], days: frozenset[int]) -> Hours | None:
    start, end = sorted(span)
    return Hours(_time(start), _time(end), days) if start < end else None


def plainly_open(hours: Hours, zone: ZoneInfo, at: datetime) -> bool:
    local = at.astimezone(zone)
    return (local.fold == 0 and hours.start <= time(local.hour, local.minute, local.second) < hours.end
            and local.isoweekday() in hours.weekdays)


def minutes_between(first: datetime, last: datetime):
    """Every whole UTC minute strictly after ``first`` and before ``last``."""
    t = first.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t < last:
        yield t
        t += timedelta(minutes=1)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(zone=zones, span=spans, days=weekdays, at=instants)
def test_the_next_opening_is_open_and_no_minute_before_it_is(zone, span, days, at):
    hours = hours_from(span, days)
    if hours is None:
        return
    found = next_open([hours], [zone], at, 21)
    assert open_at([hours], [zone], at) == plainly_open(hours, zone, at)
    if found is None:
        # Only a window that exists on none of the coming days: every day of it fell into a skipped hour.
        assert not any(plainly_open(hours, zone, t) for t in minutes_between(at, at + timedelta(days=8)))
        return
    assert plainly_open(hours, zone, found), f"{found.astimezone(zone)} is outside {hours}"
    if found == at:
        return
    assert found > at and not plainly_open(hours, zone, found - timedelta(seconds=1))
    early = next((t for t in minutes_between(at, found) if plainly_open(hours, zone, t)), None)
    assert early is None, f"{early.astimezone(zone)} is open, before {found.astimezone(zone)}"


@settings(max_examples=200, deadline=None, derandomize=True)
@given(zone=zones, span=spans, change=st.sampled_from(CHANGES))
def test_each_local_time_counts_once_and_a_skipped_start_opens_at_the_jump(zone, span, change):
    hours = hours_from(span, frozenset(range(1, 8)))
    if hours is None:
        return
    day = change.astimezone(zone).date()
    first = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    seen = [t.astimezone(zone).strftime("%H:%M") for t in minutes_between(first - timedelta(minutes=1), last)
            if open_at([hours], [zone], t)]
    assert len(seen) == len(set(seen)), "a wall time of the window was open twice"
    width = (hours.end.hour - hours.start.hour) * 60 + hours.end.minute - hours.start.minute
    assert len(seen) <= width
    opened = next_open([hours], [zone], first, 2)
    if seen:  # the day's window opens at its first open minute (a skipped start: at the jump)
        assert opened.astimezone(zone).strftime("%H:%M") == seen[0]
        assert opened.astimezone(zone).date() == day


def test_a_start_inside_the_skipped_hour_opens_at_the_jump_and_the_repeated_hour_counts_once():
    new_york = ZoneInfo("America/New_York")
    small_hours = Hours(time(2, 30), time(4, 0))
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC); 02:30 never happens.
    opened = next_open([small_hours], [new_york], datetime(2026, 3, 8, 5, 0, tzinfo=UTC), 3)
    assert opened == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert opened.astimezone(new_york).strftime("%H:%M %Z") == "03:00 EDT"
    # 2026-11-01: 01:00-02:00 happens twice; a 01:00-01:30 window opens once, in the first pass.
    repeated = Hours(time(1, 0), time(1, 30))
    assert open_at([repeated], [new_york], datetime(2026, 11, 1, 5, 10, tzinfo=UTC))  # 01:10 EDT
    assert not open_at([repeated], [new_york], datetime(2026, 11, 1, 6, 10, tzinfo=UTC))  # 01:10 EST, again
    assert next_open([repeated], [new_york], datetime(2026, 11, 1, 5, 45, tzinfo=UTC), 3) == \
        datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # not 01:00 EST the same night: the next night's 01:00
    # A window across the repeated hour reopens when its wall times are new again (02:00 EST).
    across = Hours(time(1, 30), time(3, 0))
    assert next_open([across], [new_york], datetime(2026, 11, 1, 6, 0, tzinfo=UTC), 3) == \
        datetime(2026, 11, 1, 7, 0, tzinfo=UTC)


def test_lord_howe_moves_its_clock_by_half_an_hour():
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    assert clock_changes(lord_howe, date(2026, 4, 1), 10) == (
        datetime(2026, 4, 4, 15, 0, tzinfo=UTC), datetime(2026, 4, 4, 15, 30, tzinfo=UTC))
    # 2026-10-04: 02:00 LHST jumps to 02:30; a window from 02:10 opens at 02:30.
    opened = next_open([Hours(time(2, 10), time(5, 0))], [lord_howe], datetime(2026, 10, 3, 12, 0, tzinfo=UTC), 2)
    assert opened == datetime(2026, 10, 3, 15, 30, tzinfo=UTC)
    assert opened.astimezone(lord_howe).strftime("%H:%M") == "02:30"


def test_every_zone_must_be_open_at_once():
    east, west = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles")
    morning = Hours(time(9), time(12), frozenset(range(1, 6)))
    # 09:00 in Los Angeles is 12:00 in New York: the two mornings never meet.
    assert next_open([morning], [east, west], datetime(2026, 3, 9, 12, 0, tzinfo=UTC), 21) is None
    day = Hours(time(9), time(17), frozenset(range(1, 6)))
    # Friday 13:00 UTC: 09:00 in New York, 06:00 in Los Angeles -> both open at 09:00 in Los Angeles.
    assert next_open([day], [east, west], datetime(2026, 3, 6, 13, 0, tzinfo=UTC), 21) == \
        datetime(2026, 3, 6, 17, 0, tzinfo=UTC)


def test_weekdays_in_words():
    assert describe_days(range(1, 6)) == "Mon-Fri"
    assert describe_days({1, 3, 5}) == "Mon, Wed, Fri"
    assert describe_days({6, 7}) == "Sat, Sun"
    assert describe_days(range(1, 8)) == "every day"
    assert describe_days({1, 2, 3, 5, 6, 7}) == "Mon-Wed, Fri-Sun"
